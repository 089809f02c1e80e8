import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import type { RunResult } from '../../src/report/result.js';
import { CliProcess, emptyDir, runCli, uniqueQueue } from '../helpers/cli.js';
import { RestartableDevServer } from '../helpers/restartable-server.js';

const address = inject('temporalAddress');
const temporalCli = inject('temporalCli');
const temporalBinary = inject('temporalBinary');
const readResult = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as RunResult;
const secondsSince = (startedAt: number) => (Date.now() - startedAt) / 1000;

describe('durations past Node.js timer limit, and a report interval too small to mean anything', () => {
  it.each([
    [['run', '--duration', '1000h'], /invalid value "1000h" for --duration: expected a duration of at most 596h \(about 24\.8 days, the longest timer Node\.js can set\)$/],
    [['infinite', '--max-runtime', '30000h'], /invalid value "30000h" for --max-runtime: expected a duration of at most 596h/],
    [['run', '--connect-timeout', '600h'], /invalid value "600h" for --connect-timeout: expected a duration of at most 596h/],
    [['infinite', '--stages', '300h:5,300h:0'], /for --stages: expected stages lasting in all at most 596h/],
    [['run', '--report-interval', '10ms'], /invalid value "10ms" for --report-interval: expected a duration of at least 100ms$/],
  ])('%j: exit 2, one line naming the option and the limit', async (args, message) => {
    const result = await runCli([...args, '--address', address]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines, result.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(message);
  });
});

describe('an absurd open-loop rate', () => {
  it('--rate 1e12 is a usage error at once', async () => {
    const startedAt = Date.now();
    const result = await runCli(['run', '--address', address, '--total', '20', '--rate', '1e12']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/"1e12" for --rate: expected a rate of at most 1000000 per second/);
    expect(secondsSince(startedAt)).toBeLessThan(20);
  });

  it('the highest rate allowed finishes a batch promptly and counts no arrival beyond it', { timeout: 90_000 }, async () => {
    const json = join(emptyDir(), 'rate.json');
    const run = new CliProcess([
      'run', '--address', address, '--total', '20', '--rate', '1000000', '--concurrency', '5', '--worker',
      '--task-queue', uniqueQueue('huge-rate'), '--no-progress', '--json', json,
    ]);
    const result = await run.exited;
    expect(result.code, result.stderr).toBe(0);
    const { counts } = readResult(json);
    expect(counts).toMatchObject({ launched: 20, completed: 20, missedArrivals: 0 });
  });

  it('an infinite run at the highest rate honours SIGTERM at once, whatever backlog it has', { timeout: 90_000 }, async () => {
    const json = join(emptyDir(), 'rate-infinite.json');
    const run = new CliProcess([
      'infinite', '--address', address, '--rate', '1000000', '--concurrency', '5', '--worker', '--drain-timeout', '20s',
      '--task-queue', uniqueQueue('huge-rate-infinite'), '--report-interval', '0.5', '--no-progress', '--json', json,
    ]);
    await run.waitFor(/Workflows: [1-9]/, 60_000);
    run.signal('SIGTERM');
    const signalledAt = Date.now();
    const result = await run.exited;
    expect(result.code, result.stderr).toBe(0);
    expect(secondsSince(signalledAt)).toBeLessThan(25);
    const { counts } = readResult(json);
    // Millions of arrivals were due and never started: counted, not walked one by one.
    expect(counts.missedArrivals).toBeGreaterThan(100_000);
  });
});

describe('workflows nobody picks up', () => {
  it('names the task queue nobody polls within seconds, and the drain after SIGTERM gives up on its own', { timeout: 150_000 }, async () => {
    const queue = uniqueQueue('nobody-polls');
    const json = join(emptyDir(), 'nobody.json');
    const run = new CliProcess([
      'infinite', '--address', address, '--concurrency', '2', '--task-queue', queue, '--report-interval', '1', '--no-progress', '--json', json,
    ]);
    const startedAt = Date.now();
    const line = await run.waitFor(/no worker is polling/, 30_000);
    expect(secondsSince(startedAt)).toBeLessThan(30);
    expect(line).toBe(
      `sched-bench: no worker is polling task queue ${queue} in namespace default: start \`sched-bench worker --task-queue ${queue}\` ` +
        'or add --worker (the run waits for one; nothing finishes without it)',
    );
    run.signal('SIGTERM');
    const signalledAt = Date.now();
    const result = await run.exited;
    // The default drain gives up once no workflow has finished for 60 s.
    expect(secondsSince(signalledAt)).toBeLessThan(100);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/Drain gave up: no workflow finished for 60s: 2 workflows still running/);
    expect(result.stderr.match(/no worker is polling/g)).toHaveLength(1);
    const saved = readResult(json);
    expect(saved).toMatchObject({ exitCode: 1, drain: { timeoutSeconds: null, timedOut: true, leftInFlight: 2 } });
  });

  it('names a workflow type the workers of the task queue do not have', { timeout: 150_000 }, async () => {
    const queue = uniqueQueue('unknown-type');
    const worker = new CliProcess(['worker', '--address', address, '--task-queue', queue]);
    try {
      await worker.waitFor(/Worker started/, 60_000);
      const run = new CliProcess([
        'infinite', '--address', address, '--concurrency', '1', '--task-queue', queue, '--workflow-type', 'NoSuchType',
        '--drain-timeout', '2s', '--report-interval', '1', '--no-progress',
      ]);
      const line = await run.waitFor(/is not registered/, 60_000);
      expect(line).toMatch(new RegExp(`^sched-bench: workflow type NoSuchType is not registered on the workers of task queue ${queue} \\(.*NoSuchType`));
      run.signal('SIGTERM');
      const result = await run.exited;
      expect(result.code).toBe(1); // the drain timed out with the workflow still stuck
    } finally {
      worker.signal('SIGTERM');
      await worker.exited;
    }
  });
});

