import pLimit, { type LimitFunction } from 'p-limit';
import { failureKindOf, StartAbandonedError, UsageError } from '../errors.js';
import { IntervalCounter, pickCounts } from '../metrics/run-counters.js';
import { RunMetrics, type Phase, type WorkflowTypeCounts } from '../metrics/run-metrics.js';
import { backoffDelay, isRefusal, THROTTLED_BACKOFF, UNAVAILABLE_BACKOFF } from '../shared/backoff.js';
import { systemClock } from '../shared/clock.js';
import type { Stage } from '../shared/run-stats.js';
import type { OperationName, RecordOperation } from '../shared/operations.js';
import { workloadUnits, type UnitPicker, type WorkloadUnit } from '../workloads/workload-units.js';
import { ArrivalSchedule, concurrencyAt, MAX_CONCURRENCY, MAX_RATE, stagesDurationMs } from './load-model.js';
import type {
  BatchRunOptions,
  Clock,
  InfiniteRunOptions,
  LaunchCountsSnapshot,
  LoadModel,
  RunMode,
  Workload,
  RunStats,
  SchedulerSink,
  StopReason,
  TimerHandle,
  WorkflowLauncher,
} from './types.js';

/** Starts later than their intended time by more than this count as late starts (timer granularity). */
export const DEFAULT_LATE_START_TOLERANCE_MS = 10;
/** How often a closed loop re-reads its ramped concurrency. */
const RAMP_TICK_MS = 100;

export interface SchedulerOptions {
  /** Starts the workflows and waits for them (TemporalService.launcher() makes one; tests fake it). */
  launcher: WorkflowLauncher;
  /** Closed loop: workflows in flight. Open loop: the cap on workflows in flight. */
  concurrency: number;
  /** Starts per second: makes the load model an open loop. */
  rate?: number;
  /** Ramps the rate (open loop) or the concurrency (closed loop) from its start value; the run ends after them. */
  stages?: Stage[];
  /** Seconds between interval reports. */
  reportInterval: number;
  /** Interval reports carry their latency histogram encoded (for merging across processes). */
  encodeIntervalLatency?: boolean;
  /** Seconds at the start whose launches run but are kept out of the measured counts and histograms. */
  warmup?: number;
  /** Seconds to wait for in-flight workflows once launching stops; then the run ends without them. */
  drainTimeout?: number;
  /**
   * Seconds: without `drainTimeout`, the drain gives up once no workflow has finished for this long
   * (plus the workload's own delays; twice the longest workflow seen when that is longer), so
   * workflows nobody runs cannot hold it for ever. Undefined: wait for all.
   */
  drainStallTimeout?: number;
  lateStartToleranceMs?: number;
  /**
   * true (default): a workflow counts as done when its result arrives (closed loop of the Go runner).
   * false: done when its start is acknowledged (start-only throughput).
   */
  wait?: boolean;
  /**
   * The fraction (0–1) of measured launches whose history is read for the workers' schedule-to-start
   * latencies, when the workload does not read every history anyway; 0 or undefined: none.
   */
  historySample?: number;
  clock?: Clock;
  /** Jitter source for the closed loop's backoff after refusals; Math.random by default. */
  random?: () => number;
  sink?: SchedulerSink;
}

/**
 * History reads (per-operation latencies) under way at most; beyond, a launch's read is skipped and
 * counted, so a server slow to answer them cannot grow the client's memory without bound.
 */
const MAX_PENDING_HISTORY_READS = 512;

function checkPositive(name: string, value: number | undefined, { integer = false, allowZero = false } = {}): void {
  if (value === undefined) return;
  const valid = Number.isFinite(value) && (allowZero ? value >= 0 : value > 0) && (!integer || Number.isInteger(value));
  if (!valid) {
    throw new UsageError(`${name} must be ${integer ? 'an integer' : 'a number'} ${allowZero ? '≥ 0' : '> 0'}, got ${value}`);
  }
}


/** The stats of a run that never started (a forced exit during start-up). */
export function emptyRunStats(mode: RunMode, loadModel: LoadModel['kind'] = 'closed'): RunStats {
  const none: LaunchCountsSnapshot = { launched: 0, started: 0, completed: 0, failed: 0, inFlight: 0, lateStarts: 0, failuresByKind: {} };
  return {
    mode, loadModel, ...none, elapsedMs: 0, rate: 0, stopReason: 'stopped', drainTimedOut: false, missedArrivals: 0, warmupMs: 0,
    warmup: { ...none },
    measured: { ...none, seconds: 0, completedPerSecond: 0, startedPerSecond: 0 },
  };
}

