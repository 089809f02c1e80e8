import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { countFiresBetween, fireTimesBetween, nextFireAt, nominalFireTime, parseCron, scheduleWindow } from '../../src/schedules/fire-times.js';
import type { FireSpec } from '../../src/shared/schedule-types.js';

const at = (iso: string) => Date.parse(iso);
const every = (seconds: number, offsetSeconds = 0): FireSpec => ({ kind: 'interval', everyMs: seconds * 1000, offsetMs: offsetSeconds * 1000 });
const cron = (expression: string): FireSpec => ({ kind: 'cron', expression, cron: parseCron(expression) });

describe('interval specs', () => {
  it('fire on the epoch-aligned grid, offset included, both window ends inclusive', () => {
    expect(fireTimesBetween(every(5), at('2026-11-25T12:00:00Z'), at('2026-11-25T12:00:15Z'))).toEqual(
      ['00', '05', '10', '15'].map((second) => at(`2026-11-25T12:00:${second}Z`)),
    );
    expect(nextFireAt(every(60, 15), at('2026-11-25T12:00:16Z'))).toBe(at('2026-11-25T12:01:15Z'));
  });

  it('a window runs from its first fire to its last, both on fire times (the server rounds edges to seconds)', () => {
    const now = at('2026-11-25T12:00:00.300Z');
    const window = scheduleWindow(every(1), now, 2000, { fires: 5 });
    expect(window).toEqual({ startMs: at('2026-11-25T12:00:03Z'), endMs: at('2026-11-25T12:00:07Z') });
    expect(fireTimesBetween(every(1), window.startMs, window.endMs)).toHaveLength(5);
  });

  it('a --duration window holds duration / every fires; --fires wins when it ends first', () => {
    const now = at('2026-11-25T12:00:00Z');
    const byDuration = scheduleWindow(every(5), now, 1000, { durationMs: 60_000 });
    expect(fireTimesBetween(every(5), byDuration.startMs, byDuration.endMs)).toHaveLength(12);
    const both = scheduleWindow(every(5), now, 1000, { durationMs: 60_000, fires: 3 });
    expect(fireTimesBetween(every(5), both.startMs, both.endMs)).toHaveLength(3);
    const short = scheduleWindow(every(5), at('2026-11-25T12:00:03.500Z'), 1000, { durationMs: 1000 });
    expect(short).toEqual({ startMs: at('2026-11-25T12:00:05Z'), endMs: at('2026-11-25T12:00:05Z') }); // shorter than one interval: its first fire only
    expect(() => scheduleWindow(every(5), now, 1000, {})).toThrow(UsageError);
  });

  it('countFiresBetween agrees with listing the fire times', () => {
    for (const [spec, start, end] of [[every(1), 500, 6000], [every(5, 2), 0, 60_000], [every(5), 7001, 7002], [every(1), 3000, 3000], [every(1), 4000, 3000]] as const) {
      expect(countFiresBetween(spec, start, end), `${start}..${end}`).toBe(fireTimesBetween(spec, start, end).length);
    }
    const minutely = cron('* * * * *');
    expect(countFiresBetween(minutely, at('2026-11-25T12:00:10Z'), at('2026-11-25T12:05:00Z'))).toBe(5);
  });

  it('the nominal time of a jittered fire is the grid point at or before it (jitter only delays)', () => {
    expect(nominalFireTime(every(10), at('2026-11-25T12:00:17.9Z'))).toBe(at('2026-11-25T12:00:10Z'));
    expect(nominalFireTime(every(10), at('2026-11-25T12:00:20Z'))).toBe(at('2026-11-25T12:00:20Z'));
  });
});

describe('cron specs (UTC, all five fields must match)', () => {
  it('every minute, every 15 minutes, and a weekday office hour', () => {
    expect(fireTimesBetween(cron('* * * * *'), at('2026-11-25T12:00:30Z'), at('2026-11-25T12:03:00Z'))).toEqual(
      [1, 2, 3].map((minute) => at(`2026-11-25T12:0${minute}:00Z`)),
    );
    expect(fireTimesBetween(cron('*/15 * * * *'), at('2026-11-25T12:00:00Z'), at('2026-11-25T13:00:00Z'))).toHaveLength(5);
    // 2026-11-28 is a Saturday: the next weekday 09:30 after Friday's is Monday's.
    expect(nextFireAt(cron('30 9 * * MON-FRI'), at('2026-11-27T10:00:00Z'))).toBe(at('2026-11-30T09:30:00Z'));
  });

  it('reads names, lists, ranges with steps, and 7 as Sunday', () => {
    const fields = parseCron('0,30 8-18/2 1 JAN,jul 7');
    expect([...fields.minutes]).toEqual([0, 30]);
    expect([...fields.hours]).toEqual([8, 10, 12, 14, 16, 18]);
    expect([...fields.months]).toEqual([1, 7]);
    expect([...fields.daysOfWeek]).toEqual([0]);
  });

  it('names what is wrong with a bad expression', () => {
    expect(() => parseCron('* * * *')).toThrow(/expected 5 fields .* got 4/);
    expect(() => parseCron('61 * * * *')).toThrow(/"61" is not in 0–59/);
    expect(() => parseCron('*/0 * * * *')).toThrow(/bad step "0"/);
    expect(() => parseCron('5-1 * * * *')).toThrow(/runs backwards/);
  });

  it('a window for cron runs from one fire minute to another; one that never fires is a usage error', () => {
    const window = scheduleWindow(cron('* * * * *'), at('2026-11-25T12:00:10Z'), 1000, { fires: 2 });
    expect(window).toEqual({ startMs: at('2026-11-25T12:01:00Z'), endMs: at('2026-11-25T12:02:00Z') });
    expect(() => scheduleWindow(cron('0 0 31 2 *'), at('2026-11-25T12:00:00Z'), 1000, { fires: 1 })).toThrow(/never fires/);
  });

  it('with --duration, a spec whose first fire is beyond it gets no fire: the window is the duration, whole seconds, holding none', () => {
    const now = at('2026-11-25T12:00:10.300Z');
    const yearly = scheduleWindow(cron('0 0 1 1 *'), now, 1000, { durationMs: 30_000 });
    expect(yearly).toEqual({
      startMs: at('2026-11-25T12:00:12Z'), endMs: at('2026-11-25T12:00:41Z'), noFireDue: { nextFireMs: at('2027-01-01T00:00:00Z') },
    });
    expect(fireTimesBetween(cron('0 0 1 1 *'), yearly.startMs, yearly.endMs)).toEqual([]);
    // A fire just past the duration is not due either; one just inside is.
    expect(scheduleWindow(cron('1 12 * * *'), now, 1000, { durationMs: 48_700 }).noFireDue).toEqual({ nextFireMs: at('2026-11-25T12:01:00Z') });
    expect(scheduleWindow(cron('1 12 * * *'), now, 1000, { durationMs: 48_701 })).toEqual({ startMs: at('2026-11-25T12:01:00Z'), endMs: at('2026-11-25T12:01:00Z') });
    expect(scheduleWindow(cron('0 0 31 2 *'), now, 1000, { durationMs: 5000 }).noFireDue).toEqual({ nextFireMs: undefined });
    expect(scheduleWindow(every(60), now, 1000, { durationMs: 5000 }).noFireDue).toEqual({ nextFireMs: at('2026-11-25T12:01:00Z') });
  });
});
