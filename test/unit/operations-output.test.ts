import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { LatencyHistogram } from '../../src/metrics/latency-histogram.js';
import { renderHtmlReport } from '../../src/report/html.js';
import { checkMergeable, mergeResults } from '../../src/report/merge.js';
import { PrometheusExporter } from '../../src/report/prometheus.js';
import { checkResult } from '../../src/report/read-result.js';
import { buildRunResult, RESULT_SCHEMA_VERSION, runEndRecord, workloadResult, type RunResult } from '../../src/report/result.js';
import { formatSummary } from '../../src/report/summary.js';
import { OPERATION_NAMES } from '../../src/shared/operations.js';
import { makeRunResult, makeUpdateRunResult } from '../helpers/results.js';
import { makeStats, NO_DRAIN, NO_SERVER_TROUBLE } from '../helpers/run-stats.js';

const runSchema = JSON.parse(readFileSync(new URL('../../src/report/result.schema.json', import.meta.url), 'utf8'));
const ndjsonSchema = JSON.parse(readFileSync(new URL('../../src/report/ndjson-record.schema.json', import.meta.url), 'utf8'));

function histogramOf(values: readonly number[]): LatencyHistogram {
  const histogram = LatencyHistogram.create();
  for (const value of values) histogram.recordMillis(value);
  return histogram;
}

const none = histogramOf([]);
const start = histogramOf([1, 2, 3]);
const e2e = histogramOf([50, 60, 70]);
const signalSent = histogramOf([2, 3, 4, 5]);
const signalHandled = histogramOf([10, 20, 30, 40]);

/** A signal run's result as the CLI builds it (operations given in an order other than the table's). */
function signalRunResult(): RunResult {
  return buildRunResult({
    version: '0.1.0', runId: 'r1', command: 'run', config: {}, startedAt: new Date(0), endedAt: new Date(5000), interrupted: false, exitCode: 0,
    server: { address: 'localhost:7233', namespace: 'default', taskQueue: 'q', version: null }, sdk: {},
    loadModel: { kind: 'closed', concurrency: 2 }, wait: true, workload: { kind: 'signal', signals: 4, withStart: true }, stats: makeStats(),
    histograms: { start, e2e, startLateness: none },
    operations: { 'signal.handled': { histogram: signalHandled }, 'signal.sent': { histogram: signalSent } },
    historyReads: { failed: 1, skipped: 2 },
    thresholds: [], verification: undefined, intervals: { compactions: 0, points: [] }, drain: NO_DRAIN, serverHealth: NO_SERVER_TROUBLE,
    client: { cpuUserSeconds: 0, cpuSystemSeconds: 0, cpuMsPerCompleted: 0, maxRssMegabytes: 0, embeddedWorker: false },
  });
}

