import {
  BENCH_QUERY, BENCH_SIGNAL, BENCH_UPDATE, FINISH_SIGNAL, WORKFLOW_TYPES, type ContinueAsNewWorkflowInput,
  type ParentWorkflowInput, type SignalWorkflowInput, type TimerWorkflowInput, type UpdateWorkflowInput,
} from '../../workflows/names.js';
import { UsageError } from '../errors.js';
import type { Clock } from '../shared/clock.js';
import type { BenchHistoryEvent } from '../shared/history-events.js';
import type { AcceptedUpdate, WorkflowLauncher, WorkloadCalls } from '../shared/launcher.js';
import { recordChildCompleted, recordIterations, recordScheduleToStart, recordSignalHandled, recordTimerLag } from './history-latencies.js';
import { seededRandom, weightedPicker } from './mix.js';
import type { RecordOperation } from '../shared/operations.js';
import type { Workload } from './workload.js';

/**
 * One launch of a workload, in three steps the load generator times around: `start` (acknowledged →
 * start latency), `during` (the operations on the running workflow, each timed here), the result wait
 * (e2e), then `after` (history-derived latencies, read off the slot: it does not hold the load back).
 * Units are shared by every launch of their kind; per-launch state is keyed by workflow id.
 */
export interface WorkloadUnit {
  /** The workflow type it starts (the server's counts are per type). */
  readonly workflowType: string;
  /**
   * Starts the workflow (with-start variants: with its first operation); resolves with its id once
   * acknowledged. `creating` hears the id of a workflow that may exist before the answer (update-with-start
   * is answered only once a worker accepted the update).
   */
  start(record: RecordOperation, creating?: (workflowId: string) => void): Promise<string>;
  /** The workflow may exist before `start` resolves (update-with-start): `start` then announces it through `creating`. */
  readonly createsBeforeAcknowledged?: boolean;
  during?(workflowId: string, record: RecordOperation): Promise<void>;
  /**
   * What only the history (or the result) tells; `result` is the workflow's result, when awaited. What
   * the result holds is recorded at once; a history read comes back as a call for the caller to make
   * (or to skip when too many are under way). Undefined: nothing to read (99 launches in 100 when sampled).
   */
  after?(workflowId: string, result: unknown, record: RecordOperation): HistoryRead | undefined;
}

/** A history read to make, with what it records. */
export type HistoryRead = () => Promise<void>;

/** Picks the unit of the next launch: always the same one, except in a mix. */
export type UnitPicker = () => WorkloadUnit;

/** Every unit a workload may launch, and the picker between them. */
export interface WorkloadUnits {
  units: readonly WorkloadUnit[];
  pick: UnitPicker;
  /** The least time a launch takes by the workload's own settings (timers), ms: the drain waits at least this. */
  expectedRunMs: number;
}

export interface UnitOptions {
  clock: Clock;
  /** Read the history of this fraction of launches whose own latencies do not need it (schedule-to-start). */
  historySample?: number;
}

/** The units of a workload over this launcher. */
export function workloadUnits(workload: Workload, launcher: WorkflowLauncher, options: UnitOptions): WorkloadUnits {
  if (workload.kind === 'mix') {
    const parts = workload.parts.map((part) => ({ weight: part.weight, unit: unitOf(part.workload, launcher, options) }));
    const pickPart = weightedPicker(parts, seededRandom(workload.seed));
    return {
      units: parts.map((part) => part.unit),
      pick: () => pickPart().unit,
      expectedRunMs: Math.max(...workload.parts.map((part) => expectedRunMsOf(part.workload))),
    };
  }
  const unit = unitOf(workload, launcher, options);
  return { units: [unit], pick: () => unit, expectedRunMs: expectedRunMsOf(workload) };
}

function expectedRunMsOf(workload: Exclude<Workload, { kind: 'mix' }>): number {
  if (workload.kind === 'echo') return (workload.activityDelayMs ?? 0) * (workload.count ?? 1);
  return workload.kind === 'timer' ? workload.durationMs : 0;
}

function callsOf(launcher: WorkflowLauncher, kind: string): WorkloadCalls {
  if (!launcher.calls || !launcher.startWorkflow) throw new UsageError(`this launcher cannot run the ${kind} workload`);
  return launcher.calls;
}