/**
 * The load model. Closed loop: `concurrency` slots, each starts a workflow, waits for it (or only for
 * the start acknowledgement without `wait`), then starts the next. Open loop: starts at intended times
 * from an ArrivalSchedule, latencies measured from those times (no coordinated omission).
 * Pure logic: time and the server come in through the injected clock and launcher, results go out
 * through the sink and `metrics`.
 */
export class SchedulerService {
  readonly metrics = new RunMetrics();
  readonly loadModel: LoadModel;

  private readonly launcher: WorkflowLauncher;
  private readonly reportIntervalMs: number;
  private readonly encodeIntervalLatency: boolean;
  private readonly warmupMs: number;
  private readonly lateStartToleranceMs: number;
  private readonly wait: boolean;
  private readonly clock: Clock;
  private readonly sink: SchedulerSink;
  private readonly limit: LimitFunction;

  private running = false;
  private stopRequested = false;
  private stopReason: StopReason = 'stopped';
  private stopRequestedAt: number | undefined;
  private abandonDrain = false;
  private drainTimedOut = false;
  private readonly drainTimeoutMs: number | undefined;
  private readonly drainStallTimeoutMs: number | undefined;
  /** When a launch last ended (finished, failed or refused), and the longest a finished one took. */
  private lastFinishedAt = 0;
  private longestRunMs = 0;
  /** What the workload takes at least by its own settings (activity delays, start delay), ms. */
  private expectedRunMs = 0;
  /** Started workflows whose result is awaited: what is left running if the drain is cut short. */
  private readonly awaiting = new Map<string, string>();
  /**
   * Started workflows whose operations failed (a signal, an update, a query refused for good): they
   * wait for what will never come, by id, with their type. The run terminates them at its end.
   */
  private readonly stranded = new Map<string, string>();
  /** The counts per workflow type as the run ended (frozen with the stats, for --verify). */
  private finalTypeCounts: ReadonlyMap<string, WorkflowTypeCounts> | undefined;
  /** The stats as the run ended; frozen, so launches abandoned by an aborted drain cannot change them. */
  private finalStats: RunStats | undefined;
  /** The run's time limit (ms from its start), if any. */
  private timeLimitMs: number | undefined;
  private mode: RunMode = 'batch';
  private startedAt = 0;
  private finishedAt: number | undefined;
  /** Wakes the launch loop when a slot frees up, an arrival is due, or a stop is requested. */
  private wakeLaunchLoop: (() => void) | undefined;
  private arrivalTimerDueAt: number | undefined;
  private readonly timers = new Set<TimerHandle>();
  private readonly random: () => number;
  private readonly startDelayMs: number | undefined;
  private readonly historySample: number | undefined;
  /** Delay-lag and history reads still under way; the run waits for them before its stats are final. */
  private readonly pendingReads = new Set<Promise<unknown>>();
  /** Where a measured launch's operation latencies go; a warm-up launch's are dropped. */
  private readonly recordMeasured: RecordOperation = (operation: OperationName, latencyMs: number) => {
    this.metrics.recordOperation(operation, latencyMs);
    if (this.sink.operationLatency) this.emit(() => this.sink.operationLatency!(operation, latencyMs));
  };
  private readonly recordNothing: RecordOperation = () => undefined;
  /**
   * Closed loop: refused launches (server away or throttling) in a row, and when launching may resume.
   * A refusal frees its slot at once; without this pause the loop would re-send as fast as it is refused.
   */
  private refusalsInARow = 0;
  private launchPausedUntil = 0;
  /** Open loop: measured arrivals that found every slot of the cap taken (launched late, or never). */
  private measuredHeldByCap = 0;

