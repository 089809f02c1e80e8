import { describe, expect, it } from 'vitest';
import { searchCapacity } from '../../src/capacity/search.js';
import { parseSlo } from '../../src/capacity/slo.js';
import type { CapacityStep, StepRunner } from '../../src/capacity/types.js';
import type { LatencySummary } from '../../src/metrics/latency-histogram.js';
import { formatAnswerLine, formatCapacitySummary, formatStepLine } from '../../src/report/capacity.js';

const flat = (value: number, count: number): LatencySummary => ({ count, min: value, mean: value, p50: value, p90: value, p95: value, p99: value, p999: value, max: value });

/** A server whose e2e p99 is 100 ms up to `knee` wf/s and seconds beyond; a client that reaches at most `clientMax`. */
function simulated(knee: number, clientMax = Infinity): { runStep: StepRunner; clock: { now(): number } } {
  let now = 0;
  const runStep: StepRunner = async (rate, { durationMs, warmupMs }) => {
    now += durationMs + warmupMs;
    const seconds = durationMs / 1000;
    const achievedRate = Math.min(rate, clientMax);
    const launched = Math.round(achievedRate * seconds);
    const e2e = flat(rate <= knee ? 100 : 2000 + (rate - knee) * 100, launched);
    return {
      targetRate: rate, measuredSeconds: seconds, intendedArrivals: rate * seconds, launched, started: launched, completed: launched, failed: 0,
      achievedRate, completedPerSecond: achievedRate, startLateness: flat(1, launched), latency: { e2e, start: flat(5, launched) }, histograms: {},
    };
  };
  return { runStep, clock: { now: () => now } };
}

describe('capacity report: the step table and the answer line', () => {
  it('shows every step and the answer with the SLO, the bracket and what broke', async () => {
    const { runStep, clock } = simulated(140);
    const result = await searchCapacity({ slo: parseSlo('e2e.p99<2s'), startRate: 10, stepDurationMs: 30_000, precision: 0.05 }, runStep, { clock });
    const text = formatCapacitySummary(result);
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^ {2}step +phase +target wf\/s +achieved wf\/s +e2e p50 +e2e p99 +failed +verdict$/);
    expect(lines).toHaveLength(1 + result.steps.length + 1);
    expect(lines[1]).toMatch(/^ {2}1 +growth +10 +10 +100ms +100ms +0 +✓ pass$/);
    expect(lines.some((line) => / 160 .*✗ fail$/.test(line))).toBe(true);
    expect(lines.at(-1)).toMatch(/^Capacity: 140 wf\/s at e2e\.p99<2s \(last passing step 140 wf\/s, first failing 145 wf\/s: e2e\.p99<2s; the SLO broke near [\d.]+ wf\/s\)$/);
    expect(formatStepLine(result.steps[0]!, ['e2e'])).toBe('Step 1 (growth): target 10 wf/s, achieved 10 wf/s, e2e p50 100ms p99 100ms, failed 0: ✓ pass');
  });

  it('says the client, not the server, was the limit when the generator could not keep up', async () => {
    const { runStep, clock } = simulated(1000, 50);
    const result = await searchCapacity({ slo: parseSlo('e2e.p99<2s'), startRate: 20, stepDurationMs: 10_000 }, runStep, { clock });
    expect(result.answer.kind).toBe('client-limited');
    const answer = formatCapacitySummary(result).split('\n').at(-1)!;
    expect(answer).toMatch(/^Capacity: not found — the load generator could not deliver 80 wf\/s \(client-limited, not the server\); the server held 40 wf\/s at e2e\.p99<2s$/);
  });

  it('a first step that already breaks the SLO: the capacity is below it', async () => {
    const { runStep, clock } = simulated(5);
    const result = await searchCapacity({ slo: parseSlo('e2e.p99<2s'), startRate: 10, stepDurationMs: 10_000 }, runStep, { clock });
    expect(formatCapacitySummary(result).split('\n').at(-1)).toBe('Capacity: below 10 wf/s — even the first step broke e2e.p99<2s');
  });

  it('a step line names what broke a failing step (thresholds, then other reasons), and nothing for a step cut short', async () => {
    const { runStep, clock } = simulated(1000);
    const result = await searchCapacity({ slo: parseSlo('e2e.p99<2s'), startRate: 10, stepDurationMs: 10_000, maxRate: 10 }, runStep, { clock });
    const step = result.steps[0]!;
    const failing: CapacityStep = {
      ...step, verdict: 'fail', brokenBy: ['e2e.p99<2s', '9 workflows still running after the drain: they outlasted the step and its drain'],
      thresholds: step.thresholds.map((threshold) => ({ ...threshold, passed: false })),
    };
    expect(formatStepLine(failing, ['e2e'])).toBe(
      'Step 1 (growth): target 10 wf/s, achieved 10 wf/s, e2e p50 100ms p99 100ms, failed 0: ✗ fail (e2e.p99<2s, 9 workflows still running after the drain: they outlasted the step and its drain)',
    );
    // Cut short: the partial numbers over the time measured, no broken SLO named even if a threshold did not hold.
    const cutShort: CapacityStep = {
      ...failing, verdict: 'cut-short', brokenBy: [], achievedRate: 8, measurement: { ...step.measurement, measuredSeconds: 3.4, cutShort: true },
    };
    expect(formatStepLine(cutShort, ['e2e'])).toBe('Step 1 (growth): target 10 wf/s, achieved 8 wf/s over 3.4s, e2e p50 100ms p99 100ms, failed 0: cut short');
    const inWarmup: CapacityStep = { ...cutShort, measurement: { ...cutShort.measurement, measuredSeconds: 0 } };
    expect(formatStepLine(inWarmup, ['e2e'])).toBe('Step 1 (growth): target 10 wf/s: cut short during its warm-up, nothing measured');
  });

  it('a bracket found before a client-limited step: the capacity with the bracket, and why the search ended early', () => {
    const line = formatAnswerLine(
      { kind: 'capacity', capacity: 4, lastPassingRate: 4, firstFailingRate: 8, limitedBy: ['e2e.p99<3s'], withinPrecision: false, clientLimitedRate: 6 },
      ['e2e.p99<3s'], 'client-limited',
    );
    expect(line).toBe(
      'Capacity: 4 wf/s at e2e.p99<3s (last passing step 4 wf/s, first failing 8 wf/s: e2e.p99<3s) — search ended early ' +
        '(client-limited: the load generator could not deliver 6 wf/s), not within the precision',
    );
  });
});
