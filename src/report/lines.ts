import type { ServerHealthEvent } from '../metrics/server-health.js';
import type { IntervalReport, RunMode, RunStats } from '../scheduler/types.js';
import { formatMillis } from './units.js';

/** What the start line names; a subset of the resolved configuration. */
export interface StartLineInfo {
  mode: RunMode;
  runId: string;
  address: string;
  namespace: string;
  taskQueue: string;
  concurrency: number;
  reportInterval: number;
  wait: boolean;
  totalWorkflows?: number;
  maxRuntime?: number;
}

const seconds = (ms: number): string => (ms / 1000).toFixed(2);

function failedSuffix(failed: number): string {
  return failed > 0 ? ` Failed: ${failed}` : '';
}

export function formatStartLine(info: StartLineInfo): string {
  const scope =
    info.mode === 'batch'
      ? `total=${info.totalWorkflows}`
      : `maxRuntime=${info.maxRuntime ? `${info.maxRuntime}s` : 'none'}`;
  return (
    `Starting ${info.mode} scheduler: ${scope} concurrency=${info.concurrency} taskQueue=${info.taskQueue} ` +
    `namespace=${info.namespace} reportInterval=${info.reportInterval}s wait=${info.wait} ` +
    `address=${info.address} runId=${info.runId}`
  );
}

/** `Concurrent: 8 Workflows: 45 Rate: 4.50`, plus ` Failed: N` once anything failed. */
export function formatIntervalLine(report: IntervalReport): string {
  return `Concurrent: ${report.inFlight} Workflows: ${report.completed} Rate: ${report.rate.toFixed(2)}${failedSuffix(report.failed)}`;
}

/** The last line of a run: batch or infinite wording, as the Go runner's users expect. */
export function formatFinalLine(stats: RunStats, interrupted: boolean): string {
  if (stats.mode === 'batch') {
    const verb = interrupted ? 'interrupted' : 'completed';
    return (
      `Batch scheduler ${verb}. Launched ${stats.launched} workflows in ${seconds(stats.elapsedMs)}s, ` +
      `final rate: ${stats.rate.toFixed(2)} wf/s${failedSuffix(stats.failed)}`
    );
  }
  return (
    `Scheduler stopped. Total workflows: ${stats.completed}, Runtime: ${seconds(stats.elapsedMs)}s, ` +
    `Average rate: ${stats.rate.toFixed(2)} wf/s${failedSuffix(stats.failed)}`
  );
}

export function formatWaitingLine(inFlight: number): string {
  return `Waiting for ${inFlight} running workflows to complete...`;
}

export const INTERRUPT_LINE = 'Received interrupt signal, stopping scheduler...';

/** `start_rejected=3 workflow_failed=1`, or `none`. */
export function failuresText(failuresByKind: RunStats['failuresByKind']): string {
  const parts = Object.entries(failuresByKind)
    .filter(([, count]) => (count ?? 0) > 0)
    .map(([kind, count]) => `${kind}=${count}`);
  return parts.length > 0 ? parts.join(' ') : 'none';
}

/** `Failures by kind: start_rejected=3 workflow_failed=1`, or undefined when nothing failed. */
export function formatFailuresLine(stats: RunStats): string | undefined {
  return stats.failed > 0 ? `Failures by kind: ${failuresText(stats.failuresByKind)}` : undefined;
}

/** A stderr line when the server goes away, comes back, or first throttles the run. */
export function formatServerHealthEvent(event: ServerHealthEvent): string {
  switch (event.type) {
    case 'unavailable':
      return `Server unavailable since ${new Date(event.atMs).toISOString()} (${event.reason}); retrying with backoff`;
    case 'available':
      return `Server answering again after ${formatMillis(event.outageMs)} unavailable`;
    case 'throttled':
      return `Server is throttling starts (${event.reason}); retrying with backoff, counted as throttled attempts`;
  }
}
