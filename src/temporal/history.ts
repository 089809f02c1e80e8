import type { Client } from '@temporalio/client';
import { ConnectionError } from '../errors.js';
import type { BenchHistoryEvent } from '../shared/history-events.js';

/** Server times (epoch ms) of a workflow's start, and of the first time a worker picked up a task of it. */
export interface FirstTaskTimes {
  startedMs: number;
  /** undefined: no worker has picked it up yet. */
  firstTaskMs: number | undefined;
}

type Event = { eventTime?: { seconds?: unknown; nanos?: number | null } | null };

const millisOf = (event: Event): number => Number(event.eventTime?.seconds ?? 0) * 1000 + Math.floor((event.eventTime?.nanos ?? 0) / 1e6);

/**
 * From the workflow's history: WorkflowExecutionStarted (the server took the start; with a start delay,
 * the delay runs from here) and the first WorkflowTaskStarted (a worker began its first task). Both are
 * the server's clock, so the difference is free of the skew between tool and server.
 */
export function firstTaskTimesOf(events: readonly BenchHistoryEvent[], workflowId: string): FirstTaskTimes {
  const started = events.find((event) => event.kind === 'workflowStarted');
  const firstTask = events.find((event) => event.kind === 'workflowTaskStarted');
  if (!started) throw new ConnectionError(`history of ${workflowId} has no start event`);
  return { startedMs: started.timeMs, firstTaskMs: firstTask?.timeMs };
}

/** firstTaskTimesOf the run's history, read over the SDK's client. */
export async function firstTaskTimes(client: Client, workflowId: string, runId: string | undefined): Promise<FirstTaskTimes> {
  return firstTaskTimesOf(await fetchBenchHistory(client, workflowId, runId), workflowId);
}

/**
 * A run's whole history over the SDK's client (the latest run without `runId`), reduced. sched-bench's
 * own channel reads the same list with WorkflowWire.history().
 */
export async function fetchBenchHistory(client: Client, workflowId: string, runId?: string): Promise<BenchHistoryEvent[]> {
  return benchHistoryOf((await client.workflow.getHandle(workflowId, runId).fetchHistory()).events ?? []);
}

/** One history event as the SDK's proto gives it: the fields the reduction reads. */
interface ProtoEvent extends Event {
  eventId?: unknown;
  workflowExecutionStartedEventAttributes?: unknown;
  workflowTaskScheduledEventAttributes?: unknown;
  workflowTaskStartedEventAttributes?: unknown;
  workflowTaskCompletedEventAttributes?: unknown;
  activityTaskScheduledEventAttributes?: unknown;
  activityTaskStartedEventAttributes?: { scheduledEventId?: unknown } | null;
  workflowExecutionSignaledEventAttributes?: { signalName?: string | null } | null;
  timerStartedEventAttributes?: { timerId?: string | null; startToFireTimeout?: { seconds?: unknown; nanos?: number | null } | null } | null;
  timerFiredEventAttributes?: { timerId?: string | null } | null;
  startChildWorkflowExecutionInitiatedEventAttributes?: unknown;
  childWorkflowExecutionCompletedEventAttributes?: { initiatedEventId?: unknown } | null;
  workflowExecutionCompletedEventAttributes?: unknown;
  workflowExecutionFailedEventAttributes?: unknown;
  workflowExecutionTimedOutEventAttributes?: unknown;
  workflowExecutionCanceledEventAttributes?: unknown;
  workflowExecutionTerminatedEventAttributes?: unknown;
  workflowExecutionContinuedAsNewEventAttributes?: unknown;
}

const CLOSE_ATTRIBUTES = [
  'workflowExecutionCompletedEventAttributes', 'workflowExecutionFailedEventAttributes', 'workflowExecutionTimedOutEventAttributes',
  'workflowExecutionCanceledEventAttributes', 'workflowExecutionTerminatedEventAttributes', 'workflowExecutionContinuedAsNewEventAttributes',
] as const;

/** A proto Duration in ms. */
const durationMs = (duration: { seconds?: unknown; nanos?: number | null } | null | undefined): number =>
  Number(duration?.seconds ?? 0) * 1000 + Math.floor((duration?.nanos ?? 0) / 1e6);

/** One event reduced to what the history-derived latencies read; undefined for the kinds they do not. */
export function benchEventOf(event: ProtoEvent): BenchHistoryEvent | undefined {
  const timeMs = millisOf(event);
  if (event.workflowExecutionStartedEventAttributes) return { kind: 'workflowStarted', timeMs };
  if (event.workflowTaskScheduledEventAttributes) return { kind: 'workflowTaskScheduled', timeMs };
  if (event.workflowTaskStartedEventAttributes) return { kind: 'workflowTaskStarted', timeMs };
  if (event.workflowTaskCompletedEventAttributes) return { kind: 'workflowTaskCompleted', timeMs };
  if (event.activityTaskScheduledEventAttributes) return { kind: 'activityScheduled', timeMs, eventId: Number(event.eventId ?? 0) };
  if (event.activityTaskStartedEventAttributes) return { kind: 'activityStarted', timeMs, scheduledEventId: Number(event.activityTaskStartedEventAttributes.scheduledEventId ?? 0) };
  if (event.workflowExecutionSignaledEventAttributes) return { kind: 'signaled', timeMs, signalName: event.workflowExecutionSignaledEventAttributes.signalName ?? '' };
  if (event.timerStartedEventAttributes) {
    const { timerId, startToFireTimeout } = event.timerStartedEventAttributes;
    return { kind: 'timerStarted', timeMs, timerId: timerId ?? '', startToFireMs: durationMs(startToFireTimeout) };
  }
  if (event.timerFiredEventAttributes) return { kind: 'timerFired', timeMs, timerId: event.timerFiredEventAttributes.timerId ?? '' };
  if (event.startChildWorkflowExecutionInitiatedEventAttributes) return { kind: 'childInitiated', timeMs, eventId: Number(event.eventId ?? 0) };
  if (event.childWorkflowExecutionCompletedEventAttributes) {
    return { kind: 'childCompleted', timeMs, initiatedEventId: Number(event.childWorkflowExecutionCompletedEventAttributes.initiatedEventId ?? 0) };
  }
  if (CLOSE_ATTRIBUTES.some((attributes) => event[attributes])) return { kind: 'workflowClosed', timeMs };
  return undefined;
}

/** A history reduced to the events the history-derived latencies read, in order. */
export function benchHistoryOf(events: readonly ProtoEvent[]): BenchHistoryEvent[] {
  return events.flatMap((event) => {
    const reduced = benchEventOf(event);
    return reduced ? [reduced] : [];
  });
}
