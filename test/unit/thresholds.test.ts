import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import type { LatencySummary } from '../../src/metrics/latency-histogram.js';
import { checkThresholdsMeasured, evaluateThresholds, latencyMetricParts, parseThreshold, parseThresholdList, type ThresholdInputs } from '../../src/metrics/thresholds.js';

describe('parseThreshold', () => {
  it.each([
    ['e2e.p99<2s', 'e2e.p99', '<', 2000],
    ['e2e.p99 < 2s', 'e2e.p99', '<', 2000],
    ['start.p95<=300ms', 'start.p95', '<=', 300],
    ['start.p50<250', 'start.p50', '<', 250], // bare number: milliseconds, as in k6
    ['e2e.p99.9<1.5s', 'e2e.p99.9', '<', 1500],
    ['e2e.max<1m', 'e2e.max', '<', 60_000],
    ['e2e.mean<800us', 'e2e.mean', '<', 0.8],
    ['start.min>=1µs', 'start.min', '>=', 0.001],
    ['failed.rate<0.01', 'failed.rate', '<', 0.01],
    ['failed.rate<1%', 'failed.rate', '<', 0.01],
    ['failed.count==0', 'failed.count', '==', 0],
    ['throughput>50', 'throughput', '>', 50],
    ['throughput!=0', 'throughput', '!=', 0],
  ])('%s', (expression, metric, operator, limit) => {
    const threshold = parseThreshold(expression);
    expect(threshold).toMatchObject({ metric, operator });
    expect(threshold.limit).toBeCloseTo(limit, 9);
  });

  it.each([
    ['e2e.p99', /expected <metric><op><value>/],
    ['<2s', /expected <metric><op><value>/],
    ['e2e.p42<2s', /unknown metric "e2e.p42"/],
    ['latency.p99<2s', /unknown metric "latency.p99"/],
    ['e2e.p99<2 parsecs', /"2 parsecs" is not a number or a duration like 200ms/],
    ['e2e.p99<50%', /a latency takes a duration, not a percentage/],
    ['throughput>5s', /"s" is a time unit, but this metric is a plain number/],
    ['failed.count=0', /expected <metric><op><value>|is not a number/],
    ['throughput>>5', /is not a number/],
  ])('rejects %j naming the bad part', (expression, message) => {
    expect(() => parseThreshold(expression)).toThrow(UsageError);
    expect(() => parseThreshold(expression)).toThrow(message);
  });

  it('parses a ;-separated list and ignores empty parts', () => {
    expect(parseThresholdList('e2e.p99<2s;;throughput>1; ').map((threshold) => threshold.metric)).toEqual(['e2e.p99', 'throughput']);
  });
});

const summary = (p99: number, overrides: Partial<LatencySummary> = {}): LatencySummary => ({
  count: 100, min: 1, mean: p99 / 2, p50: p99 / 3, p90: p99 * 0.8, p95: p99 * 0.9, p99, p999: p99 * 1.1, max: p99 * 1.2, ...overrides,
});

describe('evaluateThresholds', () => {
  const inputs: ThresholdInputs = {
    latency: { e2e: summary(1500), start: summary(40) },
    completed: 990,
    failed: 10,
    completedPerSecond: 42.5,
  };

  it('marks each threshold passed or failed with its measured value', () => {
    const results = evaluateThresholds(
      ['e2e.p99<2s', 'e2e.p99<1s', 'start.max<=48ms', 'failed.rate<0.02', 'failed.rate<0.01', 'failed.count==10', 'throughput>50'].map(parseThreshold),
      inputs,
    );
    expect(results.map((result) => [result.expression, result.value, result.passed])).toEqual([
      ['e2e.p99<2s', 1500, true],
      ['e2e.p99<1s', 1500, false],
      ['start.max<=48ms', 48, true],
      ['failed.rate<0.02', 0.01, true],
      ['failed.rate<0.01', 0.01, false],
      ['failed.count==10', 10, true],
      ['throughput>50', 42.5, false],
    ]);
  });

  it('fails a latency threshold that has no samples, and treats no launches as a 0 failure rate', () => {
    const empty: ThresholdInputs = { latency: { e2e: summary(0, { count: 0 }), start: summary(0, { count: 0 }) }, completed: 0, failed: 0, completedPerSecond: 0 };
    const [latency, rate] = evaluateThresholds([parseThreshold('e2e.p99<2s'), parseThreshold('failed.rate<0.01')], empty);
    expect(latency).toMatchObject({ passed: false });
    expect(Number.isNaN(latency!.value)).toBe(true);
    expect(rate).toMatchObject({ value: 0, passed: true });
  });
});

