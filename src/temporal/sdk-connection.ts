/**
 * The SDK's side of TemporalService: its connections (the Rust core's NativeConnection, or grpc-js),
 * its Client, workers and schedules. Loaded on demand (`await import`), so a run that needs none of it
 * (a client-only run over sched-bench's own gRPC channel) never pays for loading the SDK.
 */
import { Client, Connection, type ConnectionLike, type WorkflowStartOptions } from '@temporalio/client';
import { defineSearchAttributeKey } from '@temporalio/common';
import { NativeConnection, type NativeConnectionOptions } from '@temporalio/worker';
import { AgentWorker, type AgentWorkerOptions } from './agent-worker.js';
import { EchoWorker, type WorkerTuning } from './echo-worker.js';
import { installRuntime } from './runtime.js';
import { ScheduleService } from './schedule-service.js';
import { withoutCoreRetries } from './start-connection.js';
import type { TaskQueueQueries } from './task-queue-probe.js';
import { DESCRIBE_TASK_QUEUE_MODE_ENHANCED, EVENT_TYPE_WORKFLOW_TASK_FAILED, TASK_QUEUE_KIND_NORMAL, TASK_QUEUE_TYPE_WORKFLOW } from './wire/api-enums.js';
import type { ConnectionSettings } from './connection-settings.js';



export type SdkConnection = ConnectionLike & { close(): Promise<void> };

export { installRuntime };

