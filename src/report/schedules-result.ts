import type { LatencyHistogram } from '../metrics/latency-histogram.js';
import type { ServerHealth } from '../metrics/server-health.js';
import type { ThresholdResult } from '../metrics/thresholds.js';
import type { SchedulerService } from '../scheduler/scheduler-service.js';
import { describeSpec, fireTimingOf } from '../schedules/fire-times.js';
import type { PromiseCheck } from '../schedules/overlap-check.js';
import type { RunStats } from '../shared/run-stats.js';
import type { FireSpec, OverlapPolicyName, RecordedFire, ScheduleCounts } from '../shared/schedule-types.js';
import { VERSION } from '../version.js';
import { latencyResult, serverHealthResult, thresholdRecords } from './result.js';
import type { SchedulesResult } from './schedule-report.js';

/** What a schedules run's --json result is made of. */
export interface SchedulesResultInput {
  runId: string;
  /** The resolved configuration, secrets replaced by "[redacted]". */
  config: Record<string, unknown>;
  namespace: string;
  taskQueue: string;
  jitterSeconds: number;
  overlap: OverlapPolicyName;
  startedAt: Date;
  interrupted: boolean;
  exitCode: number;
  address: string;
  serverVersion: string | null;
  scheduleIds: string[];
  spec: FireSpec;
  window: { startMs: number; endMs: number };
  firesEach: number;
  observedUntilMs: number;
  counts: ScheduleCounts;
  notPickedUp: number;
  failedFires: number;
  deleted: boolean;
  fires: readonly RecordedFire[];
  fireLag: LatencyHistogram;
  pickupLag: LatencyHistogram;
  checks: PromiseCheck[];
  thresholds: readonly ThresholdResult[];
  directLoad: { stats: RunStats; load: Pick<SchedulerService, 'loadModel' | 'metrics'> } | undefined;
  serverHealth: Pick<ServerHealth, 'snapshot'>;
}

/** The direct load's part of the schedules result: counts, throughput and latencies. */
function directLoadResult(stats: RunStats, load: Pick<SchedulerService, 'loadModel' | 'metrics'>) {
  const { metrics } = load;
  return {
    loadModel: load.loadModel,
    counts: { launched: stats.launched, started: stats.started, completed: stats.completed, failed: stats.failed, failuresByKind: stats.failuresByKind },
    elapsedSeconds: stats.elapsedMs / 1000,
    throughput: { completedPerSecond: stats.measured.completedPerSecond, startedPerSecond: stats.measured.startedPerSecond },
    latency: { start: metrics.startLatency.summary(), e2e: metrics.e2eLatency.summary() },
  };
}

/** The --json document of a schedules run (src/report/schedules-result.schema.json). */
export function buildSchedulesResult(input: SchedulesResultInput): SchedulesResult {
  const { spec, window } = input;
  const endedAt = new Date();
  return {
    schemaVersion: 1, tool: { name: 'sched-bench', version: VERSION }, runId: input.runId, command: 'schedules',
    config: input.config, startedAt: input.startedAt.toISOString(), endedAt: endedAt.toISOString(),
    interrupted: input.interrupted, exitCode: input.exitCode,
    server: { address: input.address, namespace: input.namespace, taskQueue: input.taskQueue, version: input.serverVersion },
    schedules: {
      ids: input.scheduleIds, spec: describeSpec(spec), jitterSeconds: input.jitterSeconds, overlap: input.overlap,
      window: { start: new Date(window.startMs).toISOString(), end: new Date(window.endMs).toISOString(), firesEach: input.firesEach },
      observedUntil: new Date(input.observedUntilMs).toISOString(), counts: input.counts, notPickedUp: input.notPickedUp,
      ...fireTimingOf(spec, input.fires), failed: input.failedFires, deleted: input.deleted,
    },
    latency: { fireLag: latencyResult(input.fireLag), pickupLag: latencyResult(input.pickupLag) },
    overlapChecks: input.checks,
    thresholds: thresholdRecords(input.thresholds),
    directLoad: input.directLoad ? directLoadResult(input.directLoad.stats, input.directLoad.load) : null,
    fires: input.fires.map((fire) => ({
      scheduleId: fire.scheduleId, workflowId: fire.workflowId,
      scheduledAt: new Date(fire.scheduledAtMs).toISOString(), takenAt: new Date(fire.takenAtMs).toISOString(),
    })),
    serverHealth: serverHealthResult(input.serverHealth.snapshot(endedAt.getTime()), endedAt.getTime()),
  };
}
