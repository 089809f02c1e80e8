import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import {
  Client,
  Connection,
  WorkflowExecutionAlreadyStartedError,
  type ConnectionLike,
  type WorkflowStartOptions,
} from '@temporalio/client';
import { defineSearchAttributeKey } from '@temporalio/common';
import { NativeConnection, type NativeConnectionOptions } from '@temporalio/worker';
import type { EchoWorkflowInput } from '../../workflows/echo.js';
import { ConnectionError, firstLine, LaunchError, StartAbandonedError, type FailureKind } from '../errors.js';
import type { ServerHealth } from '../metrics/server-health.js';
import type { WorkflowLauncher } from '../scheduler/types.js';
import { backoffDelay, THROTTLED_BACKOFF, UNAVAILABLE_BACKOFF, type BackoffPolicy } from '../scheduler/backoff.js';
import { classifyConnectFailure } from './connect-failure.js';
import { EchoWorker, type WorkerTuning } from './echo-worker.js';
import { grpcCodeOf, resultFailureKind, startFailureKind } from './failure-kind.js';
import { firstTaskTimes } from './history.js';
import { installRuntime } from './runtime.js';
import { ScheduleService } from './schedule-service.js';
import { withoutCoreRetries } from './start-connection.js';

const require = createRequire(import.meta.url);

export const ECHO_WORKFLOW_TYPE = 'EchoWorkflow';
export const DEFAULT_ID_PREFIX = 'sched-bench';
/** Keyword search attribute that carries the run id where the namespace has it registered. */
export const RUN_ID_SEARCH_ATTRIBUTE = 'SchedBenchRunId';
/** Memo key that marks a workflow as started by sched-bench (cleanup checks it). */
export const RUN_ID_MEMO_KEY = 'schedBenchRunId';
const KEYWORD_INDEXED_VALUE_TYPE = 2;
const runIdSearchAttribute = defineSearchAttributeKey(RUN_ID_SEARCH_ATTRIBUTE, 'KEYWORD');
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
const GRPC_NOT_FOUND = 5;
/**
 * How long one start, or one wait for a result, keeps retrying while the server is away or throttling;
 * then it fails with that kind. A restarted server is back well within it; a dead one ends the run's
 * launches instead of hanging them.
 */
export const DEFAULT_RETRY_BUDGET_MS = 60_000;
/** One start attempt without an answer for this long counts as unavailable (and is retried). */
const START_ATTEMPT_TIMEOUT_MS = 20_000;

/** TLS as the SDK takes it (PEM contents, not paths). */
export interface TlsSettings {
  serverNameOverride?: string;
  serverRootCACertificate?: Buffer;
  clientCertPair?: { crt: Buffer; key: Buffer };
}

/** How to reach the cluster: the same settings drive the native and the grpc-js connection. */
export interface ConnectionSettings {
  /** host:port of the Temporal frontend. */
  address: string;
  /** false: plain text; an object (possibly empty): TLS. */
  tls?: TlsSettings | false;
  apiKey?: string;
  /** gRPC metadata sent with every request. */
  metadata?: Record<string, string>;
  /** native: the SDK's Rust-core NativeConnection (default); grpc: the grpc-js Connection. */
  kind?: 'native' | 'grpc';
  /** Request compression: gzip (the SDK's default for the native connection, and here when unset) or none. */
  compression?: 'gzip' | 'none';
  /** For a TLS connection that meets a plain-text server: why TLS is on and how to turn it off (e.g. "drop --tls"). */
  tlsOffHint?: string;
}

export interface TemporalServiceOptions extends ConnectionSettings {
  /** Identifies this run's workflows on the server; generated when absent. */
  runId?: string;
  /** Workflow ids are `<idPrefix>-<runId>-<seq>`; default `sched-bench`. */
  idPrefix?: string;
  /**
   * For several processes sharing one run id: this process's own part of the ids,
   * `<idPrefix>-<runId>-<shard>-<seq>`, so they never collide.
   */
  shard?: string;
  /** Keep trying to connect (backoff with jitter) for this long, ms; default 10 s. */
  connectTimeoutMs?: number;
  /** Told of every refused attempt and every answer: throttling counts and outages for the report. */
  health?: ServerHealth;
  /** How long one call retries refusals; 0: none (default DEFAULT_RETRY_BUDGET_MS). */
  retryBudgetMs?: number;
  /** Request eager start (the first workflow task comes back with the start, for this process's worker). */
  eagerStart?: boolean;
  /** Start every workflow with this start delay (ms). */
  startDelayMs?: number;
  /**
   * Aborted when the run is told to stop: every start waiting to retry then fails at once with its kind,
   * and connect stops retrying. A result wait goes on (its workflow exists; the drain bounds it).
   */
  stopSignal?: AbortSignal;
}

