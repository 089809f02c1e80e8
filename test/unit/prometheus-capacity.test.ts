import { describe, expect, it } from 'vitest';
import { searchCapacity } from '../../src/capacity/search.js';
import { parseSlo } from '../../src/capacity/slo.js';
import type { CapacityResult, StepRunner } from '../../src/capacity/types.js';
import type { LatencySummary } from '../../src/metrics/latency-histogram.js';
import { CapacityExporter, type CapacityExporterSource } from '../../src/report/prometheus.js';
import type { LaunchCountsSnapshot } from '../../src/shared/run-stats.js';
import { samples, sampleValue } from '../helpers/exposition.js';

const flat = (value: number, count: number): LatencySummary => ({ count, min: value, mean: value, p50: value, p90: value, p95: value, p99: value, p999: value, max: value });

/** A server whose e2e p50 is 50 ms and p99 100 ms up to `knee` wf/s, seconds beyond it; start always 5/8 ms. */
function simulated(knee: number): { runStep: StepRunner; clock: { now(): number } } {
  let now = 0;
  const runStep: StepRunner = async (rate, { durationMs, warmupMs }) => {
    now += durationMs + warmupMs;
    const seconds = durationMs / 1000;
    const launched = Math.round(rate * seconds);
    const e2eP99 = rate <= knee ? 100 : 2000 + (rate - knee) * 100;
    return {
      targetRate: rate, measuredSeconds: seconds, intendedArrivals: rate * seconds, launched, started: launched, completed: launched, failed: 0,
      achievedRate: rate, completedPerSecond: rate, startLateness: flat(1, launched),
      latency: { e2e: { ...flat(e2eP99, launched), p50: 50 }, start: { ...flat(8, launched), p50: 5 } }, histograms: {},
    };
  };
  return { runStep, clock: { now: () => now } };
}

function exporterOf(overrides: Partial<CapacityExporterSource> = {}): CapacityExporter {
  return new CapacityExporter({
    runId: 'cap1', slo: parseSlo('e2e.p99<2s,failed.rate<1%'), precision: 0.05, currentStep: () => undefined,
    serverHealth: () => ({ throttledAttempts: 3, unavailableAttempts: 1, outages: [], unavailableMs: 2500 }), ...overrides,
  });
}

/** Runs a search (knee 140 wf/s, SLO e2e.p99<2s) feeding the exporter as runCapacity does; scrapes as each step starts. */
async function searchFeeding(exporter: CapacityExporter): Promise<{ result: CapacityResult; scrapesAtStart: string[] }> {
  const { runStep, clock } = simulated(140);
  const scrapesAtStart: Array<Promise<string>> = [];
  const result = await searchCapacity({ slo: parseSlo('e2e.p99<2s'), startRate: 10, stepDurationMs: 30_000, precision: 0.05 }, runStep, {
    clock,
    onStepStart: (rate, phase, index) => {
      exporter.stepStarted(rate, phase, index);
      scrapesAtStart.push(exporter.metrics());
    },
    onStep: (step) => exporter.stepJudged(step),
  });
  exporter.finished(result);
  return { result, scrapesAtStart: await Promise.all(scrapesAtStart) };
}

