import { describe, expect, it } from 'vitest';
import { outcomesOf, sliceRecordsOf } from '../../src/agents/outcomes.js';
import { aggregateInterval, HeartbeatTally, intervalPercentiles } from '../../src/agents/progress.js';
import { LatencyHistogram } from '../../src/metrics/latency-histogram.js';
import { formatIntervalLine } from '../../src/report/lines.js';
import { checkMergeable, mergeResults } from '../../src/report/merge.js';
import { checkResult } from '../../src/report/read-result.js';
import type { RunResult } from '../../src/report/result.js';
import type { SliceHeartbeat } from '../../workflows/coordinator-types.js';
import { makeRunResult } from '../helpers/results.js';

function heartbeat(shard: string, counts: Partial<SliceHeartbeat> = {}): SliceHeartbeat {
  return {
    agent: `agent-${shard}`, index: Number(shard.slice(1)), shard, launched: 0, started: 0, completed: 0, failed: 0, inFlight: 0,
    intervalRate: 0, intervalP50: null, intervalP99: null, elapsedMs: 0, ...counts,
  };
}

describe('the aggregate interval line from the agents\' heartbeats', () => {
  it('sums in flight, completed and the interval rates; p50/p99 are the largest of the agents\'', () => {
    const report = aggregateInterval(
      [
        heartbeat('s0', { inFlight: 3, completed: 40, started: 43, failed: 1, intervalRate: 10.25, intervalP50: 12, intervalP99: 40 }),
        heartbeat('s1', { inFlight: 5, completed: 35, started: 40, intervalRate: 9.5, intervalP50: 20, intervalP99: 33 }),
      ],
      [],
      2000,
      { completed: 50, elapsedMs: 1000 },
    );
    expect(report).toMatchObject({
      elapsedMs: 2000, intervalMs: 1000, inFlight: 8, completed: 75, started: 83, failed: 1, completedInInterval: 25, rate: 19.75,
      latencyP50Ms: 20, latencyP99Ms: 40,
    });
    expect(formatIntervalLine(report)).toBe('Concurrent: 8 Workflows: 75 Rate: 19.75 Failed: 1');
  });

  it('merges the agents\' interval histograms into the exact p50/p99 of all their samples', () => {
    const histogramOf = (samples: number[]) => {
      const histogram = LatencyHistogram.create();
      for (const ms of samples) histogram.recordMillis(ms);
      return histogram;
    };
    // Agent s0 is fast, s1 slow and busier: the largest of their p50s (s1's 400 ms) is not the merged median.
    const fast = Array.from({ length: 60 }, (_, i) => 10 + i);
    const slow = Array.from({ length: 40 }, (_, i) => 400 + 10 * i);
    const all = histogramOf([...fast, ...slow]);
    const running = [
      heartbeat('s0', { intervalP50: 40, intervalP99: 69, intervalLatency: histogramOf(fast).encode() }),
      heartbeat('s1', { intervalP50: 600, intervalP99: 790, intervalLatency: histogramOf(slow).encode() }),
    ];
    expect(intervalPercentiles(running)).toEqual({ p50: all.percentileMillis(50), p99: all.percentileMillis(99) });
    expect(all.percentileMillis(50)).toBeLessThan(100);
    expect(aggregateInterval(running, [], 1000, undefined)).toMatchObject({ latencyP50Ms: all.percentileMillis(50), latencyP99Ms: all.percentileMillis(99) });
  });

  it('falls back to the largest percentiles when a heartbeat has no histogram or one that does not decode', () => {
    const encoded = LatencyHistogram.create().encode();
    const withoutOne = [heartbeat('s0', { intervalP50: 5, intervalP99: 9, intervalLatency: encoded }), heartbeat('s1', { intervalP50: 7, intervalP99: 8 })];
    expect(intervalPercentiles(withoutOne)).toEqual({ p50: 7, p99: 9 });
    const corrupt = [heartbeat('s0', { intervalP50: 5, intervalP99: 9, intervalLatency: 'not a histogram' })];
    expect(intervalPercentiles(corrupt)).toEqual({ p50: 5, p99: 9 });
  });

  it('keeps an ended slice\'s counts in the totals, without in-flight or rate', () => {
    const tally = new HeartbeatTally();
    const first = tally.report([heartbeat('s0', { completed: 10, inFlight: 2, intervalRate: 5 }), heartbeat('s1', { completed: 8, inFlight: 2, intervalRate: 4 }), null], 1000);
    expect(formatIntervalLine(first)).toBe('Concurrent: 4 Workflows: 18 Rate: 9.00');
    // s1 ended (gone from the pending activities), s2 sent its first heartbeat
    const second = tally.report([heartbeat('s0', { completed: 20, inFlight: 1, intervalRate: 10 }), heartbeat('s2', { completed: 3, inFlight: 4, intervalRate: 3 })], 2000);
    expect(second).toMatchObject({ inFlight: 5, completed: 31, rate: 13, completedInInterval: 13, intervalMs: 1000 });
    expect([...tally.lastHeartbeats().keys()].sort()).toEqual(['s0', 's1', 's2']);
  });

  it('with no heartbeat yet: zeros, not NaN', () => {
    expect(formatIntervalLine(new HeartbeatTally().report([null, null], 500))).toBe('Concurrent: 0 Workflows: 0 Rate: 0.00');
  });
});

