import type { FailureKind } from '../errors.js';
import type { ClientCost, ClientCostMeter } from '../metrics/client-cost.js';
import type { IntervalPoint, IntervalSeries } from '../metrics/interval-series.js';
import type { LatencyHistogram, LatencySummary } from '../metrics/latency-histogram.js';
import { RunMetrics } from '../metrics/run-metrics.js';
import type { ServerHealth, ServerHealthEvent, ServerHealthSnapshot } from '../metrics/server-health.js';
import { evaluateThresholds, type Threshold, type ThresholdResult } from '../metrics/thresholds.js';
import type { Verification } from '../metrics/verification.js';
import { finalInterval, type DrainOutcome, type OpenLoopResult } from '../report/result.js';
import { OPERATION_NAMES, type OperationName } from '../shared/operations.js';
import type { RunWatchEvent } from '../scheduler/run-watch.js';
import type { SchedulerService } from '../scheduler/scheduler-service.js';
import type { IntervalReport, LoadModel, RunMode, RunStats, Workload } from '../scheduler/types.js';
import type { LoadSpec } from './load-spec.js';
import type { SessionEvent } from './session.js';

/** What a load run tells as it goes; the caller decides what to show. */
export type LoadEvent =
  | SessionEvent
  | { type: 'shared-run'; runId: string; workflowIdPrefix: string }
  /** Connected, set up, about to launch: the run's address is known now. */
  | { type: 'load-started'; runId: string; address: string }
  | { type: 'interval'; report: IntervalReport }
  /** Launching and the drain are over (what follows: terminating leftovers, --verify, the tear-down). */
  | { type: 'load-ended'; stats: RunStats }
  /** A workflow failed (every failure; callers usually show the first of each kind). */
  | { type: 'failure'; kind: FailureKind; error: unknown }
  | { type: 'server-health'; event: ServerHealthEvent }
  | { type: 'watch'; event: RunWatchEvent; address: string }
  /** Workflows a failed operation left waiting for ever (a signal, update or query that never came), terminated. */
  | { type: 'stranded-terminated'; stranded: number; terminated: number }
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
  /** What each launch ran (spec.workload). */
  workload: Workload;
  stats: RunStats;
  histograms: { start: LatencyHistogram; e2e: LatencyHistogram; startLateness: LatencyHistogram; delayLag?: LatencyHistogram };
  latency: { start: LatencySummary; e2e: LatencySummary; startLateness: LatencySummary; delayLag?: LatencySummary };
  /** The workload's per-operation latencies (signals, updates, ...), in OPERATIONS order; only those measured. */
  operations: Partial<Record<OperationName, { histogram: LatencyHistogram; summary: LatencySummary }>>;
  /** History reads behind the operation latencies (and delay lag) that failed or were skipped (too many under way). */
  historyReads: { failed: number; skipped: number };
  thresholds: ThresholdResult[];
  verification: Verification | undefined;
  intervals: { compactions: number; points: IntervalPoint[] };
  client: ClientCost;
  serverHealth: ServerHealthSnapshot;
  drain: DrainOutcome;
  /** The time since the last interval report, which no report covered (undefined when nothing happened since). */
  finalInterval: IntervalReport | undefined;
  /** Open loop: the measured window and the arrivals the in-flight cap held back (undefined: closed loop, or no load). */
  openLoop?: OpenLoopResult;
}

/** What a load run has gathered by its end (or by the moment a forced exit asks). */
export interface LoadRunParts {
  spec: LoadSpec;
  runId: string;
  startedAt: Date;
  address: string;
  serverVersion: string | null;
  sdk: Record<string, string>;
  /** Unset when the load never began. */
  scheduler: SchedulerService | undefined;
  series: IntervalSeries;
  meter: ClientCostMeter;
  health: ServerHealth;
  terminated: number;
  lastReport: IntervalReport | undefined;
}