/** How the built-in EchoWorkflow runs: activity delay, local activities. */
export interface EchoShape {
  activityDelayMs?: number;
  localActivities?: boolean;
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

/** A short, sortable, unique run id: base-36 time plus random bits, e.g. `mgx3k2a1-9f3c`. */
export function newRunId(): string {
  return `${Date.now().toString(36)}-${randomBytes(2).toString('hex')}`;
}

/**
 * Everything that talks to Temporal: one shared connection, workflow starts and results, workers,
 * and server-side counts. The rest of sched-bench sees only this class (as a WorkflowLauncher).
 */
export class TemporalService implements WorkflowLauncher {
  private readonly clients = new Map<string, Client>();
  /** Clients for starts: on a connection without the SDK's own retries (see withoutCoreRetries). */
  private readonly startClients = new Map<string, Client>();
  private readonly startConnection: ConnectionLike;
  private nextSequence = 1;
  private closed = false;
  /** Starts waiting to retry; a stop ends them all at once. */
  private readonly startBackoffs: WakeableSleeps;

  /** The worker's connection: the client's own when it is native, else one opened on demand. */
  private workerConnection: Promise<NativeConnection> | undefined;
  /** Namespaces where the run-id search attribute is registered (checked once per namespace). */
  private readonly searchAttributeIn = new Map<string, boolean>();
  readonly idPrefix: string;
  readonly shard: string | undefined;

  private constructor(
    readonly address: string,
    readonly runId: string,
    private readonly connection: ConnectionLike & { close(): Promise<void> },
    private readonly settings: ConnectionSettings,
    idPrefix: string | undefined,
    shard: string | undefined,
    private readonly health: ServerHealth | undefined,
    private readonly retryBudgetMs: number,
    private readonly eagerStart: boolean,
    private readonly startDelayMs: number | undefined,
    stopSignal: AbortSignal | undefined,
  ) {
    this.startBackoffs = new WakeableSleeps(stopSignal);
    this.idPrefix = idPrefix ?? DEFAULT_ID_PREFIX;
    this.shard = shard;
    this.startConnection = connection;
    if (connection instanceof NativeConnection) {
      this.workerConnection = Promise.resolve(connection);
      // Eager dispatch of the first workflow task happens in core's retrying client path only (measured:
      // without it the eager task is dropped and the workflow waits out its 10 s task timeout).
      this.startConnection = eagerStart ? connection : (withoutCoreRetries(connection, START_ATTEMPT_TIMEOUT_MS) ?? connection);
    }
  }

  /**
   * Connects (and checks the server answers). A server that is not there yet (refused, unreachable,
   * unavailable) is retried with backoff and jitter until `connectTimeoutMs`; a server that answers
   * "no" (TLS, credentials) fails at once. Either way: a ConnectionError naming the address.
   */
  static async connect(options: TemporalServiceOptions): Promise<TemporalService> {
    installRuntime();
    const { address } = options;
    const timeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    const deadline = Date.now() + timeoutMs;
    const backoffs = new WakeableSleeps(options.stopSignal);
    for (let attempt = 1; ; attempt++) {
      const remaining = Math.max(1, deadline - Date.now());
      try {
        const connection = await connectOnce(options, remaining);
        return new TemporalService(address, options.runId ?? newRunId(), connection, options, options.idPrefix, options.shard, options.health,
          options.retryBudgetMs ?? DEFAULT_RETRY_BUDGET_MS, options.eagerStart ?? false, options.startDelayMs, options.stopSignal,
        );
      } catch (error) {
        const failure = error instanceof TimeoutError ? { reason: `no answer within ${timeoutMs / 1000}s`, retryable: false } : classifyConnectFailure(error, options);
        const backoff = backoffDelay(UNAVAILABLE_BACKOFF, attempt);
        if (!failure.retryable || Date.now() + backoff >= deadline || backoffs.stopped) {
          const spent = backoffs.stopped ? `, stopped after ${((Date.now() + timeoutMs - deadline) / 1000).toFixed(1)}s` : ` in ${timeoutMs / 1000}s`;
          const tries = attempt > 1 || backoffs.stopped ? ` (${attempt} attempt${attempt > 1 ? 's' : ''}${spent})` : '';
          throw new ConnectionError(`cannot reach Temporal at ${address}: ${failure.reason}${tries}`, { cause: error });
        }
        await backoffs.sleep(backoff);
      }
    }
  }

