import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import type { RunResult } from '../../src/report/result.js';
import { CliProcess, emptyDir, eventually, runCli, runIdOf, serverCounts, temporalCommand, uniqueQueue } from '../helpers/cli.js';

const address = inject('temporalAddress');
const temporalCli = inject('temporalCli');

describe('sched-bench run against a real dev server', () => {
  it('runs a batch with the embedded worker, and the server holds exactly N completed EchoWorkflows of the run', async () => {
    const result = await runCli([
      'run', '--address', address, '--task-queue', uniqueQueue('batch'), '--total', '40',
      '--concurrency', '8', '--report-interval', '0.5', '--worker',
    ]);
    // stderr holds only the embedded worker's settings: no failure, no warning.
    expect(result.stderr.trim()).toMatch(/^Embedded worker: workers=1 workflowSlots=40 activitySlots=100 pollers=\S+.* stickyCache=\d+$/);
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split('\n');
    const endLine = lines.findIndex((line) => line.startsWith('Batch scheduler'));
    expect(lines[0]).toMatch(/^Starting batch scheduler: loop=closed concurrency=8 total=40 wait=true taskQueue=batch-\S+ namespace=default reportInterval=0.5s address=\S+ runId=\S+$/);
    expect(lines[endLine]).toMatch(/^Batch scheduler completed\. Launched 40 workflows in \d+\.\d\ds, final rate: \d+\.\d\d wf\/s$/);
    for (const line of lines.slice(1, endLine)) expect(line).toMatch(/^Concurrent: [0-8] Workflows: \d+ Rate: \d+\.\d\d$/);
    // The summary follows the end line.
    expect(lines[endLine + 1]).toMatch(/^Summary: 40 launched, 40 started, 40 completed, 0 failed in /);
    expect(result.stdout).toMatch(/^ {2}e2e\s+40\s/m);

    const runId = runIdOf(result.stdout);
    await eventually(async () => expect(await serverCounts(temporalCli, address, runId)).toEqual({ Completed: 40 }));
  });

  it('with the embedded worker, eager start (on by default) hands each first workflow task to it (none waits out a task timeout)', async () => {
    const json = join(emptyDir(), 'eager.json');
    const result = await runCli([
      'run', '--address', address, '--task-queue', uniqueQueue('eager'), '--total', '20', '--concurrency', '5', '--worker', '--json', json,
    ]);
    expect(result.code, result.stderr).toBe(0);
    const { counts, latency } = JSON.parse(readFileSync(json, 'utf8')) as RunResult;
    expect(counts).toMatchObject({ completed: 20, failed: 0 });
    // An eager task that never reached the worker would be re-sent after the 10 s workflow task timeout.
    expect(latency.e2e.max).toBeLessThan(5000);
  });

  it.each(['http2', 'native', 'grpc'])('sends gzip-compressed requests on request (--grpc-compression gzip, %s)', async (connection) => {
    const result = await runCli([
      'run', '--address', address, '--task-queue', uniqueQueue('gzip'), '--total', '10', '--worker', '--connection', connection, '--grpc-compression', 'gzip',
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^Summary: 10 launched, 10 started, 10 completed, 0 failed/m);
  });

  it('works with the worker in a separate process (`sched-bench worker`), which stops cleanly on SIGTERM', async () => {
    const taskQueue = uniqueQueue('separate');
    const worker = new CliProcess(['worker', '--address', address, '--task-queue', taskQueue]);
    await worker.waitFor(/^Worker started: taskQueue=/);

    const result = await runCli(['run', '--address', address, '--task-queue', taskQueue, '--total', '25', '--count', '2']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Batch scheduler completed\. Launched 25 workflows/);
    const runId = runIdOf(result.stdout);
    await eventually(async () => expect(await serverCounts(temporalCli, address, runId)).toEqual({ Completed: 25 }));

    worker.signal('SIGTERM');
    const stopped = await worker.exited;
    expect(stopped.code).toBe(0);
    // Two echo activities per workflow, all executed by this worker process.
    expect(stopped.stdout).toMatch(/^Worker stopped\. Activities executed: 50$/m);
  });

  it('runs in another namespace (--namespace) and finds the run there', async () => {
    const namespace = `bench-${Math.random().toString(36).slice(2, 8)}`;
    await temporalCommand(temporalCli, ['operator', 'namespace', 'create', '--address', address, '--namespace', namespace]);
    const result = await eventually(async () => {
      const attempt = await runCli(['run', '--address', address, '--namespace', namespace, '--task-queue', uniqueQueue('ns'), '--worker', '--total', '5', '--verify']);
      expect(attempt.code, attempt.stderr).toBe(0); // a new namespace takes a moment to be served
      return attempt;
    }, 30_000);
    expect(result.stdout).toMatch(new RegExp(`namespace=${namespace} `));
    expect(result.stdout).toMatch(/✓ counts match/);
  });

  it('with --no-wait counts starts: the workflows are left to the worker and complete afterwards', async () => {
    const taskQueue = uniqueQueue('nowait');
    const result = await runCli(['run', '--address', address, '--task-queue', taskQueue, '--total', '30', '--no-wait']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/wait=false/);
    expect(result.stdout).toMatch(/Batch scheduler completed\. Launched 30 workflows/);
    const runId = runIdOf(result.stdout);
    // No worker polls this queue: every started workflow is still running on the server.
    await eventually(async () => expect(await serverCounts(temporalCli, address, runId)).toEqual({ Running: 30 }));
    const worker = new CliProcess(['worker', '--address', address, '--task-queue', taskQueue]);
    await eventually(async () => expect(await serverCounts(temporalCli, address, runId)).toEqual({ Completed: 30 }), 30_000);
    worker.signal('SIGTERM');
    expect((await worker.exited).code).toBe(0);
  });
});
