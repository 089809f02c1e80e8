import { describe, expect, it } from 'vitest';
import { UsageError, type FailureKind } from '../../src/errors.js';
import { LatencyHistogram } from '../../src/metrics/latency-histogram.js';
import { SchedulerService } from '../../src/scheduler/scheduler-service.js';
import type { IntervalReport, RunStats } from '../../src/scheduler/types.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { FakeLauncher, type FakeLauncherOptions } from '../helpers/fake-launcher.js';

interface Setup {
  concurrency: number;
  reportInterval?: number;
  wait?: boolean;
  launcher?: Omit<FakeLauncherOptions, 'clock'>;
}

function setup({ concurrency, reportInterval = 1, wait, launcher, random }: Setup & { random?: () => number }) {
  const clock = new FakeClock();
  const fake = new FakeLauncher({ clock, ...launcher });
  const reports: IntervalReport[] = [];
  const failures: FailureKind[] = [];
  const scheduler = new SchedulerService({
    launcher: fake,
    concurrency,
    reportInterval,
    wait,
    clock,
    random,
    sink: { interval: (report) => reports.push(report), failure: (kind) => failures.push(kind) },
  });
  return { clock, fake, scheduler, reports, failures };
}

/** Tracks whether a promise has settled without awaiting it. */
function track<T>(promise: Promise<T>) {
  const state: { settled: boolean; value?: T } = { settled: false };
  void promise.then((value) => {
    state.settled = true;
    state.value = value;
  });
  return state;
}