describe('the JSON result of a workload run', () => {
  const result = signalRunResult();

  it('names the workload and carries each measured operation like the other latencies, in the table\'s order; valid by the schema', () => {
    expect(result.schemaVersion).toBe(RESULT_SCHEMA_VERSION);
    expect(result.workload).toEqual({ name: 'signal-with-start', signals: 4 });
    expect(Object.keys(result.operations)).toEqual(['signal.sent', 'signal.handled']);
    expect(result.operations['signal.handled']).toMatchObject({ unit: 'ms', count: 4, min: signalHandled.summary().min, p99: signalHandled.summary().p99 });
    const decoded = LatencyHistogram.decode(result.operations['signal.sent']!.encoded);
    expect(decoded.count).toBe(4);
    expect(decoded.percentileMillis(50)).toBe(signalSent.percentileMillis(50));
    expect(result.historyReads).toEqual({ failed: 1, skipped: 2 });
    const ajv = new Ajv({ allErrors: true });
    expect(ajv.validate(runSchema, result), JSON.stringify(ajv.errors)).toBe(true);
    expect(ajv.validate(runSchema, { ...result, operations: { 'signal.lost': result.operations['signal.sent'] } })).toBe(false);
    expect(checkResult(structuredClone(result))).toEqual(result);
  });

  it('an echo run has no operations', () => {
    const echo = makeRunResult();
    expect(echo.operations).toEqual({});
    expect(echo.workload).toEqual({ name: 'echo' });
  });

  it.each([
    [{ kind: 'echo', count: 2, activityDelayMs: 5, localActivities: true }, { name: 'echo', count: 2, activityDelayMs: 5, localActivities: true }],
    [{ kind: 'custom', workflowType: 'MyFlow', args: ['secret-ish'] }, { name: 'custom', workflowType: 'MyFlow' }],
    [{ kind: 'update', updates: 3, withStart: false }, { name: 'update', updates: 3 }],
    [{ kind: 'query', queries: 5 }, { name: 'query', queries: 5 }],
    [{ kind: 'child', children: 10 }, { name: 'child', children: 10 }],
    [{ kind: 'timer', durationMs: 1500 }, { name: 'timer', timerDurationMs: 1500 }],
    [{ kind: 'continue-as-new', iterations: 4 }, { name: 'continue-as-new', iterations: 4 }],
    [
      { kind: 'mix', seed: 7, parts: [{ weight: 70, workload: { kind: 'echo' } }, { weight: 30, workload: { kind: 'update', updates: 1, withStart: true } }] },
      { name: 'mix', seed: 7, parts: [{ name: 'echo', weight: 70 }, { name: 'update-with-start', updates: 1, weight: 30 }] },
    ],
  ] as const)('workload %j is written as %j (valid by the schema)', (workload, expected) => {
    const written = workloadResult(workload as Parameters<typeof workloadResult>[0]);
    expect(written).toEqual(expected);
    const ajv = new Ajv();
    expect(ajv.validate(runSchema, { ...makeRunResult(), workload: written }), JSON.stringify(ajv.errors)).toBe(true);
  });

  it('reads a schema version 1 result as today\'s: no operations, the echo or --workflow-type workload', () => {
    const { workload: _w, operations: _o, historyReads: _h, ...rest } = makeRunResult();
    const v1 = { ...rest, schemaVersion: 1 };
    expect(checkResult(structuredClone(v1))).toMatchObject({ schemaVersion: RESULT_SCHEMA_VERSION, workload: { name: 'echo' }, operations: {}, historyReads: { failed: 0, skipped: 0 } });
    expect(checkResult({ ...structuredClone(v1), config: { workflowType: 'MyFlow' } })).toMatchObject({ workload: { name: 'custom', workflowType: 'MyFlow' } });
    // Version 2 requires what version 1 lacked.
    expect(() => checkResult({ ...structuredClone(v1), schemaVersion: 2 })).toThrow(/workload: missing/);
  });

  it('refuses an operation that is not in the table, or whose histogram disagrees with its count', () => {
    const good = makeUpdateRunResult();
    expect(() => checkResult({ ...structuredClone(good), operations: { 'update.sent': good.operations['update.accepted'] } })).toThrow(/operations\.update\.sent: not an operation/);
    expect(() => checkResult({ ...structuredClone(good), operations: { 'update.accepted': { ...good.operations['update.accepted']!, count: 99 } } }))
      .toThrow(/operations\.update\.accepted\.encoded: the histogram holds 6 values, count says 99/);
  });
});

describe('the summary of a workload run', () => {
  const latency = { start: start.summary(), e2e: e2e.summary(), startLateness: none.summary() };

  it('has one row per operation after the start and e2e rows, in the table\'s order and style', () => {
    const text = formatSummary({
      stats: makeStats(), latency, wait: true, thresholds: [],
      operations: { 'signal.handled': { summary: signalHandled.summary() }, 'signal.sent': { summary: signalSent.summary() } },
    });
    const lines = text.split('\n');
    const header = lines.findIndex((line) => /^\s+latency\s+count\s+min/.test(line));
    expect(lines[header + 1]).toMatch(/^\s+start\s+3\s/);
    expect(lines[header + 2]).toMatch(/^\s+e2e\s+3\s/);
    expect(lines[header + 3]).toMatch(/^\s+signal\.sent\s+4\s+2\.00ms\s/);
    expect(lines[header + 4]).toMatch(/^\s+signal\.handled\s+4\s+10\.0ms\s/);
    // Same columns: every row of the table is as wide as its header.
    const widths = lines.slice(header, header + 5).map((line) => line.length);
    expect(lines[header + 4]!.trimEnd().length).toBe(Math.max(...widths));
    expect(text).not.toContain('history reads');
  });

  it('a history latency under 1 ms shows as <1ms (the server\'s times are whole milliseconds); a client one as measured', () => {
    const zeroAndMore = LatencyHistogram.create();
    for (const ms of [0, 0, 0, 12]) zeroAndMore.recordMillis(ms);
    const fast = LatencyHistogram.create();
    fast.recordMillis(0.4);
    const text = formatSummary({
      stats: makeStats(), latency, wait: true, thresholds: [],
      operations: { 'workflow_task.schedule_to_start': { summary: zeroAndMore.summary() }, 'query.answered': { summary: fast.summary() } },
    });
    expect(text).toMatch(/^\s+workflow_task\.schedule_to_start\s+4\s+<1ms\s+3\.00ms\s+<1ms\s+12\.0ms\s/m);
    expect(text).toMatch(/^\s+query\.answered\s+1\s+400µs\s/m);
  });

  it('an echo run\'s summary is as it was (no operation rows); missing history reads are told', () => {
    const echo = formatSummary({ stats: makeStats(), latency, wait: true, thresholds: [] });
    expect(formatSummary({ stats: makeStats(), latency, wait: true, thresholds: [], operations: {}, historyReads: { failed: 0, skipped: 0 } })).toBe(echo);
    for (const name of OPERATION_NAMES) expect(echo).not.toContain(name);
    const withMissing = formatSummary({ stats: makeStats(), latency, wait: true, thresholds: [], historyReads: { failed: 2, skipped: 3 } });
    expect(withMissing).toContain('  history reads: 2 failed, 3 skipped (too many under way); their operation samples are missing');
  });

  it('a saved result\'s operations (LatencyResult) print the same rows', () => {
    const saved = signalRunResult();
    const live = formatSummary({ stats: makeStats(), latency, wait: true, thresholds: [], operations: { 'signal.sent': { summary: signalSent.summary() }, 'signal.handled': { summary: signalHandled.summary() } } });
    expect(formatSummary({ stats: makeStats(), latency, wait: true, thresholds: [], operations: saved.operations })).toBe(live);
  });
});

