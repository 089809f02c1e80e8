import type { RunWatchEvent } from '../scheduler/run-watch.js';

export interface WatchContext {
  address: string;
  namespace: string;
  taskQueue: string;
  /** Every workflow type the run starts. */
  workflowTypes: readonly string[];
  /** The run starts sched-bench's own workflows (then `sched-bench worker` runs them). */
  builtIn: boolean;
}

const seconds = (ms: number): string => `${Math.round(ms / 100) / 10}s`;

/** One stderr line for what the run watch found (no worker, failing workflow tasks, the server gone). */
export function formatWatchEvent(event: RunWatchEvent, context: WatchContext): string {
  const { address, namespace, taskQueue, workflowTypes } = context;
  switch (event.type) {
    case 'no-pollers': {
      const remedy = context.builtIn ? `start \`sched-bench worker --task-queue ${taskQueue}\` or add --worker` : `start a worker of ${workflowTypes.join(', ')} on it`;
      return `sched-bench: no worker is polling task queue ${taskQueue} in namespace ${namespace}: ${remedy} (the run waits for one; nothing finishes without it)`;
    }
    case 'workflow-task-failing': {
      const message = event.message.split('\n')[0];
      const workflowType = event.workflowType ?? workflowTypes.join(' or ');
      return event.typeNotRegistered
        ? `sched-bench: workflow type ${workflowType} is not registered on the workers of task queue ${taskQueue} (${message})`
        : `sched-bench: workflow tasks of ${workflowType} on task queue ${taskQueue} keep failing (e.g. ${event.workflowId}): ${message}`;
    }
    case 'outage-limit':
      return `sched-bench: the server at ${address} has been unreachable for ${seconds(event.outageMs)} (--max-outage ${seconds(event.limitMs)}): giving up`;
  }
}
