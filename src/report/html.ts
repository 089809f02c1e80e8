import { LatencyHistogram } from '../metrics/latency-histogram.js';
import { OPERATION_NAMES, OPERATIONS, type OperationName } from '../shared/operations.js';
import { CAPACITY_SCRIPT, CAPACITY_STYLE, capacityDataScript, capacityPart } from './capacity-html.js';
import { configTable, escapeHtml, scriptJson } from './html-parts.js';
import { isCapacityResult, type AnyResult, type LoadResult } from './read-result.js';
import type { RunResult } from './result.js';
import type { SchedulesResult } from './schedule-report.js';
import { resultLetter } from './result-labels.js';
import { failuresText } from './lines.js';
import { formatThresholdValue } from './summary.js';
import { formatMillis, formatNumber } from './units.js';

/** The charting library, inlined so the report makes no network request (uPlot: small, fast, maintained). */
export interface ChartAssets {
  script: string;
  style: string;
}

/** Percentiles drawn in the latency distribution chart. */
const DISTRIBUTION_PERCENTILES = [0, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.99, 100];

interface ChartRun {
  label: string;
  intervals: RunResult['intervals']['points'];
  distribution: { start: Array<[number, number]>; e2e: Array<[number, number]> };
  /** Each measured operation's distribution, by name (only those the run measured). */
  operations: Partial<Record<OperationName, Array<[number, number]>>>;
}

/** The operations any of the runs measured, in the operation table's order: one chart each. */
function measuredOperations(results: readonly RunResult[]): OperationName[] {
  return OPERATION_NAMES.filter((name) => results.some((result) => (result.operations[name]?.count ?? 0) > 0));
}

const operationChartId = (name: OperationName): string => `chart-operation-${name.replace(/[^a-z0-9]+/g, '-')}`;

/** A schedules run's charts: fire lag per fire time (median and worst of the fires due then), and its distribution. */
interface ChartSchedules {
  id: string;
  label: string;
  /** [seconds after the window's start, median lag ms, max lag ms], by fire time. */
  fireLag: Array<[number, number, number]>;
  distribution: Array<[number, number]>;
}

function distribution(encoded: string, count: number): Array<[number, number]> {
  if (count === 0) return [];
  const histogram = LatencyHistogram.decode(encoded);
  return DISTRIBUTION_PERCENTILES.map((percentile) => [percentile, histogram.percentileMillis(percentile)]);
}

function runLabel(result: AnyResult, index: number, total: number): string {
  // An echo run's label is as it always was; another workload is named.
  const workload = result.command !== 'schedules' && result.workload.name !== 'echo' ? `${result.workload.name}, ` : '';
  const base = result.command === 'schedules'
    ? `${result.runId} (schedules, ${result.schedules.spec})`
    : result.command === 'capacity'
      ? `${result.runId} (capacity, ${workload}SLO ${result.settings.slo.join(', ')})`
      : `${result.runId} (${result.command}, ${workload}${result.loadModel.kind} loop)`;
  return total > 1 ? `${resultLetter(index)}: ${base}` : base;
}

/**
 * The points the time charts draw. A run shorter than one report interval has none: it is drawn as
 * one point for the whole run, from its totals, rather than as empty charts.
 */
function chartIntervals(result: RunResult): { points: RunResult['intervals']['points']; wholeRun: boolean } {
  if (result.intervals.points.length > 0 || result.elapsedSeconds <= 0) return { points: result.intervals.points, wholeRun: false };
  const latency = result.loadModel.wait ? result.latency.e2e : result.latency.start;
  const { counts, elapsedSeconds } = result;
  return {
    points: [{
      t: elapsedSeconds, seconds: elapsedSeconds, inFlight: counts.inFlight, completed: counts.completed, failed: counts.failed,
      rate: counts.completed / elapsedSeconds, p50: latency.p50, p99: latency.p99,
    }],
    wholeRun: true,
  };
}

function fireLagSeries(result: SchedulesResult): ChartSchedules['fireLag'] {
  const windowStart = Date.parse(result.schedules.window.start);
  const lagsByTime = new Map<number, number[]>();
  for (const fire of result.fires) {
    const due = Date.parse(fire.scheduledAt);
    const second = Math.round((due - windowStart) / 1000);
    const lags = lagsByTime.get(second) ?? [];
    lags.push(Date.parse(fire.takenAt) - due);
    lagsByTime.set(second, lags);
  }
  return [...lagsByTime.entries()]
    .sort(([a], [b]) => a - b)
    .map(([second, lags]) => {
      const sorted = lags.sort((a, b) => a - b);
      return [second, sorted[Math.floor((sorted.length - 1) / 2)]!, sorted[sorted.length - 1]!];
    });
}

