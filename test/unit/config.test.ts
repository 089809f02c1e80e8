import { describe, expect, it } from 'vitest';
import { defaultCommand, editDistance, resolveConfig, unknownVariableWarnings } from '../../src/cli/config.js';
import { MAX_DURATION_SECONDS, parseAddress, parseBoolean, parseDuration, parseInteger, parseRate, parseStages, specsFor } from '../../src/cli/options.js';
import { UsageError } from '../../src/errors.js';
import { connectionKindOf, connectionSettings } from '../../src/cli/connection.js';
import { loadSpecOf } from '../../src/cli/run-specs.js';

const none = { flags: {}, env: {}, dotenv: {} };

describe('resolveConfig precedence: flag > environment > .env > default', () => {
  it('uses the documented defaults', () => {
    expect(resolveConfig('run', none)).toEqual({
      address: 'localhost:7233', namespace: 'default', profile: undefined, apiKey: undefined, tls: undefined,
      tlsCert: undefined, tlsKey: undefined, tlsCa: undefined, tlsServerName: undefined, grpcMeta: {}, connection: undefined, grpcCompression: 'none', connectTimeout: 10, retryTimeout: 60,
      taskQueue: 'benchmark', concurrency: undefined,
      rate: undefined, stages: undefined, duration: undefined, warmup: 0,
      reportInterval: 10, message: undefined, count: undefined, totalWorkflows: 100, maxRuntime: 0,
      wait: true, worker: false, devServer: false, eagerStart: undefined, json: undefined, ndjson: undefined, thresholds: [], verify: false,
      workflowType: undefined, input: undefined, inputFile: undefined, payloadSize: undefined, activityDelay: 0,
      localActivities: false, idPrefix: 'sched-bench', workers: 1, workflowSlots: undefined, activitySlots: undefined,
      pollers: undefined, stickyCacheSize: undefined, progress: true, quiet: false, html: undefined, metricsPort: undefined,
      runId: undefined, drainTimeout: undefined, maxOutage: 300, onStop: 'leave',
      workload: 'echo', signals: undefined, updates: undefined, queries: undefined, children: undefined, timerDuration: undefined,
      iterations: undefined, mix: undefined, seed: undefined, historySample: 0.01,
      agents: undefined, agentWait: 60, onAgentLoss: 'fail', controlTaskQueue: 'sched-bench-control', controlNamespace: undefined, controlAddress: undefined,
    });
  });

  it('takes .env over defaults, environment over .env, flags over environment', () => {
    const dotenv = { SCHEDULER_CONCURRENCY: '3', SCHEDULER_TASK_QUEUE: 'from-dotenv', SCHEDULER_COUNT: '7' };
    const env = { SCHEDULER_CONCURRENCY: '5', SCHEDULER_TASK_QUEUE: 'from-env' };
    const flags = { concurrency: '9' };
    const config = resolveConfig('run', { flags, env, dotenv });
    expect(config.concurrency).toBe(9);
    expect(config.taskQueue).toBe('from-env');
    expect(config.count).toBe(7);
    expect(config.totalWorkflows).toBe(100);
  });

  it('reads SCHEDULER_NAMESPACE before TEMPORAL_NAMESPACE, and either before .env', () => {
    expect(resolveConfig('run', { ...none, env: { TEMPORAL_NAMESPACE: 't', SCHEDULER_NAMESPACE: 's' } }).namespace).toBe('s');
    expect(resolveConfig('run', { ...none, env: { TEMPORAL_NAMESPACE: 't' } }).namespace).toBe('t');
    expect(resolveConfig('run', { ...none, env: { TEMPORAL_NAMESPACE: 't' }, dotenv: { SCHEDULER_NAMESPACE: 'd' } }).namespace).toBe('t');
  });

  it('treats an empty variable as unset', () => {
    expect(resolveConfig('run', { ...none, env: { SCHEDULER_CONCURRENCY: '' }, dotenv: { SCHEDULER_CONCURRENCY: '4' } }).concurrency).toBe(4);
  });

  it('maps --no-wait and SCHEDULER_WAIT to wait, switches to booleans', () => {
    expect(resolveConfig('run', { ...none, flags: { wait: false } }).wait).toBe(false);
    expect(resolveConfig('run', { ...none, env: { SCHEDULER_WAIT: 'false' } }).wait).toBe(false);
    expect(resolveConfig('run', { ...none, flags: { worker: true }, env: { SCHEDULER_WORKER: 'no' } }).worker).toBe(true);
    expect(resolveConfig('infinite', { ...none, env: { SCHEDULER_DEV_SERVER: 'YES' } }).devServer).toBe(true);
  });

  it('names the option, the value and where it came from when a value is bad', () => {
    expect(() => resolveConfig('run', { ...none, flags: { concurrency: 'abc' } })).toThrow(
      new UsageError('invalid value "abc" for --concurrency: expected an integer ≥ 1 in plain digits'),
    );
    expect(() => resolveConfig('run', { ...none, env: { SCHEDULER_COUNT: '0' } })).toThrow(
      new UsageError('invalid value "0" for SCHEDULER_COUNT: expected an integer ≥ 1 in plain digits'),
    );
    expect(() => resolveConfig('infinite', { ...none, dotenv: { SCHEDULER_MAX_RUNTIME: 'x' } })).toThrow(
      new UsageError('invalid value "x" for SCHEDULER_MAX_RUNTIME (in .env): expected a duration ≥ 0 such as 30s, 1m, 1h or 90 (seconds)'),
    );
  });

  it('collects repeated --threshold flags and ;-separated SCHEDULER_THRESHOLDS', () => {
    const fromFlags = resolveConfig('run', { ...none, flags: { thresholds: ['e2e.p99<2s', 'throughput>50'] } });
    expect(fromFlags.thresholds.map((threshold) => threshold.expression)).toEqual(['e2e.p99<2s', 'throughput>50']);
    const fromEnv = resolveConfig('run', { ...none, env: { SCHEDULER_THRESHOLDS: 'failed.rate<0.01; start.p95<=300ms;' } });
    expect(fromEnv.thresholds.map((threshold) => [threshold.metric, threshold.operator, threshold.limit])).toEqual([
      ['failed.rate', '<', 0.01], ['start.p95', '<=', 300],
    ]);
    expect(() => resolveConfig('run', { ...none, flags: { thresholds: ['e2e.p42<1s'] } })).toThrow(
      /^--threshold: bad threshold "e2e.p42<1s": unknown metric "e2e.p42"/,
    );
  });

  it('reads durations with units for --duration, --warmup and --max-runtime', () => {
    const config = resolveConfig('infinite', { ...none, flags: { duration: '2m', warmup: '10s', maxRuntime: '1h' } });
    expect([config.duration, config.warmup, config.maxRuntime]).toEqual([120, 10, 3600]);
  });

  it('ignores variables of options the command does not have', () => {
    expect(() => resolveConfig('worker', { ...none, env: { SCHEDULER_CONCURRENCY: 'abc' } })).not.toThrow();
  });
});

