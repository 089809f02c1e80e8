import type { IntervalReport } from '../shared/run-stats.js';

/** One point of the per-interval series kept for the JSON result. */
export interface IntervalPoint {
  /** Seconds since the run started, at the end of the interval. */
  t: number;
  /** Seconds the point covers. */
  seconds: number;
  inFlight: number;
  completed: number;
  failed: number;
  /** Completions per second over the point. */
  rate: number;
  /** Latency percentiles of the interval (ms): e2e, or start latency for start-only runs. */
  p50: number;
  p99: number;
}

export const DEFAULT_MAX_POINTS = 2000;

const roundMillis = (ms: number): number => Math.round(ms);

/**
 * The per-interval series with bounded memory: when it reaches `maxPoints`, neighbouring points are
 * merged pairwise (halving the resolution), so an endless run keeps a fixed-size series.
 */
export class IntervalSeries {
  private points: IntervalPoint[] = [];
  private mergedPairs = 0;

  constructor(private readonly maxPoints = DEFAULT_MAX_POINTS) {}

  add(report: IntervalReport): void {
    this.points.push({
      t: roundMillis(report.elapsedMs) / 1000,
      seconds: roundMillis(report.intervalMs) / 1000,
      inFlight: report.inFlight,
      completed: report.completed,
      failed: report.failed,
      rate: report.rate,
      p50: report.latencyP50Ms,
      p99: report.latencyP99Ms,
    });
    if (this.points.length >= this.maxPoints) this.compact();
  }

  /** How many times the series was halved (0: every interval is its own point). */
  get compactions(): number {
    return this.mergedPairs;
  }

  /** The p99 of the latest point (0 before the first report). */
  lastP99(): number {
    return this.points.at(-1)?.p99 ?? 0;
  }

  toArray(): IntervalPoint[] {
    return [...this.points];
  }

  private compact(): void {
    const merged: IntervalPoint[] = [];
    for (let index = 0; index + 1 < this.points.length; index += 2) {
      const first = this.points[index]!;
      const second = this.points[index + 1]!;
      const seconds = first.seconds + second.seconds;
      merged.push({
        ...second, // counts and in-flight are as of the end of the merged span
        seconds,
        rate: seconds > 0 ? (first.rate * first.seconds + second.rate * second.seconds) / seconds : 0,
        // Percentiles cannot be merged exactly without histograms: keep the median's mean and the worse p99.
        p50: (first.p50 + second.p50) / 2,
        p99: Math.max(first.p99, second.p99),
      });
    }
    if (this.points.length % 2 === 1) merged.push(this.points[this.points.length - 1]!);
    this.points = merged;
    this.mergedPairs++;
  }
}
