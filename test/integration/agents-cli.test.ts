// `sched-bench agent` and `run|infinite --agents N` as a user runs them: separate agent processes, a separate
// `sched-bench worker` for the workflows, all against the real dev server; counts checked on the server.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { checkResult } from '../../src/report/read-result.js';
import type { RunResult } from '../../src/report/result.js';
import type { CoordinatorResult } from '../../workflows/coordinator-types.js';
import { CliProcess, emptyDir, eventually, expectOneLine, runCli, serverCount, serverCounts, uniqueQueue, workflowHistory } from '../helpers/cli.js';

const address = inject('temporalAddress');
const temporalCli = inject('temporalCli');

const readResult = (path: string): RunResult => checkResult(JSON.parse(readFileSync(path, 'utf8'))) as RunResult;
const resultSchema = JSON.parse(readFileSync(new URL('../../src/report/result.schema.json', import.meta.url), 'utf8'));
const validateResult = new Ajv({ allErrors: true, strictTypes: false }).compile(resultSchema);
/** The document as written, valid by the JSON Schema (its `slices` too). */
function readValidResult(path: string): RunResult {
  const raw: unknown = JSON.parse(readFileSync(path, 'utf8'));
  expect(validateResult(raw), JSON.stringify(validateResult.errors)).toBe(true);
  return checkResult(raw) as RunResult;
}

/** Three agents on their own control queue, and a worker for the load's task queue. */
class AgentPool {
  readonly control = uniqueQueue('control');
  readonly taskQueue = uniqueQueue('agents-load');
  readonly agents: CliProcess[] = [];
  private worker: CliProcess | undefined;

  async start(count: number): Promise<void> {
    this.worker = new CliProcess(['worker', '--address', address, '--task-queue', this.taskQueue]);
    for (let index = 0; index < count; index++) {
      this.agents.push(new CliProcess(['agent', '--address', address, '--control-task-queue', this.control, '--agent-name', `agent-${index}`]));
    }
    await this.worker.waitFor(/^Worker started/, 45_000);
    await Promise.all(this.agents.map((agent) => agent.waitFor(/^Agent agent-\d polling /, 45_000)));
  }

  /** The load options every run here shares. */
  args(...more: string[]): string[] {
    return this.argsEvery(1, ...more);
  }

  /** The same with another report interval (the heartbeat timeout is five of them, at least 10 s). */
  argsEvery(reportInterval: number, ...more: string[]): string[] {
    return ['--address', address, '--task-queue', this.taskQueue, '--control-task-queue', this.control, '--report-interval', String(reportInterval), ...more];
  }

  async stop(): Promise<void> {
    for (const process of [...this.agents, this.worker]) process?.signal('SIGTERM');
    await Promise.all([...this.agents, this.worker].map((process) => process?.exitedWithin(30_000).catch(() => undefined)));
  }
}

/** The coordinator's own result (the slices' documents), read with the SDK's client. */
async function coordinatorResult(runId: string): Promise<CoordinatorResult> {
  const connection = await Connection.connect({ address });
  try {
    return await new Client({ connection }).workflow.getHandle(`sched-bench-coordinator-${runId}`).result() as CoordinatorResult;
  } finally {
    await connection.close();
  }
}

