// capacity --agents: the distributed step runner and the search over it, with a fake control cluster whose
// coordinator answers each step with the agents' slice results (the seams of startDistributedLoad).
import { describe, expect, it } from 'vitest';
import { parseSlo } from '../../src/capacity/slo.js';
import { LatencyHistogram } from '../../src/metrics/latency-histogram.js';
import { latencyResult, type RunResult } from '../../src/report/result.js';
import { AgentStepError, intendedArrivalsOf, measurementOfSlices } from '../../src/run/capacity-agents.js';
import { runCapacity, type CapacityEvent, type CapacitySpec } from '../../src/run/capacity-run.js';
import { AgentWaitError, type ControlService, type DistributedResult, type DistributedSeams } from '../../src/run/distributed-run.js';
import type { CoordinatorClient, RunningCoordinator } from '../../src/temporal/coordinator-client.js';
import type { CoordinatorInput, CoordinatorResult, SliceOutcome } from '../../workflows/coordinator-types.js';
import { FakeClock, flushPromises } from '../helpers/fake-clock.js';
import { makeRunResult } from '../helpers/results.js';

function histogramOf(values: readonly number[]): LatencyHistogram {
  const histogram = LatencyHistogram.create();
  for (const value of values) histogram.recordMillis(value);
  return histogram;
}

interface SliceShape {
  launched: number;
  completed?: number;
  failed?: number;
  inFlight?: number;
  lateStarts?: number;
  missedArrivals?: number;
  e2e: number[];
  lateness: number[];
  peakInFlight?: number;
  /** The slice's own count of arrivals its in-flight cap held back (SchedulerService's); null: an agent too old to carry it. */
  heldByCap?: number | null;
  /** The slice's measured window as its agent measured it (s). */
  windowSeconds?: number;
  stopReason?: RunResult['stopReason'];
  serverHealth?: RunResult['serverHealth'];
}

let documents = 0;

/** An agent's slice result document: an infinite open-loop run with these measured counts and latencies. */
function sliceDocument(shape: SliceShape): Record<string, unknown> {
  const { launched, failed = 0, inFlight = 0, lateStarts = 0 } = shape;
  const completed = shape.completed ?? launched - failed - inFlight;
  const base = makeRunResult({ runId: 'search-1-step1', command: 'infinite' }, shape.e2e);
  const counts = { launched, started: launched, completed, failed, inFlight, lateStarts, failuresByKind: failed > 0 ? { workflow_failed: failed } : {} };
  const document: RunResult = {
    ...base,
    // each its own (the merge refuses the same result twice)
    startedAt: new Date(Date.UTC(2026, 0, 1) + ++documents * 1000).toISOString(),
    loadModel: { kind: 'open', concurrency: 50, rate: 10, wait: true },
    counts: { ...counts, missedArrivals: shape.missedArrivals ?? 0 },
    warmup: { ...counts, launched: 0, started: 0, completed: 0, failed: 0, inFlight: 0, lateStarts: 0, failuresByKind: {}, seconds: 0 },
    measured: { ...counts, seconds: 11 },
    latency: { ...base.latency, startLateness: latencyResult(histogramOf(shape.lateness)) },
    intervals: { compactions: 0, points: [{ t: 1, seconds: 1, inFlight: shape.peakInFlight ?? 3, completed, failed, rate: completed, p50: 10, p99: 12 }] },
    stopReason: shape.stopReason ?? 'time-limit',
    ...(shape.serverHealth ? { serverHealth: shape.serverHealth } : {}),
    ...(shape.heldByCap === null ? {} : { openLoop: { heldByCap: shape.heldByCap ?? 0, windowSeconds: shape.windowSeconds ?? 10 } }),
  };
  return document as unknown as Record<string, unknown>;
}

const finished = (index: number, document: Record<string, unknown>): SliceOutcome => ({ index, shard: `s${index}`, status: 'finished', agent: `agent-${index}`, result: document });

function distributed(outcomes: SliceOutcome[], stopped = false): Promise<DistributedResult> {
  // The real merge of the outcomes, as startDistributedLoad does it.
  return import('../../src/agents/outcomes.js').then(({ outcomesOf }) => {
    const result = outcomesOf({ outcomes, stopped });
    return { runId: 'r', merged: result.merged, thresholds: [], outcomes: result, stopped, coordinatorWorkflowId: 'c' };
  });
}

