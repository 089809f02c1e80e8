// The coordinator's client side: starts the CoordinatorWorkflow on the control queue and follows it.
// Types only from the SDK here (temporal-service.ts imports this file; the SDK loads on first need).
import type { WorkflowHandle } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { asSliceHeartbeat, sliceOfActivityId, sliceReportOf } from '../../workflows/coordinator-slices.js';
import {
  COORDINATOR_WORKFLOW_TYPE, STOP_SIGNAL, type CoordinatorInput, type CoordinatorResult, type SliceHeartbeat, type SliceOutcome,
} from '../../workflows/coordinator-types.js';
import type { SdkSide } from './sdk-connection.js';

export interface SliceProgress {
  index: number;
  shard: string;
  /** scheduled: no agent took it yet; running: an agent has it. */
  state: 'scheduled' | 'running';
  agent: string | null;
  /** The slice's latest heartbeat, null before its first. */
  heartbeat: SliceHeartbeat | null;
}

export interface RunningCoordinator {
  readonly workflowId: string;
  /** The slices not ended yet, with their latest heartbeats (DescribeWorkflowExecution's pending activities). */
  progress(): Promise<SliceProgress[]>;
  /** The stop signal: every agent drains and returns its partial result. */
  stop(): Promise<void>;
  /** Cancels the coordinator (a forced exit): agents are told to stop; nothing is awaited. */
  cancel(): Promise<void>;
  /** The coordinator's result once every slice ended. */
  result(): Promise<CoordinatorResult>;
  /**
   * As of the last progress() read: the coordinator's own workflow task that waits for a worker (an agent)
   * and none has started, named by when the server first scheduled it; undefined when none waits. The
   * same name read after a while means no agent ran the coordinator meanwhile. (Optional: a fake may lack it.)
   */
  waitingWorkflowTask?(): string | undefined;
  /**
   * Ends a coordinator no agent runs any more: terminates it (a cancel would need an agent to run it) and
   * reads from its history how each slice attempt ended so far; an attempt that had not ended is `lost`
   * with `openReason` and no heartbeat. (Optional, with waitingWorkflowTask.)
   */
  abandon?(openReason: string): Promise<CoordinatorResult>;
}

export interface CoordinatorClient {
  /** The identities of the agents polling the control queue for slices now (recent activity pollers). */
  agentsPolling(): Promise<string[]>;
  start(workflowId: string, input: CoordinatorInput): Promise<RunningCoordinator>;
}

/** temporal.api.enums.v1 values, as on the wire. */
const TASK_QUEUE_KIND_NORMAL = 1;
const TASK_QUEUE_TYPE_ACTIVITY = 2;
const DESCRIBE_TASK_QUEUE_MODE_ENHANCED = 1;
const PENDING_ACTIVITY_STATE_SCHEDULED = 1;
const PENDING_WORKFLOW_TASK_STATE_SCHEDULED = 1;
const TIMEOUT_TYPE_SCHEDULE_TO_START = 2;
const TIMEOUT_TYPE_HEARTBEAT = 4;

/**
 * A poller seen longer ago than this is gone. An idle agent renews its long poll about once a minute
 * (the server answers an empty poll after ~60 s), and the server keeps a poller listed for minutes after
 * its last poll, so "now" means: seen within a long poll and some slack.
 */
export const POLLER_RECENT_MS = 90_000;

type Timestamp = { seconds?: number | { toString(): string } | null; nanos?: number | null } | null | undefined;

function millisOf(timestamp: Timestamp): number | undefined {
  if (!timestamp) return undefined;
  return Number(timestamp.seconds ?? 0) * 1000 + Math.floor((timestamp.nanos ?? 0) / 1e6);
}

