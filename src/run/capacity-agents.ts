/**
 * `capacity --agents N`: each step of the search is one distributed open-loop run over the N agents
 * (startDistributedLoad: the step's rate split exactly across them), and the step is measured on the
 * merged result of their slices, so the same verdict judges it as a one-process step.
 */
import type { StepMeasurement, StepRunner } from '../capacity/types.js';
import type { LatencySummary } from '../metrics/latency-histogram.js';
import type { LatencyGroup } from '../metrics/thresholds.js';
import type { FinishedSlice } from '../agents/outcomes.js';
import { formatAgent } from '../report/agents-lines.js';
import type { LatencyResult, ServerHealthResult } from '../report/result.js';
import { exactShares } from '../agents/slices.js';
import { ArrivalSchedule } from '../scheduler/load-model.js';
import { systemClock } from '../shared/clock.js';
import type { Workload } from '../scheduler/types.js';
import type { SessionSpec } from './session.js';
import type { LoadSpec } from './load-spec.js';
import {
  controlConnector, openControl, startDistributedLoad, waitForAgents, type ControlService, type DistributedEvent, type DistributedResult, type DistributedRun, type DistributedSeams, type DistributedSpec,
} from './distributed-run.js';

/** How the search's steps are spread over the agents. Times in seconds. */
export interface CapacityAgentsSpec {
  agents: number;
  /** How long to wait for the agents to poll the control queue (before the search, and for each slice to be taken). */
  agentWait: number;
  /** How often the agents heartbeat; an agent silent for max(10, 5 ×) this is lost. */
  reportInterval: number;
  control: DistributedSpec['control'];
}

/** What every step over the agents runs with, beside its rate. */
export interface AgentStepLoad {
  /** The search's run id: step n runs as `<runId>-step<n>` (its coordinator and workflow ids), so `cleanup --run-id` finds them all. */
  runId: string;
  idPrefix?: string;
  /** The cluster under test as this process names it (the agents bring their own connections). */
  connection: SessionSpec['connection'];
  namespace: string;
  taskQueue: string;
  workload: Workload;
  /** The open loop's in-flight cap of the whole step, split across the agents. */
  maxInFlight: number;
  drainStallSeconds: number;
  /** --eager-start, as each agent's slice runs it. */
  eagerStart: boolean;
  retryTimeout: number;
  maxOutage: number;
  historySample?: number;
  agents: CapacityAgentsSpec;
  /** Each step's distributed run's events, with the step's number (1-based). */
  onEvent?: (event: DistributedEvent, step: number) => void;
  /** Each step's distributed run as it starts (for a forced exit to cancel it). */
  onRun?: (run: DistributedRun) => void;
  /** Each step's merged slices' server health (undefined: no slice finished). */
  onSlicesHealth?: (health: ServerHealthResult | undefined) => void;
  seams?: DistributedSeams;
}

/** A step that the agents could not run as asked: the search stops with stop reason "error" and this message. */
export class AgentStepError extends Error {
  override readonly name = 'AgentStepError';
}

/** The whole step's LoadSpec: an infinite open loop at `rate` for warm-up + duration, drained after. */
export function stepLoadSpec(load: AgentStepLoad, rate: number, step: number, options: { durationMs: number; warmupMs: number; remainingMs?: number }): LoadSpec {
  const { durationMs, warmupMs, remainingMs } = options;
  return {
    connection: load.connection, namespace: load.namespace, taskQueue: load.taskQueue,
    mode: 'infinite', runId: `${load.runId}-step${step}`, ...(load.idPrefix !== undefined ? { idPrefix: load.idPrefix } : {}),
    loadModel: { kind: 'open', rate, concurrency: load.maxInFlight },
    totalWorkflows: 0, duration: (warmupMs + durationMs) / 1000, maxRuntime: 0, warmup: warmupMs / 1000,
    reportInterval: load.agents.reportInterval, wait: true, workload: load.workload,
    ...(load.historySample !== undefined ? { historySample: load.historySample } : {}),
    eagerStart: load.eagerStart, retryTimeout: load.retryTimeout, maxOutage: load.maxOutage,
    // A step must not eat the rest of the budget waiting for stragglers.
    drain: remainingMs !== undefined
      ? { timeout: Math.max(0, remainingMs - warmupMs - durationMs) / 1000, onStop: 'leave' }
      : { stallTimeout: load.drainStallSeconds, onStop: 'leave' },
    thresholds: [], verify: false,
  };
}