describe('measurementOfSlices', () => {
  it('intends the arrivals of each slice\'s own open loop in the window (each begins with one at its start)', () => {
    const each = (rates: number[], windowMs: number) => rates.map((rate) => ({ rate, windowMs }));
    expect(intendedArrivalsOf(each([5, 5], 10_000), 0)).toBe(100);
    // 1 wf/s over 2 agents for 3 s: arrivals at 0 s and 2 s on each, 4 in all (one process: 3)
    expect(intendedArrivalsOf(each([0.5, 0.5], 3000), 0)).toBe(4);
    expect(intendedArrivalsOf(each([1], 3000), 0)).toBe(3);
    // after a warm-up of 1 s: 27.5/s intends the arrivals 28…302 in [1 s, 11 s)
    expect(intendedArrivalsOf(each([27.5], 10_000), 1000)).toBe(275);
    // each slice over its own window
    expect(intendedArrivalsOf([{ rate: 5, windowMs: 10_000 }, { rate: 5, windowMs: 4000 }], 0)).toBe(70);
  });


  it('is the merged slices: counts summed, rates over the window, latencies merged from the histograms', async () => {
    const result = await distributed([
      finished(0, sliceDocument({ launched: 50, e2e: [10, 20, 30], lateness: [1, 2] })),
      finished(1, sliceDocument({ launched: 49, failed: 1, inFlight: 1, lateStarts: 2, e2e: [40, 900], lateness: [3, 250] })),
    ]);
    const measurement = measurementOfSlices(result, 10, { durationMs: 10_000, warmupMs: 0, maxInFlight: 100, sliceRates: [5, 5], signalled: false });
    expect(measurement).toMatchObject({
      targetRate: 10, measuredSeconds: 10, intendedArrivals: 100, launched: 99, started: 99, completed: 97, failed: 1, unfinished: 1,
      achievedRate: 9.9, completedPerSecond: 9.7, heldByCap: 0, inFlightCap: 100,
    });
    expect(measurement.cutShort).toBeUndefined();
    // exact merges: the union of both slices' samples
    expect(measurement.latency.e2e).toMatchObject({ count: 5, max: expect.closeTo(900, -1) as number });
    expect(measurement.startLateness.count).toBe(4);
    expect(measurement.startLateness.max).toBeCloseTo(250, -1);
    expect(LatencyHistogram.decode(measurement.histograms.e2e!).summary().count).toBe(5);
    expect(Object.keys(measurement.histograms).sort()).toEqual(['e2e', 'start', 'start_lateness']);
  });

  it('the arrivals held back by the in-flight cap are the sum of each slice\'s own exact count', async () => {
    const step = { durationMs: 10_000, warmupMs: 0, maxInFlight: 20, sliceRates: [4, 4], signalled: false };
    // one slice at its own cap (10) while the other is far below: the merged in-flight never nears 20, yet 9 were held
    const uneven = await distributed([
      finished(0, sliceDocument({ launched: 30, lateStarts: 12, missedArrivals: 5, peakInFlight: 10, heldByCap: 9, e2e: [10], lateness: [2000] })),
      finished(1, sliceDocument({ launched: 40, lateStarts: 0, peakInFlight: 1, heldByCap: 0, e2e: [10], lateness: [1] })),
    ]);
    expect(measurementOfSlices(uneven, 8, step).heldByCap).toBe(9);
    // a cap never full: the agents' late starts are theirs, not the cap's (0, whatever the peak)
    const late = await distributed([
      finished(0, sliceDocument({ launched: 40, lateStarts: 15, missedArrivals: 3, peakInFlight: 19, heldByCap: 0, e2e: [10], lateness: [900] })),
      finished(1, sliceDocument({ launched: 40, lateStarts: 15, missedArrivals: 3, peakInFlight: 19, heldByCap: 0, e2e: [10], lateness: [900] })),
    ]);
    expect(measurementOfSlices(late, 8, step).heldByCap).toBe(0);
    // both at their caps: summed
    const both = await distributed([
      finished(0, sliceDocument({ launched: 30, heldByCap: 7, e2e: [10], lateness: [2000] })),
      finished(1, sliceDocument({ launched: 30, heldByCap: 5, e2e: [10], lateness: [2000] })),
    ]);
    expect(measurementOfSlices(both, 8, step).heldByCap).toBe(12);
    // an agent too old to count it: unknown, never a guess
    const old = await distributed([
      finished(0, sliceDocument({ launched: 30, heldByCap: 7, e2e: [10], lateness: [2000] })),
      finished(1, sliceDocument({ launched: 30, heldByCap: null, e2e: [10], lateness: [2000] })),
    ]);
    expect(measurementOfSlices(old, 8, step).heldByCap).toBeUndefined();
  });

  it('is cut short by a slice whose launching a stop ended early, as its own document says, not by this process\'s clock', async () => {
    const step = { durationMs: 10_000, warmupMs: 0, maxInFlight: 100, sliceRates: [5, 5], signalled: true };
    const cut = await distributed([
      finished(0, sliceDocument({ launched: 10, windowSeconds: 2, stopReason: 'stopped', e2e: [10], lateness: [1] })),
      finished(1, sliceDocument({ launched: 10, windowSeconds: 2, stopReason: 'stopped', e2e: [10], lateness: [1] })),
    ], true);
    expect(measurementOfSlices(cut, 10, step)).toMatchObject({ measuredSeconds: 2, intendedArrivals: 20, cutShort: true });
    // a signal that came after every slice's window had ended (during the drain, nothing left in flight): a whole step
    const whole = await distributed([
      finished(0, sliceDocument({ launched: 50, windowSeconds: 10, stopReason: 'time-limit', e2e: [10], lateness: [1] })),
      finished(1, sliceDocument({ launched: 50, windowSeconds: 10, stopReason: 'time-limit', e2e: [10], lateness: [1] })),
    ], true);
    expect(measurementOfSlices(whole, 10, step).cutShort).toBeUndefined();
    // ... but one that left workflows unfinished in the drain is cut short
    const unfinished = await distributed([
      finished(0, sliceDocument({ launched: 50, inFlight: 2, windowSeconds: 10, e2e: [10], lateness: [1] })),
      finished(1, sliceDocument({ launched: 50, windowSeconds: 10, e2e: [10], lateness: [1] })),
    ], true);
    expect(measurementOfSlices(unfinished, 10, step).cutShort).toBe(true);
  });

  it('a slice aborted on its agent (an outage past --max-outage) is an AgentStepError, whichever slice it is', async () => {
    const step = { durationMs: 10_000, warmupMs: 0, maxInFlight: 100, sliceRates: [5, 5], signalled: false };
    const result = await distributed([
      finished(0, sliceDocument({ launched: 50, e2e: [10], lateness: [1] })),
      finished(1, sliceDocument({ launched: 20, stopReason: 'aborted', windowSeconds: 4, e2e: [10], lateness: [1] })),
    ]);
    expect(result.merged!.stopReason).toBe('time-limit'); // the merge keeps the first slice's
    expect(() => measurementOfSlices(result, 10, step)).toThrow(new AgentStepError(
      'the step at 10 wf/s was aborted on agent agent-1 (slice 1): the server was unreachable longer than --max-outage',
    ));
  });

  it('a lost agent, a failed or untaken slice is an AgentStepError naming it, never a measurement', async () => {
    const ok = finished(0, sliceDocument({ launched: 50, e2e: [10], lateness: [1] }));
    const step = { durationMs: 10_000, warmupMs: 0, maxInFlight: 100, sliceRates: [5, 5], signalled: false };
    const lost = await distributed([ok, { index: 1, shard: 's1', status: 'lost', agent: 'agent-1', lastHeartbeat: null, reason: 'heartbeat timeout' }]);
    expect(() => measurementOfSlices(lost, 10, step)).toThrow(new AgentStepError('agent agent-1 was lost during the step at 10 wf/s (slice 1, shard s1): heartbeat timeout'));
    const failed = await distributed([ok, { index: 1, shard: 's1', status: 'failed', agent: 'agent-1', lastHeartbeat: null, reason: 'namespace not found' }]);
    expect(() => measurementOfSlices(failed, 10, step)).toThrow('slice 1 (shard s1) of the step at 10 wf/s failed on agent agent-1: namespace not found');
    const notTaken = await distributed([ok, { index: 1, shard: 's1', status: 'not-taken', reason: 'no agent took it within 60s' }]);
    expect(() => measurementOfSlices(notTaken, 10, step)).toThrow('was taken by no agent');
  });
});

