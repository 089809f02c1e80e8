import type { BenchHistoryEvent } from '../shared/history-events.js';
import type { RecordOperation } from '../shared/operations.js';

/*
 * Latencies read from a workflow's history: the server's own times, so free of the skew between the
 * tool's clock and the server's. Each function records one sample per occurrence it can pair up; an
 * event without its partner (a history cut short) gives no sample rather than a wrong one.
 */

/** Each signal: recorded by the server → the workflow task that handled it completed. */
export function recordSignalHandled(events: readonly BenchHistoryEvent[], record: RecordOperation): void {
  for (let i = 0; i < events.length; i++) {
    const signaled = events[i]!;
    if (signaled.kind !== 'signaled') continue;
    // The first task started after the signal is the one that saw it; it handled it when it completed.
    const taskStarted = indexAfter(events, i, 'workflowTaskStarted');
    const taskCompleted = taskStarted === undefined ? undefined : indexAfter(events, taskStarted, 'workflowTaskCompleted');
    if (taskCompleted !== undefined) record('signal.handled', events[taskCompleted]!.timeMs - signaled.timeMs);
  }
}

/** Each timer: how long after it was due it fired (clamped at 0: event times are whole milliseconds). */
export function recordTimerLag(events: readonly BenchHistoryEvent[], record: RecordOperation): void {
  const dueAt = new Map<string, number>();
  for (const event of events) {
    if (event.kind === 'timerStarted') dueAt.set(event.timerId, event.timeMs + event.startToFireMs);
    else if (event.kind === 'timerFired') {
      const due = dueAt.get(event.timerId);
      if (due !== undefined) record('timer.lag', Math.max(0, event.timeMs - due));
    }
  }
}

/** Each child: the parent's request to start it → its completion, as the parent's history saw them. */
export function recordChildCompleted(events: readonly BenchHistoryEvent[], record: RecordOperation): void {
  const initiatedAt = new Map<number, number>();
  for (const event of events) {
    if (event.kind === 'childInitiated') initiatedAt.set(event.eventId, event.timeMs);
    else if (event.kind === 'childCompleted') {
      const initiated = initiatedAt.get(event.initiatedEventId);
      if (initiated !== undefined) record('child.completed', event.timeMs - initiated);
    }
  }
}

/** Workflow and activity tasks: scheduled → picked up by a worker (the workers' backlog). */
export function recordScheduleToStart(events: readonly BenchHistoryEvent[], record: RecordOperation): void {
  const activityScheduledAt = new Map<number, number>();
  let workflowTaskScheduledAt: number | undefined;
  for (const event of events) {
    switch (event.kind) {
      case 'workflowTaskScheduled':
        workflowTaskScheduledAt = event.timeMs;
        break;
      case 'workflowTaskStarted':
        if (workflowTaskScheduledAt !== undefined) record('workflow_task.schedule_to_start', event.timeMs - workflowTaskScheduledAt);
        workflowTaskScheduledAt = undefined;
        break;
      case 'activityScheduled':
        activityScheduledAt.set(event.eventId, event.timeMs);
        break;
      case 'activityStarted': {
        const scheduled = activityScheduledAt.get(event.scheduledEventId);
        if (scheduled !== undefined) record('activity_task.schedule_to_start', event.timeMs - scheduled);
        break;
      }
      default:
    }
  }
}

/** Continue-as-new: the time between consecutive runs' first workflow tasks (the workflow's own clock, the server's time). */
export function recordIterations(runStartedAtMs: readonly number[], record: RecordOperation): void {
  for (let i = 1; i < runStartedAtMs.length; i++) record('continue_as_new.iteration', runStartedAtMs[i]! - runStartedAtMs[i - 1]!);
}

function indexAfter(events: readonly BenchHistoryEvent[], from: number, kind: BenchHistoryEvent['kind']): number | undefined {
  for (let i = from + 1; i < events.length; i++) if (events[i]!.kind === kind) return i;
  return undefined;
}
