import { LatencyHistogram } from '../metrics/latency-histogram.js';
import type { RunResult } from './result.js';
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
}

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char]!);

/** JSON for a <script> element: `<` escaped so no text can close the element. */
const scriptJson = (value: unknown): string => JSON.stringify(value).replace(/</g, '\\u003c');

function distribution(encoded: string, count: number): Array<[number, number]> {
  if (count === 0) return [];
  const histogram = LatencyHistogram.decode(encoded);
  return DISTRIBUTION_PERCENTILES.map((percentile) => [percentile, histogram.percentileMillis(percentile)]);
}

function runLabel(result: RunResult, index: number, total: number): string {
  const base = `${result.runId} (${result.command}, ${result.loadModel.kind} loop)`;
  return total > 1 ? `${String.fromCharCode(65 + index)}: ${base}` : base;
}

function configTable(result: RunResult): string {
  const rows = Object.entries(result.config).map(
    ([key, value]) => `<tr><th>${escapeHtml(key)}</th><td>${escapeHtml(typeof value === 'string' ? value : JSON.stringify(value))}</td></tr>`,
  );
  return `<table class="kv">${rows.join('')}</table>`;
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
  return `<table class="grid"><thead><tr><th></th>${labels.map((label) => `<th>${escapeHtml(label)}</th>`).join('')}</tr></thead><tbody>
${row('started', (result) => String(result.measured.started))}
${row('completed', (result) => String(result.measured.completed))}
${row('failed', (result) => String(result.measured.failed))}
${row('failures by kind', (result) => failuresText(result.measured.failuresByKind))}
${row('throughput (completed/s)', (result) => formatNumber(result.throughput.completedPerSecond))}
${row('measured time', (result) => formatMillis(result.measured.seconds * 1000))}
${row('late starts', (result) => String(result.measured.lateStarts))}
${latencyRows.join('\n')}
${row('sched-bench CPU per workflow', (result) => formatMillis(result.client.cpuMsPerCompleted))}
${row('exit code', (result) => String(result.exitCode))}
</tbody></table>`;
}

