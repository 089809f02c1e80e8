/**
 * When a Temporal Schedule should fire: the arithmetic behind "expected" fires, pure and clock-free.
 *
 * Interval specs follow Temporal's rule: the times t (epoch ms) with (t - offset) mod every = 0.
 * Cron specs are the classic five fields (minute hour day-of-month month day-of-week) in UTC, read as
 * Temporal reads them: as a calendar spec, so every field must match (day-of-month AND day-of-week).
 * A schedule's window [startAt, endAt] is inclusive at both ends, as the server treats spec start/end.
 */
import { UsageError } from '../errors.js';
import type { CronFields, FireSpec, RecordedFire } from '../shared/schedule-types.js';

const MINUTE_MS = 60_000;
/** A cron search gives up after this long without a match (e.g. "0 0 31 2 *" never fires). */
const CRON_SEARCH_LIMIT_MS = 366 * 24 * 3600_000 * 5;

const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

function cronField(text: string, min: number, max: number, names: string[] = [], nameBase = 0): Set<number> {
  const values = new Set<number>();
  const value = (raw: string): number => {
    const named = names.indexOf(raw.toUpperCase());
    const number = named >= 0 ? named + nameBase : Number(raw);
    if (!Number.isInteger(number) || number < min || number > max) throw new Error(`"${raw}" is not in ${min}–${max}`);
    return number;
  };
  for (const part of text.split(',')) {
    const [range, stepText] = part.split('/') as [string, string | undefined];
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw new Error(`bad step "${stepText}"`);
    let from: number;
    let to: number;
    if (range === '*') [from, to] = [min, max];
    else if (range.includes('-')) {
      const [a, b] = range.split('-') as [string, string];
      [from, to] = [value(a), value(b)];
      if (from > to) throw new Error(`range "${range}" runs backwards`);
    } else {
      from = value(range);
      to = stepText === undefined ? from : max;
    }
    for (let v = from; v <= to; v += step) values.add(v);
  }
  return values;
}

/** Parses a five-field cron expression; a UsageError names what is wrong. */
export function parseCron(expression: string): CronFields {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5) throw new UsageError(`cron "${expression}": expected 5 fields (minute hour day-of-month month day-of-week), got ${fields.length}`);
  const [minute, hour, dom, month, dow] = fields as [string, string, string, string, string];
  try {
    const daysOfWeek = cronField(dow, 0, 7, DAY_NAMES);
    if (daysOfWeek.delete(7)) daysOfWeek.add(0); // 7 is Sunday too
    return {
      minutes: cronField(minute, 0, 59),
      hours: cronField(hour, 0, 23),
      daysOfMonth: cronField(dom, 1, 31),
      months: cronField(month, 1, 12, MONTH_NAMES, 1),
      daysOfWeek,
    };
  } catch (error) {
    throw new UsageError(`cron "${expression}": ${(error as Error).message}`);
  }
}

function cronMatches(cron: CronFields, atMs: number): boolean {
  const date = new Date(atMs);
  return (
    cron.minutes.has(date.getUTCMinutes()) &&
    cron.hours.has(date.getUTCHours()) &&
    cron.daysOfMonth.has(date.getUTCDate()) &&
    cron.months.has(date.getUTCMonth() + 1) &&
    cron.daysOfWeek.has(date.getUTCDay())
  );
}

/** The first fire time at or after `fromMs`, or undefined when none comes within years. */
export function nextFireAt(spec: FireSpec, fromMs: number): number | undefined {
  if (spec.kind === 'interval') {
    const offset = spec.offsetMs ?? 0;
    return Math.ceil((fromMs - offset) / spec.everyMs) * spec.everyMs + offset;
  }
  for (let at = Math.ceil(fromMs / MINUTE_MS) * MINUTE_MS; at - fromMs <= CRON_SEARCH_LIMIT_MS; at += MINUTE_MS) {
    if (cronMatches(spec.cron, at)) return at;
  }
  return undefined;
}

/** The nominal fire times in [startMs, endMs], at most `limit` of them. */
export function fireTimesBetween(spec: FireSpec, startMs: number, endMs: number, limit = 1_000_000): number[] {
  const times: number[] = [];
  for (let at = nextFireAt(spec, startMs); at !== undefined && at <= endMs && times.length < limit; at = nextFireAt(spec, at + 1)) {
    times.push(at);
  }
  return times;
}

