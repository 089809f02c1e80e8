import { describe, expect, it } from 'vitest';
import { splitLoad } from '../../src/agents/slices.js';
import { checkResult } from '../../src/report/read-result.js';
import type { RunResult } from '../../src/report/result.js';
import { runAgent, sliceBody, type AgentEvent, type AgentSpec } from '../../src/run/agent-run.js';
import type { AgentWorker, AgentWorkerOptions, SliceBody, SliceContext } from '../../src/temporal/agent-worker.js';
import type { LoadSpec } from '../../src/run/load-spec.js';
import type { LoadSlice, SliceHeartbeat } from '../../workflows/coordinator-types.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { FakeLauncher } from '../helpers/fake-launcher.js';
import { loadSpec } from '../helpers/load-spec.js';
import { LatencyHistogram } from '../../src/metrics/latency-histogram.js';

const AGENT_SIDE = { connection: { address: 'agent:7233', connectTimeoutMs: 1000 } };

/** A SliceContext as the agent worker gives one: records the heartbeats; `stop` aborts its signal. */
class FakeSliceContext implements SliceContext {
  readonly agent = 'agent-1';
  readonly heartbeats: SliceHeartbeat[] = [];
  private readonly controller = new AbortController();
  readonly signal = this.controller.signal;

  heartbeat(details: SliceHeartbeat): void {
    this.heartbeats.push(details);
  }

  notes: string[] = [];
  note(text: string): void {
    this.notes.push(text);
  }

  stop(): void {
    this.controller.abort();
  }
}

/** Drives the fake clock until `running` settles (bounded: a hang fails the test). */
async function settle<T>(clock: FakeClock, running: Promise<T>): Promise<T> {
  let done: { value: T } | undefined;
  void running.then((value) => (done = { value }));
  for (let step = 0; step < 20_000 && done === undefined; step++) await clock.advance(50);
  expect(done, 'the slice did not end').toBeDefined();
  return done!.value;
}

function sliceOf(spec: LoadSpec, agents: number, index: number): LoadSlice {
  return splitLoad(spec, agents, 'run-7')[index]!;
}