/**
 * Runs each step as one distributed run over the agents (a lost agent: fail, never rerun: a re-run slice
 * would start late and measure another window). The step's signal stops the run: every agent drains and
 * reports. A step whose slices did not all finish throws an AgentStepError naming the agent: the server is
 * not judged on part of the load. A step whose run itself fails cancels its coordinator first, so no agent
 * goes on loading the cluster after the search has given up.
 */
export function distributedStepRunner(load: AgentStepLoad): StepRunner {
  let steps = 0;
  return async (rate, { durationMs, warmupMs, signal, remainingMs }) => {
    const step = ++steps;
    const spec: DistributedSpec = {
      load: stepLoadSpec(load, rate, step, { durationMs, warmupMs, ...(remainingMs !== undefined ? { remainingMs } : {}) }),
      agents: load.agents.agents, agentWait: load.agents.agentWait, onAgentLoss: 'fail', control: load.agents.control,
    };
    const run: DistributedRun = startDistributedLoad(spec, (event) => load.onEvent?.(event, step), load.seams);
    load.onRun?.(run);
    const stop = () => run.stop();
    if (signal?.aborted) stop();
    else signal?.addEventListener('abort', stop, { once: true });
    try {
      let result: DistributedResult;
      try {
        result = await run.ended;
      } catch (error) {
        await run.cancelNow().catch(() => undefined);
        throw error;
      }
      load.onSlicesHealth?.(result.merged?.serverHealth);
      return measurementOfSlices(result, rate, {
        durationMs, warmupMs, maxInFlight: load.maxInFlight, sliceRates: exactShares(rate, load.agents.agents), signalled: signal?.aborted === true,
      });
    } finally {
      signal?.removeEventListener('abort', stop);
    }
  };
}

/** Why the step's slices cannot be judged as the whole step's load; undefined when every slice finished. */
function whyIncomplete(result: DistributedResult, rate: number): string | undefined {
  const { outcomes } = result;
  const at = `the step at ${rate} wf/s`;
  const lost = outcomes.lost[0];
  if (lost) return `${formatAgent(lost.agent)} was lost during ${at} (slice ${lost.index}, shard ${lost.shard}): ${lost.reason}`;
  const failed = outcomes.failed[0];
  if (failed) return `slice ${failed.index} (shard ${failed.shard}) of ${at} failed on ${formatAgent(failed.agent)}: ${failed.reason}`;
  const notTaken = outcomes.notTaken[0];
  if (notTaken) return `slice ${notTaken.index} (shard ${notTaken.shard}) of ${at} was taken by no agent: ${notTaken.reason}`;
  if (outcomes.mergeProblem) return `the agents' results of ${at} do not merge: ${outcomes.mergeProblem}`;
  if (!result.merged) return `no agent finished its slice of ${at}`;
  // Every slice's own: the merged document keeps the first slice's stop reason only.
  const aborted = outcomes.finished.find((slice) => slice.stopReason === 'aborted');
  if (aborted) return `${at} was aborted on ${formatAgent(aborted.agent)} (slice ${aborted.index}): the server was unreachable longer than --max-outage`;
  return undefined;
}

const summaryOf = ({ unit: _unit, encoded: _encoded, ...summary }: LatencyResult): LatencySummary => summary;

/**
 * The arrivals the slices' open loops intended within their measured windows: each slice's own schedule
 * (its first arrival at its start) over its own window, so N slices at a low rate intend up to N − 1 more
 * than rate × seconds, and the generator is held to what it was asked to send.
 */
export function intendedArrivalsOf(slices: ReadonlyArray<{ rate: number; windowMs: number }>, warmupMs: number): number {
  return slices.reduce((sum, { rate, windowMs }) => {
    const schedule = new ArrivalSchedule(rate);
    return sum + schedule.dueBefore(warmupMs + windowMs) - schedule.dueBefore(warmupMs);
  }, 0);
}

export interface SliceStep {
  durationMs: number;
  warmupMs: number;
  maxInFlight: number;
  /** Each slice's share of the step's rate (splitLoad's), by slice index. */
  sliceRates: readonly number[];
  /** The search's signal stopped the step. */
  signalled: boolean;
}

/**
 * A finished slice's measured window (ms, at most the step's): as its agent measured it, from the warm-up's
 * end until launching stopped; from an agent too old to say, its measured seconds (they include the drain).
 */
function windowOfSlice(slice: FinishedSlice, durationMs: number): number {
  const seconds = slice.openLoop?.windowSeconds ?? slice.measuredSeconds;
  return Math.min(durationMs, seconds * 1000);
}

