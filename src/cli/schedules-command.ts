import { firstLine } from '../errors.js';
import { formatFinalLine, formatIntervalLine, formatLoadModel, formatServerHealthEvent, formatSessionEvent } from '../report/lines.js';
import { scheduleRecord, schedulesEndRecord } from '../report/result.js';
import { formatScheduleLine, formatScheduleSummary } from '../report/schedule-report.js';
import { buildSchedulesResult } from '../report/schedules-result.js';
import { formatSummary } from '../report/summary.js';
import { startSchedules, type SchedulesEvent, type SchedulesRunResult } from '../run/schedules-run.js';
import type { SchedulesSpec } from '../run/schedules-spec.js';
import { describeSpec } from '../schedules/fire-times.js';
import type { CliLookup } from '../temporal/dev-server.js';
import { exitCodeOf, type Outcome } from './exit-codes.js';
import type { CliIO } from './io.js';
import type { RunConfig } from './options.js';
import { checkOutputs, NdjsonWriter, STDOUT, usesStdout, writeOutput } from './outputs.js';
import { redactedConfig } from './run-command.js';
import { schedulesSpecOf } from './run-specs.js';
import type { ShutdownSignals } from './signals.js';

/** How long a forced exit may spend deleting the schedules before it leaves anyway. */
const FORCED_DELETE_MS = 5_000;

/** The lines of a schedules run as it goes (the end is printed from its result). */
function printerOf(spec: SchedulesSpec, config: RunConfig, io: CliIO, ndjson: NdjsonWriter | undefined, runId: () => string): (event: SchedulesEvent) => void {
  return (event) => {
    switch (event.type) {
      case 'schedules-started': {
        const { window } = event;
        // The direct load, when asked for, is part of what the run will do: say so, as the load commands do.
        const directLoadText = spec.directLoad ? `directLoad: ${formatLoadModel(spec.directLoad.loadModel)} wait=${spec.directLoad.wait} ` : '';
        return io.out(
          `Starting schedules: schedules=${event.scheduleIds.length} ${describeSpec(spec.fire)} jitter=${spec.jitter}s fires=${event.firesEach} each ` +
            `window=${new Date(window.startMs).toISOString()}..${new Date(window.endMs).toISOString()} overlap=${spec.overlap} ` +
            `${directLoadText}taskQueue=${spec.taskQueue} namespace=${spec.namespace} address=${event.address} runId=${event.runId}`,
        );
      }
      case 'report':
        if (!config.quiet) io.out(formatScheduleLine(event.report));
        return ndjson?.write(scheduleRecord(runId(), event.report));
      case 'direct-load-interval':
        return config.quiet ? undefined : io.out(formatIntervalLine(event.report));
      case 'server-health':
        return io.err(formatServerHealthEvent(event.event));
      case 'schedule-reused':
        return io.err(`Schedule ${event.scheduleId} existed with the same spec: reused (--on-conflict reuse)`);
      case 'creation-late':
        return io.err('sched-bench: creating the schedules outlasted the lead time; each schedule is expected to fire only from its creation on');
      case 'no-fire-due': {
        const next = event.nextFireMs === undefined ? 'not within 5 years' : new Date(event.nextFireMs).toISOString();
        return io.err(`sched-bench: no fire is due within --duration ${spec.duration}s (next fire ${next}); watching the schedules for the duration`);
      }
      case 'poll-error':
        return io.err(`sched-bench: could not describe a schedule (retrying): ${firstLine(event.error)}`);
      case 'overlap-unchecked':
        return io.err(`sched-bench: cannot check the overlap policy: ${event.reason}`);
      case 'delete-failed':
        return io.err(`sched-bench: could not delete schedule ${event.schedule}`);
      default:
        return io.err(formatSessionEvent(event));
    }
  };
}

/** `sched-bench schedules`: resolve → create, watch and delete the schedules (the run layer) → print → exit code. */
export async function runSchedules(config: RunConfig, givenIO: CliIO, cliLookup: CliLookup, signals: ShutdownSignals): Promise<number> {
  const spec = schedulesSpecOf(config, cliLookup);
  checkOutputs(config);
  // With an output on stdout, the human lines move to stderr so stdout stays machine-readable.
  const io: CliIO = usesStdout(config) ? { out: givenIO.err, err: givenIO.err } : givenIO;
  const ndjson = config.ndjson ? new NdjsonWriter(config.ndjson, (reason) => io.err(`sched-bench: ${reason}`)) : undefined;
  let runId = '';
  const run = startSchedules(spec, printerOf(spec, config, io, ndjson, () => runId));
  runId = run.runId;
  const outputs = { config, io, ndjson };
  const killNow = () => run.killNow();
  process.on('exit', killNow);
  /** Set once the end is printed and written: a signal then only shortens the tear-down. */
  let finalExitCode: number | undefined;
  /** Set by a forced exit: the normal end, should it come within the exit's bound, is not written a second time. */
  let forcedEnding = false;
  const detachSignals = signals.attach({
    graceful: () => {
      if (finalExitCode !== undefined) return; // the run is over; the clean-up goes on
      io.err('Received interrupt signal, stopping: deleting the schedules...');
      run.stop();
    },
    forced: () => {
      if (finalExitCode !== undefined) {
        run.killNow();
        process.exit(finalExitCode);
      }
      if (forcedEnding) return;
      forcedEnding = true;
      // Even now the schedules go: they would go on firing on the cluster after we are gone.
      const exit = () => {
        run.killNow();
        process.exit(exitCodeOf({ kind: 'forced' }));
      };
      setTimeout(exit, FORCED_DELETE_MS).unref();
      // The results first, synchronously: the deletion may outlast the bound above.
      const deletedAlready = run.nothingToDelete;
      const partial = run.resultNow(deletedAlready);
      if (partial) printForcedEnd(partial, outputs);
      void run.deleteSchedules()
        .then((left) => {
          for (const id of left) io.err(`sched-bench: could not delete schedule ${id}`);
          // The result said "not deleted" while they were being deleted; stdout cannot take a second one.
          if (partial && !deletedAlready && left.length === 0 && config.json !== STDOUT) {
            writeJson({ ...partial, deleted: true, schedulesLeft: [] }, { kind: 'forced' }, outputs);
          }
        })
        .finally(exit);
    },
  });
  try {
    const ended = await run.ended;
    if (forcedEnding) return await new Promise<never>(() => undefined); // the forced exit is on its way out
    finalExitCode = printEnd(ended, spec, outputs);
    await run.result;
    return finalExitCode;
  } finally {
    detachSignals();
    ndjson?.close();
    process.off('exit', killNow);
  }
}

