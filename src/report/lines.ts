import type { ServerHealthEvent } from '../metrics/server-health.js';
import type { IntervalReport, RunMode, RunStats, Stage } from '../shared/run-stats.js';
import type { EffectiveWorkerSettings, SessionEvent } from '../shared/session-events.js';
import { formatMillis } from './units.js';

/** What the start line names: what the run will do, from the resolved configuration. */
export interface StartLineInfo {
  mode: RunMode;
  runId: string;
  address: string;
  namespace: string;
  taskQueue: string;
  /** The effective value: closed loop, the slots; open loop, the cap on workflows in flight. */
  concurrency: number;
  /** Seconds. */
  reportInterval: number;
  wait: boolean;
  /** Batch size (`run`); ignored for `infinite`. */
  totalWorkflows?: number;
  /** Seconds; 0 or absent: no limit. */
  maxRuntime?: number;
  /** Starts per second: an open loop (with stages, the rate it ramps from). */
  rate?: number;
  stages?: readonly Stage[];
  /** Seconds of launching; absent: no limit. */
  duration?: number;
  /** Seconds of Temporal's start delay on each workflow. */
  startDelay?: number;
  /** Seconds kept out of the summary. */
  warmup?: number;
}

/** Seconds as the flags take them: `0.5s`, `30s`, `1m30s`, `2h`. */
export function formatSeconds(totalSeconds: number): string {
  const rounded = Number(totalSeconds.toFixed(3));
  if (rounded < 60) return `${rounded}s`;
  const hours = Math.floor(rounded / 3600);
  const minutes = Math.floor((rounded % 3600) / 60);
  const seconds = Number((rounded % 60).toFixed(3));
  return `${hours > 0 ? `${hours}h` : ''}${minutes > 0 ? `${minutes}m` : ''}${seconds > 0 ? `${seconds}s` : ''}`;
}

/** `30s→50/s,1m→200/s`: over each stage's duration, ramp to its target (a rate, or a concurrency). */
function formatStages(stages: readonly Stage[], unit: string): string {
  return stages.map((stage) => `${formatSeconds(stage.durationMs / 1000)}→${stage.target}${unit}`).join(',');
}

/** `loop=open rate=50/s inFlightCap=1000`, or `loop=closed concurrency=10`, with the stages if any. */
export function formatLoadModel(info: Pick<StartLineInfo, 'rate' | 'stages' | 'concurrency'>): string {
  return loadTokens(info).join(' ');
}

function loadTokens(info: Pick<StartLineInfo, 'rate' | 'stages' | 'concurrency'>): string[] {
  const open = info.rate !== undefined;
  const stages = info.stages && info.stages.length > 0 ? [`stages=${formatStages(info.stages, open ? '/s' : '')}`] : [];
  return open
    ? ['loop=open', `rate=${info.rate}/s`, ...stages, `inFlightCap=${info.concurrency}`]
    : ['loop=closed', `concurrency=${info.concurrency}`, ...stages];
}

/** What ends the launching: the total, a duration, a max runtime, the stages, or only a signal. */
function limitTokens(info: StartLineInfo): string[] {
  const tokens: string[] = [];
  if (info.mode === 'batch') tokens.push(`total=${info.totalWorkflows}`);
  if (info.duration !== undefined) tokens.push(`duration=${formatSeconds(info.duration)}`);
  if (info.mode === 'infinite' && info.maxRuntime) tokens.push(`maxRuntime=${formatSeconds(info.maxRuntime)}`);
  const hasStages = info.stages !== undefined && info.stages.length > 0;
  if (tokens.length === 0 && !hasStages) tokens.push('until=signal');
  return tokens;
}

/**
 * `Starting batch scheduler: loop=closed concurrency=10 total=100 wait=true …  runId=<id>`: the Go
 * runner's prefix and its `runId=` token, with what this run will do; settings not in use are left out.
 */
export function formatStartLine(info: StartLineInfo): string {
  const tokens = [
    ...loadTokens(info),
    ...limitTokens(info),
    ...(info.startDelay !== undefined ? [`startDelay=${formatSeconds(info.startDelay)}`] : []),
    ...(info.warmup ? [`warmup=${formatSeconds(info.warmup)}`] : []),
    `wait=${info.wait}`,
    `taskQueue=${info.taskQueue}`,
    `namespace=${info.namespace}`,
    `reportInterval=${formatSeconds(info.reportInterval)}`,
    `address=${info.address}`,
    `runId=${info.runId}`,
  ];
  return `Starting ${info.mode} scheduler: ${tokens.join(' ')}`;
}

const seconds = (ms: number): string => (ms / 1000).toFixed(2);

function failedSuffix(failed: number): string {
  return failed > 0 ? ` Failed: ${failed}` : '';
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

/** The embedded or separate worker's settings, as its start line shows them. */
export function formatWorkerSettings(settings: EffectiveWorkerSettings): string {
  return (
    `workers=${settings.workers} workflowSlots=${settings.workflowSlots} activitySlots=${settings.activitySlots} ` +
    `pollers=${settings.pollers} stickyCache=${settings.stickyCacheSize}`
  );
}

/** What a run's session tells: its dev server, its embedded worker, its metrics endpoint. */
export function formatSessionEvent(event: SessionEvent): string {
  switch (event.type) {
    case 'dev-server-started':
      return `Dev server started at ${event.address} (pid ${event.pid}, ${event.origin})`;
    case 'worker-started':
      return `Embedded worker: ${formatWorkerSettings(event.settings)}`;
    case 'worker-stopped':
      return `sched-bench: embedded worker stopped: ${event.reason}`;
    case 'metrics-served':
      return `Metrics: http://0.0.0.0:${event.port}/metrics (SDK metrics: port ${event.port + 1})`;
    case 'close-failed':
      return `sched-bench: could not close the ${event.part}: ${event.reason}`;
  }
}

/** A drain that timed out (or gave up: nothing finished) with workflows still running. */
export function formatDrainCutShort(drain: { inFlight: number; terminated: number; timeoutSeconds?: number; stallSeconds?: number; onStop: 'leave' | 'terminate' }): string {
  return (
    (drain.stallSeconds === undefined ? `Drain timed out after ${drain.timeoutSeconds}s` : `Drain gave up: no workflow finished for ${drain.stallSeconds}s`) +
    `: ${drain.inFlight} workflows still running` +
    (drain.onStop === 'terminate' ? `, ${drain.terminated} terminated` : ', left running (--on-stop leave)')
  );
}
