import { readFileSync } from 'node:fs';
import { parse as parseDotenv } from 'dotenv';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PRECISION, DEFAULT_STEP_DURATION_MS } from '../../src/capacity/search.js';
import { parseSlo } from '../../src/capacity/slo.js';
import { resolveConfig, unknownVariableWarnings, type ConfigSources } from '../../src/cli/config.js';
import { envExampleLines, envExampleText, readmeSection } from '../../src/cli/options-docs.js';
import { OPTION_SPECS, specsFor, type OptionSpec } from '../../src/cli/options.js';
import { redactedConfig } from '../../src/cli/run-command.js';
import { capacitySpecFrom, capacitySpecOf } from '../../src/cli/run-specs.js';
import { UsageError } from '../../src/errors.js';
import { MAX_RATE } from '../../src/scheduler/load-model.js';

const sources = (flags: ConfigSources['flags'] = {}, env: ConfigSources['env'] = {}, dotenv: ConfigSources['env'] = {}): ConfigSources => ({ flags, env, dotenv });
const resolved = (flags: ConfigSources['flags'] = {}, env: ConfigSources['env'] = {}) => resolveConfig('capacity', sources(flags, env));
const spec = (flags: ConfigSources['flags'] = {}, env: ConfigSources['env'] = {}) => capacitySpecOf(resolved(flags, env), {});
const SLO = { slo: ['e2e.p99<2s'] };

/** The one line a usage error shows. */
const refusal = (make: () => unknown): string => {
  try {
    make();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    const message = (error as Error).message;
    expect(message).not.toContain('\n');
    return message;
  }
  throw new Error('expected a usage error');
};