/** One column per run: the numbers people compare. */
function summaryTable(results: readonly RunResult[], labels: readonly string[]): string {
  const row = (name: string, cell: (result: RunResult) => string) =>
    `<tr><th>${escapeHtml(name)}</th>${results.map((result) => `<td>${escapeHtml(cell(result))}</td>`).join('')}</tr>`;
  const latencyRows = (['start', 'e2e'] as const).flatMap((kind) =>
    (['p50', 'p90', 'p95', 'p99', 'p999', 'max'] as const).map((stat) =>
      row(`${kind} ${stat === 'p999' ? 'p99.9' : stat}`, (result) =>
        result.latency[kind].count > 0 ? formatMillis(result.latency[kind][stat]) : '-',
      ),
    ),
  );
  const operationRows = measuredOperations(results).flatMap((name) =>
    (['p50', 'p99', 'max'] as const).map((stat) =>
      row(`${name} ${stat}`, (result) => {
        const operation = result.operations[name];
        return operation && operation.count > 0 ? formatMillis(operation[stat]) : '-';
      }),
    ),
  );
  return `<table class="grid"><thead><tr><th></th>${labels.map((label) => `<th>${escapeHtml(label)}</th>`).join('')}</tr></thead><tbody>
${row('started', (result) => String(result.measured.started))}
${row('completed', (result) => String(result.measured.completed))}
${row('failed', (result) => String(result.measured.failed))}
${row('failures by kind', (result) => failuresText(result.measured.failuresByKind))}
${row('throughput (completed/s)', (result) => formatNumber(result.throughput.completedPerSecond))}
${row('measured time', (result) => formatMillis(result.measured.seconds * 1000))}
${row('late starts', (result) => String(result.measured.lateStarts))}
${latencyRows.join('\n')}
${operationRows.join('\n')}
${row('sched-bench CPU per workflow', (result) => formatMillis(result.client.cpuMsPerCompleted))}
${row('exit code', (result) => String(result.exitCode))}
</tbody></table>`;
}

function thresholdList(result: LoadResult): string {
  if (result.thresholds.length === 0) return '<p class="muted">No thresholds.</p>';
  const items = result.thresholds.map((threshold) => {
    const shown = formatThresholdValue(threshold.metric, threshold.value);
    return `<li class="${threshold.passed ? 'pass' : 'fail'}">${threshold.passed ? '✓' : '✗'} ${escapeHtml(threshold.expression)} <span class="muted">(${escapeHtml(shown)})</span></li>`;
  });
  return `<ul class="thresholds">${items.join('')}</ul>`;
}

/** A schedules run: the server's fire counts, the lags, the overlap policy's promises, thresholds, charts. */
function schedulesSection(result: SchedulesResult, label: string, chartId: string): string {
  const { counts } = result.schedules;
  const lag = (kind: 'fireLag' | 'pickupLag', stat: 'p50' | 'p99' | 'max') => (result.latency[kind].count > 0 ? formatMillis(result.latency[kind][stat]) : '-');
  const rows: Array<[string, string]> = [
    ['schedules', `${counts.schedules} (${result.schedules.spec}, overlap ${result.schedules.overlap}, jitter ${result.schedules.jitterSeconds}s)`],
    ['window', `${result.schedules.window.start} → ${result.schedules.window.end} (${result.schedules.window.firesEach} fires each)`],
    ['fires expected', String(counts.expected)], ['taken', String(counts.taken)], ['skipped (overlap)', String(counts.skipped)],
    ['missed (catch-up window)', String(counts.missed)], ['buffered', String(counts.buffered)], ['unaccounted', String(counts.unaccounted)],
    ['fire lag p50 / p99 / max', `${lag('fireLag', 'p50')} / ${lag('fireLag', 'p99')} / ${lag('fireLag', 'max')}`],
    ['pickup lag p50 / p99 / max', `${lag('pickupLag', 'p50')} / ${lag('pickupLag', 'p99')} / ${lag('pickupLag', 'max')}`],
    ['lags cover', `${counts.recorded} of ${counts.taken} fires`], ['caught up late', String(result.schedules.caughtUp)],
    ['fired workflows failed', String(result.schedules.failed)], ['not picked up by a worker', String(result.schedules.notPickedUp)],
    ['schedules deleted', result.schedules.deleted ? 'yes' : 'no'], ['exit code', String(result.exitCode)],
  ];
  const checks = result.overlapChecks.map(
    (check) => `<li class="${check.passed ? 'pass' : 'fail'}">${check.passed ? '✓' : '✗'} ${escapeHtml(check.what)} <span class="muted">(${escapeHtml(check.detail)})</span></li>`,
  );
  return `<section><h2>${escapeHtml(label)}</h2>
<p class="muted">${escapeHtml(result.startedAt)} → ${escapeHtml(result.endedAt)} · server ${escapeHtml(result.server.address)} (${escapeHtml(result.server.version ?? 'version unknown')}) · namespace ${escapeHtml(result.server.namespace)}${result.interrupted ? ' · interrupted' : ''}</p>
<table class="grid"><tbody>${rows.map(([name, value]) => `<tr><th>${escapeHtml(name)}</th><td>${escapeHtml(value)}</td></tr>`).join('')}</tbody></table>
<h3>Overlap policy ${escapeHtml(result.schedules.overlap)}</h3><ul class="thresholds">${checks.join('')}</ul>
<h3>Thresholds</h3>${thresholdList(result)}
<div class="charts"><div class="chart" id="${chartId}-lag"></div><div class="chart" id="${chartId}-distribution"></div></div>
<details><summary>Configuration</summary>${configTable(result)}</details></section>`;
}

