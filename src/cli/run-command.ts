import { randomBytes } from 'node:crypto';
import pLimit from 'p-limit';
import { firstLine, UsageError, type FailureKind } from '../errors.js';
import { IntervalSeries } from '../metrics/interval-series.js';
import { RunMetrics } from '../metrics/run-metrics.js';
import { ServerHealth } from '../metrics/server-health.js';
import { evaluateThresholds, type ThresholdResult } from '../metrics/thresholds.js';
import { verifyAgainstServer, type Verification } from '../metrics/verification.js';
import {
  formatFailuresLine,
  formatFinalLine,
  formatIntervalLine,
  formatServerHealthEvent,
  formatStartLine,
  formatWaitingLine,
  INTERRUPT_LINE,
} from '../report/lines.js';
import { buildRunResult, finalInterval, intervalRecord, runEndRecord, type ClientCost, type RunResult } from '../report/result.js';
import { formatSummary, formatVerification } from '../report/summary.js';
import { emptyRunStats, SchedulerService } from '../scheduler/scheduler-service.js';
import type { IntervalReport, RunMode, RunStats, SchedulerSink } from '../scheduler/types.js';
import { startDevServer, type CliLookup, type DevServer } from '../temporal/dev-server.js';
import type { EchoWorker } from '../temporal/echo-worker.js';
import { ECHO_WORKFLOW_TYPE, newRunId, TemporalService } from '../temporal/temporal-service.js';
import { TaskQueueProbe } from '../temporal/task-queue-probe.js';
import { RunWatch } from '../scheduler/run-watch.js';
import { MAX_CONCURRENCY, MAX_RATE } from '../scheduler/load-model.js';
import { formatWatchEvent } from '../report/watch-lines.js';
import { VERSION } from '../version.js';
import { ExitCode, exitCodeFor } from './exit-codes.js';
import type { CliIO } from './io.js';
import {
  CLOSED_LOOP_DEFAULT_CONCURRENCY,
  DRAIN_STALL_SECONDS,
  OPEN_LOOP_DEFAULT_CONCURRENCY,
  specsFor,
  type CommandName,
  type RunConfig,
} from './options.js';
import { checkOutputs, exitCodeAfterLostOutput, NdjsonWriter, usesStdout, writeOutput } from './outputs.js';
import type { ShutdownSignals } from './signals.js';
import { connectionKindOf, connectionSettings, settingsFor } from './connection.js';
import { workloadOf } from './workload.js';
import type { LiveProgress } from './live-progress.js';
import { serveMetrics } from './metrics-server.js';
import type { PrometheusExporter } from '../report/prometheus.js';
import { outputMode, type OutputMode } from './terminal.js';
import type { LiveStatus } from '../report/progress.js';
import { formatWorkerSettings, workerTuningOf } from './worker-tuning.js';
import { limitHeapGrowth } from './heap-growth.js';

/** How long --verify waits for visibility to catch up with the tool's counts. */
const VERIFY_TIMEOUT_MS = 15_000;

/** A secret as the JSON result shows it: `[redacted]` if given; of key=value pairs, the keys (names, not secrets). */
function redactedSecret(value: unknown): unknown {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    return Object.fromEntries(Object.keys(value).map((key) => [key, '[redacted]']));
  }
  return '[redacted]';
}

/**
 * The configuration as the JSON result shows it: secrets redacted (only those given), thresholds as
 * their text, and `progress` as the run had it (false when stdout was piped, in CI, or with --quiet).
 */
export function redactedConfig(command: CommandName, config: RunConfig, output?: OutputMode): Record<string, unknown> {
  const shown: Record<string, unknown> = {};
  for (const spec of specsFor(command)) {
    const value = config[spec.key];
    if (value === undefined) continue;
    // PEM text given inline (TEMPORAL_TLS_*_DATA) may be a private key: show where it came from, not what.
    const inlinePem = typeof value === 'object' && value !== null && 'data' in value;
    shown[spec.key] = spec.secret ? redactedSecret(value) : inlinePem ? { data: '[redacted]' } : value;
  }
  if ('progress' in shown && output !== undefined) shown.progress = output === 'live';
  shown.thresholds = config.thresholds.map((threshold) => threshold.expression);
  return shown;
}

