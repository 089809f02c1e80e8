/**
 * `sched-bench agent`: a Worker on the control task queue whose one activity runs a load slice with the run
 * library, against the cluster under test, with this agent's own connection settings.
 */
import { firstLine } from '../errors.js';
import { sliceSpecOf, type ProcessField, type SliceSpec } from '../agents/slices.js';
import { buildRunResult, type RunResult } from '../report/result.js';
import type { IntervalReport, RunMode } from '../shared/run-stats.js';
import { TemporalService } from '../temporal/temporal-service.js';
import { VERSION } from '../version.js';
import type { LoadSlice, SliceHeartbeat } from '../../workflows/coordinator-types.js';
import type { AgentWorker, AgentWorkerOptions, SliceBody, SliceContext } from '../temporal/agent-worker.js';
import { runLoad, type LoadEvent, type LoadSeams } from './load-run.js';
import type { LoadSpec } from './load-spec.js';
import type { SessionSpec } from './session.js';

/** What the agent brings to every slice: its connection to the cluster under test (never in a slice). */
export interface AgentSide {
  connection: SessionSpec['connection'];
  /** How many workflows of the slice's run a shard started on the server (default: a visibility count; a fake in tests). */
  countShardWorkflows?: (spec: SliceSpec, shard: string) => Promise<number>;
  /** Hears the load's own events of each slice (failures, server health), for the agent's log. */
  onLoadEvent?: (slice: LoadSlice, event: LoadEvent) => void;
}

// A field added to LoadSpec must be added to SliceSpec (and its check in slices.ts), or to PROCESS_FIELDS:
// this fails to compile until it is.
type SameKeys<A, B> = [Exclude<keyof A, keyof B>, Exclude<keyof B, keyof A>] extends [never, never] ? true : false;
export const SLICE_SPEC_COVERS_LOAD_SPEC: SameKeys<SliceSpec, Omit<LoadSpec, ProcessField>> = true;

/** The LoadSpec an agent runs for a slice: the slice's (checked; SliceSpecError names a bad field) plus its own connection. */
export function loadSpecOfSlice(slice: LoadSlice, agent: Pick<AgentSide, 'connection'>): LoadSpec {
  return withAgentSide(sliceSpecOf(slice), agent);
}

function withAgentSide(spec: SliceSpec, agent: Pick<AgentSide, 'connection'>): LoadSpec {
  return { ...spec, connection: agent.connection, thresholds: [], verify: false, encodeIntervalLatency: true };
}

/** A heartbeat of these cumulative counts, with no interval measured (the slice's start, its end). */
function countsHeartbeat(agent: string, slice: LoadSlice, counts: Pick<IntervalReport, 'started' | 'completed' | 'failed' | 'inFlight' | 'elapsedMs'>): SliceHeartbeat {
  const { started, completed, failed, inFlight, elapsedMs } = counts;
  return {
    agent, index: slice.index, shard: slice.shard, launched: completed + failed + inFlight, started, completed, failed, inFlight,
    intervalRate: 0, intervalP50: null, intervalP99: null, elapsedMs,
  };
}

/** What the agent heartbeats for an interval report (`launched`: completed + failed + in flight, the counts' invariant). */
export function heartbeatOf(agent: string, slice: LoadSlice, report: IntervalReport): SliceHeartbeat {
  return {
    ...countsHeartbeat(agent, slice, report), intervalRate: report.rate, intervalP50: report.latencyP50Ms, intervalP99: report.latencyP99Ms,
    ...(report.latencyHistogram !== undefined ? { intervalLatency: report.latencyHistogram } : {}),
  };
}

/** The heartbeats of a slice's load: one as it begins, one per interval report, one with the counts after the drain. */
function heartbeatsOf(context: SliceContext, slice: LoadSlice, event: LoadEvent): void {
  if (event.type === 'load-started') context.heartbeat(countsHeartbeat(context.agent, slice, { started: 0, completed: 0, failed: 0, inFlight: 0, elapsedMs: 0 }));
  if (event.type === 'interval') context.heartbeat(heartbeatOf(context.agent, slice, event.report));
  // What a loss during the tear-down (terminations, closing) then reports.
  if (event.type === 'load-ended') context.heartbeat(countsHeartbeat(context.agent, slice, event.stats));
}

