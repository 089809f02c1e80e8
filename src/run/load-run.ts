import { randomBytes } from 'node:crypto';
import pLimit from 'p-limit';
import { firstLine, type FailureKind } from '../errors.js';
import { ClientCostMeter, type ClientCost } from '../metrics/client-cost.js';
import { IntervalSeries, type IntervalPoint } from '../metrics/interval-series.js';
import type { LatencyHistogram, LatencySummary } from '../metrics/latency-histogram.js';
import { RunMetrics } from '../metrics/run-metrics.js';
import { ServerHealth, type ServerHealthEvent, type ServerHealthSnapshot } from '../metrics/server-health.js';
import { evaluateThresholds, type ThresholdResult } from '../metrics/thresholds.js';
import { verifyAgainstServer, type Verification } from '../metrics/verification.js';
import type { LiveStatus } from '../report/progress.js';
import type { PrometheusExporter } from '../report/prometheus.js';
import { finalInterval, type DrainOutcome } from '../report/result.js';
import { RunWatch, type RunWatchEvent } from '../scheduler/run-watch.js';
import { emptyRunStats, SchedulerService } from '../scheduler/scheduler-service.js';
import type { Clock, IntervalReport, LoadModel, RunMode, RunStats, WorkflowLauncher } from '../scheduler/types.js';
import { TaskQueueProbe } from '../temporal/task-queue-probe.js';
import { ECHO_WORKFLOW_TYPE, newRunId, TemporalService } from '../temporal/temporal-service.js';
import type { LoadSpec } from './load-spec.js';
import { RunSession, type SessionEvent } from './session.js';

/** How long --verify waits for visibility to catch up with the tool's counts. */
const VERIFY_TIMEOUT_MS = 15_000;

/** What a load run tells as it goes; the caller decides what to show. */
export type LoadEvent =
  | SessionEvent
  | { type: 'shared-run'; runId: string; workflowIdPrefix: string }
  /** Connected, set up, about to launch: the run's address is known now. */
  | { type: 'load-started'; runId: string; address: string }
  | { type: 'interval'; report: IntervalReport }
  /** A workflow failed (every failure; callers usually show the first of each kind). */
  | { type: 'failure'; kind: FailureKind; error: unknown }
  | { type: 'server-health'; event: ServerHealthEvent }
  | { type: 'watch'; event: RunWatchEvent; address: string }
  | { type: 'drain-cut-short'; inFlight: number; terminated: number; timeoutSeconds?: number; stallSeconds?: number; onStop: 'leave' | 'terminate' };

/** The whole outcome of a load run: counts, histograms, verdicts, cost. Formatting is the caller's. */
export interface LoadResult {
  runId: string;
  mode: RunMode;
  startedAt: Date;
  endedAt: Date;
  /** A stop (or a forced end) cut the run short. */
  interrupted: boolean;
  server: { address: string; namespace: string; taskQueue: string; version: string | null };
  sdk: Record<string, string>;
  loadModel: LoadModel;
  wait: boolean;
  stats: RunStats;
  histograms: { start: LatencyHistogram; e2e: LatencyHistogram; startLateness: LatencyHistogram; delayLag?: LatencyHistogram };
  latency: { start: LatencySummary; e2e: LatencySummary; startLateness: LatencySummary; delayLag?: LatencySummary };
  thresholds: ThresholdResult[];
  verification: Verification | undefined;
  intervals: { compactions: number; points: IntervalPoint[] };
  client: ClientCost;
  serverHealth: ServerHealthSnapshot;
  drain: DrainOutcome;
  /** The time since the last interval report, which no report covered (undefined when nothing happened since). */
  finalInterval: IntervalReport | undefined;
}

/**
 * Stand-ins for the server, for tests and dry runs: with a `launcher` the run connects to nothing
 * (no worker, no watch of the server, no --verify) and launches through it, on `clock` when given.
 */
export interface LoadSeams {
  launcher?: WorkflowLauncher;
  clock?: Clock;
}

export interface LoadRunOptions extends LoadSeams {
  onEvent?: (event: LoadEvent) => void;
  /** Aborting it stops the run gracefully: no new launches, a drain, then the result. */
  signal?: AbortSignal;
}

/** Runs a load to its end and resolves with its result. */
export async function runLoad(spec: LoadSpec, options: LoadRunOptions = {}): Promise<LoadResult> {
  const run = startLoad(spec, options.onEvent, options);
  const stop = () => run.stop();
  if (options.signal?.aborted) stop();
  options.signal?.addEventListener('abort', stop, { once: true });
  try {
    return await run.result;
  } finally {
    options.signal?.removeEventListener('abort', stop);
  }
}

