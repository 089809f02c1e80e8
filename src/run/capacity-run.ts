import { resolveCapacitySettings, searchCapacity, type CapacityOptions } from '../capacity/search.js';
import type { CapacityResult, CapacityStep, SearchPhase, StepRunner } from '../capacity/types.js';
import { ServerHealth, type ServerHealthEvent, type ServerHealthSnapshot } from '../metrics/server-health.js';
import { sumServerHealth } from '../report/merge.js';
import type { CapacityExporter } from '../report/prometheus.js';
import type { ServerHealthResult } from '../report/result.js';
import { RunWatch } from '../scheduler/run-watch.js';
import type { SchedulerService } from '../scheduler/scheduler-service.js';
import type { Clock, WorkflowLauncher, Workload } from '../scheduler/types.js';
import type { LaunchCountsSnapshot } from '../shared/run-stats.js';
import { newRunId } from '../temporal/temporal-service.js';
import { awaitAgents, distributedStepRunner, sharedControl, type CapacityAgentsSpec } from './capacity-agents.js';
import { schedulerStepRunner } from './capacity-steps.js';
import type { DistributedEvent, DistributedSeams } from './distributed-run.js';
import { setUpLoad } from './load-setup.js';
import { RunSession, type SessionEvent, type SessionSpec } from './session.js';

/** Everything a capacity search does, every default decided (times in seconds unless named `…Ms`). */
export interface CapacitySpec extends SessionSpec {
  runId?: string;
  idPrefix?: string;
  workload: Workload;
  /** The search: the SLO, start rate, growth, precision, bounds, step and warm-up durations. */
  search: CapacityOptions;
  /** The open loop's cap on workflows in flight during a step. */
  maxInFlight: number;
  /** Between steps, the drain gives up once nothing finished for this long (s). */
  drainStallSeconds: number;
  retryTimeout: number;
  /**
   * A server unreachable this long (s) ends the search with stop reason "error", as --max-outage ends a
   * run: steps against a server that is gone measure nothing. 0 or undefined: ride out any outage.
   */
  maxOutage?: number;
  eagerStart: boolean;
  historySample?: number;
  /**
   * Generate each step's load on `sched-bench agent`s instead of in this process (no dev server, embedded
   * worker or metrics port then): every step is one distributed run, the step's rate split across them.
   */
  agents?: CapacityAgentsSpec;
}

export type CapacityEvent =
  | SessionEvent
  | { type: 'capacity-started'; runId: string; address: string }
  | { type: 'step-started'; rate: number; phase: SearchPhase; index: number }
  | { type: 'step'; step: CapacityStep }
  | { type: 'server-health'; event: ServerHealthEvent }
  /** With agents: the wait for them before the search (no step), then each step's distributed run (its number, 1-based). */
  | { type: 'agents'; event: DistributedEvent; step?: number };

/** The search's result, and where and when it ran. */
export interface CapacityRunResult extends CapacityResult {
  runId: string;
  startedAt: Date;
  endedAt: Date;
  server: { address: string; namespace: string; taskQueue: string; version: string | null };
  /** Refused attempts and outages over the whole search. */
  serverHealth: ServerHealthSnapshot;
}

export interface CapacityRunOptions {
  onEvent?: (event: CapacityEvent) => void;
  /** Aborting it stops the search after cutting the current step short; what was found is returned. */
  signal?: AbortSignal;
  /** Stand-ins for the server (tests): with a launcher nothing is connected to. */
  launcher?: WorkflowLauncher;
  clock?: Clock;
  /** Hears, before anything starts, how a process on its way out (a second signal) reaches the run synchronously. */
  onHandle?(handle: CapacityRunHandle): void;
  /** With agents: stand-ins for the control cluster and the clock of its waits (tests). */
  agentSeams?: DistributedSeams;
}

/** Synchronous access to a running search, for a process that exits now. */
export interface CapacityRunHandle {
  /** Kills the dev server, starting or running: nothing is left behind. */
  killNow(): void;
  /** The server's refusals and outages so far. */
  serverHealthNow(): ServerHealthSnapshot;
  /** With agents: cancels the current step's coordinator (its agents stop without reporting). */
  cancelAgentsNow?(): Promise<void>;
}

/**
 * Finds the highest rate the cluster sustains within the SLO: one session (connection, embedded
 * worker), then the search's steps, each an open loop at its rate, drained before the next.
 */
