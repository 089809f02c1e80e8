// Deterministic workflow code only: this file is bundled into the Temporal workflow sandbox.
// The coordinator of a multi-agent run: one `runLoadSlice` activity per slice on the control task queue,
// where each agent (a worker with one activity slot) takes one slice at a time.
import {
  ActivityCancellationType, ActivityFailure, ApplicationFailure, CancellationScope, CancelledFailure, TimeoutFailure,
  defineSignal, proxyActivities, setHandler,
} from '@temporalio/workflow';
import { asSliceHeartbeat, remainderOf, sliceActivityId, sliceReportOf, type SliceReport } from './coordinator-slices.js';
import { RUN_SLICE_ACTIVITY, STOP_SIGNAL, type CoordinatorInput, type CoordinatorResult, type LoadSlice, type SliceOutcome } from './coordinator-types.js';

/** No slice is cut short by a start-to-close limit: an infinite run lasts until it is stopped. */
const SLICE_START_TO_CLOSE = '3650 days';

type SliceActivity = (slice: LoadSlice) => Promise<SliceReport>;

function sliceActivity(input: CoordinatorInput, slice: LoadSlice): SliceActivity {
  const activities = proxyActivities<Record<string, SliceActivity>>({
    activityId: sliceActivityId(slice),
    scheduleToStartTimeout: input.agentWaitMs,
    startToCloseTimeout: SLICE_START_TO_CLOSE,
    heartbeatTimeout: input.heartbeatTimeoutMs,
    retry: { maximumAttempts: 1 },
    // A stopped slice drains and returns its partial result: wait for it rather than dropping it.
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  });
  return activities[RUN_SLICE_ACTIVITY]!;
}

/** How one attempt of a slice ended when its activity did not return a report. */
export function outcomeOfFailure(slice: LoadSlice, error: unknown): SliceOutcome {
  const { index, shard } = slice;
  const cause = error instanceof ActivityFailure ? error.cause : error;
  const identity = error instanceof ActivityFailure && error.identity ? error.identity : null;
  if (cause instanceof TimeoutFailure) {
    if (cause.timeoutType === 'SCHEDULE_TO_START') {
      return { index, shard, status: 'not-taken', reason: 'no agent took the slice within the agent wait' };
    }
    const lastHeartbeat = asSliceHeartbeat(cause.lastHeartbeatDetails) ?? null;
    const reason =
      cause.timeoutType === 'HEARTBEAT' ? 'the agent stopped heartbeating (heartbeat timeout)' : `the slice timed out (${cause.timeoutType ?? 'timeout'})`;
    return { index, shard, status: 'lost', agent: lastHeartbeat?.agent ?? identity, lastHeartbeat, reason };
  }
  if (cause instanceof CancelledFailure) {
    // An agent answers a cancellation with its partial result (a completion) or a failure, never a
    // cancellation: a slice ends cancelled only when the server cancelled it before an agent took it.
    return { index, shard, status: 'not-taken', reason: 'the run was stopped before an agent took the slice' };
  }
  const report = cause instanceof ApplicationFailure ? sliceReportOf(cause.details) : undefined;
  const reason = cause instanceof Error ? cause.message : String(cause);
  return { index, shard, status: 'failed', agent: report?.agent ?? identity, lastHeartbeat: report?.lastHeartbeat ?? null, reason };
}

function outcomeOfReport(slice: LoadSlice, report: SliceReport): SliceOutcome {
  const { index, shard } = slice;
  return report.result
    ? { index, shard, status: 'finished', agent: report.agent, result: report.result, ...(report.note ? { note: report.note } : {}) }
    : { index, shard, status: 'failed', agent: report.agent, lastHeartbeat: report.lastHeartbeat, reason: 'the agent returned no result' };
}

export const stopSignal = defineSignal(STOP_SIGNAL);

/**
 * Runs every slice on the agents and returns how each attempt ended. The stop signal cancels the
 * slices: every agent drains and returns its partial result. Cancelling the workflow ends it at once
 * (the slices are cancelled too; an agent learns it from its next heartbeat).
 */
export async function CoordinatorWorkflow(input: CoordinatorInput): Promise<CoordinatorResult> {
  const outcomes: SliceOutcome[] = [];
  let stopped = false;
  const slices = new CancellationScope();
  setHandler(stopSignal, () => {
    if (stopped) return;
    stopped = true;
    slices.cancel();
  });

  const runSlice = async (slice: LoadSlice, attempt: number): Promise<void> => {
    let outcome: SliceOutcome;
    try {
      outcome = outcomeOfReport(slice, await slices.run(() => sliceActivity(input, slice)(slice)));
    } catch (error) {
      outcome = outcomeOfFailure(slice, error);
    }
    outcomes.push(outcome);
    if (outcome.status === 'lost' && input.onAgentLoss === 'rerun' && !stopped) {
      const remainder = remainderOf(slice, outcome.lastHeartbeat, attempt + 1);
      if (remainder) await runSlice(remainder, attempt + 1);
    }
  };

  const everySlice = Promise.all(input.slices.map((slice) => runSlice(slice, 0)));
  // The workflow's own cancellation (a forced exit) ends it now, not after the agents drained.
  await Promise.race([everySlice, CancellationScope.current().cancelRequested]);
  return { outcomes, stopped };
}
