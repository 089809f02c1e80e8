import { describe, expect, it } from 'vitest';
import { checkOverlapPromise, maxConcurrentRuns } from '../../src/schedules/overlap-check.js';
import { ScheduleObserver } from '../../src/schedules/schedule-observer.js';
import type { FireSpec, ScheduleCounts, ScheduleReport, ScheduleSource, ScheduleState } from '../../src/shared/schedule-types.js';
import { FakeClock } from '../helpers/fake-clock.js';

const EVERY_SECOND: FireSpec = { kind: 'interval', everyMs: 1000 };

/** A schedule server on the fake clock: each due fire is taken `lagMs` late, the last 10 kept. */
class FakeSchedules implements ScheduleSource {
  constructor(
    private readonly clock: FakeClock,
    private readonly window: { startMs: number; endMs: number },
    private readonly lagMs: number,
  ) {}

  async describe(scheduleId: string): Promise<ScheduleState> {
    const fires = [];
    for (let due = Math.ceil(this.window.startMs / 1000) * 1000; due <= this.window.endMs && due + this.lagMs <= this.clock.now(); due += 1000) {
      fires.push({ scheduleId, workflowId: `${scheduleId}-${due}`, runId: 'r', scheduledAtMs: due, takenAtMs: due + this.lagMs });
    }
    return { scheduleId, taken: fires.length, skippedOverlap: 0, missedCatchupWindow: 0, buffered: 0, running: 0, recentFires: fires.slice(-10) };
  }
}

describe('ScheduleObserver', () => {
  it('records each fire once from the schedules\' records, reports, and ends when every expected fire is taken', async () => {
    const clock = new FakeClock();
    const window = { startMs: 500, endMs: 5500 }; // fires at 1 s … 5 s
    const reports: ScheduleReport[] = [];
    const observer = new ScheduleObserver({
      source: new FakeSchedules(clock, window, 40), scheduleIds: ['s1', 's2'], spec: EVERY_SECOND, window,
      pollIntervalMs: 1000, reportIntervalMs: 2000, settleMs: 5000, clock, onReport: (report) => reports.push(report),
    });
    let finished: Awaited<ReturnType<ScheduleObserver['run']>> | undefined;
    void observer.run().then((result) => (finished = result));
    await clock.advance(5000);
    expect(finished).toBeUndefined();
    await clock.advance(2000);
    expect(finished!.counts).toEqual({ schedules: 2, expected: 10, taken: 10, skipped: 0, missed: 0, buffered: 0, recorded: 10, unaccounted: 0 });
    expect(finished!.stopReason).toBe('window-done');
    expect(finished!.fireLag.summary()).toMatchObject({ count: 10, min: 40, max: 40 });
    expect(reports.length).toBeGreaterThanOrEqual(2);
    expect(reports[0]).toMatchObject({ schedules: 2, expected: 4, taken: 2 });
    expect(clock.pendingTimers).toBe(0);
  });

  it('stop() ends at the next poll and expects only the fires due until then', async () => {
    const clock = new FakeClock();
    const window = { startMs: 500, endMs: 60_500 };
    const observer = new ScheduleObserver({
      source: new FakeSchedules(clock, window, 10), scheduleIds: ['s1'], spec: EVERY_SECOND, window,
      pollIntervalMs: 1000, reportIntervalMs: 10_000, settleMs: 5000, clock,
    });
    const running = observer.run();
    await clock.advance(3200);
    observer.stop();
    await clock.advance(10);
    const result = await running;
    expect(result.stopReason).toBe('stopped');
    expect(result.counts).toMatchObject({ expected: 3, taken: 3, unaccounted: 0 });
  });

  it('gives up `settleMs` after the window when fires stay unaccounted for, and says how many', async () => {
    const clock = new FakeClock();
    const window = { startMs: 500, endMs: 3500 };
    const never: ScheduleSource = {
      describe: async (scheduleId) => ({ scheduleId, taken: 0, skippedOverlap: 0, missedCatchupWindow: 0, buffered: 0, running: 0, recentFires: [] }),
    };
    const observer = new ScheduleObserver({ source: never, scheduleIds: ['s1'], spec: EVERY_SECOND, window, pollIntervalMs: 1000, reportIntervalMs: 10_000, settleMs: 2000, clock });
    let finished: Awaited<ReturnType<ScheduleObserver['run']>> | undefined;
    void observer.run().then((result) => (finished = result));
    await clock.advance(5000);
    expect(finished).toBeUndefined();
    await clock.advance(1000);
    expect(finished!.counts).toMatchObject({ expected: 3, taken: 0, unaccounted: 3 });
  });
});

