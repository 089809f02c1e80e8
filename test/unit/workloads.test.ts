import { describe, expect, it } from 'vitest';
import { runLoad, type LoadResult } from '../../src/run/load-run.js';
import { SchedulerService } from '../../src/scheduler/scheduler-service.js';
import type { BenchHistoryEvent } from '../../src/shared/history-events.js';
import type { OperationName } from '../../src/shared/operations.js';
import {
  recordChildCompleted, recordIterations, recordScheduleToStart, recordSignalHandled, recordTimerLag,
} from '../../src/workloads/history-latencies.js';
import { seededRandom, weightedPicker } from '../../src/workloads/mix.js';
import { operationsMeasuredBy, type Workload } from '../../src/workloads/workload.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { FakeWorkloadLauncher, type FakeWorkloadOptions } from '../helpers/fake-workload-launcher.js';
import { loadSpec } from '../helpers/load-spec.js';

async function run(workload: Workload, options: Omit<FakeWorkloadOptions, 'clock'> = {}, spec: Parameters<typeof loadSpec>[0] = {}) {
  const clock = new FakeClock();
  const launcher = new FakeWorkloadLauncher({ clock, callMs: 10, ...options });
  const running = runLoad(loadSpec({ totalWorkflows: 10, workload, ...spec }), { launcher, clock });
  let result: LoadResult | undefined;
  void running.then((value) => (result = value));
  for (let step = 0; step < 10_000 && result === undefined; step++) await clock.advance(50);
  expect(result, 'the run did not end').toBeDefined();
  return { result: result!, launcher };
}

const countOf = (result: LoadResult, operation: OperationName) => result.operations[operation]?.summary.count ?? 0;

