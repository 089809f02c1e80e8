import pLimit, { type LimitFunction } from 'p-limit';
import { failureKindOf, UsageError } from '../errors.js';
import { IntervalCounter, RunCounters } from '../metrics/run-counters.js';
import { systemClock } from './clock.js';
import type {
  BatchRunOptions,
  Clock,
  InfiniteRunOptions,
  RunMode,
  RunStats,
  SchedulerSink,
  StopReason,
  TimerHandle,
  WorkflowLauncher,
} from './types.js';

export interface SchedulerOptions {
  temporalService: WorkflowLauncher;
  taskQueue: string;
  namespace: string;
  /** Workflows in flight at most. */
  concurrency: number;
  /** Seconds between interval reports. */
  reportInterval: number;
  /**
   * true (default): a workflow counts as done when its result arrives (closed loop of the Go runner).
   * false: done when its start is acknowledged (start-only throughput).
   */
  wait?: boolean;
  clock?: Clock;
  sink?: SchedulerSink;
}

interface Workload {
  message: string | undefined;
  count: number | undefined;
}

/**
 * The load model: a closed loop of `concurrency` slots. Each slot starts a workflow, waits for it
 * (or only for the start acknowledgement without `wait`), then starts the next. Pure logic: time and
 * Temporal come in through the injected clock and launcher, results go out through the sink.
 */
export class SchedulerService {
  private readonly launcher: WorkflowLauncher;
  private readonly taskQueue: string;
  private readonly namespace: string;
  private readonly concurrency: number;
  private readonly reportIntervalMs: number;
  private readonly wait: boolean;
  private readonly clock: Clock;
  private readonly sink: SchedulerSink;
  private readonly limit: LimitFunction;

  private counters = new RunCounters();
  private running = false;
  private stopRequested = false;
  private stopReason: StopReason = 'stopped';
  private mode: RunMode = 'batch';
  private startedAt = 0;
  private finishedAt: number | undefined;
  /** Wakes the launch loop when a slot frees up or a stop is requested. */
  private wakeLaunchLoop: (() => void) | undefined;
  private readonly timers = new Set<TimerHandle>();

  constructor(options: SchedulerOptions) {
    if (!Number.isInteger(options.concurrency) || options.concurrency < 1) {
      throw new UsageError(`concurrency must be an integer ≥ 1, got ${options.concurrency}`);
    }
    if (!(options.reportInterval > 0)) {
      throw new UsageError(`reportInterval must be > 0 seconds, got ${options.reportInterval}`);
    }
    this.launcher = options.temporalService;
    this.taskQueue = options.taskQueue;
    this.namespace = options.namespace;
    this.concurrency = options.concurrency;
    this.reportIntervalMs = options.reportInterval * 1000;
    this.wait = options.wait ?? true;
    this.clock = options.clock ?? systemClock;
    this.sink = options.sink ?? {};
    this.limit = pLimit(options.concurrency);
  }

  /** Batch: launches `totalWorkflows`, waits for all of them, resolves with the run's stats. */
  async run({ totalWorkflows, message, count }: BatchRunOptions): Promise<RunStats> {
    if (!Number.isInteger(totalWorkflows) || totalWorkflows < 1) {
      throw new UsageError(`totalWorkflows must be an integer ≥ 1, got ${totalWorkflows}`);
    }
    return this.execute('batch', { message, count }, totalWorkflows, undefined);
  }

  /** Infinite: launches until stop() or `maxRuntime` seconds, then drains in-flight workflows. */
  async runInfinite({ message, count, maxRuntime = 0 }: InfiniteRunOptions = {}): Promise<RunStats> {
    if (!(maxRuntime >= 0)) throw new UsageError(`maxRuntime must be ≥ 0 seconds, got ${maxRuntime}`);
    return this.execute('infinite', { message, count }, undefined, maxRuntime > 0 ? maxRuntime : undefined);
  }

  /** Stops launching; the running run() / runInfinite() resolves once in-flight workflows are done. */
  stop(): void {
    this.requestStop('stopped');
  }

