import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it, onTestFinished } from 'vitest';
import type { RunResult } from '../../src/report/result.js';
import { CliProcess, emptyDir, runCli } from '../helpers/cli.js';
import { RestartableDevServer } from '../helpers/restartable-server.js';

const address = inject('temporalAddress');
const temporalCli = inject('temporalCli');
const temporalBinary = inject('temporalBinary');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const intervalLines = (stdout: string) => stdout.split('\n').filter((line) => line.startsWith('Concurrent: '));
const workflowsSoFar = (stdout: string) => Number(/Workflows: (\d+)/.exec(intervalLines(stdout).at(-1) ?? '')?.[1] ?? 0);
const readResult = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as RunResult;

function expectCountsAddUp(result: RunResult): void {
  const { launched, completed, failed, inFlight } = result.counts;
  expect(completed + failed + inFlight).toBe(launched);
}

describe('the server killed (SIGKILL) and restarted on the same port and database mid-run', () => {
  const servers: RestartableDevServer[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.dispose()));
  });

  // retry: after the SIGKILL and restart the embedded worker sometimes needs minutes to finish the
  // workflows it held (their workflow tasks time out and sit at attempt 2; seen once in four full runs).
  // That is the worker's recovery, an open issue of its own (see the issue notes), not this test's subject.
  it('keeps running and reporting, counts every launch, reports the outage, and matches the server', { timeout: 150_000, retry: 1 }, async () => {
    const server = await RestartableDevServer.create(temporalBinary, temporalCli);
    servers.push(server);
    await server.start();
    const dir = emptyDir();
    const common = ['--address', server.address, '--report-interval', '0.5', '--no-progress', '--verify'];
    // Start and wait, with the default retries: the outage costs time, not failures. The client on
    // sched-bench's own connection (starts and result waits through the restart), the worker on core's.
    const waiting = new CliProcess(['infinite', ...common, '--worker', '--connection', 'http2', '--concurrency', '10', '--task-queue', 'faults-wait', '--json', join(dir, 'wait.json')]);
    // Start-only without retries: every refused start is a failure of its kind, and the loop backs off (on core's connection).
    const startOnly = new CliProcess(['infinite', ...common, '--no-wait', '--connection', 'native', '--retry-timeout', '0', '--concurrency', '5', '--task-queue', 'faults-no-wait', '--json', join(dir, 'no-wait.json')]);
    // A failed attempt must not leave two infinite runs behind.
    onTestFinished(() => {
      for (const run of [waiting, startOnly]) if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGKILL');
    });
    await waiting.waitFor(/Workflows: [1-9]\d+/);
    await startOnly.waitFor(/Workflows: [1-9]\d+/);

    await server.kill();
    const killedAt = Date.now();
    await waiting.waitFor(/Server unavailable since/, 15_000);
    const linesAtKill = intervalLines(waiting.stdout).length;
    const downFor = 4000;
    await sleep(downFor);
    // Reports kept coming while the server was away, and nothing completed meanwhile.
    expect(intervalLines(waiting.stdout).length - linesAtKill).toBeGreaterThanOrEqual(4);
    const startOnlyLaunchedWhileDown = workflowsSoFar(startOnly.stdout);

    await server.start();
    const backAt = Date.now();
    await waiting.waitFor(/Server answering again after/, 30_000);
    const completedAtRestart = workflowsSoFar(waiting.stdout);
    for (const run of [waiting, startOnly]) {
      const before = workflowsSoFar(run.stdout);
      const deadline = Date.now() + 45_000;
      while (workflowsSoFar(run.stdout) < before + 20) {
        if (Date.now() > deadline) throw new Error(`no progress after the restart; stdout:\n${run.stdout.slice(-3000)}\nstderr:\n${run.stderr.slice(-3000)}`);
        await sleep(200);
      }
    }
    expect(workflowsSoFar(waiting.stdout)).toBeGreaterThan(completedAtRestart);

    waiting.signal('SIGINT');
    startOnly.signal('SIGINT');
    const [waited, started] = await Promise.all([waiting.exitedWithin(45_000), startOnly.exitedWithin(45_000)]);
    expect(waited.code, waited.stderr).toBe(0);

    const waitResult = readResult(join(dir, 'wait.json'));
    expectCountsAddUp(waitResult);
    expect(waitResult.counts.inFlight).toBe(0);
    expect(waitResult.verification?.matches, JSON.stringify(waitResult.verification)).toBe(true);
    const [outage, ...more] = waitResult.serverHealth.outages;
    expect(more).toEqual([]);
    expect(outage!.end).not.toBeNull();
    // From about the kill to about the restart's first answer.
    expect(Math.abs(Date.parse(outage!.start) - killedAt)).toBeLessThan(1500);
    expect(outage!.seconds).toBeGreaterThanOrEqual(downFor / 1000 - 0.5);
    expect(outage!.seconds).toBeLessThan((Date.now() - killedAt) / 1000);
    expect(Date.parse(outage!.end!)).toBeGreaterThanOrEqual(backAt - 30_000);
    expect(waited.stdout).toMatch(/server: unavailable \d[\d.]*s in 1 outage/);
    // Core's per-retry warnings stay out of the output.
    expect(waited.stderr).not.toMatch(/retried \d+ times/);

    // The start-only run failed its refused starts, by kind, without hammering the dead server.
    expect(started.code, started.stderr).toBe(1); // failed launches make the exit code 1
    const startOnlyResult = readResult(join(dir, 'no-wait.json'));
    expectCountsAddUp(startOnlyResult);
    const refused = startOnlyResult.counts.failuresByKind.server_unavailable ?? 0;
    expect(refused).toBeGreaterThan(0);
    expect(Object.keys(startOnlyResult.counts.failuresByKind), started.stderr).toEqual(['server_unavailable']);
    // 5 slots backing off (0.2 s doubling to 2 s) over the outage: a few dozen attempts, not thousands.
    expect(refused).toBeLessThan(60);
    expect(startOnlyResult.counts.started).toBeGreaterThan(startOnlyLaunchedWhileDown);
    // Without retries a start whose answer was lost counts as failed though it may have landed: the
    // server holds every start the tool counted, and at most those refused starts besides.
    const serverStarted = Object.values(startOnlyResult.verification?.serverCounts ?? {}).reduce((sum, count) => sum + count, 0);
    expect(serverStarted).toBeGreaterThanOrEqual(startOnlyResult.counts.started);
    expect(serverStarted).toBeLessThanOrEqual(startOnlyResult.counts.started + refused);
  });
});

