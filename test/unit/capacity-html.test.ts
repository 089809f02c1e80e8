import { describe, expect, it } from 'vitest';
import { formatCapacityChange, formatCapacityComparison, sloLatencyGroups } from '../../src/report/capacity-compare.js';
import { KNEE_CHART_ID, type KneeChartData } from '../../src/report/capacity-html.js';
import { renderHtmlReport } from '../../src/report/html.js';
import { makeCapacityDocument } from '../helpers/capacity-results.js';
import { makeRunResult } from '../helpers/results.js';

const assets = { script: '/* chart library */', style: '/* chart style */' };
const kneeData = (html: string): KneeChartData => JSON.parse(/<script id="capacity-data" type="application\/json">([\s\S]*?)<\/script>/.exec(html)![1]!);
const runData = (html: string) => JSON.parse(/<script id="report-data" type="application\/json">([\s\S]*?)<\/script>/.exec(html)![1]!);

describe('the capacity part of the HTML report', async () => {
  const before = await makeCapacityDocument({ knee: 140, runId: 'before' });
  const after = await makeCapacityDocument({ knee: 80, runId: 'after' });

  it('draws one search: the knee chart\'s data holds every step\'s p50 and p99, the SLO line and each verdict', () => {
    const html = renderHtmlReport([before], assets);
    expect(html).toContain('<title>sched-bench capacity search before</title>');
    expect(html).toContain(`<div class="chart knee" id="${KNEE_CHART_ID}"></div>`);
    const data = kneeData(html);
    const rates = before.steps.map((step) => step.targetRate).sort((a, b) => a - b);
    expect(data.rates).toEqual(rates);
    expect(data.series.map((series) => series.label)).toEqual(['e2e p50', 'e2e p99']);
    for (const step of before.steps) {
      const at = data.rates.indexOf(step.targetRate);
      expect(data.series[0]!.values[at]).toBe(step.latency.e2e!.p50);
      expect(data.series[1]!.values[at]).toBe(step.latency.e2e!.p99);
    }
    expect(data.limits).toEqual([{ label: 'SLO e2e.p99<2s', value: 2000 }]);
    expect(data.markers).toEqual(before.steps.map((step) => ({ result: 0, x: step.targetRate, y: step.latency.e2e!.p99, verdict: step.verdict })));
    expect(new Set(data.markers.map((marker) => marker.verdict))).toEqual(new Set(['pass', 'fail']));
    // No run charts on a capacity-only page.
    expect(runData(html).runs).toEqual([]);
    expect(html).not.toContain('id="chart-rate"');
  });

  it('shows the answer line, a row per step with its verdict, the settings and the configuration', () => {
    const html = renderHtmlReport([before], assets);
    expect(html).toMatch(/<p class="answer"><strong>Capacity: 140 wf\/s at e2e\.p99&lt;2s \(last passing step 140 wf\/s, first failing 145 wf\/s: e2e\.p99&lt;2s; the SLO broke near [\d.]+ wf\/s\)<\/strong><\/p>/);
    const table = /<table class="grid steps">([\s\S]*?)<\/table>/.exec(html)![1]!;
    expect(table).toContain('<th>step</th><th>phase</th><th>target wf/s</th><th>achieved wf/s</th><th>e2e p50</th><th>e2e p99</th><th>failed</th><th>verdict</th>');
    expect(table.match(/<tr><td>/g)).toHaveLength(before.steps.length);
    expect(table.match(/data-verdict="pass">✓ pass</g)).toHaveLength(before.steps.filter((step) => step.verdict === 'pass').length);
    expect(table).toMatch(/<td>5<\/td><td>growth<\/td><td>160<\/td><td>160<\/td><td>[^<]+<\/td><td>3\.\d+s<\/td><td>0<\/td><td class="fail" data-verdict="fail">✗ fail <span class="muted">\(e2e\.p99&lt;2s\)<\/span><\/td>/);
    expect(html).toContain('<tr><th>SLO</th><td>e2e.p99&lt;2s</td></tr>');
    expect(html).toContain('<tr><th>step duration</th><td>10.0s</td></tr>');
    expect(html).toContain('<tr><th>search stopped</th><td>found</td></tr>');
    expect(html).toContain('<details><summary>Configuration</summary><table class="kv"><tr><th>slo</th><td>e2e.p99&lt;2s</td></tr>');
  });

  it('marks client-limited steps grey and says why', async () => {
    const limited = await makeCapacityDocument({ knee: 1000, clientMax: 50, startRate: 20 });
    const html = renderHtmlReport([limited], assets);
    expect(html).toMatch(/<td class="limited" data-verdict="client-limited">● client-limited <span class="muted">\(sent 500 of 800 intended starts \(62\.5%\)\)<\/span><\/td>/);
    expect(kneeData(html).markers.at(-1)!.verdict).toBe('client-limited');
    expect(html).toContain('Capacity: not found — the load generator could not deliver 80 wf/s');
  });

  it('overlays several searches in one chart, one colour each, and shows each answer and the change', () => {
    const html = renderHtmlReport([before, after], assets);
    expect(html).toContain('<title>sched-bench comparison of 2 capacity searches</title>');
    const data = kneeData(html);
    expect(data.series.map((series) => [series.label, series.result])).toEqual([['A e2e p50', 0], ['A e2e p99', 0], ['B e2e p50', 1], ['B e2e p99', 1]]);
    expect(data.rates).toEqual([...new Set([...before.steps, ...after.steps].map((step) => step.targetRate))].sort((a, b) => a - b));
    // B's values sit at B's rates; where only A ran a step, B has no point.
    const onlyA = data.rates.find((rate) => !after.steps.some((step) => step.targetRate === rate))!;
    expect(data.series[3]!.values[data.rates.indexOf(onlyA)]).toBeNull();
    expect(data.limits).toHaveLength(1); // the same SLO once
    expect(data.markers.filter((marker) => marker.result === 1)).toHaveLength(after.steps.length);
    expect(html).toContain('<li><strong>A</strong>: Capacity: 140 wf/s');
    expect(html).toContain('<li><strong>B</strong>: Capacity: 80 wf/s');
    expect(html).toContain('<p class="answer"><strong>Capacity: 140 → 80 wf/s (−43%)</strong></p>');
    expect(html).toContain('<h2>A: before (capacity, SLO e2e.p99&lt;2s)</h2>');
  });

  it('draws p50 and p99 of every latency group the SLO names', async () => {
    const two = await makeCapacityDocument({ knee: 80, slo: 'e2e.p99<2s,start.p50<1s,failed.rate<1%' });
    const data = kneeData(renderHtmlReport([two], assets));
    expect(data.series.map((series) => series.label)).toEqual(['e2e p50', 'e2e p99', 'start p50', 'start p99']);
    expect(data.limits).toEqual([{ label: 'SLO e2e.p99<2s', value: 2000 }, { label: 'SLO start.p50<1s', value: 1000 }]);
    expect(sloLatencyGroups(['failed.rate<1%'])).toEqual(['e2e']);
  });

  it('renders a run and a capacity search side by side, each in its own section', () => {
    const html = renderHtmlReport([makeRunResult(), before], assets);
    expect(html).toContain('<title>sched-bench comparison of 2 runs</title>');
    expect(html).toContain('<th>A: r1 (run, closed loop)</th>');
    expect(html).toContain('<h2>B: before (capacity, SLO e2e.p99&lt;2s)</h2>');
    expect(runData(html).runs).toHaveLength(1);
    expect(kneeData(html).series).toHaveLength(2);
    expect(html).toContain('id="chart-rate"');
  });

  it('escapes what comes from the result', () => {
    const html = renderHtmlReport([{ ...before, config: { note: '<script>alert(1)</script>' }, server: { ...before.server, address: '"x"&<' } }], assets);
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('server &quot;x&quot;&amp;&lt;');
  });
});

