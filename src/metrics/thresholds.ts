import { UsageError } from '../errors.js';
import type { LatencySummary } from './latency-histogram.js';

/**
 * CI gates in k6's style: `e2e.p99<2s`, `failed.rate<0.01`, `throughput>50`. One table of metrics
 * drives parsing, evaluation and the README.
 */

export type ThresholdOperator = '<' | '<=' | '>' | '>=' | '==' | '!=';

const LATENCY_GROUPS = ['e2e', 'start', 'delay_lag', 'fire_lag', 'pickup_lag'] as const;
type LatencyGroup = (typeof LATENCY_GROUPS)[number];
const LATENCY_STATISTICS = { p50: 'p50', p90: 'p90', p95: 'p95', p99: 'p99', 'p99.9': 'p999', max: 'max', mean: 'mean', min: 'min' } as const;
type LatencyStatistic = keyof typeof LATENCY_STATISTICS;

/** Counts of a `schedules` run: fires missed (catch-up window), skipped (overlap), unaccounted for. */
const SCHEDULE_COUNTS = ['missed', 'skipped', 'unaccounted'] as const;
const COUNT_METRICS = ['failed.rate', 'failed.count', 'throughput', ...SCHEDULE_COUNTS] as const;

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

export const THRESHOLD_METRICS: readonly string[] = [
  ...LATENCY_GROUPS.flatMap((group) => Object.keys(LATENCY_STATISTICS).map((statistic) => `${group}.${statistic}`)),
  ...COUNT_METRICS,
];

const UNIT_MILLIS: Record<string, number> = { us: 0.001, 'µs': 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** latency (values in ms), number, or undefined for an unknown metric. */
export function metricKind(metric: string): ThresholdMetricKind | undefined {
  if ((COUNT_METRICS as readonly string[]).includes(metric)) return 'number';
  return THRESHOLD_METRICS.includes(metric) ? 'latency' : undefined;
}

function parseLimit(text: string, kind: ThresholdMetricKind, expression: string): number {
  const match = /^(-?\d+(?:\.\d+)?)\s*(us|µs|ms|s|m|h|%)?$/.exec(text.trim());
  if (!match) throw new UsageError(`bad threshold "${expression}": "${text}" is not a number${kind === 'latency' ? ' or a duration like 200ms' : ''}`);
  const value = Number(match[1]);
  const unit = match[2];
  if (kind === 'latency') {
    if (unit === '%') throw new UsageError(`bad threshold "${expression}": a latency takes a duration, not a percentage`);
    return value * (unit ? UNIT_MILLIS[unit]! : 1); // a bare number is milliseconds, as in k6
  }
  if (unit === '%') return value / 100;
  if (unit) throw new UsageError(`bad threshold "${expression}": "${unit}" is a time unit, but this metric is a plain number`);
  return value;
}

/** Parses one expression; a UsageError names the bad part. */
export function parseThreshold(expression: string): Threshold {
  const match = /^\s*([a-z0-9_.]+)\s*(<=|>=|==|!=|<|>)\s*(.+?)\s*$/i.exec(expression);
  if (!match) {
    throw new UsageError(`bad threshold "${expression}": expected <metric><op><value> such as e2e.p99<2s (op: < <= > >= == !=)`);
  }
  const [, metric, operator, limitText] = match as unknown as [string, string, ThresholdOperator, string];
  const kind = metricKind(metric);
  if (!kind) throw new UsageError(`bad threshold "${expression}": unknown metric "${metric}" (known: ${THRESHOLD_METRICS.join(', ')})`);
  return { expression: expression.trim(), metric, kind, operator, limit: parseLimit(limitText, kind, expression.trim()) };
}

/** Parses `;`-separated expressions (SCHEDULER_THRESHOLDS); empty parts are ignored. */
export function parseThresholdList(text: string): Threshold[] {
  return text.split(';').filter((part) => part.trim() !== '').map(parseThreshold);
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
      const [group, statistic] = metric.split(/\.(.+)/) as [LatencyGroup, LatencyStatistic];
      const summary = inputs.latency[group];
      return summary === undefined || summary.count === 0 ? Number.NaN : summary[LATENCY_STATISTICS[statistic]];
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
