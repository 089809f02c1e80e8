import type { CapacityAnswer, CapacityResult, CapacityStep, StepVerdict } from '../capacity/types.js';
import { formatSeconds } from './lines.js';
import { formatMillis, formatNumber } from './units.js';

const VERDICTS: Record<StepVerdict, string> = { pass: '✓ pass', fail: '✗ fail', 'client-limited': 'client-limited', 'cut-short': 'cut short' };

/** The latency groups the table shows: those the SLO names, e2e when it names none. */
export function latencyGroupsOf(result: Pick<CapacityResult, 'settings'>): string[] {
  const groups = result.settings.slo.filter((threshold) => threshold.kind === 'latency').map((threshold) => threshold.metric.replace(/\.(p\d+(\.\d+)?|max|mean|min)$/, ''));
  return groups.length > 0 ? [...new Set(groups)] : ['e2e'];
}

/** One line per step as it is judged (for the live output). */
export function formatStepLine(step: CapacityStep, groups: readonly string[]): string {
  const { measurement } = step;
  const latencies = groups.map((group) => {
    const summary = measurement.latency[group as keyof typeof measurement.latency];
    return summary && summary.count > 0 ? `${group} p50 ${formatMillis(summary.p50)} p99 ${formatMillis(summary.p99)}` : `${group} -`;
  });
  // Only a judged step says why: a step cut short broke nothing, whatever its partial numbers show.
  const why = step.verdict === 'client-limited'
    ? ` (${step.generator.reason ?? 'the load generator did not keep up'})`
    : step.verdict === 'fail' && step.brokenBy.length > 0 ? ` (${step.brokenBy.join(', ')})` : '';
  const head = `Step ${step.index + 1} (${step.phase}): target ${formatNumber(step.targetRate)} wf/s`;
  if (step.verdict === 'cut-short' && measurement.measuredSeconds === 0) return `${head}: ${VERDICTS[step.verdict]} during its warm-up, nothing measured`;
  const over = step.verdict === 'cut-short' ? ` over ${formatSeconds(Number(measurement.measuredSeconds.toFixed(1)))}` : '';
  return `${head}, achieved ${formatNumber(step.achievedRate)} wf/s${over}, ${latencies.join(', ')}, failed ${measurement.failed}: ${VERDICTS[step.verdict]}${why}`;
}

/** The table of every step, then the answer line. */
export function formatCapacitySummary(result: Pick<CapacityResult, 'settings' | 'steps' | 'answer' | 'stopReason'>): string {
  const groups = latencyGroupsOf(result);
  const header = ['step', 'phase', 'target wf/s', 'achieved wf/s', ...groups.flatMap((group) => [`${group} p50`, `${group} p99`]), 'failed', 'verdict'];
  const rows = result.steps.map((step) => [
    String(step.index + 1), step.phase, formatNumber(step.targetRate), formatNumber(step.achievedRate),
    ...groups.flatMap((group) => {
      const summary = step.measurement.latency[group as keyof typeof step.measurement.latency];
      return summary && summary.count > 0 ? [formatMillis(summary.p50), formatMillis(summary.p99)] : ['-', '-'];
    }),
    String(step.measurement.failed), VERDICTS[step.verdict],
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: string[]) => `  ${cells.map((cell, column) => (column < 2 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ')}`.trimEnd();
  return [line(header), ...rows.map(line), formatAnswerLine(result.answer, result.settings.slo.map((threshold) => threshold.expression), result.stopReason)].join('\n');
}

/** `Capacity: 140 wf/s at e2e.p99<2s (last passing step 140 wf/s, first failing 150 wf/s)`, or what is known instead. */
export function formatAnswerLine(answer: CapacityAnswer, slo: readonly string[], stopReason: CapacityResult['stopReason']): string {
  const at = `at ${slo.join(', ')}`;
  const rate = (value: number | undefined) => (value === undefined ? '?' : `${formatNumber(value)} wf/s`);
  const estimate = answer.interpolatedRate !== undefined ? `; the SLO broke near ${rate(answer.interpolatedRate)}` : '';
  const endedAt = stopReason === 'client-limited' && answer.clientLimitedRate !== undefined
    ? `client-limited: the load generator could not deliver ${rate(answer.clientLimitedRate)}` : stopReason;
  const unfinished = !answer.withinPrecision && stopReason !== 'found' ? ` — search ended early (${endedAt}), not within the precision` : '';
  switch (answer.kind) {
    case 'capacity':
      return `Capacity: ${rate(answer.capacity)} ${at} (last passing step ${rate(answer.lastPassingRate)}, first failing ${rate(answer.firstFailingRate)}: ${answer.limitedBy.join(', ')}${estimate})${unfinished}`;
    case 'at-least':
      return `Capacity: at least ${rate(answer.capacity)} ${at} (no step failed; search ended: ${stopReason})`;
    case 'client-limited':
      return `Capacity: not found — the load generator could not deliver ${rate(answer.clientLimitedRate)} (client-limited, not the server)` +
        (answer.capacity !== undefined ? `; the server held ${rate(answer.capacity)} ${at}` : '');
    case 'no-passing-step':
      return `Capacity: below ${rate(answer.firstFailingRate)} — even the first step broke ${answer.limitedBy.join(', ')}`;
    case 'none':
      return `Capacity: unknown — no step was judged (search ended: ${stopReason})`;
  }
}

/**
 * The --expect verdict, k6 style: `✓ expect capacity >=100: 142 wf/s`. `notJudged`: why the search's
 * answer could not be held against it (client-limited, an error, a signal); the gate then fails.
 */
export function formatExpectationLine(expectation: { expression: string; met: boolean }, answer: CapacityAnswer, notJudged?: string): string {
  const found = answer.capacity !== undefined
    ? `${answer.kind === 'at-least' ? 'at least ' : ''}${formatNumber(answer.capacity)} wf/s`
    : answer.kind === 'no-passing-step' && answer.firstFailingRate !== undefined
      ? `below ${formatNumber(answer.firstFailingRate)} wf/s (no step passed)`
      : 'no step passed';
  const what = notJudged === undefined ? found : `not judged: ${notJudged} (${found})`;
  return `${expectation.met ? '✓' : '✗'} expect capacity ${expectation.expression}: ${what}`;
}
