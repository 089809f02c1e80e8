import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  countOfOutput, goRunnerOf, peerFigures, peerSettingsOf, positiveNumberOf, RATIO_TARGETS, ratioInterval, roundOrder, roundTaskQueue, totalsOf, type RoundMeasure,
} from '../../bench/peer.js';
import { cpuSecondsOf, cpuSecondsOfStat, median, peakRssMegabytesOf, peakRssMegabytesOfStatus } from '../../bench/proc.js';

describe('/proc parsing', () => {
  // utime 250, stime 50 ticks: fields 14 and 15 of the line.
  const stat = (name: string) => `4242 (${name}) S 1 4242 4242 0 -1 4194560 500 0 0 0 250 50 0 0 20 0 9 0 12345 1000000 5000 18446744073709551615`;

  it('reads user + system CPU seconds from /proc/<pid>/stat', () => {
    expect(cpuSecondsOfStat(stat('runner'), 100)).toBeCloseTo(3.0);
    expect(cpuSecondsOfStat(stat('runner'), 250)).toBeCloseTo(1.2);
  });

  it('counts fields after the last ")": a command name may hold spaces and parentheses', () => {
    expect(cpuSecondsOfStat(stat('a) b (c d)'), 100)).toBeCloseTo(3.0);
  });

  it('refuses what is not a stat line rather than returning a wrong figure', () => {
    expect(() => cpuSecondsOfStat('garbage', 100)).toThrow(/not a \/proc/);
    expect(() => cpuSecondsOfStat('1 (x) S 1 2', 100)).toThrow(/not a \/proc/);
  });

  it('reads peak RSS (VmHWM, not VmRSS) from /proc/<pid>/status', () => {
    const status = 'Name:\tnode\nVmPeak:\t 900000 kB\nVmHWM:\t  153600 kB\nVmRSS:\t  102400 kB\n';
    expect(peakRssMegabytesOfStatus(status)).toBe(150);
    expect(() => peakRssMegabytesOfStatus('Name:\tnode\n')).toThrow(/VmHWM/);
  });

  it('reads a live process: this one', () => {
    const before = cpuSecondsOf(process.pid);
    let spin = 0;
    for (const end = Date.now() + 50; Date.now() < end; ) spin++;
    expect(spin).toBeGreaterThan(0);
    expect(cpuSecondsOf(process.pid)).toBeGreaterThanOrEqual(before);
    expect(peakRssMegabytesOf(process.pid)).toBeGreaterThan(1);
  });

  it.each([
    [[3], 3],
    [[5, 1, 3], 3],
    [[4, 1, 3, 2], 2.5],
    [[900, 100, 300, 200, 250], 250],
  ])('median(%j) = %d', (values, expected) => expect(median(values)).toBe(expected));

  it('has no median of nothing', () => expect(() => median([])).toThrow());
});

