import type { EchoWorkflowInput } from '../../workflows/echo.js';
import type { ServiceConnection } from './connect.js';
import { isAlreadyStarted, resultFailureKind, startFailureKind } from './failure-kind.js';
import { retryingRefusals, type RetryRules } from './refusal-retries.js';
import {
  ECHO_WORKFLOW_TYPE, RUN_ID_MEMO_KEY, RUN_ID_SEARCH_ATTRIBUTE, START_ATTEMPT_TIMEOUT_MS,
} from './service-options.js';
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
  start(target: LaunchTarget, workflowType: string, args: unknown[]): Promise<string> {
    const workflowId = this.nextWorkflowId();
    const attempt = this.startAttempt(target, workflowType, args, workflowId);
    return retryingRefusals(this.connection, async () => {
      await attempt();
      return workflowId;
    }, startRules(workflowId));
  }

  /** The id of the next workflow this process creates: `<prefix><seq>`, one sequence for every way of starting. */
  nextWorkflowId(): string {
    return `${this.workflowIdPrefix}${this.nextSequence++}`;
  }

  /** What a start in `namespace` carries besides its input: the run id as memo, and as search attribute where registered. */
  startMarks(namespace: string): { memo: Record<string, string>; searchAttribute?: { name: string; value: string } } {
    const memo = { [RUN_ID_MEMO_KEY]: this.runId };
    return this.carriesRunIdAttribute(namespace) ? { memo, searchAttribute: { name: RUN_ID_SEARCH_ATTRIBUTE, value: this.runId } } : { memo };
  }

  /** One attempt at starting `workflowId`, over whichever transport the connection has. */
  private startAttempt(target: LaunchTarget, workflowType: string, args: unknown[], workflowId: string): () => Promise<void> {
    const { namespace, taskQueue, startDelayMs } = target;
    const { wire } = this.connection;
    if (wire) {
      const prepared = this.preparedStart(wire, target, workflowType, args, this.carriesRunIdAttribute(namespace));
      return () => wire.start(prepared, workflowId, START_ATTEMPT_TIMEOUT_MS);
    }
    const { eagerStart = false } = this.connection.settings;
    const marks = this.startMarks(namespace);
    return async () => (await this.connection.sdk()).start(namespace, { workflowId, taskQueue, workflowType, args, ...marks, eagerStart, startDelayMs });
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
  awaitResult(namespace: string, workflowId: string): Promise<unknown> {
    const { wire } = this.connection;
    const wait = wire ? () => wire.awaitClose(namespace, workflowId) : async () => (await this.connection.sdk()).result(namespace, workflowId);
    return retryingRefusals(this.connection, wait, { kindOf: resultFailureKind, creates: false, message: (failure) => `${workflowId}: ${failure}` });
  }
}

/** How a start is retried: "already started" on a retry means an earlier attempt landed and only its answer was lost. */
export function startRules(workflowId: string): RetryRules<string> {
  return {
    kindOf: startFailureKind,
    creates: true,
    message: (failure, abandoned) => `start of ${workflowId} ${abandoned ? `abandoned: ${failure} (not retried: stopping)` : `failed: ${failure}`}`,
    landedEarlier: (error) => (isAlreadyStarted(error) ? { value: workflowId } : undefined),
  };
}
