import { describe, expect, it } from 'vitest';
import { expectationMet, judgeExpectation, parseExpectation } from '../../src/capacity/expectation.js';
import { searchCapacity, type CapacityOptions, type SearchHooks } from '../../src/capacity/search.js';
import { parseSlo } from '../../src/capacity/slo.js';
import type { CapacityAnswer, CapacityStep, StepMeasurement, StepRunner } from '../../src/capacity/types.js';
import { checkGenerator, NO_LATENCY_SLO_MAX_START_LATENESS_MS, startLatenessBoundMs } from '../../src/capacity/verdict.js';
import { UsageError } from '../../src/errors.js';
import { LatencyHistogram, type LatencySummary } from '../../src/metrics/latency-histogram.js';
import { SchedulerService } from '../../src/scheduler/scheduler-service.js';
import type { WorkflowLauncher } from '../../src/scheduler/types.js';
import { FakeClock } from '../helpers/fake-clock.js';

/** A summary whose percentiles are all `p99` (enough for thresholds on p99, p50, max). */
function flatSummary(p99: number, count = 100): LatencySummary {
  return { count, min: p99, mean: p99, p50: p99, p90: p99, p95: p99, p99, p999: p99, max: p99 };
}

/** A clock the simulated steps move forward: each step takes its warm-up, its measured part and an overhead. */
class StepClock {
  current = 0;
  now(): number {
    return this.current;
  }
}

interface Simulation {
  /** The server: e2e p99 (ms) at a rate. */
  e2eP99At(rate: number): number;
  /** The client: the highest rate it can send (wf/s); default: any. */
  clientMaxRate?: number;
  /** The client: start lateness p99 (ms) at a rate; default 1 ms. */
  latenessP99At?(rate: number): number;
  /** ms each step takes beyond its warm-up and measured part (its drain). */
  overheadMs?: number;
  /** Called as a step begins (to abort, to throw). */
  during?(rate: number, index: number, signal: AbortSignal | undefined): void;
}

/** A step runner over a simulated server and client: no scheduler, just the numbers a step would measure. */
function simulatedRunner(simulation: Simulation, clock = new StepClock()) {
  const rates: number[] = [];
  const signals: (AbortSignal | undefined)[] = [];
  const remaining: (number | undefined)[] = [];
  const runStep: StepRunner = async (rate, { durationMs, warmupMs, signal, remainingMs }) => {
    rates.push(rate);
    signals.push(signal);
    remaining.push(remainingMs);
    simulation.during?.(rate, rates.length - 1, signal);
    const cutShort = signal?.aborted === true;
    clock.current += (cutShort ? durationMs / 2 : durationMs) + warmupMs + (simulation.overheadMs ?? 0);
    const seconds = durationMs / 1000;
    const achievedRate = Math.min(rate, simulation.clientMaxRate ?? Infinity);
    const launched = Math.round(achievedRate * seconds);
    const e2e = flatSummary(simulation.e2eP99At(rate), launched);
    return {
      targetRate: rate, measuredSeconds: seconds, intendedArrivals: rate * seconds, launched, started: launched,
      completed: launched, failed: 0, achievedRate, completedPerSecond: achievedRate,
      startLateness: flatSummary(simulation.latenessP99At?.(rate) ?? 1, launched),
      latency: { e2e, start: flatSummary(5, launched) },
      histograms: { e2e: `encoded-e2e-at-${rate}` },
      ...(cutShort ? { cutShort: true } : {}),
    };
  };
  return { runStep, rates, clock, signals, remaining };
}

/** A server whose e2e p99 is flat 100 ms up to `knee` wf/s, then steeply past the 2 s SLO. */
const kneeAt = (knee: number) => (rate: number) => (rate <= knee ? 100 : 2000 + (rate - knee) * 100);

const SLO = parseSlo('e2e.p99<2s');

function search(simulation: Simulation, options: Partial<CapacityOptions> = {}, hooks: SearchHooks = {}) {
  const runner = simulatedRunner(simulation);
  const result = searchCapacity({ slo: SLO, startRate: 10, stepDurationMs: 30_000, warmupMs: 5_000, ...options }, runner.runStep, { clock: runner.clock, ...hooks });
  return { runner, result };
}

/** Growth steps the search must run to pass the knee: every rate start·g^i ≤ knee, then the first one above. */
function growthStepsToPass(knee: number, start: number, growth: number): number {
  let steps = 1;
  for (let rate = start; rate <= knee; rate *= growth) steps++;
  return steps;
}

/** Bisections that halve a relative bracket of (growth − 1) down to the precision. */
const bisectionBound = (growth: number, precision: number) => Math.max(0, Math.ceil(Math.log2((growth - 1) / precision)));

