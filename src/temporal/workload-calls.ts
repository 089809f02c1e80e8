import type { Client, WorkflowStartOptions } from '@temporalio/client';
import type { BenchHistoryEvent } from '../shared/history-events.js';
import type { AcceptedUpdate, WorkloadCalls } from '../shared/launcher.js';
import type { ServiceConnection } from './connect.js';
import { isAlreadyStarted, isQueryNotYetProcessed, isWorkflowAlreadyCompleted, operationFailureKind } from './failure-kind.js';
import { fetchBenchHistory } from './history.js';
import { retryingRefusals, type RetryRules } from './refusal-retries.js';
import { startRules, type LaunchTarget, type WorkflowStarts } from './workflow-starts.js';

/**
 * The workloads' calls on a launch target's workflows (signals, updates, queries, histories), over the
 * SDK's client (the echo hot path and history reads keep sched-bench's own wire where it is there). Workflows created here (signal- and
 * update-with-start) are created like every start: the same id sequence, marks, task queue, start delay.
 */
export class TargetWorkloadCalls implements WorkloadCalls {
  constructor(
    private readonly connection: ServiceConnection,
    private readonly starts: WorkflowStarts,
    private readonly target: LaunchTarget,
  ) {}

  private async client(): Promise<Client> {
    return (await this.connection.sdk()).client(this.target.namespace);
  }

  /** Retries refusals of a call on an existing workflow within the retry budget; fails with a LaunchError of its kind. */
  private onWorkflow<T>(workflowId: string, what: string, call: (client: Client) => Promise<T>, more: Partial<RetryRules<T>> = {}): Promise<T> {
    return this.retried(workflowId, what, async () => call(await this.client()), more);
  }

  /** The same for a call that brings its own transport (sched-bench's channel: the SDK is not loaded for it). */
  private retried<T>(workflowId: string, what: string, attempt: () => Promise<T>, more: Partial<RetryRules<T>> = {}): Promise<T> {
    const rules: RetryRules<T> = { kindOf: operationFailureKind, creates: false, message: (failure) => `${what} of ${workflowId} failed: ${failure}`, ...more };
    return retryingRefusals(this.connection, attempt, rules);
  }

  /** How a workflow created here starts: like WorkflowStarts' starts (its id from the same sequence). */
  private async startOptions(workflowId: string, args: unknown[]): Promise<WorkflowStartOptions> {
    const { namespace, taskQueue, startDelayMs } = this.target;
    const { memo, searchAttribute } = this.starts.startMarks(namespace);
    const options: WorkflowStartOptions = {
      workflowId, taskQueue, args, memo,
      // Ids are unique per run; a second start of one means two processes share a run id: make it visible.
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      ...(startDelayMs ? { startDelay: startDelayMs } : {}),
    };
    if (searchAttribute) {
      const { defineSearchAttributeKey } = await import('@temporalio/common');
      options.typedSearchAttributes = [{ key: defineSearchAttributeKey(searchAttribute.name, 'KEYWORD'), value: searchAttribute.value }];
    }
    return options;
  }

  /**
   * A retry told the workflow already completed means an earlier attempt landed and only its answer was
   * lost: the workloads' workflows complete on a signal (the K-th, the query workload's finish), so it is
   * taken as sent. A workflow that closed otherwise is told by its result wait.
   */
  signal(workflowId: string, signalName: string, args: unknown[]): Promise<void> {
    return this.onWorkflow(workflowId, `signal ${signalName}`, (client) => client.workflow.getHandle(workflowId).signal(signalName, ...args), {
      landedEarlier: signalLandedEarlier,
    });
  }

  async signalWithStart(workflowType: string, args: unknown[], signalName: string, signalArgs: unknown[]): Promise<string> {
    const workflowId = this.starts.nextWorkflowId();
    const options = await this.startOptions(workflowId, args);
    return retryingRefusals(this.connection, async () => {
      await (await this.client()).workflow.signalWithStart(workflowType, { ...options, signal: signalName, signalArgs });
      return workflowId;
    }, startRules(workflowId));
  }

