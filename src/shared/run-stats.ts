/** What a load run reports: its counts, interval reports and why it stopped (read by metrics, report and the CLI). */
import type { FailureKind } from '../errors.js';

/** One k6-style stage: move linearly to `target` over `durationMs`. */
export interface Stage {
  durationMs: number;
  /** Starts per second (open loop) or workflows in flight (closed loop) at the end of the stage. */
  target: number;
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
  /**
   * This interval's latencies (those of p50/p99) as an encoded HDR histogram, when the run asked for it
   * (an agent's heartbeat carries it, so the coordinator's client merges percentiles exactly).
   */
  latencyHistogram?: string;
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