describe('thresholds that mean nothing are usage errors', () => {
  it.each([
    ['failed.rate<200%', 'fail'],
    ['failed.rate<=1', 'fail'],
    ['failed.rate<=100%', 'fail'],
    ['failed.rate>1', 'pass'],
    ['failed.rate>=150%', 'pass'],
    ['failed.rate==2', 'pass'],
    ['failed.rate!=-1', 'fail'],
    ['e2e.p99<-5ms', 'pass'],
    ['e2e.p99<0', 'pass'],
    ['e2e.p99>=0ms', 'fail'],
    ['e2e.p99>-1s', 'fail'],
    ['e2e.p99<=-1', 'pass'],
    ['start.max==-3ms', 'pass'],
    ['failed.count<0', 'pass'],
    ['failed.count>=0', 'fail'],
    ['failed.count==1.5', 'pass'],
    ['failed.count!=0.5', 'fail'],
    ['missed<0', 'pass'],
    ['skipped>-1', 'fail'],
    ['throughput<0', 'pass'],
    ['throughput>=0', 'fail'],
  ])('%s can never %s', (expression, never) => {
    expect(() => parseThreshold(expression)).toThrow(UsageError);
    expect(() => parseThreshold(expression)).toThrow(new RegExp(`^bad threshold "${expression.replace(/[.*+?^$()|[\]\\]/g, '\\$&')}": it can never ${never} \\(`));
  });

  it.each(['failed.rate<1', 'failed.rate<100%', 'failed.rate>0', 'failed.rate>=1', 'failed.rate==0', 'failed.rate==1', 'failed.count==0',
    'failed.count<1', 'failed.count<0.5', 'e2e.p99>0', 'e2e.p99<1µs', 'e2e.p99<=0', 'throughput>0', 'missed==0', 'unaccounted!=0', 'start_lateness.p99<50ms'])(
    '%s can both pass and fail: accepted',
    (expression) => {
      expect(parseThreshold(expression).expression).toBe(expression);
    },
  );

  it('reads limits with the one number grammar: no hex, no Infinity, exponents allowed', () => {
    expect(parseThreshold('throughput>1e2').limit).toBe(100);
    expect(parseThreshold('e2e.p99<1.5e3ms').limit).toBe(1500);
    expect(() => parseThreshold('throughput>0x10')).toThrow(/"0x10" is not a number/);
    expect(() => parseThreshold('throughput<Infinity')).toThrow(/"Infinity" is not a number/);
    expect(() => parseThreshold('e2e.p99<.5s')).toThrow(/"\.5s" is not a number/);
  });
});

describe('checkThresholdsMeasured', () => {
  const loadRun = { latency: ['start', 'e2e'] as const, numbers: ['failed.rate', 'failed.count', 'throughput'] as const };

  it('accepts thresholds on what the command measures', () => {
    expect(() => checkThresholdsMeasured(['e2e.p99<2s', 'start.p50<1s', 'failed.count==0'].map(parseThreshold), loadRun, 'run')).not.toThrow();
  });

  it.each([
    ['missed==0', /run does not measure missed; it measures start\.<p50\|.*>, e2e\.<.*>, failed\.rate, failed\.count, throughput$/],
    ['fire_lag.p99<1s', /run does not measure fire_lag \(why not\); it measures start\./],
    ['delay_lag.max<1s', /run does not measure delay_lag; it measures/],
  ])('refuses %s naming the metric and what is measured', (expression, message) => {
    const check = () => checkThresholdsMeasured([parseThreshold(expression)], loadRun, 'run', { fire_lag: 'why not' });
    expect(check).toThrow(UsageError);
    expect(check).toThrow(message);
  });
});

