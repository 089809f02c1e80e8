import type { FailureKind } from '../errors.js';
import type { LaunchCountsSnapshot } from '../shared/run-stats.js';

/** The plain counts of a group of launches (a copy: safe to keep after the run goes on). */
export function pickCounts(counts: LaunchCountsSnapshot): LaunchCountsSnapshot {
  const { launched, started, completed, failed, inFlight, lateStarts, failuresByKind } = counts;
  return { launched, started, completed, failed, inFlight, lateStarts, failuresByKind: { ...failuresByKind } };
}

/** Counts of one group of launches. Invariant: completed + failed + inFlight = launched. */
export class LaunchCounts {
  launched = 0;
  started = 0;
  completed = 0;
  failed = 0;
  /** Open loop: launches that began later than their intended time (beyond the tolerance). */
  lateStarts = 0;
  readonly failuresByKind: Partial<Record<FailureKind, number>> = {};

  get inFlight(): number {
    return this.launched - this.completed - this.failed;
  }

  recordFailure(kind: FailureKind): void {
    this.failed++;
    this.failuresByKind[kind] = (this.failuresByKind[kind] ?? 0) + 1;
  }
}

/** Completions between two report ticks. */
export class IntervalCounter {
  private completedAtLastTick = 0;
  private lastTickAt: number;

  constructor(startedAt: number) {
    this.lastTickAt = startedAt;
  }

  /** Returns the completions and the length of the interval that ends now, and starts the next one. */
  tick(now: number, completed: number): { completedInInterval: number; intervalMs: number } {
    const result = { completedInInterval: completed - this.completedAtLastTick, intervalMs: now - this.lastTickAt };
    this.completedAtLastTick = completed;
    this.lastTickAt = now;
    return result;
  }
}
