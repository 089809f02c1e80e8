import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';

type PollerBehavior = NonNullable<WorkerOptions['workflowTaskPollerBehavior']>;
import { UsageError } from '../errors.js';
import { createEchoActivities, type ActivityTally } from './activities.js';
import { installRuntime } from './runtime.js';
import { workerWorkflowBundle } from './workflow-bundle.js';

/** Worker knobs an operator turns when the worker, not the server, is the bottleneck. */
export interface WorkerTuning {
  /** Worker instances in this process (one shared bundle and connection). */
  instances?: number;
  /** Concurrent workflow tasks per worker (SDK default 40). */
  workflowSlots?: number;
  /** Concurrent activities (and local activities) per worker (SDK default 100). */
  activitySlots?: number;
  /** Pollers per task type: a fixed maximum, or autoscaling (SDK default: min(10, slots)). */
  pollers?: number | 'autoscaling';
  /** Workflows kept in the sticky cache (SDK default: from the heap size). */
  stickyCacheSize?: number;
  /** Where the workflow bundle is kept between runs (not a knob, but it travels with them to the worker). */
  bundleCacheDir?: string;
  /**
   * Run workflow code on the process's main thread instead of the SDK's workflow thread. Measured for
   * `sched-bench worker` (README "Workers"): ~60 MB less memory (no second V8 heap) and no more CPU per
   * workflow (no hand-over between threads); the EchoWorkflow is too small to need a thread of its own.
   */
  workflowsOnMainThread?: boolean;
}

/** The settings in force, for the start line of `sched-bench worker`. */
import type { EffectiveWorkerSettings } from '../shared/session-events.js';
export type { EffectiveWorkerSettings };

export interface EchoWorkerOptions {
  namespace: string;
  taskQueue: string;
  /** Shared connection for the first worker (embedded worker); it is not closed here. */
  connection?: NativeConnection;
  /**
   * Opens a connection of the worker's own: for every worker when there is no shared connection, and
   * for each worker beyond the first (the SDK allows one worker per task queue and connection).
   */
  connect: () => Promise<NativeConnection>;
  tuning?: WorkerTuning;
}

const SDK_DEFAULT_WORKFLOW_SLOTS = 40;
const SDK_DEFAULT_ACTIVITY_SLOTS = 100;
/** The SDK's default limit on one workflow activation's run time (outside its debug mode). */
const WORKFLOW_ACTIVATION_TIME_LIMIT = '5s';

function pollerBehavior(pollers: WorkerTuning['pollers']): PollerBehavior | undefined {
  if (pollers === undefined) return undefined;
  return pollers === 'autoscaling' ? { type: 'autoscaling' } : { type: 'simple-maximum', maximum: pollers };
}

/** One or more Temporal workers hosting the EchoWorkflow and its echo activity on one task queue. */
export class EchoWorker {
  readonly tally: ActivityTally;
  readonly settings: EffectiveWorkerSettings;
  private running: Promise<unknown> | undefined;

  private constructor(
    private readonly workers: Worker[],
    tally: ActivityTally,
    settings: EffectiveWorkerSettings,
    private readonly ownConnections: NativeConnection[],
  ) {
    this.tally = tally;
    this.settings = settings;
  }

  static async create(options: EchoWorkerOptions): Promise<EchoWorker> {
    installRuntime();
    const tuning = options.tuning ?? {};
    const tally: ActivityTally = { echoes: 0 };
    const workflowBundle = await workerWorkflowBundle(tuning.bundleCacheDir);
    const workers: Worker[] = [];
    const ownConnections: NativeConnection[] = [];
    try {
      for (let index = 0; index < (tuning.instances ?? 1); index++) {
        let connection = index === 0 ? options.connection : undefined;
        if (!connection) {
          connection = await options.connect();
          ownConnections.push(connection);
        }
        workers.push(
          await Worker.create({
            connection,
            namespace: options.namespace,
            taskQueue: options.taskQueue,
            workflowBundle,
            activities: createEchoActivities(tally),
            ...(tuning.workflowSlots !== undefined ? { maxConcurrentWorkflowTaskExecutions: tuning.workflowSlots } : {}),
            ...(tuning.activitySlots !== undefined
              ? { maxConcurrentActivityTaskExecutions: tuning.activitySlots, maxConcurrentLocalActivityExecutions: tuning.activitySlots }
              : {}),
            ...(tuning.pollers !== undefined
              ? { workflowTaskPollerBehavior: pollerBehavior(tuning.pollers), activityTaskPollerBehavior: pollerBehavior(tuning.pollers) }
              : {}),
            ...(tuning.stickyCacheSize !== undefined ? { maxCachedWorkflows: tuning.stickyCacheSize } : {}),
            // The SDK's only switch for running workflows on the main thread is its debug mode; its one other
            // effect, no limit on a workflow activation's run time, is undone by giving the usual limit back.
            ...(tuning.workflowsOnMainThread ? { debugMode: true, isolateExecutionTimeout: WORKFLOW_ACTIVATION_TIME_LIMIT } : {}),
          }),
        );
      }
    } catch (error) {
      await Promise.all(ownConnections.map((connection) => connection.close().catch(() => undefined)));
      // The SDK checks the combination of settings; its message names the rule that was broken.
      if (error instanceof Error && (error.name === 'ValueError' || error instanceof TypeError)) {
        throw new UsageError(`invalid worker settings: ${error.message}`);
      }
      throw error;
    }
    const workflowSlots = tuning.workflowSlots ?? SDK_DEFAULT_WORKFLOW_SLOTS;
    const activitySlots = tuning.activitySlots ?? SDK_DEFAULT_ACTIVITY_SLOTS;
    const settings: EffectiveWorkerSettings = {
      workers: workers.length,
      workflowSlots,
      activitySlots,
      pollers:
        tuning.pollers === 'autoscaling'
          ? 'autoscaling'
          : tuning.pollers !== undefined
            ? String(tuning.pollers)
            : `${Math.min(10, workflowSlots)}/${Math.min(10, activitySlots)} (workflow/activity)`,
      stickyCacheSize: workers[0]!.options.maxCachedWorkflows,
    };
    return new EchoWorker(workers, tally, settings, ownConnections);
  }

  /** Starts polling; the returned promise settles when every worker has stopped (and rejects if one fails). */
  start(): Promise<unknown> {
    this.running ??= Promise.all(
      this.workers.map((worker) =>
        worker.run().catch((error: unknown) => {
          // One failed worker stops the others, so the process can close its connections and report.
          for (const other of this.workers) if (other.getState() === 'RUNNING') other.shutdown();
          throw error;
        }),
      ),
    );
    return this.running;
  }

  private stopping: Promise<void> | undefined;

  /** Stops polling, lets running tasks finish, and resolves when the workers are down. Idempotent. */
  shutdown(): Promise<void> {
    this.stopping ??= (async () => {
      // A worker that never ran still holds its connection: run it only to stop it at once.
      void this.start().catch(() => undefined);
      for (const worker of this.workers) if (worker.getState() === 'RUNNING') worker.shutdown();
      await this.running?.catch(() => undefined);
      await Promise.all(this.ownConnections.map((connection) => connection.close()));
    })();
    return this.stopping;
  }
}