describe('capacity search: growth, then bisection', () => {
  it('finds a knee at 140 wf/s within 5% in growth steps + ceil(log2(1/0.05)) bisections', async () => {
    const { runner, result } = search({ e2eP99At: kneeAt(140) });
    const { steps, answer, stopReason } = await result;
    expect(runner.rates).toEqual([10, 20, 40, 80, 160, 120, 140, 150, 145]);
    expect(runner.remaining.every((remainingMs) => remainingMs === undefined)).toBe(true); // no budget
    expect(steps.map((step) => step.phase)).toEqual([...Array(5).fill('growth'), ...Array(4).fill('bisection')]);
    expect(steps.map((step) => step.verdict)).toEqual(['pass', 'pass', 'pass', 'pass', 'fail', 'pass', 'pass', 'fail', 'fail']);
    expect(steps.length).toBeLessThanOrEqual(5 + bisectionBound(2, 0.05));
    expect(stopReason).toBe('found');
    expect(answer).toMatchObject({
      kind: 'capacity', capacity: 140, lastPassingRate: 140, lastPassingAchievedRate: 140, firstFailingRate: 145,
      limitedBy: ['e2e.p99<2s'], withinPrecision: true,
    });
    // The answer line's numbers: e2e p99 100 ms at 140, 2500 ms at 145 → the 2 s limit is crossed at 140 + 5·1900/2400.
    expect(answer.interpolatedRate).toBeCloseTo(140 + (5 * 1900) / 2400, 6);
    // Every step's thresholds with their values, its encoded histograms carried along.
    expect(steps[4]!.thresholds).toEqual([
      expect.objectContaining({ expression: 'e2e.p99<2s', value: 4000, passed: false }),
      expect.objectContaining({ expression: 'failed.count<=0', value: 0, passed: true }), // failures: the implicit part of every SLO
    ]);
    expect(steps[4]!.measurement.histograms).toEqual({ e2e: 'encoded-e2e-at-160' });
  });

  it('finds any knee within the precision, in a bounded number of steps (knees × growth factors × precisions)', async () => {
    for (const knee of [3.7, 57, 140, 999, 4321]) {
      for (const growth of [1.5, 2, 3]) {
        for (const precision of [0.01, 0.05, 0.2]) {
          const { result } = search({ e2eP99At: kneeAt(knee) }, { startRate: 1, growthFactor: growth, precision });
          const { steps, answer, stopReason } = await result;
          const label = `knee ${knee}, growth ${growth}, precision ${precision}`;
          expect(stopReason, label).toBe('found');
          expect(answer.capacity!, label).toBeLessThanOrEqual(knee);
          expect(answer.firstFailingRate!, label).toBeGreaterThan(knee);
          expect((answer.firstFailingRate! - answer.capacity!) / answer.capacity!, label).toBeLessThanOrEqual(precision * (1 + 1e-9));
          const growthSteps = steps.filter((step) => step.phase === 'growth').length;
          expect(growthSteps, label).toBe(growthStepsToPass(knee, 1, growth));
          expect(steps.length - growthSteps, label).toBeLessThanOrEqual(bisectionBound(growth, precision));
        }
      }
    }
  });

  it('reports "no passing step" when even the start rate breaks the SLO', async () => {
    const { runner, result } = search({ e2eP99At: kneeAt(5) });
    const { steps, answer, stopReason } = await result;
    expect(runner.rates).toEqual([10]);
    expect(steps.map((step) => step.verdict)).toEqual(['fail']);
    expect(stopReason).toBe('start-rate-failed');
    expect(answer).toMatchObject({ kind: 'no-passing-step', firstFailingRate: 10, limitedBy: ['e2e.p99<2s'], withinPrecision: false });
    expect(answer.capacity).toBeUndefined();
    expect(expectationMet(parseExpectation('>=1'), answer)).toBe(false);
  });

  it('stops at max-rate with "at least max-rate" when the server holds there (the last step is clamped to it)', async () => {
    const { runner, result } = search({ e2eP99At: kneeAt(1000) }, { maxRate: 100 });
    const { answer, stopReason } = await result;
    expect(runner.rates).toEqual([10, 20, 40, 80, 100]);
    expect(stopReason).toBe('max-rate');
    expect(answer).toMatchObject({ kind: 'at-least', capacity: 100, lastPassingRate: 100, limitedBy: [] });
    expect(answer.firstFailingRate).toBeUndefined();
  });

  it('bisects below max-rate when the step at max-rate fails', async () => {
    const { runner, result } = search({ e2eP99At: kneeAt(90) }, { maxRate: 100 });
    const { answer, stopReason } = await result;
    expect(runner.rates.slice(0, 5)).toEqual([10, 20, 40, 80, 100]);
    expect(runner.rates.every((rate) => rate <= 100)).toBe(true);
    expect(stopReason).toBe('found');
    expect(answer).toMatchObject({ kind: 'capacity', withinPrecision: true });
    expect(answer.capacity!).toBeLessThanOrEqual(90);
    expect(answer.firstFailingRate!).toBeGreaterThan(90);
  });

  it('max-duration: starts no step that could not finish within the budget (drain overhead included) and keeps the best answer', async () => {
    // A step takes 5 s warm-up + 30 s + 5 s drain = 40 s. Seven take 280 s; an eighth would end at 320 s > 318 s.
    // (Counting only warm-up and measured part, 280 + 35 = 315 s would wrongly fit.)
    const { runner, result } = search({ e2eP99At: kneeAt(140), overheadMs: 5_000 }, { maxDurationMs: 318_000 });
    const { answer, stopReason, elapsedMs, steps } = await result;
    expect(runner.rates).toEqual([10, 20, 40, 80, 160, 120, 140]);
    expect(stopReason).toBe('max-duration');
    expect(elapsedMs).toBe(280_000);
    expect(elapsedMs).toBeLessThanOrEqual(318_000);
    expect(steps.map((step) => step.startedAtMs)).toEqual([0, 40_000, 80_000, 120_000, 160_000, 200_000, 240_000]);
    expect(runner.remaining).toEqual([318_000, 278_000, 238_000, 198_000, 158_000, 118_000, 78_000]); // for the runner to cut a drain
    expect(answer).toMatchObject({ kind: 'capacity', capacity: 140, firstFailingRate: 160, withinPrecision: false });
  });

  it('max-duration during the growth: "at least" the last passing rate', async () => {
    const { result } = search({ e2eP99At: kneeAt(1000) }, { maxDurationMs: 3 * 35_000 });
    const { answer, stopReason, steps } = await result;
    expect(steps).toHaveLength(3);
    expect(stopReason).toBe('max-duration');
    expect(answer).toMatchObject({ kind: 'at-least', capacity: 40, withinPrecision: false });
  });

  it('calls onStepStart and onStep for every step, and a throwing hook does not break the search', async () => {
    const started: string[] = [];
    const judged: CapacityStep[] = [];
    const { result } = search({ e2eP99At: kneeAt(30) }, { precision: 0.2 }, {
      onStepStart: (rate, phase, index) => started.push(`${index}:${phase}:${rate}`),
      onStep: (step) => {
        judged.push(step);
        throw new Error('the output pipe is closed');
      },
    });
    const { steps, stopReason } = await result;
    expect(stopReason).toBe('found');
    expect(started).toEqual(['0:growth:10', '1:growth:20', '2:growth:40', '3:bisection:30', '4:bisection:35']);
    expect(judged).toEqual(steps);
  });
});