function thresholdList(result: RunResult): string {
  if (result.thresholds.length === 0) return '<p class="muted">No thresholds.</p>';
  const items = result.thresholds.map((threshold) => {
    const shown = formatThresholdValue(threshold.metric, threshold.value);
    return `<li class="${threshold.passed ? 'pass' : 'fail'}">${threshold.passed ? '✓' : '✗'} ${escapeHtml(threshold.expression)} <span class="muted">(${escapeHtml(shown)})</span></li>`;
  });
  return `<ul class="thresholds">${items.join('')}</ul>`;
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
  function chart(id, title, xLabel, yLabel, xs, series, xTransform, xSplits) {
    var element = document.getElementById(id);
    var xAxis = { label: xLabel };
    if (xTransform) xAxis.values = function (u, ticks) { return ticks.map(xTransform); };
    if (xSplits) xAxis.splits = function () { return xSplits; };
    var opts = {
      title: title, width: Math.max(element.clientWidth, 480), height: 260,
      scales: { x: { time: false } },
      axes: [xAxis, { label: yLabel }],
      series: [{}].concat(series.map(function (s, i) { return { label: s.label, stroke: colors[i % colors.length], width: 2, spanGaps: true }; }))
    };
    var plot = new uPlot(opts, [xs].concat(series.map(function (s) { return s.values; })), element);
    charts.push({ id: id, title: title, points: xs.length, series: series.length });
    return plot;
  }
  // Time series: one x axis (seconds) per run, merged by aligning on the union of times.
  function timeChart(id, title, yLabel, pick) {
    var times = [];
    data.runs.forEach(function (run) { run.intervals.forEach(function (p) { if (times.indexOf(p.t) < 0) times.push(p.t); }); });
    times.sort(function (a, b) { return a - b; });
    var series = [];
    data.runs.forEach(function (run) {
      pick.forEach(function (field) {
        var byTime = {}; run.intervals.forEach(function (p) { byTime[p.t] = p[field.key]; });
        series.push({ label: (data.runs.length > 1 ? run.label.slice(0, 1) + ' ' : '') + field.label, values: times.map(function (t) { return t in byTime ? byTime[t] : null; }) });
      });
    });
    chart(id, title, 'seconds', yLabel, times, series);
  }
  timeChart('chart-rate', 'Completions per second', 'wf/s', [{ key: 'rate', label: 'rate' }]);
  timeChart('chart-inflight', 'Workflows in flight', 'workflows', [{ key: 'inFlight', label: 'in flight' }]);
  timeChart('chart-latency', 'Latency per interval (' + data.intervalLatency + ')', 'ms', [{ key: 'p50', label: 'p50' }, { key: 'p99', label: 'p99' }]);
  // Distribution: x = "nines" (0 → p0, 1 → p90, 2 → p99, 3 → p99.9), so the tail gets room.
  var nines = data.percentiles.map(function (p) { return p >= 100 ? 4.7 : -Math.log10(1 - p / 100); });
  var dist = [];
  data.runs.forEach(function (run) {
    ['e2e', 'start'].forEach(function (kind) {
      if (run.distribution[kind].length) dist.push({ label: (data.runs.length > 1 ? run.label.slice(0, 1) + ' ' : '') + kind, values: run.distribution[kind].map(function (d) { return d[1]; }) });
    });
  });
  chart('chart-distribution', 'Latency distribution', 'percentile', 'ms', nines, dist, function (x) {
    return x >= 4.7 ? 'max' : 'p' + Math.round(100000 * (1 - Math.pow(10, -x))) / 1000;
  }, [0, 1, 2, 3, 4, 4.7]);
  window.__schedBenchCharts = charts;
})();
`;

/**
 * A self-contained HTML report of one run, or of several side by side (before/after a change):
 * configuration (already redacted in the result), summary, thresholds and charts. Returns the page;
 * writes nothing and asks the network for nothing.
 */
export function renderHtmlReport(results: readonly RunResult[], assets: ChartAssets): string {
  const labels = results.map((result, index) => runLabel(result, index, results.length));
  const runs: ChartRun[] = results.map((result, index) => ({
    label: labels[index]!,
    intervals: result.intervals.points,
    distribution: {
      start: distribution(result.latency.start.encoded, result.latency.start.count),
      e2e: distribution(result.latency.e2e.encoded, result.latency.e2e.count),
    },
  }));
  const waited = results.every((result) => result.loadModel.wait);
  const title = results.length > 1 ? `sched-bench comparison of ${results.length} runs` : `sched-bench run ${results[0]!.runId}`;
  const perRun = results
    .map(
      (result, index) => `<section><h2>${escapeHtml(labels[index]!)}</h2>
<p class="muted">${escapeHtml(result.startedAt)} → ${escapeHtml(result.endedAt)} · server ${escapeHtml(result.server.address)} (${escapeHtml(result.server.version ?? 'version unknown')}) · namespace ${escapeHtml(result.server.namespace)} · stop: ${escapeHtml(result.stopReason)}${result.interrupted ? ' (interrupted)' : ''}</p>
<h3>Thresholds</h3>${thresholdList(result)}
<details><summary>Configuration</summary>${configTable(result)}</details></section>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${assets.style}</style><style>${STYLE}</style></head>
<body>
<h1>${escapeHtml(title)}</h1>
<p class="muted">Latencies are measured after the warm-up${results.some((result) => result.loadModel.kind === 'open') ? '; in an open loop from each workflow\'s intended start time' : ''}. Generated by sched-bench ${escapeHtml(results[0]!.tool.version)}.</p>
<h2>Summary</h2>
${summaryTable(results, labels)}
<h2>Charts</h2>
<div class="charts">
<div class="chart" id="chart-rate"></div>
<div class="chart" id="chart-inflight"></div>
<div class="chart" id="chart-latency"></div>
<div class="chart" id="chart-distribution"></div>
</div>
${perRun}
<script id="report-data" type="application/json">${scriptJson({ runs, percentiles: DISTRIBUTION_PERCENTILES, intervalLatency: waited ? 'e2e' : 'start' })}</script>
<script>${assets.script.replace(/<\/script/gi, '<\\/script')}</script>
<script>${PAGE_SCRIPT}</script>
</body></html>
`;
}
