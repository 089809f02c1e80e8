import { describe, expect, it } from 'vitest';
import { measuredMetrics, resolveConfig, type ConfigSources } from '../../src/cli/config.js';
import { describeOption } from '../../src/cli/options-docs.js';
import { OPTION_SPECS, specsFor, type OptionSpec } from '../../src/cli/options.js';
import { loadSpecOf } from '../../src/cli/run-specs.js';
import { workloadOf } from '../../src/cli/workload.js';
import { UsageError } from '../../src/errors.js';
import { WORKLOAD_NAMES } from '../../src/workloads/workload.js';

const sources = (flags: ConfigSources['flags'] = {}, env: ConfigSources['env'] = {}): ConfigSources => ({ flags, env, dotenv: {} });
const resolved = (flags: ConfigSources['flags'] = {}, env: ConfigSources['env'] = {}) => resolveConfig('run', sources(flags, env));
const workload = (flags: ConfigSources['flags'] = {}, env: ConfigSources['env'] = {}) => workloadOf(resolved(flags, env));
/** The one line a usage error shows. */
const refusal = (make: () => unknown): string => {
  try {
    make();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error('expected a usage error');
};

const NEW_OPTIONS = ['workload', 'signals', 'updates', 'queries', 'children', 'timerDuration', 'iterations', 'mix', 'seed', 'historySample'] as const;

describe('the workload options: flags, variables, defaults', () => {
  it('belong to run, infinite and capacity (whose steps are load runs) only, each with its SCHEDULER_ variable', () => {
    for (const key of NEW_OPTIONS) {
      const spec = (OPTION_SPECS as readonly OptionSpec[]).find((candidate) => candidate.key === key)!;
      expect(spec.commands, key).toEqual(['run', 'infinite', 'capacity']);
      expect(spec.env[0], key).toMatch(/^SCHEDULER_[A-Z_]+$/);
      for (const command of ['worker', 'cleanup', 'schedules', 'report'] as const) expect(specsFor(command).map((other) => other.key)).not.toContain(key);
    }
  });

  it('default to echo, 3 signals/updates/queries/children/iterations, a 1s timer, seed 1, history sample 0.01', () => {
    expect(workload()).toEqual({ kind: 'echo', message: 'Test scheduler', count: 1 });
    expect(workload({ workload: 'signal' })).toEqual({ kind: 'signal', signals: 3, withStart: false });
    expect(workload({ workload: 'update' })).toEqual({ kind: 'update', updates: 3, withStart: false });
    expect(workload({ workload: 'query' })).toEqual({ kind: 'query', queries: 3 });
    expect(workload({ workload: 'child' })).toEqual({ kind: 'child', children: 3 });
    expect(workload({ workload: 'timer' })).toEqual({ kind: 'timer', durationMs: 1000 });
    expect(workload({ workload: 'continue-as-new' })).toEqual({ kind: 'continue-as-new', iterations: 3 });
    expect(resolved()).toMatchObject({ workload: 'echo', historySample: 0.01 });
    expect(workload({ workload: 'mix', mix: 'echo=1' })).toMatchObject({ kind: 'mix', seed: 1 });
  });

  it('take each parameter from its flag or its variable', () => {
    expect(workload({ workload: 'signal', signals: '2' })).toEqual({ kind: 'signal', signals: 2, withStart: false });
    expect(workload({}, { SCHEDULER_WORKLOAD: 'signal-with-start', SCHEDULER_SIGNALS: '7' })).toEqual({ kind: 'signal', signals: 7, withStart: true });
    expect(workload({ workload: 'update-with-start', updates: '4' })).toEqual({ kind: 'update', updates: 4, withStart: true });
    expect(workload({}, { SCHEDULER_WORKLOAD: 'query', SCHEDULER_QUERIES: '10' })).toEqual({ kind: 'query', queries: 10 });
    expect(workload({ workload: 'child', children: '12' })).toEqual({ kind: 'child', children: 12 });
    expect(workload({ workload: 'child', children: '1000' })).toEqual({ kind: 'child', children: 1000 });
    expect(workload({ workload: 'timer', timerDuration: '500ms' })).toEqual({ kind: 'timer', durationMs: 500 });
    expect(workload({}, { SCHEDULER_WORKLOAD: 'timer', SCHEDULER_TIMER_DURATION: '2m' })).toEqual({ kind: 'timer', durationMs: 120_000 });
    expect(workload({ workload: 'continue-as-new', iterations: '5' })).toEqual({ kind: 'continue-as-new', iterations: 5 });
    expect(resolved({ historySample: '0' }).historySample).toBe(0);
    expect(resolved({}, { SCHEDULER_HISTORY_SAMPLE: '1' }).historySample).toBe(1);
    expect(resolved({ seed: '42' }).seed).toBe(42);
    expect(workload({ workload: 'mix', mix: 'echo=1' }, { SCHEDULER_SEED: '7' })).toMatchObject({ seed: 7 });
  });

  it('a mix: each part with its own parameters, and the seed', () => {
    expect(workload({ workload: 'mix', mix: 'echo=70,signal=20,update=10', signals: '2', seed: '9' })).toEqual({
      kind: 'mix', seed: 9,
      parts: [
        { workload: { kind: 'echo', message: 'Test scheduler', count: 1 }, weight: 70 },
        { workload: { kind: 'signal', signals: 2, withStart: false }, weight: 20 },
        { workload: { kind: 'update', updates: 3, withStart: false }, weight: 10 },
      ],
    });
    expect(workload({}, { SCHEDULER_WORKLOAD: 'mix', SCHEDULER_MIX: ' timer = 1 , query=3' })).toMatchObject({
      kind: 'mix', seed: 1, parts: [{ workload: { kind: 'timer' }, weight: 1 }, { workload: { kind: 'query' }, weight: 3 }],
    });
  });

  it('the load spec carries the history sample', () => {
    expect(loadSpecOf('batch', resolved(), {}).historySample).toBe(0.01);
    expect(loadSpecOf('batch', resolved({ historySample: '0.5', workload: 'update' }), {})).toMatchObject({ historySample: 0.5, workload: { kind: 'update' } });
  });

  it('--help names every workload and each default', () => {
    const help = (key: string) => describeOption((OPTION_SPECS as readonly OptionSpec[]).find((spec) => spec.key === key)!);
    for (const name of WORKLOAD_NAMES) expect(help('workload')).toContain(name);
    expect(help('workload')).toContain('default: "echo"');
    expect(help('workload')).toMatch(/sched-bench worker/);
    expect(help('signals')).toContain('default: 3');
    expect(help('timerDuration')).toContain('default: 1s');
    expect(help('historySample')).toContain('default: 0.01');
    expect(help('seed')).toContain('default: 1');
  });
});

describe('bad values: one line naming the option', () => {
  it.each([
    [{ workload: 'signals' }, /invalid value "signals" for --workload: expected echo, signal, signal-with-start, update/],
    [{ signals: '0' }, /for --signals: expected an integer ≥ 1/],
    [{ updates: '1.5' }, /for --updates: expected an integer ≥ 1/],
    [{ children: '0' }, /for --children: expected an integer ≥ 1/],
    [{ children: '1001' }, /^invalid value "1001" for --children: expected an integer from 1 to 1000 \(a parent starts them all in one workflow task; the server takes 2000 pending children by default\)$/],
    [{ children: '2500' }, /for --children: expected an integer from 1 to 1000/],
    [{ timerDuration: '0' }, /for --timer-duration: expected a duration > 0/],
    [{ iterations: '-1' }, /for --iterations/],
    [{ historySample: '1.5' }, /for --history-sample: expected a fraction from 0 to 1/],
    [{ historySample: '-0.1' }, /for --history-sample/],
    [{ seed: '4294967296' }, /for --seed: expected an integer from 0 to 4294967295/],
    [{ mix: 'echo=70,nope=30' }, /for --mix: expected workload names .*but "nope" is none/],
    [{ mix: 'echo=70,signal=0' }, /for --mix: expected a weight ≥ 1 for each part, but signal has 0/],
    [{ mix: 'echo=70,signal=-5' }, /for --mix: expected a weight ≥ 1 for each part, but signal has -5/],
    [{ mix: 'echo=2.5' }, /for --mix: expected parts like echo=70,signal=20,update=10/],
    [{ mix: 'echo' }, /for --mix: expected parts like/],
    [{ mix: 'echo=1,mix=1' }, /for --mix: expected a mix of other workloads: mix cannot be a part of a mix/],
    [{ mix: 'echo=1,signal=2,echo=3' }, /for --mix: expected each workload once, but echo is there twice/],
  ] as Array<[ConfigSources['flags'], RegExp]>)('%o', (flags, message) => {
    expect(refusal(() => resolved({ workload: 'mix', ...flags }))).toMatch(message);
  });

  it('a bad variable is named as the variable', () => {
    expect(refusal(() => resolved({}, { SCHEDULER_WORKLOAD: 'nope' }))).toMatch(/^invalid value "nope" for SCHEDULER_WORKLOAD: /);
    expect(refusal(() => resolved({}, { SCHEDULER_MIX: 'a=1' }))).toMatch(/for SCHEDULER_MIX: /);
  });
});

describe('combinations that make no sense: one line, exit 2 (UsageError)', () => {
  it.each([
    [{ workload: 'update', signals: '5' }, '--signals applies to --workload signal or --workload signal-with-start (or a mix with it), not to --workload update'],
    [{ signals: '5' }, '--signals applies to --workload signal or --workload signal-with-start (or a mix with it), not to --workload echo'],
    [{ workload: 'signal', updates: '2' }, '--updates applies to --workload update or --workload update-with-start (or a mix with it), not to --workload signal'],
    [{ workload: 'timer', queries: '2' }, '--queries applies to --workload query (or a mix with it), not to --workload timer'],
    [{ workload: 'query', children: '2' }, '--children applies to --workload child (or a mix with it), not to --workload query'],
    [{ workload: 'child', timerDuration: '2s' }, '--timer-duration applies to --workload timer (or a mix with it), not to --workload child'],
    [{ workload: 'timer', iterations: '2' }, '--iterations applies to --workload continue-as-new (or a mix with it), not to --workload timer'],
    [{ workload: 'signal', payloadSize: '1024' }, '--payload-size applies to --workload echo (or a mix with it), not to --workload signal'],
    [{ workload: 'update', activityDelay: '100' }, '--activity-delay applies to --workload echo (or a mix with it), not to --workload update'],
    [{ workload: 'timer', localActivities: true }, '--local-activities applies to --workload echo (or a mix with it), not to --workload timer'],
    [{ workload: 'signal', message: 'hello' }, '--message applies to --workload echo (or a mix with it), not to --workload signal'],
    [{ workload: 'update', count: '3' }, '--count applies to --workload echo (or a mix with it), not to --workload update'],
    [{ workload: 'mix', mix: 'timer=1,query=1', count: '2' }, '--count applies to --workload echo (or a mix with it), not to --mix timer,query'],
    [{ workload: 'mix', mix: 'signal=1,update=1', payloadSize: '10' }, '--payload-size applies to --workload echo (or a mix with it), not to --mix signal,update'],
    [{ workload: 'mix', mix: 'echo=1,update=1', signals: '2' }, '--signals applies to --workload signal or --workload signal-with-start (or a mix with it), not to --mix echo,update'],
    [{ mix: 'echo=1,signal=1' }, '--mix needs --workload mix (the workload is echo)'],
    [{ workload: 'signal', mix: 'echo=1,signal=1' }, '--mix needs --workload mix (the workload is signal)'],
    [{ workload: 'mix' }, '--workload mix needs --mix, e.g. --mix echo=70,signal=20,update=10'],
    [{ workload: 'signal', seed: '3' }, '--seed seeds the draws of --workload mix: it does nothing for --workload signal'],
    [{ workload: 'signal', workflowType: 'OrderWorkflow' }, '--workflow-type starts your own workflow type in place of the EchoWorkflow: it does not go with --workload signal'],
    [{ workload: 'mix', mix: 'echo=1', workflowType: 'OrderWorkflow' }, '--workflow-type starts your own workflow type in place of the EchoWorkflow: it does not go with --workload mix'],
    [{ workload: 'signal', startDelay: '5s' }, '--start-delay applies to --workload echo (or --workflow-type) only, not to --workload signal: the delay would count in its operation latencies (and update-with-start does not take a start delay)'],
    [{ workload: 'update-with-start', startDelay: '1s' }, '--start-delay applies to --workload echo (or --workflow-type) only, not to --workload update-with-start: the delay would count in its operation latencies (and update-with-start does not take a start delay)'],
    [{ workload: 'child', startDelay: '1s' }, '--start-delay applies to --workload echo (or --workflow-type) only, not to --workload child: the delay would count in its operation latencies (and update-with-start does not take a start delay)'],
    [{ workload: 'mix', mix: 'echo=1,query=1', startDelay: '1s' }, '--start-delay applies to --workload echo (or --workflow-type) only, not to --mix with query: the delay would count in its operation latencies (and update-with-start does not take a start delay)'],
  ] as Array<[ConfigSources['flags'], string]>)('%o', (flags, message) => {
    expect(refusal(() => workloadOf(resolved(flags)))).toBe(message);
    // the run refuses them the same way, before anything starts
    expect(refusal(() => loadSpecOf('batch', resolved(flags), {}))).toBe(message);
  });

  it('a parameter is taken where a part of the mix uses it', () => {
    expect(workload({ workload: 'mix', mix: 'echo=1,signal=1', signals: '2', payloadSize: '20', localActivities: true })).toMatchObject({
      parts: [{ workload: { kind: 'echo', localActivities: true, message: 'Test scheduler......' } }, { workload: { kind: 'signal', signals: 2 } }],
    });
    expect(workload({ workload: 'mix', mix: 'update-with-start=1,child=2', updates: '5', children: '4' })).toMatchObject({
      parts: [{ workload: { kind: 'update', updates: 5, withStart: true } }, { workload: { kind: 'child', children: 4 } }],
    });
  });

  it('--start-delay is taken by echo and by --workflow-type (and a mix of echo alone)', () => {
    expect(resolved({ startDelay: '2s' }).startDelay).toBe(2);
    expect(workload({ startDelay: '2s' })).toEqual({ kind: 'echo', message: 'Test scheduler', count: 1 });
    expect(workload({ startDelay: '2s', workflowType: 'OrderWorkflow' })).toMatchObject({ kind: 'custom', workflowType: 'OrderWorkflow' });
    expect(workload({ startDelay: '2s', workload: 'mix', mix: 'echo=1' })).toMatchObject({ kind: 'mix' });
  });

  it('--message and --count: echo takes them (its defaults when not given); from a variable too', () => {
    expect(workload({ message: 'hi', count: '4' })).toEqual({ kind: 'echo', message: 'hi', count: 4 });
    expect(workload({}, { SCHEDULER_MESSAGE: 'env', SCHEDULER_COUNT: '2' })).toEqual({ kind: 'echo', message: 'env', count: 2 });
    expect(workload({ payloadSize: '20' })).toEqual({ kind: 'echo', message: 'Test scheduler......', count: 1 });
    expect(workload({ workload: 'mix', mix: 'echo=1,signal=1', message: 'm', count: '2' })).toMatchObject({
      parts: [{ workload: { kind: 'echo', message: 'm', count: 2 } }, { workload: { kind: 'signal' } }],
    });
    expect(refusal(() => workload({}, { SCHEDULER_WORKLOAD: 'query', SCHEDULER_MESSAGE: 'x' }))).toBe(
      '--message applies to --workload echo (or a mix with it), not to --workload query',
    );
  });

  it('--message and --count shape the EchoWorkflow only, not --workflow-type', () => {
    expect(refusal(() => workload({ workflowType: 'OrderWorkflow', message: 'x' }))).toMatch(/^--message applies to the built-in EchoWorkflow only, not to --workflow-type OrderWorkflow/);
    expect(refusal(() => workload({ workflowType: 'OrderWorkflow', count: '2', payloadSize: '5' }))).toMatch(/^--count, --payload-size apply to the built-in EchoWorkflow only/);
  });

  it('--help and the docs still show their defaults', () => {
    const help = (key: string) => describeOption((OPTION_SPECS as readonly OptionSpec[]).find((spec) => spec.key === key)!);
    expect(help('message')).toContain('default: "Test scheduler"');
    expect(help('count')).toContain('default: 1');
  });

  it('--workflow-type with echo stays as it was (your workflow type; echo shaping refused)', () => {
    expect(workload({ workflowType: 'OrderWorkflow', input: ['{"a":1}'] })).toEqual({ kind: 'custom', workflowType: 'OrderWorkflow', args: [{ a: 1 }] });
    expect(refusal(() => workload({ workflowType: 'OrderWorkflow', payloadSize: '10' }))).toMatch(/--payload-size applies to the built-in EchoWorkflow only/);
  });
});

describe('thresholds are held against the operations the workload measures', () => {
  const latency = (flags: ConfigSources['flags']) => measuredMetrics('run', resolved(flags)).latency;

  it('each workload adds its own operations; the history-read ones need the results', () => {
    expect(latency({})).toEqual(['start', 'e2e', 'workflow_task.schedule_to_start', 'activity_task.schedule_to_start']);
    expect(latency({ historySample: '0' })).toEqual(['start', 'e2e']);
    expect(latency({ workload: 'update', historySample: '0' })).toEqual(['start', 'e2e', 'update.accepted', 'update.completed']);
    expect(latency({ workload: 'signal', historySample: '0' })).toEqual(['start', 'e2e', 'signal.sent', 'signal.handled']);
    expect(latency({ workload: 'signal', wait: false })).toEqual(['start', 'signal.sent']);
    expect(latency({ workload: 'timer', historySample: '0' })).toContain('timer.lag');
    expect(latency({ workload: 'timer', wait: false })).not.toContain('timer.lag');
    expect(latency({ workload: 'mix', mix: 'query=1,child=1', historySample: '0' })).toEqual(['start', 'e2e', 'query.answered', 'child.completed']);
    expect(latency({ workflowType: 'OrderWorkflow' })).toEqual(['start', 'e2e']);
  });

  it('a threshold on an operation the run does not measure is refused before the run', () => {
    expect(refusal(() => resolved({ thresholds: ['update.accepted.p99<200ms'] }))).toMatch(/^--threshold: bad threshold "update.accepted.p99<200ms": run does not measure/);
    expect(refusal(() => resolved({ workload: 'signal', wait: false, thresholds: ['signal.handled.p95<1s'] }))).toMatch(/does not measure/);
  });

  it('a refused combination is told as itself, not as a threshold problem', () => {
    expect(refusal(() => resolved({ workload: 'update', signals: '2', thresholds: ['e2e.p99<1s'] }))).toBe(
      '--signals applies to --workload signal or --workload signal-with-start (or a mix with it), not to --workload update',
    );
  });
});
