import type { LatencySummary } from '../metrics/latency-histogram.js';
import type { PromiseCheck } from '../schedules/overlap-check.js';
import type { ThresholdResult } from '../metrics/thresholds.js';
import type { ScheduleCounts, ScheduleReport } from '../shared/schedule-types.js';
import type { LatencyResult, ResultHeader, RunResult, ServerHealthResult } from './result.js';
import type { ServerHealthSnapshot } from '../metrics/server-health.js';
import { formatLatencyTable, formatServerHealth, formatThresholdLines } from './summary.js';
import { formatMillis } from './units.js';

/** The periodic line of a `schedules` run. */
export function formatScheduleLine(report: ScheduleReport): string {
  return (
    `Schedules: ${report.schedules} Fires: ${report.taken} Expected: ${report.expected} Missed: ${report.missed} ` +
    `Skipped: ${report.skipped} FireLag p50: ${formatMillis(report.fireLagP50Ms)} p99: ${formatMillis(report.fireLagP99Ms)}`
  );
}

export interface ScheduleSummaryInput {
  counts: ScheduleCounts;
  fireLag: LatencySummary;
  pickupLag: LatencySummary;
  /** Fires whose workflow no worker had picked up by the end. */
  notPickedUp: number;
  /** Fires taken more than an interval late (caught up after an outage). */
  caughtUp: number;
  /** Fired workflows that failed or timed out. */
  failedFires: number;
  /** The largest jitter the server applied, and the --jitter bound. */
  jitterMaxMs: number;
  jitterMs: number;
  overlap: string;
  checks: readonly PromiseCheck[];
  thresholds: readonly ThresholdResult[];
  elapsedMs: number;
  /** Fire times before their schedule was created: not expected of it. */
  dueBeforeCreated?: number;
  /** No fire time fell within --duration: the run only watched. */
  noFireDue?: { nextFireMs: number | undefined };
  /** Outages and refused calls seen by the polls and the direct load. */
  serverHealth?: ServerHealthSnapshot;
}

/** The end-of-run summary of a `schedules` run. Returns the text, prints nothing. */
export function formatScheduleSummary(input: ScheduleSummaryInput): string {
  const { counts } = input;
  const lines = [
    `Summary: ${counts.schedules} schedules, ${counts.expected} fires expected, ${counts.taken} taken, ${counts.skipped} skipped (overlap), ` +
      `${counts.missed} missed (catch-up window), ${counts.buffered} buffered, ${counts.unaccounted} unaccounted in ${formatMillis(input.elapsedMs)}`,
    ...formatLatencyTable([
      ['fire lag', input.fireLag],
      ['pickup lag', input.pickupLag],
    ]).map((line) => `  ${line}`),
    '  (fire lag: the server started the workflow − the fire was due, jitter included; pickup lag: a worker took its first task − it started)',
  ];
  if (input.noFireDue) {
    const next = input.noFireDue.nextFireMs;
    lines.push(`  no fire was due within --duration (next fire: ${next === undefined ? 'none within 5 years' : new Date(next).toISOString()}); nothing to measure`);
  }
  if (input.dueBeforeCreated) {
    lines.push(`  ${input.dueBeforeCreated} fire times came before their schedule existed (creating the schedules took that long): not expected of it`);
  }
  if (counts.recorded < counts.taken) {
    lines.push(`  lags cover ${counts.recorded} of ${counts.taken} fires (the server keeps a schedule's latest 10; more came between polls)`);
  }
  if (input.caughtUp > 0) {
    lines.push(
      `  taken more than an interval late: ${input.caughtUp} fires (held back by the overlap policy, caught up after an outage, or a scheduler behind); ` +
        `missed: ${counts.missed}`,
    );
  }
  if (input.failedFires > 0) lines.push(`  fired workflows failed or timed out: ${input.failedFires}`);
  if (input.jitterMs > 0) {
    const within = input.jitterMaxMs < input.jitterMs ? '✓ within' : '✗ beyond';
    lines.push(`  jitter: up to ${formatMillis(input.jitterMaxMs)} applied by the server (${within} --jitter ${formatMillis(input.jitterMs)})`);
  }
  const health = input.serverHealth && formatServerHealth(input.serverHealth);
  if (health) lines.push(`  server: ${health}`);
  if (input.notPickedUp > 0) lines.push(`  ${input.notPickedUp} fired workflows had no worker pick them up by the end (is a worker running on the task queue?)`);
  lines.push(`Overlap policy ${input.overlap}:`);
  for (const check of input.checks) lines.push(`  ${check.passed ? '✓' : '✗'} ${check.what} (${check.detail})`);
  lines.push(...formatThresholdLines(input.thresholds));
  return lines.join('\n');
}

/** The result of a `schedules` run, as `--json` writes it (schema: src/report/schedules-result.schema.json). */
export interface SchedulesResult extends ResultHeader {
  schemaVersion: 1;
  command: 'schedules';
  schedules: {
    ids: string[];
    spec: string;
    jitterSeconds: number;
    overlap: string;
    window: { start: string; end: string; firesEach: number };
    observedUntil: string;
    counts: ScheduleCounts;
    notPickedUp: number;
    caughtUp: number;
    failed: number;
    jitterMaxMs: number;
    deleted: boolean;
  };
  latency: { fireLag: LatencyResult; pickupLag: LatencyResult };
  overlapChecks: PromiseCheck[];
  thresholds: RunResult['thresholds'];
  directLoad: Record<string, unknown> | null;
  fires: Array<{ scheduleId: string; workflowId: string; scheduledAt: string; takenAt: string }>;
  /** What the server did besides answering, seen by the observer's polls and the direct load. */
  serverHealth: ServerHealthResult;
}
