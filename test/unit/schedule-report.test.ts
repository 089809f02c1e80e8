import { describe, expect, it } from 'vitest';
import { LatencyHistogram } from '../../src/metrics/latency-histogram.js';
import { ScheduleExporter } from '../../src/report/prometheus.js';
import { formatScheduleSummary, type ScheduleSummaryInput } from '../../src/report/schedule-report.js';

const none = LatencyHistogram.create().summary();
const input = (overrides: Partial<ScheduleSummaryInput> = {}): ScheduleSummaryInput => ({
  counts: { schedules: 2, expected: 0, taken: 0, skipped: 0, missed: 0, buffered: 0, recorded: 0, unaccounted: 0 },
  fireLag: none, pickupLag: none, notPickedUp: 0, caughtUp: 0, failedFires: 0, jitterMaxMs: 0, jitterMs: 0, overlap: 'skip', checks: [],
  thresholds: [], elapsedMs: 30_000, ...overrides,
});

describe('formatScheduleSummary', () => {
  it('says when no fire was due within --duration, and when it would have been', () => {
    const text = formatScheduleSummary(input({ noFireDue: { nextFireMs: Date.parse('2027-01-01T00:00:00Z') } }));
    expect(text).toContain('  no fire was due within --duration (next fire: 2027-01-01T00:00:00.000Z); nothing to measure');
    expect(formatScheduleSummary(input({ noFireDue: { nextFireMs: undefined } }))).toContain('(next fire: none within 5 years)');
    expect(formatScheduleSummary(input())).not.toContain('no fire was due');
  });

  it('names fire times that came before their schedule existed', () => {
    expect(formatScheduleSummary(input({ dueBeforeCreated: 7 }))).toContain('  7 fire times came before their schedule existed');
    expect(formatScheduleSummary(input({ dueBeforeCreated: 0 }))).not.toContain('before their schedule existed');
  });

  it('reports a server outage seen during the run, as run and infinite do', () => {
    const serverHealth = { throttledAttempts: 0, unavailableAttempts: 12, outages: [{ startMs: 1000, endMs: 6000 }], unavailableMs: 5000 };
    expect(formatScheduleSummary(input({ serverHealth }))).toMatch(/^ {2}server: unavailable 5\.00s in 1 outage/m);
    expect(formatScheduleSummary(input({ serverHealth: { ...serverHealth, unavailableAttempts: 0, outages: [], unavailableMs: 0 } }))).not.toContain('server:');
  });
});

describe('ScheduleExporter', () => {
  it('serves the refused attempts and unavailable time of a schedules run', async () => {
    const counts = { schedules: 1, expected: 3, taken: 2, skipped: 0, missed: 0, buffered: 0, recorded: 2, unaccounted: 1 };
    const health = { throttledAttempts: 0, unavailableAttempts: 4, outages: [{ startMs: 0, endMs: undefined }], unavailableMs: 2500 };
    const text = await new ScheduleExporter('r1', () => counts, () => health).metrics();
    expect(text).toContain('sched_bench_refused_attempts_total{run_id="r1",reason="server_unavailable"} 4');
    expect(text).toContain('sched_bench_server_unavailable_seconds_total{run_id="r1"} 2.5');
    expect(text).toContain('sched_bench_schedule_fires{run_id="r1",outcome="taken"} 2');
  });
});
