/** What a Schedule run observes; the Temporal side fills these in, the observer reads them. */

/** How the server runs a fire that comes while the last one still runs (Temporal's overlap policy). */
export type OverlapPolicyName = 'skip' | 'buffer-one' | 'buffer-all' | 'cancel-other' | 'terminate-other' | 'allow-all';

/** A fire as the schedule's own record has it. */
export interface RecordedFire {
  scheduleId: string;
  workflowId: string;
  runId: string;
  /** The time the fire was due, jitter included (the server's scheduledAt). */
  scheduledAtMs: number;
  /** When the server took the action (started the workflow). */
  takenAtMs: number;
}

/** The server's counters of one schedule, and its most recent fires (the server keeps the last 10). */
export interface ScheduleState {
  scheduleId: string;
  taken: number;
  skippedOverlap: number;
  missedCatchupWindow: number;
  /** Fires waiting for a running one to finish (buffer-one / buffer-all). */
  buffered: number;
  running: number;
  recentFires: RecordedFire[];
  /**
   * When the server created the schedule (epoch ms): it fires only after that, so the fires it is
   * expected to take start there, not at the run's window start. Undefined: not known (counted from the window).
   */
  createdAtMs?: number;
}

/** Where the observer gets schedule states from (the server, or a fake in tests). */
export interface ScheduleSource {
  describe(scheduleId: string): Promise<ScheduleState>;
}

/** Counts over all of a run's schedules. */
export interface ScheduleCounts {
  schedules: number;
  /** Fires the specs call for in the observed window (nominal times, before jitter). */
  expected: number;
  taken: number;
  skipped: number;
  missed: number;
  buffered: number;
  /** Fires whose record sched-bench saw (the server keeps only the latest 10 per schedule). */
  recorded: number;
  /** Of the expected, neither taken, skipped, missed nor buffered when the run ended (late or lost). */
  unaccounted: number;
}

/** One periodic report of a Schedule run. */
export interface ScheduleReport extends ScheduleCounts {
  elapsedMs: number;
  fireLagP50Ms: number;
  fireLagP99Ms: number;
}

/** When a schedule fires: every `everyMs` (from `offsetMs`), or at the times of a five-field cron expression (UTC). */
export type FireSpec =
  | { kind: 'interval'; everyMs: number; offsetMs?: number }
  | { kind: 'cron'; expression: string; cron: CronFields };

export interface CronFields {
  minutes: ReadonlySet<number>;
  hours: ReadonlySet<number>;
  daysOfMonth: ReadonlySet<number>;
  months: ReadonlySet<number>;
  daysOfWeek: ReadonlySet<number>;
}
