import { describe, expect, it } from 'vitest';
import { searchCapacity } from '../../src/capacity/search.js';
import { parseSlo } from '../../src/capacity/slo.js';
import type { StepMeasurement, StepRunOptions } from '../../src/capacity/types.js';
import { judgeStep } from '../../src/capacity/verdict.js';
import { schedulerStepRunner } from '../../src/run/capacity-steps.js';
import type { WorkflowLauncher } from '../../src/scheduler/types.js';
import { FakeClock } from '../helpers/fake-clock.js';

/** A server whose workflows take `runMs` each however many run, and whose starts take 2 ms. */
class SlowServer implements WorkflowLauncher {
  private sequence = 0;
  constructor(private readonly clock: FakeClock, private readonly runMs: number) {}

  async startEchoWorkflow(): Promise<string> {
    await this.sleep(2);
    return `wf-${++this.sequence}`;
  }

  async awaitWorkflowResult(): Promise<unknown> {
    await this.sleep(this.runMs);
    return 'echo';
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.clock.setTimeout(resolve, ms));
  }
}

/** Runs a promise to its end, moving the fake clock on in 10 ms steps meanwhile. */
async function onFakeTime<T>(clock: FakeClock, promise: Promise<T>): Promise<T> {
  let done = false;
  void promise.finally(() => (done = true)).catch(() => undefined);
  while (!done) await clock.advance(10);
  return promise;
}

const SLO = parseSlo('e2e.p99<2s');
const bounds = { maxStartLatenessMs: 250, launchedTolerance: 0.01 };

/** One step of the run layer's step runner on a fake clock; `abortAtMs`: the search's signal then. */
/** Node's timers may fire a fraction of a millisecond before the monotonic clock says they are due (here: the long ones, the time limit). */
class EarlyTimersClock extends FakeClock {
  override setTimeout(callback: () => void, delayMs: number) {
    return super.setTimeout(callback, delayMs >= 1000 ? delayMs - 0.5 : delayMs);
  }
}

/** A monotonic clock whose origin is far from 0 and fractional, as performance.now() is. */
class FractionalOriginClock extends FakeClock {
  override now(): number {
    return super.now() + 4_177.922488362995;
  }
}

async function runStep(
  { rate, runMs, maxInFlight = 1000, abortAtMs, remainingMs, clock = new FakeClock() }:
    { rate: number; runMs: number; maxInFlight?: number; abortAtMs?: number; remainingMs?: number; clock?: FakeClock },
): Promise<StepMeasurement> {
  const controller = new AbortController();
  if (abortAtMs !== undefined) clock.setTimeout(() => controller.abort(), abortAtMs);
  const runner = schedulerStepRunner({
    launcher: new SlowServer(clock, runMs), workload: { kind: 'echo', message: 'step', count: 1 }, maxInFlight, drainStallSeconds: 60, clock,
  });
  const options: StepRunOptions = { durationMs: 5_000, warmupMs: 1_000, signal: controller.signal, ...(remainingMs !== undefined ? { remainingMs } : {}) };
  return onFakeTime(clock, runner(rate, options));
}

