import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runLoad } from '../../src/run/load-run.js';
import type { LoadResult } from '../../src/run/load-result.js';
import type { BenchHistoryEvent } from '../../src/shared/history-events.js';
import { TemporalService } from '../../src/temporal/temporal-service.js';
import { WorkflowWire } from '../../src/temporal/wire/workflow-wire.js';
import type { Workload } from '../../src/workloads/workload.js';
import { runCli, uniqueQueue } from '../helpers/cli.js';
import { loadSpec } from '../helpers/load-spec.js';

const address = inject('temporalAddress');
const WORKFLOWS = 4;

let http2: TemporalService;
let native: TemporalService;
let wire: WorkflowWire;

beforeAll(async () => {
  [http2, native] = await Promise.all([
    TemporalService.connect({ address, kind: 'http2', connectTimeoutMs: 10_000 }),
    TemporalService.connect({ address, kind: 'native', connectTimeoutMs: 10_000 }),
  ]);
  wire = new WorkflowWire({ address, clientVersion: 'test' });
});

afterAll(async () => {
  await Promise.all([http2?.close(), native?.close(), wire?.close()]);
});

/** A batch of WORKFLOWS launches of `workload` (embedded worker, results awaited); all completed. */
async function runWorkload(workload: Workload, name: string, extra: { startDelayMs?: number } = {}): Promise<{ result: LoadResult; taskQueue: string }> {
  const taskQueue = uniqueQueue(name);
  const result = await runLoad(loadSpec({
    connection: { address, kind: 'http2', connectTimeoutMs: 10_000 },
    taskQueue,
    totalWorkflows: WORKFLOWS,
    loadModel: { kind: 'closed', concurrency: 2 },
    worker: { instances: 1 },
    workload,
    startDelayMs: extra.startDelayMs,
  }));
  expect(result.stats, JSON.stringify(result.stats)).toMatchObject({ launched: WORKFLOWS, completed: WORKFLOWS, failed: 0 });
  return { result, taskQueue };
}

/** The history of each of the run's workflows as each path reads it: sched-bench's channel (server pages and pages of 7) and the SDK's. */
async function historiesOf(runId: string, taskQueue: string): Promise<Array<{ overWire: BenchHistoryEvent[]; smallPages: BenchHistoryEvent[]; overSdk: BenchHistoryEvent[] }>> {
  const target = { namespace: 'default', taskQueue };
  const histories = [];
  for (let n = 1; n <= WORKFLOWS; n++) {
    const workflowId = `sched-bench-${runId}-${n}`;
    const [overWire, smallPages, overSdk] = await Promise.all([
      http2.launcher(target).calls!.history(workflowId),
      wire.history('default', workflowId, { pageSize: 7 }),
      native.launcher(target).calls!.history(workflowId),
    ]);
    histories.push({ overWire, smallPages, overSdk });
  }
  return histories;
}

describe("history reads over sched-bench's own channel against a real dev server", { timeout: 120_000 }, () => {
  it('signal workload: the wire gives the very list the SDK path gives, paged or not', async () => {
    const signals = 12;
    const { result, taskQueue } = await runWorkload({ kind: 'signal', signals, withStart: false }, 'wh-signal');
    for (const { overWire, smallPages, overSdk } of await historiesOf(result.runId, taskQueue)) {
      expect(overWire).toStrictEqual(overSdk);
      expect(smallPages).toStrictEqual(overSdk);
      expect(overSdk.filter((event) => event.kind === 'signaled')).toHaveLength(signals);
      expect(overSdk.length).toBeGreaterThan(2 * 7); // several pages of 7
      expect(overSdk.at(-1)?.kind).toBe('workflowClosed');
    }
  });

  it('timer workload (with a start delay): the same lists, and the same delay lag over either path', async () => {
    const { result, taskQueue } = await runWorkload({ kind: 'timer', durationMs: 200 }, 'wh-timer', { startDelayMs: 500 });
    for (const { overWire, smallPages, overSdk } of await historiesOf(result.runId, taskQueue)) {
      expect(overWire).toStrictEqual(overSdk);
      expect(smallPages).toStrictEqual(overSdk);
      const started = overSdk.find((event) => event.kind === 'timerStarted');
      expect(started).toMatchObject({ kind: 'timerStarted', startToFireMs: 200 });
      expect(overSdk.some((event) => event.kind === 'timerFired')).toBe(true);
    }
    const workflowId = `sched-bench-${result.runId}-1`;
    const [lagOverWire, lagOverSdk] = await Promise.all([http2.delayLagOf('default', workflowId, 500), native.delayLagOf('default', workflowId, 500)]);
    expect(lagOverWire).toBeTypeOf('number');
    expect(lagOverWire).toBe(lagOverSdk);
    expect(result.latency.delayLag?.count).toBe(WORKFLOWS);
  });
});

