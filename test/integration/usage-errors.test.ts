import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { spawn } from 'node:child_process';
import { CliProcess, emptyDir, expectOneLine, runCli } from '../helpers/cli.js';
import { freePort } from '../../src/temporal/dev-server.js';

const address = inject('temporalAddress');

describe('bad usage exits with 2 and one line naming the option and the value', () => {
  const cases: Array<{ args: string[]; env?: Record<string, string>; names: RegExp }> = [
    { args: ['run', '--concurrency', 'abc'], names: /"abc" for --concurrency/ },
    { args: ['run', '--concurrency', '0'], names: /"0" for --concurrency: expected an integer ≥ 1/ },
    { args: ['run', '--total', '-1'], names: /"-1" for --total/ },
    { args: ['run', '--total', '1.5'], names: /"1.5" for --total/ },
    { args: ['run', '--count', '0'], names: /"0" for --count/ },
    { args: ['run', '--report-interval', '0'], names: /"0" for --report-interval/ },
    { args: ['infinite', '--max-runtime', '-3'], names: /"-3" for --max-runtime/ },
    { args: ['run', '--address', 'no-port'], names: /"no-port" for --address: expected host:port/ },
    { args: ['run', '--address', 'host:99999'], names: /"host:99999" for --address/ },
    { args: ['run', '--bogus'], names: /unknown option '--bogus'/ },
    { args: ['run', '--total'], names: /--total <n>' argument missing/ },
    { args: ['frobnicate'], names: /unknown command 'frobnicate'/ },
    { args: ['run', 'extra'], names: /too many arguments/ },
    { args: ['infinite', '--total', '5'], names: /unknown option '--total'/ },
    { args: ['run'], env: { SCHEDULER_CONCURRENCY: 'lots' }, names: /"lots" for SCHEDULER_CONCURRENCY/ },
    { args: ['run'], env: { SCHEDULER_WAIT: 'maybe' }, names: /"maybe" for SCHEDULER_WAIT: expected true or false/ },
    { args: ['run'], env: { SCHEDULER_TOTAL_WORKFLOWS: '-1' }, names: /"-1" for SCHEDULER_TOTAL_WORKFLOWS/ },
    { args: [], env: { SCHEDULER_INFINITE_MODE: 'sometimes' }, names: /"sometimes" for SCHEDULER_INFINITE_MODE/ },
    { args: ['worker', '--address', ':7233'], names: /":7233" for --address/ },
    { args: ['run', '--rate', '0'], names: /--rate 0 makes sense only as the start of --stages/ },
    { args: ['run'], env: { SCHEDULER_EAGER_START: 'true' }, names: /SCHEDULER_EAGER_START=true hands workflow tasks to the embedded worker: add --worker/ },
    { args: ['run', '--worker', '--connection', 'grpc'], env: { SCHEDULER_EAGER_START: 'true' }, names: /SCHEDULER_EAGER_START=true needs --connection native/ },
    { args: ['schedules'], names: /schedules need --duration or --fires/ },
    { args: ['schedules', '--fires', '2', '--every', '1.5s'], names: /--every must be whole seconds, at least 1s, got 1.5s/ },
    { args: ['schedules', '--fires', '2', '--every', '1s', '--cron', '* * * * *'], names: /give --every or --cron, not both/ },
    { args: ['schedules', '--fires', '2', '--cron', '* * *'], names: /cron "\* \* \*": expected 5 fields/ },
    { args: ['schedules', '--fires', '2', '--catchup-window', '5s'], names: /--catchup-window must be at least 10s/ },
    { args: ['schedules', '--overlap', 'sometimes'], names: /"sometimes" for --overlap: expected skip, buffer-one/ },
    { args: ['run', '--grpc-compression', 'brotli'], names: /"brotli" for --grpc-compression: expected gzip or none/ },
    { args: ['run', '--retry-timeout', 'soon'], names: /"soon" for --retry-timeout/ },
    { args: ['run', '--rate', '-5'], names: /"-5" for --rate: expected a number ≥ 0/ },
    { args: ['run', '--rate', 'fast'], names: /"fast" for --rate/ },
    { args: ['infinite', '--stages', '30s:50,1x:200'], names: /for --stages: expected stages like 30s:50.*"1x:200" is not one/ },
    { args: ['run', '--duration', '5 minutes'], names: /"5 minutes" for --duration: expected a duration > 0/ },
    { args: ['run', '--warmup', '-1s'], names: /"-1s" for --warmup/ },
    { args: ['run', '--threshold', 'e2e.p99<2x'], names: /--threshold: bad threshold "e2e.p99<2x": "2x" is not a number or a duration/ },
    { args: ['run', '--threshold', 'p99<2s'], names: /--threshold: bad threshold "p99<2s": unknown metric "p99"/ },
    { args: ['run'], env: { SCHEDULER_THRESHOLDS: 'e2e.p99<2s;throughput' }, names: /SCHEDULER_THRESHOLDS: bad threshold "throughput": expected <metric><op><value>/ },
    { args: ['run', '--json', '/nonexistent-dir/result.json'], names: /cannot write --json \/nonexistent-dir\/result\.json: its directory does not exist/ },
    { args: ['run', '--worker', 'yes'], names: /too many arguments/ },
    // Thresholds that mean nothing, refused before anything connects.
    { args: ['run', '--threshold', 'missed==0'], names: /--threshold: bad threshold "missed==0": run does not measure missed; it measures start\./ },
    { args: ['run', '--threshold', 'fire_lag.p99<1s'], names: /bad threshold "fire_lag\.p99<1s": run does not measure fire_lag/ },
    { args: ['run', '--no-wait', '--threshold', 'e2e.p99<1s'], names: /run does not measure e2e \(it needs the results: not with --no-wait\)/ },
    { args: ['schedules', '--fires', '2', '--threshold', 'e2e.p99<1s'], names: /schedules does not measure e2e; it measures fire_lag/ },
    { args: ['run', '--threshold', 'failed.rate<200%'], names: /bad threshold "failed\.rate<200%": it can never fail/ },
    { args: ['run', '--threshold', 'e2e.p99<-5ms'], names: /bad threshold "e2e\.p99<-5ms": it can never pass/ },
    { args: ['run'], env: { SCHEDULER_THRESHOLDS: 'failed.count<0' }, names: /SCHEDULER_THRESHOLDS: bad threshold "failed\.count<0": it can never pass/ },
    // One number grammar: no hex anywhere.
    { args: ['run', '--rate', '0x10'], names: /"0x10" for --rate: expected a number ≥ 0/ },
    { args: ['run', '--total', '0x10'], names: /"0x10" for --total: expected an integer ≥ 1/ },
    { args: ['run'], env: { SCHEDULER_CONCURRENCY: '0x10' }, names: /"0x10" for SCHEDULER_CONCURRENCY/ },
    { args: ['run', '--metrics-port', '1e3'], names: /"1e3" for --metrics-port/ },
    // One output on stdout at a time.
    { args: ['run', '--json', '-', '--ndjson', '-'], names: /only one output can go to stdout, but --json - and --ndjson - both ask for it/ },
    { args: ['infinite', '--html', '-', '--json', '-'], names: /only one output can go to stdout, but --json - and --html - both ask for it/ },
    { args: ['schedules', '--fires', '2', '--json', '-', '--ndjson', '-'], names: /only one output can go to stdout/ },
    { args: ['schedules', '--fires', '2', '--ndjson', '/nonexistent-dir/s.ndjson'], names: /cannot write --ndjson \/nonexistent-dir\/s\.ndjson: its directory does not exist/ },
  ];

  it.each(cases)('$args $env', async ({ args, env, names }) => {
    const result = await runCli(args, { env });
    expect(result.code).toBe(2);
    expectOneLine(result, names);
  });

  it('names a bad value that comes from the .env file', async () => {
    const cwd = emptyDir();
    writeFileSync(join(cwd, '.env'), 'SCHEDULER_REPORT_INTERVAL=soon\n');
    const result = await runCli(['run'], { cwd });
    expect(result.code).toBe(2);
    expectOneLine(result, /"soon" for SCHEDULER_REPORT_INTERVAL \(in \.env\)/);
  });
});

describe('unreachable server and unknown namespace exit with 1 and one line', () => {
  it('names the address it could not reach', async () => {
    const port = await freePort(); // nothing listens there
    const started = Date.now();
    const result = await runCli(['run', '--address', `127.0.0.1:${port}`, '--connect-timeout', '1s']);
    expect(result.code).toBe(1);
    expectOneLine(result, new RegExp(`cannot reach Temporal at 127\\.0\\.0\\.1:${port}: connection refused \\(\\d+ attempts in 1s\\)$`));
    expect(Date.now() - started).toBeLessThan(8000); // bounded: about the timeout plus start-up
  });

  it('gives up after the bounded connect timeout when the address accepts but never answers', async () => {
    const silent = createServer(() => undefined); // accepts TCP, never speaks gRPC
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    try {
      const result = await runCli(['run', '--address', `127.0.0.1:${port}`]);
      expect(result.code).toBe(1);
      expectOneLine(result, new RegExp(`cannot reach Temporal at 127\\.0\\.0\\.1:${port}: no answer within 10s`));
    } finally {
      silent.close();
    }
  });

  it('names an unknown host', async () => {
    const result = await runCli(['infinite', '--address', 'no-such-host.invalid:7233', '--connect-timeout', '1s']);
    expect(result.code).toBe(1);
    expectOneLine(result, /cannot reach Temporal at no-such-host\.invalid:7233/);
  });

  it('waits for a server that comes up within the connect timeout, then runs', async () => {
    const port = await freePort();
    const cli = new CliProcess(['run', '--address', `127.0.0.1:${port}`, '--total', '1', '--connect-timeout', '30s', '--worker']);
    await new Promise((resolve) => setTimeout(resolve, 1500)); // sched-bench is retrying by now
    const dataDir = emptyDir();
    const server = spawn(inject('temporalCli'), ['server', 'start-dev', '--headless', '--ip', '127.0.0.1', '--port', String(port),
      '--db-filename', join(dataDir, 'late.db'), '--log-level', 'error'], { stdio: 'ignore' });
    try {
      const result = await cli.exited;
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toMatch(/^Batch scheduler completed\. Launched 1 workflows/m);
    } finally {
      server.kill('SIGKILL');
    }
  });

  it('names a namespace the server does not have', async () => {
    const result = await runCli(['run', '--address', address, '--namespace', 'no-such-namespace']);
    expect(result.code).toBe(1);
    expectOneLine(result, /namespace "no-such-namespace" does not exist on /);
  });

  it('help and version exit with 0', async () => {
    const help = await runCli(['run', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--concurrency <n>\s+workflows in flight at most,\s+up\s+to\s+100000\s+\(env:\s+SCHEDULER_CONCURRENCY;\s+default: 10;\s+with\s+--rate\s+and\s+in\s+capacity's\s+steps\s+1000\)/);
    const version = await runCli(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