describe('connection options', () => {
  it('layers the profile under .env, the environment and flags', () => {
    const profile = { address: 'profile:7233', namespace: 'from-profile', apiKey: 'profile-key', tls: true };
    expect(resolveConfig('run', { ...none, profile })).toMatchObject(profile);
    expect(resolveConfig('run', { ...none, profile, dotenv: { TEMPORAL_ADDRESS: 'dotenv:7233' } }).address).toBe('dotenv:7233');
    expect(resolveConfig('run', { ...none, profile, env: { TEMPORAL_ADDRESS: 'env:7233' }, dotenv: { TEMPORAL_ADDRESS: 'dotenv:7233' } }).address).toBe('env:7233');
    expect(resolveConfig('run', { ...none, profile, env: { TEMPORAL_ADDRESS: 'env:7233' }, flags: { address: 'flag:7233' } }).address).toBe('flag:7233');
    expect(resolveConfig('run', { ...none, profile, env: { TEMPORAL_TLS: 'false' } }).tls).toBe(false);
  });

  it('takes PEM paths from flags and variables, and PEM text from the *_DATA variables', () => {
    expect(resolveConfig('run', { ...none, flags: { tlsCert: '/a.crt' } }).tlsCert).toEqual({ path: '/a.crt' });
    expect(resolveConfig('run', { ...none, env: { TEMPORAL_TLS_CLIENT_KEY_PATH: '/k.pem' } }).tlsKey).toEqual({ path: '/k.pem' });
    expect(resolveConfig('run', { ...none, env: { TEMPORAL_TLS_CLIENT_KEY_DATA: '-----BEGIN' } }).tlsKey).toEqual({ data: '-----BEGIN' });
    expect(resolveConfig('run', { ...none, env: { TEMPORAL_TLS_SERVER_CA_CERT_DATA: 'x', TEMPORAL_TLS_SERVER_CA_CERT_PATH: '/ca' } }).tlsCa).toEqual({ path: '/ca' });
  });

  it('merges gRPC metadata per key: profile < .env < environment < flags', () => {
    const config = resolveConfig('run', {
      flags: { grpcMeta: ['x-a=flag', 'x-d=4'] },
      env: { TEMPORAL_GRPC_META_X_A: 'env', TEMPORAL_GRPC_META_X_B: 'env' },
      dotenv: { TEMPORAL_GRPC_META_X_C: 'dotenv', TEMPORAL_GRPC_META_X_B: 'dotenv' },
      profile: { grpcMeta: { 'x-e': 'profile', 'x-c': 'profile' } },
    });
    expect(config.grpcMeta).toEqual({ 'x-a': 'flag', 'x-b': 'env', 'x-c': 'dotenv', 'x-d': '4', 'x-e': 'profile' });
  });

  it('never echoes a secret value in an error', () => {
    expect(() => resolveConfig('run', { ...none, flags: { grpcMeta: ['=top-secret'] } })).toThrow(/^invalid value for --grpc-meta: expected key=value/);
    expect(() => resolveConfig('run', { ...none, flags: { grpcMeta: ['=top-secret'] } })).not.toThrow(/top-secret/);
  });

  it('checks --connection', () => {
    expect(resolveConfig('run', { ...none, flags: { connection: 'GRPC' } }).connection).toBe('grpc');
    expect(resolveConfig('run', { ...none, flags: { connection: 'http2' } }).connection).toBe('http2');
    expect(() => resolveConfig('run', { ...none, flags: { connection: 'http' } })).toThrow(/"http" for --connection: expected http2, native or grpc/);
  });

  it("defaults to sched-bench's own HTTP/2 client, and to the native connection beside an embedded worker", () => {
    expect(connectionKindOf(resolveConfig('run', none))).toBe('http2');
    expect(connectionSettings(resolveConfig('run', none)).kind).toBe('http2');
    expect(connectionKindOf(resolveConfig('run', { ...none, flags: { worker: true } }))).toBe('native');
    expect(connectionKindOf(resolveConfig('run', { ...none, flags: { devServer: true } }))).toBe('native');
    expect(connectionKindOf(resolveConfig('run', { ...none, flags: { devServer: true, connection: 'grpc' } }))).toBe('grpc');
    expect(connectionKindOf(resolveConfig('run', { ...none, flags: { metricsPort: '9464' } }))).toBe('native'); // the SDK's request metrics
    expect(connectionKindOf(resolveConfig('run', { ...none, flags: { metricsPort: '9464', connection: 'http2' } }))).toBe('http2');
    expect(loadSpecOf('batch', resolveConfig('run', { ...none, flags: { devServer: true } }), {}).connection.kind).toBe('native');
  });
});

