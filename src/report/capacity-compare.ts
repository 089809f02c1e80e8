import type { CapacityAnswer } from '../capacity/types.js';
import { latencyMetricParts, parseThreshold } from '../metrics/thresholds.js';
import type { CapacityAnswerResult, CapacityRunDocument } from './capacity-result.js';
import { formatAnswerLine } from './capacity.js';
import { formatNumber } from './units.js';

/**
 * Capacity results read back (`sched-bench report`): their answer lines, the latency groups their SLO
 * names, and the side-by-side comparison in text. Pure: strings only.
 */

/** The answer as the search made it (the document's nulls as absent values), for formatAnswerLine. */
export function answerOfResult(answer: CapacityAnswerResult): CapacityAnswer {
  const defined = (value: number | null): number | undefined => value ?? undefined;
  return {
    kind: answer.kind, capacity: defined(answer.capacity), lastPassingRate: defined(answer.lastPassingRate),
    lastPassingAchievedRate: defined(answer.lastPassingAchievedRate), firstFailingRate: defined(answer.firstFailingRate),
    limitedBy: answer.limitedBy, interpolatedRate: defined(answer.interpolatedRate), withinPrecision: answer.withinPrecision,
    clientLimitedRate: defined(answer.clientLimitedRate),
  };
}

/** `Capacity: 140 wf/s at e2e.p99<2s (…)`, as the capacity command printed it. */
export function capacityAnswerLine(result: CapacityRunDocument): string {
  return formatAnswerLine(answerOfResult(result.answer), result.settings.slo, result.stopReason);
}

/** The latency groups the SLO names (e2e when it names none): the step table's and the knee chart's. */
export function sloLatencyGroups(slo: readonly string[]): string[] {
  const groups = slo.flatMap((expression) => {
    const parts = latencyMetricParts(parseThreshold(expression).metric);
    return parts ? [parts.group as string] : [];
  });
  return groups.length > 0 ? [...new Set(groups)] : ['e2e'];
}

/** The SLO's latency limits (ms), for the chart's horizontal lines. */
export function sloLatencyLimits(slo: readonly string[]): Array<{ expression: string; limitMs: number }> {
  return slo.flatMap((expression) => {
    const threshold = parseThreshold(expression);
    return threshold.kind === 'latency' ? [{ expression, limitMs: threshold.limit }] : [];
  });
}

/** The capacity as a number to compare: absent when the search found none (no passing step). */
function capacityShown(result: CapacityRunDocument): string {
  const { capacity, kind } = result.answer;
  if (capacity === null) return '?';
  return `${kind === 'at-least' ? '≥' : ''}${formatNumber(capacity)}`;
}

/** `Capacity: 142 → 118 wf/s (−17%)`: the change from the first result to the second. */
export function formatCapacityChange(before: CapacityRunDocument, after: CapacityRunDocument): string {
  const a = before.answer.capacity;
  const b = after.answer.capacity;
  const arrow = `Capacity: ${capacityShown(before)} → ${capacityShown(after)} wf/s`;
  if (a === null || b === null) return `${arrow} (not comparable: ${a === null ? 'the first' : 'the second'} search found no capacity)`;
  if (a === 0) return `${arrow}`;
  const percent = Math.round(((b - a) / a) * 100);
  const sign = percent > 0 ? '+' : percent < 0 ? '−' : '±';
  const bound = before.answer.kind === 'at-least' || after.answer.kind === 'at-least' ? '; a "≥" is a lower bound: no step failed' : '';
  return `${arrow} (${sign}${Math.abs(percent)}%${bound})`;
}

/**
 * One line per result (its label, the answer line, why the search stopped), then for two results the
 * change in capacity.
 */
export function formatCapacityComparison(entries: ReadonlyArray<{ label: string; result: CapacityRunDocument }>): string {
  const lines = entries.map(({ label, result }) =>
    `${label}: ${capacityAnswerLine(result)} · search stopped: ${result.stopReason}${result.error ? ` (${result.error})` : ''} · ${result.steps.length} steps`,
  );
  if (entries.length === 2) lines.push(formatCapacityChange(entries[0]!.result, entries[1]!.result));
  return lines.join('\n');
}
