import { firstLine } from '../errors.js';
import { exitCodeOf } from './exit-codes.js';
import type { CliIO } from './io.js';
import type { RunConfig } from './options.js';
import type { ShutdownSignals } from './signals.js';
import { connectionSettings } from './connection.js';
import { workerTuningOf } from './worker-tuning.js';
import { formatWorkerSettings } from '../report/lines.js';
import { tuneWorkerProcess } from './v8-tuning.js';
import type { EchoWorker } from '../temporal/echo-worker.js';

/**
 * `sched-bench worker`: hosts sched-bench's workflows (the EchoWorkflow and the workloads') on the task queue
 * until SIGINT/SIGTERM; with --metrics-port it serves its metrics for Prometheus meanwhile.
 */
export async function runWorker(config: RunConfig, io: CliIO, signals: ShutdownSignals): Promise<number> {
  tuneWorkerProcess();
  let worker: EchoWorker | undefined;
  // The port first: a busy one fails before any connection is made.
  const metricsServer = config.metricsPort === undefined ? undefined : await serveWorkerMetrics(config, () => worker, config.metricsPort, io);
  const { TemporalService } = await import('../temporal/temporal-service.js');
  let service: Awaited<ReturnType<typeof TemporalService.connect>> | undefined;
  try {
    // A worker polls over the SDK's native connection whatever the client connection would be.
    service = await TemporalService.connect({ ...connectionSettings(config), kind: 'native' });
    await service.checkNamespace(config.namespace);
    const tuning = { ...workerTuningOf(config), workflowsOnMainThread: true };
    const created = await service.createEchoWorker(config.namespace, config.taskQueue, tuning);
    worker = created;
    return await runUntilStopped(config, created, io, signals);
  } finally {
    await metricsServer?.close();
    await service?.close();
  }
}

/** Runs the worker until a signal stops it (or it fails); the exit code. */
async function runUntilStopped(config: RunConfig, worker: EchoWorker, io: CliIO, signals: ShutdownSignals): Promise<number> {
  const detachSignals = signals.attach({
    graceful: () => {
      io.err('Received interrupt signal, stopping worker...');
      void worker.shutdown();
    },
    forced: () => {
      io.out(`Worker stopped. Activities executed: ${worker.tally.echoes}`);
      process.exit(exitCodeOf({ kind: 'forced' }));
    },
  });
  try {
    io.out(
      `Worker started: taskQueue=${config.taskQueue} namespace=${config.namespace} address=${config.address} ` +
        formatWorkerSettings(worker.settings),
    );
    try {
      await worker.start();
    } catch (error) {
      await worker.shutdown();
      io.err(`sched-bench: worker stopped on an error: ${firstLine(error)}`);
      return exitCodeOf({ kind: 'done', failures: 1 });
    }
    await worker.shutdown();
    io.out(`Worker stopped. Activities executed: ${worker.tally.echoes}`);
    return exitCodeOf({ kind: 'done' });
  } finally {
    detachSignals();
  }
}

/**
 * sched-bench's own worker metrics on `port`; the SDK's (task schedule-to-start latencies, slots, polls) on
 * port + 1, from the SDK runtime installed here, before anything else touches the SDK.
 */
async function serveWorkerMetrics(
  config: RunConfig, worker: () => EchoWorker | undefined, port: number, io: CliIO,
): Promise<{ close: () => Promise<void> }> {
  const { serveMetrics, serveSdkMetrics } = await import('../run/metrics-server.js');
  const { workerMetrics } = await import('./worker-metrics.js');
  const labels = { task_queue: config.taskQueue, namespace: config.namespace };
  const server = await serveMetrics(workerMetrics(labels, () => {
    const running = worker();
    return running && {
      workers: running.settings.workers, workflowSlots: running.settings.workflowSlots, activitySlots: running.settings.activitySlots,
      activities: running.tally.echoes,
    };
  }), port);
  try {
    await serveSdkMetrics(port);
  } catch (error) {
    await server.close();
    throw error;
  }
  io.out(`Metrics: http://localhost:${port}/metrics (sched-bench), http://localhost:${port + 1}/metrics (the SDK's worker metrics)`);
  return server;
}
