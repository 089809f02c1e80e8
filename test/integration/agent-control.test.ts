// The coordinator, its agents and its client against the real dev server: three in-process AgentWorkers
// whose slice bodies are fakes (timers that count ticks and heartbeat them), so what is tested is the
// control plane: placement, heartbeats, stop and drain, losses, reruns, agent wait.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { SliceBody, SliceContext } from '../../src/temporal/agent-worker.js';
import type { AgentWorker } from '../../src/temporal/agent-worker.js';
import type { CoordinatorClient, RunningCoordinator, SliceProgress } from '../../src/temporal/coordinator-client.js';
import { installRuntime } from '../../src/temporal/runtime.js';
import { TemporalService } from '../../src/temporal/temporal-service.js';
import type { CoordinatorInput, CoordinatorResult, LoadSlice, SliceHeartbeat, SliceOutcome } from '../../workflows/coordinator-types.js';
import { eventually, uniqueQueue, workflowHistory } from '../helpers/cli.js';

const address = inject('temporalAddress');
const temporalCli = inject('temporalCli');
const namespace = 'default';
const controlQueue = uniqueQueue('control');
const AGENTS = ['agent-a', 'agent-b', 'agent-c'];
const TICK_MS = 100;
const HEARTBEAT_INTERVAL_MS = 300;

/** A fake slice: `totalWorkflows` ticks (batch), or ticks until stopped (infinite). */
interface FakeSpec {
  mode: 'batch' | 'infinite';
  totalWorkflows: number;
  shard?: string;
  /** Stop heartbeating after this many ticks and hang (an agent killed mid-run, as the server sees it)… */
  silentAfter?: number;
  /** …in this shard only (a rerun of the slice, under another shard, runs normally). */
  silentShard?: string;
  /** Throw (as a cluster that refuses the load would make the run library) after this many ticks. */
  failAfter?: number;
  /** After its signal, take this long to drain without reporting (waiting for in-flight workflows). */
  drainMs?: number;
}

/** What a fake body returns: its document, as a RunResult would be. */
interface FakeResult {
  agent: string;
  shard: string;
  launched: number;
  sawStop: boolean;
}

/** Ends every hung (silent) body, so its agent is free for the next test. */
let releaseHung = new AbortController();
/** Every body that began: its agent, slice and whether its signal fired. */
const bodies: Array<{ agent: string; shard: string; aborted: () => boolean }> = [];

function heartbeatOf(context: SliceContext, slice: LoadSlice, launched: number, startedAt: number): SliceHeartbeat {
  return {
    agent: context.agent, index: slice.index, shard: slice.shard, launched, started: launched, completed: launched, failed: 0, inFlight: 0,
    intervalRate: 1000 / TICK_MS, intervalP50: 1, intervalP99: 2, elapsedMs: Date.now() - startedAt,
  };
}

const fakeBody: SliceBody = async (slice, context) => {
  const spec = slice.spec as unknown as FakeSpec;
  const startedAt = Date.now();
  bodies.push({ agent: context.agent, shard: slice.shard, aborted: () => context.signal.aborted });
  let launched = 0;
  while ((spec.mode === 'infinite' || launched < spec.totalWorkflows) && !context.signal.aborted) {
    await sleep(TICK_MS, undefined, { signal: context.signal }).catch(() => undefined);
    if (context.signal.aborted) break;
    launched++;
    if (spec.silentAfter !== undefined && spec.silentShard === slice.shard && launched > spec.silentAfter) {
      // Silent from here on, as a killed agent is; released at the test's end.
      const hung = AbortSignal.any([context.signal, releaseHung.signal]);
      await new Promise((resolve) => hung.addEventListener('abort', resolve, { once: true }));
      break;
    }
    context.heartbeat(heartbeatOf(context, slice, launched, startedAt));
    if (launched === spec.failAfter) throw new Error('the cluster refused the load');
  }
  if (context.signal.aborted && spec.drainMs) await sleep(spec.drainMs);
  const result: FakeResult = { agent: context.agent, shard: slice.shard, launched, sawStop: context.signal.aborted };
  return { ...result };
};

let services: TemporalService[] = [];
let agents: AgentWorker[] = [];
let running: Array<Promise<void>> = [];
let coordinator: CoordinatorClient;