  constructor(options: SchedulerOptions) {
    checkPositive('concurrency', options.concurrency, { integer: true });
    checkPositive('reportInterval', options.reportInterval);
    // With stages the rate is where the ramp starts, and 0 is a fine start.
    checkPositive('rate', options.rate, { allowZero: options.stages !== undefined });
    checkPositive('warmup', options.warmup, { allowZero: true });
    for (const stage of options.stages ?? []) {
      checkPositive('stage duration', stage.durationMs);
      checkPositive('stage target', stage.target, { allowZero: true });
    }
    if (options.stages?.length === 0) throw new UsageError('stages must not be empty');
    const openLoopRates = options.rate === undefined ? [] : [options.rate, ...(options.stages ?? []).map((stage) => stage.target)];
    if (openLoopRates.some((rate) => rate > MAX_RATE)) throw new UsageError(`an open loop's rate must be at most ${MAX_RATE} per second`);
    const concurrencies = [options.concurrency, ...(options.rate === undefined ? (options.stages ?? []).map((stage) => stage.target) : [])];
    if (concurrencies.some((slots) => slots > MAX_CONCURRENCY)) throw new UsageError(`concurrency must be at most ${MAX_CONCURRENCY}`);
    this.launcher = options.launcher;
    this.loadModel = {
      kind: options.rate !== undefined ? 'open' : 'closed',
      concurrency: options.concurrency,
      ...(options.rate !== undefined ? { rate: options.rate } : {}),
      ...(options.stages ? { stages: options.stages } : {}),
    };
    this.reportIntervalMs = options.reportInterval * 1000;
    this.encodeIntervalLatency = options.encodeIntervalLatency ?? false;
    this.warmupMs = (options.warmup ?? 0) * 1000;
    this.lateStartToleranceMs = options.lateStartToleranceMs ?? DEFAULT_LATE_START_TOLERANCE_MS;
    checkPositive('drainTimeout', options.drainTimeout, { allowZero: true });
    this.drainTimeoutMs = options.drainTimeout !== undefined ? options.drainTimeout * 1000 : undefined;
    checkPositive('drainStallTimeout', options.drainStallTimeout);
    this.drainStallTimeoutMs = options.drainStallTimeout !== undefined ? options.drainStallTimeout * 1000 : undefined;
    this.wait = options.wait ?? true;
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.startDelayMs = options.launcher.startDelayMs;
    checkPositive('historySample', options.historySample, { allowZero: true });
    if ((options.historySample ?? 0) > 1) throw new UsageError(`historySample must be between 0 and 1, got ${options.historySample}`);
    this.historySample = options.historySample;
    this.sink = options.sink ?? {};
    this.limit = pLimit(options.concurrency);
  }

  /** Batch: launches `totalWorkflows` (or fewer when `duration` ends first), waits for them, resolves with the stats. */
  async run({ totalWorkflows, message, count, duration, workload }: BatchRunOptions): Promise<RunStats> {
    checkPositive('totalWorkflows', totalWorkflows, { integer: true });
    checkPositive('duration', duration);
    return this.execute('batch', this.unitPicker(workload ?? { kind: 'echo', message, count }), totalWorkflows, duration);
  }

  /** Infinite: launches until stop(), `maxRuntime`/`duration` seconds, or the end of the stages; then drains. */
  async runInfinite({ message, count, maxRuntime = 0, duration, workload }: InfiniteRunOptions = {}): Promise<RunStats> {
    checkPositive('maxRuntime', maxRuntime, { allowZero: true });
    checkPositive('duration', duration);
    const limits = [maxRuntime > 0 ? maxRuntime : undefined, duration].filter((value) => value !== undefined);
    const start = this.unitPicker(workload ?? { kind: 'echo', message, count });
    return this.execute('infinite', start, undefined, limits.length > 0 ? Math.min(...limits) : undefined);
  }

  /** Stops launching; the running run() / runInfinite() resolves once in-flight workflows are done. */
  stop(): void {
    this.requestStop('stopped');
  }

  /**
   * Stops launching and gives up waiting for in-flight workflows (e.g. the worker that would finish them
   * is gone): the run resolves at once, with them counted as in flight and stopReason "aborted".
   */
  abort(): void {
    this.requestStop('aborted');
    this.abandonDrain = true;
    this.wake();
  }

  /** Ids of the workflows started and not yet finished (e.g. to terminate them after a cut-short drain). */
  inFlightWorkflowIds(): string[] {
    return [...this.awaiting.keys()];
  }

