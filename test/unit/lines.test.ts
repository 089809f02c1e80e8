import { describe, expect, it } from 'vitest';
import { exitCodeFor } from '../../src/cli/exit-codes.js';
import {
  formatFailuresLine,
  formatFinalLine,
  formatIntervalLine,
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

  it('start, waiting and failures lines', () => {
    expect(
      formatStartLine({
        mode: 'infinite', runId: 'r1', address: 'localhost:7233', namespace: 'default', taskQueue: 'benchmark',
        concurrency: 10, reportInterval: 10, wait: true, maxRuntime: 0,
      }),
    ).toBe(
      'Starting infinite scheduler: maxRuntime=none concurrency=10 taskQueue=benchmark namespace=default reportInterval=10s wait=true address=localhost:7233 runId=r1',
    );
    expect(formatWaitingLine(9)).toBe('Waiting for 9 running workflows to complete...');
    expect(formatFailuresLine(stats({}))).toBeUndefined();
    expect(formatFailuresLine(stats({ failed: 4, failuresByKind: { start_rejected: 3, timed_out: 1 } }))).toBe(
      'Failures by kind: start_rejected=3 timed_out=1',
    );
  });
});

describe('exit codes', () => {
  it.each([
    [stats({}), 0],
    [stats({ failed: 1 }), 1],
    [stats({ stopReason: 'stopped' }), 130],
    [stats({ mode: 'infinite', stopReason: 'stopped' }), 0],
    [stats({ mode: 'infinite', stopReason: 'time-limit', failed: 2 }), 1],
  ])('%# → %i', (runStats, code) => expect(exitCodeFor(runStats)).toBe(code));
});
