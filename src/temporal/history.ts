import type { Client } from '@temporalio/client';
import { ConnectionError } from '../errors.js';

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
export async function firstTaskTimes(client: Client, workflowId: string, runId: string | undefined): Promise<FirstTaskTimes> {
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  const events = history.events ?? [];
  const started = events.find((event) => event.workflowExecutionStartedEventAttributes);
  const firstTask = events.find((event) => event.workflowTaskStartedEventAttributes);
  if (!started) throw new ConnectionError(`history of ${workflowId} has no start event`);
  return { startedMs: millisOf(started), firstTaskMs: firstTask ? millisOf(firstTask) : undefined };
}
