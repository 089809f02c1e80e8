import type { FailureKind } from '../errors.js';
import { LatencyHistogram } from '../metrics/latency-histogram.js';
import type { IntervalPoint } from '../metrics/interval-series.js';
import { OPERATION_NAMES } from '../shared/operations.js';
import type { LaunchCountsSnapshot, RunStats } from '../shared/run-stats.js';
import type { AnyResult } from './read-result.js';
import { RESULT_SCHEMA_VERSION, type LatencyResult, type OpenLoopResult, type RunResult, type ServerHealthResult } from './result.js';

/** A result to merge and the file it came from (named when the merge is refused). */
export interface MergeInput {
  file: string;
  result: AnyResult;
}

/** Why these results do not merge: names both files and the field that differs. */
export class MergeRefusal extends Error {
  override readonly name = 'MergeRefusal';
}

/**
 * One result seen twice (the same file given twice, or a copy): same run id, same start and end to the
 * millisecond, the same latency samples. Two processes never share all of these.
 */
function sameResult(a: RunResult, b: RunResult): boolean {
  return a.runId === b.runId && a.startedAt === b.startedAt && a.endedAt === b.endedAt &&
    a.latency.start.encoded === b.latency.start.encoded && a.latency.e2e.encoded === b.latency.e2e.encoded;
}

/** The fields that must agree for a sum to mean anything; runId can be overridden (see checkMergeable). */
const MUST_AGREE: ReadonlyArray<{ field: string; of: (result: RunResult) => unknown; why: string }> = [
  { field: 'command', of: (result) => result.command, why: 'a batch and an endless run are different loads' },
  { field: 'loadModel.kind', of: (result) => result.loadModel.kind, why: 'open- and closed-loop latencies mean different things' },
  { field: 'loadModel.wait', of: (result) => result.loadModel.wait, why: 'with --no-wait "completed" means started, and the latencies are start latencies' },
  // The whole workload: its name and every parameter (--signals, the mix's weights and seed, --timer-duration, …).
  { field: 'workload', of: (result) => result.workload, why: 'different workloads are different loads' },
];

/** Where two values from JSON first differ: the path to it (`workload.parts[1].weight`) and both values there. */
export interface Difference {
  path: string;
  a: unknown;
  b: unknown;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Deep equality of JSON values (key order aside): undefined when equal, else the first difference. */
export function firstDifference(a: unknown, b: unknown, path: string): Difference | undefined {
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let index = 0; index < Math.max(a.length, b.length); index++) {
      const difference = firstDifference(a[index], b[index], `${path}[${index}]`);
      if (difference) return difference;
    }
    return undefined;
  }
  if (isRecord(a) && isRecord(b)) {
    // `name` first: a different workload is told as that, not as the parameters it does not share.
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort((x, y) => Number(y === 'name') - Number(x === 'name'));
    for (const key of keys) {
      const difference = firstDifference(a[key], b[key], `${path}.${key}`);
      if (difference) return difference;
    }
    return undefined;
  }
  return Object.is(a, b) ? undefined : { path, a, b };
}

/** A value in a refusal: as JSON, "none" where the result has no such field. */
const shown = (value: unknown): string => (value === undefined ? 'none' : JSON.stringify(value));

/**
 * Refuses what cannot be merged, naming both files and the field: a schedules or capacity result, one result given
 * twice, different commands, load models, waiting or workloads (any parameter). Different run ids are refused too unless
 * `allowRunIds` (--force-merge): processes started without a shared --run-id that ran the same load.
 */
export function checkMergeable(inputs: readonly MergeInput[], allowRunIds: boolean): RunResult[] {
  // A schedules run's fires and a capacity search's steps are not one load to sum (a search is not mergeable at all).
  const other = inputs.find((input) => input.result.command === 'schedules' || input.result.command === 'capacity');
  if (other) {
    const what = other.result.command === 'capacity' ? 'a capacity search' : 'a schedules result';
    throw new MergeRefusal(`cannot merge ${other.file}: it is ${what} (command "${other.result.command}"); only run and infinite results merge`);
  }
  const runs = inputs as ReadonlyArray<{ file: string; result: RunResult }>;
  for (let i = 0; i < runs.length; i++) {
    for (let j = i + 1; j < runs.length; j++) {
      if (sameResult(runs[i]!.result, runs[j]!.result)) {
        throw new MergeRefusal(`cannot merge ${runs[i]!.file} and ${runs[j]!.file}: they are the same result (run ${runs[i]!.result.runId} started ${runs[i]!.result.startedAt}); merging it twice would double its counts`);
      }
    }
  }
  const [first, ...rest] = runs;
  for (const other of rest) {
    for (const { field, of, why } of MUST_AGREE) {
      const difference = firstDifference(of(first!.result), of(other.result), field);
      if (difference) {
        throw new MergeRefusal(`cannot merge ${first!.file} and ${other.file}: ${difference.path} differs (${shown(difference.a)} vs ${shown(difference.b)}): ${why}`);
      }
    }
    if (!allowRunIds && first!.result.runId !== other.result.runId) {
      throw new MergeRefusal(
        `cannot merge ${first!.file} and ${other.file}: runId differs ("${first!.result.runId}" vs "${other.result.runId}"); ` +
          'they are separate runs (add --force-merge if they ran the same load together)',
      );
    }
  }
  return runs.map((input) => input.result);
}