  /** The started, unfinished workflows with their types. */
  inFlightWorkflows(): Array<{ workflowId: string; workflowType: string }> {
    return [...this.awaiting].map(([workflowId, workflowType]) => ({ workflowId, workflowType }));
  }

  /** The workflows left waiting by a failed operation, with their types. */
  strandedWorkflows(): Array<{ workflowId: string; workflowType: string }> {
    return [...this.stranded].map(([workflowId, workflowType]) => ({ workflowId, workflowType }));
  }

  /** The counts per workflow type: as the run ended once it has (launches abandoned by the drain change nothing). */
  workflowTypeCounts(): ReadonlyMap<string, WorkflowTypeCounts> {
    return this.finalTypeCounts ?? this.metrics.byWorkflowType;
  }

  /** The stats so far (also while running, e.g. for an end line after a forced exit); final once the run ended. */
  snapshot(): RunStats {
    if (this.finalStats) return this.finalStats;
    const end = this.finishedAt ?? this.clock.now();
    const elapsedMs = this.running || this.finishedAt !== undefined ? end - this.startedAt : 0;
    const all = pickCounts(this.metrics.all);
    const measuredSeconds = Math.max(0, elapsedMs - this.warmupMs) / 1000;
    const measured = pickCounts(this.metrics.measured);
    return {
      mode: this.mode,
      loadModel: this.loadModel.kind,
      ...all,
      elapsedMs,
      rate: elapsedMs > 0 ? all.completed / (elapsedMs / 1000) : 0,
      stopReason: this.stopReason,
      drainTimedOut: this.drainTimedOut,
      missedArrivals: this.metrics.missedArrivals,
      warmupMs: this.warmupMs,
      warmup: pickCounts(this.metrics.warmup),
      measured: {
        ...measured,
        seconds: measuredSeconds,
        completedPerSecond: measuredSeconds > 0 ? measured.completed / measuredSeconds : 0,
        startedPerSecond: measuredSeconds > 0 ? measured.started / measuredSeconds : 0,
      },
    };
  }

  /**
   * The measured window as it really elapsed, ms: from the end of the warm-up until launching stopped
   * (the time limit, or an earlier stop); 0 when the stop came during the warm-up. So far, while running.
   */
  measuredWindowMs(): number {
    if (!this.running && this.finishedAt === undefined) return 0;
    const limitMs = this.timeLimitMs ?? Infinity;
    // Offsets from the start, never absolute clock readings subtracted again: (t0 + 3500) - t0 - 500 is
    // 2999.9999999999995 for a fractional t0. The time limit ends the window at the limit itself: its timer
    // may fire a fraction of a ms early.
    const launchingEndMs = this.stopReason === 'time-limit' ? limitMs : Math.min((this.stopRequestedAt ?? this.clock.now()) - this.startedAt, limitMs);
    return Math.max(0, launchingEndMs - this.warmupMs);
  }

  /**
   * Open loop: measured arrivals that were due while the workflows in flight filled the cap (`concurrency`),
   * so they launched late or not at all: the in-flight work did not finish fast enough to free a slot.
   */
  measuredArrivalsHeldByCap(): number {
    return this.measuredHeldByCap;
  }

  /** The run's units (a mix has several), and what they take at least by their own settings. */
  private unitPicker(workload: Workload): UnitPicker {
    const units = workloadUnits(workload, this.launcher, { clock: this.clock, historySample: this.historySample });
    this.expectedRunMs = (this.startDelayMs ?? 0) + units.expectedRunMs;
    return units.pick;
  }

  private async execute(
    mode: RunMode,
    workload: UnitPicker,
    totalWorkflows: number | undefined,
    durationSeconds: number | undefined,
  ): Promise<RunStats> {
    if (this.running || this.finishedAt !== undefined) {
      throw new UsageError('a SchedulerService runs once; create a new one for another run');
    }
    this.running = true;
    this.mode = mode;
    this.startedAt = this.clock.now();
    this.scheduleReports();
    if (durationSeconds !== undefined) {
      this.timeLimitMs = durationSeconds * 1000;
      this.addDeadline(() => this.requestStop('time-limit'), this.timeLimitMs);
    }
    const { stages } = this.loadModel;
    if (stages) this.addDeadline(() => this.requestStop('stages-done'), stagesDurationMs(stages));
    try {
      if (this.loadModel.kind === 'open') await this.openLoop(workload, totalWorkflows);
      else await this.closedLoop(workload, totalWorkflows);
      // Launching is over, and why is settled: a signal or timer during the drain changes nothing.
      this.requestStop('total-reached');
      await this.drain();
      if (!this.abandonDrain) await Promise.allSettled([...this.pendingReads]);
    } finally {
      for (const timer of this.timers) this.clock.clearTimeout(timer);
      this.timers.clear();
      this.finishedAt = this.clock.now();
      this.running = false;
    }
    this.finalStats = this.snapshot();
    this.finalTypeCounts = new Map([...this.metrics.byWorkflowType].map(([type, counts]) => [type, counts.copy()]));
    return this.finalStats;
  }