const STYLE = `
body { font: 14px/1.45 system-ui, -apple-system, Segoe UI, sans-serif; margin: 24px auto; max-width: 1180px; color: #1d2230; padding: 0 16px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #e3e6ee; padding-bottom: 4px; }
.muted { color: #6b7285; } table { border-collapse: collapse; } th, td { padding: 3px 10px; text-align: left; vertical-align: top; }
table.grid td { text-align: right; font-variant-numeric: tabular-nums; } table.grid thead th { border-bottom: 1px solid #ccd; }
table.grid tbody tr:nth-child(odd) { background: #f6f7fb; } table.kv th { color: #6b7285; font-weight: normal; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(540px, 1fr)); gap: 18px; }
.chart h3 { font-size: 14px; margin: 0 0 4px; } ul.thresholds { list-style: none; padding: 0; }
.pass { color: #157347; } .fail { color: #b42318; } details { margin: 6px 0; }
`;

/** The page script: builds the charts from the embedded data with uPlot; exposes them for tests. */
const PAGE_SCRIPT = `
(function () {
  var data = JSON.parse(document.getElementById('report-data').textContent);
  var colors = ['#2f6fde', '#e8590c', '#2b8a3e', '#ae3ec9', '#c92a2a'];
  var charts = [];
  // Tick steps for whole-number series: never 19.2, 19.4, ... workflows.
  var wholeSteps = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1e3, 2e3, 2500, 5e3, 1e4, 2e4, 25e3, 5e4, 1e5, 2e5, 5e5, 1e6, 1e7];
  // y starts at 0, so a small change (in flight 19 to 20) looks small; a bit of room above the top.
  function fromZero(whole) {
    return function (u, min, max) {
      var top = max > 0 ? max * 1.1 : 1;
      return [0, whole ? Math.max(1, Math.ceil(top)) : top];
    };
  }
  function chart(id, title, xLabel, yLabel, xs, series, how) {
    how = how || {};
    var element = document.getElementById(id);
    var xAxis = { label: xLabel };
    if (how.xTransform) xAxis.values = function (u, ticks) { return ticks.map(how.xTransform); };
    if (how.xSplits) xAxis.splits = function () { return how.xSplits; };
    var yAxis = { label: yLabel };
    if (how.whole) yAxis.incrs = wholeSteps;
    // A lone point (a short run) has no line to draw: show the points themselves.
    var lone = xs.length < 3;
    var opts = {
      title: title, width: Math.max(element.clientWidth, 480), height: 260,
      scales: { x: { time: false }, y: { range: fromZero(how.whole) } },
      axes: [xAxis, yAxis],
      series: [{}].concat(series.map(function (s, i) {
        return { label: s.label, stroke: colors[i % colors.length], width: 2, spanGaps: true, points: lone ? { show: true, size: 8 } : {} };
      }))
    };
    // The y range as drawn (uPlot sets its scales once the plot is laid out), for tests.
    var entry = { id: id, title: title, points: xs.length, series: series.length, y: null };
    opts.hooks = { setScale: [function (u, key) { if (key === 'y') entry.y = [u.scales.y.min, u.scales.y.max]; }] };
    var plot = new uPlot(opts, [xs].concat(series.map(function (s) { return s.values; })), element);
    charts.push(entry);
    return plot;
  }
  var prefix = function (run) { return data.runs.length > 1 ? run.label.slice(0, run.label.indexOf(':')) + ' ' : ''; };
  // Time series: one x axis (seconds) per run, merged by aligning on the union of times.
  function timeChart(id, title, yLabel, pick, whole) {
    var times = [];
    data.runs.forEach(function (run) { run.intervals.forEach(function (p) { if (times.indexOf(p.t) < 0) times.push(p.t); }); });
    times.sort(function (a, b) { return a - b; });
    var series = [];
    data.runs.forEach(function (run) {
      pick.forEach(function (field) {
        var byTime = {}; run.intervals.forEach(function (p) { byTime[p.t] = p[field.key]; });
        series.push({ label: prefix(run) + field.label, values: times.map(function (t) { return t in byTime ? byTime[t] : null; }) });
      });
    });
    chart(id, title, 'seconds', yLabel, times, series, { whole: whole });
  }
  // Distribution: x = "nines" (0 → p0, 1 → p90, 2 → p99, 3 → p99.9), so the tail gets room.
  var nines = data.percentiles.map(function (p) { return p >= 100 ? 4.7 : -Math.log10(1 - p / 100); });
  function ninesLabel(x) { return x >= 4.7 ? 'max' : 'p' + Math.round(100000 * (1 - Math.pow(10, -x))) / 1000; }
  var ninesSplits = [0, 1, 2, 3, 4, 4.7];
  if (data.runs.length > 0) {
    timeChart('chart-rate', 'Completions per second', 'wf/s', [{ key: 'rate', label: 'rate' }], false);
    timeChart('chart-inflight', 'Workflows in flight', 'workflows', [{ key: 'inFlight', label: 'in flight' }], true);
    timeChart('chart-latency', 'Latency per interval (' + data.intervalLatency + ')', 'ms', [{ key: 'p50', label: 'p50' }, { key: 'p99', label: 'p99' }], false);
    var dist = [];
    data.runs.forEach(function (run) {
      ['e2e', 'start'].forEach(function (kind) {
        if (run.distribution[kind].length) dist.push({ label: prefix(run) + kind, values: run.distribution[kind].map(function (d) { return d[1]; }) });
      });
    });
    chart('chart-distribution', 'Latency distribution', 'percentile', 'ms', nines, dist, { xTransform: ninesLabel, xSplits: ninesSplits });
    // One chart per operation a run measured (signals, updates, ...), drawn like the distribution above.
    data.operations.forEach(function (operation) {
      var series = [];
      data.runs.forEach(function (run) {
        var points = run.operations[operation.name];
        if (points && points.length) series.push({ label: prefix(run) + operation.name, values: points.map(function (d) { return d[1]; }) });
      });
      chart(operation.id, operation.name + ' latency distribution', 'percentile', 'ms', nines, series, { xTransform: ninesLabel, xSplits: ninesSplits });
    });
  }
  data.schedules.forEach(function (run) {
    chart(run.id + '-lag', 'Fire lag by fire time', 'seconds after the first fire', 'ms', run.fireLag.map(function (p) { return p[0]; }), [
      { label: 'median', values: run.fireLag.map(function (p) { return p[1]; }) },
      { label: 'worst', values: run.fireLag.map(function (p) { return p[2]; }) }
    ]);
    chart(run.id + '-distribution', 'Fire lag distribution', 'percentile', 'ms', nines,
      run.distribution.length ? [{ label: 'fire lag', values: run.distribution.map(function (d) { return d[1]; }) }] : [],
      { xTransform: ninesLabel, xSplits: ninesSplits });
  });
  window.__schedBenchCharts = charts;
})();
`;