/**
 * The runLoadSlice activity's body: runs the slice (its signal stops it gracefully: a drain, then the partial
 * result), heartbeats every interval report, and returns the slice's RunResult document (its configuration:
 * the slice's spec). The document's exit code is 0: a slice is not judged alone, the merged result is.
 */
export function sliceBody(agent: AgentSide, seams: LoadSeams = {}): SliceBody {
  return async (slice: LoadSlice, context: SliceContext) => {
    let sliceSpec = sliceSpecOf(slice);
    if (slice.recount && sliceSpec.mode === 'batch') {
      const recounted = await recountedTotal(slice.recount, sliceSpec, agent);
      context.note?.(recounted.note);
      if (recounted.total <= 0) throw new Error(`nothing remained to launch: ${recounted.note}`);
      sliceSpec = { ...sliceSpec, totalWorkflows: recounted.total };
    }
    const spec = withAgentSide(sliceSpec, agent);
    const result = await runLoad(spec, {
      ...seams,
      signal: context.signal,
      onEvent: (event) => {
        heartbeatsOf(context, slice, event);
        agent.onLoadEvent?.(slice, event);
      },
    });
    const config = sliceSpec as unknown as Record<string, unknown>;
    const document = buildRunResult({ ...result, version: VERSION, command: spec.mode === 'batch' ? 'run' : 'infinite', config, exitCode: 0 });
    return document as unknown as Record<string, unknown>;
  };
}

/** Counts a shard's workflows of the run on the cluster under test (visibility: `WorkflowId STARTS_WITH <prefix>-<runId>-<shard>-`). */
async function countOnServer(connection: AgentSide['connection'], spec: SliceSpec, shard: string): Promise<number> {
  const service = await TemporalService.connect({ ...connection, runId: spec.runId, shard, ...(spec.idPrefix !== undefined ? { idPrefix: spec.idPrefix } : {}) });
  try {
    const byStatus = await service.countRunWorkflows(spec.namespace);
    return Object.values(byStatus).reduce((total, count) => total + count, 0);
  } finally {
    await service.close();
  }
}

/**
 * A batch rerun's workflows to launch: the slice's whole share minus what its earlier attempts started on the
 * server (a lost agent may have launched more after its last heartbeat). When the count cannot be had, the
 * spec's own total, the remainder after the last heartbeat; the note says which.
 */
export async function recountedTotal(
  recount: NonNullable<LoadSlice['recount']>, spec: SliceSpec, agent: AgentSide,
): Promise<{ total: number; note: string }> {
  const count = agent.countShardWorkflows ?? ((sliceSpec, shard) => countOnServer(agent.connection, sliceSpec, shard));
  const shards = recount.shards.join(', ');
  const byHeartbeat = recount.totalWorkflows - spec.totalWorkflows;
  try {
    let counted = 0;
    for (const shard of recount.shards) counted += await count(spec, shard);
    const total = Math.max(0, recount.totalWorkflows - counted);
    return {
      total,
      note: `counted on the server: the lost attempts (shards ${shards}) started ${counted} of the slice's ${recount.totalWorkflows} workflows ` +
        `(their last heartbeats said ${byHeartbeat}), so this rerun launches ${total}`,
    };
  } catch (error) {
    return {
      total: spec.totalWorkflows,
      note: `could not count the lost attempts' workflows (shards ${shards}) on the server (${firstLine(error)}): this rerun launches ${spec.totalWorkflows}, ` +
        'what remained after their last heartbeats, and may repeat workflows launched after them',
    };
  }
}

/** A `sched-bench agent`: its name, the cluster it loads, the control queue it polls. Times in seconds. */
export interface AgentSpec {
  name: string;
  /** The cluster under test (the slices' namespace and task queue are on it). */
  connection: SessionSpec['connection'];
  /** Where the coordinator's workflow and the slices' activities are: may be another cluster. */
  control: { connection: SessionSpec['connection']; namespace: string; taskQueue: string };
  /** How often heartbeats reach the control server at most. */
  reportInterval: number;
  bundleCacheDir?: string;
}

