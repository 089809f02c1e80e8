import { describe, expect, inject, it } from 'vitest';
import { CliProcess, eventually, runIdOf, serverCounts, uniqueQueue } from '../helpers/cli.js';

const address = inject('temporalAddress');
const temporalCli = inject('temporalCli');

async function expectNothingRunning(runId: string): Promise<Record<string, number>> {
  return eventually(async () => {
    const counts = await serverCounts(temporalCli, address, runId);
    expect(counts.Running ?? 0).toBe(0);
    return counts;
  });
}

function finalCount(stdout: string, pattern: RegExp): number {
  const match = pattern.exec(stdout);
  if (!match) throw new Error(`no end line in:\n${stdout}`);
  return Number(match[1]);
}

describe('signals against a real dev server', () => {
  it('SIGTERM ends an infinite run: drain, end line, exit 0, no workflow left running', async () => {
    const cli = new CliProcess([
      'infinite', '--address', address, '--task-queue', uniqueQueue('sigterm'), '--worker',
      '--concurrency', '5', '--report-interval', '0.5',
    ]);
    await cli.waitFor(/^Concurrent: \d+ Workflows: [1-9]\d* Rate:/);
    cli.signal('SIGTERM');
    const result = await cli.exited;
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/^Received interrupt signal, stopping scheduler\.\.\.$/m);
    const total = finalCount(result.stdout, /^Scheduler stopped\. Total workflows: (\d+), Runtime: \d+\.\d\ds, Average rate: \d+\.\d\d wf\/s$/m);
    expect(total).toBeGreaterThan(0);
    const counts = await expectNothingRunning(runIdOf(result.stdout));
    expect(counts).toEqual({ Completed: total });
  });

  it('SIGINT interrupts a batch: drain, "interrupted" end line, exit 130, no workflow left running', async () => {
    const cli = new CliProcess([
      'run', '--address', address, '--task-queue', uniqueQueue('sigint'), '--worker', '--total', '100000',
      '--concurrency', '5', '--report-interval', '0.5',
    ]);
    await cli.waitFor(/^Concurrent: \d+ Workflows: [1-9]\d* Rate:/);
    cli.signal('SIGINT');
    const result = await cli.exited;
    expect(result.code).toBe(130);
    expect(result.stderr).toMatch(/^Waiting for \d+ running workflows to complete\.\.\.$/m);
    const launched = finalCount(result.stdout, /^Batch scheduler interrupted\. Launched (\d+) workflows in \d+\.\d\ds, final rate: \d+\.\d\d wf\/s$/m);
    expect(launched).toBeLessThan(100000);
    const counts = await expectNothingRunning(runIdOf(result.stdout));
    expect(counts).toEqual({ Completed: launched });
  });

  it('a second signal exits at once with exit 130 and still prints the end line', async () => {
    // No worker polls this queue: the drain after the first signal would wait for ever.
    const cli = new CliProcess([
      'infinite', '--address', address, '--task-queue', uniqueQueue('second'), '--concurrency', '3',
      '--report-interval', '0.5',
    ]);
    await cli.waitFor(/^Concurrent: 3 /);
    cli.signal('SIGINT');
    await cli.waitFor(/^Waiting for 3 running workflows to complete\.\.\.$/);
    cli.signal('SIGINT');
    const result = await cli.exited;
    expect(result.code).toBe(130);
    expect(result.stdout).toMatch(/^Scheduler stopped\. Total workflows: 0, Runtime: \d+\.\d\ds, Average rate: 0\.00 wf\/s$/m);
    expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('`sched-bench worker` stopped by SIGTERM while it starts up exits 0 without serving', async () => {
    const worker = new CliProcess(['worker', '--address', address, '--task-queue', uniqueQueue('early-worker')]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    worker.signal('SIGTERM');
    const result = await worker.exited;
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Worker stopped\. Activities executed: 0$/m);
  });

  it('a signal during start-up ends the run before any workflow starts', async () => {
    const cli = new CliProcess(['run', '--address', address, '--task-queue', uniqueQueue('early'), '--worker']);
    // The worker bundles its workflow code at start-up, which leaves time for the signal to land first.
    await new Promise((resolve) => setTimeout(resolve, 300));
    cli.signal('SIGTERM');
    const result = await cli.exited;
    expect(result.code).toBe(130);
    expect(result.stdout).toMatch(/^Batch scheduler interrupted\. Launched 0 workflows in/m);
  });
});
