import type { LatencySummary } from '../metrics/latency-histogram.js';
import { metricKind, type ThresholdResult } from '../metrics/thresholds.js';
import type { ServerHealthSnapshot } from '../metrics/server-health.js';
import type { Verification } from '../metrics/verification.js';
import type { ClientCost } from './result.js';
import { OPERATION_NAMES, OPERATIONS, type OperationName } from '../shared/operations.js';
import type { RunStats } from '../shared/run-stats.js';
import { failuresText } from './lines.js';
import { formatMillis, formatNumber } from './units.js';

export interface SummaryInput {
  stats: RunStats;
  latency: { start: LatencySummary; e2e: LatencySummary; startLateness: LatencySummary; delayLag?: LatencySummary };
  /** The workload's per-operation latencies (absent or empty: an echo run, no rows). */
  operations?: Partial<Record<OperationName, { summary: LatencySummary } | LatencySummary>>;
  /** History reads behind operation latencies that failed or were skipped; a line only when there were any. */
  historyReads?: { failed: number; skipped: number };
  /** false: start-only run, there is no e2e latency. */
  wait: boolean;
  thresholds: readonly ThresholdResult[];
  /** The tool's own cost; shown when given. */
  client?: ClientCost;
  /** Throttling and outages; a line only when there were any. */
  serverHealth?: ServerHealthSnapshot;
}

const COLUMNS = ['count', 'min', 'mean', 'p50', 'p90', 'p95', 'p99', 'p99.9', 'max'] as const;

function latencyRow(name: string, summary: LatencySummary, format: (ms: number) => string = formatMillis): string[] {
  const { count, min, mean, p50, p90, p95, p99, p999, max } = summary;
  if (count === 0) return [name, '0', ...Array<string>(COLUMNS.length - 1).fill('-')];
  return [name, String(count), ...[min, mean, p50, p90, p95, p99, p999, max].map(format)];
}

/** The server's event times are whole milliseconds: a history latency under 1 ms is two events in one millisecond. */
const serverMillis = (ms: number): string => (ms < 1 ? '<1ms' : formatMillis(ms));

/** One row per measured operation, in the operation table's order, named as thresholds name it. */
function operationRows(operations: NonNullable<SummaryInput['operations']>): string[][] {
  return OPERATION_NAMES.flatMap((name) => {
    const operation = operations[name];
    if (!operation) return [];
    const format = OPERATIONS[name].source === 'history' ? serverMillis : formatMillis;
    return [latencyRow(name, 'summary' in operation ? operation.summary : operation, format)];
  });
}

/** Left-aligns the first column and right-aligns the others. */
function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) =>
    row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ').trimEnd(),
  );
}

/** A threshold's measured value in its metric's units; null or NaN when nothing was measured. */
export function formatThresholdValue(metric: string, value: number | null): string {
  if (value === null || Number.isNaN(value)) return 'no samples';
  if (metricKind(metric) === 'latency') return formatMillis(value);
  return metric === 'failed.rate' ? `${(value * 100).toFixed(2)}%` : formatNumber(value);
}