/** Prints interval lines, and the first failure of each kind so the cause is visible once. */
/** The HTML report's renderer with its chart assets, loaded when --html asks for it. */
async function loadHtmlReport(): Promise<(results: RunResult[]) => string> {
  const [{ renderHtmlReport }, { chartAssets }] = await Promise.all([import('../report/html.js'), import('./report-command.js')]);
  return (results) => renderHtmlReport(results, chartAssets());
}

function printingSink(io: CliIO, onInterval: SchedulerSink['interval']): SchedulerSink {
  const reportedKinds = new Set<FailureKind>();
  return {
    interval: (report) => {
      io.out(formatIntervalLine(report));
      onInterval?.(report);
    },
    failure: (kind, error) => {
      if (reportedKinds.has(kind)) return;
      reportedKinds.add(kind);
      io.err(`First ${kind} failure: ${error instanceof Error ? error.message : String(error)}`);
    },
  };
}

/** What this process has cost during the run (CPU since `since`, start-up excluded), and its peak memory. */
function clientCost(completed: number, embeddedWorker: boolean, since: NodeJS.CpuUsage | undefined): ClientCost {
  const { user, system } = process.cpuUsage(since);
  return {
    cpuUserSeconds: user / 1e6,
    cpuSystemSeconds: system / 1e6,
    cpuMsPerCompleted: completed > 0 ? (user + system) / 1000 / completed : 0,
    maxRssMegabytes: process.resourceUsage().maxRSS / 1024,
    embeddedWorker,
  };
}

/** Terminates the workflows a cut-short drain left behind, 20 at a time; returns how many it terminated. */
async function terminateAll(service: TemporalService, namespace: string, workflowIds: readonly string[]): Promise<number> {
  const limit = pLimit(20);
  const outcomes = await Promise.all(
    workflowIds.map((workflowId) =>
      limit(() => service.terminateWorkflow(namespace, workflowId, 'sched-bench: drain timeout (--on-stop terminate)').then(() => true, () => false)),
    ),
  );
  return outcomes.filter(Boolean).length;
}

/** Polls the server until its counts match the tool's or the visibility timeout passes. */
async function verifyRun(service: TemporalService, namespace: string, stats: RunStats, waited: boolean): Promise<Verification> {
  const deadline = Date.now() + VERIFY_TIMEOUT_MS;
  for (;;) {
    let verification: Verification;
    try {
      verification = verifyAgainstServer(stats, await service.countRunWorkflows(namespace), waited);
    } catch (error) {
      // Not knowing is not agreeing: the run fails verification, and says why.
      verification = { matches: false, rows: [], serverCounts: {}, error: firstLine(error) };
    }
    if (verification.matches || Date.now() > deadline) return verification;
    await new Promise((resolveLater) => setTimeout(resolveLater, 500));
  }
}

/** `sched-bench run` and `sched-bench infinite`: set up, run the scheduler, report, tear down, pick the exit code. */
/** What the live status line reads: the scheduler's counts and the completions of about the last second. */
function liveStatusReader(scheduler: SchedulerService, config: RunConfig, lastReportedP99: () => number): () => LiveStatus {
  const samples: Array<{ at: number; completed: number }> = [];
  return () => {
    const stats = scheduler.snapshot();
    const at = performance.now();
    samples.push({ at, completed: stats.completed });
    while (samples.length > 2 && at - samples[0]!.at > 1000) samples.shift();
    const oldest = samples[0]!;
    const seconds = (at - oldest.at) / 1000;
    const latency = config.wait ? scheduler.metrics.intervalE2eLatency : scheduler.metrics.intervalStartLatency;
    const limitSeconds = config.duration ?? (config.maxRuntime > 0 ? config.maxRuntime : undefined);
    const durationMs = limitSeconds !== undefined ? limitSeconds * 1000 : undefined;
    return {
      elapsedMs: stats.elapsedMs,
      limit: { durationMs, totalWorkflows: stats.mode === 'batch' ? config.totalWorkflows : undefined },
      inFlight: stats.inFlight,
      completed: stats.completed,
      failed: stats.failed,
      rate: seconds > 0 ? (stats.completed - oldest.completed) / seconds : 0,
      // Just after a report the new interval has no samples yet: keep showing the last interval's p99.
      p99Ms: latency.count > 0 ? latency.percentileMillis(99) : lastReportedP99(),
    };
  };
}

/**
 * Watches the run for workflows nobody picks up (one warning each; the run goes on, a worker may come)
 * and for a server away longer than --max-outage (the run then ends without a drain, exit 1).
 */
