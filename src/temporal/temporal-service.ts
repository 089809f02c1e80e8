import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import type { EchoWorkflowInput } from '../../workflows/echo.js';
import { ConnectionError, firstLine, LaunchError, StartAbandonedError, type FailureKind } from '../errors.js';
import type { ServerHealth } from '../metrics/server-health.js';
import type { WorkflowLauncher } from '../shared/launcher.js';
import { DEFAULT_ID_PREFIX } from '../shared/workflow-ids.js';
import { backoffDelay, THROTTLED_BACKOFF, UNAVAILABLE_BACKOFF, type BackoffPolicy } from '../shared/backoff.js';
import { classifyConnectFailure } from './connect-failure.js';
import type { ConnectionSettings } from './connection-settings.js';
import type { EchoWorker, WorkerTuning } from './echo-worker.js';
import { grpcCodeOf, isAlreadyStarted, resultFailureKind, startFailureKind } from './failure-kind.js';
import type { ScheduleService } from './schedule-service.js';
import type { TaskQueueQueries } from './task-queue-probe.js';
import type { SdkConnection, SdkSide } from './sdk-connection.js';
import { WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE } from './wire/api-enums.js';
import { PreparedStart, WorkflowWire } from './wire/workflow-wire.js';

export type { ConnectionSettings, TlsSettings } from './connection-settings.js';

const require = createRequire(import.meta.url);

export const ECHO_WORKFLOW_TYPE = 'EchoWorkflow';
export { DEFAULT_ID_PREFIX };
/** Keyword search attribute that carries the run id where the namespace has it registered. */
export const RUN_ID_SEARCH_ATTRIBUTE = 'SchedBenchRunId';
/** Memo key that marks a workflow as started by sched-bench (cleanup checks it). */
export const RUN_ID_MEMO_KEY = 'schedBenchRunId';
const KEYWORD_INDEXED_VALUE_TYPE = 2;
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
/** Start requests encoded once per namespace, task queue and workflow type; a run has one or a few. */
const PREPARED_STARTS_KEPT = 16;
/** The least time an admin call keeps retrying a throttling or absent server (even with --retry-timeout 0). */
const ADMIN_RETRY_MIN_MS = 10_000;

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
  /**
   * Aborted when the run is told to stop: every start waiting to retry then fails at once with its kind,
   * and connect stops retrying. A result wait goes on (its workflow exists; the drain bounds it).
   */
  stopSignal?: AbortSignal;
}

/** Where a launcher starts its workflows, and with which start delay (ms; undefined: none). */
export interface LaunchTarget {
  namespace: string;
  taskQueue: string;
  startDelayMs?: number;
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
 *
 * Two transports: with `kind: 'http2'` starts, result waits and the run's admin calls go over
 * sched-bench's own gRPC channel (WorkflowWire) and the SDK is loaded only when something needs it
 * (a worker, schedules, listing, history); otherwise everything goes through the SDK's connection.
 */
export class TemporalService {
  private nextSequence = 1;
  private closed = false;
  /** Starts waiting to retry; a stop ends them all at once. */
  private readonly startBackoffs: WakeableSleeps;
  /** The SDK side: opened at connect for the SDK transports, on first need for http2. */
  private sdkSide: Promise<SdkSide> | undefined;
  private readonly preparedStarts = new Map<string, WeakMap<unknown[], PreparedStart>>();
  /** The last EchoWorkflow input and its argument array (see echoArgs). */
  private lastEcho: { message: string; count: number; activityDelayMs?: number; localActivities?: boolean; args: unknown[] } | undefined;
  /** Namespaces where the run-id search attribute is registered (checked once per namespace). */
  private readonly searchAttributeIn = new Map<string, boolean>();
  readonly idPrefix: string;
  readonly shard: string | undefined;

  private constructor(
    readonly address: string,
    readonly runId: string,
    private readonly transport: { wire: WorkflowWire; serverVersion: string | undefined } | { sdk: SdkSide },
    private readonly settings: TemporalServiceOptions,
  ) {
    this.startBackoffs = new WakeableSleeps(settings.stopSignal);
    this.idPrefix = settings.idPrefix ?? DEFAULT_ID_PREFIX;
    this.shard = settings.shard;
    if ('sdk' in transport) this.sdkSide = Promise.resolve(transport.sdk);
  }

  private get wire(): WorkflowWire | undefined {
    return 'wire' in this.transport ? this.transport.wire : undefined;
  }

  private get retryBudgetMs(): number {
    return this.settings.retryBudgetMs ?? DEFAULT_RETRY_BUDGET_MS;
  }

