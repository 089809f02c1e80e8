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
  /** Starts any workflow type with these arguments (for --workflow-type); optional for fakes. */
  startWorkflow?(workflowType: string, args: unknown[]): Promise<string>;
  /** Resolves when the workflow completed successfully; rejects (ideally with a LaunchError) otherwise. */
  awaitWorkflowResult(workflowId: string): Promise<unknown>;
  /**
   * With a start delay: how late the first workflow task ran, ms: its start on a worker − (the start
   * request at the server + the delay), from the server's history. Undefined when it cannot say.
   */
  delayLagOf?(workflowId: string): Promise<number | undefined>;
}