describe('defaultCommand', () => {
  it('picks infinite only when SCHEDULER_INFINITE_MODE is true', () => {
    expect(defaultCommand({ env: {}, dotenv: {} })).toBe('run');
    expect(defaultCommand({ env: { SCHEDULER_INFINITE_MODE: 'true' }, dotenv: {} })).toBe('infinite');
    expect(defaultCommand({ env: {}, dotenv: { SCHEDULER_INFINITE_MODE: '1' } })).toBe('infinite');
    expect(defaultCommand({ env: { SCHEDULER_INFINITE_MODE: 'false' }, dotenv: { SCHEDULER_INFINITE_MODE: 'true' } })).toBe('run');
    expect(() => defaultCommand({ env: { SCHEDULER_INFINITE_MODE: 'perhaps' }, dotenv: {} })).toThrow(UsageError);
  });
});

describe('value parsers', () => {
  it.each([
    ['1', 1], ['42', 42], [' 7 ', 7], ['+3', 3],
  ])('parseInteger(1) accepts %j', (raw, value) => expect(parseInteger(1)(raw)).toBe(value));

  it.each(['0', '-1', '1.5', 'abc', '', '1e3', '99999999999999999999'])('parseInteger(1) rejects %j', (raw) => {
    expect(() => parseInteger(1)(raw)).toThrow(/expected an integer ≥ 1/);
  });

  it.each([
    ['0.5', 0.5], ['90', 90], ['30s', 30], ['500ms', 0.5], ['2m', 120], ['1h30m', 5400], ['1m30s', 90], ['1.5s', 1.5],
  ])('parseDuration reads %j as %d s', (raw, seconds) => expect(parseDuration({ allowZero: false })(raw)).toBe(seconds));

  it.each(['0', '-1', 'Infinity', 'ten', '5x', 's', '1 m', ''])('parseDuration (> 0) rejects %j', (raw) => {
    expect(() => parseDuration({ allowZero: false })(raw)).toThrow(/expected a duration > 0/);
  });

  it('parseDuration allows 0 where asked', () => {
    expect(parseDuration({ allowZero: true })('0')).toBe(0);
    expect(parseDuration({ allowZero: true })('0s')).toBe(0);
  });

  it('parseStages', () => {
    expect(parseStages('30s:50,1m:200,30s:0')).toEqual([
      { durationMs: 30_000, target: 50 }, { durationMs: 60_000, target: 200 }, { durationMs: 30_000, target: 0 },
    ]);
    expect(parseStages(' 10 : 2.5 ')).toEqual([{ durationMs: 10_000, target: 2.5 }]);
    for (const bad of ['30s', '30s:', ':5', '0s:5', '30s:-1', '30s:x', '1x:5', '30s:5:1', '30s:50,,1m:2']) {
      expect(() => parseStages(bad), bad).toThrow(/expected stages like 30s:50/);
    }
    expect(() => parseStages('30s:50,1x:200')).toThrow(/"1x:200" is not one/);
  });

  it('parseBoolean', () => {
    for (const raw of ['true', 'TRUE', '1', 'yes', 'on']) expect(parseBoolean(raw)).toBe(true);
    for (const raw of ['false', '0', 'No', 'off']) expect(parseBoolean(raw)).toBe(false);
    expect(() => parseBoolean('maybe')).toThrow(/true or false/);
  });

  it.each(['localhost:7233', '127.0.0.1:1', 'temporal.example.com:443', '[::1]:7233', 'my-host:65535'])(
    'parseAddress accepts %s',
    (raw) => expect(parseAddress(raw)).toBe(raw),
  );

  it.each(['localhost', ':7233', 'host:0', 'host:70000', 'http://host:7233', 'host:port', ''])('parseAddress rejects %j', (raw) => {
    expect(() => parseAddress(raw)).toThrow(/host:port/);
  });
});

