// `sched-bench capacity --agents 2` as a user runs it: two agent processes generate each step's load, a
// separate `sched-bench worker` is the limit (one activity slot, 400 ms activities: about 2.5 wf/s), all
// against the real dev server; every step's counts checked on the server.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { CapacityRunDocument } from '../../src/report/capacity-result.js';
import { CliProcess, emptyDir, eventually, expectOneLine, runCli, serverCount, uniqueQueue } from '../helpers/cli.js';

const address = inject('temporalAddress');
const temporalCli = inject('temporalCli');

const readDocument = (path: string): CapacityRunDocument => JSON.parse(readFileSync(path, 'utf8')) as CapacityRunDocument;

/** Two agents on their own control queue, and a worker of one activity slot for the load's task queue. */
class LimitedAgents {
  readonly control = uniqueQueue('capacity-control');
  readonly taskQueue = uniqueQueue('capacity-agents');
  readonly processes: CliProcess[] = [];
  agents: CliProcess[] = [];

  constructor(private readonly name = 'cap-agent') {}

  async start(): Promise<void> {
    const worker = new CliProcess(['worker', '--address', address, '--task-queue', this.taskQueue, '--activity-slots', '1']);
    this.agents = [0, 1].map((index) => new CliProcess(['agent', '--address', address, '--control-task-queue', this.control, '--agent-name', `${this.name}-${index}`]));
    this.processes.push(worker, ...this.agents);
    await worker.waitFor(/^Worker started/, 45_000);
    await Promise.all(this.agents.map((agent) => agent.waitFor(new RegExp(`^Agent ${this.name}-\\d polling `), 45_000)));
  }

  /** The capacity options every search here shares (400 ms activities unless `more` says otherwise). */
  args(...more: string[]): string[] {
    const delay = more.includes('--activity-delay') ? [] : ['--activity-delay', '400'];
    return ['capacity', '--address', address, '--task-queue', this.taskQueue, '--control-task-queue', this.control, '--agents', '2', ...delay, ...more];
  }

  async stop(): Promise<void> {
    for (const process of this.processes) process.signal('SIGTERM');
    await Promise.all(this.processes.map((process) => process.exitedWithin(30_000).catch(() => undefined)));
  }
}

