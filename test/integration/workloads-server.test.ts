import { afterAll, describe, expect, inject, it } from 'vitest';
import { runLoad } from '../../src/run/load-run.js';
import type { LoadResult } from '../../src/run/load-result.js';
import type { OperationName } from '../../src/shared/operations.js';
import { TemporalService, type WorkflowCountsByStatus } from '../../src/temporal/temporal-service.js';
import type { Workload } from '../../src/workloads/workload.js';
import { BENCH_QUERY, BENCH_SIGNAL, FINISH_SIGNAL, WORKFLOW_TYPES } from '../../workflows/names.js';
import { uniqueQueue } from '../helpers/cli.js';
import { loadSpec } from '../helpers/load-spec.js';

const address = inject('temporalAddress');
const WORKFLOWS = 10;
const K = 3;

/** One batch of WORKFLOWS launches of `workload`, 5 at a time, with the embedded worker, results awaited. */
async function runWorkload(workload: Workload, name: string, transport: 'http2' | 'native' = 'http2'): Promise<LoadResult> {
  const result = await runLoad(loadSpec({
    connection: { address, kind: transport, connectTimeoutMs: 10_000 },
    taskQueue: uniqueQueue(name),
    totalWorkflows: WORKFLOWS,
    loadModel: { kind: 'closed', concurrency: 5 },
    worker: { instances: 1 },
    workload,
  }));
  // Every launch completed, none failed, nothing left over.
  expect(result.stats, JSON.stringify(result.stats)).toMatchObject({ launched: WORKFLOWS, started: WORKFLOWS, completed: WORKFLOWS, failed: 0, inFlight: 0 });
  expect(result.historyReads).toEqual({ failed: 0, skipped: 0 });
  printed.push(`${name}: e2e p50 ${result.latency.e2e.p50} p99 ${result.latency.e2e.p99}; ${Object.entries(result.operations)
    .map(([operation, { summary }]) => `${operation} n=${summary.count} p50 ${summary.p50} p99 ${summary.p99} max ${summary.max}`).join('; ')}`);
  return result;
}

const printed: string[] = [];
afterAll(() => {
  if (printed.length > 0) console.log(printed.join('\n'));
});

/** The operation's sample count; history-derived ones also lie between 0 and the run's slowest e2e. */
function samples(result: LoadResult, operation: OperationName, options: { fromHistory?: boolean } = {}): number {
  const summary = result.operations[operation]?.summary;
  if (!summary) return 0;
  expect(summary.min).toBeGreaterThanOrEqual(0);
  if (options.fromHistory) expect(summary.max, operation).toBeLessThanOrEqual(result.latency.e2e.max);
  return summary.count;
}

let service: TemporalService | undefined;

/**
 * The server's own counts of the run's workflows, by status (visibility is eventually consistent: asked
 * until they add up to `total`, 15 s at most).
 */
async function serverCounts(runId: string, total: number): Promise<WorkflowCountsByStatus> {
  await service?.close();
  service = await TemporalService.connect({ address, kind: 'http2', connectTimeoutMs: 10_000, runId });
  let counts: WorkflowCountsByStatus = {};
  for (const deadline = Date.now() + 15_000; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 250))) {
    counts = await service.countRunWorkflows('default');
    if (Object.values(counts).reduce((sum, count) => sum + count, 0) >= total && !counts.Running) break;
  }
  return counts;
}

afterAll(async () => service?.close());

