import type { UnfinishedSlice } from '../agents/outcomes.js';
import { formatAgent, formatAgentsReady, formatAgentsWaiting, formatControlConnected } from '../report/agents-lines.js';
import { formatFinalLine, formatIntervalLine, formatStartLine, INTERRUPT_LINE } from '../report/lines.js';
import { statsOfResult } from '../report/merge.js';
import type { RunResult } from '../report/result.js';
import { formatSummary } from '../report/summary.js';
import type { RunMode } from '../scheduler/types.js';
import type { CliLookup } from '../temporal/dev-server.js';
import type { DistributedEvent, DistributedResult, DistributedSpec } from '../run/distributed-run.js';
import { VERSION } from '../version.js';
import { exitCodeOf } from './exit-codes.js';
import { exitAfterCancel } from './forced-exit.js';
import type { CliIO } from './io.js';
import type { RunConfig } from './options.js';
import { checkOutputs, usesStdout } from './outputs.js';
import { loadHtmlReport, redactedConfig, writeResultFiles } from './run-command.js';
import { distributedSpecOf } from './run-specs.js';
import type { ShutdownSignals } from './signals.js';

/** The lines of a distributed run's events: progress on `out`, the rest on `err` (exported for tests). */
export function printEvent(event: DistributedEvent, spec: DistributedSpec, config: RunConfig, out: (line: string) => void, err: (line: string) => void): void {
  const { load } = spec;
  switch (event.type) {
    case 'control-connected':
      return err(formatControlConnected(event));
    case 'agents-waiting':
      return err(formatAgentsWaiting(event, config.agentWait));
    case 'agents-ready':
      return err(formatAgentsReady(event));
    case 'coordinator-started':
      out(formatStartLine({
        mode: load.mode, runId: event.runId, address: load.connection.address, namespace: load.namespace, taskQueue: load.taskQueue,
        concurrency: load.loadModel.concurrency, reportInterval: load.reportInterval, wait: load.wait, totalWorkflows: load.totalWorkflows,
        maxRuntime: load.maxRuntime, rate: load.loadModel.rate, stages: load.loadModel.stages, duration: load.duration,
        startDelay: config.startDelay, warmup: load.warmup,
      }));
      return err(`Coordinator ${event.workflowId}: ${event.slices.length} slices (shards ${event.slices.map((slice) => slice.shard).join(', ')})`);
    case 'interval':
      return out(formatIntervalLine(event.report));
    case 'progress-unavailable':
      return err(`The agents' progress could not be read: ${event.reason}`);
    case 'stop-failed':
      return err(`The stop could not be sent to the coordinator: ${event.reason}; a second signal cancels the run`);
    case 'coordinator-abandoned':
      return err(`sched-bench: ${event.reason}; the coordinator is terminated and the run ends with what the agents reported`);
    case 'coordinator-ended':
      return; // its slices are told with the end, beside the merged result
    default:
      return unknownEvent(event);
  }
}

/** A DistributedEvent without its case above fails to compile here. */
function unknownEvent(event: never): void {
  throw new Error(`unknown distributed event ${JSON.stringify(event)}`);
}

function countsText(slice: UnfinishedSlice): string {
  const counts = slice.lastCounts;
  return counts ? `last heard: launched ${counts.launched}, completed ${counts.completed}, failed ${counts.failed}, in flight ${counts.inFlight}` : 'never heard from';
}

/** The slices that did not finish, one line each: who, which slice, why, and the last counts heard. */
function unfinishedLines(result: DistributedResult): string[] {
  const { outcomes } = result;
  return [
    ...outcomes.lost.map((slice) => `Lost ${formatAgent(slice.agent)} (slice ${slice.index}, shard ${slice.shard}): ${slice.reason}; ${countsText(slice)}`),
    ...outcomes.failed.map((slice) => `Slice ${slice.index} (shard ${slice.shard}) failed on ${formatAgent(slice.agent)}: ${slice.reason}; ${countsText(slice)}`),
    ...outcomes.notTaken.map((slice) => `Slice ${slice.index} (shard ${slice.shard}) was taken by no agent: ${slice.reason}`),
    ...(outcomes.mergeProblem ? [`The agents' results do not merge: ${outcomes.mergeProblem}`] : []),
  ];
}