function unitOf(workload: Exclude<Workload, { kind: 'mix' }>, launcher: WorkflowLauncher, options: UnitOptions): WorkloadUnit {
  switch (workload.kind) {
    case 'echo': return echoUnit(workload, launcher, options);
    case 'custom': {
      if (!launcher.startWorkflow) throw new UsageError('this launcher cannot start other workflow types');
      const startWorkflow = launcher.startWorkflow.bind(launcher);
      return { workflowType: workload.workflowType, start: () => startWorkflow(workload.workflowType, workload.args) };
    }
    case 'signal': return signalUnit(workload.signals, workload.withStart, launcher, options);
    case 'update': return updateUnit(workload.updates, workload.withStart, launcher, options);
    case 'query': return queryUnit(workload.queries, launcher, options);
    case 'child': return historyUnit(WORKFLOW_TYPES.child, [{ children: workload.children } satisfies ParentWorkflowInput], launcher, options, recordChildCompleted);
    case 'timer': return historyUnit(WORKFLOW_TYPES.timer, [{ durationMs: workload.durationMs } satisfies TimerWorkflowInput], launcher, options, recordTimerLag);
    case 'continue-as-new': return continueAsNewUnit(workload.iterations, launcher, options);
  }
}

/**
 * Whether this finished launch is one of the sampled: every `1/fraction`-th (the 100th, 200th, … at
 * 0.01). Counted, not drawn: the same run samples the same launches, so a short run's outputs do not
 * change from one run to the next. Undefined: no sampling.
 */
function historySampler(options: UnitOptions): (() => boolean) | undefined {
  const fraction = options.historySample ?? 0;
  if (!(fraction > 0)) return undefined;
  let due = 0;
  return () => {
    due += fraction;
    if (due < 1 - 1e-9) return false;
    due -= 1;
    return true;
  };
}

/** Reads the sampled launches' histories for their schedule-to-start latencies. */
function sampledScheduleToStart(calls: WorkloadCalls | undefined, options: UnitOptions): WorkloadUnit['after'] {
  const sampled = historySampler(options);
  if (!calls || !sampled) return undefined;
  return (workflowId, _result, record) =>
    (sampled() ? () => calls.history(workflowId).then((events) => recordScheduleToStart(events, record)) : undefined);
}

/** Reads every launch's history for the workload's own latencies; schedule-to-start from the sample only (alike for every type in a mix). */
function everyHistory(
  calls: WorkloadCalls, options: UnitOptions, fromHistory: (events: readonly BenchHistoryEvent[], record: RecordOperation) => void,
): NonNullable<WorkloadUnit['after']> {
  const sampled = historySampler(options);
  return (workflowId, _result, record) => () => calls.history(workflowId).then((events) => {
    fromHistory(events, record);
    if (sampled?.()) recordScheduleToStart(events, record);
  });
}

function echoUnit(workload: Extract<Workload, { kind: 'echo' }>, launcher: WorkflowLauncher, options: UnitOptions): WorkloadUnit {
  const { message, count, activityDelayMs, localActivities } = workload;
  const shape = activityDelayMs || localActivities ? { activityDelayMs, localActivities } : undefined;
  const start = shape ? () => launcher.startEchoWorkflow(message, count, shape) : () => launcher.startEchoWorkflow(message, count);
  return { workflowType: WORKFLOW_TYPES.echo, start, ...withSampledHistory(launcher.calls, options) };
}

/** A workflow whose own latencies come from its history: every launch's history is read. */
function historyUnit(
  workflowType: string, args: unknown[], launcher: WorkflowLauncher, options: UnitOptions,
  fromHistory: (events: readonly BenchHistoryEvent[], record: RecordOperation) => void,
): WorkloadUnit {
  const calls = callsOf(launcher, workflowType);
  const startWorkflow = launcher.startWorkflow!.bind(launcher);
  return { workflowType, start: () => startWorkflow(workflowType, args), after: everyHistory(calls, options, fromHistory) };
}

function timed<T>(clock: Clock, record: RecordOperation, operation: Parameters<RecordOperation>[0], call: () => Promise<T>): Promise<T> {
  const sentAt = clock.now();
  return call().then((value) => {
    record(operation, clock.now() - sentAt);
    return value;
  });
}