describe('Prometheus: the capacity search', () => {
  it('before any step: the SLO limits and server health, no step and no answer yet', async () => {
    const text = await exporterOf().metrics();
    expect(sampleValue(text, 'sched_bench_capacity_slo_limit', { run_id: 'cap1', threshold: 'e2e.p99<2s', metric: 'e2e.p99' })).toBe(2);
    expect(sampleValue(text, 'sched_bench_capacity_slo_limit', { run_id: 'cap1', threshold: 'failed.rate<1%', metric: 'failed.rate' })).toBeCloseTo(0.01, 6);
    expect(sampleValue(text, 'sched_bench_refused_attempts_total', { run_id: 'cap1', reason: 'throttled' })).toBe(3);
    expect(sampleValue(text, 'sched_bench_server_unavailable_seconds_total', { run_id: 'cap1' })).toBe(2.5);
    for (const name of [
      'sched_bench_capacity_step_target_rate', 'sched_bench_capacity_step_index', 'sched_bench_capacity_step_phase', 'sched_bench_capacity_step_workflows',
      'sched_bench_capacity_step_achieved_rate', 'sched_bench_capacity_step_latency_seconds', 'sched_bench_capacity_step_verdict',
      'sched_bench_capacity_rate', 'sched_bench_capacity_last_passing_rate', 'sched_bench_capacity_first_failing_rate', 'sched_bench_capacity_search_done',
    ]) {
      expect(text).toContain(`# TYPE ${name} gauge`);
      expect(samples(text, name), name).toEqual([]);
    }
  });

  it('as each step starts: its rate, phase and index; the bracket as known so far; the capacity only at the end', async () => {
    const exporter = exporterOf();
    const { result, scrapesAtStart } = await searchFeeding(exporter);
    expect(result.stopReason).toBe('found');
    expect(scrapesAtStart).toHaveLength(result.steps.length);
    result.steps.forEach((step, index) => {
      const text = scrapesAtStart[index]!;
      expect(sampleValue(text, 'sched_bench_capacity_step_target_rate', { run_id: 'cap1' })).toBe(step.targetRate);
      expect(sampleValue(text, 'sched_bench_capacity_step_index', { run_id: 'cap1' })).toBe(index);
      expect(sampleValue(text, 'sched_bench_capacity_step_phase', { run_id: 'cap1', phase: step.phase })).toBe(1);
      expect(sampleValue(text, 'sched_bench_capacity_step_phase', { run_id: 'cap1', phase: step.phase === 'growth' ? 'bisection' : 'growth' })).toBe(0);
      // Only the steps judged before this one are there; the answer is not known while the search runs.
      expect(samples(text, 'sched_bench_capacity_step_verdict')).toHaveLength(index);
      expect(samples(text, 'sched_bench_capacity_rate')).toEqual([]);
      expect(samples(text, 'sched_bench_capacity_search_done')).toEqual([]);
      const passedBefore = result.steps.slice(0, index).filter((judged) => judged.verdict === 'pass').map((judged) => judged.targetRate);
      expect(sampleValue(text, 'sched_bench_capacity_last_passing_rate', { run_id: 'cap1' })).toBe(passedBefore.length > 0 ? Math.max(...passedBefore) : undefined);
    });
    // The growth phase ended at the first failing step (160): from then on the bracket's top is served.
    const firstFail = result.steps.findIndex((step) => step.verdict === 'fail');
    expect(sampleValue(scrapesAtStart[firstFail]!, 'sched_bench_capacity_first_failing_rate', { run_id: 'cap1' })).toBeUndefined();
    expect(sampleValue(scrapesAtStart[firstFail + 1]!, 'sched_bench_capacity_first_failing_rate', { run_id: 'cap1' })).toBe(result.steps[firstFail]!.targetRate);
  });

  it('after the search: every judged step\'s achieved rate, p50/p99 per group and verdict, and the answer', async () => {
    const exporter = exporterOf();
    const { result } = await searchFeeding(exporter);
    const text = await exporter.metrics();
    const { steps, answer } = result;
    expect(answer.kind).toBe('capacity');
    for (const step of steps) {
      const labels = { run_id: 'cap1', step: String(step.index), target_rate: String(Math.round(step.targetRate * 1000) / 1000) };
      expect(sampleValue(text, 'sched_bench_capacity_step_achieved_rate', labels)).toBe(step.achievedRate);
      expect(sampleValue(text, 'sched_bench_capacity_step_verdict', { ...labels, verdict: step.verdict })).toBe(1);
      expect(sampleValue(text, 'sched_bench_capacity_step_latency_seconds', { ...labels, group: 'e2e', quantile: '0.5' })).toBe(0.05);
      expect(sampleValue(text, 'sched_bench_capacity_step_latency_seconds', { ...labels, group: 'e2e', quantile: '0.99' })).toBe(step.measurement.latency.e2e!.p99 / 1000);
      expect(sampleValue(text, 'sched_bench_capacity_step_latency_seconds', { ...labels, group: 'start', quantile: '0.5' })).toBe(0.005);
      expect(sampleValue(text, 'sched_bench_capacity_step_latency_seconds', { ...labels, group: 'start', quantile: '0.99' })).toBe(0.008);
    }
    // One series per step (per group and quantile): the cardinality is the step count's, whatever the rates.
    expect(samples(text, 'sched_bench_capacity_step_verdict')).toHaveLength(steps.length);
    expect(samples(text, 'sched_bench_capacity_step_achieved_rate')).toHaveLength(steps.length);
    expect(samples(text, 'sched_bench_capacity_step_latency_seconds')).toHaveLength(steps.length * 2 * 2);
    expect(sampleValue(text, 'sched_bench_capacity_rate', { run_id: 'cap1' })).toBe(answer.capacity);
    expect(sampleValue(text, 'sched_bench_capacity_last_passing_rate', { run_id: 'cap1' })).toBe(answer.lastPassingRate);
    expect(sampleValue(text, 'sched_bench_capacity_first_failing_rate', { run_id: 'cap1' })).toBe(answer.firstFailingRate);
    expect(answer.capacity).toBeLessThanOrEqual(140);
    expect(answer.firstFailingRate).toBeGreaterThan(140);
    expect(sampleValue(text, 'sched_bench_capacity_search_done', { run_id: 'cap1', stop_reason: 'found' })).toBe(1);
  });

  it('a search that found no passing step: no capacity, the first failing rate, and why it stopped', async () => {
    const exporter = exporterOf();
    const { runStep, clock } = simulated(5);
    const result = await searchCapacity({ slo: parseSlo('e2e.p99<2s'), startRate: 10, stepDurationMs: 10_000 }, runStep, {
      clock, onStepStart: (rate, phase, index) => exporter.stepStarted(rate, phase, index), onStep: (step) => exporter.stepJudged(step),
    });
    exporter.finished(result);
    const text = await exporter.metrics();
    expect(samples(text, 'sched_bench_capacity_rate')).toEqual([]);
    expect(samples(text, 'sched_bench_capacity_last_passing_rate')).toEqual([]);
    expect(sampleValue(text, 'sched_bench_capacity_first_failing_rate', { run_id: 'cap1' })).toBe(10);
    expect(sampleValue(text, 'sched_bench_capacity_step_verdict', { run_id: 'cap1', step: '0', target_rate: '10', verdict: 'fail' })).toBe(1);
    expect(sampleValue(text, 'sched_bench_capacity_search_done', { run_id: 'cap1', stop_reason: 'start-rate-failed' })).toBe(1);
  });

  it('the current step\'s live counts are read at scrape time', async () => {
    let counts: LaunchCountsSnapshot | undefined;
    const exporter = exporterOf({ currentStep: () => counts });
    exporter.stepStarted(20, 'growth', 0);
    expect(samples(await exporter.metrics(), 'sched_bench_capacity_step_workflows')).toEqual([]);
    counts = { launched: 12, started: 11, completed: 7, failed: 1, inFlight: 4, lateStarts: 0, failuresByKind: {} };
    let text = await exporter.metrics();
    for (const [state, value] of Object.entries({ launched: 12, started: 11, completed: 7, failed: 1, in_flight: 4 })) {
      expect(sampleValue(text, 'sched_bench_capacity_step_workflows', { run_id: 'cap1', state })).toBe(value);
    }
    counts = { ...counts, completed: 11, inFlight: 0 };
    text = await exporter.metrics();
    expect(sampleValue(text, 'sched_bench_capacity_step_workflows', { run_id: 'cap1', state: 'completed' })).toBe(11);
    expect(sampleValue(text, 'sched_bench_capacity_step_workflows', { run_id: 'cap1', state: 'in_flight' })).toBe(0);
  });
});