describe('sliceBody: an agent runs a slice (fake launcher, fake clock)', () => {
  it('runs its share, heartbeats every interval with cumulative counts, returns a valid result document', async () => {
    const clock = new FakeClock();
    const launcher = new FakeLauncher({ clock, startMs: 10, runMs: 190 });
    const slice = sliceOf(loadSpec({ totalWorkflows: 300, loadModel: { kind: 'closed', concurrency: 12 } }), 3, 1);
    const context = new FakeSliceContext();
    const document = await settle(clock, sliceBody(AGENT_SIDE, { launcher, clock })(slice, context));

    const result = checkResult(document) as RunResult;
    expect(result).toMatchObject({ command: 'run', runId: 'run-7', interrupted: false, stopReason: 'total-reached', exitCode: 0 });
    expect(result.counts).toMatchObject({ launched: 100, completed: 100, failed: 0, inFlight: 0 });
    expect(launcher.startCalls).toBe(100);
    expect(launcher.maxInFlight).toBeLessThanOrEqual(4);
    // the configuration is the slice's own (no connection, no secret)
    expect(result.config).toEqual(slice.spec);

    const beats = context.heartbeats;
    expect(beats.length).toBeGreaterThan(3);
    expect(beats[0]).toEqual({ agent: 'agent-1', index: 1, shard: 's1', launched: 0, started: 0, completed: 0, failed: 0, inFlight: 0, intervalRate: 0, intervalP50: null, intervalP99: null, elapsedMs: 0 });
    for (const beat of beats) {
      expect(beat).toMatchObject({ agent: 'agent-1', index: 1, shard: 's1' });
      expect(beat.launched).toBe(beat.completed + beat.failed + beat.inFlight);
    }
    for (let index = 1; index < beats.length; index++) {
      expect(beats[index]!.completed).toBeGreaterThanOrEqual(beats[index - 1]!.completed);
      expect(beats[index]!.elapsedMs).toBeGreaterThanOrEqual(beats[index - 1]!.elapsedMs);
    }
    const intervalBeats = beats.slice(1);
    expect(intervalBeats.some((beat) => beat.intervalRate > 0 && beat.intervalP99 !== null && beat.intervalP99 > 0)).toBe(true);
    // an interval's heartbeat carries its latency histogram, whose percentiles are the heartbeat's own
    const measured = intervalBeats.filter((beat) => beat.intervalLatency !== undefined);
    expect(measured.length).toBeGreaterThan(0);
    for (const beat of measured) expect(LatencyHistogram.decode(beat.intervalLatency!).percentileMillis(99)).toBeCloseTo(beat.intervalP99!, 6);
    // the last heartbeat (at the end of launching and the drain) has the result's counts
    expect(beats.at(-1)).toMatchObject({ launched: 100, started: 100, completed: 100, failed: 0, inFlight: 0, intervalRate: 0, intervalP99: null });
  });

  it('an abort drains and returns a partial but valid document whose counts match the last heartbeat', async () => {
    const clock = new FakeClock();
    const launcher = new FakeLauncher({ clock, startMs: 5, runMs: 400 });
    const slice = sliceOf(loadSpec({ mode: 'infinite', loadModel: { kind: 'open', concurrency: 100, rate: 30 } }), 3, 2);
    const context = new FakeSliceContext();
    const running = sliceBody(AGENT_SIDE, { launcher, clock })(slice, context);
    await clock.advance(3000);
    expect(context.heartbeats.length).toBeGreaterThanOrEqual(3);
    const before = context.heartbeats.at(-1)!;
    context.stop();
    const document = await settle(clock, running);

    const result = checkResult(document) as RunResult;
    expect(result).toMatchObject({ command: 'infinite', interrupted: true, stopReason: 'stopped' });
    expect(result.loadModel.rate).toBeCloseTo(10, 9);
    expect(result.counts.inFlight).toBe(0); // drained
    expect(result.counts.completed).toBe(result.counts.launched);
    expect(result.counts.completed).toBeGreaterThanOrEqual(before.completed);
    expect(context.heartbeats.at(-1)).toMatchObject({ launched: result.counts.launched, completed: result.counts.completed, inFlight: 0 });
    // 10/s for about 3 s: a partial count, bounded generously
    expect(result.counts.launched).toBeGreaterThan(15);
    expect(result.counts.launched).toBeLessThan(45);
    expect(launcher.startCalls).toBe(result.counts.launched);
  });

  describe('a batch rerun after a loss (LoadSlice.recount)', () => {
    /** Slice 1 of 300 over 3 (100), lost after a heartbeat that said 30 launched: its rerun of 70 under s1r1. */
    const rerun = (): LoadSlice => {
      const slice = sliceOf(loadSpec({ totalWorkflows: 300, loadModel: { kind: 'closed', concurrency: 12 } }), 3, 1);
      return { ...slice, shard: 's1r1', spec: { ...slice.spec, shard: 's1r1', totalWorkflows: 70 }, recount: { shards: ['s1'], totalWorkflows: 100 } };
    };

    it('counts the lost attempts’ workflows on the server first and launches only the rest', async () => {
      const clock = new FakeClock();
      const launcher = new FakeLauncher({ clock, startMs: 5, runMs: 20 });
      const asked: string[] = [];
      const side = { ...AGENT_SIDE, countShardWorkflows: async (spec: { runId: string }, shard: string) => (asked.push(`${spec.runId}/${shard}`), 45) };
      const context = new FakeSliceContext();
      const result = checkResult(await settle(clock, sliceBody(side, { launcher, clock })(rerun(), context))) as RunResult;
      expect(asked).toEqual(['run-7/s1']);
      expect(launcher.startCalls).toBe(55); // 100 − 45, not the heartbeat's 70
      expect(result.counts.launched).toBe(55);
      expect(result.config).toMatchObject({ shard: 's1r1', totalWorkflows: 55 });
      expect(context.notes).toEqual([expect.stringMatching(/^counted on the server: .*started 45 of the slice's 100 workflows \(their last heartbeats said 30\), so this rerun launches 55$/)]);
    });

    it('without a count (visibility refused), the remainder after the last heartbeat, and says so', async () => {
      const clock = new FakeClock();
      const launcher = new FakeLauncher({ clock, startMs: 5, runMs: 20 });
      const side = { ...AGENT_SIDE, countShardWorkflows: async () => Promise.reject(new Error('advanced visibility is not enabled')) };
      const context = new FakeSliceContext();
      await settle(clock, sliceBody(side, { launcher, clock })(rerun(), context));
      expect(launcher.startCalls).toBe(70);
      expect(context.notes).toEqual([expect.stringMatching(/could not count .*advanced visibility is not enabled.*launches 70/)]);
    });

    it('nothing left when the lost attempt had started all of it: fails telling so, launches nothing', async () => {
      const clock = new FakeClock();
      const launcher = new FakeLauncher({ clock });
      const side = { ...AGENT_SIDE, countShardWorkflows: async () => 100 };
      await expect(sliceBody(side, { launcher, clock })(rerun(), new FakeSliceContext())).rejects.toThrow(/^nothing remained to launch: counted on the server/);
      expect(launcher.startCalls).toBe(0);
    });
  });

  it('a bad slice fails with the field named, before anything runs', async () => {
    const clock = new FakeClock();
    const launcher = new FakeLauncher({ clock });
    const slice = sliceOf(loadSpec(), 1, 0);
    const broken = { ...slice, spec: { ...slice.spec, taskQueue: 7 } };
    await expect(sliceBody(AGENT_SIDE, { launcher, clock })(broken, new FakeSliceContext())).rejects.toThrow('bad load slice: spec.taskQueue: expected a non-empty string, got 7');
    expect(launcher.startCalls).toBe(0);
  });
});

/** An AgentWorker stand-in: runs the slices given to it through the body, until shut down. */
class FakeAgentWorker implements Pick<AgentWorker, 'run' | 'shutdown'> {
  shutdowns = 0;
  private release: (() => void) | undefined;
  private readonly stopped = new Promise<void>((resolve) => (this.release = resolve));

  constructor(readonly options: AgentWorkerOptions) {}

  run(): Promise<void> {
    return this.stopped;
  }

  async shutdown(): Promise<void> {
    this.shutdowns++;
    this.release!();
  }
}

describe('runAgent (fake control service)', () => {
  const spec: AgentSpec = {
    name: 'agent-x', connection: AGENT_SIDE.connection, reportInterval: 2,
    control: { connection: { address: 'control:7233', connectTimeoutMs: 1000 }, namespace: 'ctl', taskQueue: 'sched-bench-control' },
  };

  it('creates the agent worker on the control queue, says it is ready, runs slices with events, shuts down on abort', async () => {
    let worker: FakeAgentWorker | undefined;
    let closed = 0;
    const checkedNamespaces: string[] = [];
    const events: AgentEvent[] = [];
    const stop = new AbortController();
    const running = runAgent(spec, {
      signal: stop.signal, onEvent: (event) => events.push(event),
      connectControl: async (settings) => {
        expect(settings.address).toBe('control:7233');
        return {
          address: settings.address,
          checkNamespace: async (namespace) => void checkedNamespaces.push(namespace),
          createAgentWorker: async (options) => (worker = new FakeAgentWorker(options)),
          close: async () => void closed++,
        };
      },
      seams: { launcher: new FakeLauncher({ clock: { now: () => 0, setTimeout: (callback) => setTimeout(callback, 0), clearTimeout: () => undefined } }) },
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(checkedNamespaces).toEqual(['ctl']);
    expect(worker!.options).toMatchObject({ namespace: 'ctl', taskQueue: 'sched-bench-control', name: 'agent-x', heartbeatIntervalMs: 2000 });
    expect(events[0]).toEqual({ type: 'agent-ready', name: 'agent-x', controlTaskQueue: 'sched-bench-control', namespace: 'ctl', address: 'control:7233' });

    const body: SliceBody = worker!.options.body;
    const slice = sliceOf(loadSpec({ totalWorkflows: 6, loadModel: { kind: 'closed', concurrency: 2 } }), 2, 0);
    const document = await body(slice, new FakeSliceContext());
    expect((document.counts as { completed: number }).completed).toBe(3);
    const kinds = events.map((event) => event.type);
    expect(kinds).toContain('slice-started');
    expect(events.find((event) => event.type === 'slice-started')).toMatchObject({ index: 0, shard: 's0', runId: 'run-7', mode: 'batch', concurrency: 1, total: 3 });
    expect(events.find((event) => event.type === 'slice-ended')).toEqual({ type: 'slice-ended', index: 0, shard: 's0', counts: { launched: 3, completed: 3, failed: 0 }, stopped: false });

    // a bad slice is told as failed (never as started), and fails the activity with the field named
    const startedBefore = events.filter((event) => event.type === 'slice-started').length;
    await expect(body({ ...slice, spec: { ...slice.spec, mode: 'sometimes' } }, new FakeSliceContext())).rejects.toThrow('spec.mode');
    expect(events.filter((event) => event.type === 'slice-started')).toHaveLength(startedBefore);
    expect(events.at(-1)).toEqual({ type: 'slice-failed', index: 0, shard: 's0', reason: 'bad load slice: spec.mode: expected "batch" or "infinite", got "sometimes"' });

    stop.abort();
    await running;
    expect(worker!.shutdowns).toBe(1);
    expect(closed).toBe(1);
  });

  it('an unknown control namespace rejects before any worker is created, and the connection is closed', async () => {
    let created = 0;
    let closed = 0;
    const running = runAgent(spec, {
      connectControl: async (settings) => ({
        address: settings.address,
        checkNamespace: async (namespace) => {
          throw new Error(`namespace ${namespace} not found on control:7233`);
        },
        createAgentWorker: async (options) => (created++, new FakeAgentWorker(options)),
        close: async () => void closed++,
      }),
    });
    await expect(running).rejects.toThrow('namespace ctl not found on control:7233');
    expect([created, closed]).toEqual([0, 1]);
  });
});
