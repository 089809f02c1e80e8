import { describe, expect, it } from 'vitest';
import { LoadSplitError } from '../../src/agents/slices.js';
import { parseThresholdList } from '../../src/metrics/thresholds.js';
import { formatIntervalLine } from '../../src/report/lines.js';
import type { RunResult } from '../../src/report/result.js';
import type { CoordinatorClient, RunningCoordinator, SliceProgress } from '../../src/temporal/coordinator-client.js';
import { AgentWaitError, CoordinatorWatchdog, startDistributedLoad, type DistributedEvent, type DistributedSpec } from '../../src/run/distributed-run.js';
import type { CoordinatorInput, CoordinatorResult, SliceHeartbeat } from '../../workflows/coordinator-types.js';
import { FakeClock, flushPromises } from '../helpers/fake-clock.js';
import { loadSpec } from '../helpers/load-spec.js';
import { makeRunResult } from '../helpers/results.js';

/** A CoordinatorClient of the API: agents polling as the test says, a coordinator whose end the test gives. */
class FakeCoordinatorClient implements CoordinatorClient {
  polling: string[] = [];
  pollCount = 0;
  started: Array<{ workflowId: string; input: CoordinatorInput }> = [];
  progress: SliceProgress[] = [];
  stops = 0;
  cancels = 0;
  /** The coordinator's workflow task waiting for an agent, as progress() last saw it. */
  waitingTask: string | undefined;
  abandoned: string[] = [];
  /** What abandon() reads from the history (a rejection: the history cannot be read). */
  history: CoordinatorResult | Error = { outcomes: [], stopped: false };
  private finish: ((result: CoordinatorResult) => void) | undefined;
  private readonly ended = new Promise<CoordinatorResult>((resolve) => (this.finish = resolve));

  async agentsPolling(): Promise<string[]> {
    this.pollCount++;
    return [...this.polling];
  }

  async start(workflowId: string, input: CoordinatorInput): Promise<RunningCoordinator> {
    this.started.push({ workflowId, input });
    return {
      workflowId,
      progress: async () => this.progress,
      stop: async () => void this.stops++,
      cancel: async () => void this.cancels++,
      result: () => this.ended,
      waitingWorkflowTask: () => this.waitingTask,
      abandon: async (openReason) => {
        this.abandoned.push(openReason);
        if (this.history instanceof Error) throw this.history;
        return this.history;
      },
    };
  }

  end(result: CoordinatorResult): void {
    this.finish!(result);
  }
}

function setUp(overrides: Partial<DistributedSpec> = {}, load = loadSpec({ runId: 'run-5', totalWorkflows: 300, loadModel: { kind: 'closed', concurrency: 30 } })) {
  const clock = new FakeClock();
  const client = new FakeCoordinatorClient();
  const events: DistributedEvent[] = [];
  let closed = 0;
  const spec: DistributedSpec = {
    load, agents: 3, agentWait: 5, onAgentLoss: 'fail',
    control: { connection: { address: 'control:7233', connectTimeoutMs: 1000 }, namespace: 'ctl', taskQueue: 'sched-bench-control' },
    ...overrides,
  };
  const run = startDistributedLoad(spec, (event) => events.push(event), {
    clock,
    connectControl: async (settings) => ({
      address: settings.address,
      checkNamespace: async (namespace) => {
        if (namespace !== 'ctl') throw new Error(`namespace ${namespace} not found`);
      },
      coordinator: (namespace, taskQueue) => {
        expect([namespace, taskQueue]).toEqual(['ctl', 'sched-bench-control']);
        return client;
      },
      close: async () => void closed++,
    }),
  });
  return { clock, client, events, run, closed: () => closed };
}

function heartbeat(shard: string, counts: Partial<SliceHeartbeat>): SliceHeartbeat {
  return {
    agent: `agent-${shard}`, index: Number(shard.slice(1)), shard, launched: 0, started: 0, completed: 0, failed: 0, inFlight: 0,
    intervalRate: 0, intervalP50: null, intervalP99: null, elapsedMs: 0, ...counts,
  };
}

function sliceDocument(shard: string, completed: number, e2e: number[]): Record<string, unknown> {
  const base = makeRunResult({ runId: 'run-5' }, e2e);
  const counts = { ...base.counts, launched: completed, started: completed, completed, failed: 0, inFlight: 0 };
  const document: RunResult = { ...base, counts, measured: { ...base.measured, ...counts }, startedAt: `2026-01-01T00:00:0${shard.slice(1)}.000Z` };
  return document as unknown as Record<string, unknown>;
}