describe('capacity search: the client, not the server, as the limit', () => {
  it('a client that cannot reach the target rate: client-limited at that rate, the server not blamed', async () => {
    // The client sends at most 50 wf/s; its latencies (measured from the intended starts) blow up past it.
    const { runner, result } = search({ e2eP99At: (rate) => (rate <= 50 ? 100 : 9000), clientMaxRate: 50 });
    const { steps, answer, stopReason } = await result;
    expect(runner.rates).toEqual([10, 20, 40, 80]);
    expect(stopReason).toBe('client-limited');
    expect(steps.map((step) => step.verdict)).toEqual(['pass', 'pass', 'pass', 'client-limited']);
    expect(steps.some((step) => step.verdict === 'fail')).toBe(false);
    expect(steps[3]!.achievedRate).toBe(50);
    expect(steps[3]!.generator).toMatchObject({ keptUp: false, launchedRatio: 50 / 80, reason: 'sent 1500 of 2400 intended starts (62.5%)' });
    // The thresholds are still evaluated (for the table), but decide nothing.
    expect(steps[3]!.thresholds[0]).toMatchObject({ value: 9000, passed: false });
    expect(answer).toMatchObject({ kind: 'client-limited', clientLimitedRate: 80, capacity: 40, lastPassingRate: 40, limitedBy: [] });
    expect(answer.firstFailingRate).toBeUndefined();
  });

  it('a client whose starts run late (lateness p99 over the bound): client-limited', async () => {
    const { result } = search({ e2eP99At: kneeAt(1000), latenessP99At: (rate) => (rate >= 60 ? 650 : 2) });
    const { steps, answer, stopReason } = await result;
    expect(stopReason).toBe('client-limited');
    expect(steps.at(-1)!.generator).toMatchObject({ keptUp: false, startLatenessP99Ms: 650, maxStartLatenessMs: 500, reason: 'start lateness p99 650 ms > 500 ms' });
    expect(answer).toMatchObject({ kind: 'client-limited', clientLimitedRate: 80, capacity: 40 });
  });

  it('a client-limited step in the bisection keeps the bracket: kind capacity, not within the precision, the client-limited rate recorded', async () => {
    // The bracket 80 pass / 160 fail is found; then the client runs late at the bisection's 120 wf/s (a busy moment).
    const { runner, result } = search({ e2eP99At: kneeAt(140), latenessP99At: (rate) => (rate === 120 ? 900 : 2) });
    const { steps, answer, stopReason } = await result;
    expect(runner.rates).toEqual([10, 20, 40, 80, 160, 120]);
    expect(steps.map((step) => step.verdict)).toEqual(['pass', 'pass', 'pass', 'pass', 'fail', 'client-limited']);
    expect(stopReason).toBe('client-limited');
    expect(answer).toMatchObject({
      kind: 'capacity', capacity: 80, lastPassingRate: 80, firstFailingRate: 160, limitedBy: ['e2e.p99<2s'], withinPrecision: false, clientLimitedRate: 120,
    });
  });

  it('the generator check: ±1% of the intended arrivals (or one arrival), and lateness within the bound', () => {
    const bounds = { maxStartLatenessMs: 100, launchedTolerance: 0.01 };
    const measurement = (intendedArrivals: number, launched: number, latenessP99 = 1): StepMeasurement => ({
      targetRate: 1, measuredSeconds: 1, intendedArrivals, launched, started: launched, completed: launched, failed: 0,
      achievedRate: launched, completedPerSecond: launched, startLateness: flatSummary(latenessP99, launched), latency: {}, histograms: {},
    });
    expect(checkGenerator(measurement(1000, 990), bounds).keptUp).toBe(true);
    expect(checkGenerator(measurement(1000, 989), bounds).keptUp).toBe(false);
    expect(checkGenerator(measurement(1000, 1011), bounds).keptUp).toBe(false); // more than intended: not the load asked for
    expect(checkGenerator(measurement(30, 29), bounds).keptUp).toBe(true); // one arrival of slack on a small step
    expect(checkGenerator(measurement(30, 28), bounds).keptUp).toBe(false);
    expect(checkGenerator(measurement(1000, 1000, 100), bounds).keptUp).toBe(true);
    expect(checkGenerator(measurement(1000, 1000, 100.5), bounds).keptUp).toBe(false);
  });

  it('the lateness bound: a quarter of the tightest latency limit of the SLO (a second without one)', () => {
    expect(startLatenessBoundMs(parseSlo('e2e.p99<2s'))).toBe(500);
    expect(startLatenessBoundMs(parseSlo('e2e.p99<2s;start.p50<=200ms'))).toBe(50);
    expect(startLatenessBoundMs(parseSlo('failed.rate<1%'))).toBe(NO_LATENCY_SLO_MAX_START_LATENESS_MS);
  });

  it('a lateness p99 of 135 ms on a busy machine with a 1 s SLO: the generator kept up (reviewer: it ended the search)', async () => {
    const slo = parseSlo('start.p99<1s,e2e.p99<3s');
    const { result } = search({ e2eP99At: kneeAt(1000), latenessP99At: () => 134.9 }, { slo, maxRate: 40 });
    const { steps, stopReason } = await result;
    expect(steps.every((step) => step.generator.keptUp && step.generator.maxStartLatenessMs === 250)).toBe(true);
    expect(stopReason).toBe('max-rate');
  });
});

