import type { LatencyHistogram, LatencySummary } from '../metrics/latency-histogram.js';
import { pickCounts } from '../metrics/run-counters.js';
import type { IntervalPoint } from '../metrics/interval-series.js';
import type { ThresholdResult } from '../metrics/thresholds.js';
import type { ServerHealthSnapshot } from '../metrics/server-health.js';
import type { Verification } from '../metrics/verification.js';
import type { ClientCost } from '../metrics/client-cost.js';
import { OPERATION_NAMES, type OperationName } from '../shared/operations.js';
import type { ScheduleCounts, ScheduleReport } from '../shared/schedule-types.js';
import type { IntervalReport, LaunchCountsSnapshot, LoadModel, RunStats } from '../shared/run-stats.js';
import { workloadName, type Workload } from '../workloads/workload.js';

/**
 * The run result's schema version. 2 added `workload`, `operations` and `historyReads`, and the
 * workflow type of each verification row; `report` still reads version 1 (read-result.ts).
 */
export const RESULT_SCHEMA_VERSION = 2;

export interface LatencyResult extends LatencySummary {
  unit: 'ms';
  /** HdrHistogram compressed base64 (V2 encoding) of the values in µs: merge runs exactly by decoding and adding. */
  encoded: string;
}

/** What every `--json` document begins with (runs, schedules runs, capacity searches). */
export interface ResultHeader {
  tool: { name: 'sched-bench'; version: string };
  runId: string;
  /** The resolved configuration, secrets replaced by "[redacted]". */
  config: Record<string, unknown>;
  startedAt: string;
  endedAt: string;
  /** true when a signal ended the run before its natural end. */
  interrupted: boolean;
  exitCode: number;
  server: { address: string; namespace: string; taskQueue: string; version: string | null };
}

/** The whole result of a run, as `--json` writes it (schema: src/report/result.schema.json). */
export interface RunResult extends ResultHeader {
  schemaVersion: typeof RESULT_SCHEMA_VERSION;
  command: 'run' | 'infinite';
  stopReason: RunStats['stopReason'];
  sdk: Record<string, string>;
  loadModel: LoadModel & { wait: boolean };
  elapsedSeconds: number;
  /** Every launch, warm-up included (what the progress lines count). */
  counts: LaunchCountsSnapshot & { missedArrivals: number };
  warmup: LaunchCountsSnapshot & { seconds: number };
  /** Launches after the warm-up: what the summary, the latencies and the thresholds use. */
  measured: LaunchCountsSnapshot & { seconds: number };
  throughput: { completedPerSecond: number; startedPerSecond: number };
  /** What each launch ran: the --workload name and its parameters. */
  workload: WorkloadResult;
  /** delayLag: with --start-delay (and waiting for results) only. */
  latency: { start: LatencyResult; e2e: LatencyResult; startLateness: LatencyResult; delayLag?: LatencyResult };
  /** The workload's per-operation latencies (src/shared/operations.ts), only those the run measured, in that table's order. */
  operations: OperationLatencies<LatencyResult>;
  /** History reads behind operation latencies that failed, or were skipped (too many under way): their samples are missing. */
  historyReads: { failed: number; skipped: number };
  thresholds: Array<{ expression: string; metric: string; operator: string; limit: number; value: number | null; passed: boolean }>;
  verification: Verification | null;
  intervals: { compactions: number; points: IntervalPoint[] };
  /** The load process's own cost (includes an embedded worker's, when there is one). */
  client: ClientCost;
  drain: DrainOutcome;
  /** What the server did besides answering: throttled and unavailable attempts (retried), outages. */
  serverHealth: ServerHealthResult;
  /** With --agents only: every slice attempt and how it ended (the merged figures are the finished ones'). */
  slices?: SliceRecord[];
  /** Open loop only (absent in results of older versions): what a capacity step over agents judges a slice by. */
  openLoop?: OpenLoopResult;
}

/** An open loop's measured window and the arrivals its in-flight cap held back (SchedulerService's exact counts). */
export interface OpenLoopResult {
  /** Measured arrivals due while the in-flight cap was full: launched late or never. */
  heldByCap: number;
  /** The measured window as it elapsed: from the warm-up's end until launching stopped (the drain excluded). */
  windowSeconds: number;
}

