import type { ConnectionLike } from '@temporalio/client';
import type { PickupProbe } from '../scheduler/run-watch.js';

/** Enum values of the Temporal API (temporal.api.enums.v1), numbered as on the wire. */
const TASK_QUEUE_KIND_NORMAL = 1;
const TASK_QUEUE_TYPE_WORKFLOW = 1;
const EVENT_TYPE_WORKFLOW_TASK_FAILED = 9;
const DESCRIBE_TASK_QUEUE_MODE_ENHANCED = 1;

type WorkflowService = ConnectionLike['workflowService'];

/**
 * Asks the server why a run's workflows make no progress: is any worker polling the workflow task
 * queue (DescribeTaskQueue), and do the workflow tasks of a stuck workflow fail (its pending task's
 * attempt, and the failure the history keeps of the first failed attempt)?
 */
export class TaskQueueProbe implements PickupProbe {
  /**
   * `rootPollers` answers the common question cheaply (sched-bench's own channel); `workflowService`
   * (the SDK's, opened on first use) the rarer ones.
   */
  constructor(
    private readonly sources: { rootPollers: () => Promise<number>; workflowService: () => Promise<WorkflowService> },
    private readonly namespace: string,
    private readonly taskQueue: string,
  ) {}

  /**
   * Workers that polled the workflow task queue lately (the server keeps pollers of the last minutes).
   * The plain describe sees the root partition only; when it sees none, the enhanced mode (all
   * partitions; deprecated on newer servers, so its failure counts as none) is asked too.
   */
  async pollerCount(): Promise<number> {
    const taskQueue = { name: this.taskQueue, kind: TASK_QUEUE_KIND_NORMAL };
    const pollers = await this.sources.rootPollers();
    if (pollers > 0) return pollers;
    try {
      const service = await this.sources.workflowService();
      const { versionsInfo } = await service.describeTaskQueue({
        namespace: this.namespace, taskQueue, apiMode: DESCRIBE_TASK_QUEUE_MODE_ENHANCED, reportPollers: true,
        taskQueueTypes: [TASK_QUEUE_TYPE_WORKFLOW],
      });
      return Object.values(versionsInfo ?? {}).reduce((sum, version) => sum + (version.typesInfo?.[TASK_QUEUE_TYPE_WORKFLOW]?.pollers?.length ?? 0), 0);
    } catch {
      return 0;
    }
  }

  /**
   * The failure message of the workflow's workflow tasks when they keep failing (attempt ≥ 2), else
   * undefined. Later attempts are transient (not in the history): the first failure names the cause.
   */
  async workflowTaskFailure(workflowId: string): Promise<string | undefined> {
    const execution = { workflowId };
    const service = await this.sources.workflowService();
    const { pendingWorkflowTask } = await service.describeWorkflowExecution({ namespace: this.namespace, execution });
    const attempt = pendingWorkflowTask?.attempt ?? 0;
    if (attempt < 2) return undefined;
    const { history } = await service.getWorkflowExecutionHistory({ namespace: this.namespace, execution, maximumPageSize: 100 });
    const failed = (history?.events ?? []).filter((event) => Number(event.eventType) === EVENT_TYPE_WORKFLOW_TASK_FAILED).at(-1);
    return failed?.workflowTaskFailedEventAttributes?.failure?.message || `workflow task attempt ${attempt} without a recorded failure`;
  }
}
