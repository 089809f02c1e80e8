// Deterministic workflow code only: this file is bundled into the Temporal workflow sandbox.
import { ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { EchoActivities } from '../src/temporal/activities.js';

export interface EchoWorkflowInput {
  message: string;
  /** How many times the echo activity runs, one after another (≥ 1). */
  count: number;
}

const { echo } = proxyActivities<EchoActivities>({
  startToCloseTimeout: '1 minute',
});

/** Runs the `echo` activity `count` times and returns the last echo. */
export async function EchoWorkflow({ message, count }: EchoWorkflowInput): Promise<string> {
  if (!Number.isInteger(count) || count < 1) {
    // Non-retryable: a bad input would otherwise fail the workflow task forever.
    throw ApplicationFailure.nonRetryable(`count must be an integer ≥ 1, got ${count}`, 'InvalidInput');
  }
  let lastEcho = '';
  for (let i = 0; i < count; i++) {
    lastEcho = await echo(message);
  }
  return lastEcho;
}
