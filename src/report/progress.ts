import { formatMillis } from './units.js';

/** What the live status line shows, read from the running scheduler a few times a second. */
export interface LiveStatus {
  elapsedMs: number;
  /** The run's end, when it has one: a duration (ms) or a total (workflows). */
  limit?: { durationMs?: number; totalWorkflows?: number };
  inFlight: number;
  completed: number;
  failed: number;
  /** Completions per second over the current report interval so far. */
  rate: number;
  /** p99 of the current interval's latency (ms), 0 when there are no samples yet. */
  p99Ms: number;
}

function elapsedText(ms: number): string {
  const totalSeconds = Math.floor(ms / 1000);
  const minutes = Math.floor(totalSeconds / 60);
  return `${minutes}:${String(totalSeconds % 60).padStart(2, '0')}`;
}

/** `⏱ 0:42/5:00 | in flight 50 | completed 1234/10000 | failed 0 | 31.2 wf/s | p99 412ms` */
export function formatStatusLine(status: LiveStatus): string {
  const { limit } = status;
  const elapsed = limit?.durationMs ? `${elapsedText(status.elapsedMs)}/${elapsedText(limit.durationMs)}` : elapsedText(status.elapsedMs);
  const completed = limit?.totalWorkflows ? `${status.completed}/${limit.totalWorkflows}` : String(status.completed);
  const p99 = status.p99Ms > 0 ? formatMillis(status.p99Ms) : '-';
  return `⏱ ${elapsed} | in flight ${status.inFlight} | completed ${completed} | failed ${status.failed} | ${status.rate.toFixed(1)} wf/s | p99 ${p99}`;
}
