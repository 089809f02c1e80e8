import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { BIN, CliProcess, emptyDir, eventually, runCli, runIdOf, serverCounts, uniqueQueue } from '../helpers/cli.js';

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

describe('output modes', () => {
  it('on a terminal, redraws a live status line; progress lines and the summary still print', async () => {
    const log = join(emptyDir(), 'tty.log');
    const command = `${process.execPath} ${BIN} run --address ${address} --task-queue ${uniqueQueue('tty')} --worker --total 60 --report-interval 0.5`;
    // `script` gives the CLI a pseudo-terminal, as a person's shell would.
    const result = await new Promise<number | null>((resolve) => {
      const child = spawn('script', ['-qfec', command, log], { stdio: 'ignore', env: { ...process.env, CI: '' } });
      child.on('close', resolve);
    });
    expect(result).toBe(0);
    const screen = readFileSync(log, 'utf8');
    expect(screen).toMatch(/⏱ \d+:\d\d \| in flight \d+ \| completed \d+\/60 \| failed 0 \| [\d.]+ wf\/s \| p99 /);
    expect(screen).toContain('\u001b['); // redrawn in place
    expect(screen).toMatch(/Concurrent: \d+ Workflows: \d+ Rate: /);
    expect(screen).toMatch(/Batch scheduler completed\. Launched 60 workflows/);
  });

  it('when stdout is not a terminal: plain lines, no escape codes', async () => {
    const result = await runCli(['run', '--address', address, '--task-queue', uniqueQueue('plain'), '--worker', '--total', '20', '--report-interval', '0.3']);
    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain('\u001b');
    expect(result.stdout).not.toContain('⏱');
  });

  it('--quiet prints only the end line and the summary', async () => {
    const result = await runCli(['run', '--address', address, '--task-queue', uniqueQueue('quiet'), '--worker', '--total', '20', '--report-interval', '0.2', '--quiet']);
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^Batch scheduler completed\. Launched 20 workflows/);
    expect(lines[1]).toMatch(/^Summary: /);
    expect(result.stdout).not.toMatch(/^(Starting|Concurrent)/m);
  });
});

describe('--drain-timeout and --on-stop', () => {
  it.each([
    ['terminate', 'Terminated', /, 3 terminated$/],
    ['leave', 'Running', /, left running \(--on-stop leave\)$/],
  ])('--on-stop %s: the run ends after the timeout; the workflows are %s on the server', async (onStop, status, message) => {
    // No worker on this queue: the three workflows can never finish.
    const result = await runCli(['run', '--address', address, '--task-queue', uniqueQueue(`drain-${onStop}`), '--total', '3',
      '--drain-timeout', '1s', '--on-stop', onStop]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`^Drain timed out after 1s: 3 workflows still running${message.source}`, 'm'));
    expect(result.stdout).toMatch(/^Batch scheduler completed\. Launched 3 workflows/m);
    const runId = runIdOf(result.stdout);
    await eventually(async () => expect(await serverCounts(temporalCli, address, runId)).toEqual({ [status]: 3 }));
    if (onStop === 'leave') await runCli(['cleanup', '--address', address, '--run-id', runId]);
  });
});

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
    const worker = new CliProcess(['worker', '--address', address, '--task-queue', uniqueQueue('early-worker')], { announceReady: true });
    await worker.waitUntilReady(); // still loading: nothing has connected yet
    worker.signal('SIGTERM');
    const result = await worker.exited;
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Worker stopped\. Activities executed: 0$/m);
  });

  it('a signal during start-up ends the run before any workflow starts', async () => {
    const cli = new CliProcess(['run', '--address', address, '--task-queue', uniqueQueue('early'), '--worker'], { announceReady: true });
    // The moment the process handles signals, it is still loading: no workflow can have started. (A fixed
    // sleep instead could end before Node has booted on a busy machine, and the signal would kill it.)
    await cli.waitUntilReady();
    cli.signal('SIGTERM');
    const result = await cli.exited;
    expect(result.code).toBe(130);
    expect(result.stdout).toMatch(/^Batch scheduler interrupted\. Launched 0 workflows in/m);
  });
});