/** A control cluster whose coordinator answers each step at once, as `answer` says for the step's input. */
class FakeControl {
  polling = ['agent-0', 'agent-1'];
  pollCount = 0;
  connects = 0;
  closes = 0;
  started: CoordinatorInput[] = [];
  workflowIds: string[] = [];
  stops = 0;
  cancels = 0;
  /** A step held open until the test ends it (for a stop mid-step). */
  private held: ((result: CoordinatorResult) => void) | undefined;

  constructor(private readonly answer: (input: CoordinatorInput, step: number) => CoordinatorResult | 'hold' | Error) {}

  seams(clock: FakeClock): DistributedSeams {
    return { clock, connectControl: async () => this.service() };
  }

  endHeld(result: CoordinatorResult): void {
    this.held!(result);
  }

  private service(): ControlService {
    this.connects++;
    return { address: 'control:7233', checkNamespace: async () => undefined, coordinator: () => this.client(), close: async () => void this.closes++ };
  }

  private client(): CoordinatorClient {
    return {
      agentsPolling: async () => {
        this.pollCount++;
        return [...this.polling];
      },
      start: async (workflowId, input): Promise<RunningCoordinator> => {
        this.started.push(input);
        this.workflowIds.push(workflowId);
        const answer = this.answer(input, this.started.length);
        const result = answer === 'hold'
          ? new Promise<CoordinatorResult>((resolve) => (this.held = resolve))
          : answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
        result.catch(() => undefined);
        return { workflowId, progress: async () => [], stop: async () => void this.stops++, cancel: async () => void this.cancels++, result: () => result };
      },
    } as CoordinatorClient;
  }
}

