import { describe, expect, it } from 'vitest';
import { SchedulerService, type SchedulerOptions } from '../../src/scheduler/scheduler-service.js';
import type { IntervalReport } from '../../src/scheduler/types.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { FakeLauncher, type FakeLauncherOptions } from '../helpers/fake-launcher.js';

type Setup = Omit<SchedulerOptions, 'launcher' | 'clock' | 'sink' | 'reportInterval'> & {
  reportInterval?: number;
  launcher?: Omit<FakeLauncherOptions, 'clock'>;
  clock?: FakeClock;
};

/**
 * Node's timers count from the event loop's time in whole milliseconds, so one may fire up to a
 * millisecond before its delay has passed by the clock: this one fires every timer of 2 ms or more 1 ms early.
 */
class EarlyTimersClock extends FakeClock {
  override setTimeout(callback: () => void, delayMs: number) {
    return super.setTimeout(callback, delayMs >= 2 ? delayMs - 1 : delayMs);
  }
}

/** Short timers rounded up to the next millisecond, as Node does with a fraction of one: an arrival's may come due with the limit's. */
class LateShortTimersClock extends FakeClock {
  override setTimeout(callback: () => void, delayMs: number) {
    return super.setTimeout(callback, delayMs < 2 ? delayMs + 1 : delayMs);
  }
}

function setup({ launcher, reportInterval = 1, clock = new FakeClock(), ...options }: Setup) {
  const fake = new FakeLauncher({ clock, ...launcher });
  const startTimes: number[] = [];
  const recordingLauncher = {
    startEchoWorkflow: (...args: Parameters<FakeLauncher['startEchoWorkflow']>) => {
      startTimes.push(clock.now());
      return fake.startEchoWorkflow(...args);
    },
    awaitWorkflowResult: (workflowId: string) => fake.awaitWorkflowResult(workflowId),
  };
  const reports: IntervalReport[] = [];
  const scheduler = new SchedulerService({
    launcher: recordingLauncher, clock, reportInterval,
    sink: { interval: (report) => reports.push(report) }, ...options,
  });
  return { clock, fake, scheduler, startTimes, reports };
}