/** A slice's result document: makeRunResult with its run id, counts and latencies. */
function sliceResult(shard: string, completed: number, e2e: number[]): Record<string, unknown> {
  const base = makeRunResult({ runId: 'run-1' }, e2e);
  const counts = { ...base.counts, launched: completed, started: completed, completed, failed: 0, inFlight: 0 };
  const document: RunResult = { ...base, counts, measured: { ...base.measured, ...counts }, startedAt: `2026-01-01T00:00:0${shard.slice(1)}.000Z` };
  return document as unknown as Record<string, unknown>;
}

describe('outcomes of a distributed run', () => {
  it('merges the finished slices; lost, failed and not-taken ones are reported beside, never added', () => {
    const finished0 = sliceResult('s0', 100, [10, 20, 30]);
    const finished1 = sliceResult('s1', 90, [15, 25]);
    const outcomes = outcomesOf({
      stopped: false,
      outcomes: [
        { index: 0, shard: 's0', status: 'finished', agent: 'a', result: finished0 },
        { index: 2, shard: 's2', status: 'lost', agent: 'c', reason: 'heartbeat timeout', lastHeartbeat: heartbeat('s2', { launched: 45, started: 45, completed: 40, inFlight: 5 }) },
        { index: 1, shard: 's1', status: 'finished', agent: 'b', result: finished1 },
        { index: 3, shard: 's3', status: 'not-taken', reason: 'no agent took it within 30s' },
        { index: 4, shard: 's4', status: 'failed', agent: 'd', lastHeartbeat: null, reason: 'namespace not found' },
      ],
    });
    const expected = mergeResults(checkMergeable([{ file: 'a', result: checkResult(finished0) }, { file: 'b', result: checkResult(finished1) }], false));
    expect(outcomes.merged).toEqual(expected);
    expect(outcomes.merged!.counts.completed).toBe(190);
    expect(outcomes.merged!.latency.e2e.count).toBe(5);
    expect(outcomes.finished).toEqual([
      { index: 0, shard: 's0', agent: 'a', counts: { launched: 100, started: 100, completed: 100, failed: 0, inFlight: 0 }, interrupted: false, stopReason: 'total-reached', measuredSeconds: 4.23 },
      { index: 1, shard: 's1', agent: 'b', counts: { launched: 90, started: 90, completed: 90, failed: 0, inFlight: 0 }, interrupted: false, stopReason: 'total-reached', measuredSeconds: 4.23 },
    ]);
    expect(outcomes.lost).toEqual([{ index: 2, shard: 's2', agent: 'c', reason: 'heartbeat timeout', lastCounts: { launched: 45, started: 45, completed: 40, failed: 0, inFlight: 5 } }]);
    expect(outcomes.notTaken).toEqual([{ index: 3, shard: 's3', reason: 'no agent took it within 30s' }]);
    expect(outcomes.failed).toEqual([{ index: 4, shard: 's4', agent: 'd', lastCounts: null, reason: 'namespace not found' }]);
    expect(outcomes.stopped).toBe(false);
  });

  it('a lost slice re-run elsewhere: the re-run\'s result is merged, the lost attempt\'s counts only reported', () => {
    const outcomes = outcomesOf({
      stopped: false,
      outcomes: [
        { index: 0, shard: 's0', status: 'finished', agent: 'a', result: sliceResult('s0', 100, [10]) },
        { index: 1, shard: 's1', status: 'lost', agent: 'b', reason: 'heartbeat timeout', lastHeartbeat: heartbeat('s1', { completed: 30, launched: 30, started: 30 }) },
        { index: 1, shard: 's1r1', status: 'finished', agent: 'a', result: sliceResult('s2', 70, [11]) },
      ],
    });
    expect(outcomes.merged!.counts.completed).toBe(170);
    expect(outcomes.lost[0]!.lastCounts!.completed).toBe(30);
  });

  it('lists every attempt for the document, by index then attempt; a finished rerun’s note is its reason', () => {
    const outcomes = outcomesOf({
      stopped: false,
      outcomes: [
        { index: 1, shard: 's1r1', status: 'lost', agent: 'c', reason: 'heartbeat timeout', lastHeartbeat: null },
        { index: 1, shard: 's1', status: 'lost', agent: 'b', reason: 'heartbeat timeout', lastHeartbeat: heartbeat('s1', { completed: 30, launched: 30, started: 30 }) },
        { index: 1, shard: 's1r2', status: 'finished', agent: 'a', result: sliceResult('s2', 70, [11]), note: 'counted on the server' },
        { index: 0, shard: 's0', status: 'finished', agent: 'a', result: sliceResult('s0', 100, [10]) },
        { index: 2, shard: 's2', status: 'not-taken', reason: 'no agent' },
        { index: 3, shard: 's3', status: 'failed', agent: 'd', lastHeartbeat: null, reason: 'refused' },
      ],
    });
    expect(sliceRecordsOf(outcomes)).toEqual([
      { index: 0, shard: 's0', agent: 'a', status: 'finished', reason: null, counts: { launched: 100, started: 100, completed: 100, failed: 0, inFlight: 0 } },
      { index: 1, shard: 's1', agent: 'b', status: 'lost', reason: 'heartbeat timeout', counts: { launched: 30, started: 30, completed: 30, failed: 0, inFlight: 0 } },
      { index: 1, shard: 's1r1', agent: 'c', status: 'lost', reason: 'heartbeat timeout', counts: null },
      { index: 1, shard: 's1r2', agent: 'a', status: 'finished', reason: 'counted on the server', counts: { launched: 70, started: 70, completed: 70, failed: 0, inFlight: 0 } },
      { index: 2, shard: 's2', agent: null, status: 'not-taken', reason: 'no agent', counts: null },
      { index: 3, shard: 's3', agent: 'd', status: 'failed', reason: 'refused', counts: null },
    ]);
  });

  it('a damaged result document is a failed slice naming the field, and the rest still merge', () => {
    const damaged = sliceResult('s1', 10, [1]);
    (damaged.latency as { e2e: { count: number } }).e2e.count = 99;
    const outcomes = outcomesOf({
      stopped: true,
      outcomes: [
        { index: 0, shard: 's0', status: 'finished', agent: 'a', result: sliceResult('s0', 100, [10]) },
        { index: 1, shard: 's1', status: 'finished', agent: 'b', result: damaged },
      ],
    });
    expect(outcomes.failed).toHaveLength(1);
    expect(outcomes.failed[0]!.reason).toMatch(/^its result is damaged: latency\.e2e\.encoded: the histogram holds 1 values, count says 99$/);
    expect(outcomes.merged!.counts.completed).toBe(100);
    expect(outcomes.stopped).toBe(true);
  });

  it('results that do not merge (different workloads) are told, not thrown', () => {
    const other = { ...sliceResult('s1', 10, [1]), workload: { name: 'timer', timerDurationMs: 5 } };
    const outcomes = outcomesOf({
      stopped: false,
      outcomes: [
        { index: 0, shard: 's0', status: 'finished', agent: 'a', result: sliceResult('s0', 100, [10]) },
        { index: 1, shard: 's1', status: 'finished', agent: 'b', result: other },
      ],
    });
    expect(outcomes.merged).toBeUndefined();
    expect(outcomes.mergeProblem).toMatch(/workload\.name differs/);
    expect(outcomes.finished).toHaveLength(2);
  });

  it('nothing finished: no merged result', () => {
    const outcomes = outcomesOf({ stopped: false, outcomes: [{ index: 0, shard: 's0', status: 'not-taken', reason: 'no agent' }] });
    expect(outcomes.merged).toBeUndefined();
    expect(outcomes.mergeProblem).toBeUndefined();
  });
});