describe('SchedulerService, closed loop batch', () => {
  it('never has more than `concurrency` workflows in flight and runs in waves', async () => {
    const { clock, fake, scheduler } = setup({ concurrency: 3, launcher: { startMs: 10, runMs: 90 } });
    const run = track(scheduler.run({ totalWorkflows: 10 }));
    await clock.advance(399);
    expect(run.settled).toBe(false);
    await clock.advance(1);
    expect(run.settled).toBe(true);
    expect(fake.maxInFlight).toBe(3);
    expect(fake.startCalls).toBe(10);
    const stats = run.value!;
    expect(stats).toMatchObject({ mode: 'batch', launched: 10, started: 10, completed: 10, failed: 0, inFlight: 0 });
    expect(stats.elapsedMs).toBe(400);
    expect(stats.rate).toBe(25);
    expect(stats.stopReason).toBe('total-reached');
    expect(clock.pendingTimers).toBe(0);
  });

  it('reports in-flight, completed and the exact per-interval rate', async () => {
    const { clock, scheduler, reports } = setup({
      concurrency: 2,
      reportInterval: 1,
      launcher: { startMs: 100, runMs: 200 },
    });
    const run = track(scheduler.run({ totalWorkflows: 16 }));
    await clock.advance(2400);
    expect(run.settled).toBe(true);
    expect(reports.map(({ elapsedMs, intervalMs, inFlight, completed, completedInInterval, rate }) => ({
      elapsedMs, intervalMs, inFlight, completed, completedInInterval, rate,
    }))).toEqual([
      { elapsedMs: 1000, intervalMs: 1000, inFlight: 2, completed: 6, completedInInterval: 6, rate: 6 },
      { elapsedMs: 2000, intervalMs: 1000, inFlight: 2, completed: 12, completedInInterval: 6, rate: 6 },
    ]);
    expect(run.value!.elapsedMs).toBe(2400);
    expect(run.value!.rate).toBeCloseTo(16 / 2.4, 10);
  });

  it('carries each interval\'s latency histogram, encoded, only when asked (agents merge them exactly)', async () => {
    const plain = setup({ concurrency: 2, launcher: { startMs: 100, runMs: 200 } });
    track(plain.scheduler.run({ totalWorkflows: 16 }));
    await plain.clock.advance(2400);
    expect(plain.reports.map((report) => report.latencyHistogram)).toEqual([undefined, undefined]);

    const clock = new FakeClock();
    const reports: IntervalReport[] = [];
    const scheduler = new SchedulerService({
      launcher: new FakeLauncher({ clock, startMs: 100, runMs: 200 }), concurrency: 2, reportInterval: 1, clock, encodeIntervalLatency: true,
      sink: { interval: (report) => reports.push(report) },
    });
    track(scheduler.run({ totalWorkflows: 16 }));
    await clock.advance(2400);
    expect(reports).toHaveLength(2);
    for (const report of reports) {
      const histogram = LatencyHistogram.decode(report.latencyHistogram!);
      expect(histogram.count).toBe(report.completedInInterval);
      expect(histogram.percentileMillis(50)).toBeCloseTo(report.latencyP50Ms, 6);
      expect(histogram.percentileMillis(99)).toBeCloseTo(report.latencyP99Ms, 6);
    }
  });

  it('reports the in-flight count the launcher sees, and counts that add up to the calls made', async () => {
    const failResults = new Map<number, FailureKind>([[3, 'workflow_failed'], [9, 'timed_out']]);
    const clock = new FakeClock();
    const fake = new FakeLauncher({ clock, startMs: 30, runMs: 170, failResults });
    const seenByLauncher: number[] = [];
    const reported: number[] = [];
    const scheduler = new SchedulerService({
      launcher: fake, concurrency: 4, reportInterval: 0.25, clock,
      sink: {
        interval: (report) => {
          reported.push(report.inFlight);
          seenByLauncher.push(fake.inFlight); // counted independently, by the fake itself
        },
      },
    });
    const run = track(scheduler.run({ totalWorkflows: 20 }));
    await clock.advance(5000);
    expect(run.settled).toBe(true);
    expect(reported.length).toBeGreaterThan(3);
    expect(reported).toEqual(seenByLauncher);
    expect(reported.slice(0, 3)).toEqual([4, 4, 4]);
    expect(run.value).toMatchObject({ launched: fake.startCalls, completed: 18, failed: 2, inFlight: 0 });
  });

  it('isolates failures: counts them by kind and finishes the batch', async () => {
    const { clock, scheduler, failures } = setup({
      concurrency: 2,
      launcher: {
        startMs: 5,
        runMs: 20,
        failStarts: new Map([[2, 'start_rejected'], [7, 'server_unavailable']]),
        failResults: new Map([[5, 'workflow_failed'], [6, 'timed_out']]),
      },
    });
    const run = track(scheduler.run({ totalWorkflows: 10 }));
    await clock.advance(1000);
    const stats = run.value!;
    expect(stats).toMatchObject({ launched: 10, started: 8, completed: 6, failed: 4, inFlight: 0 });
    expect(stats.failuresByKind).toEqual({ start_rejected: 1, server_unavailable: 1, workflow_failed: 1, timed_out: 1 });
    expect(failures.sort()).toEqual(['server_unavailable', 'start_rejected', 'timed_out', 'workflow_failed']);
  });

  it.each([
    // 5 refusals in a row at once → 200 ms × 2^4, capped at 2 s; the next wave is refused again at 2 s.
    ['server_unavailable', 3000, 10],
    // 1 s × 2^4, capped at 5 s: one wave only before the server recovers.
    ['throttled', 3000, 5],
  ] as const)('backs the closed loop off after %s refusals instead of re-sending at once', async (kind, refusedForMs, expectedCalls) => {
    const { clock, fake, scheduler } = setup({
      concurrency: 5,
      launcher: { startMs: 1, runMs: 10, refuseStartsUntil: { atMs: refusedForMs, kind } },
      random: () => 0.5, // no jitter: the delays are exact
    });
    const run = track(scheduler.run({ totalWorkflows: 20 }));
    await clock.advance(refusedForMs - 1);
    // Without the backoff the 5 slots would have re-sent every millisecond: about 15 000 calls.
    expect(fake.startCalls).toBe(expectedCalls);
    await clock.advance(20_000);
    const stats = run.value!;
    expect(stats.failuresByKind).toEqual({ [kind]: expectedCalls });
    expect(stats).toMatchObject({ launched: 20, started: 20 - expectedCalls, completed: 20 - expectedCalls, inFlight: 0 });
  });

  it('counts a plain Error from the launcher as kind "unknown"', async () => {
    const clock = new FakeClock();
    let calls = 0;
    const scheduler = new SchedulerService({
      launcher: {
        startEchoWorkflow: async () => {
          calls++;
          if (calls === 1) throw new Error('boom');
          return `wf-${calls}`;
        },
        awaitWorkflowResult: async () => 'ok',
      },
      concurrency: 1, reportInterval: 10, clock,
    });
    const stats = await scheduler.run({ totalWorkflows: 3 });
    expect(stats).toMatchObject({ launched: 3, completed: 2, failed: 1, failuresByKind: { unknown: 1 } });
  });

  it('passes message and count to every start', async () => {
    const { clock, fake, scheduler } = setup({ concurrency: 2, launcher: { startMs: 1, runMs: 1 } });
    const run = track(scheduler.run({ totalWorkflows: 3, message: 'hi', count: 4 }));
    await clock.advance(100);
    expect(run.settled).toBe(true);
    expect(fake.startArguments).toEqual(Array(3).fill({ message: 'hi', count: 4 }));
  });

  it('with wait=false counts a workflow done when its start is acknowledged', async () => {
    const { clock, fake, scheduler } = setup({ concurrency: 5, wait: false, launcher: { startMs: 10, runMs: 10_000 } });
    const run = track(scheduler.run({ totalWorkflows: 20 }));
    await clock.advance(40);
    expect(run.settled).toBe(true);
    expect(run.value).toMatchObject({ launched: 20, started: 20, completed: 20, elapsedMs: 40 });
    expect(fake.maxInFlight).toBe(5);
  });
});

