import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../src/cli/outputs.js';
import { IntervalSeries } from '../../src/metrics/interval-series.js';
import { LatencyHistogram, type LatencySummary } from '../../src/metrics/latency-histogram.js';
import { evaluateThresholds, parseThreshold } from '../../src/metrics/thresholds.js';
import { verifyAgainstServer } from '../../src/metrics/verification.js';
import { buildRunResult, intervalRecord } from '../../src/report/result.js';
import { formatSummary, formatVerification } from '../../src/report/summary.js';
import { formatMillis } from '../../src/report/units.js';
import { makeInterval, makeStats, NO_DRAIN, NO_SERVER_TROUBLE } from '../helpers/run-stats.js';

const schema = JSON.parse(readFileSync(new URL('../../src/report/result.schema.json', import.meta.url), 'utf8'));

describe('formatMillis picks human units per value', () => {
  it.each([
    [0.0004, '0µs'], [0.25, '250µs'], [0.9994, '999µs'], [1, '1.00ms'], [12.345, '12.3ms'], [123.4, '123ms'],
    [999.4, '999ms'], [1000, '1.00s'], [1234, '1.23s'], [59_400, '59.4s'], [60_000, '1m00s'], [123_000, '2m03s'],
    [3_600_000, '1h00m'], [3_723_000, '1h02m'],
  ])('%d ms → %s', (ms, text) => expect(formatMillis(ms)).toBe(text));
});

const latency = (values: number[]): { histogram: LatencyHistogram; summary: LatencySummary } => {
  const histogram = LatencyHistogram.create();
  for (const value of values) histogram.recordMillis(value);
  return { histogram, summary: histogram.summary() };
};

describe('formatSummary', () => {
  const start = latency([1, 2, 3, 4, 100]);
  const e2e = latency([10, 20, 30, 40, 2500]);
  const none = latency([]);

  it('shows counts, a latency table, throughput, failures and thresholds with ✓/✗', () => {
    const stats = makeStats({ measured: { ...makeStats().measured, failed: 2, failuresByKind: { timed_out: 2 } } });
    const thresholds = evaluateThresholds([parseThreshold('e2e.p99<3s'), parseThreshold('failed.count==0')], {
      latency: { start: start.summary, e2e: e2e.summary }, completed: 100, failed: 2, completedPerSecond: 23.64,
    });
    const text = formatSummary({ stats, latency: { start: start.summary, e2e: e2e.summary, startLateness: none.summary }, wait: true, thresholds });
    const lines = text.split('\n');
    expect(lines[0]).toBe('Summary: 100 launched, 100 started, 100 completed, 2 failed in 4.23s');
    expect(lines[1]).toMatch(/^ {2}latency\s+count\s+min\s+mean\s+p50\s+p90\s+p95\s+p99\s+p99\.9\s+max$/);
    expect(lines[2]).toMatch(/^ {2}start\s+5\s+1\.00ms\s+22\.0ms\s+3\.00ms\s+100ms\s+100ms\s+100ms\s+100ms\s+100ms$/);
    expect(lines[3]).toMatch(/^ {2}e2e\s+5\s+10\.0ms\s+520ms\s+30\.0ms\s+2\.50s\s+2\.50s\s+2\.50s\s+2\.50s\s+2\.50s$/);
    expect(text).toContain('  throughput: 23.64 completed/s, 23.64 started/s');
    expect(text).toContain('  failures: timed_out=2');
    expect(text).toContain('Thresholds:\n  ✓ e2e.p99<3s (2.50s)\n  ✗ failed.count==0 (2)');
    expect(text).not.toContain('late starts');
    expect(text).not.toContain('sched-bench itself');
  });

  it('shows the tool\'s own CPU per workflow when given', () => {
    const text = formatSummary({
      stats: makeStats(), latency: { start: start.summary, e2e: e2e.summary, startLateness: none.summary }, wait: true, thresholds: [],
      client: { cpuUserSeconds: 1.2, cpuSystemSeconds: 0.3, cpuMsPerCompleted: 0.75, maxRssMegabytes: 120.4, embeddedWorker: true },
    });
    expect(text).toContain('  sched-bench itself: 750µs CPU per workflow (1.50s in all, embedded worker included), peak memory 120 MB');
  });

  it('leaves out e2e without wait, and adds lateness for an open loop; notes the warm-up', () => {
    const stats = makeStats({ loadModel: 'open', missedArrivals: 3, warmupMs: 5000, warmup: { ...makeStats().warmup, launched: 7, completed: 7 } });
    const text = formatSummary({ stats, latency: { start: start.summary, e2e: none.summary, startLateness: latency([0.5, 20]).summary }, wait: false, thresholds: [] });
    expect(text).not.toMatch(/^ {2}e2e/m);
    expect(text).toMatch(/^ {2}start lateness\s+2\s+500µs/m);
    expect(text).toContain('late starts: 0, arrivals never started: 3');
    expect(text).toContain('after a 5.00s warm-up (warm-up: 7 launched, 7 completed, 0 failed, not counted below)');
    expect(text).not.toContain('Thresholds:');
  });

  it('shows dashes for a latency without samples', () => {
    const text = formatSummary({ stats: makeStats(), latency: { start: none.summary, e2e: none.summary, startLateness: none.summary }, wait: true, thresholds: [] });
    expect(text).toMatch(/^ {2}e2e\s+0(\s+-){8}$/m);
  });
});

