import { CommanderError } from 'commander';
import { ConnectionError, EnvironmentError, UsageError } from '../errors.js';
import type { ThresholdResult } from '../metrics/thresholds.js';
import type { Verification } from '../metrics/verification.js';
import type { RunStats } from '../shared/run-stats.js';
import type { CapacityAnswerKind, CapacityStopReason } from '../capacity/types.js';

/** Documented exit codes (README "Exit codes"). */
export const ExitCode = {
  ok: 0,
  /** A workflow failed, or the server / a required program could not be reached. */
  failure: 1,
  /** Bad usage: unknown flag or command, bad flag or environment value. */
  usage: 2,
  /** A threshold did not hold (k6's code); a capacity search did not meet --expect. */
  thresholdsFailed: 99,
  /** A batch or a capacity search was interrupted before its end, or a second signal forced the exit. */
  interrupted: 130,
} as const;

/** How a command ended, as far as its exit code is concerned. */
export type Outcome =
  /**
   * A load run (run, infinite) that ended; `outputLost`: a result could not be written; `slicesLost`: with
   * --agents, the slices that did not finish (an agent lost, a slice failed or taken by no agent).
   */
  | { kind: 'load'; stats: RunStats; thresholds: readonly ThresholdResult[]; verification?: Verification; slicesLost?: number; outputLost?: boolean }
  /** A schedules run that ended, with the direct load beside it when there was one. */
  | { kind: 'schedules'; schedulesLeft: number; thresholds: readonly ThresholdResult[]; directLoad?: RunStats; outputLost?: boolean }
  /**
   * A capacity search that ended (also by a first signal); `expectationMet`: --expect's verdict,
   * undefined without --expect.
   */
  | { kind: 'capacity'; stopReason: CapacityStopReason; answer: CapacityAnswerKind; expectationMet?: boolean; outputLost?: boolean }
  /** A command that did its work; `failures`: the parts of it that failed (cleanup's deletions). */
  | { kind: 'done'; failures?: number; outputLost?: boolean }
  /** A second signal: the command left at once. */
  | { kind: 'forced'; outputLost?: boolean }
  | { kind: 'error'; error: unknown; outputLost?: boolean };

/**
 * The exit code of every command (README "Signals and exit codes"); nothing else in sched-bench picks
 * one. Output that could not be written makes an otherwise good run fail; a worse code stays.
 */
export function exitCodeOf(outcome: Outcome): number {
  switch (outcome.kind) {
    case 'load':
      return afterLostOutput(loadVerdict(outcome.stats, outcome.thresholds, outcome.verification, outcome.slicesLost ?? 0), outcome.outputLost);
    case 'schedules':
      return afterLostOutput(schedulesVerdict(outcome), outcome.outputLost);
    case 'capacity':
      return afterLostOutput(capacityVerdict(outcome), outcome.outputLost);
    case 'done':
      return afterLostOutput((outcome.failures ?? 0) > 0 ? ExitCode.failure : ExitCode.ok, outcome.outputLost);
    case 'forced':
      return ExitCode.interrupted;
    case 'error':
      return errorCode(outcome.error);
  }
}

function afterLostOutput(exitCode: number, lost = false): number {
  return lost && exitCode === ExitCode.ok ? ExitCode.failure : exitCode;
}

/** A load run: cut short, failed, thresholds, verification, in that order (README "Signals and exit codes"). */
function loadVerdict(stats: RunStats, thresholds: readonly ThresholdResult[], verification: Verification | undefined, slicesLost = 0): number {
  if (stats.mode === 'batch' && stats.stopReason === 'stopped') return ExitCode.interrupted;
  // A slice no agent finished: part of the load was not run (or not measured) as asked.
  if (stats.stopReason === 'aborted' || slicesLost > 0) return ExitCode.failure;
  // Workflows left behind by a cut-short drain did not finish: the run did not do what it set out to.
  if (stats.drainTimedOut && stats.inFlight > 0) return ExitCode.failure;
  const thresholdsGiven = thresholds.length > 0;
  if (thresholdsGiven && !thresholds.every((threshold) => threshold.passed)) return ExitCode.thresholdsFailed;
  if (verification && !verification.matches) return ExitCode.failure;
  if (!thresholdsGiven && stats.failed > 0) return ExitCode.failure;
  return ExitCode.ok;
}

/**
 * A schedules run. The direct load is judged as `infinite` judges its run (a dead worker aborts it;
 * failures and workflows a cut-short drain left behind fail it); the thresholds are the schedules'
 * and do not excuse it.
 */
function schedulesVerdict(outcome: Extract<Outcome, { kind: 'schedules' }>): number {
  if (outcome.schedulesLeft > 0) return ExitCode.failure;
  if (outcome.directLoad && loadVerdict(outcome.directLoad, [], undefined) === ExitCode.failure) return ExitCode.failure;
  if (outcome.thresholds.length > 0 && !outcome.thresholds.every((threshold) => threshold.passed)) return ExitCode.thresholdsFailed;
  return ExitCode.ok;
}

/**
 * A capacity search (README "Signals and exit codes"): interrupted, then a search that measured the
 * client rather than the server (client-limited) or broke (error), then --expect. A client-limited
 * search fails whatever --expect says: its rates are what sched-bench could send, no measure of the
 * server, so a CI gate must not pass (nor fail as a regression, 99) on it. A search that ended on its
 * own terms (found, --max-rate, --max-duration, even the start rate failing) answers the question: 0.
 */
function capacityVerdict(outcome: Extract<Outcome, { kind: 'capacity' }>): number {
  if (outcome.stopReason === 'interrupted') return ExitCode.interrupted;
  if (outcome.stopReason === 'error' || outcome.stopReason === 'client-limited' || outcome.answer === 'client-limited') return ExitCode.failure;
  if (outcome.expectationMet === false) return ExitCode.thresholdsFailed;
  return ExitCode.ok;
}

/** An error that ended a command: bad usage is 2, anything else 1 (--help and --version end as 0). */
function errorCode(error: unknown): number {
  if (error instanceof CommanderError) return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
  if (error instanceof UsageError) return ExitCode.usage;
  if (error instanceof ConnectionError || error instanceof EnvironmentError) return ExitCode.failure;
  return ExitCode.failure;
}