/** Starts a load run; the handle stops it, reads it while it runs, and ends it at once if need be. */
export function startLoad(spec: LoadSpec, onEvent: (event: LoadEvent) => void = () => undefined, seams: LoadSeams = {}): LoadRun {
  return new LoadRun(spec, onEvent, seams);
}

/** One load run: set up through its session, run by the SchedulerService, torn down on every path. */
export class LoadRun {
  readonly runId: string;
  readonly result: Promise<LoadResult>;
  private readonly shard: string | undefined;
  private readonly startedAt = new Date();
  private readonly session: RunSession;
  private readonly health: ServerHealth;
  private readonly series = new IntervalSeries();
  private readonly meter: ClientCostMeter;
  /** Aborted by stop(): wakes every start (and connect) waiting to retry, so the stop is prompt. */
  private readonly stopRetries = new AbortController();
  private scheduler: SchedulerService | undefined;
  private stopRequested = false;
  private workerFailed = false;
  private lastReport: IntervalReport | undefined;
  private serverVersion: string | null = null;
  private sdk: Record<string, string> = {};
  private terminated = 0;

  constructor(
    private readonly spec: LoadSpec,
    private readonly onEvent: (event: LoadEvent) => void,
    private readonly seams: LoadSeams = {},
  ) {
    this.runId = spec.runId ?? newRunId();
    // A shared run id (several processes, one load) gets a shard per process so the ids never collide.
    this.shard = spec.runId ? randomBytes(3).toString('hex') : undefined;
    this.session = new RunSession(spec, onEvent);
    this.health = new ServerHealth((event) => onEvent({ type: 'server-health', event }));
    this.meter = new ClientCostMeter(spec.worker !== undefined);
    this.result = this.execute();
    this.result.catch(() => undefined); // the caller sees the rejection; none is left unhandled meanwhile
  }

  /** Stops launching and drains; returns the workflows in flight (undefined before the load began). */
  stop(): number | undefined {
    this.stopRequested = true;
    this.stopRetries.abort();
    if (!this.scheduler) return undefined; // still starting up: the load will not begin
    this.scheduler.stop();
    return this.scheduler.snapshot().inFlight;
  }

  /** The counts so far (empty before the load began). */
  snapshot(): RunStats {
    return this.scheduler?.snapshot() ?? emptyRunStats(this.spec.mode, this.spec.loadModel.kind);
  }

  /** The result as things stand, for a process that must end now: interrupted, nothing asked of the server. */
  resultNow(): LoadResult {
    return this.resultOf(this.snapshot(), true, undefined);
  }

  /** Synchronous last resort for a process that exits now: leaves no dev server behind. */
  killNow(): void {
    this.session.killNow();
  }

  /** A reader of the live status line: the counts and the completions of about the last second. */
  liveStatusReader(): () => LiveStatus {
    const samples: Array<{ at: number; completed: number }> = [];
    const { spec } = this;
    const limitSeconds = spec.duration ?? (spec.maxRuntime > 0 ? spec.maxRuntime : undefined);
    return () => {
      const stats = this.snapshot();
      const at = performance.now();
      samples.push({ at, completed: stats.completed });
      while (samples.length > 2 && at - samples[0]!.at > 1000) samples.shift();
      const oldest = samples[0]!;
      const seconds = (at - oldest.at) / 1000;
      const metrics = this.metrics();
      const latency = spec.wait ? metrics.intervalE2eLatency : metrics.intervalStartLatency;
      return {
        elapsedMs: stats.elapsedMs,
        limit: { durationMs: limitSeconds !== undefined ? limitSeconds * 1000 : undefined, totalWorkflows: spec.mode === 'batch' ? spec.totalWorkflows : undefined },
        inFlight: stats.inFlight,
        completed: stats.completed,
        failed: stats.failed,
        rate: seconds > 0 ? (stats.completed - oldest.completed) / seconds : 0,
        // Just after a report the new interval has no samples yet: keep showing the last interval's p99.
        p99Ms: latency.count > 0 ? latency.percentileMillis(99) : this.series.lastP99(),
      };
    };
  }

  private metrics(): RunMetrics {
    return this.scheduler?.metrics ?? new RunMetrics();
  }

