import { describe, expect, it } from 'vitest';
import { LatencyHistogram } from '../../src/metrics/latency-histogram.js';
import { checkMergeable, firstDifference, MergeRefusal, mergeResults, statsOfResult } from '../../src/report/merge.js';
import type { AnyResult } from '../../src/report/read-result.js';
import { buildRunResult, type RunResult } from '../../src/report/result.js';
import { makeStats, NO_DRAIN, NO_SERVER_TROUBLE } from '../helpers/run-stats.js';
import { makeRunResult, makeSchedulesResult } from '../helpers/results.js';

function resultWith(values: number[], completed: number, seconds: number, exitCode = 0): RunResult {
  const e2e = LatencyHistogram.create();
  for (const value of values) e2e.recordMillis(value);
  const base = makeStats();
  const counts = { ...base.measured, launched: completed + 1, started: completed + 1, completed, failed: 1, failuresByKind: { timed_out: 1 } };
  return buildRunResult({
    version: '0.1.0', runId: 'shared', command: 'infinite', config: {}, startedAt: new Date(seconds * 10), endedAt: new Date(seconds * 1000),
    interrupted: false, exitCode, server: { address: 'a:1', namespace: 'default', taskQueue: 'q', version: null }, sdk: {},
    loadModel: { kind: 'closed', concurrency: 5 }, wait: true, workload: { kind: 'echo' },
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

  it('sums every process\'s server health and open-loop counts (not the first one\'s alone)', () => {
    const health = (throttled: number, start: string) => ({ throttledAttempts: throttled, unavailableAttempts: 1, unavailableSeconds: 2, outages: [{ start, end: null, seconds: 2 }] });
    const a: RunResult = { ...resultWith(fast, 700, 8), serverHealth: health(3, '2026-01-01T00:00:09.000Z'), openLoop: { heldByCap: 4, windowSeconds: 7.5 } };
    const b: RunResult = { ...resultWith(slow, 300, 10), serverHealth: health(5, '2026-01-01T00:00:01.000Z'), openLoop: { heldByCap: 6, windowSeconds: 8 } };
    const both = mergeResults([a, b]);
    expect(both.serverHealth).toEqual({
      throttledAttempts: 8, unavailableAttempts: 2, unavailableSeconds: 4,
      outages: [{ start: '2026-01-01T00:00:01.000Z', end: null, seconds: 2 }, { start: '2026-01-01T00:00:09.000Z', end: null, seconds: 2 }],
    });
    expect(both.openLoop).toEqual({ heldByCap: 10, windowSeconds: 8 });
    // one process without the count: no sum (it would undercount), not the first one's
    const { openLoop: _none, ...older } = b;
    expect(mergeResults([a, older as RunResult]).openLoop).toBeUndefined();
  });
});

describe('checkMergeable refuses what cannot be merged, naming both files and the field', () => {
  const a = makeRunResult({ runId: 'shared', startedAt: '2026-01-01T00:00:00.000Z' }, [10, 20]);
  const b = makeRunResult({ runId: 'shared', startedAt: '2026-01-01T00:00:00.120Z' }, [11, 21]);
  const inputs = (...results: Array<[string, AnyResult]>) => results.map(([file, result]) => ({ file, result }));
  const refusal = (run: () => unknown): string => {
    try {
      run();
    } catch (error) {
      expect(error).toBeInstanceOf(MergeRefusal);
      return (error as Error).message;
    }
    throw new Error('merged');
  };

  it('merges two processes of one run', () => {
    expect(checkMergeable(inputs(['a.json', a], ['b.json', b]), false)).toEqual([a, b]);
  });

  it('the same result twice (the same file, or a copy): its counts would double', () => {
    expect(refusal(() => checkMergeable(inputs(['a.json', a], ['b.json', b], ['copy.json', structuredClone(a)]), true))).toBe(
      'cannot merge a.json and copy.json: they are the same result (run shared started 2026-01-01T00:00:00.000Z); merging it twice would double its counts',
    );
  });

  it.each([
    ['command', { command: 'infinite' }, /command differs \("run" vs "infinite"\)/],
    ['loadModel.kind', { loadModel: { kind: 'open', concurrency: 2, rate: 5, wait: true } }, /loadModel\.kind differs \("closed" vs "open"\)/],
    ['loadModel.wait', { loadModel: { kind: 'closed', concurrency: 2, wait: false } }, /loadModel\.wait differs \(true vs false\)/],
  ] as const)('different %s, even with --force-merge', (_, change, message) => {
    const other = { ...b, ...change } as RunResult;
    expect(refusal(() => checkMergeable(inputs(['a.json', a], ['b.json', other]), true))).toMatch(new RegExp(`^cannot merge a\\.json and b\\.json: ${message.source}`));
  });

  const mix = (signals: number, weights: [number, number], seed: number) => ({
    name: 'mix', seed, parts: [{ name: 'echo', count: 1, weight: weights[0] }, { name: 'signal', signals, weight: weights[1] }],
  });
  it.each([
    ['the workload', { name: 'echo', count: 1 }, { name: 'signal', signals: 3 }, 'workload.name differs ("echo" vs "signal")'],
    ['--signals', { name: 'signal', signals: 3 }, { name: 'signal', signals: 5 }, 'workload.signals differs (3 vs 5)'],
    ['--timer-duration', { name: 'timer', timerDurationMs: 1000 }, { name: 'timer', timerDurationMs: 500 }, 'workload.timerDurationMs differs (1000 vs 500)'],
    ['--count', { name: 'echo', count: 1 }, { name: 'echo', count: 2 }, 'workload.count differs (1 vs 2)'],
    ['--activity-delay (given to one only)', { name: 'echo', count: 1 }, { name: 'echo', count: 1, activityDelayMs: 50 }, 'workload.activityDelayMs differs (none vs 50)'],
    ['a mix weight', mix(3, [70, 30], 1), mix(3, [60, 30], 1), 'workload.parts[0].weight differs (70 vs 60)'],
    ['a mix part\'s --signals', mix(3, [70, 30], 1), mix(2, [70, 30], 1), 'workload.parts[1].signals differs (3 vs 2)'],
    ['the mix seed', mix(3, [70, 30], 1), mix(3, [70, 30], 7), 'workload.seed differs (1 vs 7)'],
    ['the mix parts', mix(3, [70, 30], 1), { ...mix(3, [70, 30], 1), parts: mix(3, [70, 30], 1).parts.slice(0, 1) }, 'workload.parts[1] differs ({"name":"signal","signals":3,"weight":30} vs none)'],
  ])('different workload parameters: %s, even with --force-merge', (_, first, second, message) => {
    const one = { ...a, workload: first } as RunResult;
    const two = { ...b, workload: second } as RunResult;
    expect(refusal(() => checkMergeable(inputs(['a.json', one], ['b.json', two]), true))).toBe(
      `cannot merge a.json and b.json: ${message}: different workloads are different loads`,
    );
  });

  it('the same workload merges, whatever the order of its fields', () => {
    const one = { ...a, workload: mix(3, [70, 30], 1) } as RunResult;
    const reordered = { parts: mix(3, [70, 30], 1).parts.map(({ weight, signals, count, name }) => ({ weight, signals, count, name })), seed: 1, name: 'mix' };
    const two = { ...b, workload: reordered } as RunResult;
    expect(checkMergeable(inputs(['a.json', one], ['b.json', two]), false)).toHaveLength(2);
  });

  it('firstDifference: deep equality of JSON values, naming the path of the first difference', () => {
    expect(firstDifference({ x: [1, { y: 2 }] }, { x: [1, { y: 2 }] }, 'v')).toBeUndefined();
    expect(firstDifference({ x: [1, { y: 2 }] }, { x: [1, { y: 3 }] }, 'v')).toEqual({ path: 'v.x[1].y', a: 2, b: 3 });
    expect(firstDifference([1], [1, 2], 'v')).toEqual({ path: 'v[1]', a: undefined, b: 2 });
    expect(firstDifference({ a: 1 }, [1], 'v')).toEqual({ path: 'v', a: { a: 1 }, b: [1] });
    expect(firstDifference(null, {}, 'v')).toEqual({ path: 'v', a: null, b: {} });
  });

  it('different run ids unless --force-merge', () => {
    const other = { ...b, runId: 'other' };
    expect(refusal(() => checkMergeable(inputs(['a.json', a], ['b.json', other]), false))).toBe(
      'cannot merge a.json and b.json: runId differs ("shared" vs "other"); they are separate runs (add --force-merge if they ran the same load together)',
    );
    expect(checkMergeable(inputs(['a.json', a], ['b.json', other]), true)).toHaveLength(2);
    expect(mergeResults([a, other]).runId).toBe('shared+other');
  });

  it('a schedules result, alone or with a run result', () => {
    expect(refusal(() => checkMergeable(inputs(['a.json', a], ['s.json', makeSchedulesResult()]), true))).toBe(
      'cannot merge s.json: it is a schedules result (command "schedules"); only run and infinite results merge',
    );
  });
});
