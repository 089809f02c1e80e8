import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import type { WorkflowLauncher } from '../shared/launcher.js';
import { DEFAULT_ID_PREFIX } from '../shared/workflow-ids.js';
import { AdminCalls, type ListedWorkflow, type WorkflowCountsByStatus } from './admin-calls.js';
import { ServiceConnection } from './connect.js';
import type { AgentWorker, AgentWorkerOptions } from './agent-worker.js';
import { SdkCoordinatorClient, type CoordinatorClient } from './coordinator-client.js';
import type { EchoWorker, WorkerTuning } from './echo-worker.js';
import type { ScheduleService } from './schedule-service.js';
import type { TemporalServiceOptions } from './service-options.js';
import type { TaskQueueQueries } from './task-queue-probe.js';
import { TargetWorkloadCalls } from './workload-calls.js';
import { WorkflowStarts, type EchoShape, type LaunchTarget } from './workflow-starts.js';

export type { ConnectionSettings, TlsSettings } from './connection-settings.js';
export type { ListedWorkflow, WorkflowCountsByStatus } from './admin-calls.js';
export type { EchoShape, LaunchTarget } from './workflow-starts.js';
export {
  DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_RETRY_BUDGET_MS, ECHO_WORKFLOW_TYPE, RUN_ID_MEMO_KEY, RUN_ID_SEARCH_ATTRIBUTE,
  type TemporalServiceOptions,
} from './service-options.js';
export { DEFAULT_ID_PREFIX };

const require = createRequire(import.meta.url);

/** A short, sortable, unique run id: base-36 time plus random bits, e.g. `mgx3k2a1-9f3c`. */
export function newRunId(): string {
  return `${Date.now().toString(36)}-${randomBytes(2).toString('hex')}`;
}

/**
 * Everything that talks to Temporal: one shared connection, workflow starts and results, workers,
 * and server-side counts. The rest of sched-bench sees only this class (and the launchers it makes).
 * Its jobs sit in their own modules: connecting (connect.ts), starts and result waits with retries
 * (workflow-starts.ts), admin calls (admin-calls.ts).
 *
 * Two transports: with `kind: 'http2'` starts, result waits and the run's admin calls go over
 * sched-bench's own gRPC channel (WorkflowWire) and the SDK is loaded only when something needs it
 * (a worker, schedules, listing, history); otherwise everything goes through the SDK's connection.
 */
export class TemporalService {
  readonly address: string;
  readonly idPrefix: string;
  readonly shard: string | undefined;
  private readonly starts: WorkflowStarts;
  private readonly admin: AdminCalls;

  private constructor(
    private readonly connection: ServiceConnection,
    readonly runId: string,
    settings: TemporalServiceOptions,
  ) {
    this.address = connection.address;
    this.idPrefix = settings.idPrefix ?? DEFAULT_ID_PREFIX;
    this.shard = settings.shard;
    this.admin = new AdminCalls(connection, this.workflowIdPrefix());
    this.starts = new WorkflowStarts(connection, runId, this.workflowIdPrefix(), (namespace) => this.admin.carriesRunIdAttribute(namespace));
  }

  /**
   * Connects (and checks the server answers). A server that is not there yet (refused, unreachable,
   * unavailable) is retried with backoff and jitter until `connectTimeoutMs`; a server that answers
   * "no" (TLS, credentials) fails at once. Either way: a ConnectionError naming the address.
   */
  static async connect(options: TemporalServiceOptions): Promise<TemporalService> {
    const runId = options.runId ?? newRunId();
    return new TemporalService(await ServiceConnection.open(options), runId, options);
  }

  /**
   * Throws a ConnectionError naming the namespace when the server does not know it, and notes whether
   * the run-id search attribute is registered there (then every start carries it).
   */
  checkNamespace(namespace: string): Promise<void> {
    return this.admin.checkNamespace(namespace);
  }

  /** The load generator's launcher: starts in `target`'s namespace and task queue, with its start delay. */
  launcher(target: LaunchTarget): WorkflowLauncher {
    const { namespace, startDelayMs } = target;
    return {
      startDelayMs,
      startEchoWorkflow: (message, count, shape) => this.starts.startEcho(target, message, count, shape),
      startWorkflow: (workflowType, args) => this.starts.start(target, workflowType, args),
      awaitWorkflowResult: (workflowId) => this.starts.awaitResult(namespace, workflowId),
      delayLagOf: (workflowId) => this.admin.delayLagOf(namespace, workflowId, startDelayMs ?? 0),
      calls: new TargetWorkloadCalls(this.connection, this.starts, target),
    };
  }