describe('open loop (--rate)', () => {
  it('starts at exact intended times, independent of how long workflows take', async () => {
    const { clock, scheduler, startTimes } = setup({ concurrency: 100, rate: 10, launcher: { startMs: 5, runMs: 700 } });
    const run = scheduler.runInfinite({ duration: 1 });
    await clock.advance(2000);
    const stats = await run;
    expect(startTimes).toEqual([0, 100, 200, 300, 400, 500, 600, 700, 800, 900]);
    expect(stats).toMatchObject({ loadModel: 'open', launched: 10, completed: 10, lateStarts: 0, missedArrivals: 0, stopReason: 'time-limit' });
    // Every workflow: 5 ms start + 700 ms run, measured from its intended start.
    const { startLatency, e2eLatency, startLateness } = scheduler.metrics;
    expect(startLatency.summary()).toMatchObject({ count: 10, min: 5, max: 5 });
    expect(e2eLatency.summary()).toMatchObject({ count: 10, min: 705, max: 705 });
    expect(startLateness.summary()).toMatchObject({ count: 10, max: 0.001 }); // on time (0 is kept as 1 µs)
    expect(stats.elapsedMs).toBe(1605); // last start at 900 + 705, after the drain
  });

  it('counts started = rate × duration exactly on a fake clock', async () => {
    const { clock, scheduler } = setup({ concurrency: 1000, rate: 250, launcher: { startMs: 2, runMs: 30 } });
    const run = scheduler.runInfinite({ duration: 60 });
    await clock.advance(61_000);
    expect((await run).started).toBe(250 * 60);
  });

  it('launches the last arrival due before the time limit even when the limit\'s timer fires early', async () => {
    // Arrivals at 0, 1, …, 999 ms; the limit's timer, armed for 1000 ms, fires at 999 ms, before the last one's.
    const { clock, scheduler } = setup({ concurrency: 1000, rate: 1000, launcher: { startMs: 1, runMs: 5 }, clock: new EarlyTimersClock() });
    const run = scheduler.runInfinite({ duration: 1 });
    await clock.advance(2000);
    const stats = await run;
    expect(stats).toMatchObject({ stopReason: 'time-limit', launched: 1000, completed: 1000, missedArrivals: 0 });
  });

  it('launches the arrivals due before the limit when the limit\'s timer runs before theirs', async () => {
    // The arrival due at 999 ms is armed at 998 ms and comes due at 1000 ms, with the limit, whose timer runs
    // first. Workflows outlast the second, so no completion wakes the loop meanwhile.
    const { clock, scheduler } = setup({ concurrency: 1000, rate: 1000, launcher: { startMs: 2000, runMs: 2000 }, clock: new LateShortTimersClock() });
    const run = scheduler.runInfinite({ duration: 1 });
    await clock.advance(6000);
    const stats = await run;
    expect(stats).toMatchObject({ stopReason: 'time-limit', launched: 1000, completed: 1000, missedArrivals: 0 });
    expect(scheduler.metrics.startLateness.summary().max).toBe(1); // the last one, launched 1 ms late
  });

  it('ends the stages no earlier than their end when the timer fires early', async () => {
    const { clock, scheduler } = setup({
      concurrency: 1000, rate: 0, stages: [{ durationMs: 1000, target: 1000 }, { durationMs: 1000, target: 1000 }],
      launcher: { startMs: 1, runMs: 5 }, clock: new EarlyTimersClock(),
    });
    const run = scheduler.runInfinite({});
    await clock.advance(3000);
    const stats = await run;
    // The ramp's 500 arrivals and the hold's 1000 (the last due at 1999 ms).
    expect(stats).toMatchObject({ stopReason: 'stages-done', launched: 1500, missedArrivals: 0 });
  });

  it('when the cap holds starts back: counts late starts, records lateness, measures from the intended time', async () => {
    // One slot, workflows of 250 ms, arrivals every 100 ms: each start waits for the slot.
    const { clock, scheduler, startTimes } = setup({ concurrency: 1, rate: 10, launcher: { startMs: 50, runMs: 200 } });
    const run = scheduler.runInfinite({ duration: 1 });
    await clock.advance(2000);
    const stats = await run;
    expect(startTimes).toEqual([0, 250, 500, 750]);
    // Arrivals intended at 100, 200, 300 started at 250, 500, 750: 150, 300, 450 ms late.
    expect(stats.lateStarts).toBe(3);
    expect(scheduler.metrics.startLateness.summary()).toMatchObject({ count: 4, min: 0.001, max: 450 }); // 0 is kept as 1 µs
    // e2e from the intended time: 250 for the first, then 250 + lateness — the stall shows in the numbers.
    expect(scheduler.metrics.e2eLatency.summary()).toMatchObject({ count: 4, min: 250, max: 700 });
    // Six more arrivals (400 … 900 ms) were due before the 1 s limit and never launched.
    expect(stats.missedArrivals).toBe(6);
  });

  it('ramps the rate through stages and ends with them', async () => {
    const { clock, scheduler, startTimes } = setup({
      concurrency: 1000, rate: 0, stages: [{ durationMs: 2000, target: 10 }, { durationMs: 1000, target: 10 }],
      launcher: { startMs: 1, runMs: 10 },
    });
    const run = scheduler.runInfinite({});
    await clock.advance(5000);
    const stats = await run;
    expect(stats.stopReason).toBe('stages-done');
    expect(stats.launched).toBe(10 + 10); // ramp: (0+10)/2 × 2 s, hold: 10 × 1 s
    // N(t) = 2.5 t² during the ramp ⇒ t_i = sqrt(i / 2.5) s, within the fake clock's 1 ms resolution.
    for (const index of [1, 4, 9]) expect(startTimes[index]).toBeCloseTo(Math.sqrt(index / 2.5) * 1000, -1);
    expect(startTimes[10]).toBe(2000);
  });

  it('a batch ends at --total even in open loop', async () => {
    const { clock, scheduler } = setup({ concurrency: 10, rate: 100, launcher: { runMs: 5 } });
    const run = scheduler.run({ totalWorkflows: 25 });
    await clock.advance(1000);
    expect(await run).toMatchObject({ launched: 25, completed: 25, stopReason: 'total-reached', elapsedMs: 245 });
  });
});

