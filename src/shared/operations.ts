/**
 * The per-operation latencies the workloads measure, beside every workflow's start and e2e latency.
 * One table: names (as they appear in the summary, JSON, Prometheus `operation` label and thresholds
 * such as `update.accepted.p99<200ms`), where each is measured, and what it means (README "Workloads").
 */
export const OPERATIONS = {
  'signal.sent': { source: 'client', meaning: 'a signal request sent → acknowledged by the server' },
  'signal.handled': { source: 'history', meaning: 'the server recorded the signal → the workflow task that handled it completed' },
  'update.accepted': { source: 'client', meaning: 'an update sent → the workflow accepted it' },
  'update.completed': { source: 'client', meaning: 'an update sent → its result arrived' },
  'query.answered': { source: 'client', meaning: "a query sent → the worker's answer arrived (the worker round trip)" },
  'child.completed': { source: 'history', meaning: 'the parent asked for a child → the child completed, per child' },
  'timer.lag': { source: 'history', meaning: 'a timer fired this long after it was due (the accuracy of the server\'s timers)' },
  'continue_as_new.iteration': { source: 'workflow', meaning: "one run's first workflow task → the next run's (continue-as-new), per iteration" },
  'workflow_task.schedule_to_start': { source: 'history', meaning: 'a workflow task scheduled → a worker picked it up (the workers\' backlog)' },
  'activity_task.schedule_to_start': { source: 'history', meaning: 'an activity task scheduled → a worker picked it up' },
} as const satisfies Record<string, { source: 'client' | 'history' | 'workflow'; meaning: string }>;

export type OperationName = keyof typeof OPERATIONS;

export const OPERATION_NAMES = Object.keys(OPERATIONS) as OperationName[];

/** Where a measured launch's operation latencies go (ms). */
export type RecordOperation = (operation: OperationName, latencyMs: number) => void;