  /** Connects, checks the namespace and starts the embedded worker: what the load needs of the server. */
  private async setUp(): Promise<TemporalService> {
    const { spec } = this;
    const service = await this.session.connect({
      runId: this.runId, idPrefix: spec.idPrefix, shard: this.shard, health: this.health, retryBudgetMs: spec.retryTimeout * 1000,
      eagerStart: spec.eagerStart, stopSignal: this.stopRetries.signal,
    });
    if (this.shard) this.onEvent({ type: 'shared-run', runId: this.runId, workflowIdPrefix: service.workflowIdPrefix() });
    await service.checkNamespace(spec.namespace);
    this.serverVersion = (await service.serverVersion()) ?? null;
    this.sdk = TemporalService.sdkVersions();
    await this.session.startWorker(() => {
      // Nothing can finish the workflows in flight now: stop without waiting for them, and fail.
      this.workerFailed = true;
      this.scheduler?.abort();
    });
    return service;
  }

  private async execute(): Promise<LoadResult> {
    const { spec } = this;
    let watch: RunWatch | undefined;
    try {
      const service = this.seams.launcher ? undefined : await this.setUp();
      const launcher = service?.launcher({ namespace: spec.namespace, taskQueue: spec.taskQueue, startDelayMs: spec.startDelayMs }) ?? this.seams.launcher!;
      const scheduler = await this.createScheduler(launcher);
      this.onEvent({ type: 'load-started', runId: this.runId, address: this.session.address });
      if (this.stopRequested) scheduler.stop(); // a stop came during start-up
      if (this.workerFailed) scheduler.abort();
      this.meter.start();
      watch = this.watchOf(scheduler, service);
      watch.start();
      const { workload, duration } = spec;
      const stats = spec.mode === 'batch'
        ? await scheduler.run({ totalWorkflows: spec.totalWorkflows, workload, duration })
        : await scheduler.runInfinite({ workload, duration, maxRuntime: spec.maxRuntime });
      watch.stop();
      if (stats.drainTimedOut && stats.inFlight > 0) await this.afterCutShortDrain(scheduler, service, stats);
      const verification = spec.verify && service ? await verifyRun(service, spec.namespace, stats, spec.wait) : undefined;
      return this.resultOf(stats, stats.stopReason === 'stopped', verification);
    } finally {
      watch?.stop();
      await this.session.close();
    }
  }

  /** The SchedulerService of the run, and the metrics server reading it when one is asked for. */
  private async createScheduler(launcher: WorkflowLauncher): Promise<SchedulerService> {
    const { spec } = this;
    let exporter: PrometheusExporter | undefined;
    const scheduler = new SchedulerService({
      launcher, clock: this.seams.clock,
      concurrency: spec.loadModel.concurrency, rate: spec.loadModel.rate, stages: spec.loadModel.stages,
      warmup: spec.warmup, drainTimeout: spec.drain.timeout, drainStallTimeout: spec.drain.stallTimeout,
      reportInterval: spec.reportInterval, wait: spec.wait,
      sink: {
        interval: (report) => {
          this.series.add(report);
          this.lastReport = report;
          this.onEvent({ type: 'interval', report });
        },
        failure: (kind, error) => this.onEvent({ type: 'failure', kind, error }),
        ...(spec.metricsPort !== undefined
          ? { startLatency: (ms: number) => exporter?.observeStart(ms), e2eLatency: (ms: number) => exporter?.observeE2e(ms) }
          : {}),
      },
    });
    this.scheduler = scheduler;
    if (spec.metricsPort !== undefined) {
      const { PrometheusExporter } = await import('../report/prometheus.js');
      await this.session.serveMetrics(() => (exporter = new PrometheusExporter({
        runId: this.runId, stats: () => scheduler.snapshot(), targetRate: spec.loadModel.rate, concurrency: spec.loadModel.concurrency,
        serverHealth: () => this.health.snapshot(Date.now()),
      })));
    }
    return scheduler;
  }

  /**
   * Watches for workflows nobody picks up (one event each; the run goes on, a worker may come) and for
   * a server away longer than maxOutage (the run then ends without a drain).
   */
  private watchOf(scheduler: SchedulerService, service: TemporalService | undefined): RunWatch {
    const { spec } = this;
    const address = this.session.address;
    return new RunWatch({
      finished: () => {
        const { completed, failed } = scheduler.snapshot();
        return completed + failed;
      },
      inFlightWorkflowIds: () => scheduler.inFlightWorkflowIds(),
      ...(service ? { probe: new TaskQueueProbe(service.taskQueueQueries(spec.namespace, spec.taskQueue)) } : {}),
      clock: this.seams.clock,
      wait: spec.wait,
      embeddedWorker: spec.worker !== undefined,
      workflowType: spec.workload.kind === 'custom' ? spec.workload.workflowType : ECHO_WORKFLOW_TYPE,
      outage: { limitMs: spec.maxOutage * 1000, currentMs: () => this.health.currentOutageMs(Date.now()) },
      onEvent: (event) => {
        this.onEvent({ type: 'watch', event, address });
        if (event.type === 'outage-limit') scheduler.abort();
      },
    });
  }

