import { UsageError } from '../errors.js';
import type { Threshold } from '../metrics/thresholds.js';
import { MAX_RATE } from '../scheduler/load-model.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { answerOf, isWithinPrecision } from './answer.js';
import { checkSlo } from './slo.js';
import type { CapacityResult, CapacitySettings, CapacityStep, CapacityStopReason, SearchPhase, StepRunner } from './types.js';
import { DEFAULT_LAUNCHED_TOLERANCE, judgeStep, startLatenessBoundMs } from './verdict.js';

/**
 * The capacity search: open-loop steps at growing rates until one breaks the SLO, then a bisection
 * between the last passing and the first failing rate down to the precision. Pure: the steps are run by
 * an injected StepRunner, time read from an injected clock.
 */

export const DEFAULT_GROWTH_FACTOR = 2;
export const DEFAULT_PRECISION = 0.05;
export const DEFAULT_STEP_DURATION_MS = 30_000;

export interface CapacityOptions {
  /** The thresholds every step must hold (see parseSlo): upper bounds on latencies and failures. */
  slo: readonly Threshold[];
  /** The first step's rate, wf/s. */
  startRate: number;
  /** Each growth step's rate is the previous one's times this (> 1). Default 2. */
  growthFactor?: number;
  /** Bisect until (firstFailing − lastPassing) / lastPassing ≤ this (0 < precision < 1). Default 0.05. */
  precision?: number;
  /** No step runs above this rate; a pass here ends the search ("at least maxRate"). Default: the open loop's MAX_RATE. */
  maxRate?: number;
  /** The whole search's budget, ms: no step starts that could not finish within it. Default: none. */
  maxDurationMs?: number;
  /** A step's measured part, ms. Default 30 s. */
  stepDurationMs?: number;
  /** A step's warm-up before its measured part, ms (the runner keeps it out of the numbers). Default 0. */
  warmupMs?: number;
  /** The start lateness p99 a step may have before it counts as client-limited, ms. Default: startLatenessBoundMs(slo). */
  maxStartLatenessMs?: number;
  /** Sent starts must be within this fraction of the intended arrivals (or within one arrival). Default 0.01. */
  launchedTolerance?: number;
}

export interface SearchHooks {
  /** Stops the search: the runner gets it to end the current step early; what was found so far is returned. */
  signal?: AbortSignal;
  /** A step is about to run (for progress lines). */
  onStepStart?(rate: number, phase: SearchPhase, index: number): void;
  /** A step was judged (for a live table, NDJSON per step). */
  onStep?(step: CapacityStep): void;
  /** Time source for the budget and the steps' times. Default: the monotonic system clock. */
  clock?: Pick<Clock, 'now'>;
}

function check(valid: boolean, message: string): void {
  if (!valid) throw new UsageError(message);
}

/** The settings with defaults filled in; a UsageError names the first bad one. */
export function resolveCapacitySettings(options: CapacityOptions): CapacitySettings {
  checkSlo(options.slo);
  const { startRate, growthFactor = DEFAULT_GROWTH_FACTOR, precision = DEFAULT_PRECISION, maxRate = MAX_RATE } = options;
  const { stepDurationMs = DEFAULT_STEP_DURATION_MS, warmupMs = 0, maxDurationMs, launchedTolerance = DEFAULT_LAUNCHED_TOLERANCE } = options;
  const maxStartLatenessMs = options.maxStartLatenessMs ?? startLatenessBoundMs(options.slo);
  check(Number.isFinite(startRate) && startRate > 0, `the start rate must be a number > 0, got ${startRate}`);
  check(Number.isFinite(growthFactor) && growthFactor > 1, `the growth factor must be a number > 1, got ${growthFactor}`);
  check(Number.isFinite(precision) && precision > 0 && precision < 1, `the precision must be between 0 and 1 (exclusive), got ${precision}`);
  check(Number.isFinite(maxRate) && maxRate <= MAX_RATE, `the max rate must be a number ≤ ${MAX_RATE}, got ${maxRate}`);
  check(startRate <= maxRate, `the start rate (${startRate}) must not exceed the max rate (${maxRate})`);
  check(Number.isFinite(stepDurationMs) && stepDurationMs > 0, `the step duration must be > 0 ms, got ${stepDurationMs}`);
  check(Number.isFinite(warmupMs) && warmupMs >= 0, `the warm-up must be ≥ 0 ms, got ${warmupMs}`);
  check((startRate * stepDurationMs) / 1000 >= 1, `a step of ${stepDurationMs / 1000} s at ${startRate} wf/s has no arrival to measure: raise the start rate or the step duration`);
  if (maxDurationMs !== undefined) {
    check(Number.isFinite(maxDurationMs) && maxDurationMs >= stepDurationMs + warmupMs,
      `the max duration (${maxDurationMs / 1000} s) must leave room for one step (${(stepDurationMs + warmupMs) / 1000} s with its warm-up)`);
  }
  check(Number.isFinite(maxStartLatenessMs) && maxStartLatenessMs > 0, `the start lateness bound must be > 0 ms, got ${maxStartLatenessMs}`);
  check(Number.isFinite(launchedTolerance) && launchedTolerance >= 0 && launchedTolerance < 1, `the launched tolerance must be in [0, 1), got ${launchedTolerance}`);
  return {
    startRate, growthFactor, precision, maxRate, ...(maxDurationMs !== undefined ? { maxDurationMs } : {}),
    stepDurationMs, warmupMs, slo: [...options.slo], maxStartLatenessMs, launchedTolerance,
  };
}

