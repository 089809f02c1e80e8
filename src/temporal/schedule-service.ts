import { ScheduleAlreadyRunning, ScheduleNotFoundError, type Client, type ScheduleOptions, type ScheduleSpec } from '@temporalio/client';
import { ConnectionError, UsageError, firstLine } from '../errors.js';
import type { ServerHealth } from '../metrics/server-health.js';
import { resultFailureKind } from './failure-kind.js';
import { firstTaskTimes, type FirstTaskTimes } from './history.js';
import type { FireSpec, OverlapPolicyName, ScheduleSource, ScheduleState } from '../shared/schedule-types.js';

const OVERLAP_TO_SDK = {
  skip: 'SKIP', 'buffer-one': 'BUFFER_ONE', 'buffer-all': 'BUFFER_ALL',
  'cancel-other': 'CANCEL_OTHER', 'terminate-other': 'TERMINATE_OTHER', 'allow-all': 'ALLOW_ALL',
} as const;

/** One schedule as sched-bench creates it: an EchoWorkflow (or another type) on a task queue. */
export interface ScheduleDefinition {
  scheduleId: string;
  spec: FireSpec;
  startMs: number;
  endMs: number;
  jitterMs: number;
  overlap: OverlapPolicyName;
  catchupWindowMs?: number;
  workflowType: string;
  args: unknown[];
  taskQueue: string;
  /** Fired workflows get ids `<workflowIdPrefix>-<nominal time>` (the server appends the time). */
  workflowIdPrefix: string;
  memo: Record<string, unknown>;
}



/** A fired workflow as visibility lists it at the end, for checking the overlap policy. */
export interface FiredWorkflow {
  workflowId: string;
  status: string;
  startMs: number;
  closeMs: number | undefined;
}

/** A schedule found by a cleanup listing, with the run id sched-bench put into its memo (undefined: not ours). */
export interface ListedSchedule {
  scheduleId: string;
  schedBenchRunId: string | undefined;
}

/** Creating a schedule whose id exists: "reuse" keeps an identical one, "fail" refuses any. */
export type OnConflict = 'fail' | 'reuse';

/** Schedule memo key holding the schedule's shape, so a re-run can tell "the same schedule" from another. */
const SHAPE_MEMO_KEY = 'schedBenchShape';

/** Everything that makes a schedule what it is, except its window (which each run sets anew). */
function shapeOf(definition: ScheduleDefinition): string {
  const { spec } = definition;
  const when = spec.kind === 'interval' ? `every=${spec.everyMs}ms,offset=${spec.offsetMs ?? 0}ms` : `cron=${spec.expression}`;
  return [when, `jitter=${definition.jitterMs}ms`, `overlap=${definition.overlap}`, `catchup=${definition.catchupWindowMs ?? 'default'}`,
    `type=${definition.workflowType}`, `queue=${definition.taskQueue}`].join(';');
}

function sdkSpec(definition: ScheduleDefinition): ScheduleSpec {
  const { spec } = definition;
  return {
    ...(spec.kind === 'interval'
      ? { intervals: [{ every: spec.everyMs, ...(spec.offsetMs ? { offset: spec.offsetMs } : {}) }] }
      : { cronExpressions: [spec.expression] }),
    startAt: new Date(definition.startMs),
    endAt: new Date(definition.endMs),
    ...(definition.jitterMs > 0 ? { jitter: definition.jitterMs } : {}),
    timezone: 'UTC',
  };
}

/**
 * Temporal Schedules for a run: create, observe, delete. The only place that talks to the server's
 * schedule API; what the observations mean is worked out elsewhere.
 */
export class ScheduleService implements ScheduleSource {
  private health: ServerHealth | undefined;

  constructor(
    private readonly client: Client,
    readonly namespace: string,
  ) {}

  /** Records each describe's outcome (answered, or the server unreachable) with `health`, as the load's calls are. */
  reportHealthTo(health: ServerHealth): this {
    this.health = health;
    return this;
  }

