import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LatencyHistogram } from '../../src/metrics/latency-histogram.js';
import { renderHtmlReport } from '../../src/report/html.js';
import { buildRunResult, type RunResult } from '../../src/report/result.js';
import { makeStats, NO_DRAIN, NO_SERVER_TROUBLE } from '../helpers/run-stats.js';
import { makeRunResult, makeSchedulesResult } from '../helpers/results.js';

const reportData = (html: string) => JSON.parse(/<script id="report-data" type="application\/json">([\s\S]*?)<\/script>/.exec(html)![1]!);

function result(config: Record<string, unknown>): RunResult {
  const histogram = LatencyHistogram.create();
  histogram.recordMillis(12);
  return buildRunResult({
    version: '0.1.0', runId: 'r1', command: 'run', config, startedAt: new Date(0), endedAt: new Date(1000), interrupted: false, exitCode: 0,
    server: { address: 'localhost:7233', namespace: 'default', taskQueue: 'q', version: null }, sdk: {},
    loadModel: { kind: 'closed', concurrency: 2 }, wait: true, workload: { kind: 'echo' }, stats: makeStats(),
    histograms: { start: histogram, e2e: histogram, startLateness: LatencyHistogram.create() }, thresholds: [], verification: undefined,
    intervals: { compactions: 0, points: [{ t: 1, seconds: 1, inFlight: 2, completed: 5, failed: 0, rate: 5, p50: 10, p99: 12 }] },
    drain: NO_DRAIN, serverHealth: NO_SERVER_TROUBLE, client: { cpuUserSeconds: 0, cpuSystemSeconds: 0, cpuMsPerCompleted: 0, maxRssMegabytes: 0, embeddedWorker: false },
  });
}

const assets = { script: '/* chart library */', style: '/* chart style */' };

describe('renderHtmlReport', () => {
  it('escapes what comes from the run, so a value cannot inject markup or close the data script', () => {
    const html = renderHtmlReport([result({ message: '<script>alert(1)</script>', taskQueue: '"q"&' })], assets);
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('<td>&quot;q&quot;&amp;</td>');
    const data = /<script id="report-data" type="application\/json">([\s\S]*?)<\/script>/.exec(html)![1]!;
    expect(data).not.toContain('</');
    expect(JSON.parse(data).runs[0].intervals).toHaveLength(1);
  });

  it('inlines the chart library and loads nothing from elsewhere', () => {
    const html = renderHtmlReport([result({})], assets);
    expect(html).toContain('/* chart library */');
    expect(html).toContain('/* chart style */');
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=/);
  });

  it('labels several runs A, B, … in one summary table', () => {
    const html = renderHtmlReport([result({}), result({})], assets);
    expect(html).toContain('<title>sched-bench comparison of 2 runs</title>');
    expect(html).toMatch(/<th>A: r1 \(run, closed loop\)<\/th><th>B: r1 \(run, closed loop\)<\/th>/);
  });

  it('the real chart library is the uPlot build shipped with the package', () => {
    const script = readFileSync(new URL('../../node_modules/uplot/dist/uPlot.iife.min.js', import.meta.url), 'utf8');
    expect(script.length).toBeGreaterThan(20_000);
  });

  it('draws a run shorter than one report interval as one point for the whole run, and says so', () => {
    const short = makeRunResult({ intervals: { compactions: 0, points: [] }, elapsedSeconds: 4 });
    const html = renderHtmlReport([short], assets);
    const [point] = reportData(html).runs[0].intervals;
    expect(point).toMatchObject({ t: 4, seconds: 4, completed: short.counts.completed, rate: short.counts.completed / 4, p99: short.latency.e2e.p99 });
    expect(html).toContain('The run was shorter than one report interval (10s): its charts show the whole run as one point.');
    expect(renderHtmlReport([makeRunResult()], assets)).not.toContain('shorter than one report interval');
  });

  it('count axes start at zero with whole-number ticks (in flight 19–20 is not a cliff)', () => {
    const html = renderHtmlReport([result({})], assets);
    expect(html).toMatch(/timeChart\('chart-inflight', [^\n]*, true\);/);
    expect(html).toContain('y: { range: fromZero(how.whole) }');
    expect(html).toContain('if (how.whole) yAxis.incrs = wholeSteps;');
  });

  it('renders a schedules result: counts, lags, overlap checks and its own charts', () => {
    const schedules = makeSchedulesResult();
    const html = renderHtmlReport([schedules], assets);
    expect(html).toContain('<title>sched-bench schedules run sr1</title>');
    expect(html).toContain('<tr><th>fires expected</th><td>6</td></tr>');
    expect(html).toContain('✓ never two runs of one schedule at once');
    expect(html).not.toContain('id="chart-rate"');
    const data = reportData(html);
    expect(data.runs).toEqual([]);
    expect(data.schedules[0].fireLag).toEqual([[0, 20, 30], [1, 20, 30], [2, 20, 30]]);
    expect(data.schedules[0].distribution).toHaveLength(12);
  });

  it('puts run and schedules results side by side in one report', () => {
    const html = renderHtmlReport([makeRunResult(), makeSchedulesResult()], assets);
    expect(html).toContain('<title>sched-bench comparison of 2 runs</title>');
    expect(html).toContain('<th>A: r1 (run, closed loop)</th>');
    expect(html).toContain('<h2>B: sr1 (schedules, every=1s)</h2>');
    expect(reportData(html).runs).toHaveLength(1);
  });
});

describe('labels of a report of many runs', () => {
  it('past 26 runs: AA, AB … in the summary table and the chart data, and the page script prefixes by the whole letter', () => {
    const page = renderHtmlReport(Array.from({ length: 28 }, () => makeRunResult()), { script: '', style: '' });
    const data = JSON.parse(/<script id="report-data" type="application\/json">(.*?)<\/script>/s.exec(page)![1]!) as { runs: Array<{ label: string }> };
    const letters = data.runs.map(({ label }) => label.slice(0, label.indexOf(':')));
    expect(letters.slice(24)).toEqual(['Y', 'Z', 'AA', 'AB']);
    expect(new Set(letters).size).toBe(28);
    expect(page).not.toMatch(/<th>\[: /);
    expect(page).toContain("run.label.slice(0, run.label.indexOf(':'))");
  });
});