describe('ScheduleObserver: a server slow to take the last fires', () => {
  /** Fire k (1-based, due at k s) is taken k × 3 s late: each comes within 3 s of the one before, the last 15 s late. */
  const slower: (clock: FakeClock) => ScheduleSource = (clock) => ({
    describe: async (scheduleId) => {
      const fires = [1, 2, 3, 4, 5].map((k) => ({ scheduleId, workflowId: `${scheduleId}-${k}`, runId: 'r', scheduledAtMs: k * 1000, takenAtMs: k * 1000 + k * 3000 }))
        .filter((fire) => fire.takenAtMs <= clock.now());
      return { scheduleId, taken: fires.length, skippedOverlap: 0, missedCatchupWindow: 0, buffered: 0, running: 0, recentFires: fires };
    },
  });
  const window = { startMs: 500, endMs: 5500 };

  it('waits settleMs after the last fire taken, not only after the window, while the server still makes progress', async () => {
    const clock = new FakeClock();
    const observer = new ScheduleObserver({
      source: slower(clock), scheduleIds: ['s1'], spec: EVERY_SECOND, window, pollIntervalMs: 1000, reportIntervalMs: 10_000, settleMs: 5000, maxSettleMs: 60_000, clock,
    });
    const result = observer.run();
    await clock.advance(25_000);
    expect((await result).counts).toMatchObject({ expected: 5, taken: 5, unaccounted: 0 });
  });

  it('still gives up at maxSettleMs after the window', async () => {
    const clock = new FakeClock();
    const observer = new ScheduleObserver({
      source: slower(clock), scheduleIds: ['s1'], spec: EVERY_SECOND, window, pollIntervalMs: 1000, reportIntervalMs: 10_000, settleMs: 5000, maxSettleMs: 8000, clock,
    });
    const result = observer.run();
    await clock.advance(25_000);
    expect((await result).counts).toMatchObject({ expected: 5, taken: 3, unaccounted: 2 });
  });
});

describe('ScheduleObserver: when fires are expected', () => {
  /** Schedules created one after another (as creating hundreds is): each fires only after its creation. */
  class SlowlyCreated implements ScheduleSource {
    constructor(
      private readonly clock: FakeClock,
      private readonly window: { startMs: number; endMs: number },
      private readonly createdAtMs: Record<string, number>,
    ) {}

    async describe(scheduleId: string): Promise<ScheduleState> {
      const createdAtMs = this.createdAtMs[scheduleId]!;
      const fires = [];
      for (let due = Math.ceil(this.window.startMs / 1000) * 1000; due <= this.window.endMs && due + 30 <= this.clock.now(); due += 1000) {
        if (due > createdAtMs) fires.push({ scheduleId, workflowId: `${scheduleId}-${due}`, runId: 'r', scheduledAtMs: due, takenAtMs: due + 30 });
      }
      return { scheduleId, taken: fires.length, skippedOverlap: 0, missedCatchupWindow: 0, buffered: 0, running: 0, recentFires: fires.slice(-10), createdAtMs };
    }
  }

  it('counts each schedule\'s expected fires from when it was created, not from the window\'s start', async () => {
    const clock = new FakeClock();
    const window = { startMs: 1000, endMs: 6000 }; // fires at 1 s … 6 s
    // s1 existed before the window; s2 was created at 2.5 s and s3 at 4.2 s (a slow creation).
    const observer = new ScheduleObserver({
      source: new SlowlyCreated(clock, window, { s1: 0, s2: 2500, s3: 4200 }), scheduleIds: ['s1', 's2', 's3'], spec: EVERY_SECOND, window,
      pollIntervalMs: 1000, reportIntervalMs: 10_000, settleMs: 5000, clock,
    });
    const running = observer.run();
    await clock.advance(8000);
    const result = await running;
    // s1: 1 … 6 s = 6 fires; s2: 3 … 6 s = 4; s3: 5 and 6 s = 2.
    expect(result.counts).toMatchObject({ expected: 6 + 4 + 2, taken: 12, unaccounted: 0 });
    expect(result.dueBeforeCreated).toBe(2 + 4);
    expect(result.stopReason).toBe('window-done');
    expect(result.elapsedMs).toBeLessThan(8000); // it did not wait out settleMs for fires that could never come
  });

  it('a window with no fire due ends when the window does, expecting none', async () => {
    const clock = new FakeClock();
    const window = { startMs: 2000, endMs: 31_000 }; // the duration; the spec fires hourly, outside it
    const hourly: FireSpec = { kind: 'interval', everyMs: 3_600_000, offsetMs: 1_800_000 };
    const silent: ScheduleSource = {
      describe: async (scheduleId) => ({ scheduleId, taken: 0, skippedOverlap: 0, missedCatchupWindow: 0, buffered: 0, running: 0, recentFires: [], createdAtMs: 0 }),
    };
    const observer = new ScheduleObserver({ source: silent, scheduleIds: ['s1', 's2'], spec: hourly, window, pollIntervalMs: 1000, reportIntervalMs: 10_000, settleMs: 60_000, clock });
    let finished: Awaited<ReturnType<ScheduleObserver['run']>> | undefined;
    void observer.run().then((result) => (finished = result));
    await clock.advance(31_000);
    expect(finished).toBeUndefined();
    await clock.advance(1000);
    expect(finished!.counts).toMatchObject({ expected: 0, taken: 0, unaccounted: 0 });
    expect(finished!.stopReason).toBe('window-done');
  });
});