describe('verification against the server counts', () => {
  it('matches when every count agrees', () => {
    const stats = makeStats({ launched: 12, started: 11, completed: 9, failed: 3, inFlight: 0, failuresByKind: { start_rejected: 1, workflow_failed: 1, timed_out: 1 } });
    const verification = verifyAgainstServer(stats, { Completed: 9, Failed: 1, TimedOut: 1 }, true);
    expect(verification.matches).toBe(true);
    expect(verification.rows.map((row) => [row.what, row.tool, row.server])).toEqual([
      ['started', 11, 11], ['completed', 9, 9], ['failed (workflow)', 2, 2], ['running', 0, 0],
    ]);
    expect(formatVerification('r1', verification)).toMatch(/^Verification against the server \(workflows of run r1\): ✓ counts match\n/);
  });

  it('reports a difference row by row', () => {
    const verification = verifyAgainstServer(makeStats({ started: 100, completed: 100 }), { Completed: 99, Running: 1 }, true);
    expect(verification.matches).toBe(false);
    expect(verification.rows.filter((row) => !row.matches).map((row) => row.what)).toEqual(['completed', 'running']);
    expect(formatVerification('r1', verification)).toMatch(/✗ counts differ[\s\S]*completed\s+100\s+99\s+✗/);
  });

  it('checks only the starts of a start-only run', () => {
    const verification = verifyAgainstServer(makeStats({ started: 50, completed: 50 }), { Running: 20, Completed: 30 }, false);
    expect(verification).toMatchObject({ matches: true, rows: [{ what: 'started', tool: 50, server: 50 }] });
  });
});

describe('IntervalSeries', () => {
  it('keeps one point per interval until full, then halves the resolution', () => {
    const series = new IntervalSeries(4);
    for (let index = 1; index <= 3; index++) {
      series.add(makeInterval({ elapsedMs: index * 1000, intervalMs: 1000, completed: index * 10, rate: 10, latencyP50Ms: index, latencyP99Ms: 10 * index }));
    }
    expect(series.toArray()).toHaveLength(3);
    series.add(makeInterval({ elapsedMs: 4000, intervalMs: 1000, completed: 60, rate: 20, latencyP50Ms: 4, latencyP99Ms: 40 }));
    expect(series.compactions).toBe(1);
    expect(series.toArray()).toEqual([
      expect.objectContaining({ t: 2, seconds: 2, completed: 20, rate: 10, p50: 1.5, p99: 20 }),
      expect.objectContaining({ t: 4, seconds: 2, completed: 60, rate: 15, p50: 3.5, p99: 40 }),
    ]);
  });

  it('stays bounded over an endless run', () => {
    const series = new IntervalSeries(100);
    for (let index = 1; index <= 100_000; index++) series.add(makeInterval({ elapsedMs: index * 1000, intervalMs: 1000 }));
    expect(series.toArray().length).toBeLessThan(100);
    expect(series.toArray().at(-1)!.t).toBe(100_000);
  });
});

