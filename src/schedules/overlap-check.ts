import type { OverlapPolicyName, ScheduleCounts } from '../shared/schedule-types.js';

/** One run a schedule started: when it ran (closeMs undefined: still running). */
export interface FiredRun {
  startMs: number;
  closeMs: number | undefined;
  status: string;
}

export interface PromiseCheck {
  what: string;
  passed: boolean;
  /** The numbers behind the verdict. */
  detail: string;
}

/** The most runs of one schedule that were running at the same moment. */
export function maxConcurrentRuns(runs: readonly FiredRun[], nowMs: number): number {
  const edges: Array<[number, number]> = [];
  for (const run of runs) {
    edges.push([run.startMs, 1], [run.closeMs ?? nowMs, -1]);
  }
  // At equal times the end comes first: a run that starts as another closes does not overlap it.
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let running = 0;
  let most = 0;
  for (const [, change] of edges) {
    running += change;
    most = Math.max(most, running);
  }
  return most;
}

/**
 * What the overlap policy promises, checked against the server's counts and the runs it started:
 * every expected fire is accounted for; and per policy, whether runs may overlap, whether fires may be
 * skipped or buffered.
 */
export function checkOverlapPromise(
  policy: OverlapPolicyName,
  counts: ScheduleCounts,
  runsBySchedule: ReadonlyArray<readonly FiredRun[]>,
  nowMs: number,
): PromiseCheck[] {
  const checks: PromiseCheck[] = [];
  const { expected, taken, skipped, missed, buffered } = counts;
  checks.push({
    what: 'every expected fire is taken, skipped, missed or buffered',
    passed: counts.unaccounted === 0 && taken + skipped + missed + buffered >= expected,
    detail: `expected ${expected} = taken ${taken} + skipped ${skipped} + missed ${missed} + buffered ${buffered}` +
      (counts.unaccounted > 0 ? ` (+${counts.unaccounted} unaccounted)` : ''),
  });
  const mostAtOnce = Math.max(0, ...runsBySchedule.map((runs) => maxConcurrentRuns(runs, nowMs)));
  if (policy !== 'allow-all') {
    checks.push({ what: 'no two runs of a schedule overlap', passed: mostAtOnce <= 1, detail: `most runs at once: ${mostAtOnce}` });
  }
  if (policy !== 'skip' && policy !== 'buffer-one') {
    checks.push({ what: 'no fire skipped', passed: skipped === 0, detail: `skipped ${skipped}` });
  }
  if (policy === 'buffer-one') {
    checks.push({ what: 'at most one fire buffered per schedule', passed: buffered <= counts.schedules, detail: `buffered ${buffered}` });
  }
  if (policy === 'skip' || policy === 'cancel-other' || policy === 'terminate-other' || policy === 'allow-all') {
    checks.push({ what: 'no fire buffered', passed: buffered === 0, detail: `buffered ${buffered}` });
  }
  const endedBy = (status: string) => runsBySchedule.reduce((sum, runs) => sum + runs.filter((run) => run.status === status).length, 0);
  if (policy === 'cancel-other') checks.push({ what: 'runs are ended by cancellation, not termination', passed: endedBy('TERMINATED') === 0, detail: `cancelled ${endedBy('CANCELLED')}` });
  if (policy === 'terminate-other') checks.push({ what: 'runs are ended by termination, not cancellation', passed: endedBy('CANCELLED') === 0, detail: `terminated ${endedBy('TERMINATED')}` });
  return checks;
}
