import { answerOf } from '../capacity/answer.js';
import { judgeExpectation, type Expectation } from '../capacity/expectation.js';
import { resolveCapacitySettings } from '../capacity/search.js';
import type { CapacityResult, CapacitySettings, CapacityStep } from '../capacity/types.js';
import { firstLine } from '../errors.js';
import type { ServerHealthSnapshot } from '../metrics/server-health.js';
import { formatAgent, formatAgentsReady, formatAgentsWaiting, formatControlConnected } from '../report/agents-lines.js';
import { formatCapacitySummary, formatExpectationLine, formatStepLine, latencyGroupsOf } from '../report/capacity.js';
import { buildCapacityResult, capacityEndRecord, capacityStepRecord } from '../report/capacity-result.js';
import { formatSeconds, formatServerHealthEvent, formatSessionEvent } from '../report/lines.js';
import { formatNumber } from '../report/units.js';
import { runCapacity, type CapacityEvent, type CapacityRunHandle, type CapacityRunResult, type CapacitySpec } from '../run/capacity-run.js';
import type { DistributedEvent } from '../run/distributed-run.js';
import type { CoordinatorResult } from '../../workflows/coordinator-types.js';
import type { CliLookup } from '../temporal/dev-server.js';
import { newRunId } from '../temporal/temporal-service.js';
import { exitCodeOf, type Outcome } from './exit-codes.js';
import { exitAfterCancel } from './forced-exit.js';
import { tuneClientOnlyLoad } from './v8-tuning.js';
import type { CliIO } from './io.js';
import type { RunConfig } from './options.js';
import { checkOutputs, NdjsonWriter, usesStdout, writeOutput } from './outputs.js';
import { writeHtmlReport } from './report-command.js';
import { redactedConfig } from './run-command.js';
import { capacitySpecOf } from './run-specs.js';
import type { ShutdownSignals } from './signals.js';

/**
 * `sched-bench capacity`: resolve → search (the run library's runCapacity) → the table, the answer,
 * --expect's verdict → JSON / NDJSON / HTML (the knee chart) → exit code. The first signal cuts the current step short and
 * ends the search with what it found; a second one writes that at once and leaves.
 */

/**
 * The search cannot tell this process's own limit from the cluster's when the worker shares its CPU: a
 * saturated process slows the workflows it runs without delaying the starts it sends.
 */
const EMBEDDED_WORKER_NOTE =
  'sched-bench: the worker runs inside this process (--worker/--dev-server), so the rate found may be this process\'s own limit; ' +
  'for the cluster\'s, run `sched-bench worker` separately (README "Finding capacity")';

const INTERRUPT_LINE = 'Received interrupt signal, stopping the search: the current step is cut short...';

/** What the command knows of the search as it goes: enough for a forced exit to report what was found. */
interface SearchSoFar {
  runId: string;
  startedAt: Date;
  address: string;
  steps: CapacityStep[];
  handle: CapacityRunHandle | undefined;
}

interface CapacityOutputs {
  config: RunConfig;
  spec: CapacitySpec;
  io: CliIO;
  ndjson: NdjsonWriter | undefined;
}

export async function runCapacityCommand(config: RunConfig, givenIO: CliIO, cliLookup: CliLookup, signals: ShutdownSignals): Promise<number> {
  const given = capacitySpecOf(config, cliLookup);
  checkOutputs(config);
  // With an output on stdout, the human lines move to stderr so stdout stays machine-readable.
  const io: CliIO = usesStdout(config) ? { out: givenIO.err, err: givenIO.err } : givenIO;
  const runId = given.runId ?? newRunId();
  const spec: CapacitySpec = { ...given, runId };
  const settings = resolveCapacitySettings(spec.search);
  if (!spec.worker) tuneClientOnlyLoad();
  else io.err(EMBEDDED_WORKER_NOTE);
  const ndjson = config.ndjson ? new NdjsonWriter(config.ndjson, (reason) => io.err(`sched-bench: ${reason}`)) : undefined;
  const soFar: SearchSoFar = { runId, startedAt: new Date(), address: spec.connection.address, steps: [], handle: undefined };
  const outputs: CapacityOutputs = { config, spec, io, ndjson };
  const stopSearch = new AbortController();
  // Last line of defence against an orphaned dev server, whatever path ends the process.
  const killNow = () => soFar.handle?.killNow();
  process.on('exit', killNow);
  /** Set once the end is printed and written: a signal then changes nothing. */
  let finalExitCode: number | undefined;
  const detachSignals = signals.attach({
    graceful: () => {
      if (finalExitCode !== undefined || stopSearch.signal.aborted) return;
      io.err(INTERRUPT_LINE);
      stopSearch.abort();
    },
    forced: () => {
      finalExitCode ??= printEnd(resultSoFar(soFar, settings, spec), true, outputs);
      killNow();
      const cancelAgents = soFar.handle?.cancelAgentsNow;
      if (!cancelAgents) return process.exit(finalExitCode);
      io.err('Forced exit: the current step\'s coordinator is cancelled; the agents stop without reporting here');
      exitAfterCancel(cancelAgents, finalExitCode);
    },
  });
  try {
    const result = await runCapacity(spec, {
      signal: stopSearch.signal,
      onEvent: printerOf(outputs, settings, soFar),
      onHandle: (handle) => (soFar.handle = handle),
    });
    finalExitCode = printEnd(result, false, outputs);
    return finalExitCode;
  } finally {
    detachSignals();
    ndjson?.close();
    process.off('exit', killNow);
  }
}