describe('a throttling server (frontend.namespaceRPS=10)', () => {
  let server: RestartableDevServer | undefined;
  afterAll(async () => {
    await server?.dispose();
  });

  it('backs off, counts throttled start attempts apart from failures, and still starts every workflow', { timeout: 90_000 }, async () => {
    server = await RestartableDevServer.create(temporalBinary, temporalCli, [
      '--dynamic-config-value', 'frontend.namespaceRPS=10', '--dynamic-config-value', 'frontend.namespaceBurstRatio=1',
    ]);
    await server.start();
    const json = join(emptyDir(), 'throttled.json');
    const run = new CliProcess(['run', '--address', server.address, '--total', '60', '--no-wait', '--concurrency', '20', '--no-progress', '--json', json]);
    const { code, stdout, stderr } = await run.exited;
    expect(code, stderr).toBe(0);
    const result = readResult(json);
    expect(result.counts).toMatchObject({ launched: 60, started: 60, failed: 0, inFlight: 0 });
    const { throttledAttempts } = result.serverHealth;
    expect(throttledAttempts).toBeGreaterThan(0);
    // Each slot waits at least 0.8 s after a throttled attempt: no slot re-sends faster than that.
    expect(throttledAttempts).toBeLessThanOrEqual(Math.ceil((20 * result.elapsedSeconds) / 0.8));
    expect(result.serverHealth.outages).toEqual([]);
    expect(stderr).toMatch(/Server is throttling starts \(.*rate limit.*\); retrying with backoff/);
    expect(stdout).toContain(`server: ${throttledAttempts} start attempts throttled (RESOURCE_EXHAUSTED)`);
  });
});

