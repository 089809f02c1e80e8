import type { FailureKind } from '../errors.js';
import {
  formatDrainCutShort,
  formatFailuresLine,
  formatFinalLine,
  formatIntervalLine,
  formatServerHealthEvent,
  formatSessionEvent,
  formatStartLine,
  formatWaitingLine,
  INTERRUPT_LINE,
} from '../report/lines.js';
import { buildRunResult, intervalRecord, runEndRecord, type RunResult } from '../report/result.js';
import { formatSummary, formatVerification } from '../report/summary.js';
import { formatWatchEvent } from '../report/watch-lines.js';
import type { RunMode } from '../scheduler/types.js';
import type { CliLookup } from '../temporal/dev-server.js';
import { workflowTypesOf } from '../workloads/workload.js';
import { startLoad, type LoadEvent, type LoadResult } from '../run/load-run.js';
import type { LoadSpec } from '../run/load-spec.js';
import { VERSION } from '../version.js';
import { exitCodeOf, type Outcome } from './exit-codes.js';
import { tuneClientOnlyLoad } from './v8-tuning.js';
import type { CliIO } from './io.js';
import type { LiveProgress } from './live-progress.js';
import { specsFor, type CommandName, type RunConfig } from './options.js';
import { checkOutputs, NdjsonWriter, usesStdout, writeOutput } from './outputs.js';
import { loadSpecOf } from './run-specs.js';
import type { ShutdownSignals } from './signals.js';
import { outputMode, type OutputMode } from './terminal.js';

/** A secret as the JSON result shows it: `[redacted]` if given; of key=value pairs, the keys (names, not secrets). */
function redactedSecret(value: unknown): unknown {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    return Object.fromEntries(Object.keys(value).map((key) => [key, '[redacted]']));
  }
  return '[redacted]';
}

/** The options held parsed (thresholds, capacity's SLO and --expect), shown as the text they were given as. */
const EXPRESSIONS: ReadonlySet<keyof RunConfig> = new Set<keyof RunConfig>(['thresholds', 'slo', 'expect']);

function asExpressions(value: unknown): unknown {
  return Array.isArray(value) ? value.map((item: { expression: string }) => item.expression) : (value as { expression: string }).expression;
}

/**
 * The configuration as the JSON result shows it: secrets redacted (only those given), thresholds (and
 * capacity's SLO and --expect) as their text, and `progress` as the run had it (false when stdout was
 * piped, in CI, or with --quiet).
 */
export function redactedConfig(command: CommandName, config: RunConfig, output?: OutputMode): Record<string, unknown> {
  const shown: Record<string, unknown> = {};
  for (const spec of specsFor(command)) {
    const value = config[spec.key] ?? spec.appliedDefault;
    if (value === undefined) continue;
    // PEM text given inline (TEMPORAL_TLS_*_DATA) may be a private key: show where it came from, not what.
    const inlinePem = typeof value === 'object' && value !== null && 'data' in value;
    shown[spec.key] = spec.secret ? redactedSecret(value) : inlinePem ? { data: '[redacted]' } : EXPRESSIONS.has(spec.key) ? asExpressions(value) : value;
  }
  if ('progress' in shown && output !== undefined) shown.progress = output === 'live';
  return shown;
}

/** The HTML report's renderer with its chart assets, loaded when --html asks for it. */
export async function loadHtmlReport(): Promise<(results: RunResult[]) => string> {
  const [{ renderHtmlReport }, { chartAssets }] = await Promise.all([import('../report/html.js'), import('./report-command.js')]);
  return (results) => renderHtmlReport(results, chartAssets());
}

/**
 * A run's --json and --html files (either may be stdout); each failure told in one line. Returns whether
 * one could not be written (which makes a good run fail).
 */
export function writeResultFiles(
  document: RunResult, config: Pick<RunConfig, 'json' | 'html'>, htmlReport: ((results: RunResult[]) => string) | undefined, io: CliIO,
): boolean {
  let lost = false;
  const files = [[config.json, () => `${JSON.stringify(document, null, 2)}\n`], [config.html, () => htmlReport!([document])]] as const;
  for (const [path, content] of files) {
    if (!path) continue;
    try {
      writeOutput(path, content());
    } catch (error) {
      io.err(`sched-bench: ${(error as Error).message}`);
      lost = true;
    }
  }
  return lost;
}