  /** The stats so far (also while running, e.g. for a final line after a forced exit). */
  snapshot(): RunStats {
    const end = this.finishedAt ?? this.clock.now();
    const elapsedMs = this.running || this.finishedAt !== undefined ? end - this.startedAt : 0;
    const { launched, started, completed, failed, inFlight } = this.counters;
    return {
      mode: this.mode,
      launched,
      started,
      completed,
      failed,
      failuresByKind: { ...this.counters.failuresByKind },
      inFlight,
      elapsedMs,
      rate: elapsedMs > 0 ? completed / (elapsedMs / 1000) : 0,
      stopReason: this.stopReason,
    };
  }

  private async execute(
    mode: RunMode,
    workload: Workload,
    totalWorkflows: number | undefined,
    maxRuntimeSeconds: number | undefined,
  ): Promise<RunStats> {
    if (this.running || this.finishedAt !== undefined) {
      throw new UsageError('a SchedulerService runs once; create a new one for another run');
    }
    this.running = true;
    this.mode = mode;
    this.startedAt = this.clock.now();
    this.scheduleReports();
    if (maxRuntimeSeconds !== undefined) {
      this.addTimer(() => this.requestStop('max-runtime'), maxRuntimeSeconds * 1000);
    }
    try {
      await this.launchLoop(workload, totalWorkflows);
      await this.drain();
    } finally {
      for (const timer of this.timers) this.clock.clearTimeout(timer);
      this.timers.clear();
      this.finishedAt = this.clock.now();
      this.running = false;
    }
    if (!this.stopRequested) this.stopReason = 'total-reached';
    return this.snapshot();
  }

  private async launchLoop(workload: Workload, totalWorkflows: number | undefined): Promise<void> {
    while (!this.stopRequested) {
      if (totalWorkflows !== undefined && this.counters.launched >= totalWorkflows) return;
      if (this.counters.inFlight >= this.concurrency) {
        await this.sleepUntilWoken();
        continue;
      }
      this.counters.recordLaunch();
      // p-limit enforces the bound; the in-flight check above keeps its queue empty, so an infinite
      // run never piles up pending launches.
      void this.limit(() => this.launchOne(workload));
    }
  }

  private async launchOne({ message, count }: Workload): Promise<void> {
    try {
      const workflowId = await this.launcher.startEchoWorkflow(this.namespace, this.taskQueue, message, count);
      this.counters.recordStarted();
      if (this.wait) await this.launcher.awaitWorkflowResult(this.namespace, workflowId);
      this.counters.recordCompleted();
    } catch (error) {
      // Isolated: a failed launch is counted by kind and the run goes on.
      const kind = failureKindOf(error);
      this.counters.recordFailure(kind);
      this.sink.failure?.(kind, error);
    } finally {
      this.wake();
    }
  }

  private requestStop(reason: StopReason): void {
    if (this.stopRequested) return;
    this.stopRequested = true;
    this.stopReason = reason;
    this.wake();
  }

  private async drain(): Promise<void> {
    while (this.counters.inFlight > 0) await this.sleepUntilWoken();
  }

  private sleepUntilWoken(): Promise<void> {
    return new Promise((resolve) => {
      this.wakeLaunchLoop = resolve;
    });
  }

  private wake(): void {
    const wake = this.wakeLaunchLoop;
    this.wakeLaunchLoop = undefined;
    wake?.();
  }

  private scheduleReports(): void {
    const intervals = new IntervalCounter(this.startedAt);
    let nextReportAt = this.startedAt + this.reportIntervalMs;
    const report = () => {
      const now = this.clock.now();
      // Aim at fixed multiples of the interval so a late timer does not shift every later report.
      nextReportAt = Math.max(nextReportAt + this.reportIntervalMs, now + 1);
      const { completedInInterval, intervalMs } = intervals.tick(now, this.counters.completed);
      this.sink.interval?.({
        elapsedMs: now - this.startedAt,
        intervalMs,
        inFlight: this.counters.inFlight,
        completed: this.counters.completed,
        failed: this.counters.failed,
        completedInInterval,
        rate: intervalMs > 0 ? completedInInterval / (intervalMs / 1000) : 0,
      });
      this.addTimer(report, nextReportAt - now);
    };
    this.addTimer(report, this.reportIntervalMs);
  }

  private addTimer(callback: () => void, delayMs: number): void {
    const handle: TimerHandle = this.clock.setTimeout(() => {
      this.timers.delete(handle);
      callback();
    }, delayMs);
    this.timers.add(handle);
  }
}
