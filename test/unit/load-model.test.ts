import { describe, expect, it } from 'vitest';
import { ArrivalSchedule, concurrencyAt, stagesDurationMs } from '../../src/scheduler/load-model.js';

function arrivals(schedule: ArrivalSchedule, limit = 100_000): number[] {
  const times: number[] = [];
  for (let index = 0; index < limit; index++) {
    const time = schedule.timeOf(index);
    if (time === undefined) break;
    times.push(time);
  }
  return times;
}

describe('ArrivalSchedule', () => {
  it('spaces a constant rate exactly: t_i = i / rate', () => {
    const schedule = new ArrivalSchedule(4);
    expect([0, 1, 2, 3, 4, 10].map((index) => schedule.timeOf(index))).toEqual([0, 250, 500, 750, 1000, 2500]);
    expect(schedule.endMs).toBeUndefined();
  });

  it('a constant-rate stage gives rate × duration arrivals, evenly spaced', () => {
    const times = arrivals(new ArrivalSchedule(50, [{ durationMs: 60_000, target: 50 }]));
    expect(times).toHaveLength(3000);
    expect(times[1]! - times[0]!).toBeCloseTo(20, 9);
    expect(times.at(-1)).toBeCloseTo(59_980, 6);
  });

  it('a linear ramp 0 → 100/s over 10 s gives 500 arrivals, at times where the rate integral reaches i', () => {
    const times = arrivals(new ArrivalSchedule(0, [{ durationMs: 10_000, target: 100 }]));
    // N(t) = 100 t² / (2·10) = 5 t²  ⇒  t_i = sqrt(i / 5) seconds
    expect(times).toHaveLength(500);
    for (const index of [0, 1, 5, 20, 125, 320, 499]) expect(times[index]).toBeCloseTo(Math.sqrt(index / 5) * 1000, 6);
    // Spacing shrinks as the rate rises.
    expect(times[2]! - times[1]!).toBeGreaterThan(times[499]! - times[498]!);
  });

  it('ramps down, holds, and ends with the stages', () => {
    const schedule = new ArrivalSchedule(0, [
      { durationMs: 2000, target: 10 }, // 10 arrivals
      { durationMs: 3000, target: 10 }, // 30 arrivals
      { durationMs: 2000, target: 0 }, // 10 arrivals
    ]);
    const times = arrivals(schedule);
    expect(times).toHaveLength(50);
    expect(schedule.endMs).toBe(7000);
    expect(times[10]).toBeCloseTo(2000, 6); // the hold stage starts on time
    expect(times[40]).toBeCloseTo(5000, 6); // and the ramp-down too
    // Ramp-down: N(τ) = 10τ − 2.5τ² within the last stage, so arrival 40 + k is at τ = 2 − sqrt(4 − 0.4k).
    for (const k of [1, 5, 9]) expect(times[40 + k]).toBeCloseTo(5000 + (2 - Math.sqrt(4 - 0.4 * k)) * 1000, 6);
    for (let index = 1; index < times.length; index++) expect(times[index]!).toBeGreaterThan(times[index - 1]!);
  });

  it('skips a stage with rate 0 all along', () => {
    const times = arrivals(new ArrivalSchedule(0, [{ durationMs: 1000, target: 0 }, { durationMs: 1000, target: 4 }]));
    expect(times).toHaveLength(2);
    expect(times[0]).toBe(1000);
  });
});

describe('ArrivalSchedule.dueBefore', () => {
  /** The count by walking the arrivals one by one: what dueBefore must equal, without the walk. */
  const walked = (schedule: () => ArrivalSchedule, offsetMs: number) => arrivals(schedule(), 1000).filter((time) => time < offsetMs).length;

  it.each([
    ['a constant rate', () => new ArrivalSchedule(4)],
    ['a ramp 0 → 100/s', () => new ArrivalSchedule(0, [{ durationMs: 10_000, target: 100 }])],
    ['ramp, hold, ramp down', () => new ArrivalSchedule(0, [{ durationMs: 2000, target: 10 }, { durationMs: 3000, target: 10 }, { durationMs: 2000, target: 0 }])],
    ['a stage at rate 0 first', () => new ArrivalSchedule(0, [{ durationMs: 1000, target: 0 }, { durationMs: 1000, target: 4 }])],
  ])('counts the arrivals intended before a time, as walking them would: %s', (_, schedule) => {
    for (const offsetMs of [0, 1, 250, 251, 999, 1000, 1001, 2000, 4321, 5000, 6999, 7000, 9000, 20_000]) {
      expect(schedule().dueBefore(offsetMs), `${offsetMs} ms`).toBe(walked(schedule, offsetMs));
    }
  });

  it('is arithmetic: a rate of 1e12/s over an hour answers at once', () => {
    const startedAt = performance.now();
    expect(new ArrivalSchedule(1e12).dueBefore(3_600_000)).toBe(3.6e15);
    expect(performance.now() - startedAt).toBeLessThan(50);
  });
});

describe('concurrencyAt', () => {
  const stages = [{ durationMs: 1000, target: 10 }, { durationMs: 1000, target: 10 }, { durationMs: 500, target: 0 }];

  it('is the start value without stages', () => {
    expect(concurrencyAt(7, undefined, 1e9)).toBe(7);
  });

  it('interpolates linearly (rounded down) and is undefined after the last stage', () => {
    expect([0, 99, 100, 550, 999, 1000, 1999, 2000, 2250, 2499].map((t) => concurrencyAt(0, stages, t))).toEqual([
      0, 0, 1, 5, 9, 10, 10, 10, 5, 0,
    ]);
    expect(concurrencyAt(0, stages, 2500)).toBeUndefined();
    expect(concurrencyAt(20, [{ durationMs: 1000, target: 40 }], 500)).toBe(30);
    expect(stagesDurationMs(stages)).toBe(2500);
  });
});
