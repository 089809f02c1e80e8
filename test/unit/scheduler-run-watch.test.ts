import { describe, expect, it } from 'vitest';
import { RunWatch, type RunWatchEvent } from '../../src/scheduler/run-watch.js';
import type { PickupProbe } from '../../src/shared/pickup-probe.js';
import { FakeClock } from '../helpers/fake-clock.js';

interface Setup {
  pollers?: number;
  failure?: string;
  wait?: boolean;
  outageLimitMs?: number;
}

function setup({ pollers = 1, failure, wait = true, outageLimitMs = 0, embeddedWorker = false }: Setup & { embeddedWorker?: boolean } = {}) {
  const clock = new FakeClock();
  const state = { pollers, finished: 0, inFlight: ['wf-1', 'wf-2'], outageMs: 0, pollerCalls: 0, describedIds: [] as string[] };
  const probe: PickupProbe = {
    pollerCount: async () => {
      state.pollerCalls++;
      return state.pollers;
    },
    workflowTaskFailure: async (workflowId) => {
      state.describedIds.push(workflowId);
      return failure;
    },
  };
  const events: RunWatchEvent[] = [];
  const watch = new RunWatch({
    clock, probe, wait, embeddedWorker, workflowTypes: ['NoSuchType'],
    finished: () => state.finished,
    inFlightWorkflowIds: () => state.inFlight,
    outage: { limitMs: outageLimitMs, currentMs: () => state.outageMs },
    onEvent: (event) => events.push(event),
  });
  watch.start();
  return { clock, state, events, watch };
}

describe('RunWatch: workflows nobody picks up', () => {
  it('says within seconds, once, that no worker polls the task queue (two looks, 5 s apart, found none)', async () => {
    const { clock, events, state, watch } = setup({ pollers: 0 });
    await clock.advance(3000);
    expect(state.pollerCalls).toBe(1);
    expect(events).toEqual([]); // one look alone may catch a worker still starting up
    await clock.advance(5000);
    expect(events).toEqual([{ type: 'no-pollers' }]);
    await clock.advance(60_000);
    expect(events).toHaveLength(1);
    watch.stop();
  });

  it('says nothing while workflows finish (a worker runs them), and asks no more than needed', async () => {
    const { clock, state, events, watch } = setup({ pollers: 0 });
    for (let second = 0; second < 30; second++) {
      state.finished += 3;
      await clock.advance(1000);
    }
    expect(events).toEqual([]);
    expect(state.pollerCalls).toBe(0);
    watch.stop();
  });

  it('a poller seen between two pollerless looks resets the count', async () => {
    const { clock, events, state, watch } = setup({ pollers: 0 });
    await clock.advance(3000);
    state.pollers = 1;
    await clock.advance(5000);
    state.pollers = 0;
    await clock.advance(5000);
    expect(events).toEqual([]);
    await clock.advance(5000);
    expect(events).toEqual([{ type: 'no-pollers' }]);
    watch.stop();
  });

  it('does not ask for pollers when the worker is embedded in this process', async () => {
    const { clock, events, state, watch } = setup({ pollers: 0, embeddedWorker: true });
    await clock.advance(30_000);
    expect(state.pollerCalls).toBe(0);
    expect(events).toEqual([]);
    watch.stop();
  });

  it('with --no-wait, finishes prove nothing: no pollers is said all the same', async () => {
    const { clock, state, events, watch } = setup({ pollers: 0, wait: false });
    state.finished = 100;
    await clock.advance(9000);
    expect(events).toEqual([{ type: 'no-pollers' }]);
    watch.stop();
  });

  it('names a workflow type the workers do not have, from the failure of the oldest stuck workflow', async () => {
    const failure = "Failed to initialize workflow of type 'NoSuchType': no such function is exported by the workflow bundle";
    const { clock, state, events, watch } = setup({ failure });
    await clock.advance(4000);
    expect(state.describedIds).toEqual(['wf-1']);
    expect(events).toEqual([{ type: 'workflow-task-failing', workflowId: 'wf-1', message: failure, typeNotRegistered: true, workflowType: 'NoSuchType' }]);
    watch.stop();
  });

  it('reports other workflow task failures as such', async () => {
    const { clock, events, watch } = setup({ failure: 'nondeterminism error: boom' });
    await clock.advance(4000);
    expect(events).toEqual([{ type: 'workflow-task-failing', workflowId: 'wf-1', message: 'nondeterminism error: boom', typeNotRegistered: false }]);
    watch.stop();
  });

  it('stays silent when the stuck workflows are merely slow (pollers there, no failing tasks)', async () => {
    const { clock, events, state, watch } = setup();
    await clock.advance(30_000);
    expect(events).toEqual([]);
    expect(state.pollerCalls).toBeGreaterThan(1); // it kept looking
    watch.stop();
  });
});

describe('RunWatch: the server gone for good', () => {
  it('reports once when the open outage passes the limit', async () => {
    const { clock, state, events, watch } = setup({ outageLimitMs: 3000 });
    state.finished = 1;
    state.outageMs = 2500;
    await clock.advance(1000);
    expect(events).toEqual([]);
    state.outageMs = 3500;
    await clock.advance(1000);
    state.outageMs = 4500;
    await clock.advance(1000);
    expect(events.filter((event) => event.type === 'outage-limit')).toEqual([{ type: 'outage-limit', outageMs: 3500, limitMs: 3000 }]);
    watch.stop();
  });

  it('never gives up with a limit of 0', async () => {
    const { clock, state, events, watch } = setup({ outageLimitMs: 0 });
    state.outageMs = 10 * 86_400_000;
    await clock.advance(2000);
    expect(events.filter((event) => event.type === 'outage-limit')).toEqual([]);
    watch.stop();
  });

  it('stops ticking when stopped', async () => {
    const { clock, watch } = setup();
    watch.stop();
    expect(clock.pendingTimers).toBe(0);
  });
});