describe('open loop: arrivals never started', () => {
  it('a batch counts at most what its total leaves (total 50, rate 100, concurrency 5)', async () => {
    const { clock, scheduler } = setup({ concurrency: 5, rate: 100, launcher: { runMs: 100 } });
    const run = scheduler.run({ totalWorkflows: 50 });
    await clock.advance(5000);
    const stats = await run;
    expect(stats).toMatchObject({ launched: 50, completed: 50, stopReason: 'total-reached' });
    expect(stats.missedArrivals).toBe(0); // every arrival of the batch started, late as they were
  });

  it('a batch stopped early counts the due arrivals it never launched, bounded by total − launched', async () => {
    const { clock, scheduler } = setup({ concurrency: 5, rate: 100, launcher: { runMs: 100 } });
    const run = scheduler.run({ totalWorkflows: 50 });
    await clock.advance(250); // 25 arrivals due (0, 10, … 240 ms); the cap let 15 start
    scheduler.stop();
    await clock.advance(1000);
    const stats = await run;
    expect(stats.launched).toBe(15);
    expect(stats.missedArrivals).toBe(25 - 15);
    expect(stats.missedArrivals).toBeLessThanOrEqual(50 - stats.launched);
  });

  it('a huge rate neither blocks the event loop nor counts more than the total leaves', async () => {
    const { clock, scheduler } = setup({ concurrency: 5, rate: 1_000_000, launcher: { runMs: 100 } });
    const run = scheduler.run({ totalWorkflows: 20 });
    await clock.advance(150);
    scheduler.stop(); // 150 000 arrivals due by now
    await clock.advance(200);
    const stats = await run;
    expect(stats.launched).toBe(10);
    expect(stats.missedArrivals).toBe(10);
  });

  it('an infinite run at a huge rate counts the due arrivals arithmetically', async () => {
    const { clock, scheduler } = setup({ concurrency: 5, rate: 1_000_000, launcher: { runMs: 100 } });
    const run = scheduler.runInfinite({ duration: 10 });
    const startedAt = performance.now();
    await clock.advance(10_200);
    const stats = await run;
    expect(stats.missedArrivals).toBe(10_000_000 - stats.launched);
    expect(performance.now() - startedAt).toBeLessThan(5000);
  });

  it('refuses a rate above MAX_RATE, in --rate and in the stages', () => {
    expect(() => setup({ concurrency: 5, rate: 1e12 })).toThrow(/at most 1000000 per second/);
    expect(() => setup({ concurrency: 5, rate: 0, stages: [{ durationMs: 1000, target: 2e6 }] })).toThrow(/at most 1000000/);
    // A closed loop's stage targets are concurrencies, not rates: their own ceiling applies.
    expect(() => setup({ concurrency: 5, stages: [{ durationMs: 1000, target: 50_000 }] })).not.toThrow();
    expect(() => setup({ concurrency: 5, stages: [{ durationMs: 1000, target: 2e6 }] })).toThrow(/concurrency must be at most 100000/);
  });

  it('refuses more than MAX_CONCURRENCY in flight (a closed loop would launch them all at once)', () => {
    expect(() => setup({ concurrency: 100_001 })).toThrow(/concurrency must be at most 100000/);
    expect(() => setup({ concurrency: 100_000, rate: 10 })).not.toThrow();
  });

  it('a very low rate waits for its next arrival instead of firing early', async () => {
    // One start per 30 days: the next arrival lies beyond Node's timer limit (the fake clock has none).
    const { clock, scheduler, startTimes } = setup({ concurrency: 5, rate: 1 / (30 * 86_400), reportInterval: 86_400, launcher: { runMs: 10 } });
    const run = scheduler.runInfinite({});
    await clock.advance(29 * 86_400_000);
    expect(startTimes).toEqual([0]);
    await clock.advance(86_400_000);
    expect(startTimes).toEqual([0, 30 * 86_400_000]);
    scheduler.stop();
    await clock.advance(100);
    await run;
  });
});

