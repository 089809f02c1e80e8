import type { ThresholdResult } from '../metrics/thresholds.js';
import type { CapacityAnswer, CapacityStep } from './types.js';

/** Relative slack on the precision test, so a bracket of exactly the precision (in floating point) counts as within it. */
const PRECISION_SLACK = 1e-9;

/** (firstFailing − lastPassing) / lastPassing ≤ precision: the bracket is narrow enough. */
export function isWithinPrecision(lastPassingRate: number, firstFailingRate: number, precision: number): boolean {
  return (firstFailingRate - lastPassingRate) / lastPassingRate <= precision * (1 + PRECISION_SLACK);
}

/**
 * Where one threshold that broke at the failing step crosses its limit, by linear interpolation of its
 * value between the two steps; undefined when either value is not finite or they do not straddle the limit.
 */
function crossing(passing: ThresholdResult | undefined, failing: ThresholdResult, passingRate: number, failingRate: number): number | undefined {
  if (passing === undefined || !Number.isFinite(passing.value) || !Number.isFinite(failing.value)) return undefined;
  if (failing.value === passing.value) return undefined;
  const fraction = (failing.limit - passing.value) / (failing.value - passing.value);
  if (!(fraction >= 0 && fraction <= 1)) return undefined;
  return passingRate + fraction * (failingRate - passingRate);
}

/** The lowest crossing of the thresholds that broke at `failing`, between `passing` and `failing`. */
function interpolatedRate(passing: CapacityStep, failing: CapacityStep): number | undefined {
  // A failure count grows with the step's length as much as with its rate: no crossing worth estimating.
  const crossings = failing.thresholds
    .filter((threshold) => !threshold.passed && threshold.metric !== 'failed.count')
    .map((threshold) => crossing(
      passing.thresholds.find((candidate) => candidate.expression === threshold.expression),
      threshold,
      passing.targetRate,
      failing.targetRate,
    ))
    .filter((rate): rate is number => rate !== undefined);
  return crossings.length > 0 ? Math.min(...crossings) : undefined;
}

/** What the judged steps tell about the capacity (steps cut short tell nothing; a client-limited one tells its rate). */
export function answerOf(steps: readonly CapacityStep[], precision: number): CapacityAnswer {
  const passing = steps.filter((step) => step.verdict === 'pass').reduce<CapacityStep | undefined>(
    (best, step) => (best === undefined || step.targetRate > best.targetRate ? step : best), undefined);
  const failing = steps
    .filter((step) => step.verdict === 'fail' && (passing === undefined || step.targetRate > passing.targetRate))
    .reduce<CapacityStep | undefined>((best, step) => (best === undefined || step.targetRate < best.targetRate ? step : best), undefined);
  const clientLimited = [...steps].reverse().find((step) => step.verdict === 'client-limited');
  // A bracket found before a client-limited step still brackets the capacity (only not within the
  // precision): the client's limit discards it only when there is none.
  const kind: CapacityAnswer['kind'] = passing && failing
    ? 'capacity'
    : clientLimited ? 'client-limited' : passing ? 'at-least' : failing ? 'no-passing-step' : 'none';
  const interpolated = passing && failing ? interpolatedRate(passing, failing) : undefined;
  return {
    kind,
    ...(passing ? { capacity: passing.targetRate, lastPassingRate: passing.targetRate, lastPassingAchievedRate: passing.achievedRate } : {}),
    ...(failing ? { firstFailingRate: failing.targetRate } : {}),
    limitedBy: failing ? [...failing.brokenBy] : [],
    ...(interpolated !== undefined ? { interpolatedRate: interpolated } : {}),
    withinPrecision: passing !== undefined && failing !== undefined && isWithinPrecision(passing.targetRate, failing.targetRate, precision),
    ...(clientLimited ? { clientLimitedRate: clientLimited.targetRate } : {}),
  };
}
