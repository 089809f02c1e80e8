import type { LatencyHistogram, LatencySummary } from '../metrics/latency-histogram.js';
import { pickCounts } from '../metrics/run-counters.js';
import type { IntervalPoint } from '../metrics/interval-series.js';
import type { ThresholdResult } from '../metrics/thresholds.js';
import type { ServerHealthSnapshot } from '../metrics/server-health.js';
import type { Verification } from '../metrics/verification.js';
import type { ClientCost } from '../metrics/client-cost.js';
import type { ScheduleCounts, ScheduleReport } from '../shared/schedule-types.js';
import type { IntervalReport, LaunchCountsSnapshot, LoadModel, RunStats } from '../shared/run-stats.js';

export const RESULT_SCHEMA_VERSION = 1;

export interface LatencyResult extends LatencySummary {
  unit: 'ms';
  /** HdrHistogram compressed base64 (V2 encoding) of the values in µs: merge runs exactly by decoding and adding. */
  encoded: string;
}

/** The whole result of a run, as `--json` writes it (schema: src/report/result.schema.json). */
export interface RunResult {
  schemaVersion: typeof RESULT_SCHEMA_VERSION;
  tool: { name: 'sched-bench'; version: string };
  runId: string;
  command: 'run' | 'infinite';
  /** The resolved configuration, secrets replaced by "[redacted]". */
  config: Record<string, unknown>;
  startedAt: string;
  endedAt: string;
  /** true when a signal ended the run before its natural end. */
  interrupted: boolean;
  stopReason: RunStats['stopReason'];
  exitCode: number;
  server: { address: string; namespace: string; taskQueue: string; version: string | null };
  sdk: Record<string, string>;
  loadModel: LoadModel & { wait: boolean };
  elapsedSeconds: number;
  /** Every launch, warm-up included (what the progress lines count). */
  counts: LaunchCountsSnapshot & { missedArrivals: number };
  warmup: LaunchCountsSnapshot & { seconds: number };
  /** Launches after the warm-up: what the summary, the latencies and the thresholds use. */
  measured: LaunchCountsSnapshot & { seconds: number };
  throughput: { completedPerSecond: number; startedPerSecond: number };
  /** delayLag: with --start-delay (and waiting for results) only. */
  latency: { start: LatencyResult; e2e: LatencyResult; startLateness: LatencyResult; delayLag?: LatencyResult };
  thresholds: Array<{ expression: string; metric: string; operator: string; limit: number; value: number | null; passed: boolean }>;
  verification: Verification | null;
  intervals: { compactions: number; points: IntervalPoint[] };
  /** The load process's own cost (includes an embedded worker's, when there is one). */
  client: ClientCost;
  drain: DrainOutcome;
  /** What the server did besides answering: throttled and unavailable attempts (retried), outages. */
  serverHealth: ServerHealthResult;
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
  thresholds: readonly ThresholdResult[];
  verification: Verification | undefined;
  intervals: { compactions: number; points: IntervalPoint[] };
  client: ClientCost;
  drain: DrainOutcome;
  serverHealth: ServerHealthSnapshot;
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
    thresholds: thresholdRecords(input.thresholds),
    verification: input.verification ?? null,
    intervals: input.intervals,
    client: input.client,
    drain: input.drain,
    serverHealth: serverHealthResult(input.serverHealth, input.endedAt.getTime()),
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
    thresholds: thresholdVerdict(input.thresholds),
  };
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
