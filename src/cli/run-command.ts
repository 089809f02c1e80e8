import { emptyRunStats, SchedulerService } from '../scheduler/scheduler-service.js';
import type { RunMode, SchedulerSink } from '../scheduler/types.js';
import {
  formatFailuresLine,
  formatFinalLine,
  formatIntervalLine,
  formatStartLine,
  formatWaitingLine,
  INTERRUPT_LINE,
} from '../report/lines.js';
import { startDevServer, type CliLookup, type DevServer } from '../temporal/dev-server.js';
import type { EchoWorker } from '../temporal/echo-worker.js';
import { TemporalService } from '../temporal/temporal-service.js';
import type { FailureKind } from '../errors.js';
import { ExitCode, exitCodeFor } from './exit-codes.js';
import type { CliIO } from './io.js';
import type { RunConfig } from './options.js';
import type { ShutdownSignals } from './signals.js';

/** Prints interval lines, and the first failure of each kind so the cause is visible once. */
function printingSink(io: CliIO): SchedulerSink {
  const reportedKinds = new Set<FailureKind>();
  return {
    interval: (report) => io.out(formatIntervalLine(report)),
    failure: (kind, error) => {
      if (reportedKinds.has(kind)) return;
      reportedKinds.add(kind);
      io.err(`First ${kind} failure: ${error instanceof Error ? error.message : String(error)}`);
    },
  };
}

/** `sched-bench run` and `sched-bench infinite`: set up, run the scheduler, tear down, pick the exit code. */
export async function runLoad(
  mode: RunMode,
  config: RunConfig,
  io: CliIO,
  cliLookup: CliLookup,
  signals: ShutdownSignals,
): Promise<number> {
  let devServer: DevServer | undefined;
  let scheduler: SchedulerService | undefined;
  let stopRequested = false;

  const killDevServer = () => devServer?.kill();
  // Last line of defence against an orphaned dev server, whatever path ends the process.
  process.on('exit', killDevServer);
  const detachSignals = signals.attach({
    graceful: () => {
      stopRequested = true;
      io.err(INTERRUPT_LINE);
      if (!scheduler) return; // still starting up: the run will not begin
      scheduler.stop();
      const { inFlight } = scheduler.snapshot();
      if (inFlight > 0) io.err(formatWaitingLine(inFlight));
    },
    forced: () => {
      io.out(formatFinalLine(scheduler?.snapshot() ?? emptyRunStats(mode), true));
      killDevServer();
      process.exit(ExitCode.interrupted);
    },
  });

  try {
    let address = config.address;
    if (config.devServer) {
      devServer = await startDevServer(cliLookup);
      address = devServer.address;
      io.err(`Dev server started at ${address} (pid ${devServer.pid}, ${devServer.origin})`);
    }
    const service = await TemporalService.connect({ address });
    let worker: EchoWorker | undefined;
    try {
      await service.checkNamespace(config.namespace);
      if (config.worker || config.devServer) {
        worker = await service.createEchoWorker(config.namespace, config.taskQueue);
        worker.start().catch((error: Error) => {
          io.err(`sched-bench: embedded worker stopped: ${error.message}`);
          scheduler?.stop();
        });
      }
      scheduler = new SchedulerService({
        temporalService: service,
        taskQueue: config.taskQueue,
        namespace: config.namespace,
        concurrency: config.concurrency,
        reportInterval: config.reportInterval,
        wait: config.wait,
        sink: printingSink(io),
      });
      io.out(
        formatStartLine({
          mode, runId: service.runId, address, namespace: config.namespace, taskQueue: config.taskQueue,
          concurrency: config.concurrency, reportInterval: config.reportInterval, wait: config.wait,
          totalWorkflows: config.totalWorkflows, maxRuntime: config.maxRuntime,
        }),
      );
      if (stopRequested) scheduler.stop(); // a signal arrived during start-up
      const workload = { message: config.message, count: config.count };
      const stats =
        mode === 'batch'
          ? await scheduler.run({ totalWorkflows: config.totalWorkflows, ...workload })
          : await scheduler.runInfinite({ ...workload, maxRuntime: config.maxRuntime });
      io.out(formatFinalLine(stats, stats.stopReason === 'stopped'));
      const failures = formatFailuresLine(stats);
      if (failures) io.err(failures);
      return exitCodeFor(stats);
    } finally {
      await worker?.shutdown();
      await service.close();
    }
  } finally {
    detachSignals();
    await devServer?.stop();
    process.off('exit', killDevServer);
  }
}
