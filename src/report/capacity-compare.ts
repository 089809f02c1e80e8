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

/** Why a search's answer is no measured capacity (client-limited, none found, interrupted, failed); null when it is one. */
function unmeasuredReason(result: CapacityRunDocument): string | null {
  const { kind, capacity } = result.answer;
  if (result.stopReason === 'interrupted') return 'was interrupted';
  if (result.stopReason === 'error') return 'stopped on an error';
  if (kind === 'client-limited') return 'was limited by the load generator (no capacity found)';
  if (kind === 'none' || kind === 'no-passing-step' || capacity === null) return 'found no capacity';
  return null;
}

/** The SLO as a set: the same expressions in another order are the same SLO. */
const sloSet = (slo: readonly string[]): string[] => [...new Set(slo.map((expression) => expression.replace(/\s+/g, '')))].sort();

/** Deep equality of JSON values (the workload as the documents hold it); key order does not matter. */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) return false;
  const keysA = Object.keys(a).filter((key) => (a as Record<string, unknown>)[key] !== undefined);
  const keysB = Object.keys(b).filter((key) => (b as Record<string, unknown>)[key] !== undefined);
  return keysA.length === keysB.length && keysA.every((key) => sameJson((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]));
}

/** A workload in a few words: its name, and its settings when two of the same name differ. */
const workloadText = (workload: CapacityRunDocument['workload']): string => JSON.stringify(workload);

/**
 * Why two searches' capacities cannot be compared as a change (the first difference found), or null
 * when they can: both answers measured (a capacity or a lower bound, the search neither interrupted nor
 * failed), the same SLO and the same workload.
 */
export function capacityIncomparability(before: CapacityRunDocument, after: CapacityRunDocument): string | null {
  for (const [which, result] of [['the first search', before], ['the second search', after]] as const) {
    const reason = unmeasuredReason(result);
    if (reason) return `${which} ${reason}`;
  }
  const [sloA, sloB] = [sloSet(before.settings.slo), sloSet(after.settings.slo)];
  if (sloA.join(',') !== sloB.join(',')) return `different SLOs (${sloA.join(', ')} vs ${sloB.join(', ')})`;
  if (!sameJson(before.workload, after.workload)) {
    return before.workload.name !== after.workload.name
      ? `different workloads (${before.workload.name} vs ${after.workload.name})`
      : `different ${before.workload.name} workload settings (${workloadText(before.workload)} vs ${workloadText(after.workload)})`;
  }
  return null;
}

/**
 * `Capacity: 142 → 118 wf/s (−17%)`: the change from the first result to the second, when the two
 * searches measured the same thing; else why they are not comparable.
 */
export function formatCapacityChange(before: CapacityRunDocument, after: CapacityRunDocument): string {
  const arrow = `Capacity: ${capacityShown(before)} → ${capacityShown(after)} wf/s`;
  const incomparable = capacityIncomparability(before, after);
  if (incomparable) return `Capacity: not comparable: ${incomparable}`;
  const a = before.answer.capacity!;
  const b = after.answer.capacity!;
  if (a === 0) return `${arrow}`;
  const percent = Math.round(((b - a) / a) * 100);
  const sign = percent > 0 ? '+' : percent < 0 ? '−' : '±';
  const bound = before.answer.kind === 'at-least' || after.answer.kind === 'at-least' ? '; a "≥" is a lower bound: no step failed' : '';
  return `${arrow} (${sign}${Math.abs(percent)}%${bound})`;
}

const plural = (count: number, one: string): string => `${count} ${one}${count === 1 ? '' : 's'}`;

/**
 * One line per result (its label, the answer line, why the search stopped), then for two results the
 * change in capacity.
 */
export function formatCapacityComparison(entries: ReadonlyArray<{ label: string; result: CapacityRunDocument }>): string {
  const lines = entries.map(({ label, result }) =>
    `${label}: ${capacityAnswerLine(result)} · search stopped: ${result.stopReason}${result.error ? ` (${result.error})` : ''} · ${plural(result.steps.length, 'step')}`,
  );
  if (entries.length === 2) lines.push(formatCapacityChange(entries[0]!.result, entries[1]!.result));
  return lines.join('\n');
}