describe('a capacity step as the run layer measures it (SchedulerService on a fake clock)', () => {
  it('a full step: the measured window is the step, every arrival sent and finished', async () => {
    const measurement = await runStep({ rate: 8, runMs: 100 });
    expect(measurement).toMatchObject({ measuredSeconds: 5, intendedArrivals: 40, launched: 40, completed: 40, achievedRate: 8, unfinished: 0, heldByCap: 0 });
    expect(measurement.cutShort).toBeUndefined();
    expect(judgeStep(measurement, SLO, bounds)).toMatchObject({ verdict: 'pass', brokenBy: [] });
    // The time limit's timer firing a little early does not shorten the window (achieved 8, not 8.00…1).
    expect(await runStep({ rate: 8, runMs: 100, clock: new EarlyTimersClock() })).toMatchObject({ measuredSeconds: 5, achievedRate: 8 });
    // Nor does a fractional clock origin: the window is the limit less the warm-up, exactly (CI saw 2.9999999999999996).
    expect(await runStep({ rate: 8, runMs: 100, clock: new FractionalOriginClock() })).toMatchObject({ measuredSeconds: 5, achievedRate: 8 });
  });

  it('cut short mid-window: the rates are over the time that really elapsed (8 wf/s, not 5.4), and nothing is judged', async () => {
    const measurement = await runStep({ rate: 8, runMs: 100, abortAtMs: 1_000 + 3_400 });
    expect(measurement.cutShort).toBe(true);
    expect(measurement.measuredSeconds).toBeCloseTo(3.4, 1);
    expect(measurement.intendedArrivals).toBeCloseTo(8 * 3.4, 0);
    expect(Math.abs(measurement.launched - measurement.intendedArrivals)).toBeLessThanOrEqual(1);
    expect(measurement.achievedRate).toBeGreaterThan(7.7);
    expect(measurement.achievedRate).toBeLessThan(8.3);
    expect(judgeStep(measurement, SLO, bounds)).toMatchObject({ verdict: 'cut-short', brokenBy: [] });
  });

  it('cut short during the warm-up: an empty window (0 s, nothing intended)', async () => {
    const measurement = await runStep({ rate: 8, runMs: 100, abortAtMs: 500 });
    expect(measurement).toMatchObject({ cutShort: true, measuredSeconds: 0, intendedArrivals: 0, launched: 0, achievedRate: 0 });
  });

  it('a signal at the end of the measured window or during the drain: a complete measurement, judged', async () => {
    const later = await runStep({ rate: 5, runMs: 500, abortAtMs: 6_000 + 100 });
    expect(later.cutShort).toBeUndefined();
    expect(later).toMatchObject({ measuredSeconds: 5, launched: 25, completed: 25 });
    // The signal as the window ends, before the scheduler's own time limit fires (its timer comes second):
    // the scheduler stops for the signal, yet the whole window was measured.
    const measurement = await runStep({ rate: 5, runMs: 500, abortAtMs: 6_000 });
    expect(measurement.cutShort).toBeUndefined();
    expect(measurement).toMatchObject({ measuredSeconds: 5, intendedArrivals: 25, launched: 25, completed: 25, unfinished: 0 });
    expect(judgeStep(measurement, SLO, bounds).verdict).toBe('pass');
  });

  it('a drain that gives up with workflows still running: the step fails, naming them (they are in no percentile)', async () => {
    // 3 s workflows, a 0.5 s drain (what the budget leaves): the last ones are still running.
    const measurement = await runStep({ rate: 5, runMs: 3_000, remainingMs: 6_500 });
    expect(measurement.unfinished!).toBeGreaterThan(0);
    expect(measurement.completed + measurement.failed + measurement.unfinished!).toBe(measurement.launched);
    expect(measurement.latency.e2e!.p99).toBeLessThan(2_000 + 3_000); // the e2e p99 of those that finished
    const judged = judgeStep(measurement, parseSlo('e2e.p99<7.5s'), bounds);
    expect(judged.thresholds.every((threshold) => threshold.passed)).toBe(true);
    expect(judged).toMatchObject({
      verdict: 'fail', brokenBy: [`${measurement.unfinished} workflows still running after the drain: they outlasted the step and its drain`],
    });
  });

  it('… but when the signal came during that drain, the signal is the reason: cut short, not fail', async () => {
    const measurement = await runStep({ rate: 5, runMs: 3_000, remainingMs: 6_500, abortAtMs: 6_200 });
    expect(measurement.unfinished!).toBeGreaterThan(0);
    expect(measurement.cutShort).toBe(true);
    expect(judgeStep(measurement, SLO, bounds).verdict).toBe('cut-short');
  });

  it('an in-flight cap filled by slow workflows: the server did not keep up (fail), not the client', async () => {
    // 3 in flight at most, 1 s each: 3 wf/s finish, 5 wf/s arrive.
    const measurement = await runStep({ rate: 5, runMs: 1_000, maxInFlight: 3 });
    expect(measurement.heldByCap!).toBeGreaterThan(0);
    expect(measurement.launched).toBeLessThan(measurement.intendedArrivals - 1);
    const judged = judgeStep(measurement, parseSlo('e2e.p99<10s'), bounds);
    expect(judged.generator.keptUp).toBe(true);
    expect(judged).toMatchObject({
      verdict: 'fail', brokenBy: [`in flight reached the cap of 3 (${measurement.heldByCap} arrivals held back): the server did not keep up`],
    });
  });

  it('the search on it: a cap that fills past the knee fails the step and the search goes on to a capacity (reviewer: client-limited, not found)', async () => {
    const clock = new FakeClock();
    const runner = schedulerStepRunner({
      launcher: new SlowServer(clock, 1_000), workload: { kind: 'echo', message: 'step', count: 1 }, maxInFlight: 3, drainStallSeconds: 60, clock,
    });
    const result = await onFakeTime(clock, searchCapacity({ slo: parseSlo('e2e.p99<5s'), startRate: 0.5, stepDurationMs: 5_000, precision: 0.3 }, runner, { clock }));
    expect(result.stopReason).toBe('found');
    expect(result.steps.some((step) => step.verdict === 'client-limited')).toBe(false);
    expect(result.answer.kind).toBe('capacity');
    expect(result.answer.capacity!).toBeLessThanOrEqual(3);
    expect(result.answer.limitedBy.join()).toMatch(/in flight reached the cap of 3/);
  });
});