  private totalReached(totalWorkflows: number | undefined): boolean {
    return totalWorkflows !== undefined && this.metrics.all.launched >= totalWorkflows;
  }

  private async closedLoop(workload: UnitPicker, totalWorkflows: number | undefined): Promise<void> {
    const { stages, concurrency } = this.loadModel;
    if (stages) this.scheduleRampTicks();
    while (!this.stopRequested && !this.totalReached(totalWorkflows)) {
      const now = this.clock.now();
      const slots = concurrencyAt(concurrency, stages, now - this.startedAt) ?? 0;
      if (this.metrics.all.inFlight >= slots) {
        await this.sleepUntilWoken();
        continue;
      }
      if (now < this.launchPausedUntil) {
        this.armArrivalTimer(this.launchPausedUntil);
        await this.sleepUntilWoken();
        continue;
      }
      this.launch(workload, now, undefined, Math.max(1, slots));
    }
  }

  private async openLoop(workload: UnitPicker, totalWorkflows: number | undefined): Promise<void> {
    const { rate = 0, stages, concurrency } = this.loadModel;
    const schedule = new ArrivalSchedule(rate, stages);
    let arrival = 0;
    /** The arrival the cap holds back now, counted once however often the loop wakes for it. */
    let heldByCap: number | undefined;
    while (!this.stopRequested && !this.totalReached(totalWorkflows)) {
      const offset = schedule.timeOf(arrival);
      if (offset === undefined || offset >= (this.timeLimitMs ?? Infinity)) {
        // No more arrivals before the end: the stages-done or time-limit timer ends the run.
        await this.sleepUntilWoken();
        continue;
      }
      const intendedAt = this.startedAt + offset;
      const now = this.clock.now();
      if (now < intendedAt) {
        this.armArrivalTimer(intendedAt);
        await this.sleepUntilWoken();
        continue;
      }
      if (this.metrics.all.inFlight >= concurrency) {
        if (heldByCap !== arrival && offset >= this.warmupMs) this.measuredHeldByCap++;
        heldByCap = arrival;
        await this.sleepUntilWoken(); // capped: this start will be late
        continue;
      }
      this.launch(workload, now, intendedAt, concurrency);
      arrival++;
    }
    arrival = this.launchDueAtLimit(workload, schedule, arrival, totalWorkflows);
    const stoppedAt = Math.min((this.stopRequestedAt ?? this.clock.now()) - this.startedAt, this.timeLimitMs ?? Infinity);
    if (heldByCap === arrival) {
      // The stop came while the cap held this arrival: the measured ones due after it never had a slot either.
      this.measuredHeldByCap += Math.max(0, schedule.dueBefore(stoppedAt) - Math.max(arrival + 1, schedule.dueBefore(this.warmupMs)));
    }
    // Arrivals that were due before the stop but never launched (the cap held them back): count them,
    // they are the open loop's most late starts. Arrivals at or after the time limit were never due.
    // Counted arithmetically (a huge rate has billions due a second), and only what the run could still
    // have launched: a batch never misses more than its total leaves.
    const launchable = totalWorkflows === undefined ? Infinity : Math.max(0, totalWorkflows - this.metrics.all.launched);
    this.metrics.missedArrivals += Math.min(Math.max(0, schedule.dueBefore(stoppedAt) - arrival), launchable);
  }