export async function runCapacity(spec: CapacitySpec, options: CapacityRunOptions = {}): Promise<CapacityRunResult> {
  if (spec.agents) return runCapacityOverAgents(spec, spec.agents, options);
  const onEvent = options.onEvent ?? (() => undefined);
  const runId = spec.runId ?? newRunId();
  const startedAt = new Date();
  const session = new RunSession(spec, onEvent);
  const stopRetries = new AbortController();
  const onAbort = () => stopRetries.abort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  let outage: ReturnType<typeof outageLimit> | undefined;
  try {
    const health = new ServerHealth((event) => onEvent({ type: 'server-health', event }));
    options.onHandle?.({ killNow: () => session.killNow(), serverHealthNow: () => health.snapshot(Date.now()) });
    let serverVersion: string | null = null;
    let launcher = options.launcher;
    let scheduler: SchedulerService | undefined;
    if (!launcher) {
      const setup = await setUpLoad(session, spec.namespace, {
        runId, idPrefix: spec.idPrefix, health, retryTimeout: spec.retryTimeout, eagerStart: spec.eagerStart, stopSignal: stopRetries.signal,
        onWorkerFailed: () => scheduler?.abort(),
      });
      serverVersion = setup.serverVersion;
      launcher = setup.service.launcher({ namespace: spec.namespace, taskQueue: spec.taskQueue });
    }
    const exporter = await serveCapacityMetrics(session, spec, { runId, health, currentStep: () => scheduler?.snapshot() });
    onEvent({ type: 'capacity-started', runId, address: session.address });
    outage = outageLimit(spec, session.address, health, options.clock, () => scheduler?.abort());
    const runStep = outage.guard(schedulerStepRunner({
      launcher, workload: spec.workload, maxInFlight: spec.maxInFlight, drainStallSeconds: spec.drainStallSeconds,
      historySample: spec.historySample, clock: options.clock, onScheduler: (created) => (scheduler = created),
    }));
    const result = await searchCapacity(spec.search, runStep, {
      signal: options.signal, clock: options.clock,
      onStepStart: (rate, phase, index) => {
        exporter?.stepStarted(rate, phase, index);
        onEvent({ type: 'step-started', rate, phase, index });
      },
      onStep: (step) => {
        exporter?.stepJudged(step);
        onEvent({ type: 'step', step });
      },
    });
    exporter?.finished(result);
    const endedAt = new Date();
    return {
      ...result, runId, startedAt, endedAt, serverHealth: health.snapshot(endedAt.getTime()),
      server: { address: session.address, namespace: spec.namespace, taskQueue: spec.taskQueue, version: serverVersion },
    };
  } finally {
    outage?.stop();
    options.signal?.removeEventListener('abort', onAbort);
    await session.close();
  }
}

/**
 * The search with every step's load on the agents: they are waited for once, then each step is one
 * distributed run (distributedStepRunner). This process connects only to the control cluster; the server's
 * health is the agents' own (each rides out outages up to spec.maxOutage, then its step is an error), summed
 * over the steps whose slices all reported.
 */
async function runCapacityOverAgents(spec: CapacitySpec, agents: CapacityAgentsSpec, options: CapacityRunOptions): Promise<CapacityRunResult> {
  const onEvent = options.onEvent ?? (() => undefined);
  const runId = spec.runId ?? newRunId();
  const startedAt = new Date();
  resolveCapacitySettings(spec.search); // bad search options fail before waiting for anyone
  let cancelCurrent: (() => Promise<void>) | undefined;
  const health = new AgentsHealth();
  options.onHandle?.({ killNow: () => undefined, serverHealthNow: () => health.snapshot(), cancelAgentsNow: async () => cancelCurrent?.() });
  // One connection to the control cluster for the wait and every step.
  const control = sharedControl(options.agentSeams);
  const server = { address: spec.connection.address, namespace: spec.namespace, taskQueue: spec.taskQueue, version: null };
  try {
    const ready = await awaitAgents(agents, (event) => onEvent({ type: 'agents', event }), { seams: control.seams, signal: options.signal });
    if (!ready) {
      // A signal during the wait: the search, never started, returns at once interrupted, with no step.
      const result = await searchCapacity(spec.search, () => Promise.reject(new Error('no step runs after a stop')), { signal: options.signal, clock: options.clock });
      return { ...result, runId, startedAt, endedAt: new Date(), serverHealth: health.snapshot(), server };
    }
    onEvent({ type: 'capacity-started', runId, address: spec.connection.address });
    const runStep = distributedStepRunner({
      runId, ...(spec.idPrefix !== undefined ? { idPrefix: spec.idPrefix } : {}), connection: spec.connection, namespace: spec.namespace, taskQueue: spec.taskQueue,
      workload: spec.workload, maxInFlight: spec.maxInFlight, drainStallSeconds: spec.drainStallSeconds, retryTimeout: spec.retryTimeout,
      eagerStart: spec.eagerStart, maxOutage: spec.maxOutage ?? 0, ...(spec.historySample !== undefined ? { historySample: spec.historySample } : {}), agents,
      onEvent: (event, step) => onEvent({ type: 'agents', event, step }), seams: control.seams,
      onRun: (run) => (cancelCurrent = () => run.cancelNow()),
      onSlicesHealth: (slices) => health.add(slices),
    });
    const result = await searchCapacity(spec.search, runStep, {
      signal: options.signal, clock: options.clock,
      onStepStart: (rate, phase, index) => onEvent({ type: 'step-started', rate, phase, index }),
      onStep: (step) => onEvent({ type: 'step', step }),
    });
    return { ...result, runId, startedAt, endedAt: new Date(), serverHealth: health.snapshot(), server };
  } finally {
    await control.close();
  }
}