/** One slice attempt of a run over agents: a rerun after a loss is another attempt (same index, shard `<shard>r<n>`). */
export interface SliceRecord {
  index: number;
  shard: string;
  /** The agent that ran it (null: none took it, or none is known). */
  agent: string | null;
  status: 'finished' | 'lost' | 'failed' | 'not-taken';
  /** Why it did not finish; for a finished rerun, how its remainder was counted; else null. */
  reason: string | null;
  /** Finished: its result's counts; lost or failed: its last heartbeat's (null: none came); not-taken: null. */
  counts: { launched: number; started: number; completed: number; failed: number; inFlight: number } | null;
}

export interface ServerHealthResult {
  throttledAttempts: number;
  unavailableAttempts: number;
  unavailableSeconds: number;
  outages: Array<{ start: string; end: string | null; seconds: number }>;
}

/** How the wait for in-flight workflows after the stop ended (--drain-timeout, --on-stop). */
export interface DrainOutcome {
  timeoutSeconds: number | null;
  timedOut: boolean;
  /** Workflows still running when the run ended. */
  leftInFlight: number;
  onStop: 'leave' | 'terminate';
  /** Of those, terminated by sched-bench (--on-stop terminate). */
  terminated: number;
}

export type { ClientCost } from '../metrics/client-cost.js';

/** Per-operation latencies by operation name. */
export type OperationLatencies<T> = Partial<Record<OperationName, T>>;

/** A workload as the results name it: the --workload name and its parameters (a mix: its parts by weight). */
export interface WorkloadResult {
  name: string;
  /** custom: the workflow type started. */
  workflowType?: string;
  /** echo: activities per workflow, their delay (ms), local activities. */
  count?: number;
  activityDelayMs?: number;
  localActivities?: boolean;
  signals?: number;
  updates?: number;
  queries?: number;
  children?: number;
  timerDurationMs?: number;
  iterations?: number;
  /** mix: the seed of the draw and the parts with their weights. */
  seed?: number;
  parts?: Array<WorkloadResult & { weight: number }>;
}

/** The workload's name and parameters (the echo message and custom inputs are in `config`, not repeated here). */
export function workloadResult(workload: Workload): WorkloadResult {
  const name = workloadName(workload);
  switch (workload.kind) {
    case 'echo': {
      const { count, activityDelayMs, localActivities } = workload;
      return {
        name, ...(count !== undefined ? { count } : {}), ...(activityDelayMs ? { activityDelayMs } : {}), ...(localActivities ? { localActivities } : {}),
      };
    }
    case 'custom': return { name, workflowType: workload.workflowType };
    case 'signal': return { name, signals: workload.signals };
    case 'update': return { name, updates: workload.updates };
    case 'query': return { name, queries: workload.queries };
    case 'child': return { name, children: workload.children };
    case 'timer': return { name, timerDurationMs: workload.durationMs };
    case 'continue-as-new': return { name, iterations: workload.iterations };
    case 'mix': return { name, seed: workload.seed, parts: workload.parts.map((part) => ({ ...workloadResult(part.workload), weight: part.weight })) };
  }
}

/** The per-operation results, in the operation table's order, only the operations measured. */
export function operationResults<T>(operations: OperationLatencies<{ histogram: LatencyHistogram }>, of: (histogram: LatencyHistogram) => T): OperationLatencies<T> {
  const results: OperationLatencies<T> = {};
  for (const name of OPERATION_NAMES) {
    const operation = operations[name];
    if (operation) results[name] = of(operation.histogram);
  }
  return results;
}

export interface ResultInput {
  version: string;
  runId: string;
  command: 'run' | 'infinite';
  config: Record<string, unknown>;
  startedAt: Date;
  endedAt: Date;
  interrupted: boolean;
  exitCode: number;
  server: RunResult['server'];
  sdk: Record<string, string>;
  loadModel: LoadModel;
  wait: boolean;
  stats: RunStats;
  histograms: { start: LatencyHistogram; e2e: LatencyHistogram; startLateness: LatencyHistogram; delayLag?: LatencyHistogram };
  workload: Workload;
  /** The operations the run measured (absent: none). */
  operations?: OperationLatencies<{ histogram: LatencyHistogram }>;
  historyReads?: { failed: number; skipped: number };
  thresholds: readonly ThresholdResult[];
  verification: Verification | undefined;
  intervals: { compactions: number; points: IntervalPoint[] };
  client: ClientCost;
  drain: DrainOutcome;
  serverHealth: ServerHealthSnapshot;
  openLoop?: OpenLoopResult;
}

