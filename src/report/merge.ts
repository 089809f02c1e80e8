import type { FailureKind } from '../errors.js';
import { LatencyHistogram } from '../metrics/latency-histogram.js';
import type { IntervalPoint } from '../metrics/interval-series.js';
import type { LaunchCountsSnapshot, RunStats } from '../scheduler/types.js';
import type { LatencyResult, RunResult } from './result.js';

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
  return {
    ...first,
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
