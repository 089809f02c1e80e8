import pLimit from 'p-limit';
import { firstLine, UsageError } from '../errors.js';
import { LatencyHistogram } from '../metrics/latency-histogram.js';
import { ServerHealth } from '../metrics/server-health.js';
import type { ScheduleExporter } from '../report/prometheus.js';
import { SchedulerService } from '../scheduler/scheduler-service.js';
import { fireTimesBetween, fireTimingOf, scheduleWindow, type ScheduleWindow } from '../schedules/fire-times.js';
import { scheduleIdsOf } from '../schedules/schedule-ids.js';
import { ScheduleObserver } from '../schedules/schedule-observer.js';
import type { RecordedFire } from '../shared/schedule-types.js';
import type { ScheduleService } from '../temporal/schedule-service.js';
import { ECHO_WORKFLOW_TYPE, newRunId, RUN_ID_MEMO_KEY, type TemporalService } from '../temporal/temporal-service.js';
import { resultAfterWindow, type SchedulesEvent, type SchedulesRunResult, type Watching } from './schedules-result.js';
import type { SchedulesSpec } from './schedules-spec.js';
import { endedThenTornDown, resultStoppedBy } from './run-promises.js';
import { RunSession } from './session.js';

/** Time between creating the schedules and their window: creating them must be over by then. */
const LEAD_MS = 2_000;
const LEAD_PER_SCHEDULE_MS = 100;
/** How often each schedule is described; its record keeps 10 fires, --every is at least 1 s. */
const POLL_INTERVAL_MS = 1_000;
/** After the window, wait this long at most for late or buffered fires. */
const BASE_SETTLE_MS = 5_000;
const MAX_SETTLE_MS = 120_000;
/** Direct load next to the schedules: how long its in-flight workflows are waited for at the end. */
const DIRECT_LOAD_DRAIN_SECONDS = 30;

/** Runs a schedules benchmark to its end; `signal` stops it (the schedules are deleted, then the result). */
export async function runSchedules(
  spec: SchedulesSpec, options: { onEvent?: (event: SchedulesEvent) => void; signal?: AbortSignal } = {},
): Promise<SchedulesRunResult> {
  return resultStoppedBy(startSchedules(spec, options.onEvent), options.signal);
}

export type { SchedulesEvent, SchedulesRunResult };

export function startSchedules(spec: SchedulesSpec, onEvent: (event: SchedulesEvent) => void = () => undefined): SchedulesRun {
  return new SchedulesRun(spec, onEvent);
}

/**
 * One schedules run: creates the schedules, watches them fire (with a direct load beside them when
 * asked), and deletes them on every path — they would go on firing on the cluster after we are gone.
 */
export class SchedulesRun {
  readonly runId: string;
  /** Settles once the outcome is known, before the clean-up and the session's close. */
  readonly ended: Promise<SchedulesRunResult>;
  /** Settles once the run is over: schedules deleted, session closed. */
  readonly result: Promise<SchedulesRunResult>;
  private readonly startedAt = new Date();
  private readonly session: RunSession;
  private readonly health: ServerHealth;
  private readonly stopRetries = new AbortController();
  /** Schedules this run made (or may have made: a create whose answer was lost). */
  private readonly created = new Set<string>();
  /** Creates under way: waited for before deleting, so none lands after the clean-up. */
  private readonly creating = new Set<Promise<unknown>>();
  private schedules: ScheduleService | undefined;
  private directLoad: SchedulerService | undefined;
  private watching: Watching | undefined;
  private stopRequested = false;
  private serverVersion: string | null = null;

  constructor(
    private readonly spec: SchedulesSpec,
    private readonly onEvent: (event: SchedulesEvent) => void,
  ) {
    this.runId = spec.runId ?? newRunId();
    this.session = new RunSession(spec, onEvent);
    this.health = new ServerHealth((event) => onEvent({ type: 'server-health', event }));
    ({ ended: this.ended, result: this.result } = endedThenTornDown(this.execute(), async () => {
      // Whatever happened, the schedules do not outlive the run.
      for (const left of await this.deleteSchedules()) this.onEvent({ type: 'delete-failed', schedule: left });
      await this.session.close();
    }));
  }

  stop(): void {
    this.stopRequested = true;
    this.stopRetries.abort();
    this.watching?.observer.stop();
    this.directLoad?.stop();
  }