  /**
   * Throws a ConnectionError naming the namespace when the server does not know it, and notes whether
   * the run-id search attribute is registered there (then every start carries it).
   */
  async checkNamespace(namespace: string): Promise<void> {
    try {
      await this.connection.workflowService.describeNamespace({ namespace });
      this.searchAttributeIn.set(namespace, await this.hasRunIdSearchAttribute(namespace));
    } catch (error) {
      if (grpcCodeOf(error) === GRPC_NOT_FOUND) {
        throw new ConnectionError(`namespace "${namespace}" does not exist on ${this.address}`);
      }
      throw new ConnectionError(`cannot describe namespace "${namespace}" on ${this.address}: ${firstLine(error)}`, {
        cause: error,
      });
    }
  }

  /** Starts one EchoWorkflow with id `<idPrefix>-<runId>-<seq>`; resolves with the id once acknowledged. */
  startEchoWorkflow(
    namespace: string,
    taskQueue: string,
    message = 'Hello World',
    count = 1,
    shape: EchoShape = {},
  ): Promise<string> {
    const input: EchoWorkflowInput = { message, count, ...shape };
    return this.startWorkflow(namespace, taskQueue, ECHO_WORKFLOW_TYPE, [input]);
  }

  /** Starts any workflow type (hosted by the user's own workers) with these arguments. */
  async startWorkflow(namespace: string, taskQueue: string, workflowType: string, args: unknown[]): Promise<string> {
    const workflowId = `${this.workflowIdPrefix()}${this.nextSequence++}`;
    const options: WorkflowStartOptions = {
      workflowId,
      taskQueue,
      args,
      memo: { [RUN_ID_MEMO_KEY]: this.runId },
      // Ids are unique per run; a second start of one means two processes share a run id: make it visible.
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      ...(this.eagerStart ? { requestEagerStart: true } : {}),
      ...(this.startDelayMs ? { startDelay: this.startDelayMs } : {}),
    };
    if (this.searchAttributeIn.get(namespace)) options.typedSearchAttributes = [{ key: runIdSearchAttribute, value: this.runId }];
    const client = this.client(namespace, this.startClients, this.startConnection);
    const firstSentAt = Date.now();
    for (let attempt = 1; ; attempt++) {
      const sentAt = Date.now();
      try {
        await client.workflow.start(workflowType, options);
        this.health?.answered(sentAt, Date.now());
        return workflowId;
      } catch (error) {
        const now = Date.now();
        // On a retry, "already started" means an earlier attempt landed and only its answer was lost.
        if (attempt > 1 && error instanceof WorkflowExecutionAlreadyStartedError) {
          this.health?.answered(sentAt, now);
          return workflowId;
        }
        const kind = startFailureKind(error);
        const delay = this.retryDelay(kind, attempt, sentAt, now, error);
        if (delay === undefined || now + delay - firstSentAt > this.retryBudgetMs) {
          throw new LaunchError(kind, `start of ${workflowId} failed: ${describeFailure(error)}`, { cause: error });
        }
        // A stop wakes this backoff: the start is then abandoned (not a failure) rather than holding the run up.
        await this.startBackoffs.sleep(delay);
        if (this.startBackoffs.stopped) {
          throw new StartAbandonedError(kind, `start of ${workflowId} abandoned: ${describeFailure(error)} (not retried: stopping)`, { cause: error });
        }
      }
    }
  }