describe('capacity search: stopping', () => {
  it('abort during a step: the runner gets the signal, the step cut short decides nothing, stop reason interrupted', async () => {
    const controller = new AbortController();
    const { runner, result } = search({ e2eP99At: kneeAt(140), during: (_rate, index) => index === 2 && controller.abort() }, {}, { signal: controller.signal });
    const { steps, answer, stopReason } = await result;
    expect(runner.signals.every((signal) => signal === controller.signal)).toBe(true);
    expect(runner.rates).toEqual([10, 20, 40]);
    expect(stopReason).toBe('interrupted');
    expect(steps.map((step) => step.verdict)).toEqual(['pass', 'pass', 'cut-short']);
    expect(answer).toMatchObject({ kind: 'at-least', capacity: 20 });
  });

  it('abort after a step measured its whole window (the runner did not cut it short): the step is judged and counts, then the search ends', async () => {
    const controller = new AbortController();
    const runner = simulatedRunner({ e2eP99At: kneeAt(140) });
    // The signal comes during the third step's drain: the runner returns its full measurement.
    const complete: StepRunner = async (rate, options) => {
      const measurement = await runner.runStep(rate, { ...options, signal: undefined });
      if (rate === 40) controller.abort();
      return measurement;
    };
    const { steps, answer, stopReason } = await searchCapacity({ slo: SLO, startRate: 10, stepDurationMs: 30_000 }, complete, { clock: runner.clock, signal: controller.signal });
    expect(steps.map((step) => [step.targetRate, step.verdict])).toEqual([[10, 'pass'], [20, 'pass'], [40, 'pass']]);
    expect(stopReason).toBe('interrupted');
    expect(answer).toMatchObject({ kind: 'at-least', capacity: 40 });
  });

  it('abort between steps: no further step starts, the steps so far are kept', async () => {
    const controller = new AbortController();
    const { runner, result } = search({ e2eP99At: kneeAt(140) }, {}, { signal: controller.signal, onStep: (step) => step.index === 5 && controller.abort() });
    const { steps, answer, stopReason } = await result;
    expect(runner.rates).toEqual([10, 20, 40, 80, 160, 120]);
    expect(stopReason).toBe('interrupted');
    expect(steps).toHaveLength(6);
    expect(answer).toMatchObject({ kind: 'capacity', capacity: 120, firstFailingRate: 160, withinPrecision: false });
  });

  it('aborted before the first step: no step, answer none', async () => {
    const controller = new AbortController();
    controller.abort();
    const { runner, result } = search({ e2eP99At: kneeAt(140) }, {}, { signal: controller.signal });
    expect(await result).toMatchObject({ steps: [], stopReason: 'interrupted', answer: { kind: 'none', limitedBy: [], withinPrecision: false } });
    expect(runner.rates).toEqual([]);
  });

  it('a runner that rejects after the abort: interrupted; one that fails on its own: stop reason error, steps kept', async () => {
    const controller = new AbortController();
    const aborted = search({ e2eP99At: kneeAt(140), during: (_rate, index) => { if (index === 1) { controller.abort(); throw new Error('aborted'); } } }, {}, { signal: controller.signal });
    expect(await aborted.result).toMatchObject({ stopReason: 'interrupted', answer: { kind: 'at-least', capacity: 10 } });

    const failure = new Error('connection lost');
    const failing = search({ e2eP99At: kneeAt(140), during: (_rate, index) => { if (index === 3) throw failure; } });
    const result = await failing.result;
    expect(result).toMatchObject({ stopReason: 'error', error: failure, answer: { kind: 'at-least', capacity: 40 } });
    expect(result.steps).toHaveLength(3);
  });
});