  /** Nothing left to delete: no schedule made, none being made. */
  get nothingToDelete(): boolean {
    return this.created.size === 0 && this.creating.size === 0;
  }

  /**
   * The result as things stand, for a process that must end now (undefined before the schedules are
   * watched): the counts and fire lags seen so far; what needs the server (pickup lags, failed fires,
   * the overlap checks) is left empty and thresholds are not judged.
   */
  resultNow(deleted: boolean): SchedulesRunResult | undefined {
    const watching = this.watching;
    if (!watching) return undefined;
    const now = Date.now();
    const observedUntilMs = Math.min(watching.window.endMs, now);
    const { observer } = watching;
    const fires = [...watching.fires].sort((a, b) => a.scheduledAtMs - b.scheduledAtMs);
    const pickupLag = LatencyHistogram.create();
    const stats = this.directLoad?.snapshot();
    return {
      ...this.base(watching), interrupted: true, stopReason: 'stopped', elapsedMs: now - watching.sinceMs, observedUntilMs, dueBeforeCreated: 0,
      counts: observer.counts(observedUntilMs), fires, fireLag: observer.fireLag, pickupLag,
      latency: { fire_lag: observer.fireLag.summary(), pickup_lag: pickupLag.summary() },
      notPickedUp: 0, failedFires: 0, ...fireTimingOf(this.spec.fire, fires), checks: [], thresholds: [],
      schedulesLeft: deleted ? [] : [...this.created], deleted,
      directLoad: stats && this.directLoad ? { stats, load: this.directLoad } : undefined,
    };
  }

  /** Deletes every schedule this run may have made; returns those it could not delete (with why). */
  async deleteSchedules(): Promise<string[]> {
    const service = this.schedules;
    if (!service) return [];
    await Promise.allSettled([...this.creating]);
    const left: string[] = [];
    await Promise.all([...this.created].map(async (id) => {
      try {
        await service.delete(id);
        this.created.delete(id);
      } catch (error) {
        left.push(`${id} (${firstLine(error)})`);
      }
    }));
    return left;
  }

  killNow(): void {
    this.session.killNow();
  }

  private base(watching: Watching) {
    return {
      runId: this.runId, startedAt: this.startedAt, address: this.session.address, serverVersion: this.serverVersion,
      scheduleIds: watching.scheduleIds, spec: this.spec.fire, window: watching.window, firesEach: watching.firesEach, serverHealth: this.health,
    };
  }

  private async execute(): Promise<SchedulesRunResult> {
    const { spec } = this;
    const service = await this.session.connect({ runId: this.runId, health: this.health, stopSignal: this.stopRetries.signal });
    await service.checkNamespace(spec.namespace);
    this.schedules = (await service.scheduleService(spec.namespace)).reportHealthTo(this.health);
    void service.serverVersion().then((version) => (this.serverVersion = version ?? null));
    const directLoad = this.createDirectLoad(service);
    await this.session.startWorker(() => directLoad?.abort());
    const watching = await this.createSchedules(this.schedules);
    await this.session.serveMetrics(() => this.exporterOf(watching));
    if (this.stopRequested) watching.observer.stop();
    const loadRun = directLoad?.runInfinite({ workload: spec.directLoad!.workload });
    const observed = await watching.observer.run();
    // The schedules go first: they must not go on firing while the rest of the report is made.
    const left = await this.deleteSchedules();
    directLoad?.stop();
    const loadStats = await loadRun;
    this.serverVersion = (await service.serverVersion()) ?? null;
    const context = { spec, runId: this.runId, schedules: this.schedules, directLoad: this.directLoad, base: this.base(watching), onEvent: this.onEvent };
    return resultAfterWindow(context, watching, observed, left, loadStats);
  }

  /** The direct load beside the schedules, when the spec asks for one. */
  private createDirectLoad(service: TemporalService): SchedulerService | undefined {
    const { spec } = this;
    if (!spec.directLoad) return undefined;
    const { loadModel, wait } = spec.directLoad;
    this.directLoad = new SchedulerService({
      launcher: service.launcher({ namespace: spec.namespace, taskQueue: spec.taskQueue }),
      concurrency: loadModel.concurrency, rate: loadModel.rate, reportInterval: spec.reportInterval, wait,
      // Its workflows need a worker; without one (or when it dies) the drain must not hang the run.
      drainTimeout: DIRECT_LOAD_DRAIN_SECONDS,
      sink: { interval: (report) => this.onEvent({ type: 'direct-load-interval', report }) },
    });
    return this.directLoad;
  }

