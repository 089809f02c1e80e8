import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { CliProcess, emptyDir, expectOneLine, runCli, runIdOf, serverCounts, uniqueQueue } from '../helpers/cli.js';
import { freePortPair } from '../helpers/ports.js';

const address = inject('temporalAddress');
const temporalCli = inject('temporalCli');

describe('workload options the CLI refuses: exit 2, one line, before anything starts', () => {
  // An address nobody listens on: a refusal must come before any connection attempt.
  const nowhere = ['--address', 'localhost:1'];
  const cases: Array<{ args: string[]; env?: Record<string, string>; names: RegExp }> = [
    { args: ['run', '--workload', 'signals'], names: /"signals" for --workload: expected echo, signal,/ },
    { args: ['run', '--workload', 'update', '--signals', '2'], names: /--signals applies to --workload signal or --workload signal-with-start .*not to --workload update/ },
    { args: ['infinite', '--workload', 'timer', '--payload-size', '100'], names: /--payload-size applies to --workload echo .*not to --workload timer/ },
    { args: ['run', '--mix', 'echo=1,signal=1'], names: /--mix needs --workload mix/ },
    { args: ['run', '--workload', 'mix'], names: /--workload mix needs --mix/ },
    { args: ['run', '--workload', 'mix', '--mix', 'echo=1,mix=2'], names: /mix cannot be a part of a mix/ },
    { args: ['run', '--workload', 'mix', '--mix', 'echo=1,echo=2'], names: /echo is there twice/ },
    { args: ['run', '--workload', 'mix', '--mix', 'echo=0'], names: /a weight ≥ 1/ },
    { args: ['run', '--workload', 'mix', '--mix', 'nope=1'], names: /"nope" is none/ },
    { args: ['run', '--workload', 'signal', '--workflow-type', 'OrderWorkflow'], names: /--workflow-type .* does not go with --workload signal/ },
    { args: ['run', '--workload', 'update-with-start', '--start-delay', '5s'], names: /--start-delay applies to --workload echo \(or --workflow-type\) only, not to --workload update-with-start: / },
    { args: ['infinite', '--workload', 'signal'], env: { SCHEDULER_START_DELAY: '1s' }, names: /--start-delay applies to .*not to --workload signal: the delay would count in its operation latencies/ },
    { args: ['run', '--workload', 'child', '--children', '2500'], names: /"2500" for --children: expected an integer from 1 to 1000 / },
    { args: ['run', '--workload', 'signal', '--message', 'hello'], names: /--message applies to --workload echo .*not to --workload signal/ },
    { args: ['run', '--workflow-type', 'OrderWorkflow', '--count', '3'], names: /--count applies to the built-in EchoWorkflow only, not to --workflow-type OrderWorkflow/ },
    { args: ['run', '--history-sample', '2'], names: /"2" for --history-sample: expected a fraction from 0 to 1/ },
    { args: ['run'], env: { SCHEDULER_WORKLOAD: 'query', SCHEDULER_UPDATES: '2' }, names: /--updates applies to .*not to --workload query/ },
    { args: ['run', '--threshold', 'update.accepted.p99<200ms'], names: /^sched-bench: --threshold: bad threshold "update.accepted.p99<200ms": run does not measure/ },
    { args: ['worker', '--workload', 'signal'], names: /unknown option '--workload'/ },
  ];
  for (const { args, env, names } of cases) {
    it(`${args.join(' ')}${env ? ` with ${JSON.stringify(env)}` : ''}`, async () => {
      const result = await runCli([...args, ...nowhere], env ? { env } : {});
      expect(result.code, result.stderr).toBe(2);
      expectOneLine(result, names);
    });
  }
});

