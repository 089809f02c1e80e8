/**
 * The lines of the wait for `sched-bench agent`s, the same for `run|infinite --agents` and `capacity --agents`.
 * Strings only: the caller prints them (the events are run/distributed-run.ts DistributedEvent's).
 */
export function formatControlConnected(event: { address: string; namespace: string; taskQueue: string }): string {
  return `Control: task queue ${event.taskQueue} in ${event.namespace} at ${event.address}`;
}

/** Fewer agents than needed: how long it waits, who polls, how to start more. */
export function formatAgentsWaiting(event: { needed: number; polling: readonly string[]; taskQueue: string; namespace: string }, agentWaitSeconds: number): string {
  return `Waiting up to ${agentWaitSeconds}s for ${event.needed} agents on ${event.taskQueue} in ${event.namespace}: ${event.polling.length} polling` +
    `${event.polling.length > 0 ? ` (${event.polling.join(', ')})` : ''}; start them with \`sched-bench agent\``;
}

export function formatAgentsReady(event: { agents: readonly string[] }): string {
  return `Agents polling: ${event.agents.join(', ')}`;
}

/** How an agent is named in a line: `agent <name>`, or `an unknown agent` when none ever said its name. */
export const formatAgent = (name: string | null): string => (name ? `agent ${name}` : 'an unknown agent');
