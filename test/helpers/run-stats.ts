import { emptyRunStats } from '../../src/scheduler/scheduler-service.js';
import type { IntervalReport, RunStats } from '../../src/scheduler/types.js';

/** A complete RunStats for formatting tests: a finished batch of 100 in 4.23 s, with overrides. */
export function makeStats(overrides: Partial<RunStats> = {}): RunStats {
  const base = emptyRunStats('batch');
  return {
    ...base,
    launched: 100, started: 100, completed: 100, elapsedMs: 4230, rate: 100 / 4.23, stopReason: 'total-reached',
    measured: { ...base.measured, launched: 100, started: 100, completed: 100, seconds: 4.23, completedPerSecond: 100 / 4.23, startedPerSecond: 100 / 4.23 },
    ...overrides,
  };
}

export function makeInterval(overrides: Partial<IntervalReport> = {}): IntervalReport {
  return {
    elapsedMs: 10_000, intervalMs: 10_000, inFlight: 8, started: 53, completed: 45, failed: 0, completedInInterval: 45,
    rate: 4.5, latencyP50Ms: 12, latencyP99Ms: 80, lateStarts: 0, ...overrides,
  };
}

/** The drain section of a result whose drain was not cut short. */
export const NO_DRAIN = { timeoutSeconds: null, timedOut: false, leftInFlight: 0, onStop: 'leave', terminated: 0 } as const;

/** The server-health section of a run where the server was never away and never throttled. */
export const NO_SERVER_TROUBLE = { throttledAttempts: 0, unavailableAttempts: 0, outages: [], unavailableMs: 0 };
