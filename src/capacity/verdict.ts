import { evaluateThresholds, latencyMetricParts, parseThreshold, type Threshold, type ThresholdResult } from '../metrics/thresholds.js';
import type { GeneratorCheck, StepMeasurement, StepVerdict } from './types.js';

/**
 * The implicit SLO of every step: the load generator delivered the load. Otherwise the step measured
 * the client (its event loop, its in-flight cap), and blaming the server for it would be wrong.
 */

/** Sent starts must lie within ±1% of the intended arrivals (the bound)… */
export const DEFAULT_LAUNCHED_TOLERANCE = 0.01;
/** …or within one arrival, whichever is wider: a step of a few dozen arrivals cannot be held to 1%. */
const LAUNCHED_SLACK_ARRIVALS = 1;

/**
 * The start lateness p99 a step may have is this share of the tightest latency limit of its SLO.
 * Latencies are measured from the intended start, so lateness is inside them already: a late client
 * makes a step fail, never pass. What the bound guards against is blaming the server for the client's
 * own delay, and that takes a delay of the order of the limit itself; a quarter leaves the server three
 * quarters of it. (A tenth, or a fixed 100 ms, ended searches on a busy 2-core machine whose lateness
 * p99 of 135 ms was harmless beside a 1 s SLO.)
 */
export const LATENESS_SHARE_OF_SLO = 0.25;
/**
 * An SLO without a latency limit judges no latency, so lateness only shifts starts; the bound then is
 * a second, within which a step's starts still arrive at its rate.
 */
export const NO_LATENCY_SLO_MAX_START_LATENESS_MS = 1000;

/** The lateness bound for an SLO: LATENESS_SHARE_OF_SLO of its tightest latency limit (see there). */
export function startLatenessBoundMs(slo: readonly Threshold[]): number {
  const latencyLimits = slo.filter((threshold) => latencyMetricParts(threshold.metric) !== undefined).map((threshold) => threshold.limit);
  return latencyLimits.length > 0 ? LATENESS_SHARE_OF_SLO * Math.min(...latencyLimits) : NO_LATENCY_SLO_MAX_START_LATENESS_MS;
}

export interface GeneratorBounds {
  maxStartLatenessMs: number;
  launchedTolerance: number;
}

const round = (value: number, digits: number) => Number(value.toFixed(digits));

/**
 * Did the generator deliver the step's load: starts sent ≈ intended, and sent on time? Arrivals the
 * in-flight cap held back are not the client's doing: the workflows in flight did not finish fast enough
 * to free a slot (judgeStep fails such a step). They may be missing from the sent starts, and the
 * lateness, which waiting for a slot makes, is then not held against the client.
 */
export function checkGenerator(measurement: StepMeasurement, bounds: GeneratorBounds): GeneratorCheck {
  const { intendedArrivals: intended, launched, startLateness } = measurement;
  const heldByCap = measurement.heldByCap ?? 0;
  const launchedRatio = intended > 0 ? launched / intended : 1;
  const allowedMiss = Math.max(LAUNCHED_SLACK_ARRIVALS, bounds.launchedTolerance * intended);
  const startLatenessP99Ms = startLateness.count > 0 ? startLateness.p99 : 0;
  const check = { launchedRatio, launchedTolerance: bounds.launchedTolerance, startLatenessP99Ms, maxStartLatenessMs: bounds.maxStartLatenessMs };
  const missed = intended - launched;
  if (missed > allowedMiss + heldByCap || -missed > allowedMiss) {
    return { ...check, keptUp: false, reason: `sent ${launched} of ${round(intended, 1)} intended starts (${round(launchedRatio * 100, 1)}%)` };
  }
  if (startLatenessP99Ms > bounds.maxStartLatenessMs && heldByCap === 0) {
    return { ...check, keptUp: false, reason: `start lateness p99 ${round(startLatenessP99Ms, 1)} ms > ${round(bounds.maxStartLatenessMs, 1)} ms` };
  }
  return { ...check, keptUp: true };
}

/**
 * Failures are part of every SLO: a server that fails workflows has not sustained the rate, however fast
 * the rest finished (failures leave the latency percentiles, so they cannot make a step look slow). An
 * SLO that bounds failures itself (failed.rate, failed.count) sets its own tolerance; any other gets
 * this one, judged and shown like the SLO's own thresholds.
 */
export const IMPLICIT_NO_FAILURES: Threshold = parseThreshold('failed.count<=0');

/** The thresholds a step is judged by: the SLO's, plus IMPLICIT_NO_FAILURES unless the SLO bounds failures. */
export function stepThresholdsOf(slo: readonly Threshold[]): Threshold[] {
  const boundsFailures = slo.some((threshold) => threshold.metric === 'failed.rate' || threshold.metric === 'failed.count');
  return boundsFailures ? [...slo] : [...slo, IMPLICIT_NO_FAILURES];
}

export interface StepJudgement {
  verdict: StepVerdict;
  thresholds: ThresholdResult[];
  generator: GeneratorCheck;
  /** Verdict fail: what broke the step (CapacityStep.brokenBy); otherwise empty. */
  brokenBy: string[];
}

const plural = (count: number, one: string, many: string) => `${count} ${count === 1 ? one : many}`;

/**
 * What a step must hold beside its thresholds, each broken one in a few words. Workflows left running
 * after the drain outlasted the step and its drain: they are in no percentile, so the thresholds alone
 * would pass a step whose slowest workflows never finished. A full in-flight cap held arrivals back
 * because the server did not finish the workflows in flight fast enough: the server's doing.
 */
function implicitBreaches(measurement: StepMeasurement): string[] {
  const breaches: string[] = [];
  const unfinished = measurement.unfinished ?? 0;
  if (unfinished > 0) breaches.push(`${plural(unfinished, 'workflow', 'workflows')} still running after the drain: they outlasted the step and its drain`);
  const heldByCap = measurement.heldByCap ?? 0;
  if (heldByCap > 0) {
    const cap = measurement.inFlightCap === undefined ? 'the cap' : `the cap of ${measurement.inFlightCap}`;
    breaches.push(`in flight reached ${cap} (${plural(heldByCap, 'arrival', 'arrivals')} held back): the server did not keep up`);
  }
  return breaches;
}

/**
 * A step passes when the generator kept up, every threshold held (the SLO's and the implicit bound on
 * failures) and it left nothing beside them broken (implicitBreaches). When the generator did not keep
 * up the step is client-limited, whatever the rest says: its latencies include the client's own delay.
 * A step cut short decides nothing. The thresholds are evaluated in every case (for the table).
 */
export function judgeStep(measurement: StepMeasurement, slo: readonly Threshold[], bounds: GeneratorBounds): StepJudgement {
  const thresholds = evaluateThresholds(stepThresholdsOf(slo), {
    latency: measurement.latency,
    completed: measurement.completed,
    failed: measurement.failed,
    completedPerSecond: measurement.completedPerSecond,
  });
  const generator = checkGenerator(measurement, bounds);
  if (measurement.cutShort) return { verdict: 'cut-short', thresholds, generator, brokenBy: [] };
  if (!generator.keptUp) return { verdict: 'client-limited', thresholds, generator, brokenBy: [] };
  const brokenBy = [
    ...thresholds.filter((threshold) => !threshold.passed).map((threshold) => threshold.expression),
    ...implicitBreaches(measurement),
  ];
  return { verdict: brokenBy.length > 0 ? 'fail' : 'pass', thresholds, generator, brokenBy };
}
