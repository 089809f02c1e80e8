import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { readNdjson } from '../helpers/ndjson-schema.js';
import { describe, expect, inject, it } from 'vitest';
import { CliProcess, emptyDir, eventually, runCli, runIdOf, temporalCommand, uniqueQueue } from '../helpers/cli.js';
import { freePort } from '../helpers/ports.js';
import type { SchedulesResult } from '../../src/report/schedule-report.js';

const address = inject('temporalAddress');
const temporalCli = inject('temporalCli');

/** Ids of the schedules on the server whose id starts with `prefix` (its list catches up with deletes within seconds). */
async function schedulesOnServer(prefix: string): Promise<string[]> {
  const out = await temporalCommand(temporalCli, ['schedule', 'list', '--address', address, '-o', 'json']);
  const listed = out.trim() === '' ? [] : (JSON.parse(out) as Array<{ scheduleId: string }>);
  return listed.map((schedule) => schedule.scheduleId).filter((id) => id.startsWith(prefix));
}

const schema = JSON.parse(readFileSync(new URL('../../src/report/schedules-result.schema.json', import.meta.url), 'utf8'));
const validate = new Ajv({ allErrors: true }).compile(schema);

/** The --json result, checked against its schema. */
function readResult(path: string): SchedulesResult {
  const result = JSON.parse(readFileSync(path, 'utf8'));
  expect(validate(result), JSON.stringify(validate.errors)).toBe(true);
  return result as SchedulesResult;
}