describe('capacity options: flags, variables, defaults', () => {
  it('defaults: no SLO, start rate 10, the search\'s step duration and precision, no warm-up, no bounds, no expectation', () => {
    expect(resolved()).toMatchObject({
      slo: undefined, startRate: 10, stepDuration: DEFAULT_STEP_DURATION_MS / 1000, stepWarmup: 0, precision: DEFAULT_PRECISION,
      maxRate: undefined, maxDuration: undefined, expect: undefined, concurrency: undefined, historySample: 0.01, workload: 'echo',
    });
    expect(resolved().stepDuration).toBe(30);
  });

  it('offers the search, connection, worker, workload and output options, and none that mean nothing in a search', () => {
    const keys = specsFor('capacity').map((option) => option.key);
    expect(keys).toEqual(expect.arrayContaining([
      'slo', 'startRate', 'stepDuration', 'stepWarmup', 'precision', 'maxRate', 'maxDuration', 'expect', 'address', 'namespace', 'apiKey', 'tls',
      'connection', 'retryTimeout', 'taskQueue', 'devServer', 'worker', 'workers', 'workflowSlots', 'activitySlots', 'pollers', 'stickyCacheSize',
      'eagerStart', 'workload', 'signals', 'mix', 'seed', 'message', 'count', 'activityDelay', 'workflowType', 'historySample', 'json', 'ndjson', 'html',
      'maxOutage', 'quiet', 'metricsPort', 'runId', 'idPrefix', 'concurrency',
    ]));
    for (const key of ['totalWorkflows', 'rate', 'stages', 'duration', 'thresholds', 'verify', 'warmup', 'wait', 'maxRuntime', 'drainTimeout',
      'onStop', 'progress', 'reportInterval', 'startDelay', 'schedules', 'all', 'merge'] as const) {
      expect(keys, key).not.toContain(key);
    }
    // and the search's options belong to capacity alone
    for (const key of ['slo', 'startRate', 'stepDuration', 'stepWarmup', 'precision', 'maxRate', 'maxDuration', 'expect'] as const) {
      expect((OPTION_SPECS as readonly OptionSpec[]).find((option) => option.key === key)!.commands, key).toEqual(['capacity']);
    }
  });

  it('takes each from its flag or its variable, the flag first', () => {
    const config = resolved(
      { slo: ['e2e.p99<2s,failed.rate<0.1%'], startRate: '2.5', precision: '10%', maxRate: '400', maxDuration: '2m', expect: '>=100', stepWarmup: '500ms' },
      { SCHEDULER_SLO: 'start.p99<1s', SCHEDULER_START_RATE: '7', SCHEDULER_STEP_DURATION: '5s' },
    );
    expect(config.slo!.map((threshold) => threshold.expression)).toEqual(['e2e.p99<2s', 'failed.rate<0.1%']);
    expect(config).toMatchObject({ startRate: 2.5, stepDuration: 5, stepWarmup: 0.5, precision: 0.1, maxRate: 400, maxDuration: 120 });
    expect(config.expect).toMatchObject({ expression: '>=100', operator: '>=', rate: 100 });
    const fromEnv = resolved({}, { SCHEDULER_SLO: 'e2e.p99<2s;failed.count<5', SCHEDULER_EXPECT: '> 50', SCHEDULER_PRECISION: '0.2', SCHEDULER_MAX_DURATION: '10m' });
    expect(fromEnv.slo!.map((threshold) => threshold.expression)).toEqual(['e2e.p99<2s', 'failed.count<5']);
    expect(fromEnv).toMatchObject({ precision: 0.2, maxDuration: 600, expect: { operator: '>', rate: 50 } });
  });

  it('joins repeated --slo flags', () => {
    expect(resolved({ slo: ['e2e.p99<2s', 'failed.rate<1%'] }).slo!.map((threshold) => threshold.expression)).toEqual(['e2e.p99<2s', 'failed.rate<1%']);
  });

  it.each([
    [{ slo: ['throughput>5'] }, {}, /^--slo: bad SLO "throughput>5": an SLO bounds from above/],
    [{ slo: ['e2e.p99>2s'] }, {}, /^--slo: bad SLO "e2e.p99>2s"/],
    [{ slo: ['p99<2s'] }, {}, /^--slo: bad threshold "p99<2s": unknown metric/],
    [{}, { SCHEDULER_SLO: 'missed<1' }, /^SCHEDULER_SLO: bad SLO "missed<1"/],
    [{ slo: [','] }, {}, /^--slo: the SLO is empty/],
    [{ expect: 'abc' }, {}, /^--expect: bad capacity expectation "abc"/],
    [{}, { SCHEDULER_EXPECT: '>=0' }, /^SCHEDULER_EXPECT: bad capacity expectation ">=0"/],
    [{ startRate: '0' }, {}, /^invalid value "0" for --start-rate: expected a rate > 0/],
    [{ maxRate: String(MAX_RATE * 2) }, {}, /^invalid value "\d+" for --max-rate: expected a rate of at most/],
    [{ precision: '1' }, {}, /^invalid value "1" for --precision: expected a fraction between 0 and 1/],
    [{ precision: '0%' }, {}, /^invalid value "0%" for --precision/],
    [{ stepDuration: '0' }, {}, /^invalid value "0" for --step-duration/],
    [{}, { SCHEDULER_STEP_WARMUP: 'soon' }, /^invalid value "soon" for SCHEDULER_STEP_WARMUP/],
  ] as const)('refuses %j %j in one line', (flags, env, message) => {
    expect(refusal(() => resolved(flags as ConfigSources['flags'], env))).toMatch(message);
  });
});

