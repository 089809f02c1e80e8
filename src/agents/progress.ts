/**
 * The distributed run's interval line from the agents' heartbeats: the same IntervalReport a single process
 * prints (`Concurrent: X Workflows: Y Rate: Z.ZZ`), summed over the slices. Pure.
 */
import type { IntervalReport } from '../shared/run-stats.js';
import type { SliceHeartbeat } from '../../workflows/coordinator-types.js';

/** The totals of the previous report, to count the completions in between. */
export interface PreviousTotals {
  completed: number;
  elapsedMs: number;
}

const sum = (heartbeats: readonly SliceHeartbeat[], of: (heartbeat: SliceHeartbeat) => number): number =>
  heartbeats.reduce((total, heartbeat) => total + of(heartbeat), 0);

/** The largest of the values given, or 0 when none is known. */
const maxKnown = (values: ReadonlyArray<number | null>): number =>
  values.reduce<number>((max, value) => (value === null ? max : Math.max(max, value)), 0);

/**
 * One aggregate interval report. `running`: the latest heartbeat of each slice still running; `ended`: the last
 * heartbeat of each slice attempt that ended (its counts stay in the totals; it has nothing in flight and no
 * rate any more). Counts are sums; the rate is the sum of the agents' interval rates; p50/p99 are the largest
 * of the agents' — per-interval percentiles cannot be merged without the histograms, and the largest is an
 * honest upper bound of the merged one.
 */
export function aggregateInterval(
  running: readonly SliceHeartbeat[],
  ended: readonly SliceHeartbeat[],
  elapsedMs: number,
  previous: PreviousTotals | undefined,
): IntervalReport {
  const all = [...running, ...ended];
  const completed = sum(all, (heartbeat) => heartbeat.completed);
  return {
    elapsedMs,
    intervalMs: elapsedMs - (previous?.elapsedMs ?? 0),
    inFlight: sum(running, (heartbeat) => heartbeat.inFlight),
    started: sum(all, (heartbeat) => heartbeat.started),
    completed,
    failed: sum(all, (heartbeat) => heartbeat.failed),
    completedInInterval: Math.max(0, completed - (previous?.completed ?? 0)),
    rate: sum(running, (heartbeat) => heartbeat.intervalRate),
    latencyP50Ms: maxKnown(running.map((heartbeat) => heartbeat.intervalP50)),
    latencyP99Ms: maxKnown(running.map((heartbeat) => heartbeat.intervalP99)),
    // Heartbeats do not carry late starts (small by design); the merged result has them.
    lateStarts: 0,
  };
}

/**
 * Polls of the coordinator's progress into interval reports: remembers each slice attempt's (shard's) latest
 * heartbeat, so a slice that ended (gone from the pending activities) keeps its counts in the totals.
 */
export class HeartbeatTally {
  private readonly latest = new Map<string, SliceHeartbeat>();
  private previous: PreviousTotals | undefined;

  /** The report of one poll: `running` are the heartbeats of the slices pending now (null: none yet). */
  report(running: ReadonlyArray<SliceHeartbeat | null>, elapsedMs: number): IntervalReport {
    const now = running.filter((heartbeat): heartbeat is SliceHeartbeat => heartbeat !== null);
    for (const heartbeat of now) this.latest.set(heartbeat.shard, heartbeat);
    const pending = new Set(now.map((heartbeat) => heartbeat.shard));
    const ended = [...this.latest.values()].filter((heartbeat) => !pending.has(heartbeat.shard));
    const report = aggregateInterval(now, ended, elapsedMs, this.previous);
    this.previous = { completed: report.completed, elapsedMs };
    return report;
  }

  /** Each slice attempt's latest heartbeat seen, by shard. */
  lastHeartbeats(): ReadonlyMap<string, SliceHeartbeat> {
    return this.latest;
  }
}