describe('schedules through a server outage (--catchup-window)', () => {
  let server: RestartableDevServer | undefined;
  afterAll(async () => {
    await server?.dispose();
  });

  it('after the restart, fires within the catch-up window are taken late and older ones missed: expected = taken + missed + skipped; the outage is reported', { timeout: 150_000 }, async () => {
    server = await RestartableDevServer.create(temporalBinary, temporalCli);
    await server.start();
    const json = join(emptyDir(), 'catchup.json');
    const run = new CliProcess(['schedules', '--address', server.address, '--worker', '--schedules', '2', '--every', '1s', '--duration', '30s',
      '--catchup-window', '10s', '--report-interval', '1', '--json', json, '--concurrency', '2', // with direct load next to the schedules
      // Every fire due is started, so the catch-up is all that decides a fire's fate. Under the default
      // (skip), a workflow caught in flight by the kill stays open on the server for a while after the
      // restart, and the server skips every fire caught up meanwhile (a CI run saw none caught up).
      '--overlap', 'allow-all']);
    await run.waitFor(/^Schedules: 2 Fires: [1-9]/);
    await server.kill();
    await sleep(16_000); // longer than the catch-up window: the oldest fires of the outage are missed
    await server.start();
    const { code, stdout, stderr } = await run.exited;
    expect(code, stdout + stderr).toBe(0);
    const result = JSON.parse(readFileSync(json, 'utf8')) as {
      schedules: { counts: { expected: number; taken: number; missed: number; skipped: number; buffered: number; unaccounted: number }; caughtUp: number; deleted: boolean };
      serverHealth: { unavailableAttempts: number; unavailableSeconds: number; outages: Array<{ end: string | null; seconds: number }> };
    };
    // Told as it happened and summed at the end, as run and infinite do.
    expect(stderr).toMatch(/^Server unavailable since \S+ \(.*\); retrying with backoff$/m);
    expect(stderr).toMatch(/^Server answering again after \S+ unavailable$/m);
    expect(stdout).toMatch(/^ {2}server: unavailable \S+ in \d+ outages?/m);
    expect(result.serverHealth.outages.length).toBeGreaterThanOrEqual(1);
    expect(result.serverHealth.outages.every((outage) => outage.end !== null)).toBe(true);
    expect(result.serverHealth.unavailableSeconds).toBeGreaterThan(10); // the server was away 16 s (plus its restart)
    expect(result.serverHealth.unavailableAttempts).toBeGreaterThan(0);
    const { counts } = result.schedules;
    expect(counts.expected).toBe(60);
    expect(counts.missed).toBeGreaterThan(0);
    expect(counts.skipped).toBe(0);
    expect(counts.taken + counts.missed + counts.skipped + counts.buffered).toBe(counts.expected);
    expect(counts.unaccounted).toBe(0);
    // Said with the summary: a run that saw no fire caught up tells what it counted instead (taken, missed, lags).
    expect(result.schedules.caughtUp, stdout).toBeGreaterThan(0);
    expect(result.schedules.deleted).toBe(true);
    expect(stdout).toMatch(/taken more than an interval late: \d+ fires \(held back by the overlap policy, caught up after an outage, or a scheduler behind\); missed: [1-9]/);
  });
});