describe('capacitySpecOf: what the search runs, every rule across options checked before anything starts', () => {
  it('needs an SLO', () => {
    expect(refusal(() => spec())).toMatch(/^capacity needs an SLO: --slo \(or SCHEDULER_SLO\)/);
  });

  it('turns the options into the search, its load and its session', () => {
    const made = spec({ ...SLO, startRate: '4', stepDuration: '3s', stepWarmup: '1s', precision: '0.1', maxRate: '50', maxDuration: '1m', runId: 'r1', worker: true, activitySlots: '2' });
    expect(made.search).toEqual({
      slo: parseSlo('e2e.p99<2s'), startRate: 4, precision: 0.1, stepDurationMs: 3000, warmupMs: 1000, maxRate: 50, maxDurationMs: 60_000,
    });
    expect(made).toMatchObject({
      runId: 'r1', idPrefix: 'sched-bench', maxInFlight: 1000, drainStallSeconds: 60, retryTimeout: 60, historySample: 0.01, eagerStart: true,
      workload: { kind: 'echo', message: 'Test scheduler', count: 1 }, worker: { activitySlots: 2 }, taskQueue: 'benchmark',
    });
    // the search's defaults stay the search's: growth, max rate and budget are left to it when not given
    expect(spec(SLO).search).toEqual({ slo: parseSlo('e2e.p99<2s'), startRate: 10, precision: DEFAULT_PRECISION, stepDurationMs: DEFAULT_STEP_DURATION_MS, warmupMs: 0 });
    expect(spec({ ...SLO, concurrency: '50' }).maxInFlight).toBe(50);
    expect(spec(SLO)).not.toHaveProperty('runId');
  });

  it.each([
    [{ startRate: '50', maxRate: '10' }, /^--start-rate 50 is above --max-rate 10/],
    [{ maxDuration: '20s', stepDuration: '15s', stepWarmup: '10s' }, /^--max-duration 20s leaves no room for one step \(--step-duration 15s \+ --step-warmup 10s\)/],
    [{ startRate: '0.1', stepDuration: '5s' }, /no arrival to measure/],
    [{ slo: ['update.accepted.p99<1s'] }, /^bad threshold "update.accepted.p99<1s": capacity does not measure update.accepted/],
    [{ slo: ['delay_lag.p99<1s'] }, /capacity does not measure delay_lag \(capacity takes no --start-delay\)/],
    [{ signals: '2' }, /^--signals applies to --workload signal/],
    [{ eagerStart: true }, /needs --connection native|hands workflow tasks to the embedded worker/],
  ] as const)('refuses %j in one line', (flags, message) => {
    expect(refusal(() => spec({ ...SLO, ...(flags as ConfigSources['flags']) }))).toMatch(message);
  });

  it('names each value of a refused combination as it was given: the flag, the variable or the .env line', () => {
    expect(refusal(() => spec(SLO, { SCHEDULER_MAX_DURATION: '1', SCHEDULER_STEP_DURATION: '2' })))
      .toBe('SCHEDULER_MAX_DURATION 1s leaves no room for one step (SCHEDULER_STEP_DURATION 2s + --step-warmup 0s)');
    expect(refusal(() => spec({ ...SLO, maxDuration: '1s' }, { SCHEDULER_STEP_DURATION: '2' })))
      .toBe('--max-duration 1s leaves no room for one step (SCHEDULER_STEP_DURATION 2s + --step-warmup 0s)');
    // A flag wins over the variable, and is named.
    expect(refusal(() => spec({ ...SLO, maxRate: '5' }, { SCHEDULER_START_RATE: '50', SCHEDULER_MAX_RATE: '100' })))
      .toMatch(/^SCHEDULER_START_RATE 50 is above --max-rate 5: /);
    expect(refusal(() => spec(SLO, { SCHEDULER_START_RATE: '0.1', SCHEDULER_STEP_DURATION: '5s' })))
      .toMatch(/^a step of SCHEDULER_STEP_DURATION 5s at SCHEDULER_START_RATE 0.1 has no arrival to measure/);
    const fromDotenv = resolveConfig('capacity', { flags: { ...SLO }, env: {}, dotenv: { SCHEDULER_MAX_DURATION: '1', SCHEDULER_STEP_DURATION: '2' } });
    expect(refusal(() => capacitySpecOf(fromDotenv, {})))
      .toBe('SCHEDULER_MAX_DURATION (in .env) 1s leaves no room for one step (SCHEDULER_STEP_DURATION (in .env) 2s + --step-warmup 0s)');
  });

  it('--agents: refuses what this process would do itself, a re-run of a lost slice, and a cap too small to split', () => {
    const agents = { ...SLO, agents: '2' };
    expect(refusal(() => spec({ ...agents, devServer: true })))
      .toMatch(/^--dev-server with --agents: the agents cannot reach a private dev server/);
    expect(refusal(() => spec({ ...agents, worker: true }))).toBe('--worker with --agents: run `sched-bench worker` beside the agents');
    expect(refusal(() => spec({ ...agents, metricsPort: '9464' }))).toBe('--metrics-port with --agents: not with --agents yet');
    expect(refusal(() => spec({ ...agents, onAgentLoss: 'rerun' })))
      .toBe('--on-agent-loss rerun with capacity: a lost agent stops the search (a re-run slice would measure another window); give fail');
    expect(refusal(() => spec({ ...agents, concurrency: '1' }))).toBe('--concurrency 1 cannot be split among 2 agents: each needs at least one slot');
    // named as given: the variable
    expect(refusal(() => spec(agents, { SCHEDULER_CONCURRENCY: '1' }))).toBe('SCHEDULER_CONCURRENCY 1 cannot be split among 2 agents: each needs at least one slot');
    // and what is left is a search over the agents
    expect(spec({ ...agents, concurrency: '2' }).agents).toMatchObject({ agents: 2 });
  });

  it('SCHEDULER_EAGER_START=true needs the embedded worker', () => {
    expect(refusal(() => spec(SLO, { SCHEDULER_EAGER_START: 'true' }))).toMatch(/add --worker/);
  });

  it("takes an SLO on what the workload measures: an update workload's update latency, the workers' schedule-to-start", () => {
    expect(spec({ slo: ['update.accepted.p99<1s'], workload: 'update' }).workload).toEqual({ kind: 'update', updates: 3, withStart: false });
    expect(spec({ slo: ['workflow_task.schedule_to_start.p99<100ms'] }).search.slo).toHaveLength(1);
    expect(refusal(() => spec({ slo: ['workflow_task.schedule_to_start.p99<100ms'], historySample: '0' }))).toMatch(/does not measure workflow_task.schedule_to_start/);
  });

  it('capacitySpecFrom: the library\'s way in, with the CLI\'s defaults and rules', () => {
    const made = capacitySpecFrom({ slo: parseSlo('e2e.p99<2s'), startRate: 3, maxRate: 12 }, {});
    expect(made.search).toMatchObject({ startRate: 3, maxRate: 12, stepDurationMs: DEFAULT_STEP_DURATION_MS, precision: DEFAULT_PRECISION });
    expect(made.maxInFlight).toBe(1000);
    expect(() => capacitySpecFrom({}, {})).toThrow(/needs an SLO/);
    expect(() => capacitySpecFrom({ slo: parseSlo('e2e.p99<2s'), startRate: 30, maxRate: 12 }, {})).toThrow(/--start-rate 30 is above --max-rate 12/);
  });
});