describe('workload units driven by the scheduler (fake launcher, fake clock)', () => {
  it('signal: K signals per workflow, each timed; handled latencies from the history, off the slot', async () => {
    const { result, launcher } = await run({ kind: 'signal', signals: 3, withStart: false }, { handledMs: 7 });
    expect(result.stats).toMatchObject({ completed: 10, failed: 0 });
    expect(countOf(result, 'signal.sent')).toBe(30);
    expect(result.operations['signal.sent']!.summary.p50).toBeCloseTo(10, 0);
    expect(countOf(result, 'signal.handled')).toBe(30);
    expect(result.operations['signal.handled']!.summary.max).toBeCloseTo(7, 0);
    // Signals go after the start and before the result wait.
    const first = launcher.log.filter((line) => line.includes('wf-1 ') || line.endsWith('wf-1'));
    expect(first).toEqual([
      'start wf-1 SignalWorkflow', 'signal wf-1 bench-signal', 'signal wf-1 bench-signal', 'signal wf-1 bench-signal', 'result wf-1', 'history wf-1',
    ]);
    expect(Object.keys(result.operations)).toEqual(['signal.sent', 'signal.handled']);
  });

  it('signal-with-start: the first signal rides on the start and is timed as one of the K', async () => {
    const { result, launcher } = await run({ kind: 'signal', signals: 3, withStart: true });
    expect(countOf(result, 'signal.sent')).toBe(30);
    expect(countOf(result, 'signal.handled')).toBe(30);
    expect(launcher.log.filter((line) => line.startsWith('signal wf-1 '))).toHaveLength(3);
  });

  it('update and update-with-start: accepted and completed per update, completed ≥ accepted', async () => {
    for (const withStart of [false, true]) {
      const { result } = await run({ kind: 'update', updates: 2, withStart }, { updateRunMs: 30 });
      expect(result.stats).toMatchObject({ completed: 10, failed: 0 });
      expect(countOf(result, 'update.accepted')).toBe(20);
      expect(countOf(result, 'update.completed')).toBe(20);
      expect(result.operations['update.accepted']!.summary.max).toBeCloseTo(10, 0);
      expect(result.operations['update.completed']!.summary.min).toBeGreaterThanOrEqual(39);
    }
  });

  it('query: K queries, then the signal that finishes the workflow', async () => {
    const { result, launcher } = await run({ kind: 'query', queries: 4 });
    expect(countOf(result, 'query.answered')).toBe(40);
    expect(launcher.log.filter((line) => line.startsWith('signal wf-2 '))).toEqual(['signal wf-2 bench-finish']);
  });

  it('continue-as-new: iteration latencies from the run start times the last run returns', async () => {
    const { result } = await run({ kind: 'continue-as-new', iterations: 3 }, { resultOf: () => [1000, 1040, 1100, 1190] });
    expect(countOf(result, 'continue_as_new.iteration')).toBe(30);
    expect(result.operations['continue_as_new.iteration']!.summary.max).toBeCloseTo(90, 0);
    expect(result.operations['continue_as_new.iteration']!.summary.min).toBeCloseTo(40, 0);
  });

  it('warm-up launches are counted but record no operation latency', async () => {
    const clock = new FakeClock();
    const launcher = new FakeWorkloadLauncher({ clock, callMs: 100 });
    const running = runLoad(loadSpec({ mode: 'infinite', maxRuntime: 2, warmup: 1, loadModel: { kind: 'closed', concurrency: 1 }, workload: { kind: 'signal', signals: 1, withStart: false } }), { launcher, clock });
    let result: LoadResult | undefined;
    void running.then((value) => (result = value));
    for (let step = 0; step < 1000 && result === undefined; step++) await clock.advance(50);
    expect(result!.stats.warmup.completed).toBeGreaterThan(0);
    expect(countOf(result!, 'signal.sent')).toBe(result!.stats.measured.completed);
  });

  it('a failed operation fails its workflow with the operation\'s kind; the run goes on', async () => {
    const { result } = await run({ kind: 'signal', signals: 2, withStart: false }, { failSignal: { nth: 5, kind: 'throttled' } });
    expect(result.stats).toMatchObject({ completed: 9, failed: 1, failuresByKind: { throttled: 1 } });
    expect(countOf(result, 'signal.sent')).toBe(19);
  });

  it('a workflow whose operation failed is known as stranded (to be terminated), not as in flight', async () => {
    const clock = new FakeClock();
    const launcher = new FakeWorkloadLauncher({ clock, callMs: 10, failSignal: { nth: 3, kind: 'unknown' } });
    const scheduler = new SchedulerService({ launcher, concurrency: 1, reportInterval: 60, clock });
    const running = scheduler.run({ totalWorkflows: 3, workload: { kind: 'signal', signals: 2, withStart: false } });
    let done = false;
    void running.then(() => (done = true));
    for (let step = 0; step < 1000 && !done; step++) await clock.advance(50);
    expect(await running).toMatchObject({ completed: 2, failed: 1, inFlight: 0 });
    expect(scheduler.strandedWorkflows()).toEqual([{ workflowId: 'wf-2', workflowType: 'SignalWorkflow' }]);
    expect(scheduler.inFlightWorkflowIds()).toEqual([]);
    // The per-type counts are frozen with the stats: what happens after the end changes nothing.
    scheduler.metrics.recordFailure('measured', 'terminated', 'SignalWorkflow');
    expect(scheduler.workflowTypeCounts().get('SignalWorkflow')).toMatchObject({ started: 3, completed: 2, failed: 1 });
  });

  it('update-with-start never accepted: the workflow it created is known as stranded, not lost', async () => {
    const clock = new FakeClock();
    const launcher = new FakeWorkloadLauncher({ clock, callMs: 10, unacceptedUpdateWithStart: 'server_unavailable' });
    const scheduler = new SchedulerService({ launcher, concurrency: 2, reportInterval: 60, clock });
    const running = scheduler.run({ totalWorkflows: 2, workload: { kind: 'update', updates: 1, withStart: true } });
    let done = false;
    void running.then(() => (done = true));
    for (let step = 0; step < 1000 && !done; step++) await clock.advance(50);
    expect(await running).toMatchObject({ started: 0, failed: 2, inFlight: 0 });
    expect(scheduler.strandedWorkflows().map((workflow) => workflow.workflowId).sort()).toEqual(['wf-1', 'wf-2']);
    expect(scheduler.inFlightWorkflowIds()).toEqual([]);
  });

  it('start-only (no wait): the operations still run, but no result wait and no history reads', async () => {
    const { result, launcher } = await run({ kind: 'signal', signals: 2, withStart: false }, {}, { wait: false });
    expect(result.stats).toMatchObject({ completed: 10, failed: 0 });
    expect(countOf(result, 'signal.sent')).toBe(20);
    expect(countOf(result, 'signal.handled')).toBe(0);
    expect(launcher.log.some((line) => line.startsWith('result') || line.startsWith('history'))).toBe(false);
  });

  it('--history-sample 1 reads every echo workflow\'s history for schedule-to-start; 0 reads none', async () => {
    const sampled = await run({ kind: 'echo' }, {}, { historySample: 1 });
    expect(countOf(sampled.result, 'workflow_task.schedule_to_start')).toBe(10);
    expect(sampled.result.operations['workflow_task.schedule_to_start']!.summary.max).toBeCloseTo(3, 0);
    // Counted, not drawn: a quarter of 10 is the 4th and the 8th, in every run.
    for (let trial = 0; trial < 2; trial++) {
      const quarter = await run({ kind: 'echo' }, {}, { historySample: 0.25 });
      expect(quarter.launcher.log.filter((line) => line.startsWith('history'))).toHaveLength(2);
      expect(countOf(quarter.result, 'workflow_task.schedule_to_start')).toBe(2);
    }
    const none = await run({ kind: 'echo' }, {}, { historySample: 0 });
    expect(none.result.operations).toEqual({});
    expect(none.launcher.log.some((line) => line.startsWith('history'))).toBe(false);
  });

  it('open loop: a workload launches at the rate, its operations timed as in the closed loop', async () => {
    const { result } = await run({ kind: 'update', updates: 2, withStart: false }, { updateRunMs: 20 }, {
      mode: 'infinite', maxRuntime: 5, loadModel: { kind: 'open', rate: 4, concurrency: 100 },
    });
    expect(result.stats.launched).toBe(20);
    expect(result.stats).toMatchObject({ completed: 20, failed: 0, missedArrivals: 0 });
    expect(countOf(result, 'update.accepted')).toBe(40);
    expect(countOf(result, 'update.completed')).toBe(40);
  });

  it('workloads that read every history take schedule-to-start from the sample only (no bias in a mix)', async () => {
    const all = await run({ kind: 'signal', signals: 1, withStart: false }, {}, { historySample: 1 });
    const half = await run({ kind: 'signal', signals: 1, withStart: false }, {}, { historySample: 0.5 });
    expect(countOf(all.result, 'signal.handled')).toBe(10);
    expect(countOf(half.result, 'signal.handled')).toBe(10); // every history is still read for its own latency
    // Two workflow tasks per workflow (the first, and the one that handles the signal).
    expect(countOf(all.result, 'workflow_task.schedule_to_start')).toBe(20);
    expect(countOf(half.result, 'workflow_task.schedule_to_start')).toBe(10);
  });

  it('a mix launches each part in proportion and measures each part\'s operations', async () => {
    const workload: Workload = {
      kind: 'mix', seed: 7,
      parts: [{ workload: { kind: 'echo' }, weight: 1 }, { workload: { kind: 'query', queries: 1 }, weight: 1 }],
    };
    const { result, launcher } = await run(workload, {}, { totalWorkflows: 40 });
    const queries = launcher.log.filter((line) => line.startsWith('start') && line.endsWith('QueryWorkflow')).length;
    const echoes = launcher.log.filter((line) => line.startsWith('start') && line.endsWith('EchoWorkflow')).length;
    expect(queries + echoes).toBe(40);
    expect(queries).toBeGreaterThan(5);
    expect(echoes).toBeGreaterThan(5);
    expect(countOf(result, 'query.answered')).toBe(queries);
  });
});

