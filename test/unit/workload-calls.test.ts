import { WorkflowNotFoundError } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { LaunchError } from '../../src/errors.js';
import type { ServiceConnection } from '../../src/temporal/connect.js';
import { signalLandedEarlier, TargetWorkloadCalls } from '../../src/temporal/workload-calls.js';
import type { LaunchTarget, WorkflowStarts } from '../../src/temporal/workflow-starts.js';

const unavailable = () => new Error('Failed to signal Workflow', { cause: Object.assign(new Error('14 UNAVAILABLE: connection reset'), { code: 14 }) });
const completed = () => new WorkflowNotFoundError('workflow execution already completed', 'wf-1', undefined);

/** Workload calls whose signals get the given outcomes one attempt after another (the last one repeats). */
function callsAnswering(outcomes: Array<Error | 'ok'>) {
  let attempts = 0;
  const client = {
    workflow: {
      getHandle: () => ({
        signal: async () => {
          const outcome = outcomes[Math.min(attempts++, outcomes.length - 1)];
          if (outcome !== 'ok') throw outcome;
        },
      }),
    },
  };
  const connection = {
    closed: false,
    settings: { retryBudgetMs: 30_000 },
    sdk: async () => ({ client: () => client }),
  } as unknown as ServiceConnection;
  const calls = new TargetWorkloadCalls(connection, {} as WorkflowStarts, { namespace: 'default' } as LaunchTarget);
  return { calls, attempts: () => attempts };
}

describe("a signal retried after its answer was lost", () => {
  it('the rule: "already completed" means the earlier attempt landed; nothing else does', () => {
    expect(signalLandedEarlier(completed())).toEqual({ value: undefined });
    expect(signalLandedEarlier(new WorkflowNotFoundError('', 'wf-1', undefined))).toEqual({ value: undefined });
    expect(signalLandedEarlier(unavailable())).toBeUndefined();
    expect(signalLandedEarlier(new WorkflowNotFoundError('workflow not found for ID: wf-1', 'wf-1', undefined))).toBeUndefined();
  });

  it('a retry told the workflow completed is the signal sent', async () => {
    const { calls, attempts } = callsAnswering([unavailable(), completed()]);
    await expect(calls.signal('wf-1', 'bench-signal', [3])).resolves.toBeUndefined();
    expect(attempts()).toBe(2);
  });

  it('a first attempt told the workflow completed is a failure (nothing of ours landed)', async () => {
    const { calls, attempts } = callsAnswering([completed()]);
    const failure = await calls.signal('wf-1', 'bench-signal', [1]).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(LaunchError);
    expect((failure as Error).message).toMatch(/^signal bench-signal of wf-1 failed: /);
    expect(attempts()).toBe(1);
  });
});