describe('SchedulerService, stop and infinite runs', () => {
  it('stop() ends launching and drains in-flight workflows before resolving', async () => {
    const { clock, fake, scheduler } = setup({ concurrency: 4, launcher: { startMs: 0, runMs: 1000 } });
    const run = track(scheduler.runInfinite({}));
    await clock.advance(2500);
    expect(fake.startCalls).toBe(12);
    scheduler.stop();
    expect(scheduler.snapshot().inFlight).toBe(4);
    await clock.advance(499);
    expect(run.settled).toBe(false);
    await clock.advance(1);
    expect(run.settled).toBe(true);
    expect(fake.startCalls).toBe(12);
    expect(run.value).toMatchObject({ mode: 'infinite', launched: 12, completed: 12, inFlight: 0, stopReason: 'stopped' });
    expect(run.value!.elapsedMs).toBe(3000);
  });

  it('a batch stopped early reports stopReason "stopped" and what it launched', async () => {
    const { clock, scheduler } = setup({ concurrency: 2, launcher: { runMs: 100 } });
    const run = track(scheduler.run({ totalWorkflows: 100 }));
    await clock.advance(250);
    scheduler.stop();
    await clock.advance(100);
    expect(run.value).toMatchObject({ launched: 6, completed: 6, stopReason: 'stopped' });
  });

  it('stops at maxRuntime and then drains', async () => {
    const { clock, scheduler } = setup({ concurrency: 1, launcher: { startMs: 100, runMs: 200 } });
    const run = track(scheduler.runInfinite({ maxRuntime: 2 }));
    await clock.advance(2000);
    expect(run.settled).toBe(false);
    await clock.advance(100);
    expect(run.value).toMatchObject({ launched: 7, completed: 7, stopReason: 'time-limit', elapsedMs: 2100 });
    expect(clock.pendingTimers).toBe(0);
  });

  it('stop() before the run starts makes the run end at once with nothing launched', async () => {
    const { fake, scheduler } = setup({ concurrency: 3, launcher: { runMs: 10 } });
    scheduler.stop();
    const stats: RunStats = await scheduler.runInfinite({});
    expect(stats).toMatchObject({ launched: 0, completed: 0, stopReason: 'stopped' });
    expect(fake.startCalls).toBe(0);
  });
});

describe('SchedulerService stop reasons, abort and sink errors', () => {
  it('a stop during the drain of a batch that launched its total keeps it "total-reached"', async () => {
    const { clock, scheduler } = setup({ concurrency: 2, launcher: { runMs: 100 } });
    const run = track(scheduler.run({ totalWorkflows: 4, duration: 0.15 }));
    await clock.advance(150); // all 4 launched by 100 ms; the 150 ms time limit fires during the drain
    scheduler.stop();
    await clock.advance(100);
    expect(run.value).toMatchObject({ launched: 4, completed: 4, stopReason: 'total-reached' });
  });

  it('abort() ends the run at once, leaving in-flight workflows counted as such', async () => {
    const { clock, scheduler } = setup({ concurrency: 3, launcher: { runMs: 10_000 } });
    const run = track(scheduler.runInfinite({}));
    await clock.advance(100);
    scheduler.abort();
    await clock.advance(1);
    expect(run.settled).toBe(true);
    expect(run.value).toMatchObject({ launched: 3, completed: 0, inFlight: 3, stopReason: 'aborted' });
  });

  it('--drain-timeout: the run ends that long after the stop, with the stragglers named and its stats frozen', async () => {
    const clock = new FakeClock();
    const fake = new FakeLauncher({ clock, runMs: 5000 });
    const scheduler = new SchedulerService({ launcher: fake, concurrency: 2, reportInterval: 10, clock, drainTimeout: 1 });
    const run = track(scheduler.run({ totalWorkflows: 2 }));
    await clock.advance(999);
    expect(run.settled).toBe(false);
    await clock.advance(1);
    expect(run.value).toMatchObject({ launched: 2, completed: 0, inFlight: 2, drainTimedOut: true, stopReason: 'total-reached' });
    expect(scheduler.inFlightWorkflowIds().sort()).toEqual(['wf-1', 'wf-2']);
    await clock.advance(5000); // the abandoned workflows finish later: the result does not change
    expect(scheduler.snapshot()).toMatchObject({ completed: 0, inFlight: 2 });
  });

  it('a sink that throws breaks neither the reports nor the run', async () => {
    const clock = new FakeClock();
    const fake = new FakeLauncher({ clock, runMs: 50 });
    let calls = 0;
    const scheduler = new SchedulerService({
      launcher: fake, concurrency: 1, reportInterval: 0.1, clock,
      sink: {
        interval: () => {
          calls++;
          throw new Error('EPIPE');
        },
      },
    });
    const run = track(scheduler.runInfinite({ duration: 1 }));
    await clock.advance(1100);
    expect(calls).toBe(10);
    expect(run.value).toMatchObject({ completed: 20, stopReason: 'time-limit' });
  });
});

