import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import type { RunResult } from '../../src/report/result.js';
import { emptyDir, eventually, runCli, serverCount, uniqueQueue } from '../helpers/cli.js';

const address = inject('temporalAddress');
const temporalCli = inject('temporalCli');

describe('several processes, one run (--run-id) and report --merge', () => {
  it('two processes share a run id without colliding; the merged result sums them and matches the server', async () => {
    const dir = emptyDir();
    const runId = `shared${Math.random().toString(36).slice(2, 8)}`;
    const taskQueue = uniqueQueue('shared');
    const one = (name: string) =>
      runCli(['run', '--address', address, '--task-queue', taskQueue, '--worker', '--run-id', runId, '--total', '25',
        '--concurrency', '5', '--report-interval', '0.5', '--verify', '--json', join(dir, `${name}.json`)]);
    const [a, b] = await Promise.all([one('a'), one('b')]);
    for (const result of [a, b]) {
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toMatch(/✓ counts match/); // each verifies its own shard
      expect(result.stderr).toMatch(new RegExp(`^Shared run ${runId}: this process's workflow ids start with sched-bench-${runId}-[0-9a-f]{6}-$`, 'm'));
    }
    await eventually(async () => expect(await serverCount(temporalCli, address, `WorkflowId STARTS_WITH "sched-bench-${runId}-" AND ExecutionStatus = "Completed"`)).toBe(50));

    const merged = await runCli(['report', '--merge', join(dir, 'a.json'), join(dir, 'b.json'), '--json', join(dir, 'merged.json'), '--html', join(dir, 'merged.html')]);
    expect(merged.code, merged.stderr).toBe(0);
    expect(merged.stdout).toMatch(new RegExp(`^Merged 2 results of run ${runId}$`, 'm'));
    expect(merged.stdout).toMatch(/^Summary: 50 launched, 50 started, 50 completed, 0 failed in /m);
    const result = JSON.parse(readFileSync(join(dir, 'merged.json'), 'utf8')) as RunResult;
    const parts = ['a', 'b'].map((name) => JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as RunResult);
    expect(result.latency.e2e.count).toBe(50);
    const slowest = Math.max(...parts.map((part) => part.latency.e2e.max));
    expect(Math.abs(result.latency.e2e.max - slowest)).toBeLessThanOrEqual(slowest * 0.001); // HDR keeps max to 0.1%
    expect(readFileSync(join(dir, 'merged.html'), 'utf8')).toContain(`sched-bench run ${runId}`);
  });

  it('report --merge needs two results', async () => {
    const result = await runCli(['report', '--merge', 'only.json'], { cwd: process.cwd() });
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toBe('sched-bench: report --merge needs at least two results');
  });
});