/** A latency as the JSON results carry it: the summary in ms plus the encoded histogram. */
export function latencyResult(histogram: LatencyHistogram): LatencyResult {
  return { unit: 'ms', ...histogram.summary(), encoded: histogram.encode() };
}

/** Threshold results as the JSON results carry them (a value with nothing measured is null). */
export function thresholdRecords(thresholds: readonly ThresholdResult[]): RunResult['thresholds'] {
  return thresholds.map(({ expression, metric, operator, limit, value, passed }) => ({
    expression, metric, operator, limit, value: Number.isNaN(value) ? null : value, passed,
  }));
}


/** Assembles the result document. Pure: reads the stats and histograms, formats nothing for people. */
export function buildRunResult(input: ResultInput): RunResult {
  const { stats } = input;
  return {
    schemaVersion: RESULT_SCHEMA_VERSION,
    tool: { name: 'sched-bench', version: input.version },
    runId: input.runId,
    command: input.command,
    config: input.config,
    startedAt: input.startedAt.toISOString(),
    endedAt: input.endedAt.toISOString(),
    interrupted: input.interrupted,
    stopReason: stats.stopReason,
    exitCode: input.exitCode,
    server: input.server,
    sdk: input.sdk,
    loadModel: { ...input.loadModel, wait: input.wait },
    workload: workloadResult(input.workload),
    elapsedSeconds: stats.elapsedMs / 1000,
    counts: { ...pickCounts(stats), missedArrivals: stats.missedArrivals },
    warmup: { ...pickCounts(stats.warmup), seconds: stats.warmupMs / 1000 },
    measured: { ...pickCounts(stats.measured), seconds: stats.measured.seconds },
    throughput: {
      completedPerSecond: stats.measured.completedPerSecond,
      startedPerSecond: stats.measured.startedPerSecond,
    },
    latency: {
      start: latencyResult(input.histograms.start),
      e2e: latencyResult(input.histograms.e2e),
      startLateness: latencyResult(input.histograms.startLateness),
      ...(input.histograms.delayLag ? { delayLag: latencyResult(input.histograms.delayLag) } : {}),
    },
    operations: operationResults(input.operations ?? {}, latencyResult),
    historyReads: { failed: input.historyReads?.failed ?? 0, skipped: input.historyReads?.skipped ?? 0 },
    thresholds: thresholdRecords(input.thresholds),
    verification: input.verification ?? null,
    intervals: input.intervals,
    client: input.client,
    drain: input.drain,
    serverHealth: serverHealthResult(input.serverHealth, input.endedAt.getTime()),
    ...(input.openLoop ? { openLoop: input.openLoop } : {}),
  };
}

export function serverHealthResult(health: ServerHealthSnapshot, endMs: number): ServerHealthResult {
  return {
    throttledAttempts: health.throttledAttempts,
    unavailableAttempts: health.unavailableAttempts,
    unavailableSeconds: health.unavailableMs / 1000,
    outages: health.outages.map(({ startMs, endMs: outageEnd }) => ({
      start: new Date(startMs).toISOString(),
      end: outageEnd === undefined ? null : new Date(outageEnd).toISOString(),
      seconds: ((outageEnd ?? endMs) - startMs) / 1000,
    })),
  };
}

/**
 * NDJSON (`--ndjson`): one record per line, each with a `type` (schema: src/report/ndjson-record.schema.json).
 * run/infinite: `interval` records, then one `end`; schedules: `schedules` records, then one `end`.
 */
export type NdjsonRecord = ReturnType<typeof intervalRecord> | RunEndRecord | ReturnType<typeof scheduleRecord> | SchedulesEndRecord;

/** One NDJSON line per report interval (`--ndjson`), for live scraping. */
export function intervalRecord(runId: string, report: IntervalReport) {
  return {
    type: 'interval' as const,
    runId,
    t: Math.round(report.elapsedMs) / 1000,
    seconds: Math.round(report.intervalMs) / 1000,
    inFlight: report.inFlight,
    started: report.started,
    completed: report.completed,
    failed: report.failed,
    rate: report.rate,
    p50: report.latencyP50Ms,
    p99: report.latencyP99Ms,
    lateStarts: report.lateStarts,
  };
}

