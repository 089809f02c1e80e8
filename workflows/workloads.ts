// Deterministic workflow code only: this file is bundled into the Temporal workflow sandbox.
// The workflows of the workloads beyond echo; their names and inputs are in names.ts.
import {
  ApplicationFailure, allHandlersFinished, condition, continueAsNew, defineQuery, defineSignal, defineUpdate, executeChild,
  setHandler, sleep, workflowInfo,
} from '@temporalio/workflow';
import {
  BENCH_QUERY, BENCH_SIGNAL, BENCH_UPDATE, FINISH_SIGNAL, WORKFLOW_TYPES,
  type ContinueAsNewWorkflowInput, type ParentWorkflowInput, type SignalWorkflowInput, type TimerWorkflowInput, type UpdateWorkflowInput,
} from './names.js';

const benchSignal = defineSignal<[unknown?]>(BENCH_SIGNAL);
const benchUpdate = defineUpdate<number, [unknown?]>(BENCH_UPDATE);
const benchQuery = defineQuery<QueryWorkflowState>(BENCH_QUERY);
const finishSignal = defineSignal(FINISH_SIGNAL);

/** Non-retryable: a bad input would otherwise fail the workflow task forever. */
function invalidInput(message: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(message, 'InvalidInput');
}

/** `value` of the input named `name` is an integer ≥ `least`, else the workflow fails for good. */
function requireInteger(name: string, value: unknown, least: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < least) {
    throw invalidInput(`${name} must be an integer ≥ ${least}, got ${String(value)}`);
  }
  return value;
}

/**
 * Completes once `signals` BENCH_SIGNAL signals arrived; returns how many counted. A signal carrying a
 * number (the load generator numbers them 1..K) counts once per number: a signal the client retried
 * after a lost answer may arrive twice (each attempt is a new request), and must not end the workflow early.
 */
export async function SignalWorkflow(input: SignalWorkflowInput): Promise<number> {
  const signals = requireInteger('signals', input?.signals, 1);
  const numbersSeen = new Set<number>();
  let unnumbered = 0;
  setHandler(benchSignal, (number?: unknown) => {
    if (typeof number === 'number') numbersSeen.add(number);
    else unnumbered++;
  });
  await condition(() => numbersSeen.size + unnumbered >= signals);
  return numbersSeen.size + unnumbered;
}

/** Completes once `updates` BENCH_UPDATE updates were handled (and every handler finished); returns how many. */
export async function UpdateWorkflow(input: UpdateWorkflowInput): Promise<number> {
  const updates = requireInteger('updates', input?.updates, 1);
  let handled = 0;
  // Each update answers with its own number: the n-th update handled gets n.
  setHandler(benchUpdate, () => ++handled);
  await condition(() => handled >= updates && allHandlersFinished());
  return handled;
}

/** What QueryWorkflow's query answers: its state (a query cannot change it, so it cannot count queries). */
export interface QueryWorkflowState {
  /** The workflow's id, to show the answer comes from the workflow asked. */
  workflowId: string;
  finishing: boolean;
}

/** Answers BENCH_QUERY with its state until FINISH_SIGNAL arrives, then completes. */
export async function QueryWorkflow(): Promise<void> {
  let finishing = false;
  setHandler(benchQuery, () => ({ workflowId: workflowInfo().workflowId, finishing }));
  setHandler(finishSignal, () => {
    finishing = true;
  });
  await condition(() => finishing);
}

/**
 * Starts `children` ChildWorkflows at once (ids `<own id>-c<i>`, own task queue) and awaits them all.
 * The children carry the parent's memo (the sched-bench run id): `cleanup` knows them as the run's.
 */
export async function ParentWorkflow(input: ParentWorkflowInput): Promise<number> {
  const children = requireInteger('children', input?.children, 1);
  const { workflowId, memo } = workflowInfo();
  const results = await Promise.all(
    Array.from({ length: children }, (_, i) =>
      executeChild<typeof ChildWorkflow>(WORKFLOW_TYPES.childLeaf, { workflowId: `${workflowId}-c${i + 1}`, args: [], ...(memo ? { memo } : {}) })),
  );
  return results.length;
}

/** ParentWorkflow's child: completes at once (the fan-out is what is measured). */
export async function ChildWorkflow(): Promise<void> {
  // nothing to do
}

/** One durable timer of `durationMs`. */
export async function TimerWorkflow(input: TimerWorkflowInput): Promise<void> {
  const durationMs = requireInteger('durationMs', input?.durationMs, 1);
  await sleep(durationMs);
}

/**
 * Notes each run's start (workflow time: the server's time of the task) and continues-as-new until
 * `iterations` continues were done; the last run returns every run's start time.
 */
export async function ContinueAsNewWorkflow(input: ContinueAsNewWorkflowInput): Promise<number[]> {
  const iterations = requireInteger('iterations', input?.iterations, 1);
  const previous = input.runStartedAtMs ?? [];
  if (!Array.isArray(previous) || previous.some((time) => typeof time !== 'number')) throw invalidInput('runStartedAtMs must be an array of numbers');
  const runStartedAtMs = [...previous, Date.now()];
  if (runStartedAtMs.length > iterations) return runStartedAtMs;
  return continueAsNew<typeof ContinueAsNewWorkflow>({ iterations, runStartedAtMs });
}