describe('durations past Node.js timer limit, and other values no timer can keep', () => {
  const TIMED_HERE = ['--duration', '--warmup', '--max-runtime', '--report-interval', '--connect-timeout', '--retry-timeout', '--drain-timeout', '--max-outage'] as const;
  const flagsOf = (command: 'run' | 'infinite' | 'schedules') => specsFor(command).map((spec) => [spec.flag.split(' ')[0]!, spec] as const);

  it('stops at 596h, just below 2^31 − 1 ms', () => {
    expect(MAX_DURATION_SECONDS * 1000).toBeLessThanOrEqual(2 ** 31 - 1);
    expect(parseDuration({ allowZero: false })('596h')).toBe(MAX_DURATION_SECONDS);
    expect(() => parseDuration({ allowZero: false })('597h')).toThrow(/at most 596h \(about 24.8 days, the longest timer Node.js can set\)/);
    expect(() => parseDuration({ allowZero: true })('2147484')).toThrow(/at most 596h/);
  });

  it.each(TIMED_HERE)('%s: a value past the limit is a usage error naming the option and the maximum', (flag) => {
    const command = flag === '--max-runtime' ? 'infinite' : 'run';
    const [, spec] = flagsOf(command).find(([name]) => name === flag)!;
    expect(() => resolveConfig(command, { ...none, flags: { [spec.key]: '1000h' } })).toThrow(
      new RegExp(`invalid value "1000h" for ${flag}: expected a duration of at most 596h`),
    );
    expect(() => resolveConfig(command, { ...none, flags: { [spec.key]: '500h' } })).not.toThrow();
  });

  it('--every is bounded too; start delay, jitter and catch-up window are timed by the server and are not', () => {
    expect(() => resolveConfig('schedules', { ...none, flags: { every: '1000h' } })).toThrow(/--every: expected a duration of at most 596h/);
    const config = resolveConfig('schedules', { ...none, flags: { jitter: '1000h', catchupWindow: '8760h' } });
    expect(config).toMatchObject({ jitter: 3_600_000, catchupWindow: 31_536_000 });
    expect(resolveConfig('run', { ...none, flags: { startDelay: '1000h' } }).startDelay).toBe(3_600_000);
  });

  it('--stages lasting longer than 596h in all are refused, though each stage is shorter', () => {
    expect(() => parseStages('300h:5,300h:10')).toThrow(/stages lasting in all at most 596h/);
    expect(parseStages('298h:5,298h:10')).toHaveLength(2);
  });

  it('--activity-delay (ms, slept by a Node timer in the worker) is bounded the same way', () => {
    expect(resolveConfig('run', { ...none, flags: { activityDelay: String(MAX_DURATION_SECONDS * 1000) } }).activityDelay).toBe(2_145_600_000);
    expect(() => resolveConfig('run', { ...none, flags: { activityDelay: '3000000000' } })).toThrow(/"3000000000" for --activity-delay: expected at most 2145600000 ms \(596h/);
  });

  it('--report-interval below 100ms is refused', () => {
    expect(() => resolveConfig('run', { ...none, flags: { reportInterval: '50ms' } })).toThrow(/"50ms" for --report-interval: expected a duration of at least 100ms/);
    expect(resolveConfig('run', { ...none, flags: { reportInterval: '100ms' } }).reportInterval).toBe(0.1);
  });

  it('--concurrency above 100000 is refused, in the flag and the variable', () => {
    expect(resolveConfig('run', { ...none, flags: { concurrency: '100000' } }).concurrency).toBe(100_000);
    expect(() => resolveConfig('run', { ...none, flags: { concurrency: '1000000000' } })).toThrow(/"1000000000" for --concurrency: expected at most 100000 in one process/);
    expect(() => resolveConfig('infinite', { ...none, env: { SCHEDULER_CONCURRENCY: '200000' } })).toThrow(/SCHEDULER_CONCURRENCY: expected at most 100000/);
    expect(() => resolveConfig('run', { ...none, flags: { concurrency: '0' } })).toThrow(/expected an integer ≥ 1/);
  });

  it('--rate above 1e6/s is refused', () => {
    expect(parseRate('1000000')).toBe(1_000_000);
    expect(() => parseRate('1e12')).toThrow(/a rate of at most 1000000 per second/);
    expect(() => resolveConfig('run', { ...none, env: { SCHEDULER_RATE: '2e6' } })).toThrow(/"2e6" for SCHEDULER_RATE: expected a rate of at most 1000000/);
  });

  it('--max-outage: 5m by default, 0 turns it off, SCHEDULER_MAX_OUTAGE sets it', () => {
    expect(resolveConfig('infinite', none).maxOutage).toBe(300);
    expect(resolveConfig('infinite', { ...none, env: { SCHEDULER_MAX_OUTAGE: '3s' } }).maxOutage).toBe(3);
    expect(resolveConfig('run', { ...none, flags: { maxOutage: '0' } }).maxOutage).toBe(0);
  });
});

describe('the options table', () => {
  it('documents every option and variable in .env.example and the README', async () => {
    const { readFileSync } = await import('node:fs');
    const envExample = readFileSync(new URL('../../.env.example', import.meta.url), 'utf8');
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const specs = [...specsFor('run'), ...specsFor('infinite'), ...specsFor('worker'), ...specsFor('schedules'), ...specsFor('capacity')];
    for (const spec of specs) {
      expect(readme, spec.flag).toContain(`\`${spec.flag.split(' ')[0]}`);
      for (const name of spec.env) {
        expect(envExample, name).toContain(name);
        expect(readme, name).toContain(name);
      }
    }
  });

  it('documents in .env.example every SCHED_BENCH_* variable the bin or the source reads', async () => {
    const { readFileSync, readdirSync } = await import('node:fs');
    const envExample = readFileSync(new URL('../../.env.example', import.meta.url), 'utf8');
    const sources = [new URL('../../bin/sched-bench', import.meta.url)];
    for (const entry of readdirSync(new URL('../../src', import.meta.url), { recursive: true, encoding: 'utf8' })) {
      if (entry.endsWith('.ts')) sources.push(new URL(`../../src/${entry}`, import.meta.url));
    }
    const names = new Set(sources.flatMap((file) => readFileSync(file, 'utf8').match(/SCHED_BENCH_[A-Z_]+/g) ?? []));
    expect(names.size).toBeGreaterThan(0);
    for (const name of names) expect(envExample, name).toContain(name);
  });
});

describe('thresholds are checked against what the command measures, before the run', () => {
  const resolveWith = (command: 'run' | 'infinite' | 'schedules', thresholds: string[], flags: Record<string, string | boolean> = {}) =>
    () => resolveConfig(command, { ...none, flags: { thresholds, ...flags } });

  it.each([
    ['run', ['missed==0'], {}, /^--threshold: bad threshold "missed==0": run does not measure missed; it measures start\.<.*>, e2e\.<.*>, failed\.rate, failed\.count, throughput$/],
    ['run', ['fire_lag.p99<1s'], {}, /^--threshold: bad threshold "fire_lag\.p99<1s": run does not measure fire_lag; it measures/],
    ['run', ['e2e.p99<2s'], { wait: false }, /run does not measure e2e \(it needs the results: not with --no-wait\); it measures start\.<.*>, failed\.rate/],
    ['infinite', ['start_lateness.p99<1s'], {}, /infinite does not measure start_lateness \(open loop only: --rate\)/],
    ['run', ['delay_lag.p99<1s'], {}, /run does not measure delay_lag \(it needs --start-delay and the results/],
    ['run', ['delay_lag.p99<1s'], { startDelay: '1s', wait: false }, /run does not measure delay_lag/],
    ['schedules', ['e2e.p99<1s'], {}, /schedules does not measure e2e; it measures fire_lag\.<.*>, pickup_lag\.<.*>, failed\.rate, failed\.count, throughput, missed, skipped, unaccounted$/],
  ] as const)('%s %j %j is refused', (command, thresholds, flags, message) => {
    expect(resolveWith(command, [...thresholds], flags)).toThrow(UsageError);
    expect(resolveWith(command, [...thresholds], flags)).toThrow(message);
  });

  it.each([
    ['run', ['e2e.p99<2s', 'start.p50<1s', 'failed.rate<1%', 'failed.count==0', 'throughput>1'], {}],
    ['run', ['start.p99<1s'], { wait: false }],
    ['infinite', ['start_lateness.p99<1s', 'e2e.max<1m'], { rate: '5' }],
    ['run', ['delay_lag.p99<1s'], { startDelay: '1s' }],
    ['schedules', ['fire_lag.p99<2s', 'pickup_lag.max<5s', 'missed==0', 'skipped==0', 'unaccounted==0', 'failed.count==0'], {}],
  ] as const)('%s %j %j is accepted', (command, thresholds, flags) => {
    expect(resolveWith(command, [...thresholds], flags)().thresholds).toHaveLength(thresholds.length);
  });

  it('names the variable a refused threshold came from', () => {
    expect(() => resolveConfig('run', { ...none, dotenv: { SCHEDULER_THRESHOLDS: 'missed==0' } })).toThrow(
      /^SCHEDULER_THRESHOLDS \(in \.env\): bad threshold "missed==0": run does not measure missed/,
    );
    expect(() => resolveConfig('run', { ...none, env: { SCHEDULER_THRESHOLDS: 'missed==0' } })).toThrow(/^SCHEDULER_THRESHOLDS: bad threshold/);
    expect(() => resolveConfig('run', { ...none, env: { SCHEDULER_THRESHOLDS: 'failed.rate<200%' } })).toThrow(
      /^SCHEDULER_THRESHOLDS: bad threshold "failed\.rate<200%": it can never fail \(failed\.rate is between 0 and 1/,
    );
  });
});

describe('unknown SCHEDULER_* variables are warned about', () => {
  it('names the variable, where it is, and the closest known one', () => {
    expect(unknownVariableWarnings({ env: {}, dotenv: { SCHEDULER_CONCURENCY: '5' } })).toEqual([
      'unknown variable SCHEDULER_CONCURENCY (in .env); did you mean SCHEDULER_CONCURRENCY?',
    ]);
    expect(unknownVariableWarnings({ env: { SCHEDULER_TOTAL: '5' }, dotenv: {} })).toEqual([
      'unknown variable SCHEDULER_TOTAL; did you mean SCHEDULER_TOTAL_WORKFLOWS?',
    ]);
  });

  it('suggests nothing when no known name is close', () => {
    expect(unknownVariableWarnings({ env: { SCHEDULER_SOMETHING_ELSE_ENTIRELY: '1' }, dotenv: {} })).toEqual([
      'unknown variable SCHEDULER_SOMETHING_ELSE_ENTIRELY',
    ]);
  });

  it('warns once per name, from the environment first, and not about known or foreign variables', () => {
    const env = { SCHEDULER_RAET: '5', SCHEDULER_RATE: '5', SCHEDULER_INFINITE_MODE: 'true', TEMPORAL_ADDRES: 'x', PATH: '/bin' };
    const dotenv = { SCHEDULER_RAET: '6', SCHEDULER_CONCURRENCY: '2', SCHEDULER_THRESHOLDS: '' };
    expect(unknownVariableWarnings({ env, dotenv })).toEqual(['unknown variable SCHEDULER_RAET; did you mean SCHEDULER_RATE?']);
  });

  it('knows every SCHEDULER_* variable of the options table', () => {
    const names = specsFor('run').concat(specsFor('schedules'), specsFor('worker'), specsFor('cleanup'))
      .flatMap((spec) => spec.env).filter((name) => name.startsWith('SCHEDULER_'));
    expect(names.length).toBeGreaterThan(30);
    expect(unknownVariableWarnings({ env: Object.fromEntries(names.map((name) => [name, '1'])), dotenv: {} })).toEqual([]);
  });

  it('editDistance counts single-character edits', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('same', 'same')).toBe(0);
    expect(editDistance('SCHEDULER_CONCURENCY', 'SCHEDULER_CONCURRENCY')).toBe(1);
  });
});

describe('the Temporal config profile: an empty variable counts as unset', () => {
  it('an empty TEMPORAL_PROFILE (environment or .env) keeps the default profile; an empty one in the environment lets .env name it', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { loadProfileDefaults } = await import('../../src/cli/connection.js');
    const file = join(mkdtempSync(join(tmpdir(), 'profile-')), 'temporal.toml');
    writeFileSync(file, '[profile.default]\naddress = "default.example:7233"\n[profile.other]\naddress = "other.example:7233"\n');
    const env = { TEMPORAL_CONFIG_FILE: file };
    expect(loadProfileDefaults(undefined, env, {}).address).toBe('default.example:7233');
    expect(loadProfileDefaults(undefined, { ...env, TEMPORAL_PROFILE: '' }, {}).address).toBe('default.example:7233');
    expect(loadProfileDefaults(undefined, env, { TEMPORAL_PROFILE: ' ' }).address).toBe('default.example:7233');
    expect(loadProfileDefaults(undefined, { ...env, TEMPORAL_PROFILE: '' }, { TEMPORAL_PROFILE: 'other' }).address).toBe('other.example:7233');
  });
});