/** A port nothing listens on whose number contains 401 or 403 (it once read as an authentication failure). */
async function closedPortWith401Or403(): Promise<number> {
  const candidates: number[] = [];
  for (let port = 1024; port < 65536; port++) if (/40[13]/.test(String(port))) candidates.push(port);
  candidates.sort(() => Math.random() - 0.5);
  for (const port of candidates) {
    const free = await new Promise<boolean>((resolve) => {
      const probe = createServer();
      probe.once('error', () => resolve(false));
      probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error('no free port containing 401 or 403');
}

describe('a server not there (yet) on a port whose number contains 401 or 403', () => {
  it('is retried until --connect-timeout and reported as refused, never as an authentication failure', async () => {
    const port = await closedPortWith401Or403();
    for (const tls of [[], ['--tls']]) {
      const result = await runCli(['run', '--address', `127.0.0.1:${port}`, '--connect-timeout', '3', '--total', '1', ...tls]);
      expect(result.code, result.stderr).toBe(1);
      expect(result.stderr.trim()).toMatch(new RegExp(`^sched-bench: cannot reach Temporal at 127\\.0\\.0\\.1:${port}: connection refused \\(\\d+ attempts in 3s\\)$`));
    }
  });

  it('the grpc connection gives up after the timeout, not as an authentication failure', async () => {
    const port = await closedPortWith401Or403();
    const result = await runCli(['run', '--connection', 'grpc', '--address', `127.0.0.1:${port}`, '--connect-timeout', '2', '--total', '1']);
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toMatch(/^sched-bench: cannot reach Temporal at /);
    expect(result.stderr).not.toMatch(/authentication|UNAUTHENTICATED|permission|PERMISSION_DENIED|TLS/);
  });

  it('a signal ends the connect retries at once', async () => {
    const port = await closedPortWith401Or403();
    const run = new CliProcess(['run', '--address', `127.0.0.1:${port}`, '--connect-timeout', '120', '--total', '1']);
    await sleep(3000);
    const signalledAt = Date.now();
    run.signal('SIGTERM');
    const { code, stderr } = await run.exited;
    expect(Date.now() - signalledAt).toBeLessThan(20_000);
    expect(code, stderr).toBe(1);
    expect(stderr).toMatch(/cannot reach Temporal at .*: connection refused \(\d+ attempts?, stopped after [\d.]+s\)/);
  });
});

describe('a start the server rejects for good (a payload over its limits)', () => {
  // 3 MB: over Temporal's blob size limit (INVALID_ARGUMENT). 5 MB: over gRPC's 4 MB message limit, which
  // gRPC sends as RESOURCE_EXHAUSTED (gzip: "after decompression") — once retried for a minute as throttling.
  it.each([
    ['http2', 'none', 3_000_000],
    ['http2', 'none', 5_000_000],
    ['http2', 'gzip', 5_000_000],
    ['native', 'none', 3_000_000],
    ['native', 'none', 5_000_000],
    ['native', 'gzip', 5_000_000],
    ['grpc', 'none', 5_000_000],
  ])('fails at once as start_invalid (%s connection, %s compression, %d bytes)', async (connection, compression, size) => {
    const json = join(emptyDir(), 'invalid.json');
    const result = await runCli(['run', '--address', address, '--connection', connection, '--grpc-compression', compression,
      '--payload-size', String(size), '--total', '3', '--concurrency', '3', '--no-wait', '--no-progress', '--json', json]);
    expect(result.code, result.stderr).toBe(1);
    const run = readResult(json);
    expect(run.counts).toMatchObject({ launched: 3, started: 0, failed: 3, failuresByKind: { start_invalid: 3 } });
    expect(run.serverHealth.throttledAttempts).toBe(0);
    expect(run.elapsedSeconds).toBeLessThan(20); // the retry budget was 60 s
    expect(result.stderr).toMatch(/First start_invalid failure: start of \S+ failed: /);
    expect(result.stderr).not.toMatch(/throttling/);
  });
});

describe('a stop (SIGTERM) while starts are backing off', () => {
  let server: RestartableDevServer | undefined;
  afterAll(async () => {
    await server?.dispose();
  });

  async function stopWhenSeen(run: CliProcess, line: RegExp): Promise<{ elapsedMs: number; result: Awaited<CliProcess['exited']> }> {
    await run.waitFor(line, 60_000);
    const signalledAt = Date.now();
    run.signal('SIGTERM');
    const result = await run.exited;
    return { elapsedMs: Date.now() - signalledAt, result };
  }

  it('ends every backoff at once: throttled starts, then starts to a dead server, are abandoned (not failed) and the interrupted run exits 0 with a valid result', { timeout: 180_000 }, async () => {
    server = await RestartableDevServer.create(temporalBinary, temporalCli, [
      '--dynamic-config-value', 'frontend.namespaceRPS=1', '--dynamic-config-value', 'frontend.namespaceBurstRatio=1',
    ]);
    await server.start();
    const dir = emptyDir();
    const common = ['infinite', '--address', server.address, '--no-wait', '--concurrency', '40', '--no-progress'];

    // 40 starts in backoff against 1 start/s: retried to the end, they would hold the stop up for 40 s or more.
    const throttled = new CliProcess([...common, '--json', join(dir, 'throttled.json')]);
    const stopThrottled = await stopWhenSeen(throttled, /Server is throttling starts/);
    expect(stopThrottled.elapsedMs).toBeLessThan(20_000);
    const throttledResult = readResult(join(dir, 'throttled.json'));
    expect(throttledResult.exitCode).toBe(stopThrottled.result.code);
    expect(throttledResult.interrupted).toBe(true);
    expectCountsAddUp(throttledResult);
    expect(throttledResult.counts.inFlight).toBe(0);
    // The starts the stop cut short were abandoned, not failed: an interrupted infinite run with nothing failed exits 0.
    expect(throttledResult.serverHealth.throttledAttempts).toBeGreaterThan(0);
    expect(throttledResult.counts.failuresByKind, stopThrottled.result.stderr).toEqual({});
    expect(stopThrottled.result.code, stopThrottled.result.stderr).toBe(0);

    // The server gone: starts back off (up to the 60 s retry budget) until the stop ends them.
    const unavailable = new CliProcess([...common, '--json', join(dir, 'gone.json')]);
    await unavailable.waitFor(/^Starting infinite scheduler/, 60_000);
    await server.kill();
    const stopUnavailable = await stopWhenSeen(unavailable, /Server unavailable since/);
    expect(stopUnavailable.elapsedMs).toBeLessThan(20_000);
    const goneResult = readResult(join(dir, 'gone.json'));
    expect(goneResult.exitCode).toBe(stopUnavailable.result.code);
    expectCountsAddUp(goneResult);
    expect(goneResult.counts.inFlight).toBe(0);
    expect(goneResult.serverHealth.unavailableAttempts).toBeGreaterThan(0);
    expect(goneResult.counts.failuresByKind, stopUnavailable.result.stderr).toEqual({});
    expect(stopUnavailable.result.code, stopUnavailable.result.stderr).toBe(0);
  });
});
