import { describe, expect, it } from 'vitest';
import { LatencyHistogram } from '../../src/metrics/latency-histogram.js';
import { mergeResults, statsOfResult } from '../../src/report/merge.js';
import { buildRunResult, type RunResult } from '../../src/report/result.js';
import { makeStats, NO_DRAIN, NO_SERVER_TROUBLE } from '../helpers/run-stats.js';

function resultWith(values: number[], completed: number, seconds: number, exitCode = 0): RunResult {
  const e2e = LatencyHistogram.create();
  for (const value of values) e2e.recordMillis(value);
  const base = makeStats();
  const counts = { ...base.measured, launched: completed + 1, started: completed + 1, completed, failed: 1, failuresByKind: { timed_out: 1 } };
  return buildRunResult({
    version: '0.1.0', runId: 'shared', command: 'infinite', config: {}, startedAt: new Date(seconds * 10), endedAt: new Date(seconds * 1000),
    interrupted: false, exitCode, server: { address: 'a:1', namespace: 'default', taskQueue: 'q', version: null }, sdk: {},
    loadModel: { kind: 'closed', concurrency: 5 }, wait: true,
    stats: { ...base, ...counts, measured: { ...counts, seconds, completedPerSecond: completed / seconds, startedPerSecond: 0 } },
    histograms: { start: LatencyHistogram.create(), e2e, startLateness: LatencyHistogram.create() }, thresholds: [], verification: undefined,
    intervals: { compactions: 0, points: [{ t: 1, seconds: 1, inFlight: 5, completed, failed: 1, rate: completed, p50: 1, p99: 2 }] },
    drain: NO_DRAIN, serverHealth: NO_SERVER_TROUBLE, client: { cpuUserSeconds: 1, cpuSystemSeconds: 1, cpuMsPerCompleted: 0, maxRssMegabytes: 100, embeddedWorker: false },
  });
}

describe('mergeResults', () => {
  const slow = Array.from({ length: 300 }, (_, index) => 200 + index);
  const fast = Array.from({ length: 700 }, (_, index) => 5 + index / 10);
  const merged = mergeResults([resultWith(slow, 300, 10, 0), resultWith(fast, 700, 8, 99)]);

  it('gives the exact percentiles of all samples together', () => {
    const together = LatencyHistogram.create();
    for (const value of [...slow, ...fast]) together.recordMillis(value);
    const { unit: _unit, encoded: _encoded, max, p999, ...numbers } = merged.latency.e2e;
    const { max: exactMax, p999: exactP999, ...exact } = together.summary();
    expect(numbers).toEqual(exact);
    // The exact maximum is not in the encoding: after a merge max is its bucket's top (within 0.1%),
    // and p99.9 may be capped by it on one side only.
    expect(Math.abs(max - exactMax)).toBeLessThanOrEqual(exactMax * 0.001);
    expect(Math.abs(p999 - exactP999)).toBeLessThanOrEqual(exactP999 * 0.001);
  });

  it('sums counts and failures, takes the longest measured time for throughput and the worst exit code', () => {
    expect(merged.measured).toMatchObject({ completed: 1000, failed: 2, failuresByKind: { timed_out: 2 }, seconds: 10 });
    expect(merged.throughput.completedPerSecond).toBe(100);
    expect(merged.exitCode).toBe(99);
    expect(merged.runId).toBe('shared');
    expect(merged.intervals.points[0]).toMatchObject({ completed: 1000, rate: 1000, inFlight: 10 });
    expect(statsOfResult(merged)).toMatchObject({ mode: 'infinite', measured: { completed: 1000, completedPerSecond: 100 } });
  });
});