  /**
   * At the time limit or the stages' end, the arrivals due before it that the loop has not launched yet
   * (cap permitting), late: the limit's timer and an arrival's can come due in the same turn of the event
   * loop, and the limit's may run first (seen: one arrival of 100 000 at 1000/s missed). The limit is
   * never early (addDeadline), so every one of them is due. Returns the next arrival.
   */
  private launchDueAtLimit(workload: UnitPicker, schedule: ArrivalSchedule, arrival: number, totalWorkflows: number | undefined): number {
    if (this.stopReason !== 'time-limit' && this.stopReason !== 'stages-done') return arrival;
    const { concurrency } = this.loadModel;
    // Arrivals at or after the time limit were never due; the schedule itself ends with the stages.
    const limitMs = this.timeLimitMs ?? Infinity;
    for (let offset = schedule.timeOf(arrival); offset !== undefined && offset < limitMs; offset = schedule.timeOf(arrival)) {
      if (this.metrics.all.inFlight >= concurrency || this.totalReached(totalWorkflows)) break;
      this.launch(workload, this.clock.now(), this.startedAt + offset, concurrency);
      arrival++;
    }
    return arrival;
  }

  /**
   * Counts the launch now (so in-flight is exact at once) and hands it to p-limit, which enforces the
   * bound. The loops' own in-flight checks keep p-limit's queue from growing: at most the launches that
   * wait a microtask for p-limit to notice a finished one.
   */
  private launch(workload: UnitPicker, now: number, intendedAt: number | undefined, slots: number): void {
    const origin = intendedAt ?? now;
    const phase: Phase = origin - this.startedAt >= this.warmupMs ? 'measured' : 'warmup';
    const lateness = intendedAt === undefined ? undefined : now - intendedAt;
    const late = lateness !== undefined && lateness > this.lateStartToleranceMs;
    this.metrics.recordLaunch(phase, lateness, late);
    if (this.limit.concurrency !== slots) this.limit.concurrency = slots;
    const unit = workload(); // drawn here, in launch order: a seeded mix draws the same sequence every run
    void this.limit(() => this.launchOne(unit, origin, phase, late, intendedAt !== undefined));
  }

  /**
   * A start the stop abandoned (it was backing off when the stop came) never launched: it is taken out
   * of the counts again, so it is neither failed nor in flight. In the open loop its arrival was due and
   * never started: a missed arrival. (Its lateness sample, if any, stays: that lateness did happen.)
   */
  private forgetLaunch(phase: Phase, late: boolean, openLoop: boolean): void {
    for (const counts of [this.metrics.all, phase === 'warmup' ? this.metrics.warmup : this.metrics.measured]) {
      counts.launched--;
      if (late) counts.lateStarts--;
    }
    if (openLoop) this.metrics.recordMissedArrival();
  }

  private async launchOne(unit: WorkloadUnit, origin: number, phase: Phase, late: boolean, openLoop: boolean): Promise<void> {
    const record = phase === 'measured' ? this.recordMeasured : this.recordNothing;
    let startedType: string | undefined; // set once the server holds the workflow (--verify counts per type)
    // A workflow that may exist before its start is acknowledged: held like one in flight until it is
    // (only units that say so get the callback: no closure per launch for the others).
    let creating: string | undefined;
    const onCreating = unit.createsBeforeAcknowledged
      ? (workflowId: string) => {
        creating = workflowId;
        this.awaiting.set(workflowId, unit.workflowType);
      }
      : undefined;
    try {
      const workflowId = await unit.start(record, onCreating);
      creating = undefined;
      this.refusalsInARow = 0;
      const startLatency = this.clock.now() - origin;
      this.metrics.recordStarted(phase, startLatency, (startedType = unit.workflowType));
      if (phase === 'measured' && this.sink.startLatency) this.emit(() => this.sink.startLatency!(startLatency));
      if (!this.wait && !unit.during) {
        this.metrics.recordCompleted(phase, undefined, startedType);
        return;
      }
      // Left running if the drain is cut short: so the operations count too, not only the result wait.
      this.awaiting.set(workflowId, unit.workflowType);
      let result: unknown;
      try {
        if (unit.during) await this.operate(unit, workflowId, record);
        if (this.wait) result = await this.launcher.awaitWorkflowResult(workflowId);
      } finally {
        this.awaiting.delete(workflowId);
      }
      if (!this.wait) {
        this.metrics.recordCompleted(phase, undefined, startedType);
        return;
      }
      const e2eLatency = this.clock.now() - origin;
      this.metrics.recordCompleted(phase, e2eLatency, startedType);
      if (phase === 'measured') this.readAfterwards(unit, workflowId, result);
      if (phase === 'measured' && this.sink.e2eLatency) this.emit(() => this.sink.e2eLatency!(e2eLatency));
    } catch (error) {
      if (creating !== undefined) {
        // Never acknowledged, yet it may exist and wait for ever: terminated with the stranded at the end.
        this.awaiting.delete(creating);
        this.stranded.set(creating, unit.workflowType);
      }
      if (error instanceof StartAbandonedError) {
        this.forgetLaunch(phase, late, openLoop);
        if (isRefusal(error.kind)) this.pauseLaunching(error.kind); // no hot loop if the run goes on regardless
        return;
      }
      // Isolated: a failed launch is counted by kind and the run goes on.
      const kind = failureKindOf(error);
      this.metrics.recordFailure(phase, kind, startedType);
      if (isRefusal(kind)) this.pauseLaunching(kind);
      this.emit(() => this.sink.failure?.(kind, error));
    } finally {
      this.lastFinishedAt = this.clock.now();
      this.longestRunMs = Math.max(this.longestRunMs, this.lastFinishedAt - origin);
      this.wake();
    }
  }