/** Each slice at its share of the rate for the window: on time and fast up to `capacity` wf/s in all, slow above. */
function serverOf(capacity: number, windowSeconds: number) {
  return (input: CoordinatorInput): CoordinatorResult => {
    const rates = input.slices.map((slice) => (slice.spec.loadModel as { rate: number }).rate);
    const total = rates.reduce((sum, rate) => sum + rate, 0);
    return {
      stopped: false,
      outcomes: rates.map((rate, index) => {
        const launched = Math.round(rate * windowSeconds);
        return finished(index, sliceDocument({ launched, e2e: total <= capacity ? [40, 60, 80] : [40, 3000, 5000], lateness: [1, 2, 3] }));
      }),
    };
  };
}

function capacitySpec(overrides: Partial<CapacitySpec> = {}): CapacitySpec {
  return {
    connection: { address: 'cluster:7233', connectTimeoutMs: 1000 }, namespace: 'default', taskQueue: 'load', runId: 'search-1',
    workload: { kind: 'echo' }, search: { slo: parseSlo('e2e.p99<1s'), startRate: 10, stepDurationMs: 10_000, warmupMs: 1000, precision: 0.1, maxRate: 200 },
    maxInFlight: 100, drainStallSeconds: 60, retryTimeout: 0, maxOutage: 0, eagerStart: false,
    agents: { agents: 2, agentWait: 5, reportInterval: 1, control: { connection: { address: 'control:7233', connectTimeoutMs: 1000 }, namespace: 'ctl', taskQueue: 'sched-bench-control' } },
    ...overrides,
  };
}

