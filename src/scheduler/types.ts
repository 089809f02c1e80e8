import type { FailureKind } from '../errors.js';

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
  startEchoWorkflow(namespace: string, taskQueue: string, message?: string, count?: number): Promise<string>;
  /** Resolves when the workflow completed successfully; rejects (ideally with a LaunchError) otherwise. */
  awaitWorkflowResult(namespace: string, workflowId: string): Promise<unknown>;
}

export type RunMode = 'batch' | 'infinite';

/** One report interval's view of the run; emitted every `reportInterval` seconds. */
export interface IntervalReport {
  elapsedMs: number;
  intervalMs: number;
  inFlight: number;
  completed: number;
  failed: number;
  completedInInterval: number;
  /** Completions in this interval per second of this interval. */
  rate: number;
}

export type StopReason = 'total-reached' | 'max-runtime' | 'stopped';

/** The whole run's counts. Invariant: completed + failed + inFlight = launched. */
export interface RunStats {
  mode: RunMode;
  launched: number;
  /** Starts acknowledged by the server. */
  started: number;
  completed: number;
  failed: number;
  failuresByKind: Partial<Record<FailureKind, number>>;
  inFlight: number;
  elapsedMs: number;
  /** completed / elapsed seconds. */
  rate: number;
  stopReason: StopReason;
}

/** Where the scheduler sends what happens; it never formats or prints itself. */
export interface SchedulerSink {
  interval?(report: IntervalReport): void;
  failure?(kind: FailureKind, error: unknown): void;
}

export interface BatchRunOptions {
  totalWorkflows: number;
  message?: string;
  count?: number;
}

export interface InfiniteRunOptions {
  message?: string;
  count?: number;
  /** Seconds; 0 or undefined = until stop(). */
  maxRuntime?: number;
}