  startUpdate(workflowId: string, updateName: string, args: unknown[]): Promise<AcceptedUpdate> {
    // One update id for every attempt: a retry of an update that landed is the same update, not a second one.
    const updateId = randomId();
    return this.onWorkflow(workflowId, `update ${updateName}`, async (client) => {
      const { WorkflowUpdateStage } = await import('@temporalio/client');
      const handle = await client.workflow.getHandle(workflowId).startUpdate(updateName, { args: args as [unknown, ...unknown[]], updateId, waitForStage: WorkflowUpdateStage.ACCEPTED });
      return this.acceptedUpdate(workflowId, updateName, () => handle.result());
    });
  }

  async updateWithStart(
    workflowType: string, args: unknown[], updateName: string, updateArgs: unknown[], onCreating?: (workflowId: string) => void,
  ): Promise<AcceptedUpdate & { workflowId: string }> {
    const workflowId = this.starts.nextWorkflowId();
    onCreating?.(workflowId);
    const options = await this.startOptions(workflowId, args);
    const updateId = randomId();
    const rules: RetryRules<AcceptedUpdate> = {
      ...startRules(workflowId),
      // The workflow an earlier attempt created already closed (its id is not reused): that attempt's update is the one to wait for.
      landedEarlier: (error) => (isAlreadyStarted(error) ? { value: this.acceptedUpdate(workflowId, updateName, async () =>
        (await this.client()).workflow.getHandle(workflowId).getUpdateHandle(updateId).result()) } : undefined),
    };
    const accepted = await retryingRefusals(this.connection, async () => {
      const [client, { WithStartWorkflowOperation, WorkflowUpdateStage }] = await Promise.all([this.client(), import('@temporalio/client')]);
      // Conflict policy USE_EXISTING with one update id for every attempt: a retry after a lost answer
      // attaches to the workflow (and the update) the earlier attempt created instead of failing.
      const startWorkflowOperation = new WithStartWorkflowOperation(workflowType, { ...options, workflowIdConflictPolicy: 'USE_EXISTING' });
      const handle = await client.workflow.startUpdateWithStart(updateName, {
        args: updateArgs as [unknown, ...unknown[]], updateId, waitForStage: WorkflowUpdateStage.ACCEPTED, startWorkflowOperation,
      });
      return this.acceptedUpdate(workflowId, updateName, () => handle.result());
    }, rules);
    return { workflowId, result: accepted.result };
  }

  /** An accepted update whose result wait retries refusals like every wait on an existing workflow. */
  private acceptedUpdate(workflowId: string, updateName: string, result: () => Promise<unknown>): AcceptedUpdate {
    return { result: () => this.onWorkflow(workflowId, `update ${updateName}`, result) };
  }

  /**
   * The server holds a query to a workflow whose first workflow task has not completed until a worker
   * answers it, up to the request's deadline (isQueryNotYetProcessed: the client's or the server's timeout):
   * the workers are behind, not the server, so it is asked again within the retry budget without counting
   * as the server's refusal.
   */
  query(workflowId: string, queryName: string, args: unknown[]): Promise<unknown> {
    return this.onWorkflow(workflowId, `query ${queryName}`, (client) => client.workflow.getHandle(workflowId).query(queryName, ...args), {
      waitsOnWorker: isQueryNotYetProcessed,
    });
  }

  /**
   * The latest run's history, every page, reduced: over sched-bench's own channel when the connection
   * has it (a sampled history read must not load the SDK), else over the SDK's client; the same list either way.
   */
  history(workflowId: string): Promise<BenchHistoryEvent[]> {
    const { wire } = this.connection;
    if (wire) return this.retried(workflowId, 'history', () => wire.history(this.target.namespace, workflowId));
    return this.onWorkflow(workflowId, 'history', (client) => fetchBenchHistory(client, workflowId));
  }
}

/** On a signal's retry: whether the error says an earlier attempt landed (see TargetWorkloadCalls.signal). */
export function signalLandedEarlier(error: unknown): { value: void } | undefined {
  return isWorkflowAlreadyCompleted(error) ? { value: undefined } : undefined;
}

function randomId(): string {
  return globalThis.crypto.randomUUID();
}
