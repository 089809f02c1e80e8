import pLimit from 'p-limit';
import { firstLine } from '../errors.js';
import { LatencyHistogram } from '../metrics/latency-histogram.js';
import type { ScheduleRunResult } from '../schedules/schedule-observer.js';
import type { FiredWorkflow, ScheduleService } from '../temporal/schedule-service.js';

/** How long the visibility listing of the fired runs may take to show every run closed. */
const LISTING_SETTLE_MS = 10_000;

/** Pickup lag of each recorded fire, from its history; undefined for a fire no worker had picked up. */
export async function pickupLags(schedules: ScheduleService, result: ScheduleRunResult): Promise<{ histogram: LatencyHistogram; notPickedUp: number }> {
  const histogram = LatencyHistogram.create();
  let notPickedUp = 0;
  const limit = pLimit(10);
  await Promise.all(
    result.fires.map((fire) =>
      limit(async () => {
        try {
          const { startedMs, firstTaskMs } = await schedules.firstTaskOf(fire.workflowId, fire.runId);
          if (firstTaskMs === undefined) notPickedUp++;
          else histogram.recordMillis(firstTaskMs - startedMs);
        } catch {
          notPickedUp++;
        }
      }),
    ),
  );
  return { histogram, notPickedUp };
}

/**
 * The runs the schedules started (since `sinceMs`: an earlier run's workflows with the same ids stay
 * out), listed again until visibility shows each closed (it indexes closes a little later).
 */
export async function listFiredWhenClosed(schedules: ScheduleService, prefix: string, sinceMs: number): Promise<{ runs: FiredWorkflow[]; error?: string }> {
  const deadline = Date.now() + LISTING_SETTLE_MS;
  for (;;) {
    try {
      const runs = (await schedules.listFired(prefix)).filter((run) => run.startMs >= sinceMs);
      if (runs.every((run) => run.closeMs !== undefined) || Date.now() > deadline) return { runs };
    } catch (error) {
      if (Date.now() > deadline) return { runs: [], error: firstLine(error) };
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