/** The CoordinatorClient over the SDK's Client and workflow service, on the control cluster's connection. */
export class SdkCoordinatorClient implements CoordinatorClient {
  constructor(
    private readonly sdk: () => Promise<SdkSide>,
    private readonly namespace: string,
    private readonly taskQueue: string,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * The activity pollers of the control queue seen lately. The plain describe sees the root partition
   * only, so the enhanced mode (every partition; deprecated on newer servers, so its failure counts as
   * none) is asked too and the two are joined.
   */
  async agentsPolling(): Promise<string[]> {
    const service = (await this.sdk()).connection.workflowService;
    const taskQueue = { name: this.taskQueue, kind: TASK_QUEUE_KIND_NORMAL };
    const [root, all] = await Promise.all([
      service.describeTaskQueue({ namespace: this.namespace, taskQueue, taskQueueType: TASK_QUEUE_TYPE_ACTIVITY }).then(({ pollers }) => pollers ?? []),
      service
        .describeTaskQueue({
          namespace: this.namespace, taskQueue, apiMode: DESCRIBE_TASK_QUEUE_MODE_ENHANCED, reportPollers: true, taskQueueTypes: [TASK_QUEUE_TYPE_ACTIVITY],
        })
        .then(({ versionsInfo }) => Object.values(versionsInfo ?? {}).flatMap((version) => version.typesInfo?.[TASK_QUEUE_TYPE_ACTIVITY]?.pollers ?? []))
        .catch(() => []),
    ]);
    const since = this.now() - POLLER_RECENT_MS;
    const identities = [...root, ...all]
      .filter((poller) => (millisOf(poller.lastAccessTime as Timestamp) ?? 0) >= since)
      .map((poller) => poller.identity ?? '')
      .filter((identity) => identity !== '');
    return [...new Set(identities)].sort();
  }

  async start(workflowId: string, input: CoordinatorInput): Promise<RunningCoordinator> {
    const sdk = await this.sdk();
    const handle = await sdk.client(this.namespace).workflow.start(COORDINATOR_WORKFLOW_TYPE, {
      workflowId,
      taskQueue: this.taskQueue,
      args: [input],
    });
    return new SdkRunningCoordinator(sdk, this.namespace, handle as WorkflowHandle);
  }
}

class SdkRunningCoordinator implements RunningCoordinator {
  readonly workflowId: string;
  private waitingTask: string | undefined;

  constructor(
    private readonly sdk: SdkSide,
    private readonly namespace: string,
    private readonly handle: WorkflowHandle,
  ) {
    this.workflowId = handle.workflowId;
  }

  async progress(): Promise<SliceProgress[]> {
    const [{ pendingActivities, pendingWorkflowTask }, { defaultPayloadConverter }] = await Promise.all([
      this.sdk.connection.workflowService.describeWorkflowExecution({ namespace: this.namespace, execution: { workflowId: this.workflowId } }),
      import('@temporalio/common'),
    ]);
    // originalScheduledTime stays when a task moves from a (dead) agent's sticky queue to the shared one.
    const waiting = pendingWorkflowTask && Number(pendingWorkflowTask.state) === PENDING_WORKFLOW_TASK_STATE_SCHEDULED;
    this.waitingTask = waiting ? String(millisOf((pendingWorkflowTask.originalScheduledTime ?? pendingWorkflowTask.scheduledTime) as Timestamp) ?? 0) : undefined;
    const progress: SliceProgress[] = [];
    for (const activity of pendingActivities ?? []) {
      const slice = sliceOfActivityId(activity.activityId ?? '');
      if (!slice) continue;
      progress.push({ ...slice, ...stateOf(activity), heartbeat: heartbeatOf(activity, (payload) => defaultPayloadConverter.fromPayload(payload)) });
    }
    return progress.sort((a, b) => a.index - b.index);
  }

  async stop(): Promise<void> {
    await whileOpen(this.handle.signal(STOP_SIGNAL));
  }

  async cancel(): Promise<void> {
    await whileOpen(this.handle.cancel());
  }

  async result(): Promise<CoordinatorResult> {
    return (await this.handle.result()) as CoordinatorResult;
  }

  waitingWorkflowTask(): string | undefined {
    return this.waitingTask;
  }

