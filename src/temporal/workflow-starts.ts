import type { EchoWorkflowInput } from '../../workflows/echo.js';
import { firstLine, LaunchError, StartAbandonedError, type FailureKind } from '../errors.js';
import { backoffDelay, THROTTLED_BACKOFF, UNAVAILABLE_BACKOFF, type BackoffPolicy } from '../shared/backoff.js';
import type { ServiceConnection } from './connect.js';
import { isAlreadyStarted, resultFailureKind, startFailureKind } from './failure-kind.js';
import {
  DEFAULT_RETRY_BUDGET_MS, ECHO_WORKFLOW_TYPE, RUN_ID_MEMO_KEY, RUN_ID_SEARCH_ATTRIBUTE, START_ATTEMPT_TIMEOUT_MS,
} from './service-options.js';
import { sleep } from './wakeable-sleeps.js';
import { WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE } from './wire/api-enums.js';
import type { PreparedStart, WorkflowWire } from './wire/workflow-wire.js';

/** Start requests encoded once per namespace, task queue, start delay and workflow type; a run has one or a few. */
const PREPARED_STARTS_KEPT = 16;

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

/**
 * Starting workflows and awaiting their results, each retried while the server is away or throttling
 * (within the retry budget; a stop abandons the starts waiting to retry). Ids are `<prefix><seq>`.
 */
export class WorkflowStarts {
  private nextSequence = 1;
  private readonly preparedStarts = new Map<string, WeakMap<unknown[], PreparedStart>>();
  /** The start prepared last: every start of a run finds it here, so the hot path builds no key. */
  private lastPrepared: { target: LaunchTarget; workflowType: string; args: unknown[]; withAttribute: boolean; prepared: PreparedStart } | undefined;
  /** The last EchoWorkflow input and its argument array (see echoArgs). */
  private lastEcho: { message: string; count: number; activityDelayMs?: number; localActivities?: boolean; args: unknown[] } | undefined;

  constructor(
    private readonly connection: ServiceConnection,
    private readonly runId: string,
    private readonly workflowIdPrefix: string,
    /** Whether starts in this namespace carry the run-id search attribute (checked by checkNamespace). */
    private readonly carriesRunIdAttribute: (namespace: string) => boolean,
  ) {}

  private get retryBudgetMs(): number {
    return this.connection.settings.retryBudgetMs ?? DEFAULT_RETRY_BUDGET_MS;
  }

