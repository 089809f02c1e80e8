import type { StepVerdict } from '../capacity/types.js';
import { labelLetter } from './result-labels.js';
import { capacityAnswerLine, formatCapacityChange, sloLatencyGroups, sloLatencyLimits } from './capacity-compare.js';
import type { CapacityRunDocument, CapacityStepResult } from './capacity-result.js';
import { configTable, escapeHtml, scriptJson } from './html-parts.js';
import { formatMillis, formatNumber } from './units.js';

/**
 * The capacity part of the HTML report: the knee chart (target rate vs. the p50 and p99 of each latency
 * group the SLO names, the SLO's limits as horizontal lines, every step marked by its verdict), the
 * answer, the steps, the settings and the configuration of each search. Several searches share one
 * chart, one colour each. Pure: returns markup and the chart's data; the page script draws it with uPlot.
 */

export interface CapacityEntry {
  result: CapacityRunDocument;
  label: string;
}

/** One line of the knee chart: a statistic of a latency group of one search, by target rate (null: no step there). */
interface KneeSeries {
  label: string;
  /** Which search (its colour when there are several). */
  result: number;
  group: string;
  stat: 'p50' | 'p99';
  values: Array<number | null>;
}

/** What the page script draws; also exposed to tests through window.__schedBenchCharts. */
export interface KneeChartData {
  id: string;
  /** The x axis: every target rate any search ran, ascending. */
  rates: number[];
  series: KneeSeries[];
  /** The SLO's latency limits (ms), each drawn as a horizontal line. */
  limits: Array<{ label: string; value: number }>;
  /** Each step's verdict, at its target rate and the p99 of the first group the SLO names. */
  markers: Array<{ result: number; x: number; y: number; verdict: StepVerdict }>;
}

export const KNEE_CHART_ID = 'chart-capacity-knee';

const VERDICT_TEXT: Record<StepVerdict, { glyph: string; text: string; className: string }> = {
  pass: { glyph: '✓', text: 'pass', className: 'pass' },
  fail: { glyph: '✗', text: 'fail', className: 'fail' },
  'client-limited': { glyph: '●', text: 'client-limited', className: 'limited' },
  'cut-short': { glyph: '◌', text: 'cut short', className: 'limited' },
};

const stepLatency = (step: CapacityStepResult, group: string, stat: 'p50' | 'p99'): number | null => {
  const latency = step.latency[group];
  return latency && latency.count > 0 ? latency[stat] : null;
};

/** The chart's data: the union of the searches' rates on x, each search's groups' p50 and p99 on y. */
export function kneeChartData(entries: readonly CapacityEntry[]): KneeChartData {
  const rates = [...new Set(entries.flatMap(({ result }) => result.steps.map((step) => step.targetRate)))].sort((a, b) => a - b);
  const series: KneeSeries[] = [];
  const markers: KneeChartData['markers'] = [];
  const limits = new Map<string, number>();
  const prefix = (index: number) => (entries.length > 1 ? `${labelLetter(entries[index]!.label)} ` : '');
  entries.forEach(({ result }, index) => {
    const groups = sloLatencyGroups(result.settings.slo);
    // A rate run twice (never by the search itself, but a hand-edited file) shows its last step.
    const byRate = new Map(result.steps.map((step) => [step.targetRate, step]));
    for (const group of groups) {
      for (const stat of ['p50', 'p99'] as const) {
        series.push({
          label: `${prefix(index)}${group} ${stat}`, result: index, group, stat,
          values: rates.map((rate) => { const step = byRate.get(rate); return step ? stepLatency(step, group, stat) : null; }),
        });
      }
    }
    for (const step of result.steps) markers.push({ result: index, x: step.targetRate, y: stepLatency(step, groups[0]!, 'p99') ?? 0, verdict: step.verdict });
    for (const { expression, limitMs } of sloLatencyLimits(result.settings.slo)) limits.set(`SLO ${expression}`, limitMs);
  });
  return { id: KNEE_CHART_ID, rates, series, limits: [...limits].map(([label, value]) => ({ label, value })), markers };
}