describe('thresholds on operations (names with dots)', () => {
  it.each([
    ['update.accepted.p99<200ms', 'update.accepted', 'p99', 200],
    ['signal.handled.p95<1s', 'signal.handled', 'p95', 1000],
    ['continue_as_new.iteration.p50<1s', 'continue_as_new.iteration', 'p50', 1000],
    ['update.completed.p99.9<=2s', 'update.completed', 'p99.9', 2000],
    ['workflow_task.schedule_to_start.max<500ms', 'workflow_task.schedule_to_start', 'max', 500],
    ['e2e.p99.9<1.5s', 'e2e', 'p99.9', 1500],
  ])('%s: group %s, statistic %s', (expression, group, statistic, limit) => {
    const threshold = parseThreshold(expression);
    expect(threshold).toMatchObject({ kind: 'latency', metric: expression.split(/[<>=!]/)[0] });
    expect(threshold.limit).toBeCloseTo(limit, 9);
    expect(latencyMetricParts(threshold.metric)).toEqual({ group, statistic });
  });

  it.each(['update.p99<1s', 'update.accepted<1s', 'update.accepted.p42<1s', 'signal.handled.p99.99<1s', 'query.answered.p99.9.9<1s'])(
    'refuses the unknown metric in %s',
    (expression) => {
      expect(() => parseThreshold(expression)).toThrow(/unknown metric/);
    },
  );

  it('evaluates each operation by its own summary, p99.9 included', () => {
    const inputs: ThresholdInputs = {
      latency: { e2e: summary(5000), 'update.accepted': summary(100), 'update.completed': summary(300), 'continue_as_new.iteration': summary(800) },
      completed: 10, failed: 0, completedPerSecond: 1,
    };
    const results = evaluateThresholds(
      ['update.accepted.p99<200ms', 'update.completed.p99<200ms', 'update.accepted.p99.9<=111ms', 'continue_as_new.iteration.max<1s', 'signal.handled.p95<1s'].map(parseThreshold),
      inputs,
    );
    expect(results.map((result) => [result.expression, result.passed])).toEqual([
      ['update.accepted.p99<200ms', true],
      ['update.completed.p99<200ms', false],
      ['update.accepted.p99.9<=111ms', true],
      ['continue_as_new.iteration.max<1s', true],
      ['signal.handled.p95<1s', false], // not measured: no samples prove it holds
    ]);
    expect(results[2]!.value).toBeCloseTo(110, 9);
    expect(Number.isNaN(results[4]!.value)).toBe(true);
  });

  it('checkThresholdsMeasured knows an operation by its whole name', () => {
    const updateRun = { latency: ['start', 'e2e', 'update.accepted', 'update.completed'] as const, numbers: ['throughput'] as const };
    expect(() => checkThresholdsMeasured(['update.accepted.p99<200ms', 'update.completed.p99.9<1s', 'e2e.p99.9<2s'].map(parseThreshold), updateRun, 'run')).not.toThrow();
    const check = () => checkThresholdsMeasured([parseThreshold('signal.handled.p95<1s')], updateRun, 'run', { 'signal.handled': 'run --workload signal' });
    expect(check).toThrow(/^bad threshold "signal\.handled\.p95<1s": run does not measure signal\.handled \(run --workload signal\); it measures start\..*update\.accepted\.<p50\|/);
  });
});

describe('the line for an unknown metric', () => {
  const problem = (expression: string): string => {
    try {
      parseThreshold(expression);
    } catch (error) {
      return (error as Error).message;
    }
    throw new Error(`${expression} was accepted`);
  };

  it('stays short (no list of every metric), names the bad one and the kinds of names accepted', () => {
    for (const expression of ['signal.p99<2s', 'latency.p99<2s', 'p99<2s', 'foo<1', 'e2e.p42<2s', 'update.accepted.p42<1s']) {
      const message = problem(expression);
      expect(message.length, message).toBeLessThan(500);
      expect(message).not.toContain('\n');
      expect(message).toContain(`unknown metric "${expression.split('<')[0]}"`);
    }
    expect(problem('foo<1')).toMatch(/a latency is <group>\.<statistic> with a group such as e2e, start, .* or an operation such as update\.accepted, and a statistic p50, .*p99\.9.*; the counts are failed\.rate, failed\.count, throughput/);
  });

  it('suggests the nearest known names', () => {
    expect(problem('signal.p99<2s')).toContain('(did you mean signal.sent.p99 or signal.handled.p99?)');
    expect(problem('throughpt>5')).toContain('(did you mean throughput?)');
    expect(problem('e2e.p99.99<1s')).toContain('(did you mean e2e.p99.9?)');
    expect(problem('foo<1')).not.toContain('did you mean');
  });

  it('a known group with an unknown statistic: the statistics it takes', () => {
    expect(problem('e2e.p42<2s')).toBe('bad threshold "e2e.p42<2s": unknown metric "e2e.p42": e2e takes the statistics p50, p90, p95, p99, p99.9, max, mean, min');
    expect(problem('update.accepted.p42<1s')).toMatch(/unknown metric "update\.accepted\.p42": update\.accepted takes the statistics p50,/);
  });
});