function runWatchOf(
  scheduler: SchedulerService, service: TemporalService, health: ServerHealth, config: RunConfig, address: string, io: CliIO,
): RunWatch {
  const workflowType = config.workflowType ?? ECHO_WORKFLOW_TYPE;
  const context = { address, namespace: config.namespace, taskQueue: config.taskQueue, workflowType, echo: config.workflowType === undefined };
  return new RunWatch({
    finished: () => {
      const { completed, failed } = scheduler.snapshot();
      return completed + failed;
    },
    inFlightWorkflowIds: () => scheduler.inFlightWorkflowIds(),
    probe: new TaskQueueProbe(service.taskQueueQueries(config.namespace, config.taskQueue)),
    wait: config.wait,
    embeddedWorker: config.worker || config.devServer,
    workflowType,
    outage: { limitMs: config.maxOutage * 1000, currentMs: () => health.currentOutageMs(Date.now()) },
    onEvent: (event) => {
      io.err(formatWatchEvent(event, context));
      if (event.type === 'outage-limit') scheduler.abort();
    },
  });
}

/** What the load command needs to know of its terminal. */
export interface TerminalInfo {
  stdoutIsTTY?: boolean;
  env?: Record<string, string | undefined>;
}

export async function runLoad(
  mode: RunMode,
  config: RunConfig,
  io: CliIO,
  cliLookup: CliLookup,
  signals: ShutdownSignals,
  options: TerminalInfo = {},
): Promise<number> {
  if (!config.devServer) connectionSettings(config); // unreadable TLS files are a usage error, before anything starts
  if (config.rate === 0 && !config.stages) throw new UsageError('--rate 0 makes sense only as the start of --stages');
  if (config.rate !== undefined && config.stages?.some((stage) => stage.target > MAX_RATE)) {
    throw new UsageError(`--stages: an open loop's rate must be at most ${MAX_RATE} per second`);
  }
  if (config.rate === undefined && config.stages?.some((stage) => stage.target > MAX_CONCURRENCY)) {
    throw new UsageError(`--stages: a closed loop's concurrency must be at most ${MAX_CONCURRENCY}`);
  }
  if (config.eagerStart === true && !(config.worker || config.devServer)) {
    throw new UsageError('SCHEDULER_EAGER_START=true hands workflow tasks to the embedded worker: add --worker (or --dev-server)');
  }
  if (config.eagerStart === true && connectionKindOf(config) !== 'native') {
    throw new UsageError('SCHEDULER_EAGER_START=true needs --connection native (the worker and the client share its connection)');
  }
  // Eager start was measured faster wherever it applies: on unless turned off.
  const eagerStart = config.eagerStart ?? ((config.worker || config.devServer) && connectionKindOf(config) === 'native');
  const workload = workloadOf(config);
  checkOutputs(config);
  // A shared run id (several processes, one load) gets a shard per process so the ids never collide.
  const runId = config.runId ?? newRunId();
  const shard = config.runId ? randomBytes(3).toString('hex') : undefined;
  const startedAt = new Date();
  const concurrency =
    config.concurrency ?? (config.rate !== undefined ? OPEN_LOOP_DEFAULT_CONCURRENCY : CLOSED_LOOP_DEFAULT_CONCURRENCY);
  const loadModelKind = config.rate !== undefined ? 'open' : 'closed';
  // With an output on stdout, the human lines move to stderr so stdout stays machine-readable.
  const humanIO: CliIO = usesStdout(config) ? { out: io.err, err: io.err } : io;
  const output = outputMode({
    stdoutIsTTY: !usesStdout(config) && (options.stdoutIsTTY ?? false), env: options.env ?? {}, progress: config.progress, quiet: config.quiet,
  });
  let live: LiveProgress | undefined;
  /** Where the end line and the summary go; progress lines go through `progressOut`. */
  const reportIO = humanIO;
  const progressOut = (line: string) => {
    if (output === 'quiet') return;
    if (live) live.log(line);
    else humanIO.out(line);
  };
  const ndjson = config.ndjson ? new NdjsonWriter(config.ndjson, (reason) => io.err(`sched-bench: ${reason}`)) : undefined;
  const series = new IntervalSeries();
  const serverHealth = new ServerHealth((event) => io.err(formatServerHealthEvent(event)));
  const startDelayMs = config.startDelay !== undefined ? config.startDelay * 1000 : undefined;
  /** Delay lag needs the workflow's first task, so only runs that wait for results measure it. */
  const measuresDelayLag = startDelayMs !== undefined && config.wait;
  const server = { address: config.address, namespace: config.namespace, taskQueue: config.taskQueue, version: null as string | null };
  let sdk: Record<string, string> = {};
  let devServer: DevServer | undefined;
  /** Kills a dev server that is still starting up (before `devServer` is set). */
  let killStartingDevServer: (() => void) | undefined;
  let scheduler: SchedulerService | undefined;
  let watch: RunWatch | undefined;
  let stopRequested = false;
  /** Aborted by the first signal: wakes every start (and connect) waiting to retry, so the stop is prompt. */
  const stopRetries = new AbortController();
  let workerFailed = false;
  let metricsServer: { close: () => Promise<void> } | undefined;
  let exporter: PrometheusExporter | undefined;
  if (config.metricsPort !== undefined) {
    // Before anything else touches the SDK: its runtime is created once, with the exporter or without.
    (await import('../temporal/runtime.js')).installRuntime({ prometheusAddress: `0.0.0.0:${config.metricsPort + 1}` });
  }
  // Modules a run needs only for some options are loaded only then (start-up time and memory).
  const htmlReport = config.html ? await loadHtmlReport() : undefined;
  if (!(config.worker || config.devServer)) limitHeapGrowth(); // a client-only run: keep its heap's headroom small
  /** CPU used before the scheduler starts (loading, connecting, bundling) is not the load's cost. */
  let cpuAtRunStart: NodeJS.CpuUsage | undefined;

  /** The run's metrics; empty ones for a run that never started (a forced exit during start-up). */
  const metricsOf = () => scheduler?.metrics ?? new RunMetrics();
  const thresholdsOf = (stats: RunStats) => {
    const metrics = metricsOf();
    const latency = { start: metrics.startLatency.summary(), e2e: metrics.e2eLatency.summary(), startLateness: metrics.startLateness.summary() };
    const delayLag = measuresDelayLag ? { delayLag: metrics.delayLag.summary() } : {};
    const results = evaluateThresholds(config.thresholds, {
      latency: {
        start: latency.start, e2e: latency.e2e, ...(config.rate !== undefined ? { start_lateness: latency.startLateness } : {}),
        ...(delayLag.delayLag ? { delay_lag: delayLag.delayLag } : {}),
      },
      completed: stats.measured.completed, failed: stats.measured.failed, completedPerSecond: stats.measured.completedPerSecond,
    });
    return { latency: { ...latency, ...delayLag }, results };
  };
  let terminated = 0;
  const resultOf = (
    stats: RunStats,
    exitCode: number,
    interrupted: boolean,
    thresholds: readonly ThresholdResult[],
    verification?: Verification,
  ): RunResult => {
    const metrics = metricsOf();
    return buildRunResult({
      version: VERSION, runId, command: mode === 'batch' ? 'run' : 'infinite', config: redactedConfig(mode === 'batch' ? 'run' : 'infinite', config, output),
      startedAt, endedAt: new Date(), interrupted, exitCode, server, sdk,
      loadModel: scheduler?.loadModel ?? { kind: loadModelKind, concurrency }, wait: config.wait, stats,
      histograms: {
        start: metrics.startLatency, e2e: metrics.e2eLatency, startLateness: metrics.startLateness,
        ...(measuresDelayLag ? { delayLag: metrics.delayLag } : {}),
      },
      thresholds, verification, intervals: { compactions: series.compactions, points: series.toArray() },
      client: clientCost(stats.completed, config.worker || config.devServer, cpuAtRunStart),
      serverHealth: serverHealth.snapshot(Date.now()),
      drain: {
        timeoutSeconds: config.drainTimeout ?? null, timedOut: stats.drainTimedOut, leftInFlight: stats.inFlight,
        onStop: config.onStop, terminated,
      },
    });
  };
  let lastReport: IntervalReport | undefined;
  /** The NDJSON stream's last lines: the interval no report covered, then the totals and the verdict. */
  const endNdjson = (stats: RunStats, exitCode: number, interrupted: boolean, thresholds: readonly ThresholdResult[]): void => {
    if (!ndjson || !scheduler) return; // a run that never began has nothing to end
    const metrics = metricsOf();
    const interval = config.wait ? metrics.intervalE2eLatency : metrics.intervalStartLatency;
    const last = finalInterval(lastReport, stats, { p50: interval.percentileMillis(50), p99: interval.percentileMillis(99) });
    if (last) ndjson.write(intervalRecord(runId, last));
    ndjson.write(runEndRecord({
      runId, command: mode === 'batch' ? 'run' : 'infinite', stats, interrupted, exitCode, thresholds,
      latency: { start: metrics.startLatency.summary(), e2e: metrics.e2eLatency.summary() },
    }));
  };
  /** Writes --json and --html; a failure is reported in one line and returned as false, never thrown. */
  const writeJson = (result: RunResult): boolean => {
    let written = true;
    for (const [path, write] of [
      [config.json, (file: string) => writeOutput(file, `${JSON.stringify(result, null, 2)}\n`)],
      [config.html, (file: string) => writeOutput(file, htmlReport!([result]))],
    ] as const) {
      if (!path) continue;
      try {
        write(path);
      } catch (error) {
        io.err(`sched-bench: ${(error as Error).message}`);
        written = false;
      }
    }
    return written;
  };

  const killDevServer = () => (devServer ? devServer.kill() : killStartingDevServer?.());
  // Last line of defence against an orphaned dev server, whatever path ends the process.
  process.on('exit', killDevServer);
  /** Set once the results are written: a signal during tear-down must not rewrite them as interrupted. */
  let finalExitCode: number | undefined;
  const detachSignals = signals.attach({
    graceful: () => {
      if (finalExitCode !== undefined) return; // the run is over; tear-down goes on
      stopRequested = true;
      stopRetries.abort();
      io.err(INTERRUPT_LINE);
      if (!scheduler) return; // still starting up: the run will not begin
      scheduler.stop();
      const { inFlight } = scheduler.snapshot();
      if (inFlight > 0) io.err(formatWaitingLine(inFlight));
    },
    forced: () => {
      if (finalExitCode !== undefined) {
        killDevServer();
        process.exit(finalExitCode);
      }
      live?.stop();
      const stats = scheduler?.snapshot() ?? emptyRunStats(mode, loadModelKind);
      reportIO.out(formatFinalLine(stats, true));
      const { results } = thresholdsOf(stats);
      endNdjson(stats, ExitCode.interrupted, true, results);
      writeJson(resultOf(stats, ExitCode.interrupted, true, results));
      killDevServer();
      process.exit(ExitCode.interrupted);
    },
  });

  try {
    if (config.devServer) {
      devServer = await startDevServer(cliLookup, (kill) => (killStartingDevServer = kill));
      server.address = devServer.address;
      io.err(`Dev server started at ${server.address} (pid ${devServer.pid}, ${devServer.origin})`);
    }
    const settings = settingsFor(config, devServer?.address);
    const service = await TemporalService.connect({
      ...settings, runId, idPrefix: config.idPrefix, shard, health: serverHealth, retryBudgetMs: config.retryTimeout * 1000,
      eagerStart,
      stopSignal: stopRetries.signal,
    });
    if (shard) io.err(`Shared run ${runId}: this process's workflow ids start with ${service.workflowIdPrefix()}`);
    let worker: EchoWorker | undefined;
    try {
      await service.checkNamespace(config.namespace);
      server.version = (await service.serverVersion()) ?? null;
      sdk = TemporalService.sdkVersions();
      if (config.worker || config.devServer) {
        worker = await service.createEchoWorker(config.namespace, config.taskQueue, workerTuningOf(config));
        io.err(`Embedded worker: ${formatWorkerSettings(worker.settings)}`);
        worker.start().catch((error: Error) => {
          // Nothing can finish the workflows in flight now: stop without waiting for them, and fail.
          io.err(`sched-bench: embedded worker stopped: ${firstLine(error)}`);
          workerFailed = true;
          scheduler?.abort();
        });
      }
      scheduler = new SchedulerService({
        launcher: service.launcher({ namespace: config.namespace, taskQueue: config.taskQueue, startDelayMs }),
        concurrency,
        rate: config.rate,
        stages: config.stages,
        warmup: config.warmup,
        drainTimeout: config.drainTimeout,
        drainStallTimeout: config.drainTimeout === undefined ? DRAIN_STALL_SECONDS : undefined,
        reportInterval: config.reportInterval,
        wait: config.wait,
        sink: {
          ...printingSink({ out: progressOut, err: io.err }, (report) => {
            series.add(report);
            lastReport = report;
            ndjson?.write(intervalRecord(runId, report));
          }),
          ...(config.metricsPort !== undefined
            ? {
                startLatency: (latencyMs: number) => exporter?.observeStart(latencyMs),
                e2eLatency: (latencyMs: number) => exporter?.observeE2e(latencyMs),
              }
            : {}),
        },
      });
      if (config.metricsPort !== undefined) {
        const running = scheduler;
        const { PrometheusExporter } = await import('../report/prometheus.js');
        exporter = new PrometheusExporter({
          runId, stats: () => running.snapshot(), targetRate: config.rate, concurrency, serverHealth: () => serverHealth.snapshot(Date.now()),
        });
        metricsServer = await serveMetrics(exporter, config.metricsPort);
        io.err(`Metrics: http://0.0.0.0:${config.metricsPort}/metrics (SDK metrics: port ${config.metricsPort + 1})`);
      }
      progressOut(
        formatStartLine({
          mode, runId, address: server.address, namespace: config.namespace, taskQueue: config.taskQueue,
          concurrency, reportInterval: config.reportInterval, wait: config.wait,
          totalWorkflows: config.totalWorkflows, maxRuntime: config.maxRuntime, rate: config.rate, stages: config.stages,
          duration: config.duration, startDelay: config.startDelay, warmup: config.warmup,
        }),
      );
      if (stopRequested) scheduler.stop(); // a signal arrived during start-up
      if (workerFailed) scheduler.abort();
      cpuAtRunStart = process.cpuUsage();
      if (output === 'live') live = new (await import('./live-progress.js')).LiveProgress(liveStatusReader(scheduler, config, () => series.lastP99()));
      watch = runWatchOf(scheduler, service, serverHealth, config, server.address, io);
      watch.start();
      const stats =
        mode === 'batch'
          ? await scheduler.run({ totalWorkflows: config.totalWorkflows, workload, duration: config.duration })
          : await scheduler.runInfinite({ workload, duration: config.duration, maxRuntime: config.maxRuntime });
      live?.stop();
      live = undefined;
      watch.stop();
      if (stats.drainTimedOut && stats.inFlight > 0) {
        const ids = scheduler.inFlightWorkflowIds();
        if (config.onStop === 'terminate') terminated = await terminateAll(service, config.namespace, ids);
        const stallMs = scheduler.drainStallLimitMs();
        io.err(
          (config.drainTimeout !== undefined || stallMs === undefined
            ? `Drain timed out after ${config.drainTimeout}s`
            : `Drain gave up: no workflow finished for ${stallMs / 1000}s`) +
            `: ${stats.inFlight} workflows still running` +
            (config.onStop === 'terminate' ? `, ${terminated} terminated` : ', left running (--on-stop leave)'),
        );
      }
      reportIO.out(formatFinalLine(stats, stats.stopReason === 'stopped'));
      const failures = formatFailuresLine(stats);
      if (failures) io.err(failures);

      const { latency, results: thresholds } = thresholdsOf(stats);
      reportIO.out(
        formatSummary({
          stats, latency, wait: config.wait, thresholds, serverHealth: serverHealth.snapshot(Date.now()),
          client: clientCost(stats.completed, config.worker || config.devServer, cpuAtRunStart),
        }),
      );
      const verification = config.verify ? await verifyRun(service, config.namespace, stats, config.wait) : undefined;
      if (verification) reportIO.out(formatVerification(runId, verification));
      const verdict = exitCodeFor(stats, {
        thresholdsGiven: thresholds.length > 0,
        thresholdsPassed: thresholds.every((result) => result.passed),
        verificationFailed: verification ? !verification.matches : false,
      });
      // Results that could not be saved make an otherwise good run fail; a worse code stays.
      const interrupted = stats.stopReason === 'stopped';
      let exitCode = exitCodeAfterLostOutput(verdict, ndjson?.lost ?? false);
      endNdjson(stats, exitCode, interrupted, thresholds);
      exitCode = exitCodeAfterLostOutput(exitCode, ndjson?.lost ?? false);
      const written = writeJson(resultOf(stats, exitCode, interrupted, thresholds, verification));
      finalExitCode = exitCodeAfterLostOutput(exitCode, !written);
      return finalExitCode;
    } finally {
      await worker?.shutdown();
      await service.close();
    }
  } finally {
    live?.stop();
    watch?.stop();
    await metricsServer?.close();
    detachSignals();
    ndjson?.close();
    await devServer?.stop();
    process.off('exit', killDevServer);
  }
}
