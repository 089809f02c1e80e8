import { evaluateThresholds, type ThresholdResult } from '../metrics/thresholds.js';
import type { LatencyHistogram, LatencySummary } from '../metrics/latency-histogram.js';
import type { ServerHealth, ServerHealthEvent } from '../metrics/server-health.js';
import type { SchedulerService } from '../scheduler/scheduler-service.js';
import { fireTimingOf, type ScheduleWindow } from '../schedules/fire-times.js';
import { checkOverlapPromise, type FiredRun, type PromiseCheck } from '../schedules/overlap-check.js';
import type { ScheduleObserver, ScheduleRunResult, ScheduleStopReason } from '../schedules/schedule-observer.js';
import type { IntervalReport, RunStats } from '../shared/run-stats.js';
import type { RecordedFire, ScheduleCounts, ScheduleReport } from '../shared/schedule-types.js';
import { DEFAULT_ID_PREFIX } from '../shared/workflow-ids.js';
import type { ScheduleService } from '../temporal/schedule-service.js';
import { listFiredWhenClosed, pickupLags } from './schedules-history.js';
import type { SchedulesSpec } from './schedules-spec.js';
import type { SessionEvent } from './session.js';

/** What a schedules run tells as it goes. */
export type SchedulesEvent =
  | SessionEvent
  | { type: 'server-health'; event: ServerHealthEvent }
  | { type: 'schedule-reused'; scheduleId: string }
  /** Creating the schedules outlasted the lead time: each is expected to fire only from its creation on. */
  | { type: 'creation-late' }
  | { type: 'no-fire-due'; nextFireMs: number | undefined }
  /** The schedules exist and the window is set: the run's address, ids and window are known now. */
  | { type: 'schedules-started'; runId: string; address: string; scheduleIds: string[]; window: ScheduleWindow; firesEach: number }
  | { type: 'report'; report: ScheduleReport }
  | { type: 'direct-load-interval'; report: IntervalReport }
  | { type: 'poll-error'; error: unknown }
  | { type: 'overlap-unchecked'; reason: string }
  /** A schedule the clean-up could not delete, with why: `<id> (<reason>)`. */
  | { type: 'delete-failed'; schedule: string };

/** The whole outcome of a schedules run. */
export interface SchedulesRunResult {
  runId: string;
  startedAt: Date;
  address: string;
  serverVersion: string | null;
  scheduleIds: string[];
  spec: SchedulesSpec['fire'];
  window: ScheduleWindow;
  firesEach: number;
  interrupted: boolean;
  stopReason: ScheduleStopReason;
  /** From the observer's start to its end. */
  elapsedMs: number;
  observedUntilMs: number;
  /** Fires due before their schedule existed (the run's own creation time). */
  dueBeforeCreated: number;
  counts: ScheduleCounts;
  /** Every recorded fire, in due order. */
  fires: readonly RecordedFire[];
  fireLag: LatencyHistogram;
  pickupLag: LatencyHistogram;
  latency: { fire_lag: LatencySummary; pickup_lag: LatencySummary };
  notPickedUp: number;
  failedFires: number;
  caughtUp: number;
  jitterMaxMs: number;
  checks: PromiseCheck[];
  thresholds: ThresholdResult[];
  /** Schedules still on the server after the clean-up (with why, when the delete failed). */
  schedulesLeft: string[];
  deleted: boolean;
  directLoad: { stats: RunStats; load: Pick<SchedulerService, 'loadModel' | 'metrics'> } | undefined;
  serverHealth: ServerHealth;
}

/** What the run knows once its schedules are being watched: enough for a result at any moment. */
export interface Watching {
  scheduleIds: string[];
  window: ScheduleWindow;
  firesEach: number;
  observer: ScheduleObserver;
  fires: RecordedFire[];
  sinceMs: number;
}

/** What the analysis after the window needs of its run. */
export interface AfterWindowContext {
  spec: SchedulesSpec;
  runId: string;
  schedules: ScheduleService;
  directLoad: SchedulerService | undefined;
  /** The result's fields that are the run's, not the window's. */
  base: Pick<SchedulesRunResult, 'runId' | 'startedAt' | 'address' | 'serverVersion' | 'scheduleIds' | 'spec' | 'window' | 'firesEach' | 'serverHealth'>;
  onEvent: (event: SchedulesEvent) => void;
}

/** After the window: the fired runs from visibility, their pickup lags, the overlap checks, the thresholds. */
export async function resultAfterWindow(
  context: AfterWindowContext, watching: Watching, observed: ScheduleRunResult, left: string[], loadStats: RunStats | undefined,
): Promise<SchedulesRunResult> {
  const { spec, schedules, runId } = context;
  const listing = await listFiredWhenClosed(schedules, `${DEFAULT_ID_PREFIX}-${runId}-s`, watching.window.startMs - 1000);
  if (listing.error) context.onEvent({ type: 'overlap-unchecked', reason: listing.error });
  const runsBySchedule = watching.scheduleIds.map((id) => listing.runs.filter((run) => run.workflowId.startsWith(`${id}-`)) as FiredRun[]);
  const checks = checkOverlapPromise(spec.overlap, observed.counts, runsBySchedule, Date.now());
  if (listing.error) checks.push({ what: 'the fired runs could be listed', passed: false, detail: listing.error });
  const pickup = await pickupLags(schedules, observed);
  const failedFires = listing.runs.filter((run) => ['FAILED', 'TIMED_OUT'].includes(run.status)).length;
  // Check with the server: describe each, since its schedule list catches up with deletes only later.
  const remaining = left.length > 0 ? [] : (await Promise.all(watching.scheduleIds.map(async (id) => ((await schedules.exists(id).catch(() => false)) ? [id] : [])))).flat();
  const latency = { fire_lag: observed.fireLag.summary(), pickup_lag: pickup.histogram.summary() };
  const thresholds = evaluateThresholds(spec.thresholds, {
    latency, completed: observed.counts.taken - failedFires, failed: failedFires,
    completedPerSecond: observed.elapsedMs > 0 ? observed.counts.taken / (observed.elapsedMs / 1000) : 0,
    schedules: { missed: observed.counts.missed, skipped: observed.counts.skipped, unaccounted: observed.counts.unaccounted },
  });
  const schedulesLeft = [...left, ...remaining];
  return {
    ...context.base, interrupted: observed.stopReason === 'stopped', stopReason: observed.stopReason, elapsedMs: observed.elapsedMs,
    observedUntilMs: observed.observedUntilMs, dueBeforeCreated: observed.dueBeforeCreated, counts: observed.counts, fires: observed.fires, fireLag: observed.fireLag, pickupLag: pickup.histogram,
    latency, notPickedUp: pickup.notPickedUp, failedFires, ...fireTimingOf(spec.fire, observed.fires), checks, thresholds,
    schedulesLeft, deleted: schedulesLeft.length === 0,
    directLoad: loadStats && context.directLoad ? { stats: loadStats, load: context.directLoad } : undefined,
  };
}