function sumCounts<T extends LaunchCountsSnapshot>(parts: readonly T[]): LaunchCountsSnapshot {
  const failuresByKind: Partial<Record<FailureKind, number>> = {};
  for (const part of parts) {
    for (const [kind, count] of Object.entries(part.failuresByKind) as Array<[FailureKind, number]>) {
      failuresByKind[kind] = (failuresByKind[kind] ?? 0) + count;
    }
  }
  const total = (key: 'launched' | 'started' | 'completed' | 'failed' | 'inFlight' | 'lateStarts') =>
    parts.reduce((sum, part) => sum + part[key], 0);
  return {
    launched: total('launched'), started: total('started'), completed: total('completed'), failed: total('failed'),
    inFlight: total('inFlight'), lateStarts: total('lateStarts'), failuresByKind,
  };
}

/** Exact: the encoded HDR histograms are decoded and added, then the percentiles are read off the sum. */
function mergeLatency(parts: readonly LatencyResult[]): LatencyResult {
  const merged = LatencyHistogram.create();
  for (const part of parts) merged.add(LatencyHistogram.decode(part.encoded));
  return { unit: 'ms', ...merged.summary(), encoded: merged.encode() };
}

/** Every operation any result measured, merged exactly; one a process did not measure adds nothing. */
function mergeOperations(results: readonly RunResult[]): RunResult['operations'] {
  const merged: RunResult['operations'] = {};
  for (const name of OPERATION_NAMES) {
    const parts = results.map((result) => result.operations[name]).filter((part): part is LatencyResult => part !== undefined);
    if (parts.length > 0) merged[name] = mergeLatency(parts);
  }
  return merged;
}

/** Interval points of processes that ran together, summed by position (their report ticks line up). */
function mergeIntervals(parts: ReadonlyArray<readonly IntervalPoint[]>): IntervalPoint[] {
  const length = Math.max(0, ...parts.map((points) => points.length));
  const merged: IntervalPoint[] = [];
  for (let index = 0; index < length; index++) {
    const here = parts.map((points) => points[index]).filter((point): point is IntervalPoint => point !== undefined);
    merged.push({
      t: Math.max(...here.map((point) => point.t)),
      seconds: Math.max(...here.map((point) => point.seconds)),
      inFlight: here.reduce((sum, point) => sum + point.inFlight, 0),
      completed: here.reduce((sum, point) => sum + point.completed, 0),
      failed: here.reduce((sum, point) => sum + point.failed, 0),
      rate: here.reduce((sum, point) => sum + point.rate, 0),
      // Per-interval percentiles cannot be merged exactly (no per-interval histograms): the worst one.
      p50: Math.max(...here.map((point) => point.p50)),
      p99: Math.max(...here.map((point) => point.p99)),
    });
  }
  return merged;
}

/**
 * One result from the results of several processes that ran the same load together (same run id):
 * counts summed, latencies merged exactly from the encoded histograms, throughput over the longest
 * measured time, the worst exit code.
 */
