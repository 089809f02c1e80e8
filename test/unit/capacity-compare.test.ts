import { describe, expect, it } from 'vitest';
import { capacityIncomparability, formatCapacityChange, formatCapacityComparison } from '../../src/report/capacity-compare.js';
import type { CapacityRunDocument } from '../../src/report/capacity-result.js';
import { renderHtmlReport } from '../../src/report/html.js';
import { labelLetter, resultLetter } from '../../src/report/result-labels.js';
import { makeCapacityDocument } from '../helpers/capacity-results.js';

const assets = { script: '', style: '' };

describe('comparing two capacity searches as a change', async () => {
  const base = await makeCapacityDocument({ knee: 140, runId: 'base' });
  const other = await makeCapacityDocument({ knee: 80, runId: 'other' });
  const withSlo = (document: CapacityRunDocument, slo: string[]): CapacityRunDocument => ({ ...document, settings: { ...document.settings, slo } });
  const withAnswer = (document: CapacityRunDocument, answer: Partial<CapacityRunDocument['answer']>): CapacityRunDocument => ({ ...document, answer: { ...document.answer, ...answer } });

  it('the same SLO (in any order) and workload, both measured: the change in percent', () => {
    expect(capacityIncomparability(base, other)).toBeNull();
    const twoA = withSlo(base, ['e2e.p99<2s', 'start.p99<1s']);
    const twoB = withSlo(other, ['start.p99<1s', 'e2e.p99<2s']);
    expect(formatCapacityChange(twoA, twoB)).toBe('Capacity: 140 → 80 wf/s (−43%)');
    const atLeast = withAnswer(base, { kind: 'at-least' });
    expect(formatCapacityChange(atLeast, other)).toBe('Capacity: ≥140 → 80 wf/s (−43%; a "≥" is a lower bound: no step failed)');
  });

  it('another SLO: not comparable, naming both (the reviewer\'s <500ms vs <2s)', () => {
    expect(formatCapacityChange(withSlo(base, ['e2e.p99<500ms']), other)).toBe('Capacity: not comparable: different SLOs (e2e.p99<500ms vs e2e.p99<2s)');
    expect(formatCapacityChange(base, withSlo(other, ['e2e.p99<2s', 'start.p99<1s']))).toBe('Capacity: not comparable: different SLOs (e2e.p99<2s vs e2e.p99<2s, start.p99<1s)');
  });

  it('another workload, by name or by its settings: not comparable', () => {
    const update = { ...other, workload: { name: 'update', updates: 1 } };
    expect(formatCapacityChange(base, update)).toBe(`Capacity: not comparable: different workloads (${base.workload.name} vs update)`);
    const slower = { ...other, workload: { ...other.workload, activityDelayMs: 50 } };
    expect(formatCapacityChange(base, slower)).toMatch(new RegExp(`^Capacity: not comparable: different ${base.workload.name} workload settings \\(.*activityDelayMs.*\\)$`));
  });

  it('an answer that is no measured capacity: not comparable, whichever side, the first reason found', () => {
    const cases: Array<[CapacityRunDocument, string]> = [
      [withAnswer(other, { kind: 'client-limited', capacity: 1 }), 'was limited by the load generator (no capacity found)'],
      [withAnswer(other, { kind: 'none', capacity: null }), 'found no capacity'],
      [withAnswer(other, { kind: 'no-passing-step', capacity: null }), 'found no capacity'],
      [{ ...other, stopReason: 'interrupted' }, 'was interrupted'],
      [{ ...other, stopReason: 'error', error: 'boom' }, 'stopped on an error'],
    ];
    for (const [unmeasured, reason] of cases) {
      expect(formatCapacityChange(base, unmeasured)).toBe(`Capacity: not comparable: the second search ${reason}`);
      expect(formatCapacityChange(unmeasured, base)).toBe(`Capacity: not comparable: the first search ${reason}`);
    }
    // The reviewer's case: client-limited with another SLO; the answer comes first.
    const limited = withSlo(withAnswer(other, { kind: 'client-limited', capacity: 1 }), ['e2e.p99<3s']);
    expect(formatCapacityChange(base, limited)).toBe('Capacity: not comparable: the second search was limited by the load generator (no capacity found)');
  });

  it('keeps the per-result lines; a single step is "1 step"', () => {
    const oneStep = { ...other, steps: other.steps.slice(0, 1) };
    const lines = formatCapacityComparison([{ label: 'A a.json', result: base }, { label: 'B b.json', result: withSlo(oneStep, ['e2e.p99<500ms']) }]).split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/ · 9 steps$/);
    expect(lines[1]).toMatch(/ · 1 step$/);
    expect(lines[2]).toBe('Capacity: not comparable: different SLOs (e2e.p99<2s vs e2e.p99<500ms)');
  });

  it('the HTML comparison says the same, and never the percentage of unlike searches', () => {
    const page = renderHtmlReport([base, withSlo(other, ['e2e.p99<500ms'])], assets);
    expect(page).toContain('Capacity: not comparable: different SLOs (e2e.p99&lt;2s vs e2e.p99&lt;500ms)');
    expect(page).not.toMatch(/140 → 80 wf\/s/);
  });

  it('the HTML shows the address the server was reached at (server.address), not the configured one', () => {
    const devServer = { ...base, server: { ...base.server, address: '127.0.0.1:40123' }, config: { ...base.config, address: 'localhost:7233' } };
    const page = renderHtmlReport([devServer], assets);
    expect(page).toContain('server 127.0.0.1:40123');
    expect(page).not.toContain('server localhost:7233');
  });
});

describe('report labels', () => {
  it('A … Z, then AA, AB …: unique past 26 results', () => {
    expect([0, 1, 25, 26, 27, 51, 52, 701, 702].map(resultLetter)).toEqual(['A', 'B', 'Z', 'AA', 'AB', 'AZ', 'BA', 'ZZ', 'AAA']);
    const letters = Array.from({ length: 800 }, (_, index) => resultLetter(index));
    expect(new Set(letters).size).toBe(800);
    expect(letters.every((letter) => /^[A-Z]+$/.test(letter))).toBe(true);
    expect(labelLetter('AB: cap1 (capacity, SLO e2e.p99<2s)')).toBe('AB');
  });

  it('an HTML report of 28 capacity searches labels the 27th and 28th AA and AB, in the chart and the answers', async () => {
    const document = await makeCapacityDocument({ knee: 40, runId: 'many' });
    const page = renderHtmlReport(Array.from({ length: 28 }, () => document), assets);
    expect(page).toContain('<li><strong>AA</strong>: ');
    expect(page).toContain('<li><strong>AB</strong>: ');
    expect(page).toContain('"label":"AB e2e p99"');
    expect(page).not.toMatch(/[[\]\\^_`]: many/);
  });
});