describe('peer figures', () => {
  const round = (tool: RoundMeasure['tool'], count: number, seconds: number, cpuSeconds: number, peakRssMegabytes: number, number = 1): RoundMeasure => ({
    tool, round: number, count, seconds, cpuSeconds, peakRssMegabytes,
  });
  const rounds = [
    round('go-runner', 300, 30, 0.6, 27, 1),
    round('sched-bench', 330, 30, 1.0, 140, 1),
    round('sched-bench', 270, 30, 0.8, 150, 2),
    round('go-runner', 300, 30, 0.6, 28, 2),
  ];

  it('sums counts, CPU and time over the rounds; peak RSS is the highest', () => {
    expect(totalsOf(rounds, 'go-runner', 'x')).toEqual({ throughput: 10, cpuMsPerWorkflow: 2, peakRssMegabytes: 28 });
    expect(totalsOf(rounds, 'sched-bench', 'x')).toEqual({ throughput: 10, cpuMsPerWorkflow: 3, peakRssMegabytes: 150 });
  });

  it('gives sched-bench/Go ratios against the targets, then both tools’ own figures', () => {
    const figures = peerFigures({ label: 'dev server, start+wait, c50, steady', per: 'workflow', rateUnit: 'wf/s' }, rounds);
    const byMetric = Object.fromEntries(figures.map((figure) => [figure.metric, figure]));
    expect(figures.every((figure) => figure.scenario === 'peer')).toBe(true);
    expect(byMetric['throughput ratio sched-bench/Go (dev server, start+wait, c50, steady)']).toMatchObject({ value: 1, unit: '×', target: RATIO_TARGETS.throughput, pass: true });
    expect(byMetric['CPU per workflow ratio sched-bench/Go (dev server, start+wait, c50, steady)']).toMatchObject({ value: 1.5, target: RATIO_TARGETS.cpu, pass: false });
    // Two rounds give no interval (t would be 12.7): the pooled ratios alone decide.
    expect(figures.some((figure) => figure.metric.includes('95% interval'))).toBe(false);
    expect(byMetric['peak RSS ratio sched-bench/Go (dev server, start+wait, c50, steady)']!.value).toBeCloseTo(150 / 28);
    expect(byMetric['CPU per workflow, Go runner (dev server, start+wait, c50, steady)']).toMatchObject({ value: 2, unit: 'ms' });
    expect(byMetric['throughput, sched-bench (dev server, start+wait, c50, steady)']).toMatchObject({ value: 10, unit: 'wf/s' });
    expect(byMetric['peak RSS, sched-bench (dev server, start+wait, c50, steady)']).toMatchObject({ value: 150, unit: 'MB' });
  });

  it("gives a ratio's 95% interval from the rounds' pairs (Student's t on the logs), none from fewer than three", () => {
    // Four rounds at 10/s for Go; sched-bench 11, 9, 10.5 and 9.5/s.
    const ours = [330, 270, 315, 285];
    const pairs = ours.flatMap((count, index) => [round('go-runner', 300, 30, 0.3, 27, index + 1), round('sched-bench', count, 30, 0.3, 60, index + 1)]);
    const interval = ratioInterval(pairs, (measure) => measure.count / measure.seconds)!;
    const logs = ours.map((count) => Math.log(count / 300));
    const mean = logs.reduce((sum, value) => sum + value, 0) / 4;
    const deviation = Math.sqrt(logs.reduce((sum, value) => sum + (value - mean) ** 2, 0) / 3);
    const half = 3.182 * (deviation / 2); // t for 3 degrees of freedom
    expect(interval).toEqual({ low: expect.closeTo(Math.exp(mean - half), 6), high: expect.closeTo(Math.exp(mean + half), 6), pairs: 4 });
    expect(ratioInterval(pairs.slice(0, 6), (measure) => measure.count / measure.seconds)!.pairs).toBe(3);
    expect(ratioInterval(pairs.slice(0, 4), (measure) => measure.count)).toBeUndefined();
    // A round where only one tool was measured is no pair; nor one where a figure is not a finite positive number.
    expect(ratioInterval(pairs.slice(0, 5), (measure) => measure.count)).toBeUndefined();
    const idleRound = pairs.map((measure) => (measure.round === 4 && measure.tool === 'sched-bench' ? { ...measure, count: 0 } : measure));
    expect(ratioInterval(idleRound, (measure) => measure.cpuSeconds / measure.count)!.pairs).toBe(3);
  });

  it('holds a throughput target the interval reaches, not one it misses wholly', () => {
    const label = { label: 'dev server, start-only, c50, 10–40 s', per: 'start', rateUnit: 'wf/s' };
    const metric = 'throughput ratio sched-bench/Go (dev server, start-only, c50, 10–40 s)';
    const rates = (ours: number[], go: number[]) =>
      ours.flatMap((count, index) => [round('go-runner', go[index]!, 30, 1, 27, index + 1), round('sched-bench', count, 30, 0.7, 60, index + 1)]);
    const noisy = peerFigures(label, rates([2340, 2350, 2240, 2330], [2140, 2410, 2250, 2620]));
    const noisyRatio = noisy.find((figure) => figure.metric === metric)!;
    expect(noisyRatio.value).toBeLessThan(1);
    expect(noisyRatio.pass).toBe(true);
    const slower = peerFigures(label, rates([2000, 2010, 1990, 2005], [2140, 2160, 2150, 2130])).find((figure) => figure.metric === metric)!;
    expect(slower.value).toBeLessThan(0.95);
    expect(slower.pass).toBe(false);
    // Two rounds: no interval, the pooled ratio alone decides.
    expect(peerFigures(label, rates([2340, 2350], [2350, 2345])).find((figure) => figure.metric === metric)!.pass).toBe(false);
  });

  it('holds a CPU target the interval reaches, not one it misses wholly', () => {
    const label = { label: 'dev server, start-only, c50, 60–120 s', per: 'start', rateUnit: 'wf/s' };
    const metric = 'CPU per start ratio sched-bench/Go (dev server, start-only, c50, 60–120 s)';
    const cpu = (ours: number[], go: number[]) =>
      ours.flatMap((seconds, index) => [round('go-runner', 1000, 60, go[index]!, 27, index + 1), round('sched-bench', 1000, 60, seconds, 60, index + 1)]);
    const noisy = peerFigures(label, cpu([0.85, 0.8, 0.72, 0.83], [0.7, 0.84, 0.78, 0.76])).find((figure) => figure.metric === metric)!;
    expect(noisy.value).toBeGreaterThan(1);
    expect(noisy.pass).toBe(true);
    const heavier = peerFigures(label, cpu([0.85, 0.86, 0.84, 0.85], [0.78, 0.79, 0.77, 0.78])).find((figure) => figure.metric === metric)!;
    expect(heavier.value).toBeGreaterThan(1);
    expect(heavier.pass).toBe(false);
  });

  it('orders the rounds go, sched-bench, sched-bench, go: a drift over the run favours neither tool', () => {
    expect([1, 2, 3, 4].flatMap((round) => roundOrder(round))).toEqual([
      'go-runner', 'sched-bench', 'sched-bench', 'go-runner', 'go-runner', 'sched-bench', 'sched-bench', 'go-runner',
    ]);
  });

  it('gives every round against the dev server a task queue of its own: no round inherits another one\'s backlog', () => {
    const queues = [true, false].flatMap((wait) => [1, 2].flatMap((round) => roundOrder(round).map((tool) => roundTaskQueue(wait, round, tool))));
    expect(new Set(queues).size).toBe(8);
    expect(roundTaskQueue(false, 2, 'sched-bench')).toBe('bench-peer-start-2-sched-bench');
  });

  it('names a tool that finished nothing instead of dividing by zero', () => {
    const idle = [round('go-runner', 300, 30, 0.6, 27), round('sched-bench', 0, 30, 1.0, 140)];
    expect(() => peerFigures({ label: 'fake frontend, start-only, c100, steady', per: 'start', rateUnit: 'starts/s' }, idle)).toThrow(
      /peer \(fake frontend, start-only, c100, steady\): sched-bench finished no workflow/,
    );
  });

  it('reads the number `temporal workflow count` prints', () => {
    expect(countOfOutput('Total: 1234\n')).toBe(1234);
    expect(() => countOfOutput('Error: no connection\n')).toThrow(/printed no number/);
  });
});