async function scrape(port: number): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`);
  expect(response.status).toBe(200);
  return response.text();
}

/** The value of a Prometheus sample whose labels include `task_queue="<queue>"`; undefined when absent. */
function sample(text: string, name: string, queue: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${name}{`) && candidate.includes(`task_queue="${queue}"`));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('sched-bench worker --metrics-port', () => {
  it("serves its own metrics on the port and the SDK's worker metrics (schedule-to-start latencies) on the next", async () => {
    const port = await freePortPair();
    const taskQueue = uniqueQueue('worker-metrics');
    const worker = new CliProcess(['worker', '--address', address, '--task-queue', taskQueue, '--metrics-port', String(port)]);
    try {
      await worker.waitFor(/^Worker started: /, 60_000);
      expect(worker.stdout).toContain(`http://localhost:${port}/metrics`);
      const load = await runCli(['run', '--address', address, '--task-queue', taskQueue, '--total', '6', '--concurrency', '3', '--count', '2', '--quiet']);
      expect(load.code, load.stderr).toBe(0);

      const own = await scrape(port);
      expect(sample(own, 'sched_bench_worker_activities_total', taskQueue)).toBe(12);
      expect(sample(own, 'sched_bench_worker_instances', taskQueue)).toBe(1);
      expect(sample(own, 'sched_bench_worker_workflow_slots', taskQueue)).toBeGreaterThan(0);

      const sdk = await scrape(port + 1);
      // Each workflow has at least two workflow tasks (the start, then after its activities) and two activities.
      expect(sample(sdk, 'temporal_workflow_task_schedule_to_start_latency_seconds_count', taskQueue)).toBeGreaterThanOrEqual(6);
      expect(sample(sdk, 'temporal_activity_schedule_to_start_latency_seconds_count', taskQueue)).toBe(12);
      expect(sample(sdk, 'temporal_workflow_task_schedule_to_start_latency_seconds_sum', taskQueue)).toBeGreaterThanOrEqual(0);
      expect(sdk).toMatch(/^temporal_worker_task_slots_available\{/m);
    } finally {
      worker.child.kill('SIGTERM');
    }
    const stopped = await worker.exited;
    expect(stopped.code, stopped.stderr).toBe(0);
    expect(stopped.stdout).toContain('Worker stopped. Activities executed: 12');
  });

  it.each([
    ['the port', 0, (port: number) => new RegExp(`^sched-bench: cannot serve metrics on --metrics-port ${port}: EADDRINUSE$`)],
    ["the SDK's port (+ 1)", 1, (port: number) => new RegExp(`^sched-bench: cannot serve the SDK's metrics on port ${port + 1} \\(--metrics-port \\+ 1\\): .*in use`)],
  ] as const)('%s in use is exit 2 with one line, before any connection', async (_what, offset, message) => {
    const port = await freePortPair();
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(port + offset, '0.0.0.0', resolve));
    try {
      // An address nobody listens on: the port is checked before connecting.
      const result = await runCli(['worker', '--address', 'localhost:1', '--task-queue', uniqueQueue('busy-port'), '--metrics-port', String(port)]);
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr.trimEnd().split('\n'), result.stderr).toHaveLength(1);
      expect(result.stderr.trimEnd()).toMatch(message(port));
    } finally {
      holder.close();
    }
  });
});


/** An operation's sample count in the JSON result, wherever the result keeps the operations' summaries. */
function operationCount(result: Record<string, unknown>, operation: string): number | undefined {
  const operations = result.operations as Record<string, { count?: number; summary?: { count?: number } }> | undefined;
  const found = operations?.[operation];
  return found?.count ?? found?.summary?.count;
}

describe('workloads end to end through the CLI (embedded worker on a private dev server)', () => {
  it('run --dev-server --workload signal --signals 2 --total 5: 5 workflows, 2 signals each, handled latencies from the history', async () => {
    const json = join(emptyDir(), 'signal.json');
    const result = await runCli(['run', '--dev-server', '--workload', 'signal', '--signals', '2', '--total', '5', '--concurrency', '5', '--json', json]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('signal.handled');
    const saved = JSON.parse(readFileSync(json, 'utf8')) as Record<string, unknown>;
    expect(operationCount(saved, 'signal.sent')).toBe(10);
    expect(operationCount(saved, 'signal.handled')).toBe(10);
  }, 180_000);

  it('run --workload update-with-start against the shared server with --worker: 3 updates each, accepted and completed', async () => {
    const json = join(emptyDir(), 'update.json');
    const result = await runCli(['run', '--address', address, '--task-queue', uniqueQueue('update-cli'), '--worker', '--workload', 'update-with-start',
      '--updates', '3', '--total', '4', '--concurrency', '2', '--json', json]);
    expect(result.code, result.stderr).toBe(0);
    const saved = JSON.parse(readFileSync(json, 'utf8')) as Record<string, unknown>;
    expect(operationCount(saved, 'update.accepted')).toBe(12);
    expect(operationCount(saved, 'update.completed')).toBe(12);
    expect(await serverCounts(temporalCli, address, runIdOf(result.stdout))).toEqual({ Completed: 4 });
  }, 180_000);

  it('cleanup --run-id removes every execution a workload made: children and continued-as-new runs too', async () => {
    const taskQueue = uniqueQueue('cleanup-workloads');
    const runIds: string[] = [];
    for (const args of [['--workload', 'child', '--children', '2'], ['--workload', 'continue-as-new', '--iterations', '2']]) {
      const result = await runCli(['run', '--address', address, '--task-queue', taskQueue, '--worker', ...args, '--total', '3', '--concurrency', '3']);
      expect(result.code, result.stderr).toBe(0);
      runIds.push(runIdOf(result.stdout));
    }
    expect(await serverCounts(temporalCli, address, runIds[0]!)).toEqual({ Completed: 9 }); // 3 parents, 6 children
    expect(await serverCounts(temporalCli, address, runIds[1]!)).toEqual({ Completed: 3, ContinuedAsNew: 6 });
    for (const runId of runIds) {
      const cleanup = await runCli(['cleanup', '--address', address, '--run-id', runId]);
      expect(cleanup.code, cleanup.stderr).toBe(0);
      // Every execution is the run's: the children (their parent's memo) and each continued-as-new run.
      expect(cleanup.stdout).toMatch(/^Found 9 workflows of run \S+ \(0 running, 9 closed\)$/m);
      expect(cleanup.stdout).toMatch(/^Cleanup: deleted 9 workflows/m);
    }
    // The dev server deletes asynchronously, and its visibility follows later still (seen: ~35 s).
    for (const runId of runIds) {
      await expect.poll(() => serverCounts(temporalCli, address, runId), { timeout: 120_000, interval: 1000 }).toEqual({});
    }
  }, 300_000);
});