/** The search's start line, as the other commands' "Starting …" lines. */
function startLine(spec: CapacitySpec, config: RunConfig, settings: CapacitySettings, address: string, runId: string): string {
  const workload = config.workflowType ?? (config.workload === 'mix' ? `mix(${(config.mix ?? []).map((part) => `${part.name}=${part.weight}`).join(',')})` : config.workload);
  const tokens = [
    `slo=${settings.slo.map((threshold) => threshold.expression).join(',')}`,
    `startRate=${formatNumber(settings.startRate)}`,
    `growth=${settings.growthFactor}`,
    `stepDuration=${formatSeconds(settings.stepDurationMs / 1000)}`,
    ...(settings.warmupMs > 0 ? [`stepWarmup=${formatSeconds(settings.warmupMs / 1000)}`] : []),
    `precision=${Number((settings.precision * 100).toFixed(4))}%`,
    `maxRate=${formatNumber(settings.maxRate)}`,
    ...(settings.maxDurationMs !== undefined ? [`maxDuration=${formatSeconds(settings.maxDurationMs / 1000)}`] : []),
    `maxInFlight=${spec.maxInFlight}`,
    ...(spec.agents ? [`agents=${spec.agents.agents}`, `controlTaskQueue=${spec.agents.control.taskQueue}`] : []),
    `workload=${workload}`,
    `taskQueue=${spec.taskQueue}`,
    `namespace=${spec.namespace}`,
    `address=${address}`,
    `runId=${runId}`,
  ];
  return `Starting capacity search: ${tokens.join(' ')}`;
}

/** The lines of a search as it goes: a line as each step starts and as it is judged (not with --quiet), its NDJSON record. */
function printerOf({ config, spec, io, ndjson }: CapacityOutputs, settings: CapacitySettings, soFar: SearchSoFar): (event: CapacityEvent) => void {
  const groups = latencyGroupsOf({ settings });
  const progress = (line: string) => (config.quiet ? undefined : io.out(line));
  return (event) => {
    switch (event.type) {
      case 'capacity-started':
        soFar.address = event.address;
        return progress(startLine(spec, config, settings, event.address, event.runId));
      case 'step-started': {
        const warmup = settings.warmupMs > 0 ? ` after a ${formatSeconds(settings.warmupMs / 1000)} warm-up` : '';
        return progress(`Step ${event.index + 1} (${event.phase}): ${formatNumber(event.rate)} wf/s for ${formatSeconds(settings.stepDurationMs / 1000)}${warmup}...`);
      }
      case 'step':
        soFar.steps.push(event.step);
        progress(formatStepLine(event.step, groups));
        return ndjson?.write(capacityStepRecord(soFar.runId, event.step));
      case 'server-health':
        return io.err(formatServerHealthEvent(event.event));
      case 'agents': {
        const line = agentsLine(event.event, event.step, config);
        return line === undefined ? undefined : io.err(line);
      }
      case 'dev-server-started':
        soFar.address = event.address;
        return io.err(formatSessionEvent(event));
      default:
        return io.err(formatSessionEvent(event));
    }
  };
}

/** A line for what the agents do: their wait before the search, each step's coordinator, a lost agent; undefined: nothing to tell. */
function agentsLine(event: DistributedEvent, step: number | undefined, config: RunConfig): string | undefined {
  switch (event.type) {
    case 'control-connected':
      return step === undefined ? formatControlConnected(event) : undefined;
    case 'agents-waiting':
      return formatAgentsWaiting(event, config.agentWait);
    case 'agents-ready':
      return step === undefined ? formatAgentsReady(event) : undefined;
    case 'coordinator-started':
      return `Step ${step}: coordinator ${event.workflowId}, ${event.slices.length} slices (shards ${event.slices.map((slice) => slice.shard).join(', ')})`;
    case 'progress-unavailable':
      return `Step ${step}: the agents' progress could not be read: ${event.reason}`;
    case 'stop-failed':
      return `Step ${step}: the stop could not be sent to the agents: ${event.reason}`;
    case 'coordinator-abandoned':
      return `Step ${step}: ${event.reason}; the coordinator is terminated`;
    case 'coordinator-ended':
      // A lost agent ends the step with an error naming it; named here too, as the step ends.
      return lostAgentLines(event.result, step);
    case 'interval':
      return undefined;
    default:
      return unknownAgentsEvent(event);
  }
}