describe('capacity search: settings, SLO and expectation', () => {
  it('refuses bad settings with one clear UsageError', async () => {
    const runner = simulatedRunner({ e2eP99At: kneeAt(140) }).runStep;
    const bad: [Partial<CapacityOptions>, RegExp][] = [
      [{ slo: [] }, /^the SLO is empty/],
      [{ startRate: 0 }, /^the start rate must be a number > 0, got 0$/],
      [{ growthFactor: 1 }, /^the growth factor must be a number > 1/],
      [{ precision: 0 }, /^the precision must be between 0 and 1/],
      [{ precision: 1 }, /^the precision must be between 0 and 1/],
      [{ startRate: 200, maxRate: 100 }, /^the start rate \(200\) must not exceed the max rate \(100\)$/],
      [{ maxRate: 2e6 }, /^the max rate must be a number ≤ 1000000/],
      [{ stepDurationMs: 0 }, /^the step duration must be > 0 ms/],
      [{ warmupMs: -1 }, /^the warm-up must be ≥ 0 ms/],
      [{ startRate: 0.01, stepDurationMs: 30_000 }, /^a step of 30 s at 0.01 wf\/s has no arrival to measure/],
      [{ maxDurationMs: 30_000 }, /^the max duration \(30 s\) must leave room for one step \(35 s with its warm-up\)$/],
    ];
    for (const [options, message] of bad) {
      const attempt = searchCapacity({ slo: SLO, startRate: 10, stepDurationMs: 30_000, warmupMs: 5_000, ...options }, runner);
      await expect(attempt, JSON.stringify(options)).rejects.toThrow(UsageError);
      await expect(attempt, JSON.stringify(options)).rejects.toThrow(message);
    }
  });

  it('parseSlo: thresholds separated by "," or ";", in the --threshold grammar', () => {
    expect(parseSlo('e2e.p99<2s,failed.rate<0.1%').map(({ metric, operator, limit }) => ({ metric, operator, limit }))).toEqual([
      { metric: 'e2e.p99', operator: '<', limit: 2000 },
      { metric: 'failed.rate', operator: '<', limit: 0.001 },
    ]);
    expect(parseSlo(' e2e.p99<2s ; update.accepted.p99.9<=300ms; ').map((threshold) => threshold.expression)).toEqual(['e2e.p99<2s', 'update.accepted.p99.9<=300ms']);
    expect(() => parseSlo('')).toThrow(/^the SLO is empty: give at least one threshold, such as e2e.p99<2s$/);
    expect(() => parseSlo('e2e.p99<2s,throughput>50')).toThrow(/^bad SLO "throughput>50": an SLO bounds from above/);
    expect(() => parseSlo('e2e.p99>1s')).toThrow(/^bad SLO "e2e.p99>1s"/);
    expect(() => parseSlo('missed<1')).toThrow(/^bad SLO "missed<1"/);
    expect(() => parseSlo('e2e.p99<fast')).toThrow(/^bad threshold "e2e.p99<fast"/);
  });

  it('a failed.rate SLO: failures break a step', async () => {
    const slo = parseSlo('e2e.p99<2s,failed.rate<1%');
    const runner = simulatedRunner({ e2eP99At: () => 100 });
    const withFailures: StepRunner = async (rate, options) => {
      const measured = await runner.runStep(rate, options);
      const failed = rate > 50 ? Math.round(measured.launched * 0.05) : 0;
      return { ...measured, completed: measured.launched - failed, failed };
    };
    const { answer } = await searchCapacity({ slo, startRate: 10, stepDurationMs: 30_000 }, withFailures, { clock: runner.clock });
    expect(answer).toMatchObject({ kind: 'capacity', limitedBy: ['failed.rate<1%'], withinPrecision: true });
    expect(answer.capacity!).toBeLessThanOrEqual(50);
    expect(answer.firstFailingRate!).toBeGreaterThan(50);
  });

  it('failures are part of every SLO: without a failed.* bound a step with any failed workflow fails, named failed.count<=0', async () => {
    // The reviewer's dead server: 12 of 20 failed in the first step, e2e p99 of the rest within the SLO.
    const runner = simulatedRunner({ e2eP99At: () => 100 });
    const failingAbove: StepRunner = async (rate, options) => {
      const measured = await runner.runStep(rate, options);
      const failed = rate >= 40 ? 1 : 0;
      return { ...measured, completed: measured.launched - failed, failed };
    };
    const { steps, answer, stopReason } = await searchCapacity({ slo: SLO, startRate: 10, stepDurationMs: 30_000, precision: 0.2 }, failingAbove, { clock: runner.clock });
    expect(stopReason).toBe('found');
    expect(steps[0]!.thresholds.map((threshold) => threshold.expression)).toEqual(['e2e.p99<2s', 'failed.count<=0']);
    const firstFailing = steps.find((step) => step.targetRate === 40)!;
    expect(firstFailing.verdict).toBe('fail');
    expect(firstFailing.thresholds).toEqual([
      expect.objectContaining({ expression: 'e2e.p99<2s', passed: true }), expect.objectContaining({ expression: 'failed.count<=0', value: 1, passed: false }),
    ]);
    expect(answer).toMatchObject({ kind: 'capacity', capacity: 35, firstFailingRate: 40, limitedBy: ['failed.count<=0'] });
    expect(answer.interpolatedRate).toBeUndefined(); // a failure count has no crossing worth estimating

    const dead = simulatedRunner({ e2eP99At: () => 100 });
    const deadServer: StepRunner = async (rate, options) => ({ ...(await dead.runStep(rate, options)), completed: 8, failed: 12 });
    const judged = await searchCapacity({ slo: SLO, startRate: 5, stepDurationMs: 4_000 }, deadServer, { clock: dead.clock });
    expect(judged).toMatchObject({ stopReason: 'start-rate-failed', answer: { kind: 'no-passing-step', limitedBy: ['failed.count<=0'] } });
    expect(judged.steps.map((step) => step.verdict)).toEqual(['fail']);
  });

  it('an SLO that bounds failures itself sets the tolerance: no implicit failed.count<=0 beside it', async () => {
    for (const text of ['e2e.p99<2s,failed.rate<5%', 'failed.count<10']) {
      const runner = simulatedRunner({ e2eP99At: () => 100 });
      const fewFailures: StepRunner = async (rate, options) => ({ ...(await runner.runStep(rate, options)), failed: 1 });
      const { steps, answer } = await searchCapacity({ slo: parseSlo(text), startRate: 10, stepDurationMs: 30_000, maxRate: 20 }, fewFailures, { clock: runner.clock });
      expect(steps[0]!.thresholds.map((threshold) => threshold.expression), text).toEqual(parseSlo(text).map((threshold) => threshold.expression));
      expect(answer, text).toMatchObject({ kind: 'at-least', capacity: 20 });
    }
  });

  it('parseExpectation: a predicate over the capacity; no capacity meets nothing', () => {
    const cases: [string, number, boolean][] = [
      ['>=100', 100, true], ['>=100', 99.9, false], ['>100', 100, false], ['>100', 100.5, true],
      ['<=2000wf/s', 2000, true], ['< 10', 10, false], ['< 10', 9, true], ['==5', 5, true], ['==5', 5.1, false], [' >= 1.5 ', 1.5, true],
    ];
    for (const [text, capacity, holds] of cases) expect(parseExpectation(text).holds(capacity), `${text} at ${capacity}`).toBe(holds);
    expect(parseExpectation(' >= 1.5 ')).toMatchObject({ expression: '>= 1.5', operator: '>=', rate: 1.5 });
    for (const text of ['>=100', '>100', '<=100', '<100', '==100']) expect(parseExpectation(text).holds(undefined), text).toBe(false);
  });

  it('an expectation is judged by what the answer knows: at least c meets only lower bounds, below f meets upper bounds at or above f', () => {
    const atLeast: CapacityAnswer = { kind: 'at-least', capacity: 2, lastPassingRate: 2, limitedBy: [], withinPrecision: false };
    const below: CapacityAnswer = { kind: 'no-passing-step', firstFailingRate: 10, limitedBy: ['e2e.p99<2s'], withinPrecision: false };
    const bracket: CapacityAnswer = { kind: 'capacity', capacity: 140, lastPassingRate: 140, firstFailingRate: 145, limitedBy: ['e2e.p99<2s'], withinPrecision: true };
    const onlyAtLeast = 'the capacity is only known to be at least 2 wf/s';
    const onlyBelow = 'the capacity is only known to be below 10 wf/s';
    const cases: [CapacityAnswer, string, { met: boolean; notJudged?: string }][] = [
      // the reviewer's case: "at least 2" passed <=2
      [atLeast, '<=2', { met: false, notJudged: onlyAtLeast }], [atLeast, '<100', { met: false, notJudged: onlyAtLeast }],
      [atLeast, '==2', { met: false, notJudged: onlyAtLeast }], [atLeast, '>=2', { met: true }], [atLeast, '>1', { met: true }],
      [atLeast, '>=3', { met: false }],
      // capacity < 10: an upper bound at or above 10 is met; below 10, or any lower bound under 10, cannot be told
      [below, '<=100', { met: true }], [below, '<10', { met: true }], [below, '<=10', { met: true }],
      [below, '<=5', { met: false, notJudged: onlyBelow }], [below, '>=1', { met: false, notJudged: onlyBelow }],
      [below, '==5', { met: false, notJudged: onlyBelow }], [below, '>=10', { met: false }], [below, '>50', { met: false }],
      [bracket, '>=100', { met: true }], [bracket, '<=140', { met: true }], [bracket, '<140', { met: false }],
      [{ kind: 'none', limitedBy: [], withinPrecision: false }, '<=100', { met: false }],
    ];
    for (const [answer, text, verdict] of cases) {
      expect(judgeExpectation(parseExpectation(text), answer), `${answer.kind} ${text}`).toEqual(verdict);
      expect(expectationMet(parseExpectation(text), answer), `${answer.kind} ${text}`).toBe(verdict.met);
    }
  });

  it('parseExpectation refuses bad input with one line naming it', () => {
    for (const text of ['100', '>=', '=>100', '>=abc', '>=-5', '>=0', '>=0x10', '', '>=100 rps', '!=100']) {
      let error: unknown;
      try {
        parseExpectation(text);
      } catch (caught) {
        error = caught;
      }
      expect(error, text).toBeInstanceOf(UsageError);
      expect((error as Error).message, text).toBe(`bad capacity expectation "${text.trim()}": expected an operator and a rate in wf/s > 0, such as >=100 (operators: >= > <= < ==)`);
    }
  });
});

