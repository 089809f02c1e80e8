import { NativeConnection, Worker } from '@temporalio/worker';
import { createEchoActivities, type ActivityTally } from './activities.js';
import { installRuntime } from './runtime.js';
import { echoWorkflowBundle } from './workflow-bundle.js';

export interface EchoWorkerOptions {
  namespace: string;
  taskQueue: string;
  /** Shared connection (embedded worker); when absent the worker connects to `address` itself. */
  connection?: NativeConnection;
  address?: string;
}

/** A Temporal worker hosting the EchoWorkflow and its echo activity. */
export class EchoWorker {
  readonly tally: ActivityTally;
  private running: Promise<void> | undefined;

  private constructor(
    private readonly worker: Worker,
    tally: ActivityTally,
    private readonly ownConnection: NativeConnection | undefined,
  ) {
    this.tally = tally;
  }

  static async create(options: EchoWorkerOptions): Promise<EchoWorker> {
    installRuntime();
    const ownConnection = options.connection ? undefined : await NativeConnection.connect({ address: options.address });
    const connection = options.connection ?? ownConnection!;
    const tally: ActivityTally = { echoes: 0 };
    try {
      const worker = await Worker.create({
        connection,
        namespace: options.namespace,
        taskQueue: options.taskQueue,
        workflowBundle: await echoWorkflowBundle(),
        activities: createEchoActivities(tally),
      });
      return new EchoWorker(worker, tally, ownConnection);
    } catch (error) {
      await ownConnection?.close();
      throw error;
    }
  }

  /** Starts polling; the returned promise settles when the worker has stopped. */
  start(): Promise<void> {
    this.running ??= this.worker.run();
    return this.running;
  }

  /** Stops polling, lets running tasks finish, and resolves when the worker is down. */
  async shutdown(): Promise<void> {
    if (this.worker.getState() === 'RUNNING') this.worker.shutdown();
    await this.running?.catch(() => undefined);
    await this.ownConnection?.close();
  }
}