describe('the server gone for good', () => {
  const servers: RestartableDevServer[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.dispose()));
  });

  it('--max-outage ends the run with exit 1 and a valid result once the server has been away that long', { timeout: 120_000 }, async () => {
    const server = await RestartableDevServer.create(temporalBinary, temporalCli);
    servers.push(server);
    await server.start();
    const json = join(emptyDir(), 'outage.json');
    const ndjson = `${json}.ndjson`;
    const run = new CliProcess([
      'infinite', '--address', server.address, '--worker', '--concurrency', '5', '--max-outage', '3s',
      '--task-queue', 'max-outage', '--report-interval', '0.5', '--no-progress', '--json', json, '--ndjson', ndjson,
    ]);
    await run.waitFor(/Workflows: [1-9]\d*/, 60_000);
    await server.kill();
    const killedAt = Date.now();
    // Two signals once the summary is out (tear-down with the server gone takes a while): the run is
    // over, so they must not rewrite its results as interrupted (130) or append a second end record.
    await run.waitFor(/^Summary: /m, 60_000);
    run.signal('SIGINT');
    await new Promise((resolve) => setTimeout(resolve, 200));
    run.signal('SIGINT');
    const result = await run.exited;
    expect(secondsSince(killedAt)).toBeLessThan(45);
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).not.toMatch(/Received interrupt/);
    expect(result.stderr).toMatch(new RegExp(`sched-bench: the server at ${server.address} has been unreachable for [\\d.]+s \\(--max-outage 3s\\): giving up`));
    const saved = readResult(json);
    expect(saved).toMatchObject({ exitCode: 1, stopReason: 'aborted' });
    const ends = readFileSync(ndjson, 'utf8').trim().split('\n').map((line) => JSON.parse(line)).filter((record) => record.type === 'end');
    expect(ends).toMatchObject([{ exitCode: 1, interrupted: false }]);
    const lastOutage = saved.serverHealth.outages.at(-1)!;
    expect(lastOutage.end).toBeNull(); // still away when the run ended
    expect(lastOutage.seconds).toBeGreaterThan(3);
    const { launched, completed, failed, inFlight } = saved.counts;
    expect(completed + failed + inFlight).toBe(launched);
  });
});