  async abandon(openReason: string): Promise<CoordinatorResult> {
    await whileOpen(this.handle.terminate(openReason));
    const [history, { defaultPayloadConverter }] = await Promise.all([this.handle.fetchHistory(), import('@temporalio/common')]);
    return { outcomes: outcomesOfHistory(history.events ?? [], (payload) => defaultPayloadConverter.fromPayload(payload), openReason), stopped: false };
  }
}

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
type Payload = temporal.api.common.v1.IPayload;

function decoded(payload: Payload | null | undefined, decode: (payload: Payload) => unknown): unknown {
  if (!payload) return undefined;
  try {
    return decode(payload);
  } catch {
    return undefined;
  }
}

/**
 * How each slice attempt the coordinator scheduled ended, from its history (as the workflow would have told
 * it, without its sandbox): a completion is finished (its report's result), a heartbeat timeout lost, a
 * schedule-to-start timeout or a cancel before any agent took it not-taken, a failure failed; an attempt
 * still open is lost with `openReason`. Pure (exported for tests).
 */
export function outcomesOfHistory(events: readonly HistoryEvent[], decode: (payload: Payload) => unknown, openReason: string): SliceOutcome[] {
  const scheduled = new Map<string, { index: number; shard: string; agent: string | null }>();
  const outcomes: SliceOutcome[] = [];
  for (const event of events) {
    const id = String(event.eventId);
    const scheduledAttributes = event.activityTaskScheduledEventAttributes;
    const slice = scheduledAttributes && sliceOfActivityId(scheduledAttributes.activityId ?? '');
    if (slice) scheduled.set(id, { ...slice, agent: null });
    const started = event.activityTaskStartedEventAttributes;
    if (started) {
      const attempt = scheduled.get(String(started.scheduledEventId));
      if (attempt) attempt.agent = started.identity || null;
    }
    const ended = endOf(event, decode);
    const attempt = ended && scheduled.get(ended.scheduledEventId);
    if (!ended || !attempt) continue;
    scheduled.delete(ended.scheduledEventId);
    outcomes.push(ended.outcome(attempt));
  }
  for (const { index, shard, agent } of scheduled.values()) outcomes.push({ index, shard, status: 'lost', agent, lastHeartbeat: null, reason: openReason });
  return outcomes;
}

type Attempt = { index: number; shard: string; agent: string | null };

/** The end of an activity in one history event: which attempt (its scheduled event) and its outcome. */
function endOf(event: HistoryEvent, decode: (payload: Payload) => unknown): { scheduledEventId: string; outcome: (attempt: Attempt) => SliceOutcome } | undefined {
  const completed = event.activityTaskCompletedEventAttributes;
  if (completed) {
    const report = sliceReportOf([decoded(completed.result?.payloads?.[0], decode)]);
    return {
      scheduledEventId: String(completed.scheduledEventId),
      outcome: ({ index, shard, agent }) => report?.result
        ? { index, shard, status: 'finished', agent: report.agent, result: report.result, ...(report.note ? { note: report.note } : {}) }
        : { index, shard, status: 'failed', agent: report?.agent ?? agent, lastHeartbeat: report?.lastHeartbeat ?? null, reason: 'the agent returned no result' },
    };
  }
  const timedOut = event.activityTaskTimedOutEventAttributes;
  if (timedOut) {
    const info = timedOut.failure?.timeoutFailureInfo;
    const heartbeat = asSliceHeartbeat(decoded(info?.lastHeartbeatDetails?.payloads?.[0], decode)) ?? null;
    return {
      scheduledEventId: String(timedOut.scheduledEventId),
      outcome: ({ index, shard, agent }) => Number(info?.timeoutType) === TIMEOUT_TYPE_SCHEDULE_TO_START
        ? { index, shard, status: 'not-taken', reason: 'no agent took the slice within the agent wait' }
        : {
          index, shard, status: 'lost', agent: heartbeat?.agent ?? agent, lastHeartbeat: heartbeat,
          reason: Number(info?.timeoutType) === TIMEOUT_TYPE_HEARTBEAT ? 'the agent stopped heartbeating (heartbeat timeout)' : 'the slice timed out',
        },
    };
  }
  const failed = event.activityTaskFailedEventAttributes;
  if (failed) {
    const report = sliceReportOf([decoded(failed.failure?.applicationFailureInfo?.details?.payloads?.[0], decode)]);
    return {
      scheduledEventId: String(failed.scheduledEventId),
      outcome: ({ index, shard, agent }) => ({
        index, shard, status: 'failed', agent: report?.agent ?? agent, lastHeartbeat: report?.lastHeartbeat ?? null, reason: failed.failure?.message ?? 'the slice failed',
      }),
    };
  }
  const cancelled = event.activityTaskCanceledEventAttributes;
  if (cancelled) {
    return {
      scheduledEventId: String(cancelled.scheduledEventId),
      outcome: ({ index, shard }) => ({ index, shard, status: 'not-taken', reason: 'the run was stopped before an agent took the slice' }),
    };
  }
  return undefined;
}

/** A stop or cancel that comes after the coordinator ended (its last slice ended meanwhile) has nothing to do. */
async function whileOpen(call: Promise<unknown>): Promise<void> {
  try {
    await call;
  } catch (error) {
    if (!(error instanceof Error && error.name === 'WorkflowNotFoundError')) throw error;
  }
}

type PendingActivity = temporal.api.workflow.v1.IPendingActivityInfo;

function stateOf(activity: PendingActivity): Pick<SliceProgress, 'state' | 'agent'> {
  const agent = activity.lastWorkerIdentity || null;
  // A cancel-requested slice still runs (draining) if an agent had taken it.
  const running = Number(activity.state) !== PENDING_ACTIVITY_STATE_SCHEDULED && agent !== null;
  return { state: running ? 'running' : 'scheduled', agent: running ? agent : null };
}

function heartbeatOf(activity: PendingActivity, decode: (payload: temporal.api.common.v1.IPayload) => unknown): SliceHeartbeat | null {
  const payload = activity.heartbeatDetails?.payloads?.[0];
  if (!payload) return null;
  try {
    return asSliceHeartbeat(decode(payload)) ?? null;
  } catch {
    return null; // not an agent's heartbeat (another program's activity on the queue)
  }
}