/**
 * A server with `slots` workflows' worth of capacity: a workflow runs `baseMs` while at most `slots`
 * run, and `penaltyMs` longer for every one beyond (a saturated worker pool queues them).
 */
class SaturatingLauncher implements WorkflowLauncher {
  private running = 0;
  private sequence = 0;

  constructor(private readonly clock: FakeClock, private readonly model: { startMs: number; baseMs: number; slots: number; penaltyMs: number }) {}

  async startEchoWorkflow(): Promise<string> {
    await this.sleep(this.model.startMs);
    return `wf-${++this.sequence}`;
  }

  async awaitWorkflowResult(): Promise<unknown> {
    this.running++;
    try {
      await this.sleep(this.model.baseMs + Math.max(0, this.running - this.model.slots) * this.model.penaltyMs);
    } finally {
      this.running--;
    }
    return 'echo';
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.clock.setTimeout(resolve, ms));
  }
}

/** The run layer's job in miniature: one open-loop SchedulerService per step on a shared fake clock, drained before it resolves. */
function schedulerStepRunner(clock: FakeClock, launcher: WorkflowLauncher): StepRunner {
  return async (rate, { durationMs, warmupMs, signal }) => {
    const scheduler = new SchedulerService({ launcher, clock, concurrency: 10_000, rate, reportInterval: 3600, warmup: warmupMs / 1000 });
    signal?.addEventListener('abort', () => scheduler.stop(), { once: true });
    let done = false;
    const run = scheduler.runInfinite({ duration: (warmupMs + durationMs) / 1000 }).finally(() => { done = true; });
    while (!done) await clock.advance(100);
    const stats = await run;
    const { metrics } = scheduler;
    const seconds = durationMs / 1000;
    const startLateness = metrics.startLateness.summary();
    return {
      targetRate: rate, measuredSeconds: seconds, intendedArrivals: rate * seconds,
      launched: stats.measured.launched, started: stats.measured.started, completed: stats.measured.completed, failed: stats.measured.failed,
      achievedRate: stats.measured.launched / seconds, completedPerSecond: stats.measured.completed / seconds, startLateness,
      latency: { start: metrics.startLatency.summary(), e2e: metrics.e2eLatency.summary(), start_lateness: startLateness },
      histograms: { e2e: metrics.e2eLatency.encode() },
      ...(stats.stopReason === 'stopped' ? { cutShort: true } : {}),
    };
  };
}