/** What thresholds are judged on: a run's measured latencies and counts (one process's, or a distributed run's merged result). */
export interface ThresholdSubject {
  latency: { start: LatencySummary; e2e: LatencySummary; startLateness: LatencySummary; delayLag?: LatencySummary };
  operations: Partial<Record<OperationName, LatencySummary>>;
  /** start_lateness means something in an open loop only. */
  openLoop: boolean;
  measured: { completed: number; failed: number; completedPerSecond: number };
}

/** The thresholds judged on a run's measured latencies and counts. */
export function judgeThresholds(thresholds: readonly Threshold[], subject: ThresholdSubject): ThresholdResult[] {
  const { latency, measured } = subject;
  return evaluateThresholds(thresholds, {
    latency: {
      ...subject.operations,
      start: latency.start, e2e: latency.e2e, ...(subject.openLoop ? { start_lateness: latency.startLateness } : {}),
      ...(latency.delayLag ? { delay_lag: latency.delayLag } : {}),
    },
    completed: measured.completed, failed: measured.failed, completedPerSecond: measured.completedPerSecond,
  });
}

/** The result of a load run from what it gathered: latencies, thresholds judged, the interval no report covered. */
export function loadResultOf(parts: LoadRunParts, stats: RunStats, interrupted: boolean, verification: Verification | undefined): LoadResult {
    const { spec, scheduler } = parts;
    const metrics = scheduler?.metrics ?? new RunMetrics();
    const measuresDelayLag = spec.startDelayMs !== undefined && spec.wait; // it needs the workflow's first task
    const latency = {
      start: metrics.startLatency.summary(), e2e: metrics.e2eLatency.summary(), startLateness: metrics.startLateness.summary(),
      ...(measuresDelayLag ? { delayLag: metrics.delayLag.summary() } : {}),
    };
    const operations = operationsOf(metrics);
    const thresholds = judgeThresholds(spec.thresholds, {
      latency, openLoop: spec.loadModel.kind === 'open', measured: stats.measured,
      operations: Object.fromEntries(Object.entries(operations).map(([name, operation]) => [name, operation.summary])),
    });
    const interval = spec.wait ? metrics.intervalE2eLatency : metrics.intervalStartLatency;
    const endedAt = new Date();
    return {
      runId: parts.runId, mode: spec.mode, startedAt: parts.startedAt, endedAt, interrupted,
      server: { address: parts.address, namespace: spec.namespace, taskQueue: spec.taskQueue, version: parts.serverVersion },
      sdk: parts.sdk, loadModel: scheduler?.loadModel ?? spec.loadModel, wait: spec.wait, workload: spec.workload, stats,
      histograms: {
        start: metrics.startLatency, e2e: metrics.e2eLatency, startLateness: metrics.startLateness,
        ...(measuresDelayLag ? { delayLag: metrics.delayLag } : {}),
      },
      latency, operations, historyReads: { ...metrics.historyReads }, thresholds, verification,
      intervals: { compactions: parts.series.compactions, points: parts.series.toArray() },
      client: parts.meter.read(stats.completed),
      serverHealth: parts.health.snapshot(endedAt.getTime()),
      drain: {
        timeoutSeconds: spec.drain.timeout ?? null, timedOut: stats.drainTimedOut, leftInFlight: stats.inFlight,
        onStop: spec.drain.onStop, terminated: parts.terminated,
      },
      finalInterval: scheduler
        ? finalInterval(parts.lastReport, stats, { p50: interval.percentileMillis(50), p99: interval.percentileMillis(99) })
        : undefined,
      ...(scheduler && spec.loadModel.kind === 'open'
        ? { openLoop: { heldByCap: scheduler.measuredArrivalsHeldByCap(), windowSeconds: scheduler.measuredWindowMs() / 1000 } }
        : {}),
    };
  }

/** The operation histograms the run filled, in the table's order (so every output lists them alike). */
function operationsOf(metrics: RunMetrics): LoadResult['operations'] {
  const operations: LoadResult['operations'] = {};
  for (const name of OPERATION_NAMES) {
    const histogram = metrics.operations.get(name);
    if (histogram) operations[name] = { histogram, summary: histogram.summary() };
  }
  return operations;
}