describe('SchedulerService: a stop ends its own waits at once', () => {
  it("ends the closed loop's pause after refusals without waiting it out", async () => {
    const { clock, scheduler } = setup({
      concurrency: 5, launcher: { startMs: 1, runMs: 10, refuseStartsUntil: { atMs: 60_000, kind: 'throttled' } }, random: () => 0.5,
    });
    const run = track(scheduler.runInfinite({}));
    await clock.advance(10); // the first wave is refused: a pause of at least a second begins
    scheduler.stop();
    await clock.advance(1); // far less than the pause
    expect(run.settled).toBe(true);
    expect(run.value).toMatchObject({ stopReason: 'stopped', inFlight: 0 });
  });

  it("ends the open loop's wait for its next arrival", async () => {
    const clock = new FakeClock();
    const fake = new FakeLauncher({ clock, runMs: 10 });
    const scheduler = new SchedulerService({ launcher: fake, concurrency: 1, rate: 0.001, reportInterval: 10, clock });
    const run = track(scheduler.runInfinite({}));
    await clock.advance(100); // arrival 0 done; arrival 1 is 1000 s away
    scheduler.stop();
    await clock.advance(1);
    expect(run.value).toMatchObject({ launched: 1, completed: 1, stopReason: 'stopped' });
  });
});

describe('SchedulerService: the drain without --drain-timeout (drainStallTimeout)', () => {
  function stalled(runMs: number, options: { activityDelayMs?: number; count?: number } = {}) {
    const clock = new FakeClock();
    const fake = new FakeLauncher({ clock, runMs });
    const scheduler = new SchedulerService({ launcher: fake, concurrency: 2, reportInterval: 100, clock, drainStallTimeout: 60 });
    const run = track(scheduler.run({ totalWorkflows: 2, workload: { kind: 'echo', ...options } }));
    return { clock, scheduler, run };
  }

  it('gives up once no workflow has finished for the stall timeout (workflows nobody runs)', async () => {
    const { clock, scheduler, run } = stalled(Number.POSITIVE_INFINITY);
    await clock.advance(59_999);
    expect(run.settled).toBe(false);
    await clock.advance(1);
    expect(run.value).toMatchObject({ launched: 2, completed: 0, inFlight: 2, drainTimedOut: true, stopReason: 'total-reached' });
    expect(scheduler.drainStallLimitMs()).toBe(60_000);
  });

  it('waits longer for workflows that take long by their settings (activity delays)', async () => {
    const { clock, run } = stalled(100_000, { activityDelayMs: 30_000, count: 3 }); // at least 90 s each
    await clock.advance(100_000);
    expect(run.value).toMatchObject({ completed: 2, inFlight: 0, drainTimedOut: false });
  });

  it('restarts the wait at every finish, and allows twice the longest workflow seen', async () => {
    const clock = new FakeClock();
    const fake = new FakeLauncher({ clock, runMs: 50_000 });
    const scheduler = new SchedulerService({ launcher: fake, concurrency: 1, reportInterval: 100, clock, drainStallTimeout: 10 });
    const run = track(scheduler.runInfinite({ duration: 60 }));
    await clock.advance(60_000); // one finished at 50 s, the second started then: the drain begins
    expect(scheduler.drainStallLimitMs()).toBe(100_000);
    await clock.advance(40_000);
    expect(run.value).toMatchObject({ completed: 2, drainTimedOut: false });
  });
});

describe('SchedulerService input checks', () => {
  const clock = new FakeClock();
  const launcher = new FakeLauncher({ clock });
  const base = { launcher, reportInterval: 1, clock };

  it.each([0, -1, 1.5, Number.NaN])('rejects concurrency %s', (concurrency) => {
    expect(() => new SchedulerService({ ...base, concurrency })).toThrow(UsageError);
  });

  it('rejects a report interval of 0', () => {
    expect(() => new SchedulerService({ ...base, concurrency: 1, reportInterval: 0 })).toThrow(UsageError);
  });

  it.each([0, -5, 2.5])('rejects totalWorkflows %s', async (totalWorkflows) => {
    const scheduler = new SchedulerService({ ...base, concurrency: 1 });
    await expect(scheduler.run({ totalWorkflows })).rejects.toThrow(UsageError);
  });

  it('runs only once', async () => {
    const scheduler = new SchedulerService({ ...base, concurrency: 1 });
    scheduler.stop();
    await scheduler.runInfinite();
    await expect(scheduler.runInfinite()).rejects.toThrow(/runs once/);
  });
});