  /**
   * Resolves with the workflow's result; rejects with a LaunchError of the failure's kind. The workflow
   * exists, so a server that went away is waited for (with backoff) rather than counted as a failure.
   */
  async awaitWorkflowResult(namespace: string, workflowId: string): Promise<unknown> {
    const client = this.client(namespace, this.clients, this.connection);
    let firstRefusalAt: number | undefined;
    let lastRefusalAt: number | undefined;
    for (let attempt = 1; ; attempt++) {
      const sentAt = Date.now();
      try {
        const result = await client.workflow.result(workflowId);
        this.health?.answered(sentAt, Date.now());
        return result;
      } catch (error) {
        const now = Date.now();
        const kind = resultFailureKind(error);
        const delay = this.retryDelay(kind, attempt, sentAt, now, error);
        // The budget covers one stretch of refusals: a wait that was answered for a while starts a new one.
        if (lastRefusalAt === undefined || sentAt - lastRefusalAt > 2 * UNAVAILABLE_BACKOFF.maxMs) firstRefusalAt = now;
        lastRefusalAt = now;
        if (delay === undefined || now + delay - firstRefusalAt! > this.retryBudgetMs) {
          throw new LaunchError(kind, `${workflowId}: ${describeFailure(error)}`, { cause: error });
        }
        await sleep(delay);
      }
    }
  }

  /** Records the outcome with `health`; the backoff before the next attempt, or undefined: do not retry. */
  private retryDelay(kind: FailureKind, attempt: number, sentAt: number, now: number, error: unknown): number | undefined {
    const policy: BackoffPolicy | undefined =
      kind === 'throttled' ? THROTTLED_BACKOFF : kind === 'server_unavailable' ? UNAVAILABLE_BACKOFF : undefined;
    if (!policy) {
      this.health?.answered(sentAt, now);
      return undefined;
    }
    this.health?.refused(kind as 'throttled' | 'server_unavailable', sentAt, now, describeFailure(error));
    return this.closed ? undefined : backoffDelay(policy, attempt);
  }

  /** Every workflow id this process starts begins with this prefix (its shard's, when it has one). */
  workflowIdPrefix(): string {
    return `${this.idPrefix}-${this.runId}-${this.shard ? `${this.shard}-` : ''}`;
  }