describe('a client-only http2 run reading every history never loads the SDK client', { timeout: 120_000 }, () => {
  const probeDir = mkdtempSync(join(tmpdir(), 'sched-bench-module-probe-'));
  const probe = join(probeDir, 'probe.cjs');
  // Preloaded into the CLI: on exit, writes the @temporalio (and protobufjs) modules whose code was loaded.
  writeFileSync(probe, `process.on('exit', () => require('node:fs').writeFileSync(process.env.MODULE_PROBE_OUT, JSON.stringify(
  Object.keys(require.cache).filter((path) => /node_modules[\\\\/](@temporalio|protobufjs)[\\\\/]/.test(path) && !path.endsWith('package.json')))));\n`);

  /** The SDK packages whose code a `run` with `args` loaded, after it exited 0 with every history read. */
  async function sdkPackagesLoadedBy(args: string[], name: string): Promise<string[]> {
    const taskQueue = uniqueQueue(name);
    const worker = await http2.createEchoWorker('default', taskQueue);
    const running = worker.start();
    const out = join(probeDir, `${name}.json`);
    const json = join(probeDir, `${name}-result.json`);
    try {
      const run = await runCli(['run', '--address', address, '--task-queue', taskQueue, '--total', '8', '--concurrency', '4', '--history-sample', '1',
        '--start-delay', '100ms', '--no-progress', '--json', json, ...args], { env: { NODE_OPTIONS: `--require=${probe}`, MODULE_PROBE_OUT: out } });
      expect(run.code, run.stderr + run.stdout).toBe(0);
      const result = JSON.parse(readFileSync(json, 'utf8')) as { operations: Record<string, { count: number }>; historyReads: unknown; latency: { delayLag?: { count: number } } };
      // Every workflow's history was read (two workflow tasks each) and every delay lag measured.
      expect(result.historyReads).toEqual({ failed: 0, skipped: 0 });
      expect(result.operations['workflow_task.schedule_to_start']?.count).toBeGreaterThanOrEqual(8);
      expect(result.latency.delayLag?.count).toBe(8);
    } finally {
      await worker.shutdown();
      await running;
    }
    const loaded = JSON.parse(readFileSync(out, 'utf8')) as string[];
    return [...new Set(loaded.map((path) => /node_modules[\\/]((?:@temporalio[\\/])?[^\\/]+)/.exec(path)![1]!.replace('\\', '/')))].sort();
  }

  it('--workload echo --history-sample 1 --start-delay: no @temporalio/client, proto, core-bridge or protobufjs code', async () => {
    const loaded = await sdkPackagesLoadedBy([], 'wh-light');
    for (const heavy of ['@temporalio/client', '@temporalio/proto', '@temporalio/core-bridge', '@temporalio/worker', 'protobufjs']) {
      expect(loaded, loaded.join(', ')).not.toContain(heavy);
    }
  });

  it('the probe sees the SDK where a run does load it (--connection native)', async () => {
    expect(await sdkPackagesLoadedBy(['--connection', 'native'], 'wh-native')).toContain('@temporalio/client');
  });
});
