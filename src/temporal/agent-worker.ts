import { ApplicationFailure } from '@temporalio/common';
import { NativeConnection, Worker, type ActivityInterceptorsFactory } from '@temporalio/worker';
import type { SliceReport } from '../../workflows/coordinator-slices.js';
import { RUN_SLICE_ACTIVITY, type LoadSlice, type SliceHeartbeat } from '../../workflows/coordinator-types.js';
import { installRuntime } from './runtime.js';
import { workerWorkflowBundle } from './workflow-bundle.js';

export interface SliceContext {
  /** This agent's name (given to the worker as its identity too). */
  readonly agent: string;
  /** Records the heartbeat (the SDK sends it, throttled to `heartbeatIntervalMs`). */
  heartbeat(details: SliceHeartbeat): void;
  /** Aborted when the coordinator stops the run or cancels the slice: drain, then return the partial result. */
  readonly signal: AbortSignal;
  /** Adds a note to the slice's report (how a rerun's remainder was counted). */
  note?(text: string): void;
}

/** The run layer's body of the runLoadSlice activity: runs the slice, returns its RunResult document (JSON). */
export type SliceBody = (slice: LoadSlice, context: SliceContext) => Promise<Record<string, unknown>>;

export interface AgentWorkerOptions {
  /** The control namespace. */
  namespace: string;
  /** The control task queue. */
  taskQueue: string;
  /** The agent's name (worker identity). */
  name: string;
  body: SliceBody;
  /** How often heartbeats reach the server at most (the report interval). */
  heartbeatIntervalMs: number;
  bundleCacheDir?: string;
}

/** The SDK's activity context (heartbeats, cancellation), as the worker hands it to activity interceptors. */
type ActivityContext = Parameters<ActivityInterceptorsFactory>[0];

/**
 * Hands each activity its context as a last argument: the worker gives it to interceptors, and this
 * spares a dependency on @temporalio/activity (whose Context.current() reads the same object).
 */
const contextAsArgument: ActivityInterceptorsFactory = (context) => ({
  inbound: { execute: (input, next) => next({ ...input, args: [...input.args, context] }) },
});

/** See Worker.create below; the CLI's watchdog (COORDINATOR_STALL_FLOOR_MS) is twice it. */
export const STICKY_TIMEOUT_MS = 5_000;

/** The failure type of a slice whose body threw (its message is the body's). */
export const SLICE_FAILED_TYPE = 'SliceFailed';

/**
 * `sched-bench agent`'s worker: hosts the CoordinatorWorkflow and the runLoadSlice activity on the
 * control task queue, one slice at a time (one activity slot, so N slices spread over N agents).
 */
export class AgentWorker {
  /** The slices running now: aborted on shutdown so their bodies drain and return. */
  private readonly running = new Set<AbortController>();
  private runPromise: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;

  private constructor(private readonly worker: Worker) {}

  /** Creates (does not start) the worker on `connection` (not closed here). */
  static async create(options: AgentWorkerOptions & { connection: NativeConnection }): Promise<AgentWorker> {
    installRuntime();
    const workflowBundle = await workerWorkflowBundle(options.bundleCacheDir);
    let agent: AgentWorker | undefined;
    const worker = await Worker.create({
      connection: options.connection,
      namespace: options.namespace,
      taskQueue: options.taskQueue,
      identity: options.name,
      workflowBundle,
      activities: { [RUN_SLICE_ACTIVITY]: (slice: LoadSlice, context: ActivityContext) => agent!.runSlice(options, slice, context) },
      interceptors: { activity: [contextAsArgument] },
      maxConcurrentActivityTaskExecutions: 1,
      // The coordinator's next task waits this long on a dead agent's own (sticky) queue before any agent
      // may take it: short, so a live agent takes over soon (the client's watchdog allows twice it).
      stickyQueueScheduleToStartTimeout: STICKY_TIMEOUT_MS,
      // Heartbeats reach the server at most once per report interval (the SDK keeps the latest details).
      maxHeartbeatThrottleInterval: options.heartbeatIntervalMs,
      defaultHeartbeatThrottleInterval: options.heartbeatIntervalMs,
    });
    agent = new AgentWorker(worker);
    return agent;
  }

  /**
   * The activity: runs the body with a signal that fires on the slice's cancellation (the coordinator's
   * stop) or this worker's shutdown, and returns the body's result even when it drained early.
   */
  private async runSlice(options: AgentWorkerOptions, slice: LoadSlice, activity: ActivityContext): Promise<SliceReport> {
    const controller = new AbortController();
    let lastHeartbeat: SliceHeartbeat | null = null;
    let note: string | undefined;
    const context: SliceContext = {
      note: (text) => void (note = text),
      agent: options.name,
      heartbeat: (details) => {
        lastHeartbeat = details;
        activity.heartbeat(details);
      },
      signal: controller.signal,
    };
    // A drain waits for in-flight workflows and may report nothing meanwhile: the agent, alive, repeats
    // its last heartbeat so a long drain is not taken for a lost agent.
    let keepAlive: NodeJS.Timeout | undefined;
    controller.signal.addEventListener('abort', () => {
      keepAlive = setInterval(() => activity.heartbeat(lastHeartbeat ?? undefined), options.heartbeatIntervalMs);
    });
    const abort = () => controller.abort();
    activity.cancellationSignal.addEventListener('abort', abort);
    if (this.stopping || activity.cancellationSignal.aborted) abort();
    this.running.add(controller);
    try {
      const result = await options.body(slice, context);
      return { agent: options.name, lastHeartbeat, result, ...(note !== undefined ? { note } : {}) };
    } catch (error) {
      const report: SliceReport = { agent: options.name, lastHeartbeat, ...(note !== undefined ? { note } : {}) };
      throw ApplicationFailure.create({
        message: error instanceof Error ? error.message : String(error),
        type: SLICE_FAILED_TYPE,
        nonRetryable: true,
        details: [report],
      });
    } finally {
      clearInterval(keepAlive);
      this.running.delete(controller);
      activity.cancellationSignal.removeEventListener('abort', abort);
    }
  }

  /** Polls until shutdown(); rejects if the worker fails. */
  run(): Promise<void> {
    this.runPromise ??= this.worker.run();
    return this.runPromise;
  }

  /** Stops polling; a running slice is cancelled (its body drains and returns), then resolves. Idempotent. */
  shutdown(): Promise<void> {
    this.stopping ??= (async () => {
      // A worker that never ran is run only to be stopped (the SDK releases it that way).
      const running = this.run().catch(() => undefined);
      if (this.worker.getState() === 'RUNNING') this.worker.shutdown();
      for (const controller of this.running) controller.abort();
      await running;
    })();
    return this.stopping;
  }
}
