import type { BenchHistoryEvent } from './history-events.js';

/**
 * What the load generator needs from the server: start a workflow, wait for its result. Created for
 * one run's target (TemporalService.launcher(): namespace, task queue, start delay), so it speaks only
 * of workflows; tests fake it.
 */
export interface WorkflowLauncher {
  /** The delay each workflow is started with (ms): it runs that long after its start. Undefined: none. */
  readonly startDelayMs?: number;
  /** Starts one EchoWorkflow and resolves with its workflow id once the server acknowledged it. */
  startEchoWorkflow(message?: string, count?: number, shape?: { activityDelayMs?: number; localActivities?: boolean }): Promise<string>;
  /** Starts any workflow type with these arguments (for --workflow-type and the workloads); optional for fakes. */
  startWorkflow?(workflowType: string, args: unknown[]): Promise<string>;
  /** Resolves when the workflow completed successfully; rejects (ideally with a LaunchError) otherwise. */
  awaitWorkflowResult(workflowId: string): Promise<unknown>;
  /**
   * With a start delay: how late the first workflow task ran, ms: its start on a worker − (the start
   * request at the server + the delay), from the server's history. Undefined when it cannot say.
   */
  delayLagOf?(workflowId: string): Promise<number | undefined>;
  /** The calls the workloads beyond echo make (signals, updates, queries, history); optional for fakes. */
  readonly calls?: WorkloadCalls;
}

/** An update the workflow accepted; `result()` resolves when it completed (rejects when it failed). */
export interface AcceptedUpdate {
  result(): Promise<unknown>;
}

/**
 * Operations on a started workflow of the run, in the launcher's namespace and task queue. Failures
 * reject with a LaunchError of their kind (like starts and result waits).
 */
export interface WorkloadCalls {
  signal(workflowId: string, signalName: string, args: unknown[]): Promise<void>;
  /** Starts a workflow together with its first signal (one request); resolves with its id. */
  signalWithStart(workflowType: string, args: unknown[], signalName: string, signalArgs: unknown[]): Promise<string>;
  /** Sends an update; resolves once the workflow accepted it. */
  startUpdate(workflowId: string, updateName: string, args: unknown[]): Promise<AcceptedUpdate>;
  /**
   * Starts a workflow together with its first update (one request); resolves once the update was
   * accepted, which needs a worker. `onCreating` hears the workflow's id before the request goes out:
   * the workflow may exist from then on, acknowledged or not.
   */
  updateWithStart(
    workflowType: string, args: unknown[], updateName: string, updateArgs: unknown[], onCreating?: (workflowId: string) => void,
  ): Promise<AcceptedUpdate & { workflowId: string }>;
  query(workflowId: string, queryName: string, args: unknown[]): Promise<unknown>;
  /** The history of the workflow's latest run (every page), reduced to event kinds and server times. */
  history(workflowId: string): Promise<BenchHistoryEvent[]>;
}
