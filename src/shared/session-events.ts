/** The worker's settings as they took effect (defaults filled in), for its start line. */
export interface EffectiveWorkerSettings {
  workers: number;
  workflowSlots: number;
  activitySlots: number;
  pollers: string;
  stickyCacheSize: number;
}

/** What a run's session tells while it opens and while the run goes on. */
export type SessionEvent =
  | { type: 'dev-server-started'; address: string; pid: number | undefined; origin: string }
  | { type: 'worker-started'; settings: EffectiveWorkerSettings }
  | { type: 'worker-stopped'; reason: string }
  | { type: 'metrics-served'; port: number }
  /** Closing one of the session's parts failed; the others are closed all the same. */
  | { type: 'close-failed'; part: string; reason: string };