  /**
   * Lists workflows whose id starts with `<idPrefix>-<runId>-` (or `<idPrefix>-` for every run), with
   * the run id from their memo so the caller can refuse workflows sched-bench did not start.
   */
  async *listWorkflows(namespace: string, selection: { idPrefix: string; runId?: string }): AsyncGenerator<ListedWorkflow> {
    const prefix = selection.runId ? `${selection.idPrefix}-${selection.runId}-` : `${selection.idPrefix}-`;
    for await (const info of this.client(namespace).workflow.list({ query: `WorkflowId STARTS_WITH "${prefix}"` })) {
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
    const { startedMs, firstTaskMs } = await firstTaskTimes(this.client(namespace), workflowId, undefined);
    return firstTaskMs === undefined ? undefined : firstTaskMs - startedMs - delayMs;
  }

  /** Schedules in a namespace (create, observe, delete), over this service's connection. */
  scheduleService(namespace: string): ScheduleService {
    return new ScheduleService(this.client(namespace), namespace);
  }

  /** Terminates one running workflow of this run (e.g. left behind by a cut-short drain). */
  async terminateWorkflow(namespace: string, workflowId: string, reason: string): Promise<void> {
    await this.client(namespace).workflow.getHandle(workflowId).terminate(reason);
  }

  /** Deletes one workflow execution (the server terminates it first when it is still running). */
  async deleteWorkflow(namespace: string, workflowId: string, runId: string): Promise<void> {
    await this.connection.workflowService.deleteWorkflowExecution({ namespace, workflowExecution: { workflowId, runId } });
  }

  private async hasRunIdSearchAttribute(namespace: string): Promise<boolean> {
    try {
      const { customAttributes } = await this.connection.operatorService.listSearchAttributes({ namespace });
      return customAttributes?.[RUN_ID_SEARCH_ATTRIBUTE] === KEYWORD_INDEXED_VALUE_TYPE;
    } catch {
      return false; // not allowed to ask (e.g. a restricted API key): do without it
    }
  }

  /** Counts this run's workflows on the server (visibility), grouped by execution status. */
  async countRunWorkflows(namespace: string): Promise<WorkflowCountsByStatus> {
    const query = `WorkflowId STARTS_WITH "${this.workflowIdPrefix()}" GROUP BY ExecutionStatus`;
    const { groups } = await this.client(namespace).workflow.count(query);
    const counts: WorkflowCountsByStatus = {};
    for (const group of groups) counts[String(group.groupValues[0])] = group.count;
    return counts;
  }

  /** The server's version (GetSystemInfo), or undefined when the server does not say. */
  async serverVersion(): Promise<string | undefined> {
    try {
      const info = await this.connection.workflowService.getSystemInfo({});
      return info.serverVersion || undefined;
    } catch {
      return undefined;
    }
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

  /** Creates (does not start) a worker for the EchoWorkflow on this service's (native) connection. */
  async createEchoWorker(namespace: string, taskQueue: string, tuning?: WorkerTuning): Promise<EchoWorker> {
    const connect = () => NativeConnection.connect(nativeOptions(this.settings));
    this.workerConnection ??= connect();
    return EchoWorker.create({ connection: await this.workerConnection, connect, namespace, taskQueue, tuning });
  }

  async close(): Promise<void> {
    this.closed = true;
    const worker = await this.workerConnection?.catch(() => undefined);
    if (worker && worker !== this.connection) await worker.close();
    await this.connection.close();
  }

  private client(namespace: string, cache = this.clients, connection: ConnectionLike = this.connection): Client {
    let client = cache.get(namespace);
    if (!client) {
      client = new Client({ connection, namespace });
      cache.set(namespace, client);
    }
    return client;
  }

  /** The connection's raw WorkflowService, for probes of the server's state (TaskQueueProbe). */
  rawWorkflowService(): ConnectionLike['workflowService'] {
    return this.connection.workflowService;
  }
}

class TimeoutError extends Error {}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Backoff sleeps that a stop signal ends at once, all of them: one listener on the signal, however
 * many calls are waiting (a listener per call would pile up on the signal).
 */
class WakeableSleeps {
  private readonly sleepers = new Set<() => void>();

  constructor(private readonly stopSignal: AbortSignal | undefined) {
    stopSignal?.addEventListener('abort', () => this.wakeAll(), { once: true });
  }

  get stopped(): boolean {
    return this.stopSignal?.aborted ?? false;
  }

  /** Resolves after `ms`, or as soon as the stop signal aborts. */
  sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.sleepers.add(wake);
    });
  }

  private wakeAll(): void {
    for (const wake of [...this.sleepers]) wake();
  }
}

/** One connection attempt, given up after `timeoutMs` (a late connection is closed, not leaked). */
async function connectOnce(options: TemporalServiceOptions, timeoutMs: number): Promise<ConnectionLike & { close(): Promise<void> }> {
  const connecting: Promise<ConnectionLike & { close(): Promise<void> }> =
    options.kind === 'grpc'
      ? // No retry interceptor: sched-bench retries starts and result waits itself, counting each refusal.
        Connection.connect({
          ...nativeOptions(options), connectTimeout: timeoutMs, interceptors: [],
          ...(options.compression !== 'none' ? { channelArgs: { 'grpc.default_compression_algorithm': GRPC_JS_GZIP } } : {}),
        })
      : NativeConnection.connect(nativeOptions(options));
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError('connect timeout')), timeoutMs);
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
    grpcCompression: { codec: settings.compression === 'none' ? 'none' : 'gzip' },
    tls: settings.tls === false ? false : settings.tls,
    ...(settings.apiKey ? { apiKey: settings.apiKey } : {}),
    ...(settings.metadata && Object.keys(settings.metadata).length > 0 ? { metadata: settings.metadata } : {}),
  };
}

/** "Workflow execution failed: <the workflow's own message>" — the cause is what a person needs. */
function describeFailure(error: unknown): string {
  const cause = error instanceof Error ? error.cause : undefined;
  return cause instanceof Error && cause.message ? `${firstLine(error)}: ${firstLine(cause)}` : firstLine(error);
}

