import pLimit from 'p-limit';
import { UsageError, firstLine } from '../errors.js';
import { LatencyHistogram } from '../metrics/latency-histogram.js';
import { ServerHealth } from '../metrics/server-health.js';
import { checkOverlapPromise, type FiredRun, type PromiseCheck } from '../schedules/overlap-check.js';
import { evaluateThresholds, type ThresholdResult } from '../metrics/thresholds.js';
import { formatScheduleLine, formatScheduleSummary, type SchedulesResult } from '../report/schedule-report.js';
import { describeSpec, fireTimesBetween, fireTimingOf, parseCron, scheduleWindow } from '../schedules/fire-times.js';
import { scheduleIdsOf } from '../schedules/schedule-ids.js';
import { ScheduleObserver, type ScheduleRunResult } from '../schedules/schedule-observer.js';
import type { FireSpec, RecordedFire, ScheduleCounts } from '../shared/schedule-types.js';
import { SchedulerService } from '../scheduler/scheduler-service.js';
import type { RunStats } from '../scheduler/types.js';
import { formatFinalLine, formatIntervalLine, formatLoadModel, formatServerHealthEvent } from '../report/lines.js';
import { formatSummary } from '../report/summary.js';
import { workloadOf } from './workload.js';
import { CLOSED_LOOP_DEFAULT_CONCURRENCY, OPEN_LOOP_DEFAULT_CONCURRENCY } from './options.js';
import { startDevServer, type CliLookup, type DevServer } from '../temporal/dev-server.js';
import type { EchoWorker } from '../temporal/echo-worker.js';
import type { FiredWorkflow, ScheduleService } from '../temporal/schedule-service.js';
import { DEFAULT_ID_PREFIX, ECHO_WORKFLOW_TYPE, newRunId, RUN_ID_MEMO_KEY, TemporalService } from '../temporal/temporal-service.js';
import { connectionSettings, settingsFor } from './connection.js';
import { ExitCode, exitCodeOf } from './exit-codes.js';
import type { CliIO } from './io.js';
import type { RunConfig } from './options.js';
import { checkOutputs, exitCodeAfterLostOutput, NdjsonWriter, STDOUT, usesStdout, writeOutput } from './outputs.js';
import { serveMetrics } from '../run/metrics-server.js';
import { ScheduleExporter } from '../report/prometheus.js';
import { installRuntime } from '../temporal/runtime.js';
import { scheduleRecord, schedulesEndRecord } from '../report/result.js';
import { buildSchedulesResult } from '../report/schedules-result.js';
import { redactedConfig } from './run-command.js';
import type { ShutdownSignals } from './signals.js';
import { workerTuningOf } from './worker-tuning.js';
import { formatWorkerSettings } from '../report/lines.js';

/** Time between creating the schedules and their window: creating them must be over by then. */
const LEAD_MS = 2_000;
const LEAD_PER_SCHEDULE_MS = 100;
/** How often each schedule is described; its record keeps 10 fires, --every is at least 1 s. */
const POLL_INTERVAL_MS = 1_000;
/** After the window, wait this long at most for late or buffered fires. */
const BASE_SETTLE_MS = 5_000;
const MAX_SETTLE_MS = 120_000;
/** The server's smallest catch-up window; it silently raises shorter ones. */
const MIN_CATCHUP_WINDOW_SECONDS = 10;
/** Direct load next to the schedules: how long its in-flight workflows are waited for at the end. */
const DIRECT_LOAD_DRAIN_SECONDS = 30;
/** How long the visibility listing of the fired runs may take to show every run closed. */
const LISTING_SETTLE_MS = 10_000;

function fireSpecOf(config: RunConfig): FireSpec {
  if (config.cron !== undefined && config.every !== undefined) throw new UsageError('give --every or --cron, not both');
  if (config.cron !== undefined) return { kind: 'cron', expression: config.cron.trim(), cron: parseCron(config.cron) };
  const everySeconds = config.every ?? 1;
  // The server keeps whole seconds of an interval: 1.5s would fire every second.
  if (everySeconds < 1 || !Number.isInteger(everySeconds)) throw new UsageError(`--every must be whole seconds, at least 1s, got ${everySeconds}s`);
  return { kind: 'interval', everyMs: everySeconds * 1000 };
}

