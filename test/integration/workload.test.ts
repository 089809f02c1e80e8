import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { RunResult } from '../../src/report/result.js';
import { installRuntime } from '../../src/temporal/runtime.js';
import {
  CliProcess,
  decodePayload,
  emptyDir,
  eventually,
  runCli,
  runIdOf,
  serverCount,
  temporalCommand,
  uniqueQueue,
  workflowExists,
  workflowHistory,
} from '../helpers/cli.js';

const address = inject('temporalAddress');
const temporalCli = inject('temporalCli');

describe('--workflow-type: a workflow hosted by the user\'s own worker', () => {
  const taskQueue = uniqueQueue('greet');
  let connection: NativeConnection;
  let worker: Worker;
  let running: Promise<void>;

  beforeAll(async () => {
    // Before the SDK makes its default runtime (INFO to the console): no bundler or worker lines in the test output.
    installRuntime({ logLevel: 'ERROR' });
    connection = await NativeConnection.connect({ address });
    worker = await Worker.create({
      connection,
      taskQueue,
      workflowsPath: fileURLToPath(new URL('../fixtures/greet-workflow.ts', import.meta.url)),
    });
    running = worker.run();
  });

  afterAll(async () => {
    worker?.shutdown();
    await running;
    await connection?.close();
  });

  it('starts it with the JSON inputs as arguments; no sched-bench worker involved', async () => {
    const result = await runCli([
      'run', '--address', address, '--task-queue', taskQueue, '--workflow-type', 'GreetWorkflow',
      '--input', '{"name":"Ada"}', '--input', '"?"', '--total', '5', '--verify',
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/✓ counts match/);
    const runId = runIdOf(result.stdout);
    const events = await workflowHistory(temporalCli, address, `sched-bench-${runId}-1`);
    const payloads = events[0]!.workflowExecutionStartedEventAttributes!.input!.payloads!;
    expect(payloads.map((payload) => decodePayload(payload.data))).toEqual([{ name: 'Ada' }, '?']);
    const completed = events.at(-1)!.workflowExecutionCompletedEventAttributes!.result!.payloads![0]!;
    expect(decodePayload(completed.data)).toBe('Hello, Ada?');
  });

  it('takes the argument from --input-file', async () => {
    const file = join(emptyDir(), 'input.json');
    (await import('node:fs')).writeFileSync(file, '{"name":"Grace"}');
    const result = await runCli(['run', '--address', address, '--task-queue', taskQueue, '--workflow-type', 'GreetWorkflow', '--input-file', file, '--total', '1']);
    expect(result.code, result.stderr).toBe(0);
    const events = await workflowHistory(temporalCli, address, `sched-bench-${runIdOf(result.stdout)}-1`);
    expect(decodePayload(events.at(-1)!.workflowExecutionCompletedEventAttributes!.result!.payloads![0]!.data)).toBe('Hello, Grace!');
  });

  it.each([
    [['--workflow-type', 'GreetWorkflow', '--worker'], /--worker applies to the built-in EchoWorkflow only/],
    [['--workflow-type', 'GreetWorkflow', '--payload-size', '10', '--local-activities'], /--payload-size, --local-activities apply to the built-in EchoWorkflow only/],
    [['--input', '{}'], /--input and --input-file need --workflow-type/],
    [['--workflow-type', 'G', '--input', '{oops'], /invalid value "\{oops" for --input: expected JSON/],
    [['--workflow-type', 'G', '--input-file', '/nonexistent.json'], /cannot read --input-file \/nonexistent\.json: no such file/],
  ])('refuses %j (exit 2)', async (args, message) => {
    const result = await runCli(['run', '--address', address, ...args]);
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toMatch(new RegExp(`^sched-bench: ${message.source}`));
  });
});

describe('EchoWorkflow shaping', () => {
  it('--payload-size pads the input the server stores to that many bytes', async () => {
    const result = await runCli(['run', '--address', address, '--task-queue', uniqueQueue('payload'), '--worker', '--total', '2', '--payload-size', '3000']);
    expect(result.code, result.stderr).toBe(0);
    const events = await workflowHistory(temporalCli, address, `sched-bench-${runIdOf(result.stdout)}-2`);
    const input = decodePayload(events[0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!.data) as { message: string };
    expect(Buffer.byteLength(input.message)).toBe(3000);
    expect(input.message.startsWith('Test scheduler...')).toBe(true);
  });

  it('--activity-delay makes each echo take that long; --local-activities records markers instead of activity tasks', async () => {
    const json = join(emptyDir(), 'r.json');
    const result = await runCli([
      'run', '--address', address, '--task-queue', uniqueQueue('delay'), '--worker', '--total', '3', '--count', '2',
      '--activity-delay', '300', '--local-activities', '--json', json,
    ]);
    expect(result.code, result.stderr).toBe(0);
    const run = JSON.parse(readFileSync(json, 'utf8')) as RunResult;
    expect(run.latency.e2e.min).toBeGreaterThanOrEqual(600);
    const types = (await workflowHistory(temporalCli, address, `sched-bench-${run.runId}-1`)).map((event) => event.eventType);
    expect(types.filter((type) => type === 'EVENT_TYPE_MARKER_RECORDED')).toHaveLength(2);
    expect(types).not.toContain('EVENT_TYPE_ACTIVITY_TASK_SCHEDULED');
  });

  it('carries the run id as the SchedBenchRunId search attribute where the namespace has it', async () => {
    const result = await runCli(['run', '--address', address, '--task-queue', uniqueQueue('sa'), '--worker', '--total', '4']);
    expect(result.code).toBe(0);
    const runId = runIdOf(result.stdout);
    await eventually(async () => expect(await serverCount(temporalCli, address, `SchedBenchRunId = "${runId}"`)).toBe(4));
  });
});

describe('sched-bench cleanup', () => {
  it('deletes exactly one run\'s workflows, none of another run, and none it did not start', { timeout: 150_000 }, async () => {
    const prefix = `clean${Math.random().toString(36).slice(2, 7)}`;
    const taskQueue = uniqueQueue('cleanup');
    const runOnce = async (total: string, extra: string[] = []) => {
      const result = await runCli(['run', '--address', address, '--task-queue', taskQueue, '--worker', '--total', total, '--id-prefix', prefix, ...extra]);
      expect(result.code, result.stderr).toBe(0);
      return runIdOf(result.stdout);
    };
    const doomed = await runOnce('4');
    const kept = await runOnce('3');
    // A still-running workflow of the doomed run (no worker on its queue), and a stranger with a matching id.
    const stillRunning = await runCli(['run', '--address', address, '--task-queue', uniqueQueue('idle'), '--no-wait', '--total', '1', '--id-prefix', prefix]);
    const runningRun = runIdOf(stillRunning.stdout);
    const stranger = `${prefix}-${doomed}-999`;
    await temporalCommand(temporalCli, ['workflow', 'start', '--address', address, '--task-queue', 'nobody', '--type', 'EchoWorkflow', '--workflow-id', stranger]);
    await eventually(async () => expect(await serverCount(temporalCli, address, `WorkflowId STARTS_WITH "${prefix}-${doomed}-"`)).toBe(5));

    const dryRun = await runCli(['cleanup', '--address', address, '--id-prefix', prefix, '--run-id', doomed, '--dry-run']);
    expect(dryRun.code).toBe(0);
    expect(dryRun.stdout).toMatch(new RegExp(`^Found 4 workflows of run ${doomed} \\(0 running, 4 closed\\); 1 with a matching id not started by sched-bench, left alone$`, 'm'));
    expect(dryRun.stdout).toMatch(/^Dry run: would delete 4 workflows/m);
    expect(await workflowExists(temporalCli, address, `${prefix}-${doomed}-1`)).toBe(true);

    const cleanup = await runCli(['cleanup', '--address', address, '--id-prefix', prefix, '--run-id', doomed]);
    expect(cleanup.code, cleanup.stderr).toBe(0);
    expect(cleanup.stdout).toMatch(/^Cleanup: deleted 4 workflows \(0 were running and were terminated first\)$/m);
    // The dev server deletes asynchronously (seen: up to ~20 s).
    const gone = (id: string) => eventually(async () => expect(await workflowExists(temporalCli, address, id)).toBe(false), 60_000);
    await Promise.all([1, 2, 3, 4].map((n) => gone(`${prefix}-${doomed}-${n}`)));
    expect(await workflowExists(temporalCli, address, stranger)).toBe(true);
    for (let n = 1; n <= 3; n++) expect(await workflowExists(temporalCli, address, `${prefix}-${kept}-${n}`)).toBe(true);

    const running = await runCli(['cleanup', '--address', address, '--id-prefix', prefix, '--run-id', runningRun]);
    expect(running.stdout).toMatch(/^Cleanup: deleted 1 workflows \(1 were running and were terminated first\)$/m);
    await gone(`${prefix}-${runningRun}-1`);
    await temporalCommand(temporalCli, ['workflow', 'terminate', '--address', address, '--workflow-id', stranger]);
  });

  it.each([
    [[], /cleanup needs --run-id <id> or --all/],
    [['--all', '--run-id', 'x'], /cleanup takes --run-id or --all, not both/],
    [['--run-id', 'bad id'], /invalid value "bad id" for --run-id/],
  ])('refuses %j (exit 2)', async (args, message) => {
    const result = await runCli(['cleanup', '--address', address, ...args]);
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toMatch(new RegExp(`^sched-bench: ${message.source}`));
  });
});

describe('worker tuning', () => {
  it('runs several tuned workers in one process and reports their settings and work', async () => {
    const taskQueue = uniqueQueue('tuned');
    const worker = new CliProcess(['worker', '--address', address, '--task-queue', taskQueue, '--workers', '2', '--workflow-slots', '5', '--activity-slots', '7', '--pollers', '3', '--sticky-cache', '20']);
    const started = await worker.waitFor(/^Worker started/);
    expect(started).toMatch(/workers=2 workflowSlots=5 activitySlots=7 pollers=3 stickyCache=20$/);
    const result = await runCli(['run', '--address', address, '--task-queue', taskQueue, '--total', '12']);
    expect(result.code).toBe(0);
    worker.signal('SIGTERM');
    const stopped = await worker.exited;
    expect(stopped.code).toBe(0);
    expect(stopped.stdout).toMatch(/^Worker stopped\. Activities executed: 12$/m);
  });

  it('gives the embedded worker the same knobs', async () => {
    const result = await runCli(['run', '--address', address, '--task-queue', uniqueQueue('tuned-embedded'), '--worker', '--pollers', 'auto', '--total', '3']);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/^Embedded worker: workers=1 workflowSlots=40 activitySlots=100 pollers=autoscaling stickyCache=\d+$/m);
  });

  it('a combination the SDK refuses is a usage error', async () => {
    const result = await runCli(['worker', '--address', address, '--pollers', '1', '--sticky-cache', '10']);
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toMatch(/^sched-bench: invalid worker settings: .*at least 2/);
  });
});
