import { randomBytes } from 'node:crypto';
import pLimit from 'p-limit';
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
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
import { buildRunResult, intervalRecord, type ClientCost, type RunResult } from '../report/result.js';
import { formatSummary, formatVerification } from '../report/summary.js';
import { emptyRunStats, SchedulerService } from '../scheduler/scheduler-service.js';
import type { RunMode, RunStats, SchedulerSink } from '../scheduler/types.js';
import { startDevServer, type CliLookup, type DevServer } from '../temporal/dev-server.js';
import type { EchoWorker } from '../temporal/echo-worker.js';
import { newRunId, TemporalService } from '../temporal/temporal-service.js';
import { VERSION } from '../version.js';
import { ExitCode, exitCodeFor } from './exit-codes.js';
import type { CliIO } from './io.js';
import {
  CLOSED_LOOP_DEFAULT_CONCURRENCY,
  OPEN_LOOP_DEFAULT_CONCURRENCY,
  specsFor,
  type CommandName,
  type RunConfig,
} from './options.js';
import { NdjsonWriter, writeFileAtomic } from './outputs.js';
import type { ShutdownSignals } from './signals.js';
import { connectionSettings, settingsFor } from './connection.js';
import { workloadOf } from './workload.js';
import { LiveProgress } from './live-progress.js';
import { serveMetrics } from './metrics-server.js';
import { writeHtmlReport } from './report-command.js';
import { PrometheusExporter } from '../report/prometheus.js';
import { installRuntime } from '../temporal/runtime.js';
import { outputMode } from './terminal.js';
import type { LiveStatus } from '../report/progress.js';
import { formatWorkerSettings, workerTuningOf } from './worker-tuning.js';

/** How long --verify waits for visibility to catch up with the tool's counts. */
const VERIFY_TIMEOUT_MS = 15_000;

/** The configuration as the JSON result shows it: secrets redacted, thresholds as their text. */
export function redactedConfig(command: CommandName, config: RunConfig): Record<string, unknown> {
  const shown: Record<string, unknown> = {};
  for (const spec of specsFor(command)) {
    const value = config[spec.key];
    if (value === undefined) continue;
    // PEM text given inline (TEMPORAL_TLS_*_DATA) may be a private key: show where it came from, not what.
    const inlinePem = typeof value === 'object' && value !== null && 'data' in value;
    shown[spec.key] = spec.secret ? '[redacted]' : inlinePem ? { data: '[redacted]' } : value;
  }
  shown.thresholds = config.thresholds.map((threshold) => threshold.expression);
  return shown;
}

/** Prints interval lines, and the first failure of each kind so the cause is visible once. */
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

