import { describe, expect, it } from 'vitest';
import { StartAbandonedError, type FailureKind } from '../../src/errors.js';
import { SchedulerService } from '../../src/scheduler/scheduler-service.js';
import type { LaunchCountsSnapshot, RunStats } from '../../src/scheduler/types.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { FakeLauncher, type FakeLauncherOptions } from '../helpers/fake-launcher.js';

/**
 * Like TemporalService.startWorkflow under throttling: from `throttledFromMs` on, every attempt is
 * refused and retried after a backoff; the stop signal ends the backoff and the start is abandoned.
 */
class ThrottledRetryingLauncher extends FakeLauncher {
  refusedAttempts = 0;
  private readonly clock: FakeLauncherOptions['clock'];

  constructor(
    options: FakeLauncherOptions,
    private readonly throttledFromMs: number,
    private readonly stopSignal: AbortSignal,
  ) {
    super(options);
    this.clock = options.clock;
  }

  override async startEchoWorkflow(message?: string, count?: number): Promise<string> {
    while (this.clock.now() >= this.throttledFromMs) {
      this.refusedAttempts++;
      await this.backoff(200);
      if (this.stopSignal.aborted) throw new StartAbandonedError('throttled', 'start abandoned (not retried: stopping)');
    }
    return super.startEchoWorkflow(message, count);
  }

  private backoff(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const onStop = () => {
        this.clock.clearTimeout(timer);
        resolve();
      };
      const timer = this.clock.setTimeout(() => {
        this.stopSignal.removeEventListener('abort', onStop);
        resolve();
      }, ms);
      this.stopSignal.addEventListener('abort', onStop, { once: true });
    });
  }
}

function setup(rate: number | undefined, launcher: Omit<FakeLauncherOptions, 'clock'>, throttledFromMs: number) {
  const clock = new FakeClock();
  const stopRetries = new AbortController();
  const fake = new ThrottledRetryingLauncher({ clock, ...launcher }, throttledFromMs, stopRetries.signal);
  const failures: FailureKind[] = [];
  const scheduler = new SchedulerService({
    launcher: fake, concurrency: 5, reportInterval: 1, clock,
    ...(rate !== undefined ? { rate } : {}),
    sink: { failure: (kind) => failures.push(kind) },
  });
  // As the CLI does on the first SIGINT/SIGTERM: end the retries' backoffs, then stop launching.
  const stop = () => {
    stopRetries.abort();
    scheduler.stop();
  };
  return { clock, fake, scheduler, failures, stop };
}

function expectCountsAddUp(counts: LaunchCountsSnapshot): void {
  expect(counts.completed + counts.failed + counts.inFlight).toBe(counts.launched);
  expect(counts.started).toBeLessThanOrEqual(counts.launched);
}

function expectEveryGroupAddsUp(stats: RunStats): void {
  expectCountsAddUp(stats);
  expectCountsAddUp(stats.warmup);
  expectCountsAddUp(stats.measured);
  expect(stats.warmup.launched + stats.measured.launched).toBe(stats.launched);
}

describe('a start abandoned by the stop (its retry backoff ended by the stop signal)', () => {
  it('closed loop: is neither failed nor in flight nor launched; real failures still count', async () => {
    const { clock, fake, scheduler, failures, stop } = setup(undefined, { startMs: 1, runMs: 10, failStarts: new Map([[3, 'start_invalid']]) }, 500);
    const run = scheduler.runInfinite();
    await clock.advance(1500);
    expect(fake.refusedAttempts).toBeGreaterThan(5); // the 5 slots are backing off
    stop();
    await clock.advance(1000);
    const stats = await run;

    expect(stats.stopReason).toBe('stopped');
    expect(stats.failed).toBe(1);
    expect(stats.failuresByKind).toEqual({ start_invalid: 1 });
    expect(failures).toEqual(['start_invalid']);
    expect(stats.inFlight).toBe(0);
    expect(stats.completed).toBeGreaterThan(0);
    // Only the launches that got somewhere count: every launch completed or failed at start.
    expect(stats.launched).toBe(stats.completed + 1);
    expect(stats.started).toBe(stats.completed);
    expect(stats.missedArrivals).toBe(0); // a closed loop has no arrivals
    expectEveryGroupAddsUp(stats);
  });

  it('open loop: counts as an arrival never started, not as a failure', async () => {
    const { clock, fake, scheduler, failures, stop } = setup(10, { startMs: 1, runMs: 10 }, 1000);
    const run = scheduler.runInfinite();
    await clock.advance(2000);
    expect(fake.refusedAttempts).toBeGreaterThan(0);
    stop();
    await clock.advance(1000);
    const stats = await run;

    expect(stats.failed).toBe(0);
    expect(stats.failuresByKind).toEqual({});
    expect(failures).toEqual([]);
    expect(stats.inFlight).toBe(0);
    // Arrivals at 0, 100, …, 900 ms started; those from 1000 ms on were abandoned or never launched.
    expect(stats.completed).toBe(10);
    expect(stats.launched).toBe(10);
    expect(stats.missedArrivals).toBeGreaterThan(0);
    expect(stats.launched + stats.missedArrivals).toBe(20); // every arrival due before the stop, once
    expectEveryGroupAddsUp(stats);
  });
});