  /** The unit's operations on its started workflow; a failure leaves the workflow stranded (noted, then thrown). */
  private async operate(unit: WorkloadUnit, workflowId: string, record: RecordOperation): Promise<void> {
    try {
      await unit.during!(workflowId, record);
    } catch (error) {
      this.stranded.set(workflowId, unit.workflowType);
      throw error;
    }
  }

  /**
   * What a finished workflow tells only afterwards (its delay lag, its history-derived latencies), read
   * off the hot path of the count: a read that fails only leaves its samples out, and is counted.
   */
  private readAfterwards(unit: WorkloadUnit, workflowId: string, result: unknown): void {
    if (this.startDelayMs !== undefined && this.launcher.delayLagOf) {
      this.trackRead(() => this.launcher.delayLagOf!(workflowId).then((lag) => void (lag !== undefined && this.metrics.delayLag.recordMillis(lag))));
    }
    const read = unit.after?.(workflowId, result, this.recordMeasured);
    if (read) this.trackRead(read);
  }

  /**
   * Makes a read and keeps it until it settles (the run waits for it); a failed one only leaves its
   * samples out, counted. Past the cap nothing is asked of the server: the read is skipped, counted.
   */
  private trackRead(read: () => Promise<void>): void {
    if (this.pendingReads.size >= MAX_PENDING_HISTORY_READS) {
      this.metrics.historyReads.skipped++;
      return;
    }
    const settled = read().then(() => undefined, () => { this.metrics.historyReads.failed++; });
    this.pendingReads.add(settled);
    void settled.finally(() => this.pendingReads.delete(settled));
  }

  /** Backs the closed loop off after a refusal: longer for each one in a row, with jitter. */
  private pauseLaunching(kind: 'server_unavailable' | 'throttled'): void {
    this.refusalsInARow++;
    const policy = kind === 'throttled' ? THROTTLED_BACKOFF : UNAVAILABLE_BACKOFF;
    const until = this.clock.now() + backoffDelay(policy, this.refusalsInARow, this.random);
    this.launchPausedUntil = Math.max(this.launchPausedUntil, until);
  }

  private requestStop(reason: StopReason): void {
    if (this.stopRequested) return;
    this.stopRequested = true;
    this.stopRequestedAt = this.clock.now();
    this.stopReason = reason;
    this.wake();
  }

  private async drain(): Promise<void> {
    if (this.drainTimeoutMs !== undefined && this.metrics.all.inFlight > 0) {
      this.addTimer(() => {
        this.drainTimedOut = true;
        this.abandonDrain = true;
        this.wake();
      }, this.drainTimeoutMs);
    }
    if (this.drainTimeoutMs === undefined && this.drainStallTimeoutMs !== undefined && this.metrics.all.inFlight > 0) {
      this.watchDrainStall(this.clock.now());
    }
    while (this.metrics.all.inFlight > 0 && !this.abandonDrain) await this.sleepUntilWoken();
  }

