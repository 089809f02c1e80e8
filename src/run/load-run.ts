import { randomBytes } from 'node:crypto';
import { ClientCostMeter } from '../metrics/client-cost.js';
import { IntervalSeries } from '../metrics/interval-series.js';
import { RunMetrics } from '../metrics/run-metrics.js';
import { ServerHealth } from '../metrics/server-health.js';
import type { LiveStatus } from '../report/progress.js';
import type { PrometheusExporter } from '../report/prometheus.js';
import type { OperationName } from '../shared/operations.js';
import { RunWatch } from '../scheduler/run-watch.js';
import { emptyRunStats, SchedulerService } from '../scheduler/scheduler-service.js';
import type { Clock, IntervalReport, RunStats, WorkflowLauncher } from '../scheduler/types.js';
import { TaskQueueProbe } from '../temporal/task-queue-probe.js';
import { newRunId, TemporalService } from '../temporal/temporal-service.js';
import { workflowTypesOf } from '../workloads/workload.js';
import { countOf, terminateAll, verifyRun, type EndOfRunActions } from './end-of-run.js';
import { loadResultOf, type LoadEvent, type LoadResult, type LoadRunParts } from './load-result.js';
import type { LoadSpec } from './load-spec.js';
import { liveStatusReader } from './live-status.js';
import { endedThenTornDown, resultStoppedBy } from './run-promises.js';
import { setUpLoad } from './load-setup.js';
import { RunSession } from './session.js';

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
  return resultStoppedBy(startLoad(spec, options.onEvent, options), options.signal);
}

export type { LoadEvent, LoadResult };

/** Starts a load run; the handle stops it, reads it while it runs, and ends it at once if need be. */
export function startLoad(spec: LoadSpec, onEvent: (event: LoadEvent) => void = () => undefined, seams: LoadSeams = {}): LoadRun {
  return new LoadRun(spec, onEvent, seams);
}

/** One load run: set up through its session, run by the SchedulerService, torn down on every path. */
export class LoadRun {
  readonly runId: string;
  /** Settles once the outcome is known, before the session closes: what a CLI prints and writes at once. */
  readonly ended: Promise<LoadResult>;
  /** Settles once the run is over and its session closed. */
  readonly result: Promise<LoadResult>;
  private watch: RunWatch | undefined;
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
  private terminatedInFlight: ReadonlyMap<string, number> = new Map();
  private outcomeKnown = false;

  constructor(
    private readonly spec: LoadSpec,
    private readonly onEvent: (event: LoadEvent) => void,
    private readonly seams: LoadSeams = {},
  ) {
    this.runId = spec.runId ?? newRunId();
    // A shared run id (several processes, one load) gets a shard per process so the ids never collide.
    this.shard = spec.runId ? (spec.shard ?? randomBytes(3).toString('hex')) : undefined;
    this.session = new RunSession(spec, onEvent);
    // Once the result is known, the tear-down's closed connection is no outage worth a line.
    this.health = new ServerHealth((event) => this.outcomeKnown || onEvent({ type: 'server-health', event }));
    this.meter = new ClientCostMeter(spec.worker !== undefined);
    ({ ended: this.ended, result: this.result } = endedThenTornDown(this.execute(), async () => {
      this.watch?.stop();
      await this.session.close();
    }));
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
    return loadResultOf(this.parts(), this.snapshot(), true, undefined);
  }

  /** Synchronous last resort for a process that exits now: leaves no dev server behind. */
  killNow(): void {
    this.session.killNow();
  }

  /** A reader of the live status line: the counts and the completions of about the last second. */
  liveStatusReader(): () => LiveStatus {
    return liveStatusReader(this.spec, () => this.snapshot(), () => this.metrics(), () => this.series.lastP99());
  }

  private parts(): LoadRunParts {
    return {
      spec: this.spec, runId: this.runId, startedAt: this.startedAt, address: this.session.address, serverVersion: this.serverVersion,
      sdk: this.sdk, scheduler: this.scheduler, series: this.series, meter: this.meter, health: this.health, terminated: this.terminated,
      lastReport: this.lastReport,
    };
  }

  private metrics(): RunMetrics {
    return this.scheduler?.metrics ?? new RunMetrics();
  }

  /** Connects, checks the namespace and starts the embedded worker: what the load needs of the server. */
  private async setUp(): Promise<TemporalService> {
    const { spec } = this;
    const connected = await setUpLoad(this.session, spec.namespace, {
      runId: this.runId, idPrefix: spec.idPrefix, shard: this.shard, health: this.health, retryTimeout: spec.retryTimeout,
      eagerStart: spec.eagerStart, stopSignal: this.stopRetries.signal,
      onWorkerFailed: () => {
        // Nothing can finish the workflows in flight now: stop without waiting for them, and fail.
        this.workerFailed = true;
        this.scheduler?.abort();
      },
      onConnected: (service) => {
        if (this.shard) this.onEvent({ type: 'shared-run', runId: this.runId, workflowIdPrefix: service.workflowIdPrefix() });
      },
    });
    this.serverVersion = connected.serverVersion;
    this.sdk = connected.sdk;
    return connected.service;
  }

