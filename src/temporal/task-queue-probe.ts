import type { PickupProbe } from '../shared/pickup-probe.js';

/**
 * The questions a probe asks the server about a task queue and a stuck workflow; answered over
 * sched-bench's own channel or the SDK's connection (TemporalService picks).
 */
export interface TaskQueueQueries {
  /** Workers that polled the workflow task queue lately, as its root partition saw them. */
  rootPartitionPollers(): Promise<number>;
  /** The same over every partition (DescribeTaskQueue's enhanced mode; deprecated on newer servers). */
  allPartitionPollers(): Promise<number>;
  /** The attempt of the workflow's pending workflow task (0 when none). */
  pendingWorkflowTaskAttempt(workflowId: string): Promise<number>;
  /** The failure message of the last WorkflowTaskFailed event in the first page of the history. */
  lastWorkflowTaskFailure(workflowId: string): Promise<string | undefined>;
}

/**
 * Asks the server why a run's workflows make no progress: is any worker polling the workflow task
 * queue (DescribeTaskQueue), and do the workflow tasks of a stuck workflow fail (its pending task's
 * attempt, and the failure the history keeps of the first failed attempt)?
 */
export class TaskQueueProbe implements PickupProbe {
  constructor(private readonly queries: TaskQueueQueries) {}

  /**
   * Workers that polled the workflow task queue lately (the server keeps pollers of the last minutes).
   * The plain describe sees the root partition only; when it sees none, the enhanced mode (all
   * partitions; deprecated on newer servers, so its failure counts as none) is asked too.
   */
  async pollerCount(): Promise<number> {
    const pollers = await this.queries.rootPartitionPollers();
    if (pollers > 0) return pollers;
    try {
      return await this.queries.allPartitionPollers();
    } catch {
      return 0;
    }
  }

  /**
   * The failure message of the workflow's workflow tasks when they keep failing (attempt ≥ 2), else
   * undefined. Later attempts are transient (not in the history): the first failure names the cause.
   */
  async workflowTaskFailure(workflowId: string): Promise<string | undefined> {
    const attempt = await this.queries.pendingWorkflowTaskAttempt(workflowId);
    if (attempt < 2) return undefined;
    return (await this.queries.lastWorkflowTaskFailure(workflowId)) || `workflow task attempt ${attempt} without a recorded failure`;
  }
}
