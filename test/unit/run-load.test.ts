import { describe, expect, it } from 'vitest';
import { exitCodeOf } from '../../src/cli/exit-codes.js';
import { parseThresholdList } from '../../src/metrics/thresholds.js';
import { formatFinalLine, formatIntervalLine } from '../../src/report/lines.js';
import { runLoad, type LoadEvent, type LoadResult } from '../../src/run/load-run.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { FakeLauncher } from '../helpers/fake-launcher.js';
import { loadSpec } from '../helpers/load-spec.js';

/** Drives the fake clock until the run's promise settles (bounded: a hang fails the test). */
async function settle(clock: FakeClock, result: Promise<LoadResult>): Promise<LoadResult> {
  let done: LoadResult | undefined;
  void result.then((value) => (done = value));
  for (let step = 0; step < 10_000 && done === undefined; step++) await clock.advance(50);
  expect(done, 'the run did not end').toBeDefined();
  return done!;
}

describe('runLoad, the run layer as a library call (fake launcher, fake clock)', () => {
  it('runs a batch to its total and returns the counts, latencies and verdicts the CLI prints', async () => {
    const clock = new FakeClock();
    const launcher = new FakeLauncher({ clock, startMs: 10, runMs: 290 });
    const events: LoadEvent[] = [];
    const spec = loadSpec({ thresholds: parseThresholdList('e2e.p99<1s;failed.count==0') });
    const result = await settle(clock, runLoad(spec, { launcher, clock, onEvent: (event) => events.push(event) }));

    expect(result.stats).toMatchObject({ mode: 'batch', launched: 20, started: 20, completed: 20, failed: 0, inFlight: 0, stopReason: 'total-reached' });
    expect(launcher.maxInFlight).toBeLessThanOrEqual(4);
    expect(result.histograms.e2e.count).toBe(20);
    expect(result.latency.e2e.p99).toBeGreaterThanOrEqual(300);
    expect(result.latency.e2e.p99).toBeLessThan(400);
    expect(result.thresholds.map((threshold) => threshold.passed)).toEqual([true, true]);
    expect(exitCodeOf({ kind: 'load', stats: result.stats, thresholds: result.thresholds })).toBe(0);
    expect(formatFinalLine(result.stats, result.interrupted)).toBe('Batch scheduler completed. Launched 20 workflows in 1.50s, final rate: 13.33 wf/s');
    // The events carry what the CLI prints while the run goes on: the start, then one line per interval.
    expect(events[0]).toMatchObject({ type: 'load-started', runId: result.runId });
    const intervals = events.flatMap((event) => (event.type === 'interval' ? [event.report] : []));
    expect(intervals.length).toBeGreaterThan(0);
    expect(formatIntervalLine(intervals.at(-1)!)).toMatch(/^Concurrent: \d+ Workflows: \d+ Rate: [\d.]+$/);
    expect(result.intervals.points).toHaveLength(intervals.length);
  });

  it('stops gracefully when its signal is aborted: no new launches, a drain, an interrupted result', async () => {
    const clock = new FakeClock();
    const launcher = new FakeLauncher({ clock, startMs: 10, runMs: 500 });
    const stop = new AbortController();
    const running = runLoad(loadSpec({ mode: 'infinite' }), { launcher, clock, signal: stop.signal });
    await clock.advance(2000);
    stop.abort();
    const result = await settle(clock, running);
    expect(result.interrupted).toBe(true);
    expect(result.stats).toMatchObject({ mode: 'infinite', stopReason: 'stopped', inFlight: 0, failed: 0 });
    expect(result.stats.completed).toBe(result.stats.launched);
    expect(result.stats.completed).toBeGreaterThan(0);
    expect(exitCodeOf({ kind: 'load', stats: result.stats, thresholds: [] })).toBe(0);
  });

  it('an open loop carries its measured window and the arrivals its in-flight cap held back (a capacity step over agents judges a slice by them)', async () => {
    const clock = new FakeClock();
    // 2 in flight at most, each running 2 s, 10 arrivals a second: the cap holds most arrivals back
    const launcher = new FakeLauncher({ clock, startMs: 10, runMs: 2000 });
    const spec = loadSpec({ mode: 'infinite', loadModel: { kind: 'open', rate: 10, concurrency: 2 }, duration: 3, totalWorkflows: 0 });
    const result = await settle(clock, runLoad(spec, { launcher, clock }));
    expect(result.openLoop!.windowSeconds).toBe(3);
    expect(result.openLoop!.heldByCap).toBeGreaterThan(10);
    const closedClock = new FakeClock();
    const closed = await settle(closedClock, runLoad(loadSpec(), { launcher: new FakeLauncher({ clock: closedClock, startMs: 10, runMs: 10 }), clock: closedClock }));
    expect(closed.openLoop).toBeUndefined();
  });

  it('reports failures as events and in the result; a failing threshold is the CLI\'s 99', async () => {
    const clock = new FakeClock();
    const launcher = new FakeLauncher({ clock, runMs: 20, failResults: new Map([[3, 'workflow_failed'], [7, 'workflow_failed']]) });
    const failures: string[] = [];
    const spec = loadSpec({ totalWorkflows: 10, thresholds: parseThresholdList('failed.count<1') });
    const result = await settle(clock, runLoad(spec, { launcher, clock, onEvent: (event) => event.type === 'failure' && failures.push(event.kind) }));
    expect(failures).toEqual(['workflow_failed', 'workflow_failed']);
    expect(result.stats).toMatchObject({ completed: 8, failed: 2, failuresByKind: { workflow_failed: 2 } });
    expect(result.thresholds[0]).toMatchObject({ passed: false, value: 2 });
    expect(exitCodeOf({ kind: 'load', stats: result.stats, thresholds: result.thresholds })).toBe(99);
  });
});
