/** What the load generator needs from the server (TemporalService implements it; tests fake it). */
export interface WorkflowLauncher {
  /** Starts one EchoWorkflow and resolves with its workflow id once the server acknowledged it. */
  startEchoWorkflow(
    namespace: string,
    taskQueue: string,
    message?: string,
    count?: number,
    shape?: { activityDelayMs?: number; localActivities?: boolean },
  ): Promise<string>;
  /** Starts any workflow type with these arguments (for --workflow-type); optional for fakes. */
  startWorkflow?(namespace: string, taskQueue: string, workflowType: string, args: unknown[]): Promise<string>;
  /** Resolves when the workflow completed successfully; rejects (ideally with a LaunchError) otherwise. */
  awaitWorkflowResult(namespace: string, workflowId: string): Promise<unknown>;
  /**
   * With a start delay: how late the first workflow task ran, ms: its start on a worker − (the start
   * request at the server + the delay), from the server's history. Undefined when it cannot say.
   */
  delayLagOf?(namespace: string, workflowId: string, delayMs: number): Promise<number | undefined>;
}