  private async execute(): Promise<LoadResult> {
    const { spec } = this;
    const service = this.seams.launcher ? undefined : await this.setUp();
    const launcher = service?.launcher({ namespace: spec.namespace, taskQueue: spec.taskQueue, startDelayMs: spec.startDelayMs }) ?? this.seams.launcher!;
    const scheduler = await this.createScheduler(launcher);
    this.onEvent({ type: 'load-started', runId: this.runId, address: this.session.address });
    if (this.stopRequested) scheduler.stop(); // a stop came during start-up
    if (this.workerFailed) scheduler.abort();
    this.meter.start();
    const watch = (this.watch = this.watchOf(scheduler, service));
    watch.start();
    const { workload, duration } = spec;
    const stats = spec.mode === 'batch'
      ? await scheduler.run({ totalWorkflows: spec.totalWorkflows, workload, duration })
      : await scheduler.runInfinite({ workload, duration, maxRuntime: spec.maxRuntime });
    watch.stop();
    this.onEvent({ type: 'load-ended', stats });
    if (stats.drainTimedOut && stats.inFlight > 0) await this.afterCutShortDrain(scheduler, service, stats);
    const actions = { terminatedInFlight: this.terminatedInFlight, ...(await this.terminateStranded(scheduler, service)) };
    const verification = spec.verify && service
      ? await verifyRun(service, spec.namespace, spec.workload, scheduler.workflowTypeCounts(), actions, spec.wait)
      : undefined;
    this.outcomeKnown = true;
    return loadResultOf(this.parts(), stats, stats.stopReason === 'stopped', verification);
  }

  /** The SchedulerService of the run, and the metrics server reading it when one is asked for. */
  private async createScheduler(launcher: WorkflowLauncher): Promise<SchedulerService> {
    const { spec } = this;
    let exporter: PrometheusExporter | undefined;
    const scheduler = new SchedulerService({
      launcher, clock: this.seams.clock,
      concurrency: spec.loadModel.concurrency, rate: spec.loadModel.rate, stages: spec.loadModel.stages,
      warmup: spec.warmup, drainTimeout: spec.drain.timeout, drainStallTimeout: spec.drain.stallTimeout,
      reportInterval: spec.reportInterval, encodeIntervalLatency: spec.encodeIntervalLatency, wait: spec.wait, historySample: spec.historySample,
      sink: {
        interval: (report) => {
          this.series.add(report);
          this.lastReport = report;
          this.onEvent({ type: 'interval', report });
        },
        failure: (kind, error) => this.onEvent({ type: 'failure', kind, error }),
        ...(spec.metricsPort !== undefined
          ? {
            startLatency: (ms: number) => exporter?.observeStart(ms), e2eLatency: (ms: number) => exporter?.observeE2e(ms),
            operationLatency: (operation: OperationName, ms: number) => exporter?.observeOperation(operation, ms),
          }
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
      workflowTypes: workflowTypesOf(spec.workload),
      outage: { limitMs: spec.maxOutage * 1000, currentMs: () => this.health.currentOutageMs(Date.now()) },
      onEvent: (event) => {
        this.onEvent({ type: 'watch', event, address });
        if (event.type === 'outage-limit') scheduler.abort();
      },
    });
  }

  /**
   * Terminates the workflows a failed operation left waiting (a signal, update or query that never came:
   * they would wait for ever), and tells of it; by type, for --verify.
   */
  private async terminateStranded(scheduler: SchedulerService, service: TemporalService | undefined): Promise<Pick<EndOfRunActions, 'stranded' | 'terminatedStranded'>> {
    const strandedWorkflows = scheduler.strandedWorkflows();
    const stranded = new Map<string, number>();
    for (const { workflowType } of strandedWorkflows) stranded.set(workflowType, (stranded.get(workflowType) ?? 0) + 1);
    if (strandedWorkflows.length === 0 || !service) return { stranded, terminatedStranded: new Map() };
    const terminatedStranded = await terminateAll(service, this.spec.namespace, strandedWorkflows, 'sched-bench: an operation on it failed, so it would wait for ever');
    this.onEvent({ type: 'stranded-terminated', stranded: strandedWorkflows.length, terminated: countOf(terminatedStranded) });
    return { stranded, terminatedStranded };
  }

  /** Terminates what a cut-short drain left (with onStop terminate), and tells of it. */
  private async afterCutShortDrain(scheduler: SchedulerService, service: TemporalService | undefined, stats: RunStats): Promise<void> {
    const { drain, namespace } = this.spec;
    if (drain.onStop === 'terminate' && service) {
      this.terminatedInFlight = await terminateAll(service, namespace, scheduler.inFlightWorkflows(), 'sched-bench: drain timeout (--on-stop terminate)');
      this.terminated = countOf(this.terminatedInFlight);
    }
    const stallMs = scheduler.drainStallLimitMs();
    this.onEvent({
      type: 'drain-cut-short', inFlight: stats.inFlight, terminated: this.terminated, onStop: drain.onStop,
      ...(drain.timeout !== undefined || stallMs === undefined ? { timeoutSeconds: drain.timeout } : { stallSeconds: stallMs / 1000 }),
    });
  }

}