  /** Creates the schedules (10 at a time) for a window starting after them; returns the observer of that window. */
  private async createSchedules(schedules: ScheduleService): Promise<Watching> {
    const { spec } = this;
    const scheduleIds = scheduleIdsOf(this.runId, spec.schedules);
    const window = scheduleWindow(spec.fire, Date.now(), LEAD_MS + LEAD_PER_SCHEDULE_MS * scheduleIds.length, {
      fires: spec.fires, durationMs: spec.duration !== undefined ? spec.duration * 1000 : undefined,
    });
    const firesEach = fireTimesBetween(spec.fire, window.startMs, window.endMs).length;
    const limit = pLimit(10);
    // allSettled: every create has ended (and is in `created` if it made one) before an error is
    // thrown, so the clean-up sees every schedule this run made.
    const creations = await Promise.allSettled(scheduleIds.map((scheduleId) => limit(() => this.createOne(schedules, scheduleId, window))));
    const failedCreation = creations.find((outcome) => outcome.status === 'rejected');
    if (failedCreation) throw failedCreation.reason;
    if (Date.now() > window.startMs && !window.noFireDue) this.onEvent({ type: 'creation-late' });
    if (window.noFireDue) this.onEvent({ type: 'no-fire-due', nextFireMs: window.noFireDue.nextFireMs });
    this.onEvent({ type: 'schedules-started', runId: this.runId, address: this.session.address, scheduleIds, window, firesEach });
    const settleMs = Math.min(MAX_SETTLE_MS, BASE_SETTLE_MS + spec.jitter * 1000 +
      (spec.overlap.startsWith('buffer') ? firesEach * ((spec.input.activityDelayMs ?? 0) + 1000) : 0));
    const fires: RecordedFire[] = [];
    const observer = new ScheduleObserver({
      source: schedules, scheduleIds, spec: spec.fire, window, pollIntervalMs: POLL_INTERVAL_MS, reportIntervalMs: spec.reportInterval * 1000, settleMs, maxSettleMs: MAX_SETTLE_MS,
      onReport: (report) => this.onEvent({ type: 'report', report }),
      onFire: (fire, lagMs) => {
        fires.push(fire);
        this.exporter?.observeFireLag(lagMs);
      },
      onPollError: (error) => this.onEvent({ type: 'poll-error', error }),
    });
    this.watching = { scheduleIds, window, firesEach, observer, fires, sinceMs: Date.now() };
    return this.watching;
  }

  private exporter: ScheduleExporter | undefined;

  private async exporterOf(watching: Watching): Promise<ScheduleExporter> {
    const { ScheduleExporter } = await import('../report/prometheus.js');
    this.exporter = new ScheduleExporter(this.runId, () => watching.observer.currentCounts(), () => this.health.snapshot(Date.now()));
    return this.exporter;
  }

  private async createOne(schedules: ScheduleService, scheduleId: string, window: ScheduleWindow): Promise<void> {
    if (this.stopRequested) return;
    const { spec } = this;
    const creation = schedules.create({
      scheduleId, spec: spec.fire, startMs: window.startMs, endMs: window.endMs, jitterMs: spec.jitter * 1000, overlap: spec.overlap,
      catchupWindowMs: spec.catchupWindow !== undefined ? spec.catchupWindow * 1000 : undefined,
      workflowType: ECHO_WORKFLOW_TYPE, args: [spec.input], taskQueue: spec.taskQueue, workflowIdPrefix: scheduleId,
      memo: { [RUN_ID_MEMO_KEY]: this.runId },
    }, spec.onConflict);
    this.creating.add(creation);
    let outcome: Awaited<typeof creation>;
    try {
      outcome = await creation;
    } catch (error) {
      // A conflict is someone else's schedule; any other failure may have created ours.
      if (!(error instanceof UsageError)) this.created.add(scheduleId);
      throw error;
    } finally {
      this.creating.delete(creation);
    }
    this.created.add(scheduleId);
    if (outcome === 'reused') this.onEvent({ type: 'schedule-reused', scheduleId });
  }

}
