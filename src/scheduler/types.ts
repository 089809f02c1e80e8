import type { FailureKind } from '../errors.js';
import type { Stage } from './load-model.js';

/** Time source of the scheduler; injected so tests can drive time by hand. Milliseconds. */
export interface Clock {
  now(): number;
  setTimeout(callback: () => void, delayMs: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export type TimerHandle = { readonly __timer: unique symbol } | object;

/** What the scheduler needs from Temporal (TemporalService implements it; tests fake it). */
export interface WorkflowLauncher {
  /** Starts one EchoWorkflow and resolves with its workflow id once the server acknowledged it. */
  startEchoWorkflow(
    namespace: string,
    taskQueue: string,
    message?: string,
    count?: number,
    shape?: { activityDelayMs?: number; localActivities?: boolean },
  ): Promise<string>;
  /** Starts any workflow type with these arguments (for --workflow-type); optional for fakes. */
  startWorkflow?(namespace: string, taskQueue: string, workflowType: string, args: unknown[]): Promise<string>;
  /** Resolves when the workflow completed successfully; rejects (ideally with a LaunchError) otherwise. */
  awaitWorkflowResult(namespace: string, workflowId: string): Promise<unknown>;
  /**
   * With a start delay: how late the first workflow task ran, ms: its start on a worker − (the start
   * request at the server + the delay), from the server's history. Undefined when it cannot say.
   */
  delayLagOf?(namespace: string, workflowId: string, delayMs: number): Promise<number | undefined>;
}

export type RunMode = 'batch' | 'infinite';

/**
 * closed: `concurrency` slots, each starts a workflow and waits for it before the next (stages ramp
 * the concurrency). open: starts on a fixed schedule at `rate` per second (stages ramp the rate),
 * whatever earlier workflows do; `concurrency` caps the workflows in flight.
 */
export type LoadModelKind = 'closed' | 'open';

export interface LoadModel {
  kind: LoadModelKind;
  concurrency: number;
  rate?: number;
  stages?: Stage[];
}

/** One report interval's view of the run; emitted every `reportInterval` seconds. */
export interface IntervalReport {
  elapsedMs: number;
  intervalMs: number;
  inFlight: number;
  started: number;
  completed: number;
  failed: number;
  completedInInterval: number;
  /** Completions in this interval per second of this interval. */
  rate: number;
  /** Median and 99th percentile of this interval's measured latencies (e2e, or start with wait=false), ms. */
  latencyP50Ms: number;
  latencyP99Ms: number;
  lateStarts: number;
}

/** Why launching ended. `aborted`: given up without draining (the worker that would finish the workflows is gone). */
export type StopReason = 'total-reached' | 'time-limit' | 'stages-done' | 'stopped' | 'aborted';

/** Counts of a group of launches. Invariant: completed + failed + inFlight = launched. */
export interface LaunchCountsSnapshot {
  launched: number;
  started: number;
  completed: number;
  failed: number;
  inFlight: number;
  lateStarts: number;
  failuresByKind: Partial<Record<FailureKind, number>>;
}

/** The whole run's counts (every launch), plus the warm-up and the measured part apart. */
export interface RunStats extends LaunchCountsSnapshot {
  mode: RunMode;
  loadModel: LoadModelKind;
  elapsedMs: number;
  /** completed / elapsed seconds (every launch, as the core's end line shows). */
  rate: number;
  stopReason: StopReason;
  /** The drain after the stop hit its timeout: `inFlight` workflows were left behind. */
  drainTimedOut: boolean;
  /** Open loop: arrivals due before the stop that never launched because the cap held them back. */
  missedArrivals: number;
  warmupMs: number;
  warmup: LaunchCountsSnapshot;
  measured: LaunchCountsSnapshot & {
    /** Seconds after the warm-up. */
    seconds: number;
    completedPerSecond: number;
    startedPerSecond: number;
  };
}

/** Where the scheduler sends what happens; it never formats or prints itself. */
export interface SchedulerSink {
  interval?(report: IntervalReport): void;
  failure?(kind: FailureKind, error: unknown): void;
  /** A measured (post-warm-up) start was acknowledged, after this latency (ms). */
  startLatency?(latencyMs: number): void;
  /** A measured workflow's result arrived, this long after its start was sent or intended (ms). */
  e2eLatency?(latencyMs: number): void;
}

/** What each launch starts: the built-in EchoWorkflow (default) or a workflow type of the user's. */
export type Workload =
  | { kind: 'echo'; message?: string; count?: number; activityDelayMs?: number; localActivities?: boolean }
  | { kind: 'custom'; workflowType: string; args: unknown[] };

export interface BatchRunOptions {
  totalWorkflows: number;
  message?: string;
  count?: number;
  /** Overrides message/count: a shaped EchoWorkflow or another workflow type. */
  workload?: Workload;
  /** Seconds; the batch also ends when this much time has passed. */
  duration?: number;
}

export interface InfiniteRunOptions {
  message?: string;
  count?: number;
  workload?: Workload;
  /** Seconds; 0 or undefined = until stop() (or the end of the stages). */
  maxRuntime?: number;
  /** Same as maxRuntime; the shorter of the two wins. */
  duration?: number;
}