describe('overlap policy promises', () => {
  const counts = (overrides: Partial<ScheduleCounts>): ScheduleCounts => ({
    schedules: 1, expected: 6, taken: 6, skipped: 0, missed: 0, buffered: 0, recorded: 6, unaccounted: 0, ...overrides,
  });
  const run = (startMs: number, closeMs: number | undefined, status = 'COMPLETED') => ({ startMs, closeMs, status });

  it('counts the most runs at once, a run starting as another ends not overlapping it', () => {
    expect(maxConcurrentRuns([run(0, 10), run(10, 20), run(20, 30)], 100)).toBe(1);
    expect(maxConcurrentRuns([run(0, 25), run(10, 20), run(15, undefined)], 100)).toBe(3);
  });

  it('skip: no overlap and expected = taken + skipped; an overlap breaks the promise', () => {
    const sequential = [[run(0, 2500), run(3000, 5500)]];
    const kept = checkOverlapPromise('skip', counts({ taken: 2, skipped: 4 }), sequential, 10_000);
    expect(kept.every((check) => check.passed)).toBe(true);
    const broken = checkOverlapPromise('skip', counts({ taken: 2, skipped: 4 }), [[run(0, 2500), run(2000, 4000)]], 10_000);
    expect(broken.find((check) => check.what.includes('overlap'))).toMatchObject({ passed: false, detail: 'most runs at once: 2' });
  });

  it('buffer-all never skips; allow-all may overlap; unaccounted fires fail any policy', () => {
    expect(checkOverlapPromise('buffer-all', counts({ taken: 4, buffered: 2 }), [[run(0, 10)]], 100).every((check) => check.passed)).toBe(true);
    expect(checkOverlapPromise('buffer-all', counts({ taken: 4, skipped: 2 }), [[run(0, 10)]], 100).some((check) => !check.passed)).toBe(true);
    expect(checkOverlapPromise('allow-all', counts({}), [[run(0, 30), run(10, 40)]], 100).every((check) => check.passed)).toBe(true);
    const lost = checkOverlapPromise('allow-all', counts({ taken: 5, unaccounted: 1 }), [[]], 100);
    expect(lost[0]).toMatchObject({ passed: false, detail: 'expected 6 = taken 5 + skipped 0 + missed 0 + buffered 0 (+1 unaccounted)' });
  });

  it('cancel-other ends runs by cancellation, terminate-other by termination', () => {
    const cancelled = [[run(0, 1000, 'CANCELLED'), run(1000, 2000)]];
    expect(checkOverlapPromise('cancel-other', counts({}), cancelled, 5000).every((check) => check.passed)).toBe(true);
    expect(checkOverlapPromise('terminate-other', counts({}), cancelled, 5000).some((check) => !check.passed)).toBe(true);
  });
});