describe('the NDJSON end record of a workload run', () => {
  it('carries the operations\' summaries and the history reads; valid by the schema', () => {
    const end = runEndRecord({
      runId: 'r1', command: 'run', stats: makeStats(), interrupted: false, exitCode: 0, thresholds: [],
      latency: { start: start.summary(), e2e: e2e.summary() },
      operations: { 'signal.sent': { summary: signalSent.summary() } }, historyReads: { failed: 0, skipped: 1 },
    });
    expect(end.operations).toEqual({ 'signal.sent': signalSent.summary() });
    expect(end.historyReads).toEqual({ failed: 0, skipped: 1 });
    const ajv = new Ajv({ allErrors: true });
    expect(ajv.validate(ndjsonSchema, JSON.parse(JSON.stringify(end))), JSON.stringify(ajv.errors)).toBe(true);
    expect(ajv.validate(ndjsonSchema, { ...end, operations: { 'signal.lost': signalSent.summary() } })).toBe(false);
    const echoEnd = runEndRecord({ runId: 'r1', command: 'run', stats: makeStats(), interrupted: false, exitCode: 0, thresholds: [], latency: { start: start.summary(), e2e: e2e.summary() } });
    expect(echoEnd.operations).toEqual({});
    expect(ajv.validate(ndjsonSchema, JSON.parse(JSON.stringify(echoEnd))), JSON.stringify(ajv.errors)).toBe(true);
  });
});