/** What the load command needs to know of its terminal. */
export interface TerminalInfo {
  stdoutIsTTY?: boolean;
  env?: Record<string, string | undefined>;
}

/** Where a load run's lines go: progress through the live line (or plain), the rest to stderr / the report stream. */
interface LoadPrinter {
  onEvent(event: LoadEvent): void;
  /** Set once the load began (the first progress line was printed). */
  readonly began: boolean;
  stopLive(): void;
}

function loadPrinter(
  spec: LoadSpec, config: RunConfig, io: CliIO, humanIO: CliIO, runId: string, live: (() => LiveProgress) | undefined, output: OutputMode,
  ndjson: NdjsonWriter | undefined,
): LoadPrinter {
  let progress: LiveProgress | undefined;
  let began = false;
  const progressOut = (line: string) => {
    if (output === 'quiet') return;
    if (progress) progress.log(line);
    else humanIO.out(line);
  };
  const reportedKinds = new Set<FailureKind>();
  const printer: LoadPrinter = {
    get began() {
      return began;
    },
    stopLive: () => {
      progress?.stop();
      progress = undefined;
    },
    onEvent: (event) => {
      switch (event.type) {
        case 'load-started':
          began = true;
          progressOut(formatStartLine({
            mode: spec.mode, runId: event.runId, address: event.address, namespace: spec.namespace, taskQueue: spec.taskQueue,
            concurrency: spec.loadModel.concurrency, reportInterval: spec.reportInterval, wait: spec.wait, totalWorkflows: spec.totalWorkflows,
            maxRuntime: spec.maxRuntime, rate: spec.loadModel.rate, stages: spec.loadModel.stages, duration: spec.duration,
            startDelay: config.startDelay, warmup: spec.warmup,
          }));
          progress = live?.();
          return;
        case 'interval':
          progressOut(formatIntervalLine(event.report));
          ndjson?.write(intervalRecord(runId, event.report));
          return;
        case 'failure':
          if (reportedKinds.has(event.kind)) return;
          reportedKinds.add(event.kind); // the first failure of each kind: its cause is visible once
          io.err(`First ${event.kind} failure: ${event.error instanceof Error ? event.error.message : String(event.error)}`);
          return;
        case 'server-health':
          return io.err(formatServerHealthEvent(event.event));
        case 'watch':
          return io.err(formatWatchEvent(event.event, {
            address: event.address, namespace: spec.namespace, taskQueue: spec.taskQueue,
            workflowTypes: workflowTypesOf(spec.workload), builtIn: spec.workload.kind !== 'custom',
          }));
        case 'load-ended':
          return printer.stopLive(); // what follows (terminating leftovers, --verify, the tear-down) is no progress
        case 'drain-cut-short':
          return io.err(formatDrainCutShort(event));
        case 'stranded-terminated':
          return io.err(
            `${event.stranded} workflow${event.stranded === 1 ? '' : 's'} would have waited for ever after a failed operation (counted as failed): ` +
              `terminated ${event.terminated}${event.terminated < event.stranded ? `, ${event.stranded - event.terminated} could not be` : ''}`,
          );
        case 'shared-run':
          return io.err(`Shared run ${event.runId}: this process's workflow ids start with ${event.workflowIdPrefix}`);
        default:
          return io.err(formatSessionEvent(event));
      }
    },
  };
  return printer;
}