describe('the capacity comparison in text', async () => {
  const before = await makeCapacityDocument({ knee: 140, runId: 'before' });
  const after = await makeCapacityDocument({ knee: 80, runId: 'after' });

  it('one line per result with its answer and stop reason, then the change', () => {
    const text = formatCapacityComparison([{ label: 'A a.json', result: before }, { label: 'B b.json', result: after }]);
    const lines = text.split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^A a\.json: Capacity: 140 wf\/s at e2e\.p99<2s \(last passing step 140 wf\/s, first failing 145 wf\/s: e2e\.p99<2s; .*\) · search stopped: found · 9 steps$/);
    expect(lines[1]).toMatch(/^B b\.json: Capacity: 80 wf\/s at e2e\.p99<2s \(last passing step 80 wf\/s, first failing 82\.50 wf\/s: e2e\.p99<2s; .*\) · search stopped: found · \d+ steps$/);
    expect(lines[2]).toBe('Capacity: 140 → 80 wf/s (−43%)');
  });

  it('the change: up, none, a lower bound, and no capacity found', () => {
    const withCapacity = (capacity: number | null, kind: 'capacity' | 'at-least' | 'no-passing-step' = 'capacity') => ({ ...before, answer: { ...before.answer, capacity, kind } });
    expect(formatCapacityChange(withCapacity(118), withCapacity(142))).toBe('Capacity: 118 → 142 wf/s (+20%)');
    expect(formatCapacityChange(withCapacity(100), withCapacity(100))).toBe('Capacity: 100 → 100 wf/s (±0%)');
    expect(formatCapacityChange(withCapacity(200, 'at-least'), withCapacity(150))).toBe('Capacity: ≥200 → 150 wf/s (−25%; a "≥" is a lower bound: no step failed)');
    expect(formatCapacityChange(withCapacity(100), withCapacity(null, 'no-passing-step'))).toBe('Capacity: not comparable: the second search found no capacity');
  });

  it('one result: its line alone', () => {
    expect(formatCapacityComparison([{ label: 'A a.json', result: before }]).split('\n')).toHaveLength(1);
  });
});
