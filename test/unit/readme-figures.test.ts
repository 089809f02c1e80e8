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
import { capacityFigures } from '../../bench/capacity.js';
import { peerFigures, ratioInterval, type RoundMeasure } from '../../bench/peer.js';
import { searchCapacity } from '../../src/capacity/search.js';
import { parseSlo } from '../../src/capacity/slo.js';
import type { StepRunner } from '../../src/capacity/types.js';
import { startupFigures } from '../../bench/startup.js';
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
    // A count one short of its target reads as it is, not rounded up to the target.
    figures[6] = { ...figure('memory', 'workflows completed (infinite, start+wait, open loop 1000/s, fake frontend)', 99_999, 'workflows'), target: '100000', pass: false };
    expect(figuresBlock([{ date: '2026-11-30', figures }])).toContain('start+wait: 99 999 of 100 000 workflows ✗, RSS after warm-up');
  });

  it('worker-memory: the worker’s peak against 150 MB, its range after warm-up, drift and CPU per workflow', () => {
    const workerFigures = (peak: number): BenchFigure[] => [
      figure('worker-memory', 'workflows completed (closed loop c50, 120 s, dev server)', 2400, 'workflows'),
      { ...figure('worker-memory', 'worker peak RSS (VmHWM)', peak, 'MB'), target: '≤ 150 MB', pass: peak <= 150 },
      figure('worker-memory', 'worker RSS after warm-up, min / max', 120, 'MB / 138.4 MB'),
      { ...figure('worker-memory', 'worker RSS drift: second half mean vs first half', -1.5, '%'), target: '≤ 10%', pass: true },
      figure('worker-memory', 'worker CPU per workflow (start-up included)', 19.4, 'ms'),
    ];
    expect(figuresBlock([{ date: '2026-12-01', figures: workerFigures(139.6) }])).toContain(
      '| `worker-memory`, `sched-bench worker` alone | 2 400 workflows (closed loop c50, 120 s, dev server): peak RSS 140 MB ✓, after warm-up 120–138 MB, drift -1.5% ✓; worker CPU per workflow 19.4ms |',
    );
    expect(figuresBlock([{ date: '2026-12-01', figures: workerFigures(181) }])).toContain('peak RSS 181 MB ✗');
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

  // Figures made by the scenarios' own functions, so the README reads what the bench writes.
  const rounds = (go: [number, number, number], ours: [number, number, number]): RoundMeasure[] => [
    { tool: 'go-runner', round: 1, count: go[0], seconds: 30, cpuSeconds: go[1], peakRssMegabytes: go[2] },
    { tool: 'sched-bench', round: 1, count: ours[0], seconds: 30, cpuSeconds: ours[1], peakRssMegabytes: ours[2] },
  ];
  const peer: BenchFigure[] = [
    ...peerFigures({ label: 'dev server, start+wait, c50, 60–120 s', per: 'workflow', rateUnit: 'wf/s' }, rounds([1500, 2.1, 27.5], [1485, 4.9, 145])),
    ...peerFigures({ label: 'dev server, start-only, c50, 60–120 s', per: 'start', rateUnit: 'wf/s' }, rounds([3000, 2.0, 27.5], [3300, 1.98, 156])),
    ...peerFigures({ label: 'fake frontend, start-only, c100, steady', per: 'start', rateUnit: 'starts/s' }, rounds([210_000, 14.7, 31], [165_000, 23.1, 160])),
  ];

  it('quotes the peer ratios (with the bench\'s targets) and both tools\' figures, against the dev server and the fake', () => {
    const block = figuresBlock([{ date: '2026-11-30', machine: { cpus: 2 }, figures: peer }]);
    expect(block).toContain('Figures of [2026-11-30](bench/results/2026-11-30.md) (2 CPUs)');
    expect(block).toContain(
      '| `peer`, sched-bench/Go, the dev server, by window of a round | start+wait, c50, 60–120 s: throughput 0.99× ✗ (49.5 vs 50 wf/s), CPU per workflow 2.36× ✗ (3.30ms vs 1.40ms), ' +
        'peak RSS 5.27× (145 vs 27.5 MB); start-only, c50, 60–120 s: throughput 1.1× ✓ (110 vs 100 wf/s), CPU per start 0.9× ✓ (600µs vs 667µs), peak RSS 5.67× (156 vs 27.5 MB) |',
    );
    expect(block).toContain(
      '| `peer`, sched-bench/Go, steady state, the tool alone (fake frontend) | start-only, c100: throughput 0.786× ✗ (5 500 vs 7 000 starts/s), ' +
        'CPU per start 2× ✗ (140µs vs 70µs), peak RSS 5.16× (160 vs 31 MB) |',
    );
  });

  it('quotes a ratio\'s 95% interval when the rounds gave one, and marks ≈ a ratio that holds by it alone', () => {
    // Go 1000 per round; sched-bench 1100, 900, 950: pooled throughput 0.983×, inside its interval.
    const three = [1100, 900, 950].flatMap((count, index) => rounds([1000, 1.5, 27], [count, 1.2, 60]).map((measure) => ({ ...measure, round: index + 1 })));
    const figures = [
      ...peerFigures({ label: 'dev server, start-only, c50, 10–40 s', per: 'start', rateUnit: 'wf/s' }, three),
      ...peerFigures({ label: 'fake frontend, start-only, c100, steady', per: 'start', rateUnit: 'starts/s' }, three),
    ];
    const block = figuresBlock([{ date: '2026-12-02', figures }]);
    const interval = ratioInterval(three, (measure) => measure.count / measure.seconds)!;
    expect(block).toContain(
      `start-only, c50, 10–40 s: throughput 0.983× ≈ [95%: ${formatFigure(interval.low)}–${formatFigure(Number(interval.high.toFixed(3)))}] (32.8 vs 33.3 wf/s), CPU per start 0.814× ✓ [95%: `,
    );
  });

  it('quotes the memory scenario\'s client-only peak RSS against its target when the results have it', () => {
    const memory = (peak?: number): ResultsFile => ({
      date: '2026-11-30',
      figures: [
        { ...figure('memory', 'workflows started (infinite, start-only, open loop 1000/s, fake frontend)', 100_000, 'workflows'), target: '100000', pass: true },
        figure('memory', 'RSS after warm-up, mean (node --max-old-space-size=256)', 146.2, 'MB'),
        figure('memory', 'RSS after warm-up, min / max', 145, 'MB / 147.4 MB'),
        { ...figure('memory', 'largest deviation from the mean', 1, '%'), target: '≤ 10%', pass: true },
        { ...figure('memory', 'drift: second half mean vs first half', 0.3, '%'), target: '≤ 10%', pass: true },
        ...(peak === undefined ? [] : [{ ...figure('memory', 'peak RSS (maxRSS)', peak, 'MB'), target: '≤ 100 MB', pass: peak <= 100 }]),
      ],
    });
    expect(figuresBlock([memory(151.3)])).toContain('(145–147 MB), peak 151 MB ✗, largest deviation 1.0% ✓, drift 0.3% ✓ |');
    expect(figuresBlock([memory(88)])).toContain('(145–147 MB), peak 88 MB ✓, largest deviation');
    expect(figuresBlock([memory()])).toContain('(145–147 MB), largest deviation 1.0% ✓, drift 0.3% ✓ |');
  });

  it('quotes the start-up median against its target, and the Go runner\'s when measured', () => {
    const withGo = figuresBlock([{ date: '2026-11-30', figures: startupFigures({ median: 1234.5, min: 900, max: 2500 }, { median: 25.6, min: 20, max: 30 }) }]);
    expect(withGo).toContain('| `startup`, launch → first start request | median of 5 launches 1.23s ✗ (target ≤ 500 ms; 900ms–2.50s); Go runner 25.6ms |');
    const alone = figuresBlock([{ date: '2026-11-30', figures: startupFigures({ median: 420, min: 400, max: 480 }, undefined) }]);
    expect(alone).toContain('| `startup`, launch → first start request | median of 5 launches 420ms ✓ (target ≤ 500 ms; 400ms–480ms) |');
  });

  it('quotes the capacity found, its bracket, the search and every step', async () => {
    // A server whose e2e p99 is 200 ms up to 20 wf/s and seconds beyond; steps take 12 s.
    let now = 0;
    const flat = (value: number, count: number) => ({ count, min: value, mean: value, p50: value / 2, p90: value, p95: value, p99: value, p999: value, max: value });
    const runStep: StepRunner = async (rate, { durationMs, warmupMs }) => {
      now += durationMs + warmupMs;
      const launched = Math.round((rate * durationMs) / 1000);
      return {
        targetRate: rate, measuredSeconds: durationMs / 1000, intendedArrivals: launched, launched, started: launched, completed: launched, failed: 0,
        achievedRate: rate, completedPerSecond: rate, startLateness: flat(1, launched), latency: { e2e: flat(rate <= 20 ? 200 : 3000, launched) }, histograms: {},
      };
    };
    const result = await searchCapacity({ slo: parseSlo('e2e.p99<1s'), startRate: 2, precision: 0.1, stepDurationMs: 10_000, warmupMs: 2000 }, runStep, { clock: { now: () => now } });
    const block = figuresBlock([{ date: '2026-11-30', figures: capacityFigures(result, 'e2e.p99<1s', 1.5) }]);
    const row = block.split('\n').find((line) => line.startsWith('| `capacity`'))!;
    expect(row).toBe(
      '| `capacity`, the dev server with a separate `sched-bench worker`, echo | **20 wf/s** at e2e.p99<1s (last passing 20 wf/s, first failing 22 wf/s); ' +
      '8 steps in 96 s (stop: found; load average 1.5 as it began); steps, target → achieved wf/s (e2e p99): ' +
      '2 → 2 (200ms) ✓, 4 → 4 (200ms) ✓, 8 → 8 (200ms) ✓, 16 → 16 (200ms) ✓, 32 → 32 (3.00s) ✗, 24 → 24 (3.00s) ✗, 20 → 20 (200ms) ✓, 22 → 22 (3.00s) ✗ |',
    );
    expect(row.match(/ [✓✗]/g)).toHaveLength(result.steps.length);
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