beforeAll(async () => {
  installRuntime({ logLevel: 'ERROR' }); // lost slices' late completions are refused on purpose
  // One connection per agent: the SDK allows one worker per task queue and connection.
  services = await Promise.all(AGENTS.map(() => TemporalService.connect({ address })));
  agents = await Promise.all(
    AGENTS.map((name, i) =>
      services[i]!.createAgentWorker({ namespace, taskQueue: controlQueue, name, body: fakeBody, heartbeatIntervalMs: HEARTBEAT_INTERVAL_MS }),
    ),
  );
  running = agents.map((agent) => agent.run());
  coordinator = services[0]!.coordinator(namespace, controlQueue);
});

afterAll(async () => {
  releaseHung.abort();
  await Promise.all(agents.map((agent) => agent.shutdown()));
  await Promise.all(running.map((run) => run.catch(() => undefined)));
  await Promise.all(services.map((service) => service.close()));
});

const slice = (index: number, spec: FakeSpec): LoadSlice => ({ index, shard: `s${index}`, spec: { ...spec, shard: `s${index}` } });

function input(slices: LoadSlice[], overrides: Partial<CoordinatorInput> = {}): CoordinatorInput {
  return { slices, agentWaitMs: 20_000, heartbeatTimeoutMs: 10_000, onAgentLoss: 'fail', ...overrides };
}

let runs = 0;
const start = (coordinatorInput: CoordinatorInput): Promise<RunningCoordinator> =>
  coordinator.start(`coordinator-${controlQueue}-${++runs}`, coordinatorInput);

/** The progress once every slice runs on an agent and has heartbeated. */
async function allRunning(run: RunningCoordinator, count: number): Promise<SliceProgress[]> {
  return eventually(async () => {
    const progress = await run.progress();
    expect(progress).toHaveLength(count);
    for (const slice of progress) {
      expect(slice.state).toBe('running');
      expect(slice.heartbeat?.launched).toBeGreaterThan(0);
    }
    return progress;
  }, 20_000);
}

const finished = (outcome: SliceOutcome) => {
  expect(outcome.status).toBe('finished');
  return outcome as Extract<SliceOutcome, { status: 'finished' }>;
};
const resultOf = (outcome: SliceOutcome) => finished(outcome).result as unknown as FakeResult;
const byIndex = (result: CoordinatorResult) => [...result.outcomes].sort((a, b) => a.index - b.index || a.shard.localeCompare(b.shard));