/**
 * As one process's step (capacity-steps.ts isCutShort), slice by slice: a slice whose launching a stop
 * ended before its window's end, or a signal that left workflows unfinished in the drain.
 */
function isCutShort(slices: ReadonlyArray<{ stopReason: string; windowMs: number }>, durationMs: number, signalled: boolean, unfinished: number): boolean {
  const windowCut = slices.some((slice) => slice.stopReason === 'stopped' && slice.windowMs < durationMs);
  return windowCut || (signalled && unfinished > 0);
}

/**
 * The step's measurement from the merged slices: counts summed, latencies merged exactly from their
 * histograms, the arrivals held back by the in-flight cap the sum of each slice's exact count (each slice's
 * cap is its own share: one slice at its cap holds arrivals back whatever the others do).
 */
export function measurementOfSlices(result: DistributedResult, rate: number, step: SliceStep): StepMeasurement {
  const problem = whyIncomplete(result, rate);
  if (problem !== undefined) throw new AgentStepError(problem);
  const merged = result.merged!;
  const slices = result.outcomes.finished.map((slice) => ({
    stopReason: slice.stopReason, rate: step.sliceRates[slice.index] ?? 0, windowMs: windowOfSlice(slice, step.durationMs),
  }));
  const windowMs = Math.max(0, ...slices.map((slice) => slice.windowMs));
  const seconds = windowMs / 1000;
  const perSecond = (count: number) => (seconds > 0 ? count / seconds : 0);
  const { measured } = merged;
  const latency: Partial<Record<LatencyGroup, LatencySummary>> = {
    start: summaryOf(merged.latency.start), e2e: summaryOf(merged.latency.e2e), start_lateness: summaryOf(merged.latency.startLateness),
  };
  const histograms: Record<string, string> = {
    start: merged.latency.start.encoded, e2e: merged.latency.e2e.encoded, start_lateness: merged.latency.startLateness.encoded,
  };
  for (const [operation, histogram] of Object.entries(merged.operations)) {
    latency[operation as LatencyGroup] = summaryOf(histogram);
    histograms[operation] = histogram.encoded;
  }
  const cutShort = isCutShort(slices, step.durationMs, step.signalled, measured.inFlight);
  // Agents too old to count them leave it unknown (undefined), never a guess.
  const heldByCap = merged.openLoop?.heldByCap;
  return {
    targetRate: rate, measuredSeconds: seconds, intendedArrivals: intendedArrivalsOf(slices, step.warmupMs),
    launched: measured.launched, started: measured.started, completed: measured.completed, failed: measured.failed,
    achievedRate: perSecond(measured.launched), completedPerSecond: perSecond(measured.completed),
    startLateness: latency.start_lateness!, latency, histograms,
    unfinished: measured.inFlight, ...(heldByCap !== undefined ? { heldByCap } : {}), inFlightCap: step.maxInFlight,
    ...(cutShort ? { cutShort: true } : {}),
  };
}

/**
 * Seams whose control connection is made once and shared by every step's distributed run (and the wait
 * before them): closing it there does nothing; `close` closes it for good, at the search's end.
 */
export function sharedControl(seams: DistributedSeams = {}): { seams: DistributedSeams; close(): Promise<void> } {
  const connect = controlConnector(seams);
  let shared: Promise<ControlService> | undefined;
  return {
    seams: {
      ...seams,
      connectControl: async (settings) => {
        shared ??= connect(settings);
        const service = await shared;
        return {
          address: service.address, checkNamespace: (namespace) => service.checkNamespace(namespace),
          coordinator: (namespace, taskQueue) => service.coordinator(namespace, taskQueue), close: async () => undefined,
        };
      },
    },
    close: async () => {
      // A connection that failed has nothing to close.
      const service = await shared?.catch(() => undefined);
      await service?.close();
    },
  };
}

/**
 * Before the search: until `agents` agents poll the control queue (every 0.5 s), an AgentWaitError after
 * agentWait; the same events as a distributed run's wait. Once, so that no step's time (and the search's
 * budget estimate of a step's overhead) includes it; each step's own check then finds them at once.
 * Returns false when the signal came first.
 */
export async function awaitAgents(
  spec: CapacityAgentsSpec, onEvent: (event: DistributedEvent) => void, options: { seams?: DistributedSeams; signal?: AbortSignal } = {},
): Promise<boolean> {
  const { seams = {}, signal } = options;
  const { service, client } = await openControl(spec.control, seams, onEvent);
  try {
    return await waitForAgents(client, spec, { clock: seams.clock ?? systemClock, ...(signal ? { signal } : {}), onEvent });
  } finally {
    await service.close();
  }
}