  /** How long the drain waits without a finished workflow before it gives up (undefined: for ever). */
  drainStallLimitMs(): number | undefined {
    if (this.drainStallTimeoutMs === undefined) return undefined;
    return Math.max(this.drainStallTimeoutMs + this.expectedRunMs, 2 * this.longestRunMs);
  }

  /** Gives up the drain once nothing has finished for drainStallLimitMs since it began or since the last finish. */
  private watchDrainStall(drainStartedAt: number): void {
    const check = () => {
      const now = this.clock.now();
      const dueAt = Math.max(drainStartedAt, this.lastFinishedAt) + this.drainStallLimitMs()!;
      if (now < dueAt) {
        this.addTimer(check, dueAt - now);
        return;
      }
      this.drainTimedOut = true;
      this.abandonDrain = true;
      this.wake();
    };
    check();
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

  /** One timer for the next arrival, however often completions wake the loop meanwhile. */
  private armArrivalTimer(dueAt: number): void {
    if (this.arrivalTimerDueAt === dueAt) return;
    this.arrivalTimerDueAt = dueAt;
    this.addTimer(() => {
      if (this.arrivalTimerDueAt === dueAt) this.arrivalTimerDueAt = undefined;
      this.wake();
    }, dueAt - this.clock.now());
  }

  private scheduleRampTicks(): void {
    const tick = () => {
      this.wake();
      if (!this.stopRequested) this.addTimer(tick, RAMP_TICK_MS);
    };
    this.addTimer(tick, RAMP_TICK_MS);
  }

  private scheduleReports(): void {
    const intervals = new IntervalCounter(this.startedAt);
    let nextReportAt = this.startedAt + this.reportIntervalMs;
    const report = () => {
      const now = this.clock.now();
      // Aim at fixed multiples of the interval so a late timer does not shift every later report.
      nextReportAt = Math.max(nextReportAt + this.reportIntervalMs, now + 1);
      const { all, intervalE2eLatency, intervalStartLatency } = this.metrics;
      const { completedInInterval, intervalMs } = intervals.tick(now, all.completed);
      const latency = this.wait ? intervalE2eLatency : intervalStartLatency;
      this.addTimer(report, nextReportAt - now); // re-armed first: a failing sink must not stop the reports
      const intervalReport = {
        elapsedMs: now - this.startedAt,
        intervalMs,
        inFlight: all.inFlight,
        started: all.started,
        completed: all.completed,
        failed: all.failed,
        completedInInterval,
        rate: intervalMs > 0 ? completedInInterval / (intervalMs / 1000) : 0,
        latencyP50Ms: latency.percentileMillis(50),
        latencyP99Ms: latency.percentileMillis(99),
        lateStarts: all.lateStarts,
        ...(this.encodeIntervalLatency ? { latencyHistogram: latency.encode() } : {}),
      };
      this.metrics.resetInterval();
      this.emit(() => this.sink.interval?.(intervalReport));
    };
    this.addTimer(report, this.reportIntervalMs);
  }

  /** Calls the sink; its errors are its own and never break the run (e.g. a closed output pipe). */
  private emit(call: () => void): void {
    // After the end, launches an aborted drain abandoned still fail (their connection closes): their
    // events describe nothing the frozen counts hold.
    if (this.finalStats) return;
    try {
      call();
    } catch {
      // the sink reports its own troubles
    }
  }

  /**
   * `callback` once the clock reads `offsetMs` past the run's start, never before. Node's timers fire
   * early by performance.now() (they count in the event loop's whole milliseconds; 274 of 400 timers of
   * 5–10 ms fired early, by up to 1.7 ms, measured 2026-12-01): an early time limit would leave arrivals
   * due before it unlaunched, and launchDueAtLimit, which launches them, counts on each being due.
   */
  private addDeadline(callback: () => void, offsetMs: number): void {
    const check = () => {
      const leftMs = this.startedAt + offsetMs - this.clock.now();
      if (leftMs > 0) this.addTimer(check, leftMs);
      else callback();
    };
    this.addTimer(check, offsetMs);
  }

  private addTimer(callback: () => void, delayMs: number): void {
    const handle: TimerHandle = this.clock.setTimeout(() => {
      this.timers.delete(handle);
      callback();
    }, delayMs);
    this.timers.add(handle);
  }
}
