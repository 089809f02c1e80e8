import type { LatencySummary } from '../metrics/latency-histogram.js';
import type { LatencyGroup, Threshold, ThresholdResult } from '../metrics/thresholds.js';

/**
 * The capacity search's data: what one load step measured, how it was judged, and what the search
 * found. Plain data (no classes), so the run layer can write it to JSON and the report layer format it.
 * Rates are workflows started per second (wf/s); times are milliseconds.
 */

/** What the search asks of one step: run the open loop at `rate`, keep the warm-up out of the numbers. */
export interface StepRunOptions {
  /** The measured part of the step (after the warm-up), ms. */
  durationMs: number;
  /** Run at the step's rate before the measured part, its launches kept out of the numbers, ms. */
  warmupMs: number;
  /**
   * The search was stopped: end the step early and set `cutShort` on its measurement, unless its measured
   * window had already ended (a stop during the drain leaves a complete measurement, judged).
   */
  signal?: AbortSignal;
  /**
   * What is left of the search's budget as the step starts, ms (undefined: no budget). The search only
   * starts a step whose warm-up, measured part and drain (estimated by the longest seen) fit in it; the
   * runner can cut a longer drain to this.
   */
  remainingMs?: number;
}

/**
 * What one step measured, over its measured window (warm-up excluded). The runner drains the step's
 * in-flight work before it resolves, so a step's backlog does not poison the next one.
 */
export interface StepMeasurement {
  /** The rate asked for (echoed by the runner). */
  targetRate: number;
  /**
   * Seconds of the measured window as it really elapsed: from the end of the warm-up until launching
   * stopped (the step's end, or the signal's stop before it). The rates below are per these seconds.
   */
  measuredSeconds: number;
  /** Arrivals the open loop intended within the measured window (rate × seconds). */
  intendedArrivals: number;
  /**
   * Starts the load generator sent for those arrivals, whether the server accepted them or not (a start
   * the server refused is the server's doing and counts as sent; an arrival the client never sent is not).
   */
  launched: number;
  /** Of those, starts the server acknowledged. */
  started: number;
  completed: number;
  failed: number;
  /** Starts sent per second of the measured window: what the generator achieved. */
  achievedRate: number;
  completedPerSecond: number;
  /** Actual start − intended start of the measured launches (the generator's own delay). */
  startLateness: LatencySummary;
  /** Latency summaries per group (start, e2e, operations…): the shape evaluateThresholds takes. */
  latency: Partial<Record<LatencyGroup, LatencySummary>>;
  /** The step's encoded HDR histograms by name (opaque to the search; carried into the result for JSON). */
  histograms: Readonly<Record<string, string>>;
  /**
   * Measured workflows still running when the drain gave up: they outlasted the step and its drain, so
   * their latencies are in no percentile. Absent: 0.
   */
  unfinished?: number;
  /**
   * Measured arrivals the open loop's in-flight cap held back (launched late, or never): the workflows in
   * flight did not finish fast enough to free a slot. Absent: 0.
   */
  heldByCap?: number;
  /** The open loop's cap on workflows in flight during the step (to name it). */
  inFlightCap?: number;
  /**
   * The step was ended early by the search's signal: its measured window was cut, or the signal came
   * during the drain and left workflows unfinished. It decides nothing.
   */
  cutShort?: boolean;
}

/** Runs one step of the open loop at `rate` and measures it; injected, so the search stays pure. */
export type StepRunner = (rate: number, options: StepRunOptions) => Promise<StepMeasurement>;

/**
 * pass: every SLO threshold held and the generator kept up. fail: the generator kept up and a threshold
 * broke (the server is the limit). client-limited: the generator did not keep up, whatever the
 * thresholds say (the numbers measure the client, so the server is not judged). cut-short: the step was
 * interrupted before its end and decides nothing.
 */
export type StepVerdict = 'pass' | 'fail' | 'client-limited' | 'cut-short';

/** Whether the load generator delivered the step's load: the implicit part of every SLO. */
export interface GeneratorCheck {
  keptUp: boolean;
  /** launched / intended arrivals (1 when none were intended). */
  launchedRatio: number;
  /** The tolerance on that ratio: it must lie within 1 ± this. */
  launchedTolerance: number;
  /** The measured p99 of start lateness, ms (0 when nothing launched). */
  startLatenessP99Ms: number;
  /** The bound it had to stay within, ms. */
  maxStartLatenessMs: number;
  /** Why the generator did not keep up, in a few words; undefined when it did. */
  reason?: string;
}

