import { LatencyHistogram } from '../metrics/latency-histogram.js';
import { wallClock, type Clock, type TimerHandle } from '../shared/clock.js';
import type { FireSpec, RecordedFire, ScheduleCounts, ScheduleReport, ScheduleSource, ScheduleState } from '../shared/schedule-types.js';
import { countFiresBetween } from './fire-times.js';

export interface ScheduleObserverOptions {
  source: ScheduleSource;
  scheduleIds: readonly string[];
  spec: FireSpec;
  /** The schedules' window [startMs, endMs] (epoch ms, the clock's time). */
  window: { startMs: number; endMs: number };
  /** How often each schedule is described (its record keeps 10 fires: poll faster than 10 fire intervals). */
  pollIntervalMs: number;
  reportIntervalMs: number;
  /**
   * After the window: how long to wait for the last fires (lag, buffered fires) to be taken, counted
   * from the window's end or from the last fire accounted for, whichever is later: a server still
   * catching up is waited for, one that stopped is not.
   */
  settleMs: number;
  /** The longest wait after the window, however the server progresses (default: settleMs). */
  maxSettleMs?: number;
  clock?: Clock;
  onReport?: (report: ScheduleReport) => void;
  /** Each fire the first time it is seen, with its fire lag (ms). */
  onFire?: (fire: RecordedFire, fireLagMs: number) => void;
  /** The first describe that failed after polls that worked (the run goes on; each poll tries again). */
  onPollError?: (error: unknown) => void;
}

export type ScheduleStopReason = 'window-done' | 'stopped';

export interface ScheduleRunResult {
  counts: ScheduleCounts;
  /** Every fire recorded, oldest first. */
  fires: RecordedFire[];
  /** takenAt − scheduledAt of every recorded fire (jitter excluded: it is part of scheduledAt). */
  fireLag: LatencyHistogram;
  /** The end of the observed window: the spec's end, or the stop time when stopped early. */
  observedUntilMs: number;
  /** Fire times in the window that came before their schedule was created (creating many takes a while): not expected. */
  dueBeforeCreated: number;
  stopReason: ScheduleStopReason;
  elapsedMs: number;
}

/**
 * Watches a run's schedules through the server's own records: polls each schedule, keeps every fire it
 * has not seen (by workflow id), and sums the server's counters. The run ends once the window is over
 * and every expected fire is accounted for (taken, skipped, missed), or `settleMs` after the window,
 * or at stop(). Pure logic: time comes from the clock, schedules from the source.
 */
export class ScheduleObserver {
  readonly fireLag = LatencyHistogram.create();
  private readonly fires = new Map<string, RecordedFire>();
  private readonly states = new Map<string, ScheduleState>();
  private readonly clock: Clock;
  private stopRequestedAt: number | undefined;
  private wakeUp: (() => void) | undefined;
  private readonly timers = new Set<TimerHandle>();
  private startedAt = 0;
  private pollFailing = false;

  constructor(private readonly options: ScheduleObserverOptions) {
    // Epoch time: the window and the fires' times are the server's (wall-clock) timestamps.
    this.clock = options.clock ?? wallClock;
  }

  /** Ends the observation at the next poll; the window counts up to now. */
  stop(): void {
    this.stopRequestedAt ??= this.clock.now();
    this.wakeUp?.();
  }

  async run(): Promise<ScheduleRunResult> {
    const { window, pollIntervalMs, reportIntervalMs, settleMs } = this.options;
    const maxSettleMs = Math.max(settleMs, this.options.maxSettleMs ?? settleMs);
    this.startedAt = this.clock.now();
    let accounted = 0;
    let lastProgressAt = this.startedAt;
    let nextReportAt = this.startedAt + reportIntervalMs;
    let stopReason: ScheduleStopReason = 'window-done';
    try {
      for (;;) {
        await this.poll();
        const now = this.clock.now();
        if (now >= nextReportAt) {
          nextReportAt = Math.max(nextReportAt + reportIntervalMs, now + 1);
          this.options.onReport?.(this.report(now));
        }
        if (this.stopRequestedAt !== undefined) {
          stopReason = 'stopped';
          break;
        }
        const windowOver = now > window.endMs;
        // Buffered fires are still to be taken (and measured): wait for them too.
        const settled = this.counts(window.endMs);
        const nowAccounted = settled.taken + settled.skipped + settled.missed + settled.buffered;
        if (nowAccounted !== accounted) [accounted, lastProgressAt] = [nowAccounted, now];
        const settleOver = now > Math.max(window.endMs, lastProgressAt) + settleMs || now > window.endMs + maxSettleMs;
        if (windowOver && ((settled.unaccounted <= 0 && settled.buffered === 0) || settleOver)) break;
        await this.sleep(pollIntervalMs);
      }
    } finally {
      for (const timer of this.timers) this.clock.clearTimeout(timer);
    }
    const observedUntilMs = Math.min(window.endMs, this.stopRequestedAt ?? window.endMs);
    return {
      counts: this.counts(observedUntilMs),
      fires: [...this.fires.values()].sort((a, b) => a.scheduledAtMs - b.scheduledAtMs),
      fireLag: this.fireLag,
      observedUntilMs,
      dueBeforeCreated: this.dueBeforeCreated(observedUntilMs),
      stopReason,
      elapsedMs: this.clock.now() - this.startedAt,
    };
  }

