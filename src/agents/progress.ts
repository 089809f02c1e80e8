/**
 * The distributed run's interval line from the agents' heartbeats: the same IntervalReport a single process
 * prints (`Concurrent: X Workflows: Y Rate: Z.ZZ`), summed over the slices. Pure.
 */
import { LatencyHistogram } from '../metrics/latency-histogram.js';
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
 * The interval's p50/p99 over every running slice: exact from the merged histograms when each slice's
 * heartbeat carries its interval's (agents do); otherwise the largest of the agents' percentiles, an
 * honest upper bound of the merged one (per-interval percentiles cannot be merged without histograms).
 */
export function intervalPercentiles(running: readonly SliceHeartbeat[]): { p50: number; p99: number } {
  if (running.length > 0 && running.every((heartbeat) => heartbeat.intervalLatency !== undefined)) {
    try {
      const merged = LatencyHistogram.create();
      for (const heartbeat of running) merged.add(LatencyHistogram.decode(heartbeat.intervalLatency!));
      return { p50: merged.percentileMillis(50), p99: merged.percentileMillis(99) };
    } catch {
      // a histogram that does not decode: the bound below still holds
    }
  }
  return { p50: maxKnown(running.map((heartbeat) => heartbeat.intervalP50)), p99: maxKnown(running.map((heartbeat) => heartbeat.intervalP99)) };
}

/**
 * One aggregate interval report. `running`: the latest heartbeat of each slice still running; `ended`: the last
 * heartbeat of each slice attempt that ended (its counts stay in the totals; it has nothing in flight and no
 * rate any more). Counts are sums; the rate is the sum of the agents' interval rates; p50/p99 see intervalPercentiles.
 */
export function aggregateInterval(
  running: readonly SliceHeartbeat[],
  ended: readonly SliceHeartbeat[],
  elapsedMs: number,
  previous: PreviousTotals | undefined,
): IntervalReport {
  const all = [...running, ...ended];
  const completed = sum(all, (heartbeat) => heartbeat.completed);
  const percentiles = intervalPercentiles(running);
  return {
    elapsedMs,
    intervalMs: elapsedMs - (previous?.elapsedMs ?? 0),
    inFlight: sum(running, (heartbeat) => heartbeat.inFlight),
    started: sum(all, (heartbeat) => heartbeat.started),
    completed,
    failed: sum(all, (heartbeat) => heartbeat.failed),
    completedInInterval: Math.max(0, completed - (previous?.completed ?? 0)),
    rate: sum(running, (heartbeat) => heartbeat.intervalRate),
    latencyP50Ms: percentiles.p50,
    latencyP99Ms: percentiles.p99,
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