  /**
   * Creates the schedule; when its id exists, "reuse" keeps it if its spec and action are the same
   * (idempotent re-runs), and anything else is a UsageError naming the id (exit 2).
   */
  async create(definition: ScheduleDefinition, onConflict: OnConflict): Promise<'created' | 'reused'> {
    const options: ScheduleOptions = {
      scheduleId: definition.scheduleId,
      spec: sdkSpec(definition),
      action: {
        type: 'startWorkflow',
        workflowType: definition.workflowType,
        args: definition.args,
        taskQueue: definition.taskQueue,
        workflowId: definition.workflowIdPrefix,
        memo: definition.memo,
      },
      policies: {
        overlap: OVERLAP_TO_SDK[definition.overlap],
        ...(definition.catchupWindowMs !== undefined ? { catchupWindow: definition.catchupWindowMs } : {}),
      },
      memo: { ...definition.memo, [SHAPE_MEMO_KEY]: shapeOf(definition) },
    };
    try {
      await this.client.schedule.create(options);
      return 'created';
    } catch (error) {
      if (!(error instanceof ScheduleAlreadyRunning)) throw error;
      if (onConflict === 'fail') throw new UsageError(`schedule ${definition.scheduleId} already exists (--on-conflict fail)`);
      const handle = this.client.schedule.getHandle(definition.scheduleId);
      const existing = await handle.describe();
      if (existing.memo?.[SHAPE_MEMO_KEY] !== shapeOf(definition)) {
        throw new UsageError(
          `schedule ${definition.scheduleId} already exists with a different spec, policy or action; delete it, use another --run-id, or --on-conflict fail`,
        );
      }
      // Same shape (a re-run with the same run id): replace it, so its counters and recent fires
      // start from zero with this run's window rather than carrying the earlier run's.
      await handle.delete();
      await this.client.schedule.create(options);
      return 'reused';
    }
  }

  /** The server's counters and recent fires of one schedule. */
  async describe(scheduleId: string): Promise<ScheduleState> {
    const sentAt = Date.now();
    let description: Awaited<ReturnType<ReturnType<Client['schedule']['getHandle']>['describe']>>;
    try {
      description = await this.client.schedule.getHandle(scheduleId).describe();
    } catch (error) {
      if (resultFailureKind(error) === 'server_unavailable') this.health?.refused('server_unavailable', sentAt, Date.now(), firstLine(error));
      else this.health?.answered(sentAt, Date.now());
      throw error;
    }
    this.health?.answered(sentAt, Date.now());
    const { info } = description;
    return {
      scheduleId,
      taken: info.numActionsTaken,
      skippedOverlap: info.numActionsSkippedOverlap,
      missedCatchupWindow: info.numActionsMissedCatchupWindow,
      buffered: Number(description.raw.info?.bufferSize ?? 0),
      running: info.runningActions.length,
      createdAtMs: info.createdAt.getTime(),
      recentFires: info.recentActions.map((action) => ({
        scheduleId,
        workflowId: action.action.workflow.workflowId,
        runId: action.action.workflow.firstExecutionRunId,
        scheduledAtMs: action.scheduledAt.getTime(),
        takenAtMs: action.takenAt.getTime(),
      })),
    };
  }

  /** Deletes the schedule; one that is already gone counts as deleted. */
  async delete(scheduleId: string): Promise<void> {
    try {
      await this.client.schedule.getHandle(scheduleId).delete();
    } catch (error) {
      if (!(error instanceof ScheduleNotFoundError)) throw error;
    }
  }

  /** Whether the schedule still exists (describe, not the eventually consistent list). */
  async exists(scheduleId: string): Promise<boolean> {
    try {
      await this.client.schedule.getHandle(scheduleId).describe();
      return true;
    } catch (error) {
      if (error instanceof ScheduleNotFoundError) return false;
      throw error;
    }
  }

  /**
   * The schedules whose id starts with `idPrefix`, with the run id from their memo (`runIdMemoKey`), so
   * the caller can leave alone a schedule sched-bench did not create. The server's schedule list is
   * eventually consistent: one created a moment ago may be missing for a few seconds.
   */
  async listSchedules(idPrefix: string, runIdMemoKey: string): Promise<ListedSchedule[]> {
    const listed: ListedSchedule[] = [];
    try {
      for await (const summary of this.client.schedule.list()) {
        if (!summary.scheduleId.startsWith(idPrefix)) continue;
        const runId = summary.memo?.[runIdMemoKey];
        listed.push({ scheduleId: summary.scheduleId, schedBenchRunId: typeof runId === 'string' ? runId : undefined });
      }
    } catch (error) {
      throw new ConnectionError(`cannot list the schedules: ${firstLine(error)}`, { cause: error });
    }
    return listed;
  }

  /** When the workflow started and when a worker first picked up a task of it, from its history. */
  firstTaskOf(workflowId: string, runId: string | undefined): Promise<FirstTaskTimes> {
    return firstTaskTimes(this.client, workflowId, runId);
  }

  /** The workflows the run's schedules started, with their status and times (visibility). */
  async listFired(workflowIdPrefix: string): Promise<FiredWorkflow[]> {
    const fired: FiredWorkflow[] = [];
    try {
      for await (const info of this.client.workflow.list({ query: `WorkflowId STARTS_WITH "${workflowIdPrefix}"` })) {
        fired.push({ workflowId: info.workflowId, status: info.status.name, startMs: info.startTime.getTime(), closeMs: info.closeTime?.getTime() });
      }
    } catch (error) {
      throw new ConnectionError(`cannot list the fired workflows: ${firstLine(error)}`, { cause: error });
    }
    return fired;
  }

}