describe('startDistributedLoad (fake coordinator client, fake clock)', () => {
  it('waits for the agents (told once), then fails after agentWait naming how many poll where', async () => {
    const { clock, client, events, run, closed } = setUp({ agentWait: 2 });
    client.polling = ['a'];
    const ended = run.ended.catch((error: unknown) => error);
    await clock.advance(2500);
    const error = await ended;
    expect(error).toBeInstanceOf(AgentWaitError);
    expect((error as Error).message).toBe('3 agents needed, 1 polling on sched-bench-control in ctl after 2s');
    expect(events.filter((event) => event.type === 'agents-waiting')).toEqual([
      { type: 'agents-waiting', needed: 3, polling: ['a'], taskQueue: 'sched-bench-control', namespace: 'ctl' },
    ]);
    expect(client.pollCount).toBeGreaterThanOrEqual(4); // every 0.5 s
    expect(client.started).toEqual([]);
    expect(closed()).toBe(1);
  });

  it('an unknown control namespace rejects before waiting', async () => {
    const { client, run, closed } = setUp({ control: { connection: { address: 'control:7233', connectTimeoutMs: 1000 }, namespace: 'nope', taskQueue: 'q' } });
    await expect(run.ended).rejects.toThrow('namespace nope not found');
    expect(client.pollCount).toBe(0);
    expect(closed()).toBe(1);
  });

  it('refuses a load that cannot be split before connecting or waiting', async () => {
    const { client, run } = setUp({ agents: 3 }, loadSpec({ loadModel: { kind: 'closed', concurrency: 2 } }));
    await expect(run.ended).rejects.toThrow(LoadSplitError);
    expect(client.pollCount).toBe(0);
  });

  it('starts the coordinator once the agents poll, prints the summed interval lines, merges the finished slices', async () => {
    const { clock, client, events, run, closed } = setUp({
      onAgentLoss: 'fail',
    }, loadSpec({ runId: 'run-5', totalWorkflows: 300, loadModel: { kind: 'closed', concurrency: 30 }, thresholds: parseThresholdList('e2e.p99<1s;failed.count==0') }));
    await clock.advance(1200);
    expect(client.started).toEqual([]);
    client.polling = ['a', 'b', 'c'];
    await clock.advance(600);
    expect(events.filter((event) => event.type === 'agents-waiting')).toHaveLength(1);
    expect(events.find((event) => event.type === 'agents-ready')).toEqual({ type: 'agents-ready', agents: ['a', 'b', 'c'] });
    expect(client.started).toHaveLength(1);
    const { workflowId, input } = client.started[0]!;
    expect(workflowId).toBe('sched-bench-coordinator-run-5');
    expect(run.runId).toBe('run-5');
    expect(input).toMatchObject({ agentWaitMs: 5000, heartbeatTimeoutMs: 10_000, onAgentLoss: 'fail' });
    expect(input.slices.map((slice) => [slice.shard, slice.spec.totalWorkflows])).toEqual([['s0', 100], ['s1', 100], ['s2', 100]]);

    client.progress = [
      { index: 0, shard: 's0', state: 'running', agent: 'a', heartbeat: heartbeat('s0', { completed: 40, inFlight: 10, intervalRate: 20 }) },
      { index: 1, shard: 's1', state: 'running', agent: 'b', heartbeat: heartbeat('s1', { completed: 35, inFlight: 10, intervalRate: 17.5 }) },
      { index: 2, shard: 's2', state: 'scheduled', agent: null, heartbeat: null },
    ];
    await clock.advance(1000);
    const intervals = events.flatMap((event) => (event.type === 'interval' ? [event.report] : []));
    expect(intervals).toHaveLength(1);
    expect(formatIntervalLine(intervals[0]!)).toBe('Concurrent: 20 Workflows: 75 Rate: 37.50');

    client.end({
      stopped: false,
      outcomes: [
        { index: 0, shard: 's0', status: 'finished', agent: 'a', result: sliceDocument('s0', 100, [10, 20]) },
        { index: 1, shard: 's1', status: 'finished', agent: 'b', result: sliceDocument('s1', 100, [30]) },
        { index: 2, shard: 's2', status: 'lost', agent: 'c', reason: 'heartbeat timeout', lastHeartbeat: heartbeat('s2', { completed: 12, launched: 15, started: 15, inFlight: 3 }) },
      ],
    });
    await clock.advance(10);
    const result = await run.ended;
    expect(result.merged!.counts.completed).toBe(200); // the lost slice's 12 are reported, not added
    expect(result.merged!.latency.e2e.count).toBe(3);
    expect(result.outcomes.lost).toEqual([{ index: 2, shard: 's2', agent: 'c', reason: 'heartbeat timeout', lastCounts: { launched: 15, started: 15, completed: 12, failed: 0, inFlight: 3 } }]);
    // every slice attempt's outcome is in the merged document, the lost one with its last counts
    expect(result.merged!.slices).toEqual([
      { index: 0, shard: 's0', agent: 'a', status: 'finished', reason: null, counts: { launched: 100, started: 100, completed: 100, failed: 0, inFlight: 0 } },
      { index: 1, shard: 's1', agent: 'b', status: 'finished', reason: null, counts: { launched: 100, started: 100, completed: 100, failed: 0, inFlight: 0 } },
      { index: 2, shard: 's2', agent: 'c', status: 'lost', reason: 'heartbeat timeout', counts: { launched: 15, started: 15, completed: 12, failed: 0, inFlight: 3 } },
    ]);
    expect(result.thresholds.map((threshold) => [threshold.expression, threshold.passed])).toEqual([['e2e.p99<1s', true], ['failed.count==0', true]]);
    expect(result.merged!.thresholds.map((threshold) => threshold.passed)).toEqual([true, true]);
    expect(result).toMatchObject({ runId: 'run-5', stopped: false, coordinatorWorkflowId: 'sched-bench-coordinator-run-5' });
    // the whole run's load model and configuration, not slice 0's share; nothing of the process in it
    expect(result.merged!.loadModel).toEqual({ kind: 'closed', concurrency: 30, wait: true });
    expect(result.merged!.config).toMatchObject({ runId: 'run-5', agents: 3, totalWorkflows: 300, thresholds: ['e2e.p99<1s', 'failed.count==0'] });
    expect(result.merged!.config).not.toHaveProperty('connection');
    expect(closed()).toBe(1);
  });

  it('stop sends the stop signal once; the drained partial results are merged; not-taken slices are reported', async () => {
    const { clock, client, run } = setUp({ heartbeatTimeout: 30 });
    client.polling = ['a', 'b', 'c', 'd'];
    await clock.advance(100);
    expect(client.started[0]!.input.heartbeatTimeoutMs).toBe(30_000);
    run.stop();
    run.stop();
    await flushPromises();
    expect(client.stops).toBe(1);
    client.end({
      stopped: true,
      outcomes: [
        { index: 0, shard: 's0', status: 'finished', agent: 'a', result: { ...sliceDocument('s0', 40, [10]), interrupted: true } },
        { index: 1, shard: 's1', status: 'finished', agent: 'b', result: { ...sliceDocument('s1', 45, [10]), interrupted: true } },
        { index: 2, shard: 's2', status: 'not-taken', reason: 'no agent took it within 5s' },
      ],
    });
    await clock.advance(10);
    const result = await run.ended;
    expect(result.stopped).toBe(true);
    expect(result.merged!.counts.completed).toBe(85);
    expect(result.merged!.interrupted).toBe(true);
    expect(result.outcomes.notTaken).toEqual([{ index: 2, shard: 's2', reason: 'no agent took it within 5s' }]);
    expect(client.stops).toBe(1);
  });

  it('a stop before the agents came starts no coordinator', async () => {
    const { clock, client, run } = setUp();
    await clock.advance(600);
    run.stop();
    await clock.advance(600);
    const result = await run.ended;
    expect(result).toMatchObject({ stopped: true, merged: undefined, coordinatorWorkflowId: undefined });
    expect(client.started).toEqual([]);
    expect(client.stops).toBe(0);
  });

  it('cancelNow cancels a started coordinator', async () => {
    const { clock, client, run } = setUp();
    client.polling = ['a', 'b', 'c'];
    await clock.advance(100);
    await run.cancelNow();
    expect(client.cancels).toBe(1);
  });

  it('every agent gone: the coordinator’s task waits the agent wait unstarted → terminated, unfinished slices lost with their last heartbeats', async () => {
    const { clock, client, events, run } = setUp({ agentWait: 12 });
    client.polling = ['a', 'b', 'c'];
    await clock.advance(100);
    client.progress = [
      { index: 0, shard: 's0', state: 'running', agent: 'a', heartbeat: heartbeat('s0', { launched: 50, started: 50, completed: 40, inFlight: 10 }) },
      { index: 1, shard: 's1', state: 'running', agent: 'b', heartbeat: heartbeat('s1', { launched: 30, started: 30, completed: 25, inFlight: 5 }) },
      { index: 2, shard: 's2', state: 'running', agent: 'c', heartbeat: heartbeat('s2', { launched: 20, started: 20, completed: 20 }) },
    ];
    await clock.advance(1000);
    // The agents die; their slices time out on the server, and the coordinator’s task waits for nobody.
    client.progress = [];
    client.waitingTask = '1700000000000';
    await clock.advance(10_000);
    expect(client.abandoned).toEqual([]); // not yet the agent wait
    client.history = {
      stopped: false,
      outcomes: [
        { index: 2, shard: 's2', status: 'finished', agent: 'c', result: sliceDocument('s2', 100, [10]) },
        { index: 0, shard: 's0', status: 'lost', agent: 'a', reason: 'the agent stopped heartbeating (heartbeat timeout)', lastHeartbeat: heartbeat('s0', { launched: 60, started: 60, completed: 50, inFlight: 10 }) },
        { index: 1, shard: 's1', status: 'lost', agent: null, reason: 'gone', lastHeartbeat: null },
      ],
    };
    await clock.advance(3000);
    const result = await run.ended;
    expect(client.abandoned).toHaveLength(1);
    expect(result.abandoned).toBe('No agent is running the coordinator for 12s: every agent is gone');
    expect(events.find((event) => event.type === 'coordinator-abandoned')).toEqual({ type: 'coordinator-abandoned', reason: result.abandoned });
    expect(result.merged!.counts.completed).toBe(100); // the slice that finished
    expect(result.outcomes.lost).toEqual([
      { index: 0, shard: 's0', agent: 'a', reason: 'the agent stopped heartbeating (heartbeat timeout)', lastCounts: { launched: 60, started: 60, completed: 50, failed: 0, inFlight: 10 } },
      // no heartbeat in the history: the latest one seen in the progress reads
      { index: 1, shard: 's1', agent: 'agent-s1', reason: 'gone', lastCounts: { launched: 30, started: 30, completed: 25, failed: 0, inFlight: 5 } },
    ]);
    expect(result.merged!.slices!.map((slice) => [slice.shard, slice.status])).toEqual([['s0', 'lost'], ['s1', 'lost'], ['s2', 'finished']]);
  });

  it('history unreadable when abandoning: the coordinator is cancelled, the last progress read’s slices are lost', async () => {
    const { clock, client, run } = setUp({ agentWait: 2 });
    client.polling = ['a', 'b', 'c'];
    await clock.advance(100);
    client.progress = [{ index: 0, shard: 's0', state: 'running', agent: 'a', heartbeat: heartbeat('s0', { launched: 5, started: 5, completed: 5 }) }];
    client.waitingTask = 'T';
    client.history = new Error('unavailable');
    await clock.advance(9000);
    expect(client.abandoned).toEqual([]); // a short agent wait: still the 10 s floor (twice the agents' sticky timeout)
    await clock.advance(3000);
    const result = await run.ended;
    expect(result.abandoned).toBe('No agent is running the coordinator for 10s: every agent is gone');
    expect(client.cancels).toBe(1);
    expect(result.merged).toBeUndefined();
    expect(result.outcomes.lost).toEqual([{ index: 0, shard: 's0', agent: 'a', reason: expect.stringContaining('unavailable'), lastCounts: { launched: 5, started: 5, completed: 5, failed: 0, inFlight: 0 } }]);
  });

  it('live agents do not trip it: old heartbeats of idle slices, and workflow tasks that get taken', async () => {
    const { clock, client, run } = setUp({ agentWait: 3 });
    client.polling = ['a', 'b', 'c'];
    await clock.advance(100);
    // Idle slices (no new heartbeat for long) with no task waiting, then tasks each taken within a read or two.
    client.progress = [{ index: 0, shard: 's0', state: 'running', agent: 'a', heartbeat: heartbeat('s0', { launched: 1 }) }];
    for (let second = 0; second < 20; second++) {
      client.waitingTask = second % 3 === 0 ? undefined : `task-${Math.floor(second / 3)}`;
      await clock.advance(1000);
    }
    expect(client.abandoned).toEqual([]);
    client.end({ stopped: false, outcomes: [{ index: 0, shard: 's0', status: 'finished', agent: 'a', result: sliceDocument('s0', 1, [1]) }] });
    await clock.advance(10);
    expect((await run.ended).abandoned).toBeUndefined();
  });
});

describe('CoordinatorWatchdog', () => {
  it('trips when the same task waited the limit, by this side’s clock; another task or none starts over', () => {
    const watchdog = new CoordinatorWatchdog(5000);
    expect(watchdog.stalled('a', 0)).toBe(false);
    expect(watchdog.stalled('a', 4999)).toBe(false);
    expect(watchdog.stalled('b', 5000)).toBe(false);
    expect(watchdog.stalled(undefined, 9000)).toBe(false);
    expect(watchdog.stalled('b', 9500)).toBe(false);
    expect(watchdog.stalled('b', 14_500)).toBe(true);
  });
});
