import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  figuresBlock,
  figuresBlockOf,
  formatFigure,
  readResultsFiles,
  withFiguresBlock,
  type BenchFigure,
  type ResultsFile,
} from '../../bench/readme-figures.js';
import { OPTION_SPECS, type OptionSpec } from '../../src/cli/options.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const readme = readFileSync(`${root}README.md`, 'utf8');

describe("README's benchmark figures: one source, bench/results", () => {
  it('the figures block is the one made from the newest results (run `npm run bench:readme` after a bench run)', () => {
    const files = readResultsFiles(`${root}bench/results`);
    expect(files.length).toBeGreaterThan(0);
    expect(figuresBlockOf(readme)).toBe(figuresBlock(files));
  });

  it('options quote no measured percentages of their own: they refer to the Benchmark section', () => {
    for (const key of ['eagerStart', 'grpcCompression'] as const) {
      const spec = (OPTION_SPECS as readonly OptionSpec[]).find((candidate) => candidate.key === key)!;
      expect(spec.description).not.toMatch(/\d\s*%|\d+ ?\d* starts\/s/);
      const row = readme.split('\n').find((line) => line.startsWith(`| \`${spec.flag.split(' ')[0]}`))!;
      expect(row).toContain('[Benchmark](#benchmark)');
      expect(row).not.toMatch(/\d\s*%|\d+ ?\d* starts\/s/);
    }
  });
});

describe('figuresBlock', () => {
  const figure = (scenario: string, metric: string, value: number, unit = 'wf/s'): BenchFigure => ({ scenario, metric, value, unit });
  const eager = (off: number, on: number): BenchFigure[] => [
    figure('eager-start', 'throughput (concurrency 10, eager off)', off),
    figure('eager-start', 'e2e p50 (concurrency 10, eager off)', 300, 'ms'),
    figure('eager-start', 'e2e p99 (concurrency 10, eager off)', 400, 'ms'),
    figure('eager-start', 'throughput (concurrency 10, eager on)', on),
    figure('eager-start', 'e2e p50 (concurrency 10, eager on)', 250, 'ms'),
    figure('eager-start', 'e2e p99 (concurrency 10, eager on)', 350, 'ms'),
  ];
  const accuracy = (started: number): BenchFigure[] => [
    { ...figure('open-loop-accuracy', 'started at 20/s for 60s', started, 'workflows'), target: '1200 ±1%', pass: true },
    figure('open-loop-accuracy', 'start lateness p99', 7.659, 'ms'),
    figure('open-loop-accuracy', 'e2e p99', 3344.383, 'ms'),
  ];

  it('takes each scenario from the newest file that has it', () => {
    const older: ResultsFile = { date: '2026-11-01', machine: { cpus: 2 }, figures: [...accuracy(1199), ...eager(30, 33)] };
    const newer: ResultsFile = { date: '2026-11-20', machine: { cpus: 2 }, figures: eager(40, 50) };
    const block = figuresBlock([newer, older]);
    expect(block).toContain('| `eager-start`, eager off → on | concurrency 10: 40 → 50 wf/s (+25%), e2e p50 300ms → 250ms, p99 400ms → 350ms | [2026-11-20]');
    expect(block).toContain('| `open-loop-accuracy` | started 1199 of 1200 ±1% ✓ (20/s for 60 s); start lateness p99 7.66ms; e2e p99 3.34s | [2026-11-01]');
    expect(block).not.toContain('30 → 33');
  });

  it('memory: both cases with their peaks once start+wait is measured', () => {
    const memoryCase = (suffix: string, mean: number, peak: number): BenchFigure[] => [
      figure('memory', `RSS after warm-up, mean${suffix}`, mean, 'MB'),
      figure('memory', `RSS after warm-up, min / max${suffix}`, mean - 2, `MB / ${mean + 3} MB`),
      { ...figure('memory', `peak RSS (maxRSS)${suffix}`, peak, 'MB'), target: '≤ 100 MB', pass: peak <= 100 },
      { ...figure('memory', `largest deviation from the mean${suffix}`, 2, '%'), target: '≤ 10%', pass: true },
      { ...figure('memory', `drift: second half mean vs first half${suffix}`, 1, '%'), target: '≤ 10%', pass: true },
    ];
    const figures = [
      { ...figure('memory', 'workflows started (infinite, start-only, open loop 1000/s, fake frontend)', 100_000, 'workflows'), pass: true },
      ...memoryCase('', 90, 95),
      { ...figure('memory', 'workflows completed (infinite, start+wait, open loop 1000/s, fake frontend)', 100_000, 'workflows'), pass: true },
      ...memoryCase(' (start+wait)', 110, 120),
    ];
    const block = figuresBlock([{ date: '2026-11-30', figures }]);
    expect(block).toContain(
      '| `memory` | start-only: 100 000 workflows ✓; RSS after warm-up: mean 90 MB (88–93 MB), peak 95 MB ✓, largest deviation 2.0% ✓, drift 1.0% ✓; ' +
        'start+wait: 100 000 workflows ✓, RSS after warm-up: mean 110 MB (108–113 MB), peak 120 MB ✗, largest deviation 2.0% ✓, drift 1.0% ✓ |',
    );
  });

  it('names a figure it cannot find rather than printing a wrong one', () => {
    const broken: ResultsFile = { date: '2026-11-20', figures: [figure('eager-start', 'throughput (concurrency 10, eager off)', 30)] };
    expect(() => figuresBlock([broken])).toThrow(/eager-start has no figure "throughput \(concurrency 10, eager on\)"/);
  });

  it('replaces only the block of the README', () => {
    const block = figuresBlock([{ date: '2026-11-20', figures: eager(40, 50) }]);
    const before = `intro\n${figuresBlockOf(readme)}\noutro`;
    const after = withFiguresBlock(before, block);
    expect(after).toBe(`intro\n${block}\noutro`);
    expect(() => withFiguresBlock('no markers', block)).toThrow(/has no/);
  });

  it.each([
    [10_078.224, '10 100'],
    [4769.148, '4 770'],
    [118.919, '119'],
    [30.8, '30.8'],
    [0.778, '0.778'],
    [100_000, '100 000'],
  ])('formatFigure(%d) = %s', (value, text) => expect(formatFigure(value)).toBe(text));
});