  /** Starts one EchoWorkflow; resolves with its id once acknowledged. */
  startEcho(target: LaunchTarget, message = 'Hello World', count = 1, shape: EchoShape = {}): Promise<string> {
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

  /** Starts any workflow type with these arguments; resolves with its id once acknowledged. */
  async start(target: LaunchTarget, workflowType: string, args: unknown[]): Promise<string> {
    const workflowId = `${this.workflowIdPrefix}${this.nextSequence++}`;
    const attempt = this.startAttempt(target, workflowType, args, workflowId);
    const { health } = this.connection.settings;
    const backoffs = this.connection.backoffs;
    const firstSentAt = Date.now();
    for (let attemptNumber = 1; ; attemptNumber++) {
      const sentAt = Date.now();
      try {
        await attempt();
        health?.answered(sentAt, Date.now());
        return workflowId;
      } catch (error) {
        const now = Date.now();
        // On a retry, "already started" means an earlier attempt landed and only its answer was lost.
        if (attemptNumber > 1 && isAlreadyStarted(error)) {
          health?.answered(sentAt, now);
          return workflowId;
        }
        const kind = startFailureKind(error);
        const delay = this.retryDelay(kind, attemptNumber, sentAt, now, error);
        if (delay === undefined || now + delay - firstSentAt > this.retryBudgetMs) {
          throw new LaunchError(kind, `start of ${workflowId} failed: ${describeFailure(error)}`, { cause: error });
        }
        // A stop wakes this backoff: the start is then abandoned (not a failure) rather than holding the run up.
        await backoffs.sleep(delay);
        if (backoffs.stopped) {
          throw new StartAbandonedError(kind, `start of ${workflowId} abandoned: ${describeFailure(error)} (not retried: stopping)`, { cause: error });
        }
      }
    }
  }

  /** One attempt at starting `workflowId`, over whichever transport the connection has. */
  private startAttempt(target: LaunchTarget, workflowType: string, args: unknown[], workflowId: string): () => Promise<void> {
    const { namespace, taskQueue, startDelayMs } = target;
    const withAttribute = this.carriesRunIdAttribute(namespace);
    const { wire } = this.connection;
    if (wire) {
      const prepared = this.preparedStart(wire, target, workflowType, args, withAttribute);
      return () => wire.start(prepared, workflowId, START_ATTEMPT_TIMEOUT_MS);
    }
    const searchAttribute = withAttribute ? { name: RUN_ID_SEARCH_ATTRIBUTE, value: this.runId } : undefined;
    const { eagerStart = false } = this.connection.settings;
    const memo = { [RUN_ID_MEMO_KEY]: this.runId };
    return async () => (await this.connection.sdk()).start(namespace, { workflowId, taskQueue, workflowType, args, memo, searchAttribute, eagerStart, startDelayMs });
  }

  /**
   * The constant part of a start request, encoded once per namespace, task queue, start delay, type and
   * argument array (by identity: a run passes the same array for every start, so no per-start serialising).
   */
  private preparedStart(
    wire: WorkflowWire, target: LaunchTarget, workflowType: string, args: unknown[], withAttribute: boolean,
  ): PreparedStart {
    const last = this.lastPrepared;
    if (last && last.target === target && last.args === args && last.workflowType === workflowType && last.withAttribute === withAttribute) {
      return last.prepared;
    }
    const { namespace, taskQueue, startDelayMs } = target;
    const key = `${namespace}\0${taskQueue}\0${startDelayMs ?? ''}\0${workflowType}\0${withAttribute ? 1 : 0}`;
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
        keywordSearchAttributes: withAttribute ? { [RUN_ID_SEARCH_ATTRIBUTE]: this.runId } : undefined,
        workflowIdReusePolicy: WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
        startDelayMs,
      });
      byArgs.set(args, prepared);
    }
    this.lastPrepared = { target, workflowType, args, withAttribute, prepared };
    return prepared;
  }

  /**
   * Resolves when the workflow completed; rejects with a LaunchError of the failure's kind. The workflow
   * exists, so a server that went away is waited for (with backoff) rather than counted as a failure.
   */
  async awaitResult(namespace: string, workflowId: string): Promise<unknown> {
    const { wire } = this.connection;
    const wait = wire ? () => wire.awaitClose(namespace, workflowId) : async () => (await this.connection.sdk()).result(namespace, workflowId);
    let firstRefusalAt: number | undefined;
    let lastRefusalAt: number | undefined;
    for (let attempt = 1; ; attempt++) {
      const sentAt = Date.now();
      try {
        const result = await wait();
        this.connection.settings.health?.answered(sentAt, Date.now());
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
    const { health } = this.connection.settings;
    const policy: BackoffPolicy | undefined =
      kind === 'throttled' ? THROTTLED_BACKOFF : kind === 'server_unavailable' ? UNAVAILABLE_BACKOFF : undefined;
    if (!policy) {
      health?.answered(sentAt, now);
      return undefined;
    }
    health?.refused(kind as 'throttled' | 'server_unavailable', sentAt, now, describeFailure(error));
    return this.connection.closed ? undefined : backoffDelay(policy, attempt);
  }
}

/** "Workflow execution failed: <the workflow's own message>" — the cause is what a person needs. */
function describeFailure(error: unknown): string {
  const cause = error instanceof Error ? error.cause : undefined;
  return cause instanceof Error && cause.message ? `${firstLine(error)}: ${firstLine(cause)}` : firstLine(error);
}
