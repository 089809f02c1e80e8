import { afterEach, describe, expect, it, vi } from 'vitest';
import type { StepMeasurement, StepRunner } from '../../src/capacity/types.js';
import { ServerHealth } from '../../src/metrics/server-health.js';
import { outageLimit } from '../../src/run/capacity-run.js';
import { FakeClock } from '../helpers/fake-clock.js';

const measurement = { targetRate: 1 } as StepMeasurement;

describe('capacity: the outage limit (--max-outage)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('a server away longer than the limit aborts the step and makes the runner throw, naming the outage; shorter outages are ridden out', async () => {
    const clock = new FakeClock();
    const health = new ServerHealth();
    let aborted = 0;
    const limit = outageLimit({ maxOutage: 5 } as never, 'localhost:7233', health, clock, () => aborted++);
    const calls: number[] = [];
    const runStep = limit.guard((async (rate) => {
      calls.push(rate);
      return measurement;
    }) as StepRunner);
    // Outages are timed on the wall clock, as the launcher reports them.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(1_000_000);
    try {
      health.refused('server_unavailable', Date.now(), Date.now(), 'connection refused');
      vi.setSystemTime(1_003_000);
      await clock.advance(2_000);
      expect(aborted).toBe(0); // 3 s: ridden out
      await expect(runStep(1, { durationMs: 1000, warmupMs: 0 })).resolves.toBe(measurement);

      // Over the limit: the current step is abandoned, and no step runs any more.
      vi.setSystemTime(1_006_000);
      await clock.advance(1_000);
      expect(aborted).toBe(1);
      await expect(runStep(2, { durationMs: 1000, warmupMs: 0 })).rejects.toThrow(
        /^the server at localhost:7233 has been unreachable for 6s, longer than the outage limit \(--max-outage 5s\): giving up$/,
      );
      expect(calls).toEqual([1]);
    } finally {
      limit.stop();
    }
    expect(clock.pendingTimers).toBe(0);
  });

  it('0: no limit, no timer', async () => {
    const clock = new FakeClock();
    const health = new ServerHealth();
    health.refused('server_unavailable', Date.now() - 600_000, Date.now() - 600_000, 'connection refused');
    const limit = outageLimit({ maxOutage: 0 } as never, 'localhost:7233', health, clock, () => {
      throw new Error('must not abort');
    });
    expect(clock.pendingTimers).toBe(0);
    await expect(limit.guard(async () => measurement)(1, { durationMs: 1000, warmupMs: 0 })).resolves.toBe(measurement);
    limit.stop();
  });
});