export type SearchPhase = 'growth' | 'bisection';

/** One step of the search, judged. */
export interface CapacityStep {
  /** 0-based, in the order run. */
  index: number;
  phase: SearchPhase;
  targetRate: number;
  /** Starts per second the generator achieved (measurement.achievedRate). */
  achievedRate: number;
  verdict: StepVerdict;
  /**
   * Every SLO threshold with its measured value and whether it held (those not passed broke), and the
   * implicit bound on failures (failed.count<=0) when the SLO bounds none.
   */
  thresholds: ThresholdResult[];
  /**
   * Verdict fail: what broke the step, the thresholds that broke (their expressions) first, then the
   * checks every step must pass beside them (workflows left unfinished, the in-flight cap filled). Empty
   * for any other verdict.
   */
  brokenBy: string[];
  generator: GeneratorCheck;
  /** When the step began, ms since the search began, and how long it took (warm-up and drain included). */
  startedAtMs: number;
  elapsedMs: number;
  measurement: StepMeasurement;
}

/**
 * found: a passing and a failing step lie within the precision. max-rate: the step at max-rate passed.
 * max-duration: the next step could not have finished within the budget. interrupted: the signal.
 * client-limited: the generator could not deliver a step's rate. start-rate-failed: the first step
 * already broke the SLO. error: the step runner failed (`error` holds why).
 */
export type CapacityStopReason = 'found' | 'max-rate' | 'max-duration' | 'interrupted' | 'client-limited' | 'start-rate-failed' | 'error';

/**
 * What is known about the capacity. capacity: a passing and a failing rate bracket it. at-least: only
 * passing steps (the search reached max-rate, or stopped while still growing). client-limited: the
 * generator could not deliver `clientLimitedRate` before any step failed; the server's capacity is at
 * least `lastPassingRate` when there is one (a client-limited step after a bracket leaves the kind
 * capacity, with `clientLimitedRate` set). no-passing-step: even the start rate broke the SLO (the
 * capacity is below `firstFailingRate`). none: no step was judged.
 */
export type CapacityAnswerKind = 'capacity' | 'at-least' | 'client-limited' | 'no-passing-step' | 'none';

export interface CapacityAnswer {
  kind: CapacityAnswerKind;
  /**
   * The capacity as measured: the highest target rate that passed, what an expectation (`--expect`)
   * judges; undefined when no step passed.
   */
  capacity?: number;
  /** The highest passing step: target and achieved rates. */
  lastPassingRate?: number;
  lastPassingAchievedRate?: number;
  /** The lowest target rate that broke the SLO (with the generator keeping up), above the last passing one. */
  firstFailingRate?: number;
  /** What broke the first failing step (its brokenBy: threshold expressions such as `e2e.p99<2s`, then other reasons). */
  limitedBy: string[];
  /**
   * Where the thresholds that broke cross their limits, interpolated linearly between the last passing
   * and the first failing step (the lowest crossing): an estimate between two measured rates, never
   * measured itself. Undefined without both steps or without finite values.
   */
  interpolatedRate?: number;
  /** (firstFailing − lastPassing) / lastPassing ≤ precision: the bisection finished. */
  withinPrecision: boolean;
  /**
   * The target rate at which the generator did not keep up. With kind "capacity" the bracket was found
   * before (the bisection then stopped short of the precision).
   */
  clientLimitedRate?: number;
}

/** The settings the search ran with, defaults filled in. */
export interface CapacitySettings {
  startRate: number;
  growthFactor: number;
  precision: number;
  maxRate: number;
  /** The whole search's budget, ms; undefined: none. */
  maxDurationMs?: number;
  stepDurationMs: number;
  warmupMs: number;
  slo: Threshold[];
  maxStartLatenessMs: number;
  launchedTolerance: number;
}

export interface CapacityResult {
  settings: CapacitySettings;
  steps: CapacityStep[];
  answer: CapacityAnswer;
  stopReason: CapacityStopReason;
  /** The whole search, ms. */
  elapsedMs: number;
  /** stopReason "error": what the step runner threw. */
  error?: unknown;
}