/** `sched-bench run` and `sched-bench infinite`: resolve → run → print → exit code. */
export async function runLoad(
  mode: RunMode,
  config: RunConfig,
  io: CliIO,
  cliLookup: CliLookup,
  signals: ShutdownSignals,
  options: TerminalInfo = {},
): Promise<number> {
  const spec = loadSpecOf(mode, config, cliLookup);
  checkOutputs(config);
  const command: 'run' | 'infinite' = mode === 'batch' ? 'run' : 'infinite';
  // With an output on stdout, the human lines move to stderr so stdout stays machine-readable.
  const humanIO: CliIO = usesStdout(config) ? { out: io.err, err: io.err } : io;
  const output = outputMode({
    stdoutIsTTY: !usesStdout(config) && (options.stdoutIsTTY ?? false), env: options.env ?? {}, progress: config.progress, quiet: config.quiet,
  });
  // Modules a run needs only for some options are loaded only then (start-up time and memory).
  const htmlReport = config.html ? await loadHtmlReport() : undefined;
  const LiveProgressClass = output === 'live' ? (await import('./live-progress.js')).LiveProgress : undefined;
  if (!spec.worker) tuneClientOnlyLoad();
  const ndjson = config.ndjson ? new NdjsonWriter(config.ndjson, (reason) => io.err(`sched-bench: ${reason}`)) : undefined;
  let printer: LoadPrinter | undefined;
  const run = startLoad(spec, (event) => printer?.onEvent(event));
  printer = loadPrinter(spec, config, io, humanIO, run.runId, LiveProgressClass && (() => new LiveProgressClass(run.liveStatusReader())), output, ndjson);
  const loadPrinted = printer;

  /** Prints the end of a run and writes its outputs; returns the exit code (`forced`: 130 whatever the verdict). */
  const finish = (result: LoadResult, forced: boolean): number => {
    loadPrinted.stopLive();
    humanIO.out(formatFinalLine(result.stats, result.interrupted));
    const outputs = { htmlReport, began: loadPrinted.began, config, ndjson, io, command, output };
    if (forced) return writeOutputs(result, { kind: 'forced' }, outputs);
    const failures = formatFailuresLine(result.stats);
    if (failures) io.err(failures);
    humanIO.out(formatSummary({
      stats: result.stats, latency: result.latency, wait: spec.wait, thresholds: result.thresholds, serverHealth: result.serverHealth, client: result.client,
      operations: result.operations, historyReads: result.historyReads,
    }));
    if (result.verification) humanIO.out(formatVerification(result.runId, result.verification));
    const { stats, thresholds, verification } = result;
    return writeOutputs(result, { kind: 'load', stats, thresholds, verification }, outputs);
  };

  const killNow = () => run.killNow();
  // Last line of defence against an orphaned dev server, whatever path ends the process.
  process.on('exit', killNow);
  /** Set once the results are written: a signal during tear-down must not rewrite them as interrupted. */
  let finalExitCode: number | undefined;
  const detachSignals = signals.attach({
    graceful: () => {
      if (finalExitCode !== undefined) return; // the run is over; tear-down goes on
      io.err(INTERRUPT_LINE);
      const inFlight = run.stop();
      if (inFlight !== undefined && inFlight > 0) io.err(formatWaitingLine(inFlight));
    },
    forced: () => {
      if (finalExitCode === undefined) finalExitCode = finish(run.resultNow(), true);
      run.killNow();
      process.exit(finalExitCode);
    },
  });
  try {
    // The end is printed and written as soon as it is known; the tear-down (worker, connection, dev server) follows.
    finalExitCode = finish(await run.ended, false);
    await run.result;
    return finalExitCode;
  } finally {
    printer.stopLive();
    detachSignals();
    ndjson?.close();
    process.off('exit', killNow);
  }
}

/** Where a load run's results go. */
interface LoadOutputs {
  htmlReport: ((results: RunResult[]) => string) | undefined;
  /** The load began: the NDJSON stream has something to end. */
  began: boolean;
  config: RunConfig;
  ndjson: NdjsonWriter | undefined;
  io: CliIO;
  command: 'run' | 'infinite';
  output: OutputMode;
}

/**
 * The NDJSON stream's last lines (the interval no report covered, then the totals and the verdict),
 * then --json and --html. A failure is told in one line and makes a good run fail; returns the exit code.
 */
function writeOutputs(result: LoadResult, outcome: Outcome, outputs: LoadOutputs): number {
  const { ndjson, config, command, io } = outputs;
  let outputLost = ndjson?.lost ?? false;
  const exitCode = () => exitCodeOf({ ...outcome, outputLost });
  if (ndjson && outputs.began) {
    if (result.finalInterval) ndjson.write(intervalRecord(result.runId, result.finalInterval));
    ndjson.write(runEndRecord({
      runId: result.runId, command, stats: result.stats, interrupted: result.interrupted, exitCode: exitCode(), thresholds: result.thresholds,
      latency: { start: result.latency.start, e2e: result.latency.e2e }, operations: result.operations, historyReads: result.historyReads,
    }));
    outputLost = ndjson.lost;
  }
  // Built only when written: encoding the histograms loads the histogram library's codec (~0.1 s of CPU).
  if (config.json || config.html) {
    const document = buildRunResult({ ...result, version: VERSION, command, config: redactedConfig(command, config, outputs.output), exitCode: exitCode() });
    if (writeResultFiles(document, config, outputs.htmlReport, io)) outputLost = true;
  }
  return exitCode();
}