describe('closed loop with stages and duration', () => {
  it('ramps the concurrency linearly', async () => {
    const { clock, scheduler, fake, reports } = setup({
      concurrency: 1, stages: [{ durationMs: 1000, target: 8 }, { durationMs: 1000, target: 8 }],
      reportInterval: 0.55, launcher: { runMs: 10_000 },
    });
    const run = scheduler.runInfinite({});
    await clock.advance(1999);
    // Long workflows: in flight = the ramped concurrency (1 → 8 over the first second), re-read every
    // 100 ms: 4 at 500 ms (seen at the 550 ms report), then 8.
    expect(reports.map((report) => report.inFlight)).toEqual([4, 8, 8]);
    scheduler.stop();
    await clock.advance(20_000);
    expect(fake.maxInFlight).toBe(8);
    expect((await run).launched).toBe(8);
  });

  it('a batch also ends at --duration, whichever comes first', async () => {
    const { clock, scheduler } = setup({ concurrency: 2, launcher: { runMs: 100 } });
    const run = scheduler.run({ totalWorkflows: 1000, duration: 1 });
    await clock.advance(1100);
    expect(await run).toMatchObject({ launched: 20, completed: 20, stopReason: 'time-limit', elapsedMs: 1000 });
  });
});

describe('warm-up', () => {
  it('runs warm-up workflows normally but keeps them out of the measured counts and histograms', async () => {
    const { clock, scheduler } = setup({ concurrency: 1, warmup: 1, launcher: { startMs: 100, runMs: 150 } });
    const run = scheduler.runInfinite({ duration: 3 });
    await clock.advance(4000);
    const stats = await run;
    // One slot, 250 ms each: starts at 0, 250, 500, 750 are warm-up; 1000 … 2750 are measured.
    expect(stats.warmup).toMatchObject({ launched: 4, completed: 4 });
    expect(stats.measured).toMatchObject({ launched: 8, completed: 8, seconds: 2 });
    expect(stats.measured.completedPerSecond).toBe(4);
    expect(stats).toMatchObject({ launched: 12, completed: 12 });
    expect(scheduler.metrics.e2eLatency.count).toBe(8);
    expect(scheduler.metrics.startLatency.summary()).toMatchObject({ count: 8, min: 100, max: 100 });
  });
});

describe('interval reports carry latency percentiles of the interval', () => {
  it('reports the interval p50 / p99 of e2e latency, and of start latency without wait', async () => {
    const { clock, scheduler, reports } = setup({ concurrency: 1, launcher: { startMs: 20, runMs: 80 } });
    const run = scheduler.runInfinite({ duration: 2 });
    await clock.advance(3000);
    await run;
    // Completions at 100 … 900 ms; the one at 1000 ms lands just after the report of that instant.
    expect(reports[0]).toMatchObject({ completedInInterval: 9 });
    // Percentiles are HDR bucket values: exact to 3 significant digits.
    expect(reports[0]!.latencyP50Ms).toBeCloseTo(100, 0);
    expect(reports[0]!.latencyP99Ms).toBeCloseTo(100, 0);

    const startOnly = setup({ concurrency: 1, wait: false, launcher: { startMs: 20 } });
    const second = startOnly.scheduler.runInfinite({ duration: 2 });
    await startOnly.clock.advance(3000);
    await second;
    expect(startOnly.reports[0]).toMatchObject({ completedInInterval: 49 });
    expect(startOnly.reports[0]!.latencyP50Ms).toBeCloseTo(20, 1);
    expect(startOnly.reports[0]!.latencyP99Ms).toBeCloseTo(20, 1);
  });
});