describe('the mix: seeded weighted draws', () => {
  it('draws each part in proportion to its weight (within 5 standard deviations over 100 000 draws)', () => {
    const parts = [{ name: 'echo', weight: 70 }, { name: 'signal', weight: 20 }, { name: 'update', weight: 10 }];
    const pick = weightedPicker(parts, seededRandom(42));
    const draws = 100_000;
    const counts = new Map<string, number>();
    for (let i = 0; i < draws; i++) {
      const { name } = pick();
      counts.set(name, (counts.get(name) ?? 0) + 1);
    }
    for (const { name, weight } of parts) {
      const p = weight / 100;
      const sd = Math.sqrt(draws * p * (1 - p));
      expect(Math.abs(counts.get(name)! - draws * p)).toBeLessThan(5 * sd);
    }
  });

  it('the same seed draws the same sequence; another seed another', () => {
    const parts = [{ weight: 1 }, { weight: 1 }, { weight: 2 }];
    const sequence = (seed: number) => {
      const pick = weightedPicker(parts, seededRandom(seed));
      return Array.from({ length: 50 }, () => parts.indexOf(pick()));
    };
    expect(sequence(3)).toEqual(sequence(3));
    expect(sequence(3)).not.toEqual(sequence(4));
  });

  it('refuses a mix without weight', () => {
    expect(() => weightedPicker([], Math.random)).toThrow(/at least one part/);
    expect(() => weightedPicker([{ weight: 0 }], Math.random)).toThrow(/weight > 0/);
  });
});

