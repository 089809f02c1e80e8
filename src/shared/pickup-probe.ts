/** What the server can tell about workflows nobody runs (TaskQueueProbe asks it; tests fake it). */
export interface PickupProbe {
  /** Workers polling the run's workflow task queue lately. */
  pollerCount(): Promise<number>;
  /** Why this workflow's workflow tasks keep failing, or undefined when they do not. */
  workflowTaskFailure(workflowId: string): Promise<string | undefined>;
}