/** How each finished rerun's remainder was counted (on the server, or from the last heartbeat and why). */
function rerunLines(result: DistributedResult): string[] {
  return result.outcomes.finished.flatMap((slice) => (slice.note ? [`Slice ${slice.index} rerun (shard ${slice.shard}) on agent ${slice.agent}: ${slice.note}`] : []));
}

/**
 * `run|infinite --agents N`: waits for the agents, hands them their slices through the coordinator, prints
 * their heartbeats as the usual interval lines, then the merged summary, JSON, HTML and thresholds exactly as
 * one process's run. Lost, failed or untaken slices fail the run (exit 1) and are named.
 */
export async function runDistributed(mode: RunMode, config: RunConfig, io: CliIO, cliLookup: CliLookup, signals: ShutdownSignals): Promise<number> {
  const spec = distributedSpecOf(mode, config, cliLookup);
  checkOutputs(config);
  const command: 'run' | 'infinite' = mode === 'batch' ? 'run' : 'infinite';
  const humanIO: CliIO = usesStdout(config) ? { out: io.err, err: io.err } : io;
  const progressOut = config.quiet ? () => undefined : humanIO.out;
  const { startDistributedLoad } = await import('../run/distributed-run.js');
  const run = startDistributedLoad(spec, (event) => printEvent(event, spec, config, progressOut, io.err));
  const detachSignals = signals.attach({
    graceful: () => {
      io.err(INTERRUPT_LINE);
      io.err('Every agent drains its slice and reports...');
      run.stop();
    },
    forced: () => {
      io.err('Forced exit: the coordinator is cancelled; the agents stop without reporting here');
      exitAfterCancel(() => run.cancelNow(), exitCodeOf({ kind: 'forced' }));
    },
  });
  try {
    return finish(await run.ended, { config, command, io, humanIO });
  } finally {
    detachSignals();
  }
}

interface DistributedOutputs {
  config: RunConfig;
  command: 'run' | 'infinite';
  io: CliIO;
  humanIO: CliIO;
}

/** The end of a distributed run: lines, summary, outputs; the exit code. */
async function finish(result: DistributedResult, outputs: DistributedOutputs): Promise<number> {
  const { config, command, io, humanIO } = outputs;
  const unfinished = unfinishedLines(result);
  for (const line of [...rerunLines(result), ...unfinished]) io.err(line);
  const { merged } = result;
  if (!merged) {
    io.err(result.stopped && unfinished.length === 0 ? 'Stopped before any agent finished a slice: nothing to report' : 'No agent finished its slice: nothing to merge');
    return exitCodeOf({ kind: 'done', failures: 1 });
  }
  const stats = statsOfResult(merged);
  humanIO.out(formatFinalLine(stats, merged.interrupted));
  humanIO.out(`Merged ${result.outcomes.finished.length} slices of run ${result.runId} from agents ${result.outcomes.finished.map((slice) => slice.agent).join(', ')}`);
  humanIO.out(formatSummary({
    stats, latency: { start: merged.latency.start, e2e: merged.latency.e2e, startLateness: merged.latency.startLateness },
    operations: merged.operations, historyReads: merged.historyReads, wait: merged.loadModel.wait, thresholds: result.thresholds, client: merged.client,
  }));
  // An abandoned coordinator fails the run even if every slice had reported.
  const slicesLost = result.outcomes.lost.length + result.outcomes.failed.length + result.outcomes.notTaken.length + (result.abandoned ? 1 : 0);
  let outputLost = false;
  const exitCode = () => exitCodeOf({ kind: 'load', stats, thresholds: result.thresholds, slicesLost, outputLost });
  const document: RunResult = { ...merged, tool: { name: 'sched-bench', version: VERSION }, command, config: redactedConfig(command, config), exitCode: exitCode() };
  const htmlReport = config.html ? await loadHtmlReport() : undefined;
  outputLost = writeResultFiles(document, config, htmlReport, io);
  return exitCode();
}
