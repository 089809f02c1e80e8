import { describe, expect, it } from 'vitest';
import {
  formatFailuresLine,
  formatFinalLine,
  formatIntervalLine,
  formatSeconds,
  formatStartLine,
  formatWaitingLine,
} from '../../src/report/lines.js';
import { makeInterval, makeStats } from '../helpers/run-stats.js';

const stats = makeStats;

describe('report lines', () => {
  it('interval line, as the Go runner prints it', () => {
    const report = makeInterval();
    expect(formatIntervalLine(report)).toBe('Concurrent: 8 Workflows: 45 Rate: 4.50');
    expect(formatIntervalLine({ ...report, failed: 3 })).toBe('Concurrent: 8 Workflows: 45 Rate: 4.50 Failed: 3');
    expect(formatIntervalLine({ ...report, rate: 2 / 3 })).toBe('Concurrent: 8 Workflows: 45 Rate: 0.67');
  });

  it('batch end line', () => {
    expect(formatFinalLine(stats({}), false)).toBe(
      'Batch scheduler completed. Launched 100 workflows in 4.23s, final rate: 23.64 wf/s',
    );
    expect(formatFinalLine(stats({ launched: 40, completed: 38, failed: 2, rate: 9 }), true)).toBe(
      'Batch scheduler interrupted. Launched 40 workflows in 4.23s, final rate: 9.00 wf/s Failed: 2',
    );
  });

  it('infinite end line', () => {
    expect(formatFinalLine(stats({ mode: 'infinite', completed: 142, elapsedMs: 32_450, rate: 142 / 32.45 }), true)).toBe(
      'Scheduler stopped. Total workflows: 142, Runtime: 32.45s, Average rate: 4.38 wf/s',
    );
  });

  it('waiting and failures lines', () => {
    expect(formatWaitingLine(9)).toBe('Waiting for 9 running workflows to complete...');
    expect(formatFailuresLine(stats({}))).toBeUndefined();
    expect(formatFailuresLine(stats({ failed: 4, failuresByKind: { start_rejected: 3, timed_out: 1 } }))).toBe(
      'Failures by kind: start_rejected=3 timed_out=1',
    );
  });
});

describe('start line: what the run will do', () => {
  const base = {
    runId: 'r1', address: 'localhost:7233', namespace: 'default', taskQueue: 'benchmark', reportInterval: 10, wait: true,
  } as const;
  const tail = 'wait=true taskQueue=benchmark namespace=default reportInterval=10s address=localhost:7233 runId=r1';

  it('closed-loop batch: the concurrency and the total', () => {
    expect(formatStartLine({ ...base, mode: 'batch', concurrency: 10, totalWorkflows: 100, maxRuntime: 0, warmup: 0 })).toBe(
      `Starting batch scheduler: loop=closed concurrency=10 total=100 ${tail}`,
    );
  });

  it('closed-loop infinite run without a limit runs until a signal, and says so instead of printing none', () => {
    const line = formatStartLine({ ...base, mode: 'infinite', concurrency: 10, totalWorkflows: 100, maxRuntime: 0 });
    expect(line).toBe(`Starting infinite scheduler: loop=closed concurrency=10 until=signal ${tail}`);
    expect(line).not.toMatch(/none|total=/);
  });

  it('open loop: the rate, the in-flight cap named as a cap, the duration', () => {
    expect(
      formatStartLine({ ...base, mode: 'infinite', rate: 50, concurrency: 1000, duration: 300, maxRuntime: 0, wait: false }),
    ).toBe(
      'Starting infinite scheduler: loop=open rate=50/s inFlightCap=1000 duration=5m wait=false taskQueue=benchmark ' +
        'namespace=default reportInterval=10s address=localhost:7233 runId=r1',
    );
  });

  it('open-loop stages: the rate they ramp from and each stage, ending the run', () => {
    const stages = [
      { durationMs: 30_000, target: 50 },
      { durationMs: 90_000, target: 200 },
      { durationMs: 500, target: 0 },
    ];
    expect(formatStartLine({ ...base, mode: 'infinite', rate: 0, stages, concurrency: 1000, maxRuntime: 0 })).toBe(
      `Starting infinite scheduler: loop=open rate=0/s stages=30s→50/s,1m30s→200/s,0.5s→0/s inFlightCap=1000 ${tail}`,
    );
  });

  it('closed-loop stages ramp the concurrency (no rate unit)', () => {
    const line = formatStartLine({ ...base, mode: 'batch', concurrency: 5, totalWorkflows: 20, stages: [{ durationMs: 60_000, target: 40 }] });
    expect(line).toContain('loop=closed concurrency=5 stages=1m→40 total=20 ');
  });

  it('duration and max runtime, start delay and warm-up when given', () => {
    const line = formatStartLine({
      ...base, mode: 'infinite', concurrency: 8, duration: 3600, maxRuntime: 1.5, startDelay: 30, warmup: 90,
    });
    expect(line).toBe(
      `Starting infinite scheduler: loop=closed concurrency=8 duration=1h maxRuntime=1.5s startDelay=30s warmup=1m30s ${tail}`,
    );
    // A batch with a duration: whichever of the two comes first ends it.
    expect(formatStartLine({ ...base, mode: 'batch', concurrency: 8, totalWorkflows: 40, duration: 60 })).toContain(
      'total=40 duration=1m ',
    );
  });

  it('keeps the Go runner prefix and a runId token tests and scripts parse', () => {
    const line = formatStartLine({ ...base, mode: 'batch', concurrency: 10, totalWorkflows: 100, runId: 'mwwdul1h-cdd2' });
    expect(line.startsWith('Starting batch scheduler: ')).toBe(true);
    expect(/runId=(\S+)/.exec(line)?.[1]).toBe('mwwdul1h-cdd2');
  });
});

describe('formatSeconds', () => {
  it.each([
    [0.5, '0.5s'],
    [10, '10s'],
    [59.9, '59.9s'],
    [60, '1m'],
    [90, '1m30s'],
    [3600, '1h'],
    [5400, '1h30m'],
    [3661, '1h1m1s'],
  ])('%d s → %s', (seconds, text) => expect(formatSeconds(seconds)).toBe(text));
});