/** A run's schedule window; `noFireDue` when the spec has no fire within --duration (the run then just lasts it). */
export interface ScheduleWindow {
  startMs: number;
  endMs: number;
  /** No fire time lies within the duration: the window is the duration itself (whole seconds), holding none. */
  noFireDue?: { nextFireMs: number | undefined };
}

/** How many fire times lie in [startMs, endMs]: arithmetic for intervals (the observer asks per schedule, per poll). */
export function countFiresBetween(spec: FireSpec, startMs: number, endMs: number): number {
  if (endMs < startMs) return 0;
  if (spec.kind === 'cron') return fireTimesBetween(spec, startMs, endMs).length;
  const offset = spec.offsetMs ?? 0;
  return Math.max(0, Math.floor((endMs - offset) / spec.everyMs) - Math.ceil((startMs - offset) / spec.everyMs) + 1);
}

/**
 * The window a run gives its schedules: from its first fire time (at least `leadMs` from now) to its
 * last, both on fire times: the server reads spec start and end at whole seconds, so edges between two
 * fires would be rounded onto one. Its end comes after `fires` fires, or at the last fire within
 * `durationMs` (whichever is given; the earlier one when both are). With a duration, the first fire must
 * be due within it (after the lead): otherwise no fire is due, and the window is the duration itself,
 * so the run ends when the duration does instead of waiting for a far-off (or never coming) fire.
 */
export function scheduleWindow(spec: FireSpec, nowMs: number, leadMs: number, limits: { fires?: number; durationMs?: number }): ScheduleWindow {
  if (limits.fires === undefined && limits.durationMs === undefined) throw new UsageError('schedules need --duration or --fires');
  const earliestMs = nowMs + leadMs;
  const startMs = nextFireAt(spec, earliestMs);
  if (limits.durationMs !== undefined && (startMs === undefined || startMs >= earliestMs + limits.durationMs)) {
    // Whole seconds inside [earliest, earliest + duration): no fire time can be rounded into it.
    const windowStart = Math.ceil(earliestMs / 1000) * 1000;
    const windowEnd = Math.max(windowStart, Math.floor((earliestMs + limits.durationMs - 1) / 1000) * 1000);
    return { startMs: windowStart, endMs: windowEnd, noFireDue: { nextFireMs: startMs } };
  }
  if (startMs === undefined) throw new UsageError('the schedule never fires (check the cron expression)');
  // A duration D holds the fires in [start, start + D): 60s of every 1s is 60 fires.
  const limitMs = limits.durationMs !== undefined ? startMs + limits.durationMs - 1 : Number.MAX_SAFE_INTEGER;
  const times = fireTimesBetween(spec, startMs, limitMs, limits.fires ?? 1_000_000);
  // A duration shorter than one interval still gets its first fire (when that is due within it).
  return { startMs, endMs: times[times.length - 1] ?? startMs };
}

/**
 * The nominal time a fire was meant for, from its jittered scheduled time: the latest fire time at or
 * before it (Temporal delays a fire by a random amount in [0, jitter), never moves it earlier).
 */
export function nominalFireTime(spec: FireSpec, scheduledAtMs: number): number {
  if (spec.kind === 'interval') {
    const offset = spec.offsetMs ?? 0;
    return Math.floor((scheduledAtMs - offset) / spec.everyMs) * spec.everyMs + offset;
  }
  for (let at = Math.floor(scheduledAtMs / MINUTE_MS) * MINUTE_MS; scheduledAtMs - at <= CRON_SEARCH_LIMIT_MS; at -= MINUTE_MS) {
    if (cronMatches(spec.cron, at)) return at;
  }
  return scheduledAtMs;
}

/** The spec as the result and the summary name it: `every=60s` or `cron="…"`. */
export function describeSpec(spec: FireSpec): string {
  return spec.kind === 'interval' ? `every=${spec.everyMs / 1000}s` : `cron="${spec.expression}"`;
}

/** Recorded fires taken late (more than an interval after they were due: caught up), and the largest jitter the server applied. */
export function fireTimingOf(spec: FireSpec, fires: readonly RecordedFire[]): { caughtUp: number; jitterMaxMs: number } {
  const lateAfterMs = Math.max(1000, spec.kind === 'interval' ? spec.everyMs : 60_000);
  return {
    caughtUp: fires.filter((fire) => fire.takenAtMs - fire.scheduledAtMs > lateAfterMs).length,
    // How far each fire's due time lies after its nominal time (within [0, --jitter)).
    jitterMaxMs: fires.reduce((most, fire) => Math.max(most, fire.scheduledAtMs - nominalFireTime(spec, fire.scheduledAtMs)), 0),
  };
}
