import type { RunStats } from '../shared/run-stats.js';

/** Documented exit codes (README "Exit codes"). */
export const ExitCode = {
  ok: 0,
  /** A workflow failed, or the server / a required program could not be reached. */
  failure: 1,
  /** Bad usage: unknown flag or command, bad flag or environment value. */
  usage: 2,
  /** A threshold did not hold (k6's code). */
  thresholdsFailed: 99,
  /** A batch was interrupted before its total, or a second signal forced the exit. */
  interrupted: 130,
} as const;

export interface RunVerdict {
  /** Thresholds were given (then they, not the failure count, decide between 0 and 99). */
  thresholdsGiven?: boolean;
  thresholdsPassed?: boolean;
  /** --verify found the server's counts different from the tool's. */
  verificationFailed?: boolean;
}

/** The exit code of a load run that ended (README "Signals and exit codes"). */
export function exitCodeFor(stats: RunStats, verdict: RunVerdict = {}): number {
  if (stats.mode === 'batch' && stats.stopReason === 'stopped') return ExitCode.interrupted;
  if (stats.stopReason === 'aborted') return ExitCode.failure;
  // Workflows left behind by a cut-short drain did not finish: the run did not do what it set out to.
  if (stats.drainTimedOut && stats.inFlight > 0) return ExitCode.failure;
  if (verdict.thresholdsGiven && !verdict.thresholdsPassed) return ExitCode.thresholdsFailed;
  if (verdict.verificationFailed) return ExitCode.failure;
  if (!verdict.thresholdsGiven && stats.failed > 0) return ExitCode.failure;
  return ExitCode.ok;
}
