import { setFlagsFromString } from 'node:v8';
import { firstLine } from '../errors.js';
import { exitCodeOf } from './exit-codes.js';
import type { CliIO } from './io.js';
import type { RunConfig } from './options.js';
import type { ShutdownSignals } from './signals.js';
import { connectionSettings } from './connection.js';
import { workerTuningOf } from './worker-tuning.js';
import { formatWorkerSettings } from '../report/lines.js';

/**
 * Keeps V8's young generation at its initial size (1 MB per semi-space) instead of letting it grow to
 * 16 MB: a worker's garbage is short-lived, so scavenges stay cheap, and its peak RSS drops by ~20 MB
 * (README "Workers"). Set before the SDK loads, since V8 only applies it to later growth.
 */
function keepYoungGenerationSmall(): void {
  setFlagsFromString('--semi-space-growth-factor=1');
}

/** `sched-bench worker`: hosts the EchoWorkflow on the task queue until SIGINT/SIGTERM. */
export async function runWorker(config: RunConfig, io: CliIO, signals: ShutdownSignals): Promise<number> {
  keepYoungGenerationSmall();
  const { TemporalService } = await import('../temporal/temporal-service.js');
  // A worker polls over the SDK's native connection whatever the client connection would be.
  const service = await TemporalService.connect({ ...connectionSettings(config), kind: 'native' });
  try {
    await service.checkNamespace(config.namespace);
    const tuning = { ...workerTuningOf(config), workflowsOnMainThread: true };
    const worker = await service.createEchoWorker(config.namespace, config.taskQueue, tuning);
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
  } finally {
    await service.close();
  }
}