/**
 * The interval from the last report to the end of the run, which no timer reported: `last` is the last
 * report (none: the run was shorter than one interval), `latency` the percentiles since then.
 */
export function finalInterval(
  last: Pick<IntervalReport, 'elapsedMs' | 'completed'> | undefined,
  stats: RunStats,
  latency: { p50: number; p99: number },
): IntervalReport | undefined {
  const intervalMs = stats.elapsedMs - (last?.elapsedMs ?? 0);
  if (intervalMs <= 0) return undefined;
  const completedInInterval = stats.completed - (last?.completed ?? 0);
  return {
    elapsedMs: stats.elapsedMs, intervalMs, inFlight: stats.inFlight, started: stats.started, completed: stats.completed,
    failed: stats.failed, completedInInterval, rate: completedInInterval / (intervalMs / 1000),
    latencyP50Ms: latency.p50, latencyP99Ms: latency.p99, lateStarts: stats.lateStarts,
  };
}

/** The thresholds' verdict as the end records carry it: null when none were given. */
function thresholdVerdict(thresholds: readonly ThresholdResult[]) {
  return { passed: thresholds.length === 0 ? null : thresholds.every((threshold) => threshold.passed), results: thresholdRecords(thresholds) };
}

export interface RunEndInput {
  runId: string;
  command: 'run' | 'infinite';
  stats: RunStats;
  interrupted: boolean;
  exitCode: number;
  latency: { start: LatencySummary; e2e: LatencySummary };
  /** The operations the run measured (absent: none), summarized as `latency` is. */
  operations?: OperationLatencies<{ summary: LatencySummary }>;
  historyReads?: { failed: number; skipped: number };
  thresholds: readonly ThresholdResult[];
}

export type RunEndRecord = ReturnType<typeof runEndRecord>;

/** The last NDJSON line of a run/infinite: the totals and the verdict, so a reader of the stream sees the end. */
export function runEndRecord(input: RunEndInput) {
  const { stats } = input;
  return {
    type: 'end' as const,
    runId: input.runId,
    command: input.command,
    t: Math.round(stats.elapsedMs) / 1000,
    stopReason: stats.stopReason,
    interrupted: input.interrupted,
    exitCode: input.exitCode,
    counts: { ...pickCounts(stats), missedArrivals: stats.missedArrivals },
    measured: { ...pickCounts(stats.measured), seconds: stats.measured.seconds },
    throughput: { completedPerSecond: stats.measured.completedPerSecond, startedPerSecond: stats.measured.startedPerSecond },
    latency: input.latency,
    operations: operationSummaries(input.operations ?? {}),
    historyReads: { failed: input.historyReads?.failed ?? 0, skipped: input.historyReads?.skipped ?? 0 },
    thresholds: thresholdVerdict(input.thresholds),
  };
}

function operationSummaries(operations: OperationLatencies<{ summary: LatencySummary }>): OperationLatencies<LatencySummary> {
  const summaries: OperationLatencies<LatencySummary> = {};
  for (const name of OPERATION_NAMES) {
    const operation = operations[name];
    if (operation) summaries[name] = operation.summary;
  }
  return summaries;
}

/** One NDJSON line per report interval of a `schedules` run. */
export function scheduleRecord(runId: string, report: ScheduleReport) {
  return { type: 'schedules' as const, runId, t: Math.round(report.elapsedMs) / 1000, ...report };
}

export interface SchedulesEndInput {
  runId: string;
  elapsedMs: number;
  stopReason: 'window-done' | 'stopped';
  exitCode: number;
  counts: ScheduleCounts;
  failedFires: number;
  latency: { fireLag: LatencySummary; pickupLag: LatencySummary };
  thresholds: readonly ThresholdResult[];
}

export type SchedulesEndRecord = ReturnType<typeof schedulesEndRecord>;

/** The last NDJSON line of a `schedules` run: the final counts, lags and verdict. */
export function schedulesEndRecord(input: SchedulesEndInput) {
  return {
    type: 'end' as const,
    runId: input.runId,
    command: 'schedules' as const,
    t: Math.round(input.elapsedMs) / 1000,
    stopReason: input.stopReason,
    interrupted: input.stopReason === 'stopped',
    exitCode: input.exitCode,
    counts: input.counts,
    failedFires: input.failedFires,
    latency: input.latency,
    thresholds: thresholdVerdict(input.thresholds),
  };
}
