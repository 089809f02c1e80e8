/**
 * A workflow's history reduced to what history-derived latencies need: event kinds and the server's
 * times (epoch ms). Made by src/temporal from the real history; pure code and tests read only this.
 */
export type BenchHistoryEvent =
  | { kind: 'workflowStarted' | 'workflowTaskScheduled' | 'workflowTaskStarted' | 'workflowTaskCompleted' | 'workflowClosed'; timeMs: number }
  | { kind: 'activityScheduled'; timeMs: number; eventId: number }
  | { kind: 'activityStarted'; timeMs: number; scheduledEventId: number }
  | { kind: 'signaled'; timeMs: number; signalName: string }
  | { kind: 'timerStarted'; timeMs: number; timerId: string; startToFireMs: number }
  | { kind: 'timerFired'; timeMs: number; timerId: string }
  | { kind: 'childInitiated'; timeMs: number; eventId: number }
  | { kind: 'childCompleted'; timeMs: number; initiatedEventId: number };