describe('capacity --agents 2 against two agent processes and a limited worker', () => {
  const pool = new LimitedAgents();
  beforeAll(async () => pool.start(), 90_000);
  afterAll(async () => pool.stop(), 60_000);

  it('finds a capacity in a plausible band; every step\'s counts match the server\'s', { timeout: 150_000 }, async () => {
    // The SLO leaves room: a one-slot worker of 400 ms activities answers in about 0.5–1 s at 1 wf/s, but on
    // a loaded 2-core machine its p99 has reached 2.1 s. The capacity found must still lie in the 1–4 wf/s band.
    const dir = emptyDir();
    const json = join(dir, 'capacity.json');
    const result = await new CliProcess(pool.args(
      '--slo', 'e2e.p99<3s', '--start-rate', '1', '--step-duration', '3s', '--precision', '0.5', '--max-rate', '4', '--max-duration', '100s',
      '--expect', '>=1', '--json', json,
    )).exitedWithin(140_000);

    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
    expect(result.stdout).toMatch(/^Starting capacity search: slo=e2e\.p99<3s startRate=1 .* agents=2 controlTaskQueue=\S+ .*runId=\S+$/m);
    expect(result.stderr).toMatch(/^Agents polling: cap-agent-\d, cap-agent-\d$/m);
    expect(result.stderr).toMatch(/^Step 1: coordinator sched-bench-coordinator-\S+-step1, 2 slices \(shards s0, s1\)$/m);
    expect(result.stdout).toMatch(/^Step 1 \(growth\): target 1 wf\/s, achieved 1(\.\d+)? wf\/s, e2e p50 \S+ p99 \S+, failed 0: ✓ pass$/m);
    expect(result.stdout).toMatch(/^✓ expect capacity >=1: (at least )?\d+(\.\d+)? wf\/s$/m);

    const document = readDocument(json);
    expect(document).toMatchObject({ command: 'capacity', interrupted: false, exitCode: 0, expectation: { expression: '>=1', met: true } });
    expect(['found', 'max-rate']).toContain(document.stopReason);
    // the worker finishes about 2.5 wf/s: the capacity found lies between the start rate and the max rate
    expect(document.answer.capacity!).toBeGreaterThanOrEqual(1);
    expect(document.answer.capacity!).toBeLessThanOrEqual(4);
    expect(document.steps.length).toBeGreaterThanOrEqual(2);
    expect(document.config).toMatchObject({ agents: 2 });
    for (const step of document.steps) {
      const stepNumber = step.index + 1;
      expect(step.latency.e2e!.count, `step ${stepNumber}`).toBe(step.counts.completed);
      expect(step.counts.unfinished, `step ${stepNumber}`).toBe(0);
      // no warm-up: every start of the step is measured, and the server knows each one of them, no more
      await eventually(async () => {
        const onServer = await serverCount(temporalCli, address, `WorkflowId STARTS_WITH "sched-bench-${document.runId}-step${stepNumber}-"`);
        expect(onServer, `step ${stepNumber}`).toBe(step.counts.started);
      });
    }
  });

  it('a cap filled by slow workflows on the agents fails the step (the server did not keep up), never client-limited', { timeout: 90_000 }, async () => {
    // One activity slot of 1 s: about 1 wf/s finishes; past it the 4 slots of --concurrency (2 per agent) fill and hold arrivals back.
    const dir = emptyDir();
    const json = join(dir, 'capacity.json');
    const result = await new CliProcess(pool.args(
      '--activity-delay', '1000', '--concurrency', '4', '--slo', 'e2e.p99<8s', '--start-rate', '0.5', '--step-duration', '4s', '--precision', '0.5',
      '--max-duration', '45s', '--json', json,
    )).exitedWithin(80_000);
    const document = readDocument(json);
    expect(document.steps.filter((step) => step.verdict === 'client-limited'), result.stdout).toEqual([]);
    const capped = document.steps.find((step) => step.counts.heldByCap > 0);
    expect(capped, result.stdout).toBeDefined();
    expect(capped!.verdict).toBe('fail');
    expect(capped!.brokenBy.at(-1)).toMatch(/^in flight reached the cap of 4 \(\d+ arrivals? held back\): the server did not keep up$/);
    expect(result.code, result.stderr).toBe(0);
  });

  it('SIGINT mid-step: the agents drain, the step is cut short, the steps so far are printed and written, exit 130', { timeout: 90_000 }, async () => {
    const dir = emptyDir();
    const json = join(dir, 'capacity.json');
    const search = new CliProcess(pool.args('--slo', 'e2e.p99<5s', '--start-rate', '1', '--step-duration', '4s', '--json', json), { announceReady: true });
    await search.waitUntilReady();
    await search.waitFor(/^Step 2: coordinator /, 60_000);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    search.signal('SIGINT');
    const result = await search.exitedWithin(60_000);
    expect(result.code, result.stderr).toBe(130);
    expect(result.stdout).toMatch(/^ {2}1 +growth +1 +/m);
    expect(result.stdout).toMatch(/^Capacity: at least 1 wf\/s/m);
    const document = readDocument(json);
    expect(document).toMatchObject({ interrupted: true, stopReason: 'interrupted', exitCode: 130 });
    expect(document.steps.map((step) => [step.targetRate, step.verdict])).toEqual([[1, 'pass'], [2, 'cut-short']]);
    expect(document.steps[1]!.cutShort).toBe(true);
  });

  it('refuses what cannot work with agents: one line, exit 2, nothing written', async () => {
    const cases: Array<{ args: string[]; names: RegExp }> = [
      { args: ['--dev-server'], names: /^sched-bench: --dev-server with --agents: the agents cannot reach a private dev server/ },
      { args: ['--worker'], names: /^sched-bench: --worker with --agents: run `sched-bench worker` beside the agents$/ },
      { args: ['--metrics-port', '9464'], names: /^sched-bench: --metrics-port with --agents: not with --agents yet$/ },
      { args: ['--on-agent-loss', 'rerun'], names: /^sched-bench: --on-agent-loss rerun with capacity: a lost agent stops the search .*; give fail$/ },
      { args: ['--concurrency', '1'], names: /^sched-bench: --concurrency 1 cannot be split among 2 agents: each needs at least one slot$/ },
    ];
    for (const { args, names } of cases) {
      const dir = emptyDir();
      const json = join(dir, 'capacity.json');
      const result = await runCli(['capacity', '--slo', 'e2e.p99<2s', '--agents', '2', '--json', json, ...args], { cwd: dir });
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(2);
      expectOneLine(result, names);
      expect(existsSync(json)).toBe(false);
    }
  });
});

describe('capacity --agents 2 with an agent killed mid-step', () => {
  const pool = new LimitedAgents('cap-lost');
  beforeAll(async () => pool.start(), 90_000);
  afterAll(async () => pool.stop(), 60_000);

  it('stops the search with an error naming the lost agent (not a server failure): exit 1, the steps so far kept', { timeout: 120_000 }, async () => {
    const dir = emptyDir();
    const json = join(dir, 'capacity.json');
    const search = new CliProcess(pool.args('--slo', 'e2e.p99<5s', '--start-rate', '1', '--step-duration', '6s', '--json', json));
    const victim = pool.agents[1]!;
    await victim.waitFor(/^Slice \d \(shard s\d\) of run \S+-step2:/, 60_000);
    // Its first heartbeat names it to the coordinator (killed before, it would be lost as an unknown agent).
    await new Promise((resolve) => setTimeout(resolve, 2000));
    victim.signal('SIGKILL');
    const result = await search.exitedWithin(90_000);
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr, result.stderr).toMatch(/^Step 2: lost agent cap-lost-1 \(slice \d, shard s\d\): /m);
    expectOneMatch(result.stderr, /^sched-bench: the search stopped on an error: agent cap-lost-1 was lost during the step at 2 wf\/s \(slice \d, shard s\d\): /m);
    const document = readDocument(json);
    expect(document).toMatchObject({ stopReason: 'error', exitCode: 1, answer: { kind: 'at-least', capacity: 1 } });
    expect(document.steps.map((step) => [step.targetRate, step.verdict])).toEqual([[1, 'pass']]);
  });
});

function expectOneMatch(text: string, pattern: RegExp): void {
  expect(text.split('\n').filter((line) => pattern.test(line)), text).toHaveLength(1);
}