/**
 * A self-contained HTML report of one run, or of several side by side (before/after a change):
 * configuration (already redacted in the result), summary, thresholds and charts. Returns the page;
 * writes nothing and asks the network for nothing.
 */
export function renderHtmlReport(results: readonly AnyResult[], assets: ChartAssets): string {
  const labels = results.map((result, index) => runLabel(result, index, results.length));
  const loads = results.flatMap((result, index) => (result.command === 'run' || result.command === 'infinite' ? [{ result, label: labels[index]! }] : []));
  const scheduleRuns = results.flatMap((result, index) => (result.command === 'schedules' ? [{ result, label: labels[index]!, chartId: `chart-schedules-${index}` }] : []));
  const intervals = loads.map(({ result }) => chartIntervals(result));
  const runs: ChartRun[] = loads.map(({ result, label }, index) => ({
    label,
    intervals: intervals[index]!.points,
    distribution: {
      start: distribution(result.latency.start.encoded, result.latency.start.count),
      e2e: distribution(result.latency.e2e.encoded, result.latency.e2e.count),
    },
    operations: Object.fromEntries(
      OPERATION_NAMES.flatMap((name) => {
        const operation = result.operations[name];
        return operation ? [[name, distribution(operation.encoded, operation.count)]] : [];
      }),
    ),
  }));
  const operations = measuredOperations(loads.map(({ result }) => result)).map((name) => ({ name, id: operationChartId(name), meaning: OPERATIONS[name].meaning }));
  const schedules: ChartSchedules[] = scheduleRuns.map(({ result, label, chartId }) => ({
    id: chartId, label, fireLag: fireLagSeries(result), distribution: distribution(result.latency.fireLag.encoded, result.latency.fireLag.count),
  }));
  const capacity = capacityPart(results.flatMap((result, index) => (isCapacityResult(result) ? [{ result, label: labels[index]! }] : [])));
  const waited = loads.every(({ result }) => result.loadModel.wait);
  const only = results.length === 1 ? results[0]! : undefined;
  const title = only
    ? `sched-bench ${only.command === 'schedules' ? 'schedules run' : only.command === 'capacity' ? 'capacity search' : 'run'} ${only.runId}`
    : `sched-bench comparison of ${results.length} ${results.every(isCapacityResult) ? 'capacity searches' : 'runs'}`;
  const perRun = loads
    .map(
      ({ result, label }, index) => `<section><h2>${escapeHtml(label)}</h2>
<p class="muted">${escapeHtml(result.startedAt)} → ${escapeHtml(result.endedAt)} · server ${escapeHtml(result.server.address)} (${escapeHtml(result.server.version ?? 'version unknown')}) · namespace ${escapeHtml(result.server.namespace)} · stop: ${escapeHtml(result.stopReason)}${result.interrupted ? ' (interrupted)' : ''}</p>
${intervals[index]!.wholeRun ? `<p class="muted note">The run was shorter than one report interval (${escapeHtml(String(result.config.reportInterval ?? '?'))}s): its charts show the whole run as one point.</p>\n` : ''}<h3>Thresholds</h3>${thresholdList(result)}
<details><summary>Configuration</summary>${configTable(result)}</details></section>`,
    )
    .join('\n');
  const loadPart = loads.length === 0 ? '' : `<h2>Summary</h2>
${summaryTable(loads.map(({ result }) => result), loads.map(({ label }) => label))}
<h2>Charts</h2>
<div class="charts">
<div class="chart" id="chart-rate"></div>
<div class="chart" id="chart-inflight"></div>
<div class="chart" id="chart-latency"></div>
<div class="chart" id="chart-distribution"></div>
</div>
${operations.length === 0 ? '' : `<h2>Operations</h2>
<ul class="muted">${operations.map(({ name, meaning }) => `<li>${escapeHtml(name)}: ${escapeHtml(meaning)}</li>`).join('')}</ul>
<div class="charts">
${operations.map(({ id }) => `<div class="chart" id="${id}"></div>`).join('\n')}
</div>
`}${perRun}`;
  const open = loads.some(({ result }) => result.loadModel.kind === 'open');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${assets.style}</style><style>${STYLE}${CAPACITY_STYLE}</style></head>
<body>
<h1>${escapeHtml(title)}</h1>
<p class="muted">${loads.length > 0 ? `Latencies are measured after the warm-up${open ? '; in an open loop from each workflow\'s intended start time' : ''}. ` : ''}${scheduleRuns.length > 0 ? 'Fire lag: the server started the workflow − the fire was due (jitter included), from the schedules\' own records. ' : ''}${capacity.data ? 'A capacity search judges each step on its measured part (its warm-up excluded), latencies from each workflow\'s intended start time. ' : ''}Generated by sched-bench ${escapeHtml(results[0]!.tool.version)}.</p>
${loadPart}
${scheduleRuns.map(({ result, label, chartId }) => schedulesSection(result, label, chartId)).join('\n')}
${capacity.html}
<script id="report-data" type="application/json">${scriptJson({ runs, schedules, operations: operations.map(({ name, id }) => ({ name, id })), percentiles: DISTRIBUTION_PERCENTILES, intervalLatency: waited ? 'e2e' : 'start' })}</script>
<script>${assets.script.replace(/<\/script/gi, '<\\/script')}</script>
${capacityDataScript(capacity.data)}
<script>${PAGE_SCRIPT}</script>
<script>${CAPACITY_SCRIPT}</script>
</body></html>
`;
}