  /** The counts as of now (e.g. for a scrape). */
  currentCounts(): ScheduleCounts {
    return this.counts(this.clock.now());
  }

  /**
   * The counts so far, expecting the fires due up to `untilMs`: each schedule's from when the server
   * created it (a fire time before that was never its to take), so slow creation is not counted as lag.
   */
  counts(untilMs: number): ScheduleCounts {
    const { scheduleIds } = this.options;
    const expected = scheduleIds.reduce((sum, id) => sum + this.expectedOf(id, untilMs), 0);
    let taken = 0;
    let skipped = 0;
    let missed = 0;
    let buffered = 0;
    for (const state of this.states.values()) {
      taken += state.taken;
      skipped += state.skippedOverlap;
      missed += state.missedCatchupWindow;
      buffered += state.buffered;
    }
    return {
      schedules: scheduleIds.length, expected, taken, skipped, missed, buffered, recorded: this.fires.size,
      unaccounted: Math.max(0, expected - taken - skipped - missed - buffered),
    };
  }

  /** Fires of one schedule due in the window up to `untilMs`, after its creation. */
  private expectedOf(scheduleId: string, untilMs: number): number {
    const { window, spec } = this.options;
    const createdAtMs = this.states.get(scheduleId)?.createdAtMs;
    // Strictly after the creation: the server looks for the next fire time after it.
    const fromMs = createdAtMs === undefined ? window.startMs : Math.max(window.startMs, createdAtMs + 1);
    const toMs = Math.min(untilMs, window.endMs);
    return countFiresBetween(spec, fromMs, toMs);
  }

  private dueBeforeCreated(untilMs: number): number {
    const { window, spec, scheduleIds } = this.options;
    const toMs = Math.min(untilMs, window.endMs);
    const all = countFiresBetween(spec, window.startMs, toMs) * scheduleIds.length;
    return all - scheduleIds.reduce((sum, id) => sum + this.expectedOf(id, untilMs), 0);
  }

  private report(now: number): ScheduleReport {
    return {
      ...this.counts(now),
      elapsedMs: now - this.startedAt,
      fireLagP50Ms: this.fireLag.percentileMillis(50),
      fireLagP99Ms: this.fireLag.percentileMillis(99),
    };
  }

  private async poll(): Promise<void> {
    const { source, scheduleIds } = this.options;
    const described = await Promise.allSettled(scheduleIds.map((id) => source.describe(id)));
    const failure = described.find((outcome) => outcome.status === 'rejected');
    // Told once per stretch of failures (a server away fails every poll), again after one succeeds.
    if (failure && !this.pollFailing) this.options.onPollError?.(failure.reason);
    this.pollFailing = failure !== undefined;
    for (const outcome of described) {
      if (outcome.status === 'rejected') continue;
      const state = outcome.value;
      this.states.set(state.scheduleId, state);
      for (const fire of state.recentFires) {
        if (this.fires.has(fire.workflowId)) continue;
        this.fires.set(fire.workflowId, fire);
        const lagMs = fire.takenAtMs - fire.scheduledAtMs;
        this.fireLag.recordMillis(lagMs);
        this.options.onFire?.(fire, lagMs);
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const handle = this.clock.setTimeout(() => {
        this.timers.delete(handle);
        this.wakeUp = undefined;
        resolve();
      }, ms);
      this.timers.add(handle);
      this.wakeUp = () => {
        this.clock.clearTimeout(handle);
        this.timers.delete(handle);
        this.wakeUp = undefined;
        resolve();
      };
    });
  }
}