describe('peer settings from the environment', () => {
  it('BENCH_GO_RUNNER: unset skips; an executable file is taken; anything else is one clear line', () => {
    expect(goRunnerOf({})).toBeUndefined();
    const directory = mkdtempSync(join(tmpdir(), 'bench-peer-'));
    const runner = join(directory, 'runner');
    writeFileSync(runner, '#!/bin/sh\n', { mode: 0o755 });
    const notExecutable = join(directory, 'plain');
    writeFileSync(notExecutable, '', { mode: 0o644 });
    expect(goRunnerOf({ BENCH_GO_RUNNER: runner })).toBe(runner);
    for (const path of [join(directory, 'missing'), notExecutable, directory]) {
      expect(() => goRunnerOf({ BENCH_GO_RUNNER: path })).toThrow(new RegExp(`^BENCH_GO_RUNNER=${path} is not an executable file`));
    }
  });

  it('settings: none without a runner (skipped), defaults 4 × 120 s and 15 s, whole rounds; bad values fail even when skipped', () => {
    expect(peerSettingsOf({})).toBeUndefined();
    expect(() => peerSettingsOf({ BENCH_PEER_ROUNDS: 'two' })).toThrow('BENCH_PEER_ROUNDS=two is not a positive number');
    const runner = join(mkdtempSync(join(tmpdir(), 'bench-peer-')), 'runner');
    writeFileSync(runner, '#!/bin/sh\n', { mode: 0o755 });
    expect(peerSettingsOf({ BENCH_GO_RUNNER: runner })).toEqual({ runner, rounds: 4, seconds: 120, fakeSeconds: 15 });
    expect(peerSettingsOf({ BENCH_GO_RUNNER: runner, BENCH_PEER_ROUNDS: '0.2', BENCH_PEER_SECONDS: '20', BENCH_PEER_FAKE_SECONDS: '8' })).toEqual({
      runner, rounds: 1, seconds: 20, fakeSeconds: 8,
    });
  });

  it('round lengths: the default when unset, a positive number, else one clear line', () => {
    expect(positiveNumberOf({}, 'BENCH_PEER_SECONDS', 40)).toBe(40);
    expect(positiveNumberOf({ BENCH_PEER_SECONDS: '20' }, 'BENCH_PEER_SECONDS', 40)).toBe(20);
    for (const text of ['0', '-5', 'abc', 'Infinity']) {
      expect(() => positiveNumberOf({ BENCH_PEER_SECONDS: text }, 'BENCH_PEER_SECONDS', 40)).toThrow(`BENCH_PEER_SECONDS=${text} is not a positive number`);
    }
  });
});
