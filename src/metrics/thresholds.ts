import { UsageError } from '../errors.js';
import { parseDecimal } from '../numbers.js';
import { OPERATION_NAMES } from '../shared/operations.js';
import type { LatencySummary } from './latency-histogram.js';

/**
 * CI gates in k6's style: `e2e.p99<2s`, `failed.rate<0.01`, `throughput>50`. One table of metrics
 * drives parsing, evaluation and the README.
 */

export type ThresholdOperator = '<' | '<=' | '>' | '>=' | '==' | '!=';

const LATENCY_GROUPS = ['e2e', 'start', 'start_lateness', 'delay_lag', 'fire_lag', 'pickup_lag', ...OPERATION_NAMES] as const;
export type LatencyGroup = (typeof LATENCY_GROUPS)[number];
const LATENCY_STATISTICS = { p50: 'p50', p90: 'p90', p95: 'p95', p99: 'p99', 'p99.9': 'p999', max: 'max', mean: 'mean', min: 'min' } as const;
type LatencyStatistic = keyof typeof LATENCY_STATISTICS;

/** Counts of a `schedules` run: fires missed (catch-up window), skipped (overlap), unaccounted for. */
const SCHEDULE_COUNTS = ['missed', 'skipped', 'unaccounted'] as const;
const COUNT_METRICS = ['failed.rate', 'failed.count', 'throughput', ...SCHEDULE_COUNTS] as const;
export type NumberMetric = (typeof COUNT_METRICS)[number];

/** The values a metric can take: a threshold must be able both to pass and to fail within them. */
interface MetricDomain {
  max: number;
  whole: boolean;
  /** How the bounds are shown in a message. */
  range: string;
}
const LATENCY_DOMAIN: MetricDomain = { max: Number.POSITIVE_INFINITY, whole: false, range: 'a duration ≥ 0' };
const DOMAINS: Record<NumberMetric, MetricDomain> = {
  'failed.rate': { max: 1, whole: false, range: 'between 0 and 1 (0% and 100%)' },
  'failed.count': { max: Number.POSITIVE_INFINITY, whole: true, range: 'a whole number ≥ 0' },
  throughput: { max: Number.POSITIVE_INFINITY, whole: false, range: 'a number ≥ 0' },
  missed: { max: Number.POSITIVE_INFINITY, whole: true, range: 'a whole number ≥ 0' },
  skipped: { max: Number.POSITIVE_INFINITY, whole: true, range: 'a whole number ≥ 0' },
  unaccounted: { max: Number.POSITIVE_INFINITY, whole: true, range: 'a whole number ≥ 0' },
};

export type ThresholdMetricKind = 'latency' | 'number';

export interface Threshold {
  /** The text as given, e.g. `e2e.p99<2s`. */
  expression: string;
  metric: string;
  kind: ThresholdMetricKind;
  operator: ThresholdOperator;
  /** Milliseconds for latency metrics; a plain number otherwise. */
  limit: number;
}

export interface ThresholdResult extends Threshold {
  /** The measured value (ms for latency metrics); NaN when there was nothing to measure. */
  value: number;
  passed: boolean;
}

/** The measured values thresholds look at; built from the run's summary. */
export interface ThresholdInputs {
  /** A group a run does not measure (fire lag in a load run) is missing: its thresholds fail. */
  latency: Partial<Record<LatencyGroup, LatencySummary>>;
  completed: number;
  failed: number;
  completedPerSecond: number;
  schedules?: Record<(typeof SCHEDULE_COUNTS)[number], number>;
}

/**
 * Every latency metric, `<group>.<statistic>`, with its parts. Looked up whole, never split at a dot:
 * groups (`update.accepted`) and statistics (`p99.9`) both contain dots.
 */
const LATENCY_METRICS = new Map<string, { group: LatencyGroup; statistic: LatencyStatistic }>(
  LATENCY_GROUPS.flatMap((group) =>
    (Object.keys(LATENCY_STATISTICS) as LatencyStatistic[]).map((statistic) => [`${group}.${statistic}`, { group, statistic }] as const),
  ),
);

export const THRESHOLD_METRICS: readonly string[] = [...LATENCY_METRICS.keys(), ...COUNT_METRICS];

/** A latency metric's group and statistic (`update.accepted.p99.9` → `update.accepted`, `p99.9`); undefined for other metrics. */
export function latencyMetricParts(metric: string): { group: LatencyGroup; statistic: LatencyStatistic } | undefined {
  return LATENCY_METRICS.get(metric);
}