describe('the JSON result', () => {
  const input = () => {
    const start = latency([1, 2, 3]);
    const e2e = latency([10, 20, 30]);
    const lateness = latency([]);
    const thresholds = evaluateThresholds([parseThreshold('e2e.p99<1s'), parseThreshold('e2e.p50<1ms')], {
      latency: { start: start.summary, e2e: e2e.summary }, completed: 100, failed: 0, completedPerSecond: 20,
    });
    return {
      version: '0.1.0', runId: 'r1', command: 'run' as const, config: { concurrency: 10, thresholds: ['e2e.p99<1s'] },
      startedAt: new Date('2026-11-25T10:00:00Z'), endedAt: new Date('2026-11-25T10:00:05Z'), interrupted: false, exitCode: 99,
      server: { address: 'localhost:7233', namespace: 'default', taskQueue: 'benchmark', version: '1.32.0' },
      sdk: { '@temporalio/client': '1.24.0' }, loadModel: { kind: 'closed' as const, concurrency: 10 }, wait: true, workload: { kind: 'echo' as const },
      stats: makeStats(), histograms: { start: start.histogram, e2e: e2e.histogram, startLateness: lateness.histogram },
      thresholds, verification: undefined,
      intervals: { compactions: 0, points: [{ t: 1, seconds: 1, inFlight: 3, completed: 10, failed: 0, rate: 10, p50: 5, p99: 9 }] },
      client: { cpuUserSeconds: 1.2, cpuSystemSeconds: 0.3, cpuMsPerCompleted: 15, maxRssMegabytes: 120, embeddedWorker: false },
      drain: NO_DRAIN, serverHealth: NO_SERVER_TROUBLE,
    };
  };

  it('is valid against the JSON Schema, and the schema rejects a broken one', () => {
    const validate = new Ajv({ allErrors: true }).compile(schema);
    const result = buildRunResult(input());
    expect(validate(result), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({ ...result, counts: { ...result.counts, completed: -1 } })).toBe(false);
    expect(validate({ ...result, stopReason: 'bored' })).toBe(false);
    const { latency: _dropped, ...withoutLatency } = result;
    expect(validate(withoutLatency)).toBe(false);
  });

  it('carries percentiles and the encoded histogram, which decodes to the same numbers', () => {
    const result = buildRunResult(input());
    expect(result.latency.e2e).toMatchObject({ unit: 'ms', count: 3 });
    const { unit: _unit, encoded, ...numbers } = result.latency.e2e;
    const decoded = LatencyHistogram.decode(encoded).summary();
    // The encoding keeps every value to its HDR bucket: 3 significant digits.
    for (const [name, value] of Object.entries(numbers)) {
      expect(Math.abs(decoded[name as keyof typeof decoded] - value), name).toBeLessThanOrEqual(value * 0.001);
    }
    expect(decoded.count).toBe(numbers.count);
    expect(result.thresholds.map((threshold) => threshold.passed)).toEqual([true, false]);
    expect(result.startedAt).toBe('2026-11-25T10:00:00.000Z');
  });

  it('NDJSON interval records are flat JSON objects', () => {
    expect(intervalRecord('r1', makeInterval({ elapsedMs: 1000.4, intervalMs: 999.6 }))).toEqual({
      type: 'interval', runId: 'r1', t: 1, seconds: 1, inFlight: 8, started: 53, completed: 45, failed: 0, rate: 4.5, p50: 12, p99: 80, lateStarts: 0,
    });
  });
});

describe('writeFileAtomic', () => {
  it('replaces the file in one step and leaves no temp file behind', () => {
    const directory = mkdtempSync(join(tmpdir(), 'sched-bench-atomic-'));
    const path = join(directory, 'result.json');
    writeFileSync(path, 'old');
    writeFileAtomic(path, '{"new":true}\n');
    expect(readFileSync(path, 'utf8')).toBe('{"new":true}\n');
    expect(readdirSync(directory)).toEqual(['result.json']);
  });

  it('throws a UsageError naming the path when the directory is missing', () => {
    expect(() => writeFileAtomic('/nonexistent-dir/result.json', '{}')).toThrow(/cannot write \/nonexistent-dir\/result\.json/);
  });
});