describe('run|infinite --agents against three agent processes', () => {
  const pool = new AgentPool();
  beforeAll(async () => pool.start(3), 90_000);
  afterAll(async () => pool.stop(), 60_000);

  it('a batch of 300 over 3 agents: 100 each, 300 completed on the server, merged percentiles = report --merge of the slices', { timeout: 120_000 }, async () => {
    const dir = emptyDir();
    const json = join(dir, 'r.json');
    const result = await new CliProcess(['run', ...pool.args('--agents', '3', '--total', '300', '--concurrency', '15', '--json', json)]).exitedWithin(110_000);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^Batch scheduler completed\. Launched 300 workflows/m);
    expect(result.stdout).toMatch(/^Merged 3 slices of run \S+ from agents agent-\d, agent-\d, agent-\d$/m);
    const document = readResult(json);
    expect(document.counts).toMatchObject({ launched: 300, started: 300, completed: 300, failed: 0, inFlight: 0 });
    expect(document.exitCode).toBe(0);
    expect(document.config).toMatchObject({ agents: 3, totalWorkflows: 300 });
    await eventually(async () => expect(await serverCounts(temporalCli, address, document.runId)).toEqual({ Completed: 300 }));
    // Each agent ran one slice of 100.
    for (const agent of pool.agents) expect(agent.stdout).toMatch(new RegExp(`^Slice \\d ended: launched 100, completed 100, failed 0$`, 'm'));

    const coordinator = await coordinatorResult(document.runId);
    const finished = coordinator.outcomes.filter((outcome) => outcome.status === 'finished');
    expect(finished).toHaveLength(3);
    const files = finished.map((outcome, index) => {
      const file = join(dir, `slice-${index}.json`);
      writeFileSync(file, JSON.stringify(outcome.status === 'finished' ? outcome.result : null));
      return file;
    });
    const merged = join(dir, 'merged.json');
    const report = await runCli(['report', '--merge', ...files, '--json', merged]);
    expect(report.code, report.stderr).toBe(0);
    const byHand = readResult(merged);
    expect(document.latency.e2e).toEqual(byHand.latency.e2e);
    expect(document.latency.start).toEqual(byHand.latency.start);
    expect(document.counts).toEqual(byHand.counts);
  });

  it('infinite --agents 3 --rate 30 for 5 s: 150 started in all, each slice at 10/s', { timeout: 90_000 }, async () => {
    const json = join(emptyDir(), 'r.json');
    const result = await new CliProcess(['infinite', ...pool.args('--agents', '3', '--rate', '30', '--duration', '5s', '--no-wait', '--json', json)]).exitedWithin(80_000);
    expect(result.code, result.stderr).toBe(0);
    const document = readResult(json);
    // ±1% of 150, and the open loop's arrivals are exact: every slice sends rate × duration.
    expect(document.counts.started).toBeGreaterThanOrEqual(149);
    expect(document.counts.started).toBeLessThanOrEqual(151);
    expect(document.loadModel).toMatchObject({ kind: 'open', rate: 30 });
    await eventually(async () => expect(await serverCount(temporalCli, address, `WorkflowId STARTS_WITH "sched-bench-${document.runId}-"`)).toBe(document.counts.started));
  });

  it('SIGTERM mid-run: every agent drains and reports, exit 0, a valid interrupted JSON result', { timeout: 90_000 }, async () => {
    const json = join(emptyDir(), 'r.json');
    const cli = new CliProcess(['infinite', ...pool.args('--agents', '3', '--rate', '9', '--json', json)]);
    await cli.waitFor(/^Concurrent: \d+ Workflows: [1-9]/, 60_000);
    cli.signal('SIGTERM');
    const result = await cli.exitedWithin(60_000);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/^Received interrupt signal/m);
    const document = readResult(json);
    expect(document.interrupted).toBe(true);
    expect(document.counts.inFlight).toBe(0);
    expect(document.counts.completed).toBe(document.counts.launched);
    await eventually(async () => expect(await serverCounts(temporalCli, address, document.runId)).toEqual({ Completed: document.counts.completed }));
    for (const agent of pool.agents) expect(agent.stdout).toMatch(/^Slice \d stopped: launched \d+/m);
  });

  it('a threshold is judged on the merged result: exit 99', { timeout: 90_000 }, async () => {
    const result = await new CliProcess(['run', ...pool.args('--agents', '3', '--total', '9', '--threshold', 'e2e.p99<1ms')]).exitedWithin(80_000);
    expect(result.code, result.stderr).toBe(99);
    expect(result.stdout).toMatch(/✗ e2e\.p99<1ms/);
  });
});

