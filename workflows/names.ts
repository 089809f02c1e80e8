// Names shared by the workflows (bundled into the sandbox) and the load generator that drives them.
// Constants only: no imports, so both sides may import this file.

/** The workflow types sched-bench's worker hosts, by the workload that starts them. */
export const WORKFLOW_TYPES = {
  echo: 'EchoWorkflow',
  signal: 'SignalWorkflow',
  update: 'UpdateWorkflow',
  query: 'QueryWorkflow',
  child: 'ParentWorkflow',
  /** What ParentWorkflow starts, `--children` of them. */
  childLeaf: 'ChildWorkflow',
  timer: 'TimerWorkflow',
  continueAsNew: 'ContinueAsNewWorkflow',
} as const;

/** SignalWorkflow completes after this signal arrived `signals` times. */
export const BENCH_SIGNAL = 'bench-signal';
/** UpdateWorkflow completes after this update was handled `updates` times. */
export const BENCH_UPDATE = 'bench-update';
/** QueryWorkflow answers this query (with how many it answered) ... */
export const BENCH_QUERY = 'bench-query';
/** ... and completes when it gets this signal. */
export const FINISH_SIGNAL = 'bench-finish';

export interface SignalWorkflowInput {
  /** Completes once this many signals arrived (≥ 1). */
  signals: number;
}

export interface UpdateWorkflowInput {
  /** Completes once this many updates were handled (≥ 1). */
  updates: number;
}

export interface ParentWorkflowInput {
  /** Child workflows started at once, awaited together (≥ 1); their ids are `<parent id>-c<i>`. */
  children: number;
}

export interface TimerWorkflowInput {
  /** How long the workflow sleeps (one durable timer), ms. */
  durationMs: number;
}

export interface ContinueAsNewWorkflowInput {
  /** Continues-as-new this many times, then completes (≥ 1). */
  iterations: number;
  /** Workflow time (the server's, ms) at the start of each run so far; the last run returns them. */
  runStartedAtMs?: number[];
}