describe('sched-bench schedules against a real dev server', () => {
  // --overlap allow-all where a test counts every fire: on a loaded machine a workflow can outlast the
  // 1 s interval, and the default (skip) would then rightly skip fires. Overlap has its own tests below.
  it('creates the schedules, counts every fire from the server, measures fire and pickup lag, and deletes them', { timeout: 60_000 }, async () => {
    const dir = emptyDir();
    const json = join(dir, 'schedules.json');
    const ndjson = join(dir, 'schedules.ndjson');
    const result = await runCli([
      'schedules', '--address', address, '--task-queue', uniqueQueue('sched'), '--worker', '--schedules', '2', '--every', '1s',
      '--fires', '4', '--overlap', 'allow-all', '--report-interval', '1', '--json', json, '--ndjson', ndjson, '--threshold', 'fire_lag.p99<2s', '--threshold', 'missed==0',
    ]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^Starting schedules: schedules=2 every=1s jitter=0s fires=4 each /m);
    expect(result.stdout).toMatch(/^Schedules: 2 Fires: \d+ Expected: \d+ Missed: 0 Skipped: 0 FireLag p50: \S+ p99: \S+$/m);
    expect(result.stdout).toMatch(/^Schedules done: 8 fires of 8 expected in [\d.]+s; schedules deleted$/m);
    expect(result.stdout).toContain('✓ fire_lag.p99<2s');
    const run = readResult(json);
    expect(run.schedules.counts).toMatchObject({ schedules: 2, expected: 8, taken: 8, skipped: 0, missed: 0, unaccounted: 0, recorded: 8 });
    expect(run.latency.fireLag.count).toBe(8);
    expect(run.latency.pickupLag.count).toBe(8);
    expect(run.schedules.notPickedUp).toBe(0);
    expect(run.overlapChecks.every((check) => check.passed)).toBe(true);
    expect(run.schedules.deleted).toBe(true);
    // NDJSON: one record per report and one at the end, the same counts as the lines, then the end record;
    // every line valid against the schema.
    const records = readNdjson(readFileSync(ndjson, 'utf8'));
    expect(records.length).toBeGreaterThanOrEqual(3);
    const reports = records.slice(0, -1);
    expect(reports.every((record) => record.type === 'schedules' && record.schedules === 2)).toBe(true);
    expect(Math.max(...reports.map((record) => record.taken as number))).toBeLessThanOrEqual(8);
    expect(reports.at(-1)).toMatchObject({ taken: 8, expected: 8 });
    expect(records.at(-1)).toMatchObject({
      type: 'end', command: 'schedules', stopReason: 'window-done', exitCode: 0, counts: run.schedules.counts,
      thresholds: { passed: true, results: [{ expression: 'fire_lag.p99<2s', passed: true }, { expression: 'missed==0', passed: true }] },
    });
    await eventually(async () => expect(await schedulesOnServer(`sched-bench-${runIdOf(result.stdout)}-`)).toEqual([]));
  });

  it('--ndjson - keeps stdout machine-readable: schedules records, then the end; human lines on stderr', async () => {
    const result = await runCli([
      'schedules', '--address', address, '--task-queue', uniqueQueue('sched-stdout'), '--worker', '--schedules', '1', '--every', '1s',
      '--fires', '2', '--report-interval', '1', '--ndjson', '-',
    ]);
    // The schedules' timing on a loaded machine is not this test's subject: the stream must agree with the run.
    const records = readNdjson(result.stdout);
    const end = records.at(-1)!;
    expect(records.slice(0, -1).every((record) => record.type === 'schedules')).toBe(true);
    expect(end).toMatchObject({ type: 'end', command: 'schedules', exitCode: result.code, counts: { expected: 2 }, thresholds: { passed: null } });
    const { type: _type, runId: _runId, t: _t, elapsedMs: _elapsed, fireLagP50Ms: _p50, fireLagP99Ms: _p99, ...lastCounts } = records.at(-2)!;
    expect(end.counts).toEqual(lastCounts);
    expect(result.stderr).toMatch(/^Starting schedules: schedules=1 /m);
    expect(result.stderr).toMatch(new RegExp(`^Schedules done: ${(end.counts as { taken: number }).taken} fires of 2 expected`, 'm'));
  });

  // A workflow that runs 2.2 s under a 1 s interval: each policy must do what it promises.
  it.concurrent.each(['skip', 'buffer-one', 'buffer-all', 'cancel-other', 'terminate-other', 'allow-all'])(
    '--overlap %s keeps its promise, checked against the server\'s counts and runs',
    { timeout: 90_000 },
    async (policy) => {
      const json = join(emptyDir(), `${policy}.json`);
      const result = await runCli([
        'schedules', '--address', address, '--task-queue', uniqueQueue(`overlap-${policy}`), '--worker', '--schedules', '1', '--every', '1s',
        '--fires', '5', '--activity-delay', '2200', '--overlap', policy, '--report-interval', '5', '--json', json,
      ]);
      const run = readResult(json);
      expect(run.overlapChecks.filter((check) => !check.passed), result.stdout).toEqual([]);
      const { counts } = run.schedules;
      expect(counts.expected).toBe(5);
      expect(counts.taken + counts.skipped + counts.missed + counts.buffered).toBe(5);
      if (policy === 'skip') expect(counts.skipped).toBeGreaterThan(0);
      if (policy === 'buffer-all' || policy.endsWith('-other') || policy === 'allow-all') expect(counts.skipped).toBe(0);
      if (policy === 'allow-all' || policy.endsWith('-other')) expect(counts.taken).toBe(5);
      expect(result.code, result.stdout + result.stderr).toBe(0);
      await eventually(async () => expect(await schedulesOnServer(`sched-bench-${runIdOf(result.stdout)}-`)).toEqual([]));
    },
  );

  it('--jitter: the server delays each fire by less than the jitter, and fire lag is counted from the jittered time', { timeout: 60_000 }, async () => {
    const json = join(emptyDir(), 'jitter.json');
    const result = await runCli(['schedules', '--address', address, '--task-queue', uniqueQueue('sched-jitter'), '--worker', '--schedules', '3',
      '--every', '2s', '--fires', '3', '--jitter', '1500ms', '--json', json]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const run = readResult(json) as SchedulesResult & { schedules: { jitterMaxMs: number } };
    expect(run.schedules.counts).toMatchObject({ expected: 9, taken: 9 });
    expect(run.schedules.jitterMaxMs).toBeGreaterThan(0); // nine fires all undelayed would be a broken spec
    expect(run.schedules.jitterMaxMs).toBeLessThan(1500);
    expect(result.stdout).toMatch(/jitter: up to \S+ applied by the server \(✓ within --jitter 1.50s\)/);
  });

  it('runs direct load next to the schedules (--concurrency), so fire lag is measured on a busy cluster', { timeout: 60_000 }, async () => {
    const json = join(emptyDir(), 'busy.json');
    const result = await runCli(['schedules', '--address', address, '--task-queue', uniqueQueue('sched-busy'), '--worker', '--schedules', '2',
      '--every', '1s', '--fires', '3', '--overlap', 'allow-all', '--concurrency', '5', '--report-interval', '1', '--json', json]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    // The start line says the direct load runs too, and how.
    expect(result.stdout).toMatch(/^Starting schedules: .* directLoad: loop=closed concurrency=5 wait=true taskQueue=/m);
    expect(result.stdout).toMatch(/^Concurrent: \d+ Workflows: \d+ Rate: /m);
    expect(result.stdout).toMatch(/^Direct load next to the schedules: Summary: (\d+) launched, \1 started, \1 completed, 0 failed/m);
    const run = readResult(json) as SchedulesResult & { directLoad: { counts: { completed: number; launched: number } } };
    expect(run.schedules.counts).toMatchObject({ expected: 6, taken: 6, unaccounted: 0 });
    expect(run.directLoad.counts.completed).toBeGreaterThan(0);
    expect(run.directLoad.counts.completed).toBe(run.directLoad.counts.launched);
  });

  it('with two `sched-bench worker` processes on the queue, every fire is handled exactly once', { timeout: 60_000 }, async () => {
    const taskQueue = uniqueQueue('sched-two-workers');
    const workers = [0, 1].map(() => new CliProcess(['worker', '--address', address, '--task-queue', taskQueue]));
    await Promise.all(workers.map((worker) => worker.waitFor(/^Worker started: taskQueue=/)));
    const json = join(emptyDir(), 'two-workers.json');
    const result = await runCli(['schedules', '--address', address, '--task-queue', taskQueue, '--schedules', '3', '--every', '1s', '--fires', '5', '--overlap', 'allow-all', '--json', json]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const run = readResult(json);
    expect(run.schedules.counts).toMatchObject({ expected: 15, taken: 15, unaccounted: 0 });
    // The server holds one workflow per fire, each completed once, under distinct ids.
    const listed = await temporalCommand(temporalCli, ['workflow', 'list', '--address', address, '-o', 'json',
      '--query', `WorkflowId STARTS_WITH "sched-bench-${runIdOf(result.stdout)}-s"`]);
    const fired = JSON.parse(listed) as Array<{ execution: { workflowId: string }; status: string }>;
    expect(fired).toHaveLength(15);
    expect(new Set(fired.map((workflow) => workflow.execution.workflowId)).size).toBe(15);
    expect(fired.every((workflow) => /COMPLETED/.test(workflow.status))).toBe(true);
    // Between them, the two workers ran one echo per fire: none twice, none lost.
    for (const worker of workers) worker.signal('SIGTERM');
    const stopped = await Promise.all(workers.map((worker) => worker.exited));
    const echoes = stopped.map((worker) => Number(/Activities executed: (\d+)/.exec(worker.stdout)?.[1]));
    expect(echoes[0]! + echoes[1]!).toBe(15);
  });

  it('on SIGTERM mid-run deletes every schedule it created, and exits 0 with its result', { timeout: 60_000 }, async () => {
    const json = join(emptyDir(), 'interrupted.json');
    const metricsPort = await freePort();
    const cli = new CliProcess(['schedules', '--address', address, '--task-queue', uniqueQueue('sched-term'), '--schedules', '3', '--every', '1s',
      '--duration', '60s', '--report-interval', '1', '--json', json, '--metrics-port', String(metricsPort)]);
    await cli.waitFor(/^Schedules: 3 Fires: [1-9]/);
    const prefix = `sched-bench-${runIdOf(cli.stdout)}-`;
    await eventually(async () => expect(await schedulesOnServer(prefix)).toHaveLength(3));
    // Prometheus: the fire counts and the fire lag histogram while it runs.
    const scraped = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    const taken = Number(/sched_bench_schedule_fires\{run_id="[^"]+",outcome="taken"\} (\d+)/.exec(scraped)?.[1]);
    expect(taken).toBeGreaterThan(0);
    expect(Number(/sched_bench_fire_lag_seconds_count\{run_id="[^"]+"\} (\d+)/.exec(scraped)?.[1])).toBeGreaterThan(0);
    cli.signal('SIGTERM');
    const result = await cli.exited;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^Schedules interrupted: \d+ fires of \d+ expected .*; schedules deleted$/m);
    expect(readResult(json)).toMatchObject({ interrupted: true, exitCode: 0, schedules: { deleted: true } });
    await eventually(async () => expect(await schedulesOnServer(prefix)).toEqual([]));
  });

  it('refuses a schedule id that exists (fail), or that exists with another shape (reuse), and leaves it alone', { timeout: 60_000 }, async () => {
    const runId = `conflict${Math.random().toString(36).slice(2, 8)}`;
    const scheduleId = `sched-bench-${runId}-s1`;
    await temporalCommand(temporalCli, ['schedule', 'create', '--address', address, '--schedule-id', scheduleId, '--interval', '1h',
      '--task-queue', 'elsewhere', '--type', 'EchoWorkflow', '--workflow-id', 'stranger']);
    try {
      for (const onConflict of ['fail', 'reuse']) {
        const result = await runCli(['schedules', '--address', address, '--run-id', runId, '--schedules', '1', '--fires', '1', '--on-conflict', onConflict]);
        expect(result.code, result.stderr).toBe(2);
        expect(result.stderr).toMatch(onConflict === 'fail' ? /schedule \S+-s1 already exists \(--on-conflict fail\)/ : /already exists with a different spec/);
        expect(await schedulesOnServer(scheduleId)).toEqual([scheduleId]); // not ours to delete
      }
    } finally {
      await temporalCommand(temporalCli, ['schedule', 'delete', '--address', address, '--schedule-id', scheduleId]);
    }
  });
});

describe('schedules: runs that end at --duration, and what a killed run leaves behind', () => {
  it('a cron with no fire within --duration ends at the duration, says no fire was due, and exits 0', { timeout: 60_000 }, async () => {
    const json = join(emptyDir(), 'never.json');
    const began = Date.now();
    // 29 February: never within the next few seconds.
    const result = await runCli(['schedules', '--address', address, '--task-queue', uniqueQueue('sched-never'), '--schedules', '2',
      '--cron', '0 0 29 2 *', '--duration', '4s', '--report-interval', '1', '--json', json]);
    const seconds = (Date.now() - began) / 1000;
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stderr).toMatch(/^sched-bench: no fire is due within --duration 4s \(next fire \d{4}-02-29T00:00:00\.000Z\); watching the schedules for the duration$/m);
    expect(result.stdout).toMatch(/^Schedules done: 0 fires of 0 expected in [\d.]+s; schedules deleted$/m);
    expect(result.stdout).toMatch(/^ {2}no fire was due within --duration \(next fire: \d{4}-02-29T00:00:00\.000Z\); nothing to measure$/m);
    expect(seconds).toBeGreaterThanOrEqual(4);
    expect(seconds).toBeLessThan(45); // ended at the duration (plus start-up and lead), not at the fire or a signal
    const run = readResult(json);
    expect(run.schedules.counts).toMatchObject({ schedules: 2, expected: 0, taken: 0, unaccounted: 0 });
    expect(run.schedules.window.firesEach).toBe(0);
    expect(run.serverHealth).toEqual({ throttledAttempts: 0, unavailableAttempts: 0, unavailableSeconds: 0, outages: [] });
  });

  it('after a SIGKILLed `schedules` run, cleanup --run-id lists (--dry-run) and then deletes its schedules and their workflows', { timeout: 90_000 }, async () => {
    const runId = `killed${Math.random().toString(36).slice(2, 8)}`;
    const cli = new CliProcess(['schedules', '--address', address, '--task-queue', uniqueQueue('sched-killed'), '--worker', '--run-id', runId,
      '--schedules', '2', '--every', '1s', '--duration', '60s', '--report-interval', '1']);
    await cli.waitFor(/^Schedules: 2 Fires: [1-9]/);
    cli.signal('SIGKILL');
    await cli.exited;
    const ids = [`sched-bench-${runId}-s1`, `sched-bench-${runId}-s2`];
    // Killed: nothing deleted them, they go on firing.
    await eventually(async () => expect((await schedulesOnServer(`sched-bench-${runId}-`)).sort()).toEqual(ids));
    const dryRun = await runCli(['cleanup', '--address', address, '--run-id', runId, '--dry-run']);
    expect(dryRun.code, dryRun.stderr).toBe(0);
    expect(dryRun.stdout).toMatch(new RegExp(`^Found 2 schedules of run ${runId}$`, 'm'));
    expect(dryRun.stdout).toContain(`  schedule ${ids[0]}\n`);
    expect(dryRun.stdout).toMatch(/^Dry run: would delete 2 schedules$/m);
    expect((await schedulesOnServer(`sched-bench-${runId}-`)).sort()).toEqual(ids); // a dry run deletes nothing

    const cleanup = await runCli(['cleanup', '--address', address, '--run-id', runId]);
    expect(cleanup.code, cleanup.stderr).toBe(0);
    expect(cleanup.stdout).toMatch(/^Cleanup: deleted 2 schedules$/m);
    expect(cleanup.stdout).toMatch(/^Cleanup: deleted [1-9]\d* workflows /m);
    for (const id of ids) {
      const described = await temporalCommand(temporalCli, ['schedule', 'describe', '--address', address, '--schedule-id', id]).then(
        () => 'found', (error: Error) => error.message);
      expect(described).toMatch(/not found/i);
    }
  });
});

describe('delayed starts (--start-delay)', () => {
  it.each([
    ['closed loop', ['run', '--total', '10', '--concurrency', '5']],
    ['open loop', ['infinite', '--rate', '5', '--duration', '2s']],
  ])('%s: every workflow waits out the delay, and its delay lag is measured from the server\'s history', async (_, load) => {
    const json = join(emptyDir(), 'delayed.json');
    const result = await runCli([...load, '--address', address, '--task-queue', uniqueQueue('delay'), '--worker', '--start-delay', '1s', '--json', json,
      '--threshold', 'delay_lag.p99<2s']);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const run = JSON.parse(readFileSync(json, 'utf8')) as { counts: { completed: number }; latency: { e2e: { min: number }; delayLag: { count: number; min: number } } };
    expect(run.counts.completed).toBeGreaterThanOrEqual(10);
    expect(run.latency.delayLag.count).toBe(run.counts.completed);
    expect(run.latency.e2e.min).toBeGreaterThanOrEqual(1000); // nothing ran before its delay
    expect(run.latency.delayLag.min).toBeGreaterThanOrEqual(0);
    expect(result.stdout).toMatch(/^ {2}delay lag\s+\d+\s/m);
  });
});