  /**
   * Connects (and checks the server answers). A server that is not there yet (refused, unreachable,
   * unavailable) is retried with backoff and jitter until `connectTimeoutMs`; a server that answers
   * "no" (TLS, credentials) fails at once. Either way: a ConnectionError naming the address.
   */
  static async connect(options: TemporalServiceOptions): Promise<TemporalService> {
    const runId = options.runId ?? newRunId();
    const transport = await connectWithRetries(options, (remainingMs) => connectTransport(options, remainingMs));
    return new TemporalService(options.address, runId, transport, options);
  }

  /**
   * A call of the wire's besides starts and result waits (namespace, search attributes, counts, task
   * queue), retried while the server throttles or is away, as the SDK's own connection retries them;
   * within the retry budget (at least ADMIN_RETRY_MIN_MS), and ended by a stop.
   */
  private async retried<T>(call: () => Promise<T>): Promise<T> {
    const startedAt = Date.now();
    const budgetMs = Math.max(this.retryBudgetMs, ADMIN_RETRY_MIN_MS);
    for (let attempt = 1; ; attempt++) {
      try {
        return await call();
      } catch (error) {
        const kind = startFailureKind(error);
        const policy = kind === 'throttled' ? THROTTLED_BACKOFF : kind === 'server_unavailable' ? UNAVAILABLE_BACKOFF : undefined;
        const delay = policy && backoffDelay(policy, attempt);
        if (delay === undefined || Date.now() + delay - startedAt > budgetMs || this.startBackoffs.stopped || this.closed) throw error;
        await this.startBackoffs.sleep(delay);
        if (this.closed) throw error;
      }
    }
  }

  /**
   * The SDK side, opened (and the SDK loaded) on first need, with the same retries as connect(); a
   * failed opening is not kept (the next need tries again), and none is opened once closed.
   */
  private sdk(): Promise<SdkSide> {
    if (this.closed) return Promise.reject(new ConnectionError(`the connection to ${this.address} is closed`));
    const opening = (this.sdkSide ??= (async () => {
      const sdk = await import('./sdk-connection.js');
      const settings: TemporalServiceOptions = { ...this.settings, kind: 'native' };
      const connection = await connectWithRetries(settings, (remainingMs) =>
        sdk.connectOnce(settings, remainingMs, () => new TimeoutError('connect timeout')),
      );
      if (this.closed) {
        await connection.close();
        throw new ConnectionError(`the connection to ${this.address} is closed`);
      }
      return new sdk.SdkSide(connection, settings, false, START_ATTEMPT_TIMEOUT_MS);
    })());
    opening.catch(() => {
      if (this.sdkSide === opening) this.sdkSide = undefined;
    });
    return opening;
  }

  /**
   * Throws a ConnectionError naming the namespace when the server does not know it, and notes whether
   * the run-id search attribute is registered there (then every start carries it).
   */
  async checkNamespace(namespace: string): Promise<void> {
    const { wire } = this;
    try {
      // Both at once: each round trip before the first start is start-up time.
      const [, hasAttribute] = await Promise.all([
        wire ? this.retried(() => wire.describeNamespace(namespace)) : this.sdk().then((sdk) => sdk.connection.workflowService.describeNamespace({ namespace })),
        this.hasRunIdSearchAttribute(namespace),
      ]);
      this.searchAttributeIn.set(namespace, hasAttribute);
    } catch (error) {
      if (grpcCodeOf(error) === GRPC_NOT_FOUND) {
        throw new ConnectionError(`namespace "${namespace}" does not exist on ${this.address}`);
      }
      throw new ConnectionError(`cannot describe namespace "${namespace}" on ${this.address}: ${firstLine(error)}`, {
        cause: error,
      });
    }
  }

  /** The load generator's launcher: starts in `target`'s namespace and task queue, with its start delay. */
  launcher(target: LaunchTarget): WorkflowLauncher {
    const { namespace, startDelayMs } = target;
    return {
      startDelayMs,
      startEchoWorkflow: (message, count, shape) => this.startEcho(target, message, count, shape),
      startWorkflow: (workflowType, args) => this.start(target, workflowType, args),
      awaitWorkflowResult: (workflowId) => this.awaitWorkflowResult(namespace, workflowId),
      delayLagOf: (workflowId) => this.delayLagOf(namespace, workflowId, startDelayMs ?? 0),
    };
  }

  /** Starts one EchoWorkflow with id `<idPrefix>-<runId>-<seq>`; resolves with the id once acknowledged. */
  startEchoWorkflow(namespace: string, taskQueue: string, message?: string, count?: number, shape?: EchoShape): Promise<string> {
    return this.startEcho({ namespace, taskQueue }, message, count, shape);
  }

