import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import type { RunResult } from '../../src/report/result.js';
import { CliProcess, emptyDir, runCli, uniqueQueue } from '../helpers/cli.js';
import { freePortPair } from '../helpers/ports.js';

const address = inject('temporalAddress');

async function scrape(port: number): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`);
  expect(response.status).toBe(200);
  return response.text();
}

function value(text: string, name: string, runId: string): number {
  const match = new RegExp(`^${name}\\{[^}]*run_id="${runId}"[^}]*\\} (\\S+)$`, 'm').exec(text);
  if (!match) throw new Error(`${name} not in:\n${text}`);
  return Number(match[1]);
}

describe('Prometheus metrics (--metrics-port)', () => {
  it('serves the same counts the run reports, and the SDK metrics on the next port', async () => {
    const port = await freePortPair();
    const json = join(emptyDir(), 'r.json');
    // No worker on this queue: the counts stand still, so the scrape and the result can be compared exactly.
    const cli = new CliProcess(['infinite', '--address', address, '--task-queue', uniqueQueue('metrics-still'), '--concurrency', '4',
      '--report-interval', '0.3', '--metrics-port', String(port), '--json', json]);
    await cli.waitFor(/^Concurrent: 4 /);
    const runId = /runId=(\S+)/.exec(cli.stdout)![1]!;
    const text = await scrape(port);
    const served = {
      launched: value(text, 'sched_bench_workflows_launched_total', runId),
      started: value(text, 'sched_bench_workflows_started_total', runId),
      completed: value(text, 'sched_bench_workflows_completed_total', runId),
      inFlight: value(text, 'sched_bench_workflows_in_flight', runId),
    };
    expect(value(text, 'sched_bench_start_latency_seconds_count', runId)).toBe(4);
    expect(value(text, 'sched_bench_concurrency', runId)).toBe(4);
    const sdk = await (await fetch(`http://127.0.0.1:${port + 1}/metrics`)).text();
    expect(sdk).toMatch(/^temporal_request_latency_seconds_count\{[^}]*operation="StartWorkflowExecution"[^}]*\} 4$/m);

    cli.signal('SIGINT');
    await cli.waitFor(/^Waiting for 4 running workflows/);
    cli.signal('SIGINT');
    expect((await cli.exited).code).toBe(130);
    const result = JSON.parse(readFileSync(json, 'utf8')) as RunResult;
    expect(served).toEqual({
      launched: result.counts.launched, started: result.counts.started, completed: result.counts.completed, inFlight: result.counts.inFlight,
    });
    expect(served).toEqual({ launched: 4, started: 4, completed: 0, inFlight: 4 });
  });

  it('counts go up during a live run and never past the final result; e2e latencies are observed', async () => {
    const port = await freePortPair();
    const json = join(emptyDir(), 'r.json');
    const cli = new CliProcess(['run', '--address', address, '--task-queue', uniqueQueue('metrics-live'), '--worker', '--total', '60',
      '--concurrency', '4', '--report-interval', '0.3', '--metrics-port', String(port), '--json', json]);
    await cli.waitFor(/^Concurrent: \d+ Workflows: [1-9]/);
    const runId = /runId=(\S+)/.exec(cli.stdout)![1]!;
    const first = await scrape(port);
    await new Promise((resolve) => setTimeout(resolve, 400));
    const second = await scrape(port).catch(() => first); // the run may have ended meanwhile
    expect((await cli.exited).code).toBe(0);
    const result = JSON.parse(readFileSync(json, 'utf8')) as RunResult;
    const completed = [first, second].map((text) => value(text, 'sched_bench_workflows_completed_total', runId));
    expect(completed[0]).toBeGreaterThan(0);
    expect(completed[1]).toBeGreaterThanOrEqual(completed[0]!);
    expect(completed[1]).toBeLessThanOrEqual(result.counts.completed);
    expect(value(first, 'sched_bench_e2e_latency_seconds_count', runId)).toBeGreaterThan(0);
  });

  it('a port already in use is a usage error (exit 2, one line)', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '0.0.0.0', resolve));
    const { port } = blocker.address() as { port: number };
    try {
      const result = await runCli(['run', '--address', address, '--task-queue', uniqueQueue('metrics-busy'), '--worker', '--total', '1', '--metrics-port', String(port)]);
      expect(result.code).toBe(2);
      expect(result.stderr.trim().split('\n').at(-1)).toMatch(new RegExp(`^sched-bench: cannot serve metrics on --metrics-port ${port}: EADDRINUSE$`));
      // Found before anything waits on a server: the same with an address where nothing listens.
      const unreachable = await runCli(['run', '--address', '127.0.0.1:1', '--total', '1', '--metrics-port', String(port)]);
      expect(unreachable.code).toBe(2);
      expect(unreachable.stderr.trim()).toBe(`sched-bench: cannot serve metrics on --metrics-port ${port}: EADDRINUSE`);
    } finally {
      blocker.close();
    }
  });

  it("the next port (the SDK's) in use is a usage error too, told in one line before any connection", async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '0.0.0.0', resolve));
    const { port } = blocker.address() as { port: number };
    try {
      const result = await runCli(['run', '--address', '127.0.0.1:1', '--total', '1', '--metrics-port', String(port - 1)]);
      expect(result.code).toBe(2);
      expect(result.stderr.trim()).toMatch(new RegExp(`^sched-bench: cannot serve the SDK's metrics on port ${port} \\(--metrics-port \\+ 1\\): .*Address already in use`));
    } finally {
      blocker.close();
    }
  });
});
