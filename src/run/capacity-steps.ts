import type { StepMeasurement, StepRunner } from '../capacity/types.js';
import type { LatencySummary } from '../metrics/latency-histogram.js';
import type { LatencyGroup } from '../metrics/thresholds.js';
import { SchedulerService } from '../scheduler/scheduler-service.js';
import type { Clock, RunStats, WorkflowLauncher, Workload } from '../scheduler/types.js';

/** What every step of a capacity search runs with, beside its rate. */
export interface StepLoad {
  launcher: WorkflowLauncher;
  workload: Workload;
  /** The open loop's cap on workflows in flight: high, so that the server, not the cap, is what holds starts back. */
  maxInFlight: number;
  /** Without a budget left to bound it: the drain after a step gives up once nothing finished for this long (s). */
  drainStallSeconds: number;
  historySample?: number;
  clock?: Clock;
  /** Each step's SchedulerService, as it is created (for a live status line). */
  onScheduler?(scheduler: SchedulerService): void;
}

/**
 * Runs each step as its own open loop on the session's launcher: the warm-up launches kept out of the
 * numbers, then the measured part, then a drain of what is in flight, so a step's backlog never lands
 * in the next one. The measured window is the time that really elapsed from the end of the warm-up until
 * launching stopped (the drain is not part of it).
 */
export function schedulerStepRunner(load: StepLoad): StepRunner {
  return async (rate, { durationMs, warmupMs, signal, remainingMs }) => {
    const scheduler = new SchedulerService({
      launcher: load.launcher, clock: load.clock, concurrency: load.maxInFlight, rate, reportInterval: 3600,
      warmup: warmupMs / 1000, historySample: load.historySample, drainStallTimeout: load.drainStallSeconds,
      // A step must not eat the rest of the budget waiting for stragglers.
      ...(remainingMs !== undefined ? { drainTimeout: Math.max(0, remainingMs - warmupMs - durationMs) / 1000 } : {}),
    });
    load.onScheduler?.(scheduler);
    const stop = () => scheduler.stop();
    signal?.addEventListener('abort', stop, { once: true });
    try {
      const stats = await scheduler.runInfinite({ workload: load.workload, duration: (warmupMs + durationMs) / 1000 });
      return measurementOf(scheduler, rate, stats, { durationMs, maxInFlight: load.maxInFlight, signalled: signal?.aborted === true });
    } finally {
      signal?.removeEventListener('abort', stop);
    }
  };
}

/**
 * Whether the signal cut the step short: it stopped launching before the measured window's end (a stop
 * that comes after it, during the drain, changes nothing of launching), or it came during the drain and
 * workflows were left unfinished (they might have finished had the search gone on).
 */
function isCutShort(stats: RunStats, windowMs: number, durationMs: number, signalled: boolean): boolean {
  const windowCut = stats.stopReason === 'stopped' && windowMs < durationMs;
  return windowCut || (signalled && stats.measured.inFlight > 0);
}

function measurementOf(
  scheduler: SchedulerService, rate: number, stats: RunStats, step: { durationMs: number; maxInFlight: number; signalled: boolean },
): StepMeasurement {
  const { metrics } = scheduler;
  const { measured } = stats;
  const windowMs = Math.min(scheduler.measuredWindowMs(), step.durationMs);
  const seconds = windowMs / 1000;
  const perSecond = (count: number) => (seconds > 0 ? count / seconds : 0);
  const startLateness = metrics.startLateness.summary();
  const latency: Partial<Record<LatencyGroup, LatencySummary>> = {
    start: metrics.startLatency.summary(), e2e: metrics.e2eLatency.summary(), start_lateness: startLateness,
  };
  const histograms: Record<string, string> = {
    start: metrics.startLatency.encode(), e2e: metrics.e2eLatency.encode(), start_lateness: metrics.startLateness.encode(),
  };
  for (const [operation, histogram] of metrics.operations) {
    latency[operation] = histogram.summary();
    histograms[operation] = histogram.encode();
  }
  const cutShort = isCutShort(stats, windowMs, step.durationMs, step.signalled);
  return {
    targetRate: rate, measuredSeconds: seconds, intendedArrivals: rate * seconds,
    launched: measured.launched, started: measured.started, completed: measured.completed, failed: measured.failed,
    achievedRate: perSecond(measured.launched), completedPerSecond: perSecond(measured.completed), startLateness, latency, histograms,
    unfinished: measured.inFlight, heldByCap: scheduler.measuredArrivalsHeldByCap(), inFlightCap: step.maxInFlight,
    ...(cutShort ? { cutShort: true } : {}),
  };
}