export function mergeResults(results: readonly RunResult[]): RunResult {
  const first = results[0]!;
  const measuredSeconds = Math.max(...results.map((result) => result.measured.seconds));
  const measured = sumCounts(results.map((result) => result.measured));
  const runIds = [...new Set(results.map((result) => result.runId))];
  const { openLoop: _firstOpenLoop, ...header } = first; // the slices' sum, below, or none
  return {
    ...header,
    schemaVersion: RESULT_SCHEMA_VERSION,
    runId: runIds.join('+'),
    startedAt: results.map((result) => result.startedAt).sort()[0]!,
    endedAt: results.map((result) => result.endedAt).sort().at(-1)!,
    interrupted: results.some((result) => result.interrupted),
    exitCode: Math.max(...results.map((result) => result.exitCode)),
    elapsedSeconds: Math.max(...results.map((result) => result.elapsedSeconds)),
    counts: { ...sumCounts(results.map((result) => result.counts)), missedArrivals: results.reduce((sum, result) => sum + result.counts.missedArrivals, 0) },
    warmup: { ...sumCounts(results.map((result) => result.warmup)), seconds: first.warmup.seconds },
    measured: { ...measured, seconds: measuredSeconds },
    throughput: {
      completedPerSecond: measuredSeconds > 0 ? measured.completed / measuredSeconds : 0,
      startedPerSecond: measuredSeconds > 0 ? measured.started / measuredSeconds : 0,
    },
    latency: {
      start: mergeLatency(results.map((result) => result.latency.start)),
      e2e: mergeLatency(results.map((result) => result.latency.e2e)),
      startLateness: mergeLatency(results.map((result) => result.latency.startLateness)),
    },
    operations: mergeOperations(results),
    historyReads: {
      failed: results.reduce((sum, result) => sum + result.historyReads.failed, 0),
      skipped: results.reduce((sum, result) => sum + result.historyReads.skipped, 0),
    },
    // Thresholds and verification belong to each process's own run; see the inputs for them.
    thresholds: [],
    verification: null,
    intervals: { compactions: Math.max(...results.map((result) => result.intervals.compactions)), points: mergeIntervals(results.map((result) => result.intervals.points)) },
    client: {
      cpuUserSeconds: results.reduce((sum, result) => sum + result.client.cpuUserSeconds, 0),
      cpuSystemSeconds: results.reduce((sum, result) => sum + result.client.cpuSystemSeconds, 0),
      cpuMsPerCompleted:
        measured.completed > 0
          ? (results.reduce((sum, result) => sum + result.client.cpuUserSeconds + result.client.cpuSystemSeconds, 0) * 1000) / results.reduce((sum, result) => sum + result.counts.completed, 0)
          : 0,
      maxRssMegabytes: Math.max(...results.map((result) => result.client.maxRssMegabytes)),
      embeddedWorker: results.some((result) => result.client.embeddedWorker),
    },
    drain: {
      ...first.drain,
      timedOut: results.some((result) => result.drain.timedOut),
      leftInFlight: results.reduce((sum, result) => sum + result.drain.leftInFlight, 0),
      terminated: results.reduce((sum, result) => sum + result.drain.terminated, 0),
    },
    serverHealth: sumServerHealth(results.map((result) => result.serverHealth)),
    ...mergeOpenLoop(results),
  };
}

/** Every process's refused attempts and outages (each process saw its own), in order of their start. */
export function sumServerHealth(parts: readonly ServerHealthResult[]): ServerHealthResult {
  return {
    throttledAttempts: parts.reduce((sum, part) => sum + part.throttledAttempts, 0),
    unavailableAttempts: parts.reduce((sum, part) => sum + part.unavailableAttempts, 0),
    unavailableSeconds: parts.reduce((sum, part) => sum + part.unavailableSeconds, 0),
    outages: parts.flatMap((part) => part.outages).sort((a, b) => a.start.localeCompare(b.start)),
  };
}

/** Held-back arrivals summed, the longest window; only when every result carries them (a partial sum would undercount). */
function mergeOpenLoop(results: readonly RunResult[]): Pick<RunResult, 'openLoop'> {
  const parts = results.map((result) => result.openLoop);
  if (parts.some((part) => part === undefined)) return {};
  const present = parts as OpenLoopResult[];
  return {
    openLoop: {
      heldByCap: present.reduce((sum, part) => sum + part.heldByCap, 0),
      windowSeconds: Math.max(...present.map((part) => part.windowSeconds)),
    },
  };
}

/** The stats of a saved result, for the summary printer. */
export function statsOfResult(result: RunResult): RunStats {
  return {
    mode: result.command === 'run' ? 'batch' : 'infinite',
    loadModel: result.loadModel.kind,
    ...result.counts,
    elapsedMs: result.elapsedSeconds * 1000,
    rate: result.elapsedSeconds > 0 ? result.counts.completed / result.elapsedSeconds : 0,
    stopReason: result.stopReason,
    drainTimedOut: result.drain.timedOut,
    warmupMs: result.warmup.seconds * 1000,
    warmup: result.warmup,
    measured: { ...result.measured, completedPerSecond: result.throughput.completedPerSecond, startedPerSecond: result.throughput.startedPerSecond },
  };
}