/** What an agent tells as it goes; the CLI prints it. */
export type AgentEvent =
  | { type: 'agent-ready'; name: string; controlTaskQueue: string; namespace: string; address: string }
  | { type: 'slice-started'; index: number; shard: string; runId: string; mode: RunMode; rate?: number; concurrency: number; total?: number }
  | { type: 'slice-ended'; index: number; shard: string; counts: { launched: number; completed: number; failed: number }; stopped: boolean }
  | { type: 'slice-failed'; index: number; shard: string; reason: string }
  | { type: 'slice-event'; index: number; shard: string; event: LoadEvent };

/** The control cluster's service as the agent uses it (TemporalService; a fake in tests). */
export interface AgentControlService {
  readonly address: string;
  /** A ConnectionError naming the namespace when the control cluster does not know it. */
  checkNamespace(namespace: string): Promise<void>;
  /** The worker as the agent drives it (run, shutdown): h1's AgentWorker class, a fake in tests. */
  createAgentWorker(options: AgentWorkerOptions): Promise<Pick<AgentWorker, 'run' | 'shutdown'>>;
  close(): Promise<void>;
}

export interface AgentRunOptions {
  onEvent?: (event: AgentEvent) => void;
  /** Aborting it shuts the agent down: a running slice drains and returns its result first. */
  signal?: AbortSignal;
  /** Stand-ins: the control connection, and the load's launcher and clock. */
  connectControl?: (settings: AgentSpec['control']['connection']) => Promise<AgentControlService>;
  seams?: LoadSeams;
}

/** The slice body with the events the agent prints around each slice. */
function reportingBody(spec: AgentSpec, onEvent: (event: AgentEvent) => void, seams: LoadSeams | undefined): SliceBody {
  const body = sliceBody({
    connection: spec.connection,
    onLoadEvent: (slice, event) => onEvent({ type: 'slice-event', index: slice.index, shard: slice.shard, event }),
  }, seams);
  return async (slice, context) => {
    const { index, shard } = slice;
    try {
      const { runId, mode, loadModel, totalWorkflows } = sliceSpecOf(slice); // a bad slice is told as failed, not started
      onEvent({
        type: 'slice-started', index, shard, runId, mode, concurrency: loadModel.concurrency,
        ...(loadModel.rate !== undefined ? { rate: loadModel.rate } : {}), ...(mode === 'batch' ? { total: totalWorkflows } : {}),
      });
      const document = await body(slice, context);
      const { counts, interrupted } = document as unknown as RunResult;
      onEvent({ type: 'slice-ended', index, shard, counts: { launched: counts.launched, completed: counts.completed, failed: counts.failed }, stopped: interrupted });
      return document;
    } catch (error) {
      onEvent({ type: 'slice-failed', index, shard, reason: firstLine(error) });
      throw error;
    }
  };
}

/**
 * Runs an agent until `signal` aborts: connects to the control cluster, polls the control queue for slices
 * (one at a time), and shuts down gracefully (a running slice drains and returns first). Rejects when the
 * control cluster cannot be reached or the worker fails.
 */
export async function runAgent(spec: AgentSpec, options: AgentRunOptions = {}): Promise<void> {
  const onEvent = options.onEvent ?? (() => undefined);
  const connect = options.connectControl ?? ((settings) => TemporalService.connect(settings));
  if (options.signal?.aborted) return;
  const service = await connect(spec.control.connection);
  try {
    await service.checkNamespace(spec.control.namespace);
    const worker = await service.createAgentWorker({
      namespace: spec.control.namespace, taskQueue: spec.control.taskQueue, name: spec.name,
      body: reportingBody(spec, onEvent, options.seams), heartbeatIntervalMs: spec.reportInterval * 1000,
      ...(spec.bundleCacheDir !== undefined ? { bundleCacheDir: spec.bundleCacheDir } : {}),
    });
    // A failing shutdown shows as run()'s rejection.
    const shutdown = () => void worker.shutdown().catch(() => undefined);
    options.signal?.addEventListener('abort', shutdown, { once: true });
    try {
      const running = worker.run();
      onEvent({ type: 'agent-ready', name: spec.name, controlTaskQueue: spec.control.taskQueue, namespace: spec.control.namespace, address: service.address });
      if (options.signal?.aborted) shutdown(); // aborted while the worker was being created
      await running;
    } finally {
      options.signal?.removeEventListener('abort', shutdown);
    }
  } finally {
    await service.close();
  }
}