function signalUnit(signals: number, withStart: boolean, launcher: WorkflowLauncher, options: UnitOptions): WorkloadUnit {
  const calls = callsOf(launcher, 'signal');
  const { clock } = options;
  const args = [{ signals } satisfies SignalWorkflowInput];
  const startWorkflow = launcher.startWorkflow!.bind(launcher);
  const start = withStart
    ? (record: RecordOperation) => timed(clock, record, 'signal.sent', () => calls.signalWithStart(WORKFLOW_TYPES.signal, args, BENCH_SIGNAL, [1]))
    : () => startWorkflow(WORKFLOW_TYPES.signal, args);
  return {
    workflowType: WORKFLOW_TYPES.signal, start,
    during: async (workflowId, record) => {
      for (let i = withStart ? 2 : 1; i <= signals; i++) {
        await timed(clock, record, 'signal.sent', () => calls.signal(workflowId, BENCH_SIGNAL, [i]));
      }
    },
    after: everyHistory(calls, options, recordSignalHandled),
  };
}

function updateUnit(updates: number, withStart: boolean, launcher: WorkflowLauncher, options: UnitOptions): WorkloadUnit {
  const calls = callsOf(launcher, 'update');
  const { clock } = options;
  const args = [{ updates } satisfies UpdateWorkflowInput];
  const startWorkflow = launcher.startWorkflow!.bind(launcher);
  /** update-with-start: the first update's completion, from its start until `during` waits for it. */
  const firstUpdates = new Map<string, { sentAt: number; update: AcceptedUpdate }>();
  const awaitCompleted = async (sentAt: number, update: AcceptedUpdate, record: RecordOperation) => {
    await update.result();
    record('update.completed', clock.now() - sentAt);
  };
  const start = withStart
    ? async (record: RecordOperation, creating?: (workflowId: string) => void) => {
      const sentAt = clock.now();
      const update = await calls.updateWithStart(WORKFLOW_TYPES.update, args, BENCH_UPDATE, [1], creating);
      record('update.accepted', clock.now() - sentAt);
      firstUpdates.set(update.workflowId, { sentAt, update });
      return update.workflowId;
    }
    : () => startWorkflow(WORKFLOW_TYPES.update, args);
  return {
    workflowType: WORKFLOW_TYPES.update, start, ...(withStart ? { createsBeforeAcknowledged: true } : {}),
    during: async (workflowId, record) => {
      const first = firstUpdates.get(workflowId);
      if (first) {
        firstUpdates.delete(workflowId);
        await awaitCompleted(first.sentAt, first.update, record);
      }
      for (let i = first ? 2 : 1; i <= updates; i++) {
        const sentAt = clock.now();
        const update = await calls.startUpdate(workflowId, BENCH_UPDATE, [i]);
        record('update.accepted', clock.now() - sentAt);
        await awaitCompleted(sentAt, update, record);
      }
    },
    ...withSampledHistory(calls, options),
  };
}

function queryUnit(queries: number, launcher: WorkflowLauncher, options: UnitOptions): WorkloadUnit {
  const calls = callsOf(launcher, 'query');
  const { clock } = options;
  const startWorkflow = launcher.startWorkflow!.bind(launcher);
  return {
    workflowType: WORKFLOW_TYPES.query,
    start: () => startWorkflow(WORKFLOW_TYPES.query, []),
    during: async (workflowId, record) => {
      for (let i = 0; i < queries; i++) await timed(clock, record, 'query.answered', () => calls.query(workflowId, BENCH_QUERY, []));
      await calls.signal(workflowId, FINISH_SIGNAL, []);
    },
    ...withSampledHistory(calls, options),
  };
}

function continueAsNewUnit(iterations: number, launcher: WorkflowLauncher, options: UnitOptions): WorkloadUnit {
  const calls = callsOf(launcher, 'continue-as-new');
  const startWorkflow = launcher.startWorkflow!.bind(launcher);
  const sampled = sampledScheduleToStart(calls, options);
  return {
    workflowType: WORKFLOW_TYPES.continueAsNew,
    start: () => startWorkflow(WORKFLOW_TYPES.continueAsNew, [{ iterations } satisfies ContinueAsNewWorkflowInput]),
    after: (workflowId, result, record) => {
      // The last run returns every run's start time; no result (start-only) gives no iteration samples.
      if (Array.isArray(result)) recordIterations(result as number[], record);
      return sampled?.(workflowId, result, record);
    },
  };
}

function withSampledHistory(calls: WorkloadCalls | undefined, options: UnitOptions): Pick<WorkloadUnit, 'after'> {
  const after = sampledScheduleToStart(calls, options);
  return after ? { after } : {};
}