describe('capacity in the docs and the JSON config', () => {
  it('README and .env.example list every capacity option with its variable', () => {
    const envExample = readFileSync(new URL('../../.env.example', import.meta.url), 'utf8');
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    expect(envExample).toContain('# --- `capacity` (README "Finding capacity")');
    expect(readmeSection('options')).toContain('| `--slo <thresholds>` | `SCHEDULER_SLO` |');
    expect(readme).toContain('## Finding capacity');
    for (const option of specsFor('capacity')) {
      expect(readme, option.flag).toContain(`\`${option.flag.split(' ')[0]}`);
      for (const name of option.env) expect(envExample, name).toMatch(new RegExp(`^# ${name}=`, 'm'));
    }
    expect(envExample).toMatch(/^# SCHEDULER_STEP_DURATION=30$/m);
  });

  it('a copy of .env.example, also with its default lines uncommented, leaves the capacity config as it is', () => {
    const text = envExampleText();
    const defaults = new Set((OPTION_SPECS as readonly OptionSpec[]).flatMap(envExampleLines).filter((line) => !line.isExample).map((line) => `# ${line.name}=${line.value}`));
    const uncommented = parseDotenv(text.split('\n').map((line) => (defaults.has(line) ? line.slice(2) : line)).join('\n'));
    expect(uncommented).toMatchObject({ SCHEDULER_STEP_DURATION: '30', SCHEDULER_PRECISION: '0.05', SCHEDULER_START_RATE: '10' });
    expect(unknownVariableWarnings({ env: {}, dotenv: uncommented })).toEqual([]);
    const none = resolveConfig('capacity', sources());
    expect(resolveConfig('capacity', sources({}, {}, parseDotenv(text)))).toEqual(none);
    expect(resolveConfig('capacity', sources({}, {}, uncommented))).toEqual(none);
  });

  it('the JSON config shows the SLO and --expect as the text given, and no thresholds', () => {
    const shown = redactedConfig('capacity', resolved({ slo: ['e2e.p99<2s,failed.rate<0.1%'], expect: '>=100' }));
    expect(shown).toMatchObject({ slo: ['e2e.p99<2s', 'failed.rate<0.1%'], expect: '>=100', startRate: 10, stepDuration: 30 });
    expect(shown).not.toHaveProperty('thresholds');
    expect(shown).not.toHaveProperty('totalWorkflows');
    expect(redactedConfig('run', resolveConfig('run', sources({ thresholds: ['e2e.p99<2s'] })))).toMatchObject({ thresholds: ['e2e.p99<2s'] });
  });
});