  /** Starts one EchoWorkflow with id `<idPrefix>-<runId>-<seq>`; resolves with the id once acknowledged. */
  startEchoWorkflow(namespace: string, taskQueue: string, message?: string, count?: number, shape?: EchoShape): Promise<string> {
    return this.starts.startEcho({ namespace, taskQueue }, message, count, shape);
  }

  /** Starts any workflow type (hosted by the user's own workers) with these arguments. */
  startWorkflow(namespace: string, taskQueue: string, workflowType: string, args: unknown[]): Promise<string> {
    return this.starts.start({ namespace, taskQueue }, workflowType, args);
  }

  /**
   * Resolves when the workflow completed; rejects with a LaunchError of the failure's kind. The workflow
   * exists, so a server that went away is waited for (with backoff) rather than counted as a failure.
   */
  awaitWorkflowResult(namespace: string, workflowId: string): Promise<unknown> {
    return this.starts.awaitResult(namespace, workflowId);
  }

  /** Every workflow id this process starts begins with this prefix (its shard's, when it has one). */
  workflowIdPrefix(): string {
    return `${this.idPrefix}-${this.runId}-${this.shard ? `${this.shard}-` : ''}`;
  }

  /**
   * Lists workflows whose id starts with `<idPrefix>-<runId>-` (or `<idPrefix>-` for every run), with
   * the run id from their memo so the caller can refuse workflows sched-bench did not start.
   */
  listWorkflows(namespace: string, selection: { idPrefix: string; runId?: string }): AsyncGenerator<ListedWorkflow> {
    return this.admin.listWorkflows(namespace, selection);
  }

  /** How late the first workflow task ran after the start delay, from the history (server times only). */
  delayLagOf(namespace: string, workflowId: string, delayMs: number): Promise<number | undefined> {
    return this.admin.delayLagOf(namespace, workflowId, delayMs);
  }

  /** Schedules in a namespace (create, observe, delete), over this service's SDK connection. */
  scheduleService(namespace: string): Promise<ScheduleService> {
    return this.admin.scheduleService(namespace);
  }

  /** Terminates one running workflow of this run (e.g. left behind by a cut-short drain). */
  terminateWorkflow(namespace: string, workflowId: string, reason: string): Promise<void> {
    return this.admin.terminateWorkflow(namespace, workflowId, reason);
  }

  /** Deletes one workflow execution (the server terminates it first when it is still running). */
  deleteWorkflow(namespace: string, workflowId: string, runId: string): Promise<void> {
    return this.admin.deleteWorkflow(namespace, workflowId, runId);
  }

  /** Counts this run's workflows on the server (visibility), grouped by execution status. */
  countRunWorkflows(namespace: string, workflowType?: string): Promise<WorkflowCountsByStatus> {
    return this.admin.countRunWorkflows(namespace, workflowType);
  }

  /** The server's version (GetSystemInfo), or undefined when the server does not say. */
  serverVersion(): Promise<string | undefined> {
    return this.admin.serverVersion();
  }

  /** What a TaskQueueProbe asks, over sched-bench's own channel when this service has it (no SDK loaded). */
  taskQueueQueries(namespace: string, taskQueue: string): TaskQueueQueries {
    return this.admin.taskQueueQueries(namespace, taskQueue);
  }

  /** Versions of the Temporal SDK packages in use, for the JSON result. */
  static sdkVersions(): Record<string, string> {
    const versions: Record<string, string> = {};
    for (const name of ['@temporalio/client', '@temporalio/worker']) {
      try {
        versions[name] = (require(`${name}/package.json`) as { version: string }).version;
      } catch {
        // not resolvable from here: leave it out
      }
    }
    return versions;
  }

  /** Creates (does not start) a worker for the EchoWorkflow (on a native connection of its own when needed). */
  async createEchoWorker(namespace: string, taskQueue: string, tuning?: WorkerTuning): Promise<EchoWorker> {
    return (await this.connection.sdk()).createEchoWorker(namespace, taskQueue, tuning);
  }

  /** Creates (does not start) `sched-bench agent`'s worker on the control queue (this service is the control cluster's). */
  async createAgentWorker(options: AgentWorkerOptions): Promise<AgentWorker> {
    return (await this.connection.sdk()).createAgentWorker(options);
  }

  /** Starts and follows coordinator workflows on the control queue (this service is the control cluster's). */
  coordinator(namespace: string, taskQueue: string): CoordinatorClient {
    return new SdkCoordinatorClient(() => this.connection.sdk(), namespace, taskQueue);
  }

  close(): Promise<void> {
    return this.connection.close();
  }
}