  /** Terminates what a cut-short drain left (with onStop terminate), and tells of it. */
  private async afterCutShortDrain(scheduler: SchedulerService, service: TemporalService | undefined, stats: RunStats): Promise<void> {
    const { drain, namespace } = this.spec;
    if (drain.onStop === 'terminate' && service) this.terminated = await terminateAll(service, namespace, scheduler.inFlightWorkflowIds());
    const stallMs = scheduler.drainStallLimitMs();
    this.onEvent({
      type: 'drain-cut-short', inFlight: stats.inFlight, terminated: this.terminated, onStop: drain.onStop,
      ...(drain.timeout !== undefined || stallMs === undefined ? { timeoutSeconds: drain.timeout } : { stallSeconds: stallMs / 1000 }),
    });
  }

  private resultOf(stats: RunStats, interrupted: boolean, verification: Verification | undefined): LoadResult {
    const { spec } = this;
    const metrics = this.metrics();
    const measuresDelayLag = spec.startDelayMs !== undefined && spec.wait; // it needs the workflow's first task
    const latency = {
      start: metrics.startLatency.summary(), e2e: metrics.e2eLatency.summary(), startLateness: metrics.startLateness.summary(),
      ...(measuresDelayLag ? { delayLag: metrics.delayLag.summary() } : {}),
    };
    const thresholds = evaluateThresholds(spec.thresholds, {
      latency: {
        start: latency.start, e2e: latency.e2e, ...(spec.loadModel.kind === 'open' ? { start_lateness: latency.startLateness } : {}),
        ...(latency.delayLag ? { delay_lag: latency.delayLag } : {}),
      },
      completed: stats.measured.completed, failed: stats.measured.failed, completedPerSecond: stats.measured.completedPerSecond,
    });
    const interval = spec.wait ? metrics.intervalE2eLatency : metrics.intervalStartLatency;
    const endedAt = new Date();
    return {
      runId: this.runId, mode: spec.mode, startedAt: this.startedAt, endedAt, interrupted,
      server: { address: this.session.address, namespace: spec.namespace, taskQueue: spec.taskQueue, version: this.serverVersion },
      sdk: this.sdk, loadModel: this.scheduler?.loadModel ?? spec.loadModel, wait: spec.wait, stats,
      histograms: {
        start: metrics.startLatency, e2e: metrics.e2eLatency, startLateness: metrics.startLateness,
        ...(measuresDelayLag ? { delayLag: metrics.delayLag } : {}),
      },
      latency, thresholds, verification,
      intervals: { compactions: this.series.compactions, points: this.series.toArray() },
      client: this.meter.read(stats.completed),
      serverHealth: this.health.snapshot(endedAt.getTime()),
      drain: {
        timeoutSeconds: spec.drain.timeout ?? null, timedOut: stats.drainTimedOut, leftInFlight: stats.inFlight,
        onStop: spec.drain.onStop, terminated: this.terminated,
      },
      finalInterval: this.scheduler
        ? finalInterval(this.lastReport, stats, { p50: interval.percentileMillis(50), p99: interval.percentileMillis(99) })
        : undefined,
    };
  }
}

/** Terminates the workflows a cut-short drain left behind, 20 at a time; returns how many it terminated. */
async function terminateAll(service: TemporalService, namespace: string, workflowIds: readonly string[]): Promise<number> {
  const limit = pLimit(20);
  const outcomes = await Promise.all(
    workflowIds.map((workflowId) =>
      limit(() => service.terminateWorkflow(namespace, workflowId, 'sched-bench: drain timeout (--on-stop terminate)').then(() => true, () => false)),
    ),
  );
  return outcomes.filter(Boolean).length;
}

/** Polls the server until its counts match the tool's or the visibility timeout passes. */
async function verifyRun(service: TemporalService, namespace: string, stats: RunStats, waited: boolean): Promise<Verification> {
  const deadline = Date.now() + VERIFY_TIMEOUT_MS;
  for (;;) {
    let verification: Verification;
    try {
      verification = verifyAgainstServer(stats, await service.countRunWorkflows(namespace), waited);
    } catch (error) {
      // Not knowing is not agreeing: the run fails verification, and says why.
      verification = { matches: false, rows: [], serverCounts: {}, error: firstLine(error) };
    }
    if (verification.matches || Date.now() > deadline) return verification;
    await new Promise((resolveLater) => setTimeout(resolveLater, 500));
  }
}