/** One line per agent lost during the step: `Step N: lost agent <name> (slice i, shard s): <reason>`; undefined: none. */
export function lostAgentLines(result: CoordinatorResult, step: number | undefined): string | undefined {
  const lines = result.outcomes.flatMap((outcome) => outcome.status === 'lost'
    ? [`Step ${step}: lost ${formatAgent(outcome.agent)} (slice ${outcome.index}, shard ${outcome.shard}): ${outcome.reason}`]
    : []);
  return lines.length > 0 ? lines.join('\n') : undefined;
}

/** A DistributedEvent without its case above fails to compile here. */
function unknownAgentsEvent(event: never): never {
  throw new Error(`unknown distributed event ${JSON.stringify(event)}`);
}

const NO_SERVER_HEALTH: ServerHealthSnapshot = { throttledAttempts: 0, unavailableAttempts: 0, outages: [], unavailableMs: 0 };

/** A forced exit's result: the steps judged so far, and what they tell. */
function resultSoFar(soFar: SearchSoFar, settings: CapacitySettings, spec: CapacitySpec): CapacityRunResult {
  const endedAt = new Date();
  return {
    settings, steps: [...soFar.steps], answer: answerOf(soFar.steps, settings.precision), stopReason: 'interrupted',
    elapsedMs: endedAt.getTime() - soFar.startedAt.getTime(), runId: soFar.runId, startedAt: soFar.startedAt, endedAt,
    server: { address: soFar.address, namespace: spec.namespace, taskQueue: spec.taskQueue, version: null },
    serverHealth: soFar.handle?.serverHealthNow() ?? NO_SERVER_HEALTH,
  };
}

/**
 * Why a search's answer cannot be held against --expect: it did not end on its own terms, or the client
 * was the limit (its rates measure sched-bench, not the server). undefined: it can.
 */
function whyNotJudged(result: Pick<CapacityResult, 'stopReason' | 'answer'>): string | undefined {
  if (result.stopReason === 'client-limited' || result.answer.kind === 'client-limited') return 'the search was client-limited';
  if (result.stopReason === 'error') return 'the search stopped on an error';
  if (result.stopReason === 'interrupted') return 'the search was interrupted';
  return undefined;
}

/**
 * --expect's verdict on a search: met only by a search that ended on its own terms and whose capacity
 * meets it; `notJudged` says why a search's answer could not be held against it.
 */
export function capacityExpectation(expect: Expectation, result: Pick<CapacityResult, 'stopReason' | 'answer'>): { expression: string; met: boolean; notJudged?: string } {
  const searchNotJudged = whyNotJudged(result);
  const judged = searchNotJudged === undefined ? judgeExpectation(expect, result.answer) : { met: false };
  const notJudged = searchNotJudged ?? judged.notJudged;
  return { expression: expect.expression, met: judged.met, ...(notJudged ? { notJudged } : {}) };
}

/**
 * The end: the table and the answer line, --expect's verdict, the NDJSON end record and the --json
 * document (also for a search cut short by a signal). Synchronous, for a forced exit. Returns the exit code.
 */
function printEnd(result: CapacityRunResult, forced: boolean, { config, spec, io, ndjson }: CapacityOutputs): number {
  io.out(formatCapacitySummary(result));
  const errorText = result.stopReason === 'error' ? firstLine(result.error) : undefined;
  if (errorText !== undefined) io.err(`sched-bench: the search stopped on an error: ${errorText}`);
  const verdict = config.expect ? capacityExpectation(config.expect, result) : undefined;
  const expectation = verdict && { expression: verdict.expression, met: verdict.met };
  if (verdict) io.out(formatExpectationLine(verdict, result.answer, verdict.notJudged));
  let outputLost = ndjson?.lost ?? false;
  const outcome = (): Outcome => forced
    ? { kind: 'forced', outputLost }
    : { kind: 'capacity', stopReason: result.stopReason, answer: result.answer.kind, ...(expectation ? { expectationMet: expectation.met } : {}), outputLost };
  const document = () => buildCapacityResult({
    ...result, workload: spec.workload, config: redactedConfig('capacity', config), interrupted: forced || result.stopReason === 'interrupted',
    exitCode: exitCodeOf(outcome()), ...(expectation ? { expectation } : {}), ...(errorText !== undefined ? { errorText } : {}),
  });
  if (ndjson) {
    ndjson.write(capacityEndRecord(document()));
    outputLost = ndjson.lost;
  }
  const written = document();
  const writers: Array<[string | undefined, (path: string) => void]> = [
    [config.json, (path) => writeOutput(path, `${JSON.stringify(written, null, 2)}\n`)],
    [config.html, (path) => writeHtmlReport(path, [written])],
  ];
  for (const [path, write] of writers) {
    if (path === undefined) continue;
    try {
      write(path);
    } catch (error) {
      io.err(`sched-bench: ${(error as Error).message}`);
      outputLost = true;
    }
  }
  return exitCodeOf(outcome());
}