function stepTable(result: CapacityRunDocument): string {
  const groups = sloLatencyGroups(result.settings.slo);
  const header = ['step', 'phase', 'target wf/s', 'achieved wf/s', ...groups.flatMap((group) => [`${group} p50`, `${group} p99`]), 'failed', 'verdict'];
  const rows = result.steps.map((step) => {
    const verdict = VERDICT_TEXT[step.verdict];
    const broke = step.thresholds.filter((threshold) => !threshold.passed).map((threshold) => threshold.expression);
    const why = step.verdict === 'client-limited' ? (step.generator.reason ?? 'the load generator did not keep up') : step.verdict === 'fail' ? broke.join(', ') : '';
    const latencies = groups.flatMap((group) => (['p50', 'p99'] as const).map((stat) => {
      const value = stepLatency(step, group, stat);
      return value === null ? '-' : formatMillis(value);
    }));
    const cells = [String(step.index + 1), step.phase, formatNumber(step.targetRate), formatNumber(step.achievedRate), ...latencies, String(step.counts.failed)];
    return `<tr>${cells.map((cell) => `<td>${escapeHtml(cell)}</td>`).join('')}<td class="${verdict.className}" data-verdict="${step.verdict}">${verdict.glyph} ${escapeHtml(verdict.text)}${why ? ` <span class="muted">(${escapeHtml(why)})</span>` : ''}</td></tr>`;
  });
  return `<table class="grid steps"><thead><tr>${header.map((title) => `<th>${escapeHtml(title)}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function settingsTable(result: CapacityRunDocument): string {
  const { settings, serverHealth } = result;
  const seconds = (value: number) => formatMillis(value * 1000);
  const rows: Array<[string, string]> = [
    ['SLO', settings.slo.join(', ')], ['start rate', `${formatNumber(settings.startRate)} wf/s`], ['growth factor', `×${formatNumber(settings.growthFactor)}`],
    ['precision', `${formatNumber(settings.precision * 100)}%`], ['max rate', `${formatNumber(settings.maxRate)} wf/s`],
    ['max duration', settings.maxDurationSeconds === null ? 'none' : seconds(settings.maxDurationSeconds)],
    ['step duration', seconds(settings.stepDurationSeconds)], ['warm-up per step', settings.warmupSeconds === 0 ? 'none' : seconds(settings.warmupSeconds)],
    ['generator kept up if', `start lateness p99 ≤ ${formatMillis(settings.maxStartLatenessMs)}, launched within ±${formatNumber(settings.launchedTolerance * 100)}% of the arrivals`],
    ['search stopped', `${result.stopReason}${result.error ? ` (${result.error})` : ''}`], ['search took', seconds(result.elapsedSeconds)],
    ['server throttled / unavailable', `${serverHealth.throttledAttempts} / ${serverHealth.unavailableAttempts} attempts`], ['exit code', String(result.exitCode)],
  ];
  return `<table class="kv">${rows.map(([name, value]) => `<tr><th>${escapeHtml(name)}</th><td>${escapeHtml(value)}</td></tr>`).join('')}</table>`;
}

function expectationLine(result: CapacityRunDocument): string {
  const { expectation } = result;
  if (!expectation) return '';
  return `<p class="${expectation.met ? 'pass' : 'fail'}">${expectation.met ? '✓' : '✗'} expected capacity ${escapeHtml(expectation.expression)} wf/s</p>`;
}

function searchSection({ result, label }: CapacityEntry): string {
  const workload = result.workload.name === 'echo' ? '' : ` · workload ${escapeHtml(result.workload.name)}`;
  return `<section class="capacity"><h2>${escapeHtml(label)}</h2>
<p class="muted">${escapeHtml(result.startedAt)} → ${escapeHtml(result.endedAt)} · server ${escapeHtml(result.server.address)} (${escapeHtml(result.server.version ?? 'version unknown')}) · namespace ${escapeHtml(result.server.namespace)}${workload}${result.interrupted ? ' · interrupted' : ''}</p>
<p class="answer"><strong>${escapeHtml(capacityAnswerLine(result))}</strong></p>
${expectationLine(result)}<h3>Steps</h3>${result.steps.length > 0 ? stepTable(result) : '<p class="muted">No step was judged.</p>'}
<h3>Settings</h3>${settingsTable(result)}
<details><summary>Configuration</summary>${configTable(result)}</details></section>`;
}

/** The capacity part of the page: the shared knee chart with every answer, then one section per search. */
export function capacityPart(entries: readonly CapacityEntry[]): { html: string; data: KneeChartData | null } {
  if (entries.length === 0) return { html: '', data: null };
  const answers = entries.length > 1
    ? `<ul class="answers">${entries.map(({ result, label }) => `<li><strong>${escapeHtml(labelLetter(label))}</strong>: ${escapeHtml(capacityAnswerLine(result))}</li>`).join('')}</ul>
${entries.length === 2 ? `<p class="answer"><strong>${escapeHtml(formatCapacityChange(entries[0]!.result, entries[1]!.result))}</strong></p>` : ''}`
    : '';
  const legend = Object.values(VERDICT_TEXT).map(({ glyph, text, className }) => `<span class="${className}">${glyph} ${escapeHtml(text)}</span>`).join(' · ');
  const html = `<h2>Capacity: latency by target rate</h2>
${answers}<div class="charts"><div class="chart knee" id="${KNEE_CHART_ID}"></div></div>
<p class="muted">Each step at its target rate: p50 (dashed) and p99 of the latencies the SLO names; the SLO's limits as grey dashed lines. Steps: ${legend}.</p>
${entries.map(searchSection).join('\n')}`;
  return { html, data: kneeChartData(entries) };
}

/** The data element the capacity script reads. */
export const capacityDataScript = (data: KneeChartData | null): string =>
  data ? `<script id="capacity-data" type="application/json">${scriptJson(data)}</script>` : '';

export const CAPACITY_STYLE = `
.limited { color: #868e96; } p.answer { font-size: 15px; } ul.answers { padding-left: 18px; } table.steps td:last-child { text-align: left; }
`;

/** Draws the knee chart with uPlot and appends it to window.__schedBenchCharts (for tests). */
export const CAPACITY_SCRIPT = `
(function () {
  var element = document.getElementById('capacity-data');
  if (!element) return;
  var data = JSON.parse(element.textContent);
  var target = document.getElementById(data.id);
  var charts = window.__schedBenchCharts = window.__schedBenchCharts || [];
  var colors = ['#2f6fde', '#e8590c', '#ae3ec9', '#0c8599', '#5c3d2e'];
  var verdicts = { pass: ['\\u2713', '#2b8a3e'], fail: ['\\u2717', '#c92a2a'], 'client-limited': ['\\u25cf', '#868e96'], 'cut-short': ['\\u25cc', '#868e96'] };
  var groups = [];
  data.series.forEach(function (s) { if (groups.indexOf(s.group) < 0) groups.push(s.group); });
  var several = data.series.some(function (s) { return s.result > 0; });
  var series = [{}].concat(data.series.map(function (s) {
    var color = colors[(several ? s.result : groups.indexOf(s.group)) % colors.length];
    return { label: s.label, stroke: color, width: s.stat === 'p99' ? 2 : 1.5, dash: s.stat === 'p50' ? [5, 4] : undefined, spanGaps: true, points: { show: true, size: 5 } };
  })).concat(data.limits.map(function (l) { return { label: l.label, stroke: '#868e96', width: 1.5, dash: [8, 5], points: { show: false } }; }));
  var values = [data.rates].concat(data.series.map(function (s) { return s.values; }))
    .concat(data.limits.map(function (l) { return data.rates.map(function () { return l.value; }); }));
  var top = 0, bottom = Infinity;
  values.slice(1).forEach(function (v) { v.forEach(function (y) { if (y !== null && y > top) top = y; if (y !== null && y > 0 && y < bottom) bottom = y; }); });
  // A log scale: past the knee latencies grow by orders of magnitude, and the SLO line must stay readable below them.
  var low = bottom === Infinity ? 1 : Math.pow(10, Math.floor(Math.log10(bottom)));
  var high = top > 0 ? Math.pow(10, Math.ceil(Math.log10(top * 1.3))) : 10;
  var maxRate = data.rates.length ? data.rates[data.rates.length - 1] : 1;
  var entry = { id: data.id, title: 'Latency by target rate', points: data.rates.length, series: data.series.length + data.limits.length, y: null,
    rates: data.rates, values: data.series.map(function (s) { return { label: s.label, values: s.values }; }), limits: data.limits, markers: data.markers };
  function drawMarkers(u) {
    var ctx = u.ctx, ratio = window.devicePixelRatio || 1;
    ctx.save();
    ctx.font = 'bold ' + Math.round(15 * ratio) + 'px sans-serif';
    ctx.textAlign = 'center';
    ctx.textBaseline = 'bottom';
    data.markers.forEach(function (m) {
      var mark = verdicts[m.verdict];
      ctx.fillStyle = mark[1];
      ctx.fillText(mark[0], u.valToPos(m.x, 'x', true), u.valToPos(m.y, 'y', true) - 5 * ratio);
    });
    ctx.restore();
  }
  var opts = {
    title: entry.title, width: Math.max(target.clientWidth, 480), height: 340,
    scales: { x: { time: false, range: function () { return [0, maxRate * 1.08]; } }, y: { distr: 3, log: 10, range: function () { return [low, high]; } } },
    axes: [{ label: 'target rate (wf/s)' }, { label: 'latency (ms, log scale)' }],
    series: series,
    hooks: { draw: [drawMarkers], setScale: [function (u, key) { if (key === 'y') entry.y = [u.scales.y.min, u.scales.y.max]; }] }
  };
  new uPlot(opts, values, target);
  charts.push(entry);
})();
`;
