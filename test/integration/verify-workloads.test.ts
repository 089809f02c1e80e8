import { describe, expect, inject, it } from 'vitest';
import { WORKFLOW_TYPES } from '../../workflows/names.js';
import { formatVerification } from '../../src/report/summary.js';
import { runLoad } from '../../src/run/load-run.js';
import type { Workload } from '../../src/workloads/workload.js';
import { uniqueQueue } from '../helpers/cli.js';
import { loadSpec } from '../helpers/load-spec.js';

const address = inject('temporalAddress');

/** A short batch with the embedded worker and --verify, in-process. */
function verifiedRun(workload: Workload, totalWorkflows: number) {
  return runLoad(loadSpec({
    connection: { address, kind: 'http2', connectTimeoutMs: 10_000 },
    taskQueue: uniqueQueue('verify'), totalWorkflows, loadModel: { kind: 'closed', concurrency: 4 }, worker: { instances: 1 }, workload, verify: true,
  }));
}

describe('--verify counts the server\'s executions per workflow type', () => {
  it('echo: one type, its rows as before', { timeout: 120_000 }, async () => {
    const result = await verifiedRun({ kind: 'echo', message: 'm', count: 1 }, 8);
    expect(result.verification?.matches, JSON.stringify(result.verification)).toBe(true);
    expect(result.verification!.serverCountsByType).toEqual({ [WORKFLOW_TYPES.echo]: { Completed: 8 } });
    expect(result.verification!.rows.map((row) => [row.workflowType, row.what, row.tool, row.server])).toEqual([
      [WORKFLOW_TYPES.echo, 'started', 8, 8], [WORKFLOW_TYPES.echo, 'completed', 8, 8],
      [WORKFLOW_TYPES.echo, 'failed (workflow)', 0, 0], [WORKFLOW_TYPES.echo, 'running', 0, 0],
    ]);
  });

  it('child and continue-as-new: a parent\'s children and a chain\'s ContinuedAsNew runs, per type', { timeout: 180_000 }, async () => {
    const workload: Workload = {
      kind: 'mix', seed: 3,
      parts: [{ weight: 1, workload: { kind: 'child', children: 3 } }, { weight: 1, workload: { kind: 'continue-as-new', iterations: 2 } }],
    };
    const result = await verifiedRun(workload, 10);
    expect(result.stats).toMatchObject({ completed: 10, failed: 0 });
    const verification = result.verification!;
    expect(verification.matches, formatVerification(result.runId, verification)).toBe(true);
    const counts = verification.serverCountsByType!;
    const parents = counts[WORKFLOW_TYPES.child]?.Completed ?? 0;
    const chains = counts[WORKFLOW_TYPES.continueAsNew]?.Completed ?? 0;
    expect(parents + chains).toBe(10);
    expect(parents).toBeGreaterThan(0); // the seed draws both
    expect(chains).toBeGreaterThan(0);
    expect(counts[WORKFLOW_TYPES.childLeaf]).toEqual({ Completed: 3 * parents });
    expect(counts[WORKFLOW_TYPES.continueAsNew]).toEqual({ Completed: chains, ContinuedAsNew: 2 * chains });
    expect(verification.rows.find((row) => row.workflowType === WORKFLOW_TYPES.continueAsNew && row.what === 'started')).toMatchObject({ tool: chains, server: chains });
  });
});
