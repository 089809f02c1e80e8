import { LatencyHistogram } from '../../src/metrics/latency-histogram.js';
import { buildRunResult, latencyResult, type RunResult } from '../../src/report/result.js';
import type { SchedulesResult } from '../../src/report/schedule-report.js';
import { makeStats, NO_DRAIN, NO_SERVER_TROUBLE } from './run-stats.js';

function histogramOf(values: readonly number[]): LatencyHistogram {
  const histogram = LatencyHistogram.create();
  for (const value of values) histogram.recordMillis(value);
  return histogram;
}

/** A complete, valid run result (a batch of 100, one interval point), with overrides. */
export function makeRunResult(overrides: Partial<RunResult> = {}, e2eValues: readonly number[] = [12, 15, 30]): RunResult {
  const e2e = histogramOf(e2eValues);
  return {
    ...buildRunResult({
      version: '0.1.0', runId: 'r1', command: 'run', config: { reportInterval: 10 }, startedAt: new Date(Date.UTC(2026, 0, 1)),
      endedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, 5)), interrupted: false, exitCode: 0,
      server: { address: 'localhost:7233', namespace: 'default', taskQueue: 'q', version: null }, sdk: { client: '1.0.0' },
      loadModel: { kind: 'closed', concurrency: 2 }, wait: true, workload: { kind: 'echo' }, stats: makeStats(),
      histograms: { start: histogramOf([1, 2]), e2e, startLateness: LatencyHistogram.create() }, thresholds: [], verification: undefined,
      intervals: { compactions: 0, points: [{ t: 1, seconds: 1, inFlight: 2, completed: 5, failed: 0, rate: 5, p50: 10, p99: 12 }] },
      drain: NO_DRAIN, serverHealth: NO_SERVER_TROUBLE,
      client: { cpuUserSeconds: 0, cpuSystemSeconds: 0, cpuMsPerCompleted: 0, maxRssMegabytes: 0, embeddedWorker: false },
    }),
    ...overrides,
  };
}

/**
 * A valid result of an update workload (3 updates per workflow): start and e2e as makeRunResult's,
 * plus update.accepted and update.completed samples.
 */
export function makeUpdateRunResult(overrides: Partial<RunResult> = {}, accepted: readonly number[] = [3, 4, 5, 6, 40, 41], completed: readonly number[] = [8, 9, 10, 12, 80, 90]): RunResult {
  const base = makeRunResult();
  return {
    ...base,
    workload: { name: 'update', updates: 3 },
    operations: {
      'update.accepted': latencyResult(histogramOf(accepted)),
      'update.completed': latencyResult(histogramOf(completed)),
    },
    ...overrides,
  };
}

/** A complete, valid schedules result: 2 schedules every 1s, 3 fires each, with overrides. */
export function makeSchedulesResult(overrides: Partial<SchedulesResult> = {}): SchedulesResult {
  const windowStart = Date.UTC(2026, 0, 1, 0, 0, 10);
  const fires = [0, 1, 2].flatMap((second) =>
    ['s1', 's2'].map((id, index) => ({
      scheduleId: `sched-bench-sr1-${id}`, workflowId: `sched-bench-sr1-${id}-${second}`,
      scheduledAt: new Date(windowStart + second * 1000).toISOString(), takenAt: new Date(windowStart + second * 1000 + 20 + index * 10).toISOString(),
    })),
  );
  return {
    schemaVersion: 1, tool: { name: 'sched-bench', version: '0.1.0' }, runId: 'sr1', command: 'schedules', config: { schedules: 2 },
    startedAt: new Date(windowStart - 3000).toISOString(), endedAt: new Date(windowStart + 8000).toISOString(), interrupted: false, exitCode: 0,
    server: { address: 'localhost:7233', namespace: 'default', taskQueue: 'q', version: '1.2.3' },
    schedules: {
      ids: ['sched-bench-sr1-s1', 'sched-bench-sr1-s2'], spec: 'every=1s', jitterSeconds: 0, overlap: 'skip',
      window: { start: new Date(windowStart).toISOString(), end: new Date(windowStart + 2000).toISOString(), firesEach: 3 },
      observedUntil: new Date(windowStart + 2000).toISOString(),
      counts: { schedules: 2, expected: 6, taken: 6, skipped: 0, missed: 0, buffered: 0, recorded: 6, unaccounted: 0 },
      notPickedUp: 0, caughtUp: 0, failed: 0, jitterMaxMs: 0, deleted: true,
    },
    latency: { fireLag: latencyResult(histogramOf([20, 30, 20, 30, 20, 30])), pickupLag: latencyResult(histogramOf([5, 6, 7, 5, 6, 7])) },
    overlapChecks: [{ what: 'never two runs of one schedule at once', passed: true, detail: '6 runs' }],
    thresholds: [], directLoad: null, fires,
    serverHealth: { throttledAttempts: 0, unavailableAttempts: 0, unavailableSeconds: 0, outages: [] },
    ...overrides,
  };
}