describe('capacity search on the real SchedulerService (open loop, fake clock)', () => {
  it('finds the knee of a saturating server from real scheduler measurements', async () => {
    // 10 slots of 100 ms: 100 wf/s. Past it, each workflow beyond the slots adds 9 ms: the e2e p99 runs away.
    const clock = new FakeClock();
    const launcher = new SaturatingLauncher(clock, { startMs: 2, baseMs: 100, slots: 10, penaltyMs: 9 });
    const result = await searchCapacity(
      { slo: parseSlo('e2e.p99<150ms'), startRate: 25, stepDurationMs: 4_000, warmupMs: 1_000, precision: 0.05 },
      schedulerStepRunner(clock, launcher),
      { clock },
    );
    const { steps, answer, stopReason } = result;
    expect(stopReason).toBe('found');
    expect(steps.every((step) => step.verdict === 'pass' || step.verdict === 'fail')).toBe(true); // the fake client always keeps up
    expect(answer.kind).toBe('capacity');
    // Below 100 wf/s every workflow takes its 100 ms; the fixed point of the penalty, L = 10 / (1 − 9·rate/1000) ms,
    // crosses 150 ms near 103.7 wf/s (the discrete simulation lands close to it).
    expect(answer.capacity!).toBeGreaterThanOrEqual(100);
    expect(answer.capacity!).toBeLessThanOrEqual(104);
    expect(answer.firstFailingRate!).toBeGreaterThan(103);
    expect(answer.withinPrecision).toBe(true);
    expect(steps.length).toBeLessThanOrEqual(growthStepsToPass(110, 25, 2) + bisectionBound(2, 0.05));
    // The measurements are the scheduler's: every intended arrival launched on time, the histogram decodes.
    const first = steps[0]!;
    expect(first.measurement).toMatchObject({ launched: 100, intendedArrivals: 100, completed: 100, failed: 0 });
    expect(LatencyHistogram.decode(first.measurement.histograms.e2e!).count).toBe(100);
    expect(first.measurement.latency.e2e!.p99).toBeCloseTo(102, 0);
    // Each step began after the previous one drained: its start is at least the previous step's warm-up and measured part later.
    for (let index = 1; index < steps.length; index++) expect(steps[index]!.startedAtMs - steps[index - 1]!.startedAtMs).toBeGreaterThanOrEqual(5_000);
  });

  it('an abort during a step stops the scheduler early: that step is cut short, the search interrupted', async () => {
    const clock = new FakeClock();
    const launcher = new SaturatingLauncher(clock, { startMs: 2, baseMs: 100, slots: 10, penaltyMs: 9 });
    const controller = new AbortController();
    clock.setTimeout(() => controller.abort(), 7_000); // during the second step (5.1 s – 10.2 s)
    const result = await searchCapacity(
      { slo: parseSlo('e2e.p99<150ms'), startRate: 25, stepDurationMs: 4_000, warmupMs: 1_000 },
      schedulerStepRunner(clock, launcher),
      { clock, signal: controller.signal },
    );
    expect(result.stopReason).toBe('interrupted');
    expect(result.steps.map((step) => [step.targetRate, step.verdict])).toEqual([[25, 'pass'], [50, 'cut-short']]);
    expect(result.steps[1]!.measurement.launched).toBeLessThan(200);
    expect(result.answer).toMatchObject({ kind: 'at-least', capacity: 25 });
  });
});