interface SchedulesOutputs {
  config: RunConfig;
  io: CliIO;
  ndjson: NdjsonWriter | undefined;
}

/** The end lines, the summary, the NDJSON end and the JSON result of a run that ended; returns the exit code. */
function printEnd(result: SchedulesRunResult, spec: SchedulesSpec, outputs: SchedulesOutputs): number {
  const { io, ndjson } = outputs;
  io.out(
    `Schedules ${result.interrupted ? 'interrupted' : 'done'}: ${result.counts.taken} fires of ${result.counts.expected} expected ` +
      `in ${(result.elapsedMs / 1000).toFixed(2)}s; ${result.schedulesLeft.length === 0 ? 'schedules deleted' : 'some schedules are left'}`,
  );
  for (const id of result.schedulesLeft) io.err(`sched-bench: schedule left on the server: ${id}`);
  const { directLoad } = result;
  if (directLoad) {
    io.out(formatFinalLine(directLoad.stats, directLoad.stats.stopReason === 'stopped'));
    const { metrics } = directLoad.load;
    io.out(`Direct load next to the schedules: ${formatSummary({
      stats: directLoad.stats, wait: spec.directLoad?.wait ?? true, thresholds: [],
      latency: { start: metrics.startLatency.summary(), e2e: metrics.e2eLatency.summary(), startLateness: metrics.startLateness.summary() },
    })}`);
  }
  io.out(formatScheduleSummary({
    counts: result.counts, fireLag: result.latency.fire_lag, pickupLag: result.latency.pickup_lag, notPickedUp: result.notPickedUp,
    caughtUp: result.caughtUp, failedFires: result.failedFires, jitterMaxMs: result.jitterMaxMs, jitterMs: spec.jitter * 1000,
    overlap: spec.overlap, checks: result.checks, thresholds: result.thresholds, elapsedMs: result.elapsedMs,
    dueBeforeCreated: result.dueBeforeCreated, noFireDue: result.window.noFireDue, serverHealth: result.serverHealth.snapshot(Date.now()),
  }));
  const outcome: Outcome = { kind: 'schedules', schedulesLeft: result.schedulesLeft.length, thresholds: result.thresholds, directLoad: directLoad?.stats };
  writeNdjsonEnd(result, outcome, ndjson);
  return writeJson(result, outcome, outputs);
}

/** A forced exit's end line (and the direct load's), NDJSON end record and --json result; synchronous. */
function printForcedEnd(result: SchedulesRunResult, outputs: SchedulesOutputs): void {
  outputs.io.out(
    `Schedules interrupted (forced): ${result.counts.taken} fires of ${result.counts.expected} expected in ${(result.elapsedMs / 1000).toFixed(2)}s; ` +
      `${result.deleted ? 'schedules deleted' : 'deleting the schedules'}`,
  );
  if (result.directLoad) outputs.io.out(formatFinalLine(result.directLoad.stats, true));
  writeNdjsonEnd(result, { kind: 'forced' }, outputs.ndjson);
  writeJson(result, { kind: 'forced' }, outputs);
}

/** The counts at the end (no report covered the time since the last), then the totals and the verdict. */
function writeNdjsonEnd(result: SchedulesRunResult, outcome: Outcome, ndjson: NdjsonWriter | undefined): void {
  if (!ndjson) return;
  ndjson.write(scheduleRecord(result.runId, {
    ...result.counts, elapsedMs: result.elapsedMs, fireLagP50Ms: result.fireLag.percentileMillis(50), fireLagP99Ms: result.fireLag.percentileMillis(99),
  }));
  ndjson.write(schedulesEndRecord({
    runId: result.runId, elapsedMs: result.elapsedMs, stopReason: result.stopReason, exitCode: exitCodeOf({ ...outcome, outputLost: ndjson.lost }),
    counts: result.counts, failedFires: result.failedFires, latency: { fireLag: result.latency.fire_lag, pickupLag: result.latency.pickup_lag },
    thresholds: result.thresholds,
  }));
}

/** Writes --json (src/report/schedules-result.schema.json); a failure is told in one line. Returns the exit code. */
function writeJson(result: SchedulesRunResult, outcome: Outcome, { config, io, ndjson }: SchedulesOutputs): number {
  let outputLost = ndjson?.lost ?? false;
  const exitCode = () => exitCodeOf({ ...outcome, outputLost });
  if (!config.json) return exitCode();
  const document = buildSchedulesResult({
    ...result, config: redactedConfig('schedules', config), exitCode: exitCode(),
    namespace: config.namespace, taskQueue: config.taskQueue, jitterSeconds: config.jitter, overlap: config.overlap,
  });
  try {
    writeOutput(config.json, `${JSON.stringify(document, null, 2)}\n`);
  } catch (error) {
    io.err(`sched-bench: ${(error as Error).message}`);
    outputLost = true;
  }
  return exitCode();
}