describe('--agents: what cannot run', () => {
  it('no agents polling: one line after --agent-wait, exit 1', { timeout: 60_000 }, async () => {
    const control = uniqueQueue('nobody');
    const result = await runCli(['run', '--address', address, '--agents', '2', '--total', '4', '--control-task-queue', control, '--agent-wait', '2s']);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n').at(-1)).toBe(`sched-bench: 2 agents needed, 0 polling on ${control} in default after 2s`);
  });

  it.each([
    [['--agents', '0'], /^sched-bench: invalid value "0" for --agents: expected an integer ≥ 1/],
    [['--agents', '3', '--concurrency', '2'], /^sched-bench: --concurrency 2 cannot be split among 3 agents: each needs at least one slot$/],
    [['--agents', '3', '--total', '2'], /^sched-bench: --total 2 cannot be split among 3 agents: each needs at least one workflow$/],
    [['--agents', '2', '--dev-server'], /^sched-bench: --dev-server with --agents: the agents cannot reach a private dev server/],
    [['--agents', '2', '--worker'], /^sched-bench: --worker with --agents: run `sched-bench worker` beside the agents$/],
  ])('%j: one line, exit 2, before anything waits', async (args, pattern) => {
    const result = await runCli(['run', '--address', '127.0.0.1:1', ...args]);
    expect(result.code).toBe(2);
    expectOneLine(result, pattern);
  });
});

describe('an agent killed mid-run', () => {
  const pool = new AgentPool();
  beforeAll(async () => pool.start(3), 90_000);
  afterAll(async () => pool.stop(), 60_000);

  it('is reported lost with its last counts, the others finish, exit 1; the result counts only what the finished agents did', { timeout: 120_000 }, async () => {
    const json = join(emptyDir(), 'r.json');
    const cli = new CliProcess(['infinite', ...pool.args('--agents', '3', '--rate', '9', '--duration', '15s', '--json', json)]);
    await cli.waitFor(/^Concurrent: \d+ Workflows: [1-9]/, 60_000);
    const victim = pool.agents[1]!;
    await victim.waitFor(/^Slice \d \(shard /);
    const shard = /^Slice \d \(shard (\S+)\)/m.exec(victim.stdout)![1]!;
    victim.signal('SIGKILL');
    const result = await cli.exitedWithin(100_000);
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`^Lost agent agent-1 \\(slice \\d, shard ${shard}\\): .*heartbeat.*; last heard: launched \\d+, completed \\d+`, 'm'));
    const document = readValidResult(json);
    expect(document.exitCode).toBe(1);
    // The two finished slices: 15 s at 3/s each.
    expect(document.counts.started).toBe(90);
    // Every slice's outcome is in the document, the lost one with its last heartbeat's counts.
    expect(document.slices!.map((slice) => [slice.shard, slice.status])).toEqual(['s0', 's1', 's2'].map((each) => [each, each === shard ? 'lost' : 'finished']));
    const lost = document.slices!.find((slice) => slice.status === 'lost')!;
    expect(lost).toMatchObject({ agent: 'agent-1', reason: expect.stringMatching(/heartbeat/), counts: { launched: expect.any(Number), completed: expect.any(Number) } });
    for (const finished of document.slices!.filter((slice) => slice.status === 'finished')) {
      expect(finished).toMatchObject({ reason: null, counts: { started: 45, completed: 45, inFlight: 0 } });
    }
    const finishedShards = ['s0', 's1', 's2'].filter((candidate) => candidate !== shard);
    await eventually(async () => {
      const counts = await Promise.all(finishedShards.map((finished) =>
        serverCount(temporalCli, address, `WorkflowId STARTS_WITH "sched-bench-${document.runId}-${finished}-"`)));
      expect(counts[0]! + counts[1]!).toBe(document.counts.started);
    });
  });
});