describe('runCapacity with agents (fake control cluster)', () => {
  it('each step is one distributed run at its rate, split exactly; the merged slices find the capacity', async () => {
    const clock = new FakeClock();
    const control = new FakeControl(serverOf(55, 10));
    const events: CapacityEvent[] = [];
    const result = await runCapacity(capacitySpec(), { clock, agentSeams: control.seams(clock), onEvent: (event) => events.push(event) });
    expect(result.stopReason).toBe('found');
    expect(result.steps.map((step) => [step.targetRate, step.verdict])).toEqual([[10, 'pass'], [20, 'pass'], [40, 'pass'], [80, 'fail'], [60, 'fail'], [50, 'pass'], [55, 'pass']]);
    expect(result.answer).toMatchObject({ kind: 'capacity', capacity: 55, firstFailingRate: 60, limitedBy: ['e2e.p99<1s'] });
    // every step's slices: the rate split exactly over the 2 agents, warm-up + step as the duration, a lost agent fails
    for (const [index, input] of control.started.entries()) {
      const specs = input.slices.map((slice) => slice.spec as { loadModel: { kind: string; rate: number; concurrency: number }; duration: number; warmup: number; mode: string; runId: string });
      expect(specs.reduce((sum, spec) => sum + spec.loadModel.rate, 0)).toBe(result.steps[index]!.targetRate);
      expect(specs.map((spec) => [spec.mode, spec.loadModel.kind, spec.loadModel.concurrency, spec.duration, spec.warmup, spec.runId])).toEqual([
        ['infinite', 'open', 50, 11, 1, `search-1-step${index + 1}`], ['infinite', 'open', 50, 11, 1, `search-1-step${index + 1}`],
      ]);
      expect(input.onAgentLoss).toBe('fail');
    }
    expect(control.workflowIds[0]).toBe('sched-bench-coordinator-search-1-step1');
    // the step's measurement: the merged counts over the window
    expect(result.steps[2]!.measurement).toMatchObject({ launched: 400, intendedArrivals: 400, measuredSeconds: 10, achievedRate: 40 });
    // the agents were waited for once before the search: one "ready" line, not one per step
    expect(events.filter((event) => event.type === 'agents' && event.event.type === 'agents-ready' && event.step === undefined)).toHaveLength(1);
    expect(events.findIndex((event) => event.type === 'agents')).toBeLessThan(events.findIndex((event) => event.type === 'capacity-started'));
    // one control connection for the wait and every step, closed at the end
    expect([control.connects, control.closes]).toEqual([1, 1]);
  });

  it('a generator that did not send its starts is client-limited, judged on the merged slices', async () => {
    const clock = new FakeClock();
    const control = new FakeControl((input, step) => {
      if (step === 1) return serverOf(1000, 10)(input);
      // one agent sent only half its share: the whole step's generator did not keep up
      return { stopped: false, outcomes: [finished(0, sliceDocument({ launched: 100, e2e: [40], lateness: [1] })), finished(1, sliceDocument({ launched: 50, e2e: [40], lateness: [1] }))] };
    });
    const result = await runCapacity(capacitySpec(), { clock, agentSeams: control.seams(clock) });
    expect(result.steps.map((step) => step.verdict)).toEqual(['pass', 'client-limited']);
    expect(result.steps[1]!.generator.reason).toBe('sent 150 of 200 intended starts (75%)');
    expect(result.stopReason).toBe('client-limited');
  });

  it('an agent lost during a step stops the search with an error naming it; the steps so far are kept', async () => {
    const clock = new FakeClock();
    const control = new FakeControl((input, step) => step < 3 ? serverOf(1000, 10)(input) : {
      stopped: false,
      outcomes: [
        finished(0, sliceDocument({ launched: 200, e2e: [40], lateness: [1] })),
        { index: 1, shard: 's1', status: 'lost', agent: 'agent-1', lastHeartbeat: null, reason: 'no heartbeat for 10s' },
      ],
    });
    const result = await runCapacity(capacitySpec(), { clock, agentSeams: control.seams(clock) });
    expect(result.stopReason).toBe('error');
    expect((result.error as Error).message).toBe('agent agent-1 was lost during the step at 40 wf/s (slice 1, shard s1): no heartbeat for 10s');
    expect(result.steps.map((step) => [step.targetRate, step.verdict])).toEqual([[10, 'pass'], [20, 'pass']]);
    expect(result.answer).toMatchObject({ kind: 'at-least', capacity: 20 });
    expect([control.connects, control.closes]).toEqual([1, 1]);
  });

  it('a stop mid-step sends the agents the stop once; the drained step is cut short and the search interrupted', async () => {
    const clock = new FakeClock();
    const control = new FakeControl((input, step) => (step === 1 ? serverOf(1000, 10)(input) : 'hold'));
    const stop = new AbortController();
    const ended = runCapacity(capacitySpec(), { clock, agentSeams: control.seams(clock), signal: stop.signal });
    for (let tries = 0; tries < 50 && control.started.length < 2; tries++) await flushPromises();
    expect(control.started).toHaveLength(2);
    await clock.advance(4000);
    stop.abort();
    await flushPromises();
    expect(control.stops).toBe(1);
    const drained = { launched: 30, e2e: [40], lateness: [1], windowSeconds: 3, stopReason: 'stopped' as const };
    control.endHeld({ stopped: true, outcomes: [finished(0, sliceDocument(drained)), finished(1, sliceDocument(drained))] });
    await clock.advance(10);
    const result = await ended;
    expect(result.stopReason).toBe('interrupted');
    expect(result.steps.map((step) => step.verdict)).toEqual(['pass', 'cut-short']);
    expect(result.steps[1]!.measurement).toMatchObject({ measuredSeconds: 3, launched: 60, cutShort: true });
  });

  it('no agents: an AgentWaitError after --agent-wait, before any step', async () => {
    const clock = new FakeClock();
    const control = new FakeControl(serverOf(1000, 10));
    control.polling = ['agent-0'];
    const ended = runCapacity(capacitySpec(), { clock, agentSeams: control.seams(clock) }).catch((error: unknown) => error);
    await clock.advance(5500);
    const error = await ended;
    expect(error).toBeInstanceOf(AgentWaitError);
    expect((error as Error).message).toBe('2 agents needed, 1 polling on sched-bench-control in ctl after 5s');
    expect(control.started).toEqual([]);
    expect([control.connects, control.closes]).toEqual([1, 1]);
  });

  it('a signal during the wait for the agents: interrupted with no step, never "capacity-started", the control connection closed', async () => {
    const clock = new FakeClock();
    const control = new FakeControl(serverOf(1000, 10));
    control.polling = ['agent-0'];
    const stop = new AbortController();
    const events: CapacityEvent[] = [];
    const ended = runCapacity(capacitySpec(), { clock, agentSeams: control.seams(clock), signal: stop.signal, onEvent: (event) => events.push(event) });
    await clock.advance(1000);
    stop.abort();
    await clock.advance(600);
    const result = await ended;
    expect(result.stopReason).toBe('interrupted');
    expect(result.steps).toEqual([]);
    expect(events.some((event) => event.type === 'capacity-started')).toBe(false);
    expect(control.started).toEqual([]);
    expect([control.connects, control.closes]).toEqual([1, 1]);
  });

  it('a step whose run fails cancels its coordinator (the agents stop loading the cluster) and closes the control connection', async () => {
    const clock = new FakeClock();
    const control = new FakeControl((input, step) => (step === 1 ? serverOf(1000, 10)(input) : new Error('the coordinator workflow failed')));
    const result = await runCapacity(capacitySpec(), { clock, agentSeams: control.seams(clock) });
    expect(result.stopReason).toBe('error');
    expect((result.error as Error).message).toBe('the coordinator workflow failed');
    expect(control.cancels).toBe(1);
    expect(control.closes).toBe(1);
  });

  it('each agent runs --eager-start as asked', async () => {
    const clock = new FakeClock();
    const control = new FakeControl(serverOf(15, 10));
    await runCapacity(capacitySpec({ eagerStart: true }), { clock, agentSeams: control.seams(clock) });
    expect(control.started.flatMap((input) => input.slices.map((slice) => (slice.spec as { eagerStart: boolean }).eagerStart))).toSatisfy(
      (flags: boolean[]) => flags.length > 0 && flags.every((flag) => flag === true),
    );
  });

  it('the server health is the agents\', summed over their slices and steps', async () => {
    const clock = new FakeClock();
    const health = (throttled: number, outageStart: string) => ({
      throttledAttempts: throttled, unavailableAttempts: 2, unavailableSeconds: 1.5, outages: [{ start: outageStart, end: null, seconds: 1.5 }],
    });
    const control = new FakeControl((input, step) => step > 1 ? serverOf(1000, 10)(input) : {
      stopped: false,
      outcomes: [
        finished(0, sliceDocument({ launched: 50, e2e: [40], lateness: [1], serverHealth: health(3, '2026-01-01T00:00:02.000Z') })),
        finished(1, sliceDocument({ launched: 50, e2e: [40], lateness: [1], serverHealth: health(4, '2026-01-01T00:00:01.000Z') })),
      ],
    });
    const result = await runCapacity(capacitySpec({ search: { ...capacitySpec().search, maxRate: 20 } }), { clock, agentSeams: control.seams(clock) });
    expect(result.serverHealth).toMatchObject({ throttledAttempts: 7, unavailableAttempts: 4, unavailableMs: 3000 });
    expect(result.serverHealth.outages).toEqual([
      { startMs: Date.parse('2026-01-01T00:00:01.000Z'), endMs: undefined }, { startMs: Date.parse('2026-01-01T00:00:02.000Z'), endMs: undefined },
    ]);
  });
});
