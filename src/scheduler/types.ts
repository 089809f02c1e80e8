import type { FailureKind } from '../errors.js';
import type { OperationName } from '../shared/operations.js';
import type { IntervalReport } from '../shared/run-stats.js';

/** The load generator's result types and ports live in the shared leaf; re-exported as part of its interface. */
export type { Clock, TimerHandle } from '../shared/clock.js';
export type { WorkflowLauncher } from '../shared/launcher.js';
export type {
  IntervalReport,
  LaunchCountsSnapshot,
  LoadModel,
  LoadModelKind,
  RunMode,
  RunStats,
  Stage,
  StopReason,
} from '../shared/run-stats.js';

/** Where the scheduler sends what happens; it never formats or prints itself. */
export interface SchedulerSink {
  interval?(report: IntervalReport): void;
  failure?(kind: FailureKind, error: unknown): void;
  /** A measured (post-warm-up) start was acknowledged, after this latency (ms). */
  startLatency?(latencyMs: number): void;
  /** A measured workflow's result arrived, this long after its start was sent or intended (ms). */
  e2eLatency?(latencyMs: number): void;
  /** A measured workflow's operation (signal, update, ... see OPERATIONS) took this long (ms). */
  operationLatency?(operation: OperationName, latencyMs: number): void;
}

export type { Workload } from '../workloads/workload.js';
import type { Workload } from '../workloads/workload.js';

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