  private startEcho(target: LaunchTarget, message = 'Hello World', count = 1, shape: EchoShape = {}): Promise<string> {
    return this.start(target, ECHO_WORKFLOW_TYPE, this.echoArgs(message, count, shape));
  }

  /** The EchoWorkflow's arguments: the same array while the input stays the same (its request is encoded once). */
  private echoArgs(message: string, count: number, shape: EchoShape): unknown[] {
    const last = this.lastEcho;
    if (last && last.message === message && last.count === count && last.activityDelayMs === shape.activityDelayMs && last.localActivities === shape.localActivities) {
      return last.args;
    }
    const input: EchoWorkflowInput = { message, count, ...shape };
    this.lastEcho = { message, count, activityDelayMs: shape.activityDelayMs, localActivities: shape.localActivities, args: [input] };
    return this.lastEcho.args;
  }

  /** Starts any workflow type (hosted by the user's own workers) with these arguments. */
  startWorkflow(namespace: string, taskQueue: string, workflowType: string, args: unknown[]): Promise<string> {
    return this.start({ namespace, taskQueue }, workflowType, args);
  }

  private async start(target: LaunchTarget, workflowType: string, args: unknown[]): Promise<string> {
    const workflowId = `${this.workflowIdPrefix()}${this.nextSequence++}`;
    const attempt = this.startAttempt(target, workflowType, args, workflowId);
    const firstSentAt = Date.now();
    for (let attemptNumber = 1; ; attemptNumber++) {
      const sentAt = Date.now();
      try {
        await attempt();
        this.settings.health?.answered(sentAt, Date.now());
        return workflowId;
      } catch (error) {
        const now = Date.now();
        // On a retry, "already started" means an earlier attempt landed and only its answer was lost.
        if (attemptNumber > 1 && isAlreadyStarted(error)) {
          this.settings.health?.answered(sentAt, now);
          return workflowId;
        }
        const kind = startFailureKind(error);
        const delay = this.retryDelay(kind, attemptNumber, sentAt, now, error);
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

  /** One attempt at starting `workflowId`, over whichever transport this service has. */
  private startAttempt(target: LaunchTarget, workflowType: string, args: unknown[], workflowId: string): () => Promise<void> {
    const { namespace, taskQueue, startDelayMs } = target;
    const searchAttribute = this.searchAttributeIn.get(namespace) ? { name: RUN_ID_SEARCH_ATTRIBUTE, value: this.runId } : undefined;
    const { wire } = this;
    if (wire) {
      const prepared = this.preparedStart(wire, target, workflowType, args, searchAttribute);
      return () => wire.start(prepared, workflowId, START_ATTEMPT_TIMEOUT_MS);
    }
    const { eagerStart = false } = this.settings;
    const memo = { [RUN_ID_MEMO_KEY]: this.runId };
    return async () => (await this.sdk()).start(namespace, { workflowId, taskQueue, workflowType, args, memo, searchAttribute, eagerStart, startDelayMs });
  }

  /**
   * The constant part of a start request, encoded once per namespace, task queue, start delay, type and
   * argument array (by identity: a run passes the same array for every start, so no per-start serialising).
   */
  private preparedStart(
    wire: WorkflowWire, target: LaunchTarget, workflowType: string, args: unknown[], searchAttribute: { name: string; value: string } | undefined,
  ): PreparedStart {
    const { namespace, taskQueue, startDelayMs } = target;
    const key = `${namespace}\0${taskQueue}\0${startDelayMs ?? ''}\0${workflowType}\0${searchAttribute ? 1 : 0}`;
    let byArgs = this.preparedStarts.get(key);
    if (!byArgs) {
      if (this.preparedStarts.size >= PREPARED_STARTS_KEPT) this.preparedStarts.clear();
      byArgs = new WeakMap();
      this.preparedStarts.set(key, byArgs);
    }
    let prepared = byArgs.get(args);
    if (!prepared) {
      prepared = wire.prepareStart({
        namespace, taskQueue, workflowType, args,
        memo: { [RUN_ID_MEMO_KEY]: this.runId },
        keywordSearchAttributes: searchAttribute ? { [searchAttribute.name]: searchAttribute.value } : undefined,
        workflowIdReusePolicy: WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
        startDelayMs,
      });
      byArgs.set(args, prepared);
    }
    return prepared;
  }

  /**
   * Resolves when the workflow completed; rejects with a LaunchError of the failure's kind. The workflow
   * exists, so a server that went away is waited for (with backoff) rather than counted as a failure.
   */
  async awaitWorkflowResult(namespace: string, workflowId: string): Promise<unknown> {
    const { wire } = this;
    const wait = wire ? () => wire.awaitClose(namespace, workflowId) : async () => (await this.sdk()).result(namespace, workflowId);
    let firstRefusalAt: number | undefined;
    let lastRefusalAt: number | undefined;
    for (let attempt = 1; ; attempt++) {
      const sentAt = Date.now();
      try {
        const result = await wait();
        this.settings.health?.answered(sentAt, Date.now());
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
      this.settings.health?.answered(sentAt, now);
      return undefined;
    }
    this.settings.health?.refused(kind as 'throttled' | 'server_unavailable', sentAt, now, describeFailure(error));
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
    const client = (await this.sdk()).client(namespace);
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
    const { firstTaskTimes } = await import('./history.js');
    const { startedMs, firstTaskMs } = await firstTaskTimes((await this.sdk()).client(namespace), workflowId, undefined);
    return firstTaskMs === undefined ? undefined : firstTaskMs - startedMs - delayMs;
  }

  /** Schedules in a namespace (create, observe, delete), over this service's SDK connection. */
  async scheduleService(namespace: string): Promise<ScheduleService> {
    return (await this.sdk()).scheduleService(namespace);
  }

  /** Terminates one running workflow of this run (e.g. left behind by a cut-short drain). */
  async terminateWorkflow(namespace: string, workflowId: string, reason: string): Promise<void> {
    await (await this.sdk()).client(namespace).workflow.getHandle(workflowId).terminate(reason);
  }

  /** Deletes one workflow execution (the server terminates it first when it is still running). */
  async deleteWorkflow(namespace: string, workflowId: string, runId: string): Promise<void> {
    await (await this.sdk()).connection.workflowService.deleteWorkflowExecution({ namespace, workflowExecution: { workflowId, runId } });
  }

  private async hasRunIdSearchAttribute(namespace: string): Promise<boolean> {
    const { wire } = this;
    try {
      if (wire) return (await this.retried(() => wire.customSearchAttributes(namespace))).get(RUN_ID_SEARCH_ATTRIBUTE) === KEYWORD_INDEXED_VALUE_TYPE;
      const { customAttributes } = await (await this.sdk()).connection.operatorService.listSearchAttributes({ namespace });
      return customAttributes?.[RUN_ID_SEARCH_ATTRIBUTE] === KEYWORD_INDEXED_VALUE_TYPE;
    } catch {
      return false; // not allowed to ask (e.g. a restricted API key): do without it
    }
  }

  /** Counts this run's workflows on the server (visibility), grouped by execution status. */
  async countRunWorkflows(namespace: string): Promise<WorkflowCountsByStatus> {
    const { wire } = this;
    const query = `WorkflowId STARTS_WITH "${this.workflowIdPrefix()}" GROUP BY ExecutionStatus`;
    const counts: WorkflowCountsByStatus = {};
    if (wire) {
      for (const group of (await this.retried(() => wire.countWorkflows(namespace, query))).groups) counts[String(group.value)] = group.count;
      return counts;
    }
    const { groups } = await (await this.sdk()).client(namespace).workflow.count(query);
    for (const group of groups) counts[String(group.groupValues[0])] = group.count;
    return counts;
  }

  /** The server's version (GetSystemInfo), or undefined when the server does not say. */
  async serverVersion(): Promise<string | undefined> {
    const { wire } = this;
    try {
      if ('serverVersion' in this.transport && this.transport.serverVersion) return this.transport.serverVersion; // asked at connect
      if (wire) return await this.retried(() => wire.serverVersion(DEFAULT_CONNECT_TIMEOUT_MS));
      const info = await (await this.sdk()).connection.workflowService.getSystemInfo({});
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

  /** Creates (does not start) a worker for the EchoWorkflow (on a native connection of its own when needed). */
  async createEchoWorker(namespace: string, taskQueue: string, tuning?: WorkerTuning): Promise<EchoWorker> {
    return (await this.sdk()).createEchoWorker(namespace, taskQueue, tuning);
  }

  async close(): Promise<void> {
    this.closed = true;
    const sdk = await this.sdkSide?.catch(() => undefined);
    await sdk?.close();
    await this.wire?.close();
  }

  /** What a TaskQueueProbe asks, over sched-bench's own channel when this service has it (no SDK loaded). */
  taskQueueQueries(namespace: string, taskQueue: string): TaskQueueQueries {
    const { wire } = this;
    if (wire) {
      return {
        rootPartitionPollers: () => wire.workflowTaskPollers(namespace, taskQueue),
        allPartitionPollers: () => wire.workflowTaskPollersAllPartitions(namespace, taskQueue),
        pendingWorkflowTaskAttempt: (workflowId) => wire.pendingWorkflowTaskAttempt(namespace, workflowId),
        lastWorkflowTaskFailure: (workflowId) => wire.lastWorkflowTaskFailure(namespace, workflowId),
      };
    }
    const sdkQueries = () => this.sdk().then((sdk) => sdk.taskQueueQueries(namespace, taskQueue));
    return {
      rootPartitionPollers: async () => (await sdkQueries()).rootPartitionPollers(),
      allPartitionPollers: async () => (await sdkQueries()).allPartitionPollers(),
      pendingWorkflowTaskAttempt: async (workflowId) => (await sdkQueries()).pendingWorkflowTaskAttempt(workflowId),
      lastWorkflowTaskFailure: async (workflowId) => (await sdkQueries()).lastWorkflowTaskFailure(workflowId),
    };
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

/** The version sched-bench names itself with on its own channel (client-version). */
const OWN_VERSION = (() => {
  try {
    return (require('../../../package.json') as { version: string }).version;
  } catch {
    return '0';
  }
})();

/**
 * Connection attempts until one succeeds. A server that is not there yet (refused, unreachable,
 * unavailable) is retried with backoff and jitter until `connectTimeoutMs`; a server that answers "no"
 * (TLS, credentials) fails at once. Either way: a ConnectionError naming the address.
 */
async function connectWithRetries<T>(options: TemporalServiceOptions, attempt: (remainingMs: number) => Promise<T>): Promise<T> {
  const { address } = options;
  const timeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const deadline = Date.now() + timeoutMs;
  const backoffs = new WakeableSleeps(options.stopSignal);
  for (let attemptNumber = 1; ; attemptNumber++) {
    try {
      return await attempt(Math.max(1, deadline - Date.now()));
    } catch (error) {
      const failure = error instanceof TimeoutError ? { reason: `no answer within ${timeoutMs / 1000}s`, retryable: false } : classifyConnectFailure(error, options);
      const backoff = backoffDelay(UNAVAILABLE_BACKOFF, attemptNumber);
      if (!failure.retryable || Date.now() + backoff >= deadline || backoffs.stopped) {
        const spent = backoffs.stopped ? `, stopped after ${((Date.now() + timeoutMs - deadline) / 1000).toFixed(1)}s` : ` in ${timeoutMs / 1000}s`;
        const tries = attemptNumber > 1 || backoffs.stopped ? ` (${attemptNumber} attempt${attemptNumber > 1 ? 's' : ''}${spent})` : '';
        throw new ConnectionError(`cannot reach Temporal at ${address}: ${failure.reason}${tries}`, { cause: error });
      }
      await backoffs.sleep(backoff);
    }
  }
}

/**
 * One connection attempt. http2: sched-bench's own channel, proven by a GetSystemInfo answer within
 * `timeoutMs`; otherwise the SDK's connection (its module loaded here).
 */
async function connectTransport(
  options: TemporalServiceOptions, timeoutMs: number,
): Promise<{ wire: WorkflowWire; serverVersion: string | undefined } | { sdk: SdkSide }> {
  if ((options.kind ?? 'http2') === 'http2') {
    const wire = new WorkflowWire({ ...options, tls: options.tls || undefined, clientVersion: OWN_VERSION });
    try {
      return { wire, serverVersion: await wire.serverVersion(timeoutMs) };
    } catch (error) {
      await wire.close();
      throw grpcCodeOf(error) === GRPC_DEADLINE_EXCEEDED ? new TimeoutError('connect timeout', { cause: error }) : error;
    }
  }
  const sdk = await import('./sdk-connection.js');
  const connection: SdkConnection = await sdk.connectOnce(options, timeoutMs, () => new TimeoutError('connect timeout'));
  return { sdk: new sdk.SdkSide(connection, options, options.eagerStart ?? false, START_ATTEMPT_TIMEOUT_MS) };
}

const GRPC_DEADLINE_EXCEEDED = 4;

/** "Workflow execution failed: <the workflow's own message>" — the cause is what a person needs. */
function describeFailure(error: unknown): string {
  const cause = error instanceof Error ? error.cause : undefined;
  return cause instanceof Error && cause.message ? `${firstLine(error)}: ${firstLine(cause)}` : firstLine(error);
}