function checkWritable(path: string, option: string): void {
  if (existsSync(path) && statSync(path).isDirectory()) throw new UsageError(`cannot write ${option} ${path}: it is a directory`);
  try {
    accessSync(dirname(resolve(path)), constants.W_OK);
  } catch {
    throw new UsageError(`cannot write ${option} ${path}: its directory does not exist or is not writable`);
  }
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
  if (config.eagerStart === true && !(config.worker || config.devServer)) {
    throw new UsageError('SCHEDULER_EAGER_START=true hands workflow tasks to the embedded worker: add --worker (or --dev-server)');
  }
  if (config.eagerStart === true && config.connection !== 'native') {
    throw new UsageError('SCHEDULER_EAGER_START=true needs --connection native (the worker and the client share its connection)');
  }
  // Eager start was measured faster wherever it applies: on unless turned off.
  const eagerStart = config.eagerStart ?? ((config.worker || config.devServer) && config.connection === 'native');
  const workload = workloadOf(config);
  if (config.json) checkWritable(config.json, '--json');
  if (config.html) checkWritable(config.html, '--html');
  if (config.ndjson && config.ndjson !== '-') checkWritable(config.ndjson, '--ndjson');
  // A shared run id (several processes, one load) gets a shard per process so the ids never collide.
  const runId = config.runId ?? newRunId();
  const shard = config.runId ? randomBytes(3).toString('hex') : undefined;
  const startedAt = new Date();
  const concurrency =
    config.concurrency ?? (config.rate !== undefined ? OPEN_LOOP_DEFAULT_CONCURRENCY : CLOSED_LOOP_DEFAULT_CONCURRENCY);
  const loadModelKind = config.rate !== undefined ? 'open' : 'closed';
  // With NDJSON on stdout, the human lines move to stderr so stdout stays machine-readable.
  const humanIO: CliIO = config.ndjson === '-' ? { out: io.err, err: io.err } : io;
  const output = outputMode({
    stdoutIsTTY: config.ndjson !== '-' && (options.stdoutIsTTY ?? false), env: options.env ?? {}, progress: config.progress, quiet: config.quiet,
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
  let stopRequested = false;
  /** Aborted by the first signal: wakes every start (and connect) waiting to retry, so the stop is prompt. */
  const stopRetries = new AbortController();
  let workerFailed = false;
  let metricsServer: { close: () => Promise<void> } | undefined;
  let exporter: PrometheusExporter | undefined;
  if (config.metricsPort !== undefined) {
    // Before anything else touches the SDK: its runtime is created once, with the exporter or without.
    installRuntime({ prometheusAddress: `0.0.0.0:${config.metricsPort + 1}` });
  }
  /** CPU used before the scheduler starts (loading, connecting, bundling) is not the load's cost. */
  let cpuAtRunStart: NodeJS.CpuUsage | undefined;

  /** The run's metrics; empty ones for a run that never started (a forced exit during start-up). */
  const metricsOf = () => scheduler?.metrics ?? new RunMetrics();
  const thresholdsOf = (stats: RunStats) => {
    const metrics = metricsOf();
    const latency = { start: metrics.startLatency.summary(), e2e: metrics.e2eLatency.summary(), startLateness: metrics.startLateness.summary() };
    const delayLag = measuresDelayLag ? { delayLag: metrics.delayLag.summary() } : {};
    const results = evaluateThresholds(config.thresholds, {
      latency: { ...latency, ...(delayLag.delayLag ? { delay_lag: delayLag.delayLag } : {}) }, completed: stats.measured.completed, failed: stats.measured.failed, completedPerSecond: stats.measured.completedPerSecond,
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
      version: VERSION, runId, command: mode === 'batch' ? 'run' : 'infinite', config: redactedConfig(mode === 'batch' ? 'run' : 'infinite', config),
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
  /** Writes --json and --html; a failure is reported in one line and returned as false, never thrown. */
  const writeJson = (result: RunResult): boolean => {
    let written = true;
    for (const [path, write] of [
      [config.json, (file: string) => writeFileAtomic(file, `${JSON.stringify(result, null, 2)}\n`)],
      [config.html, (file: string) => writeHtmlReport(file, [result])],
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
  const detachSignals = signals.attach({
    graceful: () => {
      stopRequested = true;
      stopRetries.abort();
      io.err(INTERRUPT_LINE);
      if (!scheduler) return; // still starting up: the run will not begin
      scheduler.stop();
      const { inFlight } = scheduler.snapshot();
      if (inFlight > 0) io.err(formatWaitingLine(inFlight));
    },
    forced: () => {
      live?.stop();
      const stats = scheduler?.snapshot() ?? emptyRunStats(mode, loadModelKind);
      reportIO.out(formatFinalLine(stats, true));
      writeJson(resultOf(stats, ExitCode.interrupted, true, thresholdsOf(stats).results));
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
      startDelayMs,
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
        temporalService: service,
        taskQueue: config.taskQueue,
        namespace: config.namespace,
        concurrency,
        rate: config.rate,
        stages: config.stages,
        warmup: config.warmup,
        drainTimeout: config.drainTimeout,
        reportInterval: config.reportInterval,
        wait: config.wait,
        startDelayMs,
        sink: {
          ...printingSink({ out: progressOut, err: io.err }, (report) => {
            series.add(report);
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
          totalWorkflows: config.totalWorkflows, maxRuntime: config.maxRuntime,
        }),
      );
      if (stopRequested) scheduler.stop(); // a signal arrived during start-up
      if (workerFailed) scheduler.abort();
      cpuAtRunStart = process.cpuUsage();
      if (output === 'live') live = new LiveProgress(liveStatusReader(scheduler, config, () => series.lastP99()));
      const stats =
        mode === 'batch'
          ? await scheduler.run({ totalWorkflows: config.totalWorkflows, workload, duration: config.duration })
          : await scheduler.runInfinite({ workload, duration: config.duration, maxRuntime: config.maxRuntime });
      live?.stop();
      live = undefined;
      if (stats.drainTimedOut && stats.inFlight > 0) {
        const ids = scheduler.inFlightWorkflowIds();
        if (config.onStop === 'terminate') terminated = await terminateAll(service, config.namespace, ids);
        io.err(
          `Drain timed out after ${config.drainTimeout}s: ${stats.inFlight} workflows still running` +
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
      const exitCode = exitCodeFor(stats, {
        thresholdsGiven: thresholds.length > 0,
        thresholdsPassed: thresholds.every((result) => result.passed),
        verificationFailed: verification ? !verification.matches : false,
      });
      const written = writeJson(resultOf(stats, exitCode, stats.stopReason === 'stopped', thresholds, verification));
      // Results that could not be saved make an otherwise good run fail; a worse code stays.
      return written || exitCode !== ExitCode.ok ? exitCode : ExitCode.failure;
    } finally {
      await worker?.shutdown();
      await service.close();
    }
  } finally {
    live?.stop();
    await metricsServer?.close();
    detachSignals();
    ndjson?.close();
    await devServer?.stop();
    process.off('exit', killDevServer);
  }
}