/** One connection attempt, given up after `timeoutMs` (a late connection is closed, not leaked). */
export async function connectOnce(settings: ConnectionSettings, timeoutMs: number, onTimeout: () => Error): Promise<SdkConnection> {
  installRuntime();
  const connecting: Promise<SdkConnection> =
    settings.kind === 'grpc'
      ? // No retry interceptor: sched-bench retries starts and result waits itself, counting each refusal.
        Connection.connect({
          ...nativeOptions(settings), connectTimeout: timeoutMs, interceptors: [],
          ...(settings.compression === 'gzip' ? { channelArgs: { 'grpc.default_compression_algorithm': GRPC_JS_GZIP } } : {}),
        })
      : NativeConnection.connect(nativeOptions(settings));
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), timeoutMs);
  });
  try {
    return await Promise.race([connecting, timeout]);
  } catch (error) {
    connecting.then((late) => late.close()).catch(() => undefined);
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/** grpc-js's number for gzip in `grpc.default_compression_algorithm`. */
const GRPC_JS_GZIP = 2;

function nativeOptions(settings: ConnectionSettings): NativeConnectionOptions {
  return {
    address: settings.address,
    grpcCompression: { codec: settings.compression === 'gzip' ? 'gzip' : 'none' },
    tls: settings.tls === false ? false : settings.tls,
    ...(settings.apiKey ? { apiKey: settings.apiKey } : {}),
    ...(settings.metadata && Object.keys(settings.metadata).length > 0 ? { metadata: settings.metadata } : {}),
  };
}

export interface SdkStart {
  workflowId: string;
  taskQueue: string;
  workflowType: string;
  args: unknown[];
  memo: Record<string, unknown>;
  /** The run id as a keyword search attribute, where the namespace has it registered. */
  searchAttribute?: { name: string; value: string };
  eagerStart: boolean;
  startDelayMs?: number;
}

/** The SDK's Client(s) on one connection, for starts, results and every admin call. */
export class SdkSide {
  private readonly clients = new Map<string, Client>();
  /** Clients for starts: on a connection without the SDK's own retries (see withoutCoreRetries). */
  private readonly startClients = new Map<string, Client>();
  private readonly startConnection: ConnectionLike;
  /** The worker's connection: the client's own when it is native, else one opened on demand. */
  private workerConnection: Promise<NativeConnection> | undefined;

  constructor(
    readonly connection: SdkConnection,
    private readonly settings: ConnectionSettings,
    eagerStart: boolean,
    /** One start attempt without an answer for this long counts as unavailable (and is retried). */
    startAttemptTimeoutMs: number,
  ) {
    this.startConnection = connection;
    if (connection instanceof NativeConnection) {
      this.workerConnection = Promise.resolve(connection);
      // Eager dispatch of the first workflow task happens in core's retrying client path only (measured:
      // without it the eager task is dropped and the workflow waits out its 10 s task timeout).
      this.startConnection = eagerStart ? connection : (withoutCoreRetries(connection, startAttemptTimeoutMs) ?? connection);
    }
  }

  client(namespace: string, cache = this.clients, connection: ConnectionLike = this.connection): Client {
    let client = cache.get(namespace);
    if (!client) {
      client = new Client({ connection, namespace });
      cache.set(namespace, client);
    }
    return client;
  }

  async start(namespace: string, start: SdkStart): Promise<void> {
    const options: WorkflowStartOptions = {
      workflowId: start.workflowId,
      taskQueue: start.taskQueue,
      args: start.args,
      memo: start.memo,
      // Ids are unique per run; a second start of one means two processes share a run id: make it visible.
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      ...(start.eagerStart ? { requestEagerStart: true } : {}),
      ...(start.startDelayMs ? { startDelay: start.startDelayMs } : {}),
    };
    if (start.searchAttribute) {
      options.typedSearchAttributes = [{ key: defineSearchAttributeKey(start.searchAttribute.name, 'KEYWORD'), value: start.searchAttribute.value }];
    }
    await this.client(namespace, this.startClients, this.startConnection).workflow.start(start.workflowType, options);
  }

  async result(namespace: string, workflowId: string): Promise<unknown> {
    return this.client(namespace).workflow.result(workflowId);
  }

  scheduleService(namespace: string): ScheduleService {
    return new ScheduleService(this.client(namespace), namespace);
  }

  /** Creates (does not start) a worker for the EchoWorkflow on this side's (native) connection. */
  async createEchoWorker(namespace: string, taskQueue: string, tuning?: WorkerTuning): Promise<EchoWorker> {
    const connect = () => NativeConnection.connect(nativeOptions(this.settings));
    this.workerConnection ??= connect();
    return EchoWorker.create({ connection: await this.workerConnection, connect, namespace, taskQueue, tuning });
  }

  /** Creates (does not start) an agent's worker on this side's (native) connection. */
  async createAgentWorker(options: AgentWorkerOptions): Promise<AgentWorker> {
    this.workerConnection ??= NativeConnection.connect(nativeOptions(this.settings));
    return AgentWorker.create({ ...options, connection: await this.workerConnection });
  }

  /** A probe's questions, over this side's connection. */
  taskQueueQueries(namespace: string, taskQueueName: string): TaskQueueQueries {
    const service = this.connection.workflowService;
    const taskQueue = { name: taskQueueName, kind: TASK_QUEUE_KIND_NORMAL };
    return {
      rootPartitionPollers: async () =>
        (await service.describeTaskQueue({ namespace, taskQueue, taskQueueType: TASK_QUEUE_TYPE_WORKFLOW })).pollers?.length ?? 0,
      allPartitionPollers: async () => {
        const { versionsInfo } = await service.describeTaskQueue({
          namespace, taskQueue, apiMode: DESCRIBE_TASK_QUEUE_MODE_ENHANCED, reportPollers: true, taskQueueTypes: [TASK_QUEUE_TYPE_WORKFLOW],
        });
        return Object.values(versionsInfo ?? {}).reduce((sum, version) => sum + (version.typesInfo?.[TASK_QUEUE_TYPE_WORKFLOW]?.pollers?.length ?? 0), 0);
      },
      pendingWorkflowTaskAttempt: async (workflowId) =>
        (await service.describeWorkflowExecution({ namespace, execution: { workflowId } })).pendingWorkflowTask?.attempt ?? 0,
      lastWorkflowTaskFailure: async (workflowId) => {
        const { history } = await service.getWorkflowExecutionHistory({ namespace, execution: { workflowId }, maximumPageSize: 100 });
        const failed = (history?.events ?? []).filter((event) => Number(event.eventType) === EVENT_TYPE_WORKFLOW_TASK_FAILED).at(-1);
        return failed?.workflowTaskFailedEventAttributes?.failure?.message || undefined;
      },
    };
  }

  async close(): Promise<void> {
    const worker = await this.workerConnection?.catch(() => undefined);
    if (worker && worker !== this.connection) await worker.close();
    await this.connection.close();
  }
}