/** Pickup lag of each recorded fire, from its history; undefined for a fire no worker had picked up. */
async function pickupLags(schedules: ScheduleService, result: ScheduleRunResult): Promise<{ histogram: LatencyHistogram; notPickedUp: number }> {
  const histogram = LatencyHistogram.create();
  let notPickedUp = 0;
  const limit = pLimit(10);
  await Promise.all(
    result.fires.map((fire) =>
      limit(async () => {
        try {
          const { startedMs, firstTaskMs } = await schedules.firstTaskOf(fire.workflowId, fire.runId);
          if (firstTaskMs === undefined) notPickedUp++;
          else histogram.recordMillis(firstTaskMs - startedMs);
        } catch {
          notPickedUp++;
        }
      }),
    ),
  );
  return { histogram, notPickedUp };
}

/**
 * The runs the schedules started (since `sinceMs`: an earlier run's workflows with the same ids stay
 * out), listed again until visibility shows each closed (it indexes closes a little later).
 */
async function listFiredWhenClosed(schedules: ScheduleService, prefix: string, sinceMs: number): Promise<{ runs: FiredWorkflow[]; error?: string }> {
  const deadline = Date.now() + LISTING_SETTLE_MS;
  for (;;) {
    try {
      const runs = (await schedules.listFired(prefix)).filter((run) => run.startMs >= sinceMs);
      if (runs.every((run) => run.closeMs !== undefined) || Date.now() > deadline) return { runs };
    } catch (error) {
      if (Date.now() > deadline) return { runs: [], error: firstLine(error) };
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** `sched-bench schedules`: create Temporal Schedules, watch them fire, always delete them, report. */
export async function runSchedules(config: RunConfig, givenIO: CliIO, cliLookup: CliLookup, signals: ShutdownSignals): Promise<number> {
  if (!config.devServer) connectionSettings(config); // unreadable TLS files: exit 2 before anything starts
  checkOutputs(config);
  // With an output on stdout, the human lines move to stderr so stdout stays machine-readable.
  const io: CliIO = usesStdout(config) ? { out: givenIO.err, err: givenIO.err } : givenIO;
  const spec = fireSpecOf(config);
  if (config.fires === undefined && config.duration === undefined) throw new UsageError('schedules need --duration or --fires (per schedule)');
  if (config.catchupWindow !== undefined && config.catchupWindow < MIN_CATCHUP_WINDOW_SECONDS) {
    throw new UsageError(`--catchup-window must be at least ${MIN_CATCHUP_WINDOW_SECONDS}s: the server raises anything shorter to that`);
  }
  const runId = config.runId ?? newRunId();
  const scheduleIds = scheduleIdsOf(runId, config.schedules);
  const startedAt = new Date();
  const created = new Set<string>();
  // Outages seen by the schedule polls and the direct load: told as they happen, summed in the result.
  const serverHealth = new ServerHealth((event) => io.err(formatServerHealthEvent(event)));
  if (config.metricsPort !== undefined) installRuntime({ prometheusAddress: `0.0.0.0:${config.metricsPort + 1}` });
  const ndjson = config.ndjson ? new NdjsonWriter(config.ndjson, (reason) => io.err(`sched-bench: ${reason}`)) : undefined;
  let metricsServer: { close: () => Promise<void> } | undefined;
  let devServer: DevServer | undefined;
  let killStartingDevServer: (() => void) | undefined;
  let observer: ScheduleObserver | undefined;
  /** Direct load run next to the schedules (--concurrency / --rate), so fire lag is measured on a busy cluster. */
  let directLoad: SchedulerService | undefined;
  let stopRequested = false;
  let schedules: ScheduleService | undefined;
  /** What a forced exit reports from; unset before the observer exists (no window counted: nothing to report). */
  let forcedEnd: ForcedEndParts | undefined;

  /** Creates under way: waited for before deleting, so none lands after the clean-up. */
  const creating = new Set<Promise<unknown>>();

  /**
   * Deletes every schedule this run may have made: those created, and those whose create failed in a
   * way that may still have made it (a lost answer); never one that existed before (a conflict).
   * Names any it could not delete.
   */
  const deleteCreated = async (): Promise<string[]> => {
    const service = schedules;
    if (!service) return [];
    await Promise.allSettled([...creating]);
    const left: string[] = [];
    await Promise.all(
      [...created].map(async (id) => {
        try {
          await service.delete(id);
          created.delete(id);
        } catch (error) {
          left.push(`${id} (${firstLine(error)})`);
        }
      }),
    );
    return left;
  };

  /** Starts the direct load when asked for; resolves with its stats once stopped and drained. */
  let startDirectLoad: () => Promise<RunStats | undefined> = async () => undefined;

  const killDevServer = () => (devServer ? devServer.kill() : killStartingDevServer?.());
  process.on('exit', killDevServer);
  /** Aborted by the first signal: the direct load's starts (and connect) stop waiting to retry. */
  const stopRetries = new AbortController();
  const detachSignals = signals.attach({
    graceful: () => {
      stopRequested = true;
      stopRetries.abort();
      io.err('Received interrupt signal, stopping: deleting the schedules...');
      observer?.stop();
      directLoad?.stop();
    },
    forced: () => {
      // Even now the schedules go: they would go on firing on the cluster after we are gone.
      const exit = () => {
        killDevServer();
        process.exit(ExitCode.interrupted);
      };
      setTimeout(exit, 5_000).unref();
      // The results first, synchronously: the deletion may outlast the bound above.
      const deletedAlready = created.size === 0 && creating.size === 0;
      const outcome = forcedEnd ? writeForcedEnd(forcedEnd, deletedAlready) : undefined;
      void deleteCreated()
        .then((left) => {
          for (const id of left) io.err(`sched-bench: could not delete schedule ${id}`);
          // The result said "not deleted" while they were being deleted; stdout cannot take a second one.
          if (forcedEnd && outcome && !deletedAlready && left.length === 0 && config.json !== STDOUT) {
            writeForcedResult(forcedEnd, { ...outcome, deleted: true });
          }
        })
        .finally(exit);
    },
  });

  try {
    if (config.devServer) {
      devServer = await startDevServer(cliLookup, (kill) => (killStartingDevServer = kill));
      io.err(`Dev server started at ${devServer.address} (pid ${devServer.pid}, ${devServer.origin})`);
    }
    const address = devServer?.address ?? config.address;
    const service = await TemporalService.connect({
      ...settingsFor(config, devServer?.address), runId, health: serverHealth, stopSignal: stopRetries.signal,
      // Schedules are the SDK's: one native connection serves them and any direct load, unless told otherwise.
      kind: config.connection ?? 'native',
    });
    let worker: EchoWorker | undefined;
    try {
      await service.checkNamespace(config.namespace);
      schedules = (await service.scheduleService(config.namespace)).reportHealthTo(serverHealth);
      if (config.concurrency !== undefined || config.rate !== undefined) {
        const workload = workloadOf(config);
        const load = new SchedulerService({
          launcher: service.launcher({ namespace: config.namespace, taskQueue: config.taskQueue }),
          concurrency: config.concurrency ?? (config.rate !== undefined ? OPEN_LOOP_DEFAULT_CONCURRENCY : CLOSED_LOOP_DEFAULT_CONCURRENCY),
          rate: config.rate, reportInterval: config.reportInterval, wait: config.wait,
          // Its workflows need a worker; without one (or when it dies) the drain must not hang the run.
          drainTimeout: DIRECT_LOAD_DRAIN_SECONDS,
          sink: { interval: (report) => (config.quiet ? undefined : io.out(formatIntervalLine(report))) },
        });
        directLoad = load;
        startDirectLoad = () => load.runInfinite({ workload });
      }
      if (config.worker || config.devServer) {
        worker = await service.createEchoWorker(config.namespace, config.taskQueue, workerTuningOf(config));
        io.err(`Embedded worker: ${formatWorkerSettings(worker.settings)}`);
        worker.start().catch((error: Error) => {
          io.err(`sched-bench: embedded worker stopped: ${firstLine(error)}`);
          directLoad?.abort();
        });
      }
      const window = scheduleWindow(spec, Date.now(), LEAD_MS + LEAD_PER_SCHEDULE_MS * scheduleIds.length, {
        fires: config.fires,
        durationMs: config.duration !== undefined ? config.duration * 1000 : undefined,
      });
      const firesEach = fireTimesBetween(spec, window.startMs, window.endMs).length;
      const input = { message: config.message, count: config.count, ...(config.activityDelay ? { activityDelayMs: config.activityDelay } : {}), ...(config.localActivities ? { localActivities: true } : {}) };
      const limit = pLimit(10);
      // allSettled: every create has ended (and is in `created` if it made one) before an error is
      // thrown, so the clean-up below sees every schedule this run made.
      const creations = await Promise.allSettled(
        scheduleIds.map((scheduleId) =>
          limit(async () => {
            if (stopRequested) return;
            const creation = schedules!.create(
              {
                scheduleId, spec, startMs: window.startMs, endMs: window.endMs, jitterMs: config.jitter * 1000, overlap: config.overlap,
                catchupWindowMs: config.catchupWindow !== undefined ? config.catchupWindow * 1000 : undefined,
                workflowType: ECHO_WORKFLOW_TYPE, args: [input], taskQueue: config.taskQueue, workflowIdPrefix: scheduleId,
                memo: { [RUN_ID_MEMO_KEY]: runId },
              },
              config.onConflict,
            );
            creating.add(creation);
            let outcome: Awaited<typeof creation>;
            try {
              outcome = await creation;
            } catch (error) {
              // A conflict is someone else's schedule; any other failure may have created ours.
              if (!(error instanceof UsageError)) created.add(scheduleId);
              throw error;
            } finally {
              creating.delete(creation);
            }
            created.add(scheduleId);
            if (outcome === 'reused') io.err(`Schedule ${scheduleId} existed with the same spec: reused (--on-conflict reuse)`);
          }),
        ),
      );
      const failedCreation = creations.find((outcome) => outcome.status === 'rejected');
      if (failedCreation) throw failedCreation.reason;
      if (Date.now() > window.startMs && !window.noFireDue) {
        io.err(`sched-bench: creating the schedules outlasted the lead time; each schedule is expected to fire only from its creation on`);
      }
      if (window.noFireDue) {
        const next = window.noFireDue.nextFireMs;
        io.err(`sched-bench: no fire is due within --duration ${config.duration}s (next fire ${next === undefined ? 'not within 5 years' : new Date(next).toISOString()}); watching the schedules for the duration`);
      }
      // The direct load, when asked for, is part of what the run will do: say so, as the load commands do.
      const directLoadText = directLoad ? `directLoad: ${formatLoadModel(directLoad.loadModel)} wait=${config.wait} ` : '';
      io.out(
        `Starting schedules: schedules=${scheduleIds.length} ${describeSpec(spec)} jitter=${config.jitter}s fires=${firesEach} each ` +
          `window=${new Date(window.startMs).toISOString()}..${new Date(window.endMs).toISOString()} overlap=${config.overlap} ` +
          `${directLoadText}taskQueue=${config.taskQueue} namespace=${config.namespace} address=${address} runId=${runId}`,
      );
      const settleMs = Math.min(MAX_SETTLE_MS, BASE_SETTLE_MS + config.jitter * 1000 +
        (config.overlap.startsWith('buffer') ? firesEach * (config.activityDelay + 1000) : 0));
      let exporter: ScheduleExporter | undefined;
      const seenFires: RecordedFire[] = [];
      const outcomeBase = { runId, config, startedAt, address, scheduleIds, spec, window, firesEach, serverHealth };
      const watching: ScheduleObserver = new ScheduleObserver({
        source: schedules, scheduleIds, spec, window, pollIntervalMs: POLL_INTERVAL_MS, reportIntervalMs: config.reportInterval * 1000, settleMs,
        onReport: (report) => {
          if (!config.quiet) io.out(formatScheduleLine(report));
          ndjson?.write(scheduleRecord(runId, report));
        },
        onFire: (fire, lagMs) => {
          seenFires.push(fire);
          exporter?.observeFireLag(lagMs);
        },
        onPollError: (error) => io.err(`sched-bench: could not describe a schedule (retrying): ${firstLine(error)}`),
      });
      observer = watching;
      let serverVersion: string | null = null;
      void service.serverVersion().then((version) => (serverVersion = version ?? null));
      forcedEnd = {
        io, ndjson, base: outcomeBase, observer: watching, fires: seenFires, observingSinceMs: Date.now(), directLoad, serverVersion: () => serverVersion,
      };
      if (config.metricsPort !== undefined) {
        exporter = new ScheduleExporter(runId, () => watching.currentCounts(), () => serverHealth.snapshot(Date.now()));
        metricsServer = await serveMetrics(exporter, config.metricsPort);
        io.err(`Metrics: http://0.0.0.0:${config.metricsPort}/metrics (SDK metrics: port ${config.metricsPort + 1})`);
      }
      if (stopRequested) observer.stop();
      const loadRun = startDirectLoad();
      const result = await observer.run();
      // The schedules go first: they must not go on firing while the rest of the report is made.
      const left = await deleteCreated();
      directLoad?.stop();
      const loadStats = await loadRun;
      const listing = await listFiredWhenClosed(schedules, `${DEFAULT_ID_PREFIX}-${runId}-s`, window.startMs - 1000);
      if (listing.error) io.err(`sched-bench: cannot check the overlap policy: ${listing.error}`);
      const fired = listing.runs;
      const runsBySchedule = scheduleIds.map((id) => fired.filter((run) => run.workflowId.startsWith(`${id}-`)) as FiredRun[]);
      const checks = checkOverlapPromise(config.overlap, result.counts, runsBySchedule, Date.now());
      if (listing.error) checks.push({ what: 'the fired runs could be listed', passed: false, detail: listing.error });
      const pickup = await pickupLags(schedules, result);
      const { caughtUp, jitterMaxMs } = fireTimingOf(spec, result.fires);
      const failedFires = fired.filter((run) => ['FAILED', 'TIMED_OUT'].includes(run.status)).length;
      // Check with the server: describe each, since its schedule list catches up with deletes only later.
      const scheduleService = schedules;
      const remaining = left.length > 0 ? [] : (await Promise.all(scheduleIds.map(async (id) => ((await scheduleService.exists(id).catch(() => false)) ? [id] : [])))).flat();
      io.out(
        `Schedules ${result.stopReason === 'stopped' ? 'interrupted' : 'done'}: ${result.counts.taken} fires of ${result.counts.expected} expected ` +
          `in ${(result.elapsedMs / 1000).toFixed(2)}s; ${left.length + remaining.length === 0 ? 'schedules deleted' : 'some schedules are left'}`,
      );
      for (const id of [...left, ...remaining]) io.err(`sched-bench: schedule left on the server: ${id}`);
      const latency = { fire_lag: result.fireLag.summary(), pickup_lag: pickup.histogram.summary() };
      const thresholds = evaluateThresholds(config.thresholds, {
        latency, completed: result.counts.taken - failedFires, failed: failedFires,
        completedPerSecond: result.elapsedMs > 0 ? result.counts.taken / (result.elapsedMs / 1000) : 0,
        schedules: { missed: result.counts.missed, skipped: result.counts.skipped, unaccounted: result.counts.unaccounted },
      });
      if (loadStats && directLoad) {
        io.out(formatFinalLine(loadStats, loadStats.stopReason === 'stopped'));
        const { metrics } = directLoad;
        io.out(`Direct load next to the schedules: ${formatSummary({
          stats: loadStats, wait: config.wait, thresholds: [],
          latency: { start: metrics.startLatency.summary(), e2e: metrics.e2eLatency.summary(), startLateness: metrics.startLateness.summary() },
        })}`);
      }
      io.out(
        formatScheduleSummary({
          counts: result.counts, fireLag: latency.fire_lag, pickupLag: latency.pickup_lag, notPickedUp: pickup.notPickedUp, caughtUp, failedFires, jitterMaxMs,
          jitterMs: config.jitter * 1000,
          overlap: config.overlap, checks, thresholds, elapsedMs: result.elapsedMs,
          dueBeforeCreated: result.dueBeforeCreated, noFireDue: window.noFireDue, serverHealth: serverHealth.snapshot(Date.now()),
        }),
      );
      const interrupted = result.stopReason === 'stopped';
      const verdict = schedulesVerdict({ schedulesLeft: left.length + remaining.length, thresholds, directLoad: loadStats });
      // Lost output makes an otherwise good run fail; a worse code stays.
      let exitCode = exitCodeAfterLostOutput(verdict, ndjson?.lost ?? false);
      if (ndjson) {
        // The counts at the end (no report covered the time since the last), then the totals and the verdict.
        ndjson.write(scheduleRecord(runId, {
          ...result.counts, elapsedMs: result.elapsedMs, fireLagP50Ms: result.fireLag.percentileMillis(50), fireLagP99Ms: result.fireLag.percentileMillis(99),
        }));
        ndjson.write(schedulesEndRecord({
          runId, elapsedMs: result.elapsedMs, stopReason: result.stopReason, exitCode, counts: result.counts, failedFires,
          latency: { fireLag: latency.fire_lag, pickupLag: latency.pickup_lag }, thresholds,
        }));
        exitCode = exitCodeAfterLostOutput(exitCode, ndjson.lost);
      }
      if (config.json) {
        const document = schedulesDocument({
          ...outcomeBase, interrupted, exitCode, serverVersion: (await service.serverVersion()) ?? null,
          observedUntilMs: result.observedUntilMs, counts: result.counts, notPickedUp: pickup.notPickedUp, failedFires,
          deleted: left.length + remaining.length === 0, fires: result.fires, fireLag: result.fireLag, pickupLag: pickup.histogram,
          checks, thresholds, directLoad: loadStats && directLoad ? { stats: loadStats, load: directLoad } : undefined,
        });
        try {
          writeOutput(config.json, `${JSON.stringify(document, null, 2)}\n`);
        } catch (error) {
          io.err(`sched-bench: ${(error as Error).message}`);
          return exitCodeAfterLostOutput(exitCode, true);
        }
      }
      return exitCode;
    } finally {
      // Whatever happened above, the schedules do not outlive the run.
      const left = await deleteCreated();
      for (const id of left) io.err(`sched-bench: could not delete schedule ${id}`);
      await worker?.shutdown();
      await service.close();
    }
  } finally {
    detachSignals();
    await metricsServer?.close();
    ndjson?.close();
    await devServer?.stop();
    process.off('exit', killDevServer);
  }
}

/**
 * The exit code of a schedules run that ended. The direct load is judged as `infinite` judges its run
 * (a dead worker aborts it; failures and workflows a cut-short drain left behind fail it); the
 * thresholds are the schedules' and do not excuse it.
 */
export function schedulesVerdict(input: { schedulesLeft: number; thresholds: readonly ThresholdResult[]; directLoad?: RunStats }): number {
  if (input.schedulesLeft > 0) return ExitCode.failure;
  if (input.directLoad && exitCodeOf({ kind: 'load', stats: input.directLoad, thresholds: [] }) === ExitCode.failure) return ExitCode.failure;
  if (input.thresholds.length > 0 && !input.thresholds.every((threshold) => threshold.passed)) return ExitCode.thresholdsFailed;
  return ExitCode.ok;
}

/** What the --json result is made of. */
interface SchedulesOutcome {
  runId: string;
  config: RunConfig;
  startedAt: Date;
  interrupted: boolean;
  exitCode: number;
  address: string;
  serverVersion: string | null;
  scheduleIds: string[];
  spec: FireSpec;
  window: { startMs: number; endMs: number };
  firesEach: number;
  observedUntilMs: number;
  counts: ScheduleCounts;
  notPickedUp: number;
  failedFires: number;
  deleted: boolean;
  fires: readonly RecordedFire[];
  fireLag: LatencyHistogram;
  pickupLag: LatencyHistogram;
  checks: PromiseCheck[];
  thresholds: readonly ThresholdResult[];
  directLoad: { stats: RunStats; load: SchedulerService } | undefined;
  serverHealth: ServerHealth;
}

/** The --json document (src/report/schedules-result.schema.json). */
function schedulesDocument(outcome: SchedulesOutcome): SchedulesResult {
  const { config } = outcome;
  return buildSchedulesResult({
    ...outcome, config: redactedConfig('schedules', config),
    namespace: config.namespace, taskQueue: config.taskQueue, jitterSeconds: config.jitter, overlap: config.overlap,
  });
}

/** What a forced exit knows: set once the observer exists (before, there is no counted window to report). */
interface ForcedEndParts {
  io: CliIO;
  ndjson: NdjsonWriter | undefined;
  base: Pick<SchedulesOutcome, 'runId' | 'config' | 'startedAt' | 'address' | 'scheduleIds' | 'spec' | 'window' | 'firesEach' | 'serverHealth'>;
  observer: ScheduleObserver;
  /** Every fire the observer recorded, in the order seen. */
  fires: readonly RecordedFire[];
  observingSinceMs: number;
  directLoad: SchedulerService | undefined;
  serverVersion: () => string | null;
}

/**
 * A forced exit's end lines, NDJSON end record and --json result, from what is known at that moment:
 * the counts and fire lags seen so far and the direct load's stats. What needs the server (pickup lags,
 * failed fires, the overlap checks) is left empty, and thresholds are not judged: the exit code is 130
 * whatever they say. Synchronous, so the exit loses nothing. Returns the result's outcome.
 */
function writeForcedEnd(parts: ForcedEndParts, deleted: boolean): SchedulesOutcome {
  const { io, ndjson, base, observer } = parts;
  const now = Date.now();
  const observedUntilMs = Math.min(base.window.endMs, now);
  const counts = observer.counts(observedUntilMs);
  const elapsedMs = now - parts.observingSinceMs;
  const loadStats = parts.directLoad?.snapshot();
  io.out(
    `Schedules interrupted (forced): ${counts.taken} fires of ${counts.expected} expected in ${(elapsedMs / 1000).toFixed(2)}s; ` +
      `${deleted ? 'schedules deleted' : 'deleting the schedules'}`,
  );
  if (loadStats) io.out(formatFinalLine(loadStats, true));
  const outcome: SchedulesOutcome = {
    ...base, interrupted: true, exitCode: ExitCode.interrupted, serverVersion: parts.serverVersion(), observedUntilMs, counts,
    notPickedUp: 0, failedFires: 0, deleted, fires: [...parts.fires].sort((a, b) => a.scheduledAtMs - b.scheduledAtMs),
    fireLag: observer.fireLag, pickupLag: LatencyHistogram.create(), checks: [], thresholds: [],
    directLoad: loadStats && parts.directLoad ? { stats: loadStats, load: parts.directLoad } : undefined,
  };
  if (ndjson) {
    ndjson.write(scheduleRecord(base.runId, {
      ...counts, elapsedMs, fireLagP50Ms: observer.fireLag.percentileMillis(50), fireLagP99Ms: observer.fireLag.percentileMillis(99),
    }));
    ndjson.write(schedulesEndRecord({
      runId: base.runId, elapsedMs, stopReason: 'stopped', exitCode: ExitCode.interrupted, counts, failedFires: 0,
      latency: { fireLag: observer.fireLag.summary(), pickupLag: outcome.pickupLag.summary() }, thresholds: [],
    }));
  }
  writeForcedResult(parts, outcome);
  return outcome;
}

/** Writes a forced exit's --json result; a failure is told in one line (the exit code is 130 anyway). */
function writeForcedResult(parts: ForcedEndParts, outcome: SchedulesOutcome): void {
  const path = parts.base.config.json;
  if (!path) return;
  try {
    writeOutput(path, `${JSON.stringify(schedulesDocument(outcome), null, 2)}\n`);
  } catch (error) {
    parts.io.err(`sched-bench: ${(error as Error).message}`);
  }
}