describe('every agent killed mid-run', () => {
  const pool = new AgentPool();
  beforeAll(async () => pool.start(3), 90_000);
  afterAll(async () => pool.stop(), 60_000);

  it('the run ends by itself: the coordinator terminated, the finished slice merged, the others lost with their last counts, exit 1', { timeout: 150_000 }, async () => {
    const json = join(emptyDir(), 'r.json');
    // Heartbeat timeout 20 s (five intervals of 4 s): the kept agent's 6 s slice ends well before the others are lost.
    const cli = new CliProcess(['infinite', ...pool.argsEvery(4, '--agents', '3', '--rate', '6', '--duration', '6s', '--agent-wait', '3s', '--json', json)]);
    const workflowId = /Coordinator (\S+): 3 slices/.exec(await cli.waitFor(/^Coordinator \S+: 3 slices/, 60_000))![1]!;
    // Each agent's first heartbeat comes as its slice begins, the next up to 10 s later: kill two of them between.
    await Promise.all(pool.agents.map((agent) => agent.waitFor(/^Slice \d \(shard /, 60_000)));
    await sleep(2000);
    const startedAt = Date.now();
    pool.agents[0]!.signal('SIGKILL');
    pool.agents[1]!.signal('SIGKILL');
    // The kept agent finishes its slice and the server records it; then it dies too, before the others' losses.
    await pool.agents[2]!.waitFor(/^Slice \d ended: /, 30_000);
    await eventually(async () => {
      const events = (await workflowHistory(temporalCli, address, workflowId)).map((event) => event.eventType);
      expect(events).toContain('EVENT_TYPE_ACTIVITY_TASK_COMPLETED');
    });
    pool.agents[2]!.signal('SIGKILL');
    const result = await cli.exitedWithin(100_000);
    // heartbeat timeout (20 s) + the watchdog's 10 s floor (the agent wait is 3 s) + slack
    expect(Date.now() - startedAt).toBeLessThan(75_000);
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toMatch(/^sched-bench: No agent is running the coordinator for 10s: every agent is gone; /m);
    expect(result.stderr.match(/^Lost agent agent-[01] \(slice \d, shard s\d\): .*; last heard: launched \d+, completed \d+/gm)).toHaveLength(2);
    expect(result.stdout).toMatch(/^Merged 1 slices of run \S+ from agents agent-2$/m);
    const document = readValidResult(json);
    expect(document.exitCode).toBe(1);
    expect(document.counts.started).toBe(12); // the finished slice: 6 s at 2/s
    expect(document.slices!.map((slice) => slice.status).sort()).toEqual(['finished', 'lost', 'lost']);
    expect(document.slices!.find((slice) => slice.status === 'finished')).toMatchObject({ agent: 'agent-2', counts: { started: 12 } });
    for (const lost of document.slices!.filter((slice) => slice.status === 'lost')) expect(lost.counts).not.toBeNull();
    expect(await serverCount(temporalCli, address, `WorkflowId = "${workflowId}" AND ExecutionStatus = "Terminated"`)).toBe(1);
  });
});

describe('--on-agent-loss rerun', () => {
  const pool = new AgentPool();
  beforeAll(async () => pool.start(3), 90_000);
  afterAll(async () => pool.stop(), 60_000);

  it('a batch whose agent is killed: the rerun counts the lost shard on the server and the server gets exactly --total', { timeout: 150_000 }, async () => {
    const json = join(emptyDir(), 'r.json');
    const cli = new CliProcess(['run', ...pool.args('--agents', '3', '--total', '540', '--rate', '90', '--on-agent-loss', 'rerun', '--json', json)]);
    const victim = pool.agents[1]!;
    await victim.waitFor(/^Slice \d \(shard /, 60_000);
    const shard = /^Slice \d \(shard (\S+)\)/m.exec(victim.stdout)![1]!;
    // Well into its slice (180 at 30/s): an agent heartbeats once a second, so it launched some (~15) after the
    // last heartbeat the server has; the remainder computed from that heartbeat would launch them again.
    await sleep(2500);
    victim.signal('SIGKILL');
    const result = await cli.exitedWithin(120_000);
    expect(result.code, result.stderr).toBe(1); // a loss, even rerun, fails the run
    const document = readValidResult(json);
    await eventually(async () => expect(await serverCounts(temporalCli, address, document.runId)).toEqual({ Completed: 540 }));
    const lostOnServer = await serverCount(temporalCli, address, `WorkflowId STARTS_WITH "sched-bench-${document.runId}-${shard}-"`);
    expect(document.counts.started + lostOnServer).toBe(540);
    expect(result.stderr).toMatch(new RegExp(`^Slice \\d rerun \\(shard ${shard}r1\\) on agent agent-[02]: counted on the server: .*so this rerun launches ${180 - lostOnServer}$`, 'm'));
    const statuses = document.slices!.map((slice) => [slice.shard, slice.status]);
    expect(statuses).toContainEqual([shard, 'lost']);
    expect(statuses).toContainEqual([`${shard}r1`, 'finished']);
    expect(document.slices!.find((slice) => slice.shard === `${shard}r1`)!.reason).toMatch(new RegExp(`^counted on the server: .* started ${lostOnServer} of the slice's 180 workflows`));
  });
});