const UNIT_MILLIS: Record<string, number> = { us: 0.001, 'µs': 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** latency (values in ms), number, or undefined for an unknown metric. */
export function metricKind(metric: string): ThresholdMetricKind | undefined {
  if ((COUNT_METRICS as readonly string[]).includes(metric)) return 'number';
  return LATENCY_METRICS.has(metric) ? 'latency' : undefined;
}

function parseLimit(text: string, kind: ThresholdMetricKind, expression: string): number {
  const trimmed = text.trim();
  const unit = /(us|µs|ms|s|m|h|%)$/.exec(trimmed)?.[1];
  const value = parseDecimal(unit ? trimmed.slice(0, -unit.length) : trimmed);
  if (value === undefined) throw new UsageError(`bad threshold "${expression}": "${text}" is not a number${kind === 'latency' ? ' or a duration like 200ms' : ''}`);
  if (kind === 'latency') {
    if (unit === '%') throw new UsageError(`bad threshold "${expression}": a latency takes a duration, not a percentage`);
    return value * (unit ? UNIT_MILLIS[unit]! : 1); // a bare number is milliseconds, as in k6
  }
  if (unit === '%') return value / 100;
  if (unit) throw new UsageError(`bad threshold "${expression}": "${unit}" is a time unit, but this metric is a plain number`);
  return value;
}

/** Which values of the metric's domain [0, max] satisfy `operator limit`: none, all, or some. */
function satisfiedBy(operator: ThresholdOperator, limit: number, { max, whole }: MetricDomain): 'none' | 'all' | 'some' {
  const outside = limit < 0 || limit > max || (whole && !Number.isInteger(limit));
  switch (operator) {
    case '<': return limit <= 0 ? 'none' : limit > max ? 'all' : 'some';
    case '<=': return limit < 0 ? 'none' : limit >= max ? 'all' : 'some';
    case '>': return limit >= max ? 'none' : limit < 0 ? 'all' : 'some';
    case '>=': return limit > max ? 'none' : limit <= 0 ? 'all' : 'some';
    case '==': return outside ? 'none' : 'some';
    case '!=': return outside ? 'all' : 'some';
  }
}

/** A threshold that cannot fail gates nothing, one that cannot pass fails every run: both are mistakes. */
function checkMeaningful(threshold: Threshold): void {
  const domain = threshold.kind === 'latency' ? LATENCY_DOMAIN : DOMAINS[threshold.metric as NumberMetric];
  const verdict = satisfiedBy(threshold.operator, threshold.limit, domain);
  if (verdict === 'some') return;
  throw new UsageError(
    `bad threshold "${threshold.expression}": it can never ${verdict === 'all' ? 'fail' : 'pass'} (${threshold.metric} is ${domain.range})`,
  );
}

/** Edit distance (insertions, deletions, substitutions) between two short names. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[b.length]!;
}

/** The known metrics a mistyped one most likely meant (`signal.p99` → signal.sent.p99, signal.handled.p99), if any. */
function nearestMetrics(metric: string): string[] {
  const statistic = (Object.keys(LATENCY_STATISTICS) as LatencyStatistic[]).find((name) => metric.endsWith(`.${name}`)) ?? 'p99';
  const base = metric.endsWith(`.${statistic}`) ? metric.slice(0, -statistic.length - 1) : metric;
  const extended = LATENCY_GROUPS.filter((group) => group.startsWith(`${base}.`));
  if (extended.length > 0) return extended.map((group) => `${group}.${statistic}`);
  const scored = THRESHOLD_METRICS.map((name) => ({ name, distance: editDistance(metric, name) })).filter(({ distance }) => distance <= 2);
  const best = Math.min(...scored.map(({ distance }) => distance));
  return scored.filter(({ distance }) => distance === best).map(({ name }) => name).slice(0, 3);
}

/**
 * Why a metric name is unknown, in one short line: the kinds of names accepted (not all of them: there
 * are hundreds) and the nearest known ones.
 */
function unknownMetricProblem(metric: string): string {
  const statistics = Object.keys(LATENCY_STATISTICS).join(', ');
  const group = LATENCY_GROUPS.find((name) => metric.startsWith(`${name}.`) && !metric.slice(name.length + 1).includes('.'));
  if (group) return `unknown metric "${metric}": ${group} takes the statistics ${statistics}`;
  const nearest = nearestMetrics(metric);
  const direct = LATENCY_GROUPS.filter((name) => !(OPERATION_NAMES as readonly string[]).includes(name)).join(', ');
  return `unknown metric "${metric}"${nearest.length > 0 ? ` (did you mean ${nearest.join(' or ')}?)` : ''}: a latency is <group>.<statistic> with a group such as ${direct} or an operation such as update.accepted, and a statistic ${statistics}; the counts are ${COUNT_METRICS.join(', ')} (README "Thresholds")`;
}

/** Parses one expression; a UsageError names the bad part. */
export function parseThreshold(expression: string): Threshold {
  const match = /^\s*([a-z0-9_.]+)\s*(<=|>=|==|!=|<|>)\s*(.+?)\s*$/i.exec(expression);
  if (!match) {
    throw new UsageError(`bad threshold "${expression}": expected <metric><op><value> such as e2e.p99<2s (op: < <= > >= == !=)`);
  }
  const [, metric, operator, limitText] = match as unknown as [string, string, ThresholdOperator, string];
  const kind = metricKind(metric);
  if (!kind) throw new UsageError(`bad threshold "${expression}": ${unknownMetricProblem(metric)}`);
  const threshold = { expression: expression.trim(), metric, kind, operator, limit: parseLimit(limitText, kind, expression.trim()) };
  checkMeaningful(threshold);
  return threshold;
}

/** Parses `;`-separated expressions (SCHEDULER_THRESHOLDS); empty parts are ignored. */
export function parseThresholdList(text: string): Threshold[] {
  return text.split(';').filter((part) => part.trim() !== '').map(parseThreshold);
}

/** What one command measures with its settings: thresholds on anything else are refused before the run. */
export interface MeasuredMetrics {
  latency: readonly LatencyGroup[];
  numbers: readonly NumberMetric[];
}

/** `e2e.<statistic>, failed.rate, …`: the metrics a command with these settings has, for messages. */
export function describeMeasured(measured: MeasuredMetrics): string {
  return [...measured.latency.map((group) => `${group}.<${Object.keys(LATENCY_STATISTICS).join('|')}>`), ...measured.numbers].join(', ');
}

/**
 * Refuses a threshold on a metric the run will not measure (it would fail after the whole run for
 * nothing); `why` may explain what a missing latency group needs.
 */
export function checkThresholdsMeasured(
  thresholds: readonly Threshold[],
  measured: MeasuredMetrics,
  command: string,
  why: Partial<Record<LatencyGroup, string>> = {},
): void {
  for (const threshold of thresholds) {
    const group = latencyMetricParts(threshold.metric)?.group;
    const has = group !== undefined
      ? measured.latency.includes(group)
      : measured.numbers.includes(threshold.metric as NumberMetric);
    if (has) continue;
    const reason = group !== undefined && why[group] ? ` (${why[group]})` : '';
    throw new UsageError(
      `bad threshold "${threshold.expression}": ${command} does not measure ${group ?? threshold.metric}${reason}; ` +
        `it measures ${describeMeasured(measured)}`,
    );
  }
}

function measure(metric: string, inputs: ThresholdInputs): number {
  switch (metric) {
    case 'failed.count':
      return inputs.failed;
    case 'failed.rate': {
      const finished = inputs.completed + inputs.failed;
      return finished === 0 ? 0 : inputs.failed / finished;
    }
    case 'throughput':
      return inputs.completedPerSecond;
    case 'missed':
    case 'skipped':
    case 'unaccounted':
      return inputs.schedules?.[metric] ?? Number.NaN;
    default: {
      const parts = latencyMetricParts(metric);
      const summary = parts && inputs.latency[parts.group];
      return parts === undefined || summary === undefined || summary.count === 0 ? Number.NaN : summary[LATENCY_STATISTICS[parts.statistic]];
    }
  }
}

function holds(value: number, operator: ThresholdOperator, limit: number): boolean {
  switch (operator) {
    case '<': return value < limit;
    case '<=': return value <= limit;
    case '>': return value > limit;
    case '>=': return value >= limit;
    case '==': return value === limit;
    case '!=': return value !== limit;
  }
}

/** Evaluates every threshold; a latency threshold with no samples fails (nothing proves it holds). */
export function evaluateThresholds(thresholds: readonly Threshold[], inputs: ThresholdInputs): ThresholdResult[] {
  return thresholds.map((threshold) => {
    const value = measure(threshold.metric, inputs);
    return { ...threshold, value, passed: !Number.isNaN(value) && holds(value, threshold.operator, threshold.limit) };
  });
}