/** The agents' server health over the steps, from their slices' result documents (mergeResults sums a step's). */
export class AgentsHealth {
  private readonly steps: ServerHealthResult[] = [];

  add(step: ServerHealthResult | undefined): void {
    if (step) this.steps.push(step);
  }

  snapshot(): ServerHealthSnapshot {
    const sum = sumServerHealth(this.steps);
    return {
      throttledAttempts: sum.throttledAttempts, unavailableAttempts: sum.unavailableAttempts, unavailableMs: sum.unavailableSeconds * 1000,
      outages: sum.outages.map((outage) => ({ startMs: Date.parse(outage.start), endMs: outage.end === null ? undefined : Date.parse(outage.end) })),
    };
  }
}

/**
 * The search's outage limit (spec.maxOutage): once the server has been unreachable longer, the current
 * step is abandoned (`abortStep`) and the guarded runner throws, so the search stops with stop reason
 * "error" naming the outage instead of judging steps against a server that is gone.
 */
export function outageLimit(
  spec: CapacitySpec, address: string, health: ServerHealth, clock: Clock | undefined, abortStep: () => void,
): { guard(runStep: StepRunner): StepRunner; stop(): void } {
  const limitMs = (spec.maxOutage ?? 0) * 1000;
  let exceeded: Error | undefined;
  const watch = new RunWatch({
    finished: () => 0, inFlightWorkflowIds: () => [], wait: true, workflowTypes: [], ...(clock ? { clock } : {}),
    outage: { limitMs, currentMs: () => health.currentOutageMs(Date.now()) },
    onEvent: (event) => {
      if (event.type !== 'outage-limit') return;
      exceeded = new Error(
        `the server at ${address} has been unreachable for ${Math.round(event.outageMs / 1000)}s, longer than the outage limit ` +
          `(--max-outage ${event.limitMs / 1000}s): giving up`,
      );
      abortStep();
    },
  });
  if (limitMs > 0) watch.start();
  const check = () => {
    if (exceeded) throw exceeded;
  };
  return {
    guard: (runStep) => async (rate, options) => {
      check();
      const measurement = await runStep(rate, options);
      check();
      return measurement;
    },
    stop: () => watch.stop(),
  };
}

/**
 * Serves the search's Prometheus metrics when the spec gives a port; prom-client is loaded only then.
 * Bad search options fail here, before anything is served, as the search itself would.
 */
async function serveCapacityMetrics(
  session: RunSession, spec: CapacitySpec,
  source: { runId: string; health: ServerHealth; currentStep: () => LaunchCountsSnapshot | undefined },
): Promise<CapacityExporter | undefined> {
  if (spec.metricsPort === undefined) return undefined;
  const { slo, precision } = resolveCapacitySettings(spec.search);
  const { CapacityExporter } = await import('../report/prometheus.js');
  const exporter = new CapacityExporter({
    runId: source.runId, slo, precision, currentStep: source.currentStep, serverHealth: () => source.health.snapshot(Date.now()),
  });
  await session.serveMetrics(() => exporter);
  return exporter;
}