describe('agents coordinated through Temporal (control queue, dev server)', () => {
  it('lists the agents polling the control queue', async () => {
    await eventually(async () => expect(await coordinator.agentsPolling()).toEqual(AGENTS), 20_000);
  });

  it('a coordinator no agent runs: its task waits unstarted under one name across reads; abandon terminates it', async () => {
    const nobody = services[0]!.coordinator(namespace, uniqueQueue('nobody'));
    const run = await nobody.start(`coordinator-nobody-${controlQueue}`, input([slice(0, { mode: 'batch', totalWorkflows: 3 })]));
    const first = await eventually(async () => {
      await run.progress();
      const waiting = run.waitingWorkflowTask!();
      expect(waiting).toMatch(/^\d+$/);
      return waiting;
    });
    await sleep(1200);
    await run.progress();
    expect(run.waitingWorkflowTask!()).toBe(first);
    // No agent ever ran it: no slice was scheduled, so none is in its history.
    expect(await run.abandon!('gone')).toEqual({ outcomes: [], stopped: false });
    await expect(run.result()).rejects.toThrow('gone'); // the termination's reason
    expect((await workflowHistory(temporalCli, address, run.workflowId)).at(-1)!.eventType).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED');
  });

  it('spreads three slices over three agents, shows their heartbeats, and returns their results', async () => {
    const run = await start(input([0, 1, 2].map((index) => slice(index, { mode: 'batch', totalWorkflows: 30 }))));
    const progress = await allRunning(run, 3);
    expect(progress.map((slice) => slice.shard)).toEqual(['s0', 's1', 's2']);
    expect(new Set(progress.map((slice) => slice.agent))).toEqual(new Set(AGENTS));
    for (const slice of progress) expect(slice.heartbeat).toMatchObject({ agent: slice.agent, index: slice.index, shard: slice.shard });

    const result = await run.result();
    expect(result.stopped).toBe(false);
    const outcomes = byIndex(result);
    expect(outcomes.map((outcome) => outcome.shard)).toEqual(['s0', 's1', 's2']);
    for (const outcome of outcomes) {
      expect(resultOf(outcome)).toEqual({ agent: finished(outcome).agent, shard: outcome.shard, launched: 30, sawStop: false });
    }
    expect(new Set(outcomes.map((outcome) => finished(outcome).agent))).toEqual(new Set(AGENTS));
    expect(await run.progress()).toEqual([]);
    expect(run.waitingWorkflowTask!()).toBeUndefined(); // ended: nothing waits
    // A stop or cancel after the end (a signal that came late) has nothing to do.
    await run.stop();
    await run.cancel();
  });

  it('stop: every agent sees its signal, drains and returns its partial result; a slice no agent took ends not-taken', async () => {
    const before = bodies.length;
    // Four slices, three agents: one slice waits for an agent when the stop comes.
    const run = await start(input([0, 1, 2, 3].map((index) => slice(index, { mode: 'infinite', totalWorkflows: 0 }))));
    const progress = await eventually(async () => {
      const now = await run.progress();
      expect(now.map((slice) => slice.state).sort()).toEqual(['running', 'running', 'running', 'scheduled']);
      for (const slice of now.filter((slice) => slice.state === 'running')) expect(slice.heartbeat?.launched).toBeGreaterThan(0);
      return now;
    }, 20_000);
    expect(progress.find((slice) => slice.state === 'scheduled')).toMatchObject({ agent: null, heartbeat: null });

    await run.stop();
    const result = await run.result();
    expect(result.stopped).toBe(true);
    const outcomes = byIndex(result);
    expect(outcomes.map((outcome) => outcome.status).sort()).toEqual(['finished', 'finished', 'finished', 'not-taken']);
    for (const outcome of outcomes.filter((outcome) => outcome.status === 'finished')) {
      const document = resultOf(outcome);
      expect(document.sawStop).toBe(true);
      expect(document.launched).toBeGreaterThan(0);
      expect(document.agent).toBe(finished(outcome).agent);
    }
    expect(outcomes.find((outcome) => outcome.status === 'not-taken')).toMatchObject({ reason: expect.stringMatching(/stopped/) });
    expect(bodies.slice(before).map((body) => body.aborted())).toEqual([true, true, true]);
    // The partial results came as completions after the cancel requests; only the slice no agent had was
    // cancelled (by the server, at once).
    const events = (await workflowHistory(temporalCli, address, run.workflowId)).map((event) => event.eventType);
    const count = (type: string) => events.filter((event) => event === `EVENT_TYPE_ACTIVITY_TASK_${type}`).length;
    expect([count('CANCEL_REQUESTED'), count('STARTED'), count('COMPLETED'), count('CANCELED')]).toEqual([4, 3, 3, 1]);
  });

  it('a drain longer than the heartbeat timeout is not a loss (the agent keeps heartbeating)', async () => {
    const run = await start(input([slice(0, { mode: 'infinite', totalWorkflows: 0, drainMs: 5_000 })], { heartbeatTimeoutMs: 2_500 }));
    await allRunning(run, 1);
    await run.stop();
    const [outcome, ...others] = (await run.result()).outcomes;
    expect(others).toEqual([]);
    expect(resultOf(outcome!).sawStop).toBe(true);
  });

  it('a slice whose body throws is failed with its message, its agent and its last heartbeat', async () => {
    const run = await start(input([0, 1].map((index) => slice(index, { mode: 'batch', totalWorkflows: 10, ...(index === 0 ? { failAfter: 3 } : {}) }))));
    const outcomes = byIndex(await run.result());
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['failed', 'finished']);
    const failed = outcomes[0] as Extract<SliceOutcome, { status: 'failed' }>;
    expect(failed.reason).toContain('the cluster refused the load');
    expect(AGENTS).toContain(failed.agent);
    expect(failed.lastHeartbeat).toMatchObject({ agent: failed.agent, shard: 's0', launched: 3 });
  });

  it('a silent agent is lost with its last heartbeat; the others finish', async () => {
    try {
      const run = await start(
        input(
          [0, 1, 2].map((index) => slice(index, { mode: 'batch', totalWorkflows: 20, ...(index === 1 ? { silentAfter: 5, silentShard: 's1' } : {}) })),
          { heartbeatTimeoutMs: 3_000 },
        ),
      );
      const result = await run.result();
      const outcomes = byIndex(result);
      expect(outcomes.map((outcome) => [outcome.shard, outcome.status])).toEqual([['s0', 'finished'], ['s1', 'lost'], ['s2', 'finished']]);
      const lost = outcomes[1] as Extract<SliceOutcome, { status: 'lost' }>;
      expect(lost.reason).toMatch(/heartbeat/);
      expect(lost.lastHeartbeat).toMatchObject({ index: 1, shard: 's1' });
      expect(lost.lastHeartbeat!.launched).toBeGreaterThan(0);
      expect(lost.lastHeartbeat!.launched).toBeLessThanOrEqual(5);
      expect(AGENTS).toContain(lost.agent);
      expect(lost.agent).toBe(lost.lastHeartbeat!.agent);
      expect([resultOf(outcomes[0]!).launched, resultOf(outcomes[2]!).launched]).toEqual([20, 20]);
    } finally {
      releaseHung.abort();
      releaseHung = new AbortController();
    }
  });

  it('rerun: a lost slice runs again for what remained, under a new shard, on another agent', async () => {
    try {
      const run = await start(
        input(
          [0, 1, 2].map((index) => slice(index, { mode: 'batch', totalWorkflows: 20, ...(index === 2 ? { silentAfter: 5, silentShard: 's2' } : {}) })),
          { heartbeatTimeoutMs: 3_000, onAgentLoss: 'rerun' },
        ),
      );
      const result = await run.result();
      const outcomes = byIndex(result);
      expect(outcomes.map((outcome) => [outcome.index, outcome.shard, outcome.status])).toEqual([
        [0, 's0', 'finished'], [1, 's1', 'finished'], [2, 's2', 'lost'], [2, 's2r1', 'finished'],
      ]);
      const lost = outcomes[2] as Extract<SliceOutcome, { status: 'lost' }>;
      const rerun = resultOf(outcomes[3]!);
      // The remainder: what the lost attempt had not launched by its last heartbeat.
      expect(rerun.launched).toBe(20 - lost.lastHeartbeat!.launched);
      expect(rerun.shard).toBe('s2r1');
      expect(rerun.agent).not.toBe(lost.agent); // the silent agent still holds its only slot
      // The lost outcome is reported before the rerun's.
      expect(result.outcomes.findIndex((outcome) => outcome.shard === 's2')).toBeLessThan(result.outcomes.findIndex((outcome) => outcome.shard === 's2r1'));
    } finally {
      releaseHung.abort();
      releaseHung = new AbortController();
    }
  });

  it('more slices than agents: the ones no agent takes within the agent wait are not-taken', async () => {
    // The agents freed by the tests above poll again before this starts.
    await eventually(async () => expect(await coordinator.agentsPolling()).toEqual(AGENTS), 20_000);
    // The slices that run last twice the agent wait: the others time out while every agent is busy.
    const run = await start(input([0, 1, 2, 3, 4].map((index) => slice(index, { mode: 'batch', totalWorkflows: 60 })), { agentWaitMs: 3_000 }));
    const result = await run.result();
    const statuses = result.outcomes.map((outcome) => outcome.status).sort();
    expect(statuses).toEqual(['finished', 'finished', 'finished', 'not-taken', 'not-taken']);
    for (const outcome of result.outcomes.filter((outcome) => outcome.status === 'not-taken')) {
      expect(outcome).toMatchObject({ status: 'not-taken', reason: expect.stringMatching(/agent wait/) });
    }
  });

  it('cancelling the coordinator ends it at once and tells the agents to stop', async () => {
    const before = bodies.length;
    const run = await start(input([0, 1, 2].map((index) => slice(index, { mode: 'infinite', totalWorkflows: 0 }))));
    await allRunning(run, 3);
    await run.cancel();
    await expect(run.result()).rejects.toThrow(/cancel/i);
    // Each agent learns it from its next heartbeat's answer, and its body drains.
    await eventually(async () => expect(bodies.slice(before).map((body) => body.aborted())).toEqual([true, true, true]), 20_000);
  });

  // Last: it leaves one agent down.
  it('an agent shut down mid-slice drains it and returns its partial result', async () => {
    const before = bodies.length;
    const run = await start(input([slice(0, { mode: 'infinite', totalWorkflows: 0 })]));
    const [progress] = await allRunning(run, 1);
    const agent = agents[AGENTS.indexOf(progress!.agent!)]!;
    await agent.shutdown();
    const [outcome] = (await run.result()).outcomes;
    expect(resultOf(outcome!)).toMatchObject({ agent: progress!.agent, shard: 's0', sawStop: true });
    expect(bodies.slice(before).map((body) => body.aborted())).toEqual([true]);
    await agent.shutdown(); // idempotent
  });
});