describe('report --merge of workload runs', () => {
  it('merges each operation\'s histogram exactly: the percentiles of all samples together', () => {
    const a = makeUpdateRunResult({ startedAt: '2026-01-01T00:00:00.000Z' }, [1, 2, 3], [10, 20]);
    const b = makeUpdateRunResult({ startedAt: '2026-01-01T00:00:01.000Z', historyReads: { failed: 2, skipped: 1 } }, [100, 200, 300, 400], [1000]);
    const merged = mergeResults(checkMergeable([{ file: 'a.json', result: a }, { file: 'b.json', result: b }], false));
    const all = histogramOf([1, 2, 3, 100, 200, 300, 400]);
    expect(merged.operations['update.accepted']).toMatchObject({ count: 7, p50: all.summary().p50 });
    // The encoding keeps values to HDR's 0.1% precision (the README says so of the merged maximum).
    expect(merged.operations['update.accepted']!.max).toBeGreaterThanOrEqual(400);
    expect(merged.operations['update.accepted']!.max).toBeLessThanOrEqual(400 * 1.001);
    expect(merged.operations['update.completed']!.count).toBe(3);
    expect(merged.historyReads).toEqual({ failed: 2, skipped: 1 });
    expect(Object.keys(merged.operations)).toEqual(['update.accepted', 'update.completed']);
    expect(checkResult(structuredClone(merged))).toEqual(merged);
  });

  it('an operation only one process measured is kept as it is', () => {
    const a = makeUpdateRunResult({ startedAt: '2026-01-01T00:00:00.000Z' });
    const b = makeUpdateRunResult({ startedAt: '2026-01-01T00:00:01.000Z', operations: { 'update.accepted': a.operations['update.accepted']! } });
    const merged = mergeResults([a, b]);
    const { count, p50, p99 } = a.operations['update.completed']!;
    expect(merged.operations['update.completed']).toMatchObject({ count, p50 });
    expect(Math.abs(merged.operations['update.completed']!.p99 - p99)).toBeLessThanOrEqual(p99 * 0.001);
    expect(merged.operations['update.accepted']!.count).toBe(2 * a.operations['update.accepted']!.count);
  });

  it('refuses results of different workloads, and merges a version 1 echo result with a version 2 one', () => {
    const update = makeUpdateRunResult({ startedAt: '2026-01-01T00:00:00.000Z' });
    const echo = makeRunResult({ startedAt: '2026-01-01T00:00:01.000Z' });
    expect(() => checkMergeable([{ file: 'a.json', result: update }, { file: 'b.json', result: echo }], false))
      .toThrow(/cannot merge a\.json and b\.json: workload\.name differs \("update" vs "echo"\)/);
    const { workload: _w, operations: _o, historyReads: _h, ...rest } = makeRunResult();
    const v1 = checkResult({ ...structuredClone(rest), schemaVersion: 1 }) as RunResult;
    const merged = mergeResults(checkMergeable([{ file: 'a.json', result: v1 }, { file: 'b.json', result: echo }], false));
    // As real results have it: today's echo result names its count, the version-1 one has it in its config.
    const counted = { ...structuredClone(echo), workload: { name: 'echo', count: 3 } } as RunResult;
    const v1Counted = checkResult({ ...structuredClone(rest), config: { ...rest.config, count: 3 }, schemaVersion: 1 }) as RunResult;
    expect(v1Counted.workload).toEqual({ name: 'echo', count: 3 });
    expect(() => checkMergeable([{ file: 'a.json', result: v1Counted }, { file: 'b.json', result: counted }], false)).not.toThrow();
    expect(merged).toMatchObject({ schemaVersion: RESULT_SCHEMA_VERSION, operations: {}, workload: { name: 'echo' } });
  });
});

describe('the HTML report of a workload run', () => {
  const assets = { script: '/* chart library */', style: '/* chart style */' };

  it('has a latency chart and summary rows per measured operation, and names the workload', () => {
    const html = renderHtmlReport([makeUpdateRunResult()], assets);
    expect(html).toContain('<div class="chart" id="chart-operation-update-accepted"></div>');
    expect(html).toContain('<div class="chart" id="chart-operation-update-completed"></div>');
    expect(html).toContain('<th>update.accepted p99</th>');
    expect(html).toContain('r1 (run, update, closed loop)');
    const data = JSON.parse(/<script id="report-data" type="application\/json">(.*?)<\/script>/s.exec(html)![1]!);
    expect(data.operations).toEqual([
      { name: 'update.accepted', id: 'chart-operation-update-accepted' },
      { name: 'update.completed', id: 'chart-operation-update-completed' },
    ]);
    expect(data.runs[0].operations['update.accepted']).toHaveLength(data.percentiles.length);
  });

  it('an echo run has no operation section', () => {
    const html = renderHtmlReport([makeRunResult()], assets);
    expect(html).not.toContain('chart-operation-');
    expect(html).not.toContain('<h2>Operations</h2>');
    expect(html).toContain('r1 (run, closed loop)');
  });
});

describe('Prometheus: operation latencies', () => {
  it('one histogram with an operation label', async () => {
    const exporter = new PrometheusExporter({ runId: 'r1', stats: () => makeStats(), targetRate: undefined, concurrency: 2 });
    exporter.observeOperation('update.accepted', 30);
    exporter.observeOperation('update.accepted', 3000);
    exporter.observeOperation('signal.handled', 7);
    const text = await exporter.metrics();
    expect(text).toContain('# TYPE sched_bench_operation_latency_seconds histogram');
    expect(text).toContain('sched_bench_operation_latency_seconds_count{run_id="r1",operation="update.accepted"} 2');
    expect(text).toContain('sched_bench_operation_latency_seconds_bucket{le="0.05",run_id="r1",operation="update.accepted"} 1');
    expect(text).toContain('sched_bench_operation_latency_seconds_count{run_id="r1",operation="signal.handled"} 1');
    expect(text).toMatch(/sched_bench_operation_latency_seconds_sum\{run_id="r1",operation="update\.accepted"\} 3\.03/);
  });
});