describe('the workloads against a real dev server (embedded worker, 10 workflows, 5 at a time)', { timeout: 120_000 }, () => {
  it('signal: K signals per workflow, each sent and handled once; the server holds the workflows completed', async () => {
    const result = await runWorkload({ kind: 'signal', signals: K, withStart: false }, 'wl-signal');
    expect(samples(result, 'signal.sent')).toBe(K * WORKFLOWS);
    expect(samples(result, 'signal.handled', { fromHistory: true })).toBe(K * WORKFLOWS);
    expect(await serverCounts(result.runId, WORKFLOWS)).toEqual({ Completed: WORKFLOWS });
  });

  it('signal-with-start: the first signal rides on the start; still K per workflow', async () => {
    const result = await runWorkload({ kind: 'signal', signals: K, withStart: true }, 'wl-signal-ws');
    expect(samples(result, 'signal.sent')).toBe(K * WORKFLOWS);
    expect(samples(result, 'signal.handled', { fromHistory: true })).toBe(K * WORKFLOWS);
    expect(await serverCounts(result.runId, WORKFLOWS)).toEqual({ Completed: WORKFLOWS });
  });

  it('update: K updates per workflow, each accepted and completed', async () => {
    const result = await runWorkload({ kind: 'update', updates: K, withStart: false }, 'wl-update');
    expect(samples(result, 'update.accepted')).toBe(K * WORKFLOWS);
    expect(samples(result, 'update.completed')).toBe(K * WORKFLOWS);
    expect(result.operations['update.completed']!.summary.p50).toBeGreaterThanOrEqual(result.operations['update.accepted']!.summary.min);
    expect(await serverCounts(result.runId, WORKFLOWS)).toEqual({ Completed: WORKFLOWS });
  });

  it('update-with-start: the first update rides on the start; still K per workflow', async () => {
    const result = await runWorkload({ kind: 'update', updates: K, withStart: true }, 'wl-update-ws');
    expect(samples(result, 'update.accepted')).toBe(K * WORKFLOWS);
    expect(samples(result, 'update.completed')).toBe(K * WORKFLOWS);
    expect(await serverCounts(result.runId, WORKFLOWS)).toEqual({ Completed: WORKFLOWS });
  });

  it('query: K queries per workflow answered by the worker, then the finish signal completes it', async () => {
    const result = await runWorkload({ kind: 'query', queries: K }, 'wl-query');
    expect(samples(result, 'query.answered')).toBe(K * WORKFLOWS);
    expect(await serverCounts(result.runId, WORKFLOWS)).toEqual({ Completed: WORKFLOWS });
  });

  it('child: N children per parent, each child completion measured from the parent history', async () => {
    const children = 3;
    const result = await runWorkload({ kind: 'child', children }, 'wl-child');
    expect(samples(result, 'child.completed', { fromHistory: true })).toBe(children * WORKFLOWS);
    // The children are this run's workflows too (ids `<parent id>-c<i>`): all completed.
    expect(await serverCounts(result.runId, WORKFLOWS * (1 + children))).toEqual({ Completed: WORKFLOWS * (1 + children) });
  });

  it('timer: one timer lag per workflow; the workflow lasts at least the timer', async () => {
    const result = await runWorkload({ kind: 'timer', durationMs: 200 }, 'wl-timer');
    expect(samples(result, 'timer.lag', { fromHistory: true })).toBe(WORKFLOWS);
    expect(result.latency.e2e.min).toBeGreaterThanOrEqual(200);
    expect(await serverCounts(result.runId, WORKFLOWS)).toEqual({ Completed: WORKFLOWS });
  });

  it('continue-as-new: `iterations` iterations per workflow, from the last run\'s result (an array on the wire)', async () => {
    const iterations = 3;
    const result = await runWorkload({ kind: 'continue-as-new', iterations }, 'wl-can');
    expect(samples(result, 'continue_as_new.iteration', { fromHistory: true })).toBe(iterations * WORKFLOWS);
    // Every run is an execution: `iterations` continued as new, the last completed.
    expect(await serverCounts(result.runId, WORKFLOWS * (1 + iterations))).toEqual({ Completed: WORKFLOWS, ContinuedAsNew: WORKFLOWS * iterations });
  });

  it('continue-as-new over the SDK transport: its result wait follows the runs to the last one\'s array too', async () => {
    const iterations = 2;
    const result = await runWorkload({ kind: 'continue-as-new', iterations }, 'wl-can-sdk', 'native');
    expect(samples(result, 'continue_as_new.iteration', { fromHistory: true })).toBe(iterations * WORKFLOWS);
  });

  it('mix: each part\'s operations are counted whole (K per launch of its kind); every workflow completed', async () => {
    const result = await runWorkload({
      kind: 'mix', seed: 7,
      parts: [
        { workload: { kind: 'echo' }, weight: 1 },
        { workload: { kind: 'signal', signals: 2, withStart: false }, weight: 1 },
        { workload: { kind: 'update', updates: 2, withStart: true }, weight: 1 },
      ],
    }, 'wl-mix');
    const signals = samples(result, 'signal.sent');
    const updates = samples(result, 'update.accepted');
    expect(samples(result, 'signal.handled', { fromHistory: true })).toBe(signals);
    expect(samples(result, 'update.completed')).toBe(updates);
    expect(signals % 2).toBe(0);
    expect(updates % 2).toBe(0);
    expect(signals / 2 + updates / 2).toBeLessThanOrEqual(WORKFLOWS);
    expect(signals + updates).toBeGreaterThan(0);
    expect(await serverCounts(result.runId, WORKFLOWS)).toEqual({ Completed: WORKFLOWS });
  });

  it('a query sent before the workflow\'s first task ran is held until a worker answers it, not failed', async () => {
    const own = await TemporalService.connect({ address, kind: 'http2', connectTimeoutMs: 10_000 });
    try {
      const taskQueue = uniqueQueue('wl-query-early');
      const launcher = own.launcher({ namespace: 'default', taskQueue });
      const workflowId = await launcher.startWorkflow!(WORKFLOW_TYPES.query, []);
      // No worker polls the queue yet: the query waits on the server.
      const answer = launcher.calls!.query(workflowId, BENCH_QUERY, []);
      const settled = await Promise.race([answer.then(() => 'answered', () => 'failed'), new Promise((resolve) => setTimeout(resolve, 1500, 'waiting'))]);
      expect(settled).toBe('waiting');
      const worker = await own.createEchoWorker('default', taskQueue);
      const running = worker.start();
      try {
        expect(await answer).toEqual({ workflowId, finishing: false });
        await launcher.calls!.signal(workflowId, FINISH_SIGNAL, []);
        await expect(launcher.awaitWorkflowResult(workflowId)).resolves.toBeUndefined();
      } finally {
        await worker.shutdown();
        await running;
      }
    } finally {
      await own.close();
    }
  });

  it('a numbered signal that arrives twice (a retry after a lost answer) counts once: SignalWorkflow does not end early', async () => {
    const own = await TemporalService.connect({ address, kind: 'http2', connectTimeoutMs: 10_000 });
    const taskQueue = uniqueQueue('wl-signal-twice');
    const worker = await own.createEchoWorker('default', taskQueue);
    const running = worker.start();
    try {
      const launcher = own.launcher({ namespace: 'default', taskQueue });
      const workflowId = await launcher.startWorkflow!(WORKFLOW_TYPES.signal, [{ signals: 2 }]);
      await launcher.calls!.signal(workflowId, BENCH_SIGNAL, [1]);
      await launcher.calls!.signal(workflowId, BENCH_SIGNAL, [1]);
      const result = launcher.awaitWorkflowResult(workflowId);
      expect(await Promise.race([result, new Promise((resolve) => setTimeout(resolve, 1500, 'still running'))])).toBe('still running');
      await launcher.calls!.signal(workflowId, BENCH_SIGNAL, [2]);
      expect(await result).toBe(2);
      // Every arrival is in the history: the duplicate is the server's record, not hidden.
      expect((await launcher.calls!.history(workflowId)).filter((event) => event.kind === 'signaled')).toHaveLength(3);
    } finally {
      await worker.shutdown();
      await running;
      await own.close();
    }
  });
});
