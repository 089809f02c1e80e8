// Deterministic workflow code only: this file is bundled into the Temporal workflow sandbox.
import { ApplicationFailure, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { EchoActivities } from '../src/temporal/activities.js';

export interface EchoWorkflowInput {
  message: string;
  /** How many times the echo activity runs, one after another (≥ 1). */
  count: number;
  /** How long each echo activity sleeps before answering (ms). */
  activityDelayMs?: number;
  /** Run the echoes as local activities (no activity task round trip through the server). */
  localActivities?: boolean;
}

/** Runs the `echo` activity `count` times and returns the last echo. */
export async function EchoWorkflow({ message, count, activityDelayMs = 0, localActivities = false }: EchoWorkflowInput): Promise<string> {
  if (!Number.isInteger(count) || count < 1) {
    // Non-retryable: a bad input would otherwise fail the workflow task forever.
    throw ApplicationFailure.nonRetryable(`count must be an integer ≥ 1, got ${count}`, 'InvalidInput');
  }
  // The timeout follows the requested delay, so a slow echo is measured rather than timed out. It is
  // short otherwise: an echo whose completion was lost (the server restarted) is retried after 10 s,
  // not after a minute.
  const options = { startToCloseTimeout: 10_000 + activityDelayMs };
  const { echo } = localActivities ? proxyLocalActivities<EchoActivities>(options) : proxyActivities<EchoActivities>(options);
  let lastEcho = '';
  for (let i = 0; i < count; i++) {
    lastEcho = await echo(message, activityDelayMs);
  }
  return lastEcho;
}