/** The end-of-run summary (k6-style), printed after the core's end line. Returns the text, prints nothing. */
export function formatSummary({ stats, latency, operations, historyReads, wait, thresholds, client, serverHealth }: SummaryInput): string {
  const { measured, warmup } = stats;
  const lines: string[] = [];
  const warmupNote =
    stats.warmupMs > 0
      ? ` after a ${formatMillis(stats.warmupMs)} warm-up (warm-up: ${warmup.launched} launched, ${warmup.completed} completed, ${warmup.failed} failed, not counted below)`
      : '';
  lines.push(
    `Summary: ${measured.launched} launched, ${measured.started} started, ${measured.completed} completed, ` +
      `${measured.failed} failed in ${formatMillis(measured.seconds * 1000)}${warmupNote}`,
  );
  const rows = [['latency', ...COLUMNS], latencyRow('start', latency.start)];
  if (wait) rows.push(latencyRow('e2e', latency.e2e));
  if (stats.loadModel === 'open') rows.push(latencyRow('start lateness', latency.startLateness));
  if (latency.delayLag) rows.push(latencyRow('delay lag', latency.delayLag));
  rows.push(...operationRows(operations ?? {}));
  lines.push(...table(rows).map((line) => `  ${line}`));
  if (historyReads && historyReads.failed + historyReads.skipped > 0) {
    lines.push(`  history reads: ${historyReads.failed} failed, ${historyReads.skipped} skipped (too many under way); their operation samples are missing`);
  }
  lines.push(
    `  throughput: ${measured.completedPerSecond.toFixed(2)} completed/s, ${measured.startedPerSecond.toFixed(2)} started/s`,
  );
  if (stats.loadModel === 'open') {
    lines.push(`  late starts: ${measured.lateStarts}, arrivals never started: ${stats.missedArrivals}`);
    lines.push('  (open loop: latencies are measured from each workflow\'s intended start time)');
  }
  lines.push(`  failures: ${failuresText(measured.failuresByKind)}`);
  const health = serverHealth && formatServerHealth(serverHealth);
  if (health) lines.push(`  server: ${health}`);
  if (client) {
    const cpu = client.cpuUserSeconds + client.cpuSystemSeconds;
    lines.push(
      `  sched-bench itself: ${formatMillis(client.cpuMsPerCompleted)} CPU per workflow (${formatMillis(cpu * 1000)} in all` +
        `${client.embeddedWorker ? ', embedded worker included' : ''}), peak memory ${client.maxRssMegabytes.toFixed(0)} MB`,
    );
  }
  lines.push(...formatThresholdLines(thresholds));
  return lines.join('\n');
}

/** "unavailable 8.40s in 1 outage, 120 start attempts throttled (RESOURCE_EXHAUSTED)", or undefined when neither happened. */
export function formatServerHealth(health: ServerHealthSnapshot): string | undefined {
  const parts: string[] = [];
  if (health.outages.length > 0) {
    const open = health.outages.some((outage) => outage.endMs === undefined) ? ', still away at the end' : '';
    parts.push(`unavailable ${formatMillis(health.unavailableMs)} in ${plural(health.outages.length, 'outage')}${open}`);
  }
  if (health.throttledAttempts > 0) parts.push(`${plural(health.throttledAttempts, 'start attempt')} throttled (RESOURCE_EXHAUSTED)`);
  if (parts.length === 0) return undefined;
  return parts.join(', ');
}

const plural = (count: number, noun: string): string => `${count} ${noun}${count === 1 ? '' : 's'}`;

/** A latency table (header row, then one row per named latency), as the summaries show it. */
export function formatLatencyTable(rows: Array<[string, LatencySummary]>): string[] {
  return table([['latency', ...COLUMNS], ...rows.map(([name, summary]) => latencyRow(name, summary))]);
}

/** "Thresholds:" and a ✓/✗ line per threshold with its measured value; nothing without thresholds. */
export function formatThresholdLines(thresholds: readonly ThresholdResult[]): string[] {
  if (thresholds.length === 0) return [];
  return ['Thresholds:', ...thresholds.map((result) => `  ${result.passed ? '✓' : '✗'} ${result.expression} (${formatThresholdValue(result.metric, result.value)})`)];
}

/** The --verify block: the tool's counts next to the server's, row by row. */
export function formatVerification(runId: string, verification: Verification): string {
  if (verification.error) return `Verification against the server (workflows of run ${runId}): ✗ could not count: ${verification.error}`;
  const header = `Verification against the server (workflows of run ${runId}): ${verification.matches ? '✓ counts match' : '✗ counts differ'}`;
  // One workflow type (echo, ...): the rows as they always were; several (a parent and its children, a mix): named.
  const named = new Set(verification.rows.map((row) => row.workflowType)).size > 1;
  const rows = table([
    ['', 'tool', 'server', ''],
    ...verification.rows.map((row) => [
      named && row.workflowType ? `${row.workflowType} ${row.what}` : row.what,
      row.toolMax === undefined ? String(row.tool) : `${row.tool}..${row.toolMax}`,
      String(row.server),
      row.matches ? '✓' : '✗',
    ]),
  ]);
  return [header, ...rows.map((line) => `  ${line}`)].join('\n');
}