/** What comes after a step: the next rate to run, or why the search stops. */
type Next = { rate: number; phase: SearchPhase } | { stop: CapacityStopReason; error?: unknown };

class CapacitySearch {
  private readonly steps: CapacityStep[] = [];
  private readonly clock: Pick<Clock, 'now'>;
  private readonly startedAt: number;
  /** The longest time a step took beyond its warm-up and measured part (its drain, its set-up), ms. */
  private longestOverheadMs = 0;
  private lastPassingRate: number | undefined;
  private firstFailingRate: number | undefined;

  constructor(
    private readonly settings: CapacitySettings,
    private readonly runStep: StepRunner,
    private readonly hooks: SearchHooks,
  ) {
    this.clock = hooks.clock ?? systemClock;
    this.startedAt = this.clock.now();
  }

  async run(): Promise<CapacityResult> {
    let next: Next = { rate: this.settings.startRate, phase: 'growth' };
    while ('rate' in next) {
      const blocked = this.blockedBeforeStep();
      next = blocked ?? await this.runOne(next.rate, next.phase);
    }
    return {
      settings: this.settings,
      steps: this.steps,
      answer: answerOf(this.steps, this.settings.precision),
      stopReason: next.stop,
      elapsedMs: this.clock.now() - this.startedAt,
      ...(next.stop === 'error' ? { error: next.error } : {}),
    };
  }

  /**
   * Why the next step may not start: the signal, or a budget it could not finish within. A step takes
   * its warm-up and measured part plus an overhead (drain, set-up) estimated by the longest seen so far.
   */
  private blockedBeforeStep(): Next | undefined {
    if (this.hooks.signal?.aborted) return { stop: 'interrupted' };
    const { maxDurationMs, stepDurationMs, warmupMs } = this.settings;
    if (maxDurationMs === undefined) return undefined;
    const elapsed = this.clock.now() - this.startedAt;
    return elapsed + warmupMs + stepDurationMs + this.longestOverheadMs > maxDurationMs ? { stop: 'max-duration' } : undefined;
  }

  private async runOne(rate: number, phase: SearchPhase): Promise<Next> {
    const { stepDurationMs, warmupMs, slo, maxDurationMs } = this.settings;
    const { signal } = this.hooks;
    const index = this.steps.length;
    const stepStartedAt = this.clock.now();
    this.notify(() => this.hooks.onStepStart?.(rate, phase, index));
    const remainingMs = maxDurationMs === undefined ? undefined : maxDurationMs - (stepStartedAt - this.startedAt);
    let measurement;
    try {
      measurement = await this.runStep(rate, {
        durationMs: stepDurationMs, warmupMs, ...(signal ? { signal } : {}), ...(remainingMs !== undefined ? { remainingMs } : {}),
      });
    } catch (error) {
      return signal?.aborted ? { stop: 'interrupted' } : { stop: 'error', error };
    }
    const elapsedMs = this.clock.now() - stepStartedAt;
    if (!measurement.cutShort) this.longestOverheadMs = Math.max(this.longestOverheadMs, elapsedMs - warmupMs - stepDurationMs);
    const step: CapacityStep = {
      index, phase, targetRate: rate, achievedRate: measurement.achievedRate,
      ...judgeStep(measurement, slo, this.settings),
      startedAtMs: stepStartedAt - this.startedAt, elapsedMs, measurement,
    };
    this.steps.push(step);
    this.notify(() => this.hooks.onStep?.(step));
    const next = this.after(step);
    return 'rate' in next && signal?.aborted ? { stop: 'interrupted' } : next;
  }

  /** Growth until a step fails (or max-rate passes), then bisection until the bracket is within the precision. */
  private after(step: CapacityStep): Next {
    const { growthFactor, maxRate, precision } = this.settings;
    switch (step.verdict) {
      case 'cut-short': return { stop: 'interrupted' };
      case 'client-limited': return { stop: 'client-limited' };
      case 'pass': this.lastPassingRate = Math.max(this.lastPassingRate ?? 0, step.targetRate); break;
      case 'fail': this.firstFailingRate = Math.min(this.firstFailingRate ?? Infinity, step.targetRate); break;
    }
    const passing = this.lastPassingRate;
    const failing = this.firstFailingRate;
    if (failing === undefined) {
      return passing! >= maxRate ? { stop: 'max-rate' } : { rate: Math.min(passing! * growthFactor, maxRate), phase: 'growth' };
    }
    if (passing === undefined) return { stop: 'start-rate-failed' };
    if (isWithinPrecision(passing, failing, precision)) return { stop: 'found' };
    return { rate: (passing + failing) / 2, phase: 'bisection' };
  }

  /** Calls a hook; its errors are its own and never break the search (e.g. a closed output pipe). */
  private notify(call: () => void): void {
    try {
      call();
    } catch {
      // the caller reports its own troubles
    }
  }
}

/**
 * Searches the highest rate at which the steps hold the SLO. Never throws once started: a runner's
 * failure ends the search with stop reason "error" and the steps so far. Bad options throw a UsageError.
 */
export async function searchCapacity(options: CapacityOptions, runStep: StepRunner, hooks: SearchHooks = {}): Promise<CapacityResult> {
  const settings = resolveCapacitySettings(options);
  return new CapacitySearch(settings, runStep, hooks).run();
}
