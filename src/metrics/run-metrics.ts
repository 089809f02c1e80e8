import type { FailureKind } from '../errors.js';
import { LatencyHistogram } from './latency-histogram.js';
import type { OperationName } from '../shared/operations.js';
import { LaunchCounts } from './run-counters.js';

/**
 * One workflow type's launches (warm-up included) whose start the server acknowledged, and how they
 * ended: what --verify compares with the server's executions of that type.
 */
export class WorkflowTypeCounts {
  started = 0;
  completed = 0;
  failed = 0;
  readonly failuresByKind: Partial<Record<FailureKind, number>> = {};

  get inFlight(): number {
    return this.started - this.completed - this.failed;
  }

  copy(): WorkflowTypeCounts {
    const copy = new WorkflowTypeCounts();
    copy.started = this.started;
    copy.completed = this.completed;
    copy.failed = this.failed;
    Object.assign(copy.failuresByKind, this.failuresByKind);
    return copy;
  }
}

/** A launch is "measured" when its start (intended start in open loop) falls after the warm-up. */
export type Phase = 'warmup' | 'measured';

/**
 * Everything the run measures: counts of all launches, counts of the warm-up and the measured part
 * apart, and latency histograms of the measured part (whole run and current report interval).
 * Plain recording, no formatting.
 */
export class RunMetrics {
  /** Every launch, warm-up included: what the interval lines and the server verification use. */
  readonly all = new LaunchCounts();
  readonly warmup = new LaunchCounts();
  readonly measured = new LaunchCounts();

  /** Start RPC sent (or intended, open loop) → acknowledged. */
  readonly startLatency = LatencyHistogram.create();
  /** Start sent (or intended) → result received. */
  readonly e2eLatency = LatencyHistogram.create();
  /** Open loop: actual start − intended start, for every launch. */
  readonly startLateness = LatencyHistogram.create();
  /** --start-delay: first workflow task − (start request + delay), measured workflows. */
  readonly delayLag = LatencyHistogram.create();
  /** The current report interval's latencies (reset at each report). */
  readonly intervalStartLatency = LatencyHistogram.create();
  readonly intervalE2eLatency = LatencyHistogram.create();

  /** The workloads' per-operation latencies (signals, updates, ...), measured launches only; created on first use. */
  readonly operations = new Map<OperationName, LatencyHistogram>();
  /** History reads for operation latencies (and delay lag) that failed, or were skipped because too many were under way. */
  readonly historyReads = { failed: 0, skipped: 0 };

  /** Per workflow type launched (a mix launches several): counted when the caller names the type. */
  readonly byWorkflowType = new Map<string, WorkflowTypeCounts>();

  /** Open loop: arrivals due before the run stopped that never launched (held back by the cap). */
  missedArrivals = 0;

  private counts(phase: Phase): LaunchCounts {
    return phase === 'warmup' ? this.warmup : this.measured;
  }

  recordLaunch(phase: Phase, latenessMs?: number, late = false): void {
    this.all.launched++;
    this.counts(phase).launched++;
    if (late) {
      this.all.lateStarts++;
      this.counts(phase).lateStarts++;
    }
    if (latenessMs !== undefined && phase === 'measured') this.startLateness.recordMillis(latenessMs);
  }

  private typeCounts(workflowType: string): WorkflowTypeCounts {
    let counts = this.byWorkflowType.get(workflowType);
    if (!counts) {
      counts = new WorkflowTypeCounts();
      this.byWorkflowType.set(workflowType, counts);
    }
    return counts;
  }

  /** `workflowType`: the type the start created, counted per type for --verify. */
  recordStarted(phase: Phase, latencyMs: number, workflowType?: string): void {
    if (workflowType !== undefined) this.typeCounts(workflowType).started++;
    this.all.started++;
    this.counts(phase).started++;
    if (phase === 'measured') {
      this.startLatency.recordMillis(latencyMs);
      this.intervalStartLatency.recordMillis(latencyMs);
    }
  }

  /** A workflow done: its result arrived (or, start-only, its start was acknowledged: no e2e). */
  recordCompleted(phase: Phase, e2eMs: number | undefined, workflowType?: string): void {
    if (workflowType !== undefined) this.typeCounts(workflowType).completed++;
    this.all.completed++;
    this.counts(phase).completed++;
    if (phase === 'measured' && e2eMs !== undefined) {
      this.e2eLatency.recordMillis(e2eMs);
      this.intervalE2eLatency.recordMillis(e2eMs);
    }
  }

  /** `startedType`: the workflow's type, given only when it had started (a refused start created nothing on the server). */
  recordFailure(phase: Phase, kind: FailureKind, startedType?: string): void {
    if (startedType !== undefined) {
      const counts = this.typeCounts(startedType);
      counts.failed++;
      counts.failuresByKind[kind] = (counts.failuresByKind[kind] ?? 0) + 1;
    }
    this.all.recordFailure(kind);
    this.counts(phase).recordFailure(kind);
  }

  recordOperation(operation: OperationName, latencyMs: number): void {
    let histogram = this.operations.get(operation);
    if (!histogram) {
      histogram = LatencyHistogram.create();
      this.operations.set(operation, histogram);
    }
    histogram.recordMillis(latencyMs);
  }

  recordMissedArrival(): void {
    this.missedArrivals++;
  }

  resetInterval(): void {
    this.intervalStartLatency.reset();
    this.intervalE2eLatency.reset();
  }
}