describe('history-derived latencies (server times only)', () => {
  const samples = (fn: (events: BenchHistoryEvent[], record: (name: OperationName, ms: number) => void) => void, events: BenchHistoryEvent[]) => {
    const recorded: Array<[OperationName, number]> = [];
    fn(events, (name, ms) => recorded.push([name, ms]));
    return recorded;
  };

  it('a signal is handled when the first workflow task started after it completes', () => {
    expect(samples(recordSignalHandled, [
      { kind: 'workflowTaskStarted', timeMs: 100 },
      { kind: 'signaled', timeMs: 105, signalName: 's' }, // arrives while a task runs: the next one handles it
      { kind: 'workflowTaskCompleted', timeMs: 110 },
      { kind: 'workflowTaskScheduled', timeMs: 110 },
      { kind: 'workflowTaskStarted', timeMs: 120 },
      { kind: 'workflowTaskCompleted', timeMs: 125 },
      { kind: 'signaled', timeMs: 200, signalName: 's' }, // never handled: no sample
    ])).toEqual([['signal.handled', 20]]);
  });

  it('timer lag: fired − (started + duration), never negative; an unfired timer gives none', () => {
    expect(samples(recordTimerLag, [
      { kind: 'timerStarted', timeMs: 1000, timerId: '1', startToFireMs: 500 },
      { kind: 'timerStarted', timeMs: 1000, timerId: '2', startToFireMs: 100 },
      { kind: 'timerStarted', timeMs: 1000, timerId: '3', startToFireMs: 100 },
      { kind: 'timerFired', timeMs: 1512, timerId: '1' },
      { kind: 'timerFired', timeMs: 1099, timerId: '2' },
    ])).toEqual([['timer.lag', 12], ['timer.lag', 0]]);
  });

  it('children pair by the initiating event; schedule-to-start pairs tasks with their start', () => {
    expect(samples(recordChildCompleted, [
      { kind: 'childInitiated', timeMs: 10, eventId: 5 },
      { kind: 'childInitiated', timeMs: 10, eventId: 6 },
      { kind: 'childCompleted', timeMs: 50, initiatedEventId: 6 },
      { kind: 'childCompleted', timeMs: 70, initiatedEventId: 5 },
    ])).toEqual([['child.completed', 40], ['child.completed', 60]]);
    expect(samples(recordScheduleToStart, [
      { kind: 'workflowTaskScheduled', timeMs: 0 },
      { kind: 'workflowTaskStarted', timeMs: 4 },
      { kind: 'activityScheduled', timeMs: 10, eventId: 7 },
      { kind: 'activityStarted', timeMs: 19, scheduledEventId: 7 },
      { kind: 'workflowTaskScheduled', timeMs: 30 }, // not started yet: no sample
    ])).toEqual([['workflow_task.schedule_to_start', 4], ['activity_task.schedule_to_start', 9]]);
  });

  it('continue-as-new iterations are the gaps between consecutive run starts', () => {
    const recorded: number[] = [];
    recordIterations([0, 25, 75], (_name, ms) => recorded.push(ms));
    expect(recorded).toEqual([25, 50]);
  });
});

describe('what a workload measures (thresholds are checked against it before the run)', () => {
  it('names the operations of each workload, history-derived ones only when results are awaited', () => {
    expect(operationsMeasuredBy({ kind: 'echo' }, { wait: true })).toEqual([]);
    expect(operationsMeasuredBy({ kind: 'echo' }, { wait: true, historySample: 0.01 })).toEqual(['workflow_task.schedule_to_start', 'activity_task.schedule_to_start']);
    expect(operationsMeasuredBy({ kind: 'signal', signals: 1, withStart: false }, { wait: false })).toEqual(['signal.sent']);
    expect(operationsMeasuredBy({ kind: 'mix', seed: 1, parts: [{ workload: { kind: 'timer', durationMs: 1 }, weight: 1 }, { workload: { kind: 'update', updates: 1, withStart: true }, weight: 1 }] }, { wait: true }))
      .toEqual(['update.accepted', 'update.completed', 'timer.lag']);
  });
});
