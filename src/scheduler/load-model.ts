import type { Stage } from '../shared/run-stats.js';

interface Segment {
  startMs: number;
  durationMs: number;
  fromRate: number;
  toRate: number;
  /** Arrivals (real-valued) before this segment begins. */
  arrivalsBefore: number;
  arrivals: number;
}

export function stagesDurationMs(stages: readonly Stage[]): number {
  return stages.reduce((sum, stage) => sum + stage.durationMs, 0);
}

/**
 * The open loop's intended start times: arrival i happens when the integral of the rate reaches i.
 * A constant rate gives t_i = i / rate; stages ramp the rate linearly, k6's ramping-arrival-rate.
 */
export class ArrivalSchedule {
  private readonly segments: Segment[] = [];
  private cursor = 0;
  /** When the schedule ends (ms from the start); undefined for an endless constant rate. */
  readonly endMs: number | undefined;

  constructor(startRate: number, stages?: readonly Stage[]) {
    if (!stages || stages.length === 0) {
      this.segments.push({ startMs: 0, durationMs: Infinity, fromRate: startRate, toRate: startRate, arrivalsBefore: 0, arrivals: Infinity });
      this.endMs = undefined;
      return;
    }
    let startMs = 0;
    let arrivalsBefore = 0;
    let fromRate = startRate;
    for (const stage of stages) {
      const arrivals = ((fromRate + stage.target) / 2) * (stage.durationMs / 1000);
      this.segments.push({ startMs, durationMs: stage.durationMs, fromRate, toRate: stage.target, arrivalsBefore, arrivals });
      startMs += stage.durationMs;
      arrivalsBefore += arrivals;
      fromRate = stage.target;
    }
    this.endMs = startMs;
  }

  /**
   * The intended start of arrival `index` (0-based) in ms from the run's start, or undefined when the
   * schedule ends first. Meant for increasing indexes (it keeps a cursor).
   */
  timeOf(index: number): number | undefined {
    while (this.cursor < this.segments.length) {
      const segment = this.segments[this.cursor]!;
      const within = index - segment.arrivalsBefore;
      if (within < segment.arrivals) return segment.startMs + this.offsetInSegment(segment, within);
      this.cursor++;
    }
    return undefined;
  }

  /**
   * How many arrivals are due before `offsetMs` (their intended time < offsetMs), in O(1) per segment:
   * the rate's integral up to there, not a walk over the arrivals (a rate of 1e12/s has billions a ms).
   */
  dueBefore(offsetMs: number): number {
    let due = 0;
    for (const segment of this.segments) {
      if (offsetMs <= segment.startMs) break;
      const seconds = (Math.min(offsetMs, segment.startMs + segment.durationMs) - segment.startMs) / 1000;
      const within = Number.isFinite(segment.durationMs)
        ? segment.fromRate * seconds + ((segment.toRate - segment.fromRate) * seconds * seconds) / (2 * (segment.durationMs / 1000))
        : segment.fromRate * seconds;
      due = segment.arrivalsBefore + Math.min(within, segment.arrivals);
    }
    // Arrival i is due at the time the integral reaches i, so i < integral ⇔ due before offsetMs; the
    // tolerance keeps a rounding error from counting an arrival exactly at offsetMs.
    return Math.max(0, Math.ceil(due - 1e-9));
  }

  /** Solves fromRate·τ + (toRate − fromRate)·τ²/(2D) = arrivals for τ (seconds), in its stable form. */
  private offsetInSegment(segment: Segment, arrivals: number): number {
    if (arrivals <= 0) return 0;
    const seconds = segment.durationMs / 1000;
    const a = Number.isFinite(seconds) ? (segment.toRate - segment.fromRate) / (2 * seconds) : 0;
    const b = segment.fromRate;
    const tau = (2 * arrivals) / (b + Math.sqrt(b * b + 4 * a * arrivals));
    return tau * 1000;
  }
}

/**
 * The closed loop's concurrency at a time, ramped linearly from `start` through the stages; undefined
 * after the last stage. Without stages it is `start` for ever.
 */
export function concurrencyAt(start: number, stages: readonly Stage[] | undefined, elapsedMs: number): number | undefined {
  if (!stages || stages.length === 0) return start;
  let from = start;
  let stageStart = 0;
  for (const stage of stages) {
    if (elapsedMs < stageStart + stage.durationMs) {
      const progress = (elapsedMs - stageStart) / stage.durationMs;
      return Math.floor(from + (stage.target - from) * progress + 1e-9);
    }
    stageStart += stage.durationMs;
    from = stage.target;
  }
  return undefined;
}

/**
 * The highest open-loop rate (starts per second). One process sends about 10 000 starts/s at most
 * (README, max-start-rate), and arrivals a microsecond apart are finer than any timer can keep: above
 * this, per-arrival timing and lateness mean nothing. For "as fast as it goes", use the closed loop.
 */
export const MAX_RATE = 1_000_000;

/**
 * The most workflows one process keeps in flight. Each costs a few kilobytes of promises and buffers,
 * and a closed loop launches all its slots at once: a million would exhaust the heap before the first
 * answer. Past this, spread the load over processes (a shared --run-id).
 */
export const MAX_CONCURRENCY = 100_000;
