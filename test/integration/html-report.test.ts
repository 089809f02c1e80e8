import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { RunResult } from '../../src/report/result.js';
import { chromiumPath, launchChromium } from '../helpers/browser.js';
import { emptyDir, runCli, uniqueQueue } from '../helpers/cli.js';
import { makeCapacityDocument } from '../helpers/capacity-results.js';
import { makeRunResult, makeSchedulesResult, makeUpdateRunResult } from '../helpers/results.js';
import { gateOnTool } from '../helpers/tools.js';

const address = inject('temporalAddress');
let browser: Browser;
/** Without Chromium: skipped on a developer's machine (one line says why), failed under CI. */
const tools = gateOnTool(chromiumPath);

beforeAll(async () => {
  if (!tools.skip) browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

/** The knee chart's entry also holds what it drew (see CAPACITY_SCRIPT in src/report/capacity-html.ts). */
interface KneeEntry {
  rates: number[];
  values: Array<{ label: string; values: Array<number | null> }>;
  limits: Array<{ label: string; value: number }>;
  markers: Array<{ result: number; x: number; y: number; verdict: string }>;
}

interface PageCheck {
  errors: string[];
  outsideRequests: string[];
  charts: Array<{ id: string; points: number; series: number; y: [number, number] } & Partial<KneeEntry>>;
  screenshot: string;
}

/** Opens the report in headless Chromium: console errors, requests leaving the file, charts drawn, a screenshot. */
async function openReport(path: string, chartCount = 4): Promise<PageCheck> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  const errors: string[] = [];
  const outsideRequests: string[] = [];
  page.on('console', (message) => message.type() === 'error' && errors.push(message.text()));
  page.on('pageerror', (error) => errors.push(String(error)));
  page.on('request', (request) => !request.url().startsWith('file:') && outsideRequests.push(request.url()));
  await page.goto(`file://${path}`);
  await page.waitForFunction((count) => (globalThis as unknown as { __schedBenchCharts?: unknown[] }).__schedBenchCharts?.length === count, chartCount);
  const charts = await page.evaluate(() => (globalThis as unknown as { __schedBenchCharts: PageCheck['charts'] }).__schedBenchCharts);
  const canvases = await page.locator('.charts canvas').count();
  expect(canvases).toBe(chartCount);
  const screenshot = `${path}.png`;
  await page.screenshot({ path: screenshot, fullPage: true });
  await page.close();
  return { errors, outsideRequests, charts, screenshot };
}

/** A run result for the refusal below: `report` reads its files before it asks for --html. */
const runOnly = join(emptyDir(), 'run.json');
writeFileSync(runOnly, JSON.stringify(makeRunResult()));

describe('HTML report', () => {
  const dir = emptyDir();
  const first = { json: join(dir, 'a.json'), html: join(dir, 'a.html') };
  const second = join(dir, 'b.json');

  it.skipIf(tools.skip)('a run writes a self-contained report that renders its data in a real browser', async () => {
    const result = await runCli([
      'run', '--address', address, '--task-queue', uniqueQueue('html'), '--worker', '--total', '60', '--report-interval', '0.25',
      '--threshold', 'e2e.p99<1m', '--json', first.json, '--html', first.html, '--api-key', 'never-in-the-report',
    ], { env: { TEMPORAL_TLS: 'false' } }); // the dev server is plain text; the key must still stay out of the report
    expect(result.code, result.stderr).toBe(0);
    const html = readFileSync(first.html, 'utf8');
    // Nothing to fetch: no external script or stylesheet (uPlot's licence comment names its home page, that is all).
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=|<img[^>]+src=|url\(/);
    expect(html).not.toContain('never-in-the-report');
    expect(html).toContain('✓ e2e.p99&lt;1m');
    const run = JSON.parse(readFileSync(first.json, 'utf8')) as RunResult;
    const page = await openReport(first.html);
    expect(page.errors).toEqual([]);
    expect(page.outsideRequests).toEqual([]);
    const byId = Object.fromEntries(page.charts.map((chart) => [chart.id, chart]));
    expect(byId['chart-rate']).toMatchObject({ points: run.intervals.points.length, series: 1 });
    expect(byId['chart-latency']).toMatchObject({ points: run.intervals.points.length, series: 2 });
    expect(byId['chart-distribution']!.series).toBe(2); // e2e and start
    expect(run.intervals.points.length).toBeGreaterThan(3);
    expect(existsSync(page.screenshot) && statSync(page.screenshot).size > 10_000).toBe(true);
  });

  it.skipIf(tools.skip)('`sched-bench report a.json b.json` compares runs side by side', async () => {
    const other = await runCli(['infinite', '--address', address, '--task-queue', uniqueQueue('html-b'), '--worker', '--rate', '20',
      '--duration', '2s', '--report-interval', '0.25', '--json', second]);
    expect(other.code, other.stderr).toBe(0);
    const out = join(dir, 'compare.html');
    const result = await runCli(['report', first.json, second, '--html', out]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.trim()).toBe(`Report of 2 runs written to ${out}`);
    const html = readFileSync(out, 'utf8');
    expect(html).toMatch(/<th>A: \S+ \(run, closed loop\)<\/th><th>B: \S+ \(infinite, open loop\)<\/th>/);
    const page = await openReport(out);
    expect(page.errors).toEqual([]);
    expect(page.outsideRequests).toEqual([]);
    expect(page.charts.find((chart) => chart.id === 'chart-rate')!.series).toBe(2);
    expect(page.charts.find((chart) => chart.id === 'chart-latency')!.series).toBe(4);
  });

  it.skipIf(tools.skip)('a run shorter than one report interval still draws its charts; count axes start at 0', async () => {
    const short = join(dir, 'short.json');
    writeFileSync(short, JSON.stringify(makeRunResult({ intervals: { compactions: 0, points: [] }, elapsedSeconds: 3 })));
    const steady = join(dir, 'steady.json');
    const points = [19, 20, 19, 20, 20].map((inFlight, index) => ({ t: index + 1, seconds: 1, inFlight, completed: 10 * (index + 1), failed: 0, rate: 10, p50: 5, p99: 9 }));
    writeFileSync(steady, JSON.stringify(makeRunResult({ runId: 'steady', intervals: { compactions: 0, points } })));
    for (const [file, pointCount, highest] of [[short, 1, 0], [steady, 5, 20]] as const) {
      const out = `${file}.html`;
      const result = await runCli(['report', file, '--html', out]);
      expect(result.code, result.stderr).toBe(0);
      const page = await openReport(out);
      expect(page.errors).toEqual([]);
      const inFlight = page.charts.find((chart) => chart.id === 'chart-inflight')!;
      expect(inFlight.points).toBe(pointCount);
      expect(inFlight.y[0]).toBe(0); // 19 → 20 drawn from 0, not as a cliff between 19 and 20
      expect(Number.isInteger(inFlight.y[1]) && inFlight.y[1] >= Math.max(1, highest) && inFlight.y[1] <= 30, String(inFlight.y)).toBe(true);
      expect(page.charts.find((chart) => chart.id === 'chart-rate')!.points).toBe(pointCount);
    }
    expect(readFileSync(`${short}.html`, 'utf8')).toContain('shorter than one report interval');
  });

  it.skipIf(tools.skip)('a workload run gets a latency chart per operation, drawn in a real browser', async () => {
    const file = join(dir, 'update.json');
    writeFileSync(file, JSON.stringify(makeUpdateRunResult()));
    const out = join(dir, 'update.html');
    const result = await runCli(['report', file, '--html', out]);
    expect(result.code, result.stderr).toBe(0);
    const page = await openReport(out, 6);
    expect(page.errors).toEqual([]);
    expect(page.outsideRequests).toEqual([]);
    const operations = page.charts.filter((chart) => chart.id.startsWith('chart-operation-'));
    expect(operations.map((chart) => [chart.id, chart.points, chart.series])).toEqual([
      ['chart-operation-update-accepted', 12, 1], ['chart-operation-update-completed', 12, 1],
    ]);
    // The y axis covers the slowest sample (90 ms for update.completed).
    expect(operations[1]!.y[1]).toBeGreaterThanOrEqual(90);
  });

  it.skipIf(tools.skip)('`sched-bench report` renders a schedules result with its own charts', async () => {
    const file = join(dir, 'schedules.json');
    writeFileSync(file, JSON.stringify(makeSchedulesResult()));
    const out = join(dir, 'schedules.html');
    const result = await runCli(['report', file, '--html', out]);
    expect(result.code, result.stderr).toBe(0);
    const page = await openReport(out, 2);
    expect(page.errors).toEqual([]);
    expect(page.outsideRequests).toEqual([]);
    expect(page.charts.map((chart) => [chart.id, chart.points, chart.series])).toEqual([
      ['chart-schedules-0-lag', 3, 2], ['chart-schedules-0-distribution', 12, 1],
    ]);
  });

  it.skipIf(tools.skip)('a capacity search draws its knee chart in a real browser: every step\'s p50 and p99, the SLO line, the verdicts', async () => {
    const before = await makeCapacityDocument({ knee: 140, runId: 'before' });
    const after = await makeCapacityDocument({ knee: 80, runId: 'after' });
    const files = [join(dir, 'capacity-before.json'), join(dir, 'capacity-after.json')];
    writeFileSync(files[0]!, JSON.stringify(before));
    writeFileSync(files[1]!, JSON.stringify(after));
    const single = join(dir, 'capacity.html');
    expect((await runCli(['report', files[0]!, '--html', single])).code).toBe(0);
    const page = await openReport(single, 1);
    expect(page.errors).toEqual([]);
    expect(page.outsideRequests).toEqual([]);
    const knee = page.charts[0]!;
    expect(knee.id).toBe('chart-capacity-knee');
    expect(knee.series).toBe(3); // e2e p50, e2e p99, the SLO line
    expect(knee.rates).toEqual(before.steps.map((step) => step.targetRate).sort((a, b) => a - b));
    for (const step of before.steps) {
      const at = knee.rates!.indexOf(step.targetRate);
      expect(knee.values![0]!.values[at]).toBe(step.latency.e2e!.p50);
      expect(knee.values![1]!.values[at]).toBe(step.latency.e2e!.p99);
    }
    expect(knee.limits).toEqual([{ label: 'SLO e2e.p99<2s', value: 2000 }]);
    expect(knee.markers!.map((marker) => marker.verdict)).toEqual(before.steps.map((step) => step.verdict));
    // The y axis as drawn covers the slowest p99 and the SLO line.
    // a log scale from a power of ten at or below the lowest latency drawn
    const lowest = Math.min(...before.steps.flatMap((step) => [step.latency.e2e!.p50, step.latency.e2e!.p99]));
    expect(knee.y[0]).toBeGreaterThan(0);
    expect(knee.y[0]).toBeLessThanOrEqual(lowest);
    expect(Math.log10(knee.y[0])).toBeCloseTo(Math.round(Math.log10(knee.y[0])), 6);
    expect(knee.y[1]).toBeGreaterThanOrEqual(Math.max(2000, ...before.steps.map((step) => step.latency.e2e!.p99)));

    const compared = join(dir, 'capacity-compare.html');
    const result = await runCli(['report', ...files, '--html', compared]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('Capacity: 140 → 80 wf/s (−43%)');
    const both = (await openReport(compared, 1)).charts[0]!;
    expect(both.values!.map((series) => series.label)).toEqual(['A e2e p50', 'A e2e p99', 'B e2e p50', 'B e2e p99']);
    expect(both.markers!.filter((marker) => marker.result === 1)).toHaveLength(after.steps.length);

    const mixed = join(dir, 'capacity-mixed.html');
    const run = join(dir, 'capacity-run.json');
    writeFileSync(run, JSON.stringify(makeRunResult()));
    expect((await runCli(['report', run, files[0]!, '--html', mixed])).code).toBe(0);
    const mixedPage = await openReport(mixed, 5);
    expect(mixedPage.errors).toEqual([]);
    expect(mixedPage.charts.map((chart) => chart.id)).toEqual(['chart-rate', 'chart-inflight', 'chart-latency', 'chart-distribution', 'chart-capacity-knee']);
  });

  it.each([
    [['/nonexistent.json', '--html', '/tmp/x.html'], /cannot read \/nonexistent\.json: no such file/],
    [['package.json', '--html', '/tmp/x.html'], /package\.json is not a result this sched-bench reads: this sched-bench reads run results \(commands run and infinite\) of schema version 1 or 2; the file has command undefined, schemaVersion undefined$/],
    [[runOnly], /report needs --html <file> to write/],
    [['--html', '/tmp/x.html'], /missing required argument 'results'/],
  ])('report %j refuses with one line (exit 2)', async (args, message) => {
    const result = await runCli(['report', ...args], { cwd: process.cwd() });
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toMatch(new RegExp(`^sched-bench: ${message.source}`));
  });
});
