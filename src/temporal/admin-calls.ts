import { ConnectionError, firstLine } from '../errors.js';
import { backoffDelay, THROTTLED_BACKOFF, UNAVAILABLE_BACKOFF } from '../shared/backoff.js';
import type { ServiceConnection } from './connect.js';
import { grpcCodeOf, startFailureKind } from './failure-kind.js';
import type { ScheduleService } from './schedule-service.js';
import { DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_RETRY_BUDGET_MS, RUN_ID_MEMO_KEY, RUN_ID_SEARCH_ATTRIBUTE } from './service-options.js';
import type { TaskQueueQueries } from './task-queue-probe.js';

const KEYWORD_INDEXED_VALUE_TYPE = 2;
const GRPC_NOT_FOUND = 5;
/** The least time an admin call keeps retrying a throttling or absent server (even with --retry-timeout 0). */
const ADMIN_RETRY_MIN_MS = 10_000;

/** A string literal of the visibility query language: a type name with a quote in it stays one value. */
function visibilityString(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** One workflow found by a cleanup listing. */
export interface ListedWorkflow {
  workflowId: string;
  runId: string;
  /** RUNNING, COMPLETED, FAILED, … */
  status: string;
  /** The run id sched-bench put into the memo, or undefined when the workflow is not ours. */
  schedBenchRunId: string | undefined;
}

/** Workflow counts of one run on the server, by execution status (Running, Completed, Failed, …). */
export type WorkflowCountsByStatus = Record<string, number>;

/**
 * Calls besides starts and result waits: namespace and search-attribute checks, counts, listing,
 * terminate and delete, schedules, task-queue queries, history reads and the server's version. Over
 * sched-bench's own channel where it has the call, else the SDK's.
 */
export class AdminCalls {
  /** Namespaces where the run-id search attribute is registered (checked once per namespace). */
  private readonly searchAttributeIn = new Map<string, boolean>();

  constructor(
    private readonly connection: ServiceConnection,
    private readonly workflowIdPrefix: string,
  ) {}

  /** Whether the run-id search attribute was found registered in the namespace (by checkNamespace). */
  carriesRunIdAttribute(namespace: string): boolean {
    return this.searchAttributeIn.get(namespace) ?? false;
  }

  /**
   * A call of the wire's besides starts and result waits (namespace, search attributes, counts, task
   * queue), retried while the server throttles or is away, as the SDK's own connection retries them;
   * within the retry budget (at least ADMIN_RETRY_MIN_MS), and ended by a stop.
   */
  private async retried<T>(call: () => Promise<T>): Promise<T> {
    const { connection } = this;
    const startedAt = Date.now();
    const budgetMs = Math.max(connection.settings.retryBudgetMs ?? DEFAULT_RETRY_BUDGET_MS, ADMIN_RETRY_MIN_MS);
    for (let attempt = 1; ; attempt++) {
      try {
        return await call();
      } catch (error) {
        const kind = startFailureKind(error);
        const policy = kind === 'throttled' ? THROTTLED_BACKOFF : kind === 'server_unavailable' ? UNAVAILABLE_BACKOFF : undefined;
        const delay = policy && backoffDelay(policy, attempt);
        if (delay === undefined || Date.now() + delay - startedAt > budgetMs || connection.backoffs.stopped || connection.closed) throw error;
        await connection.backoffs.sleep(delay);
        if (connection.closed) throw error;
      }
    }
  }

  /**
   * Throws a ConnectionError naming the namespace when the server does not know it, and notes whether
   * the run-id search attribute is registered there (then every start carries it).
   */
  async checkNamespace(namespace: string): Promise<void> {
    const { wire, address } = this.connection;
    try {
      // Both at once: each round trip before the first start is start-up time.
      const [, hasAttribute] = await Promise.all([
        wire
          ? this.retried(() => wire.describeNamespace(namespace))
          : this.connection.sdk().then((sdk) => sdk.connection.workflowService.describeNamespace({ namespace })),
        this.hasRunIdSearchAttribute(namespace),
      ]);
      this.searchAttributeIn.set(namespace, hasAttribute);
    } catch (error) {
      if (grpcCodeOf(error) === GRPC_NOT_FOUND) {
        throw new ConnectionError(`namespace "${namespace}" does not exist on ${address}`);
      }
      throw new ConnectionError(`cannot describe namespace "${namespace}" on ${address}: ${firstLine(error)}`, {
        cause: error,
      });
    }
  }

  private async hasRunIdSearchAttribute(namespace: string): Promise<boolean> {
    const { wire } = this.connection;
    try {
      if (wire) return (await this.retried(() => wire.customSearchAttributes(namespace))).get(RUN_ID_SEARCH_ATTRIBUTE) === KEYWORD_INDEXED_VALUE_TYPE;
      const { customAttributes } = await (await this.connection.sdk()).connection.operatorService.listSearchAttributes({ namespace });
      return customAttributes?.[RUN_ID_SEARCH_ATTRIBUTE] === KEYWORD_INDEXED_VALUE_TYPE;
    } catch {
      return false; // not allowed to ask (e.g. a restricted API key): do without it
    }
  }

  /**
   * Lists workflows whose id starts with `<idPrefix>-<runId>-` (or `<idPrefix>-` for every run), with
   * the run id from their memo so the caller can refuse workflows sched-bench did not start.
   */
  async *listWorkflows(namespace: string, selection: { idPrefix: string; runId?: string }): AsyncGenerator<ListedWorkflow> {
    const prefix = selection.runId ? `${selection.idPrefix}-${selection.runId}-` : `${selection.idPrefix}-`;
    const client = (await this.connection.sdk()).client(namespace);
    for await (const info of client.workflow.list({ query: `WorkflowId STARTS_WITH "${prefix}"` })) {
      const memoRunId = info.memo?.[RUN_ID_MEMO_KEY];
      yield {
        workflowId: info.workflowId,
        runId: info.runId,
        status: info.status.name,
        schedBenchRunId: typeof memoRunId === 'string' ? memoRunId : undefined,
      };
    }
  }

  /** How late the first workflow task ran after the start delay, from the history (server times only). */
  async delayLagOf(namespace: string, workflowId: string, delayMs: number): Promise<number | undefined> {
    const { fetchBenchHistory, firstTaskTimesOf } = await import('./history.js');
    const { wire } = this.connection;
    // Over sched-bench's own channel when it is there: a lag read must not load the SDK.
    const events = wire
      ? await this.retried(() => wire.history(namespace, workflowId))
      : await fetchBenchHistory((await this.connection.sdk()).client(namespace), workflowId);
    const { startedMs, firstTaskMs } = firstTaskTimesOf(events, workflowId);
    return firstTaskMs === undefined ? undefined : firstTaskMs - startedMs - delayMs;
  }

  /** Schedules in a namespace (create, observe, delete), over the SDK connection. */
  async scheduleService(namespace: string): Promise<ScheduleService> {
    return (await this.connection.sdk()).scheduleService(namespace);
  }

  /** Terminates one running workflow (e.g. left behind by a cut-short drain). */
  async terminateWorkflow(namespace: string, workflowId: string, reason: string): Promise<void> {
    await (await this.connection.sdk()).client(namespace).workflow.getHandle(workflowId).terminate(reason);
  }

  /** Deletes one workflow execution (the server terminates it first when it is still running). */
  async deleteWorkflow(namespace: string, workflowId: string, runId: string): Promise<void> {
    await (await this.connection.sdk()).connection.workflowService.deleteWorkflowExecution({ namespace, workflowExecution: { workflowId, runId } });
  }

  /**
   * Counts this run's workflow executions on the server (visibility), grouped by execution status; of
   * one workflow type when given (a continue-as-new chain counts once per run, ContinuedAsNew but the last).
   */
  async countRunWorkflows(namespace: string, workflowType?: string): Promise<WorkflowCountsByStatus> {
    const { wire } = this.connection;
    const ofType = workflowType === undefined ? '' : ` AND WorkflowType = ${visibilityString(workflowType)}`;
    const query = `WorkflowId STARTS_WITH ${visibilityString(this.workflowIdPrefix)}${ofType} GROUP BY ExecutionStatus`;
    const counts: WorkflowCountsByStatus = {};
    if (wire) {
      for (const group of (await this.retried(() => wire.countWorkflows(namespace, query))).groups) counts[String(group.value)] = group.count;
      return counts;
    }
    const { groups } = await (await this.connection.sdk()).client(namespace).workflow.count(query);
    for (const group of groups) counts[String(group.groupValues[0])] = group.count;
    return counts;
  }

  /** The server's version (GetSystemInfo), or undefined when the server does not say. */
  async serverVersion(): Promise<string | undefined> {
    const { wire, serverVersionAtConnect } = this.connection;
    try {
      if (serverVersionAtConnect) return serverVersionAtConnect; // asked at connect
      if (wire) return await this.retried(() => wire.serverVersion(DEFAULT_CONNECT_TIMEOUT_MS));
      const info = await (await this.connection.sdk()).connection.workflowService.getSystemInfo({});
      return info.serverVersion || undefined;
    } catch {
      return undefined;
    }
  }

  /** What a TaskQueueProbe asks, over sched-bench's own channel when the connection has it (no SDK loaded). */
  taskQueueQueries(namespace: string, taskQueue: string): TaskQueueQueries {
    const { wire } = this.connection;
    if (wire) {
      return {
        rootPartitionPollers: () => wire.workflowTaskPollers(namespace, taskQueue),
        allPartitionPollers: () => wire.workflowTaskPollersAllPartitions(namespace, taskQueue),
        pendingWorkflowTaskAttempt: (workflowId) => wire.pendingWorkflowTaskAttempt(namespace, workflowId),
        lastWorkflowTaskFailure: (workflowId) => wire.lastWorkflowTaskFailure(namespace, workflowId),
      };
    }
    const sdkQueries = () => this.connection.sdk().then((sdk) => sdk.taskQueueQueries(namespace, taskQueue));
    return {
      rootPartitionPollers: async () => (await sdkQueries()).rootPartitionPollers(),
      allPartitionPollers: async () => (await sdkQueries()).allPartitionPollers(),
      pendingWorkflowTaskAttempt: async (workflowId) => (await sdkQueries()).pendingWorkflowTaskAttempt(workflowId),
      lastWorkflowTaskFailure: async (workflowId) => (await sdkQueries()).lastWorkflowTaskFailure(workflowId),
    };
  }
}
