import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, inject, it } from 'vitest';
import type { RunEndRecord, RunResult } from '../../src/report/result.js';
import { readNdjson } from '../helpers/ndjson-schema.js';
import { CliProcess, emptyDir, eventually, runCli, serverCounts, uniqueQueue } from '../helpers/cli.js';

const address = inject('temporalAddress');
const schema = JSON.parse(readFileSync(new URL('../../src/report/result.schema.json', import.meta.url), 'utf8'));
const validate = new Ajv({ allErrors: true }).compile(schema);

function readResult(path: string): RunResult {
  const result = JSON.parse(readFileSync(path, 'utf8')) as RunResult;
  expect(validate(result), JSON.stringify(validate.errors)).toBe(true);
  return result;
}

describe('truthful numbers against a real dev server', () => {
  it('open loop: started = rate × duration, --verify agrees with the server, the JSON result is valid', async () => {
    const json = join(emptyDir(), 'result.json');
    const result = await runCli([
      'infinite', '--address', address, '--task-queue', uniqueQueue('open'), '--worker', '--rate', '20',
      '--duration', '5s', '--report-interval', '1', '--verify', '--json', json,
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^ {2}start lateness\s+\d+/m);
    // The start line says what the run will do: an open loop at 20/s, capped in flight, for 5 s.
    expect(result.stdout).toMatch(/^Starting infinite scheduler: loop=open rate=20\/s inFlightCap=1000 duration=5s wait=true /m);
    expect(result.stdout).toMatch(/^Verification against the server \(workflows of run \S+\): ✓ counts match$/m);
    const run = readResult(json);
    // 20/s for 5 s: 100 intended starts, each either started or (on a starved event loop) counted as
    // due-but-never-started; one either way for the timer at the boundary.
    expect(run.counts.started + run.counts.missedArrivals).toBeGreaterThanOrEqual(99);
    expect(run.counts.started + run.counts.missedArrivals).toBeLessThanOrEqual(101);
    expect(run.counts.started).toBeGreaterThanOrEqual(95);
    expect(run.counts).toMatchObject({ failed: 0, inFlight: 0 });
    expect(run.counts.completed).toBe(run.counts.started);
    expect(run).toMatchObject({ command: 'infinite', stopReason: 'time-limit', interrupted: false, exitCode: 0 });
    expect(run.loadModel).toMatchObject({ kind: 'open', rate: 20, concurrency: 1000, wait: true });
    // Piped stdout had no live status line, and no secret was given, so none shows as redacted.
    expect(run.config).toMatchObject({ progress: false, grpcMeta: {} });
    expect(JSON.stringify(run.config)).not.toContain('[redacted]');
    expect(run.verification).toMatchObject({ matches: true, serverCounts: { Completed: run.counts.completed } });
    expect(run.latency.e2e.count).toBe(run.counts.completed);
    expect(run.latency.e2e.p50).toBeGreaterThan(0);
    expect(run.server.version).toMatch(/^\d+\.\d+/);
    expect(run.sdk['@temporalio/client']).toMatch(/^\d+\.\d+\.\d+$/);
    expect(run.intervals.points.length).toBeGreaterThanOrEqual(4);
  });

  it('a failing threshold exits 99 and marks it ✗ in the summary and the JSON', async () => {
    const json = join(emptyDir(), 'result.json');
    const result = await runCli([
      'run', '--address', address, '--task-queue', uniqueQueue('threshold'), '--worker', '--total', '20',
      '--threshold', 'e2e.p99<1µs', '--threshold', 'failed.rate<1%', '--json', json,
    ]);
    expect(result.code).toBe(99);
    expect(result.stdout).toMatch(/^ {2}✗ e2e\.p99<1µs \(\S+\)$/m);
    expect(result.stdout).toMatch(/^ {2}✓ failed\.rate<1% \(0\.00%\)$/m);
    const run = readResult(json);
    expect(run.exitCode).toBe(99);
    expect(run.thresholds.map((threshold) => [threshold.expression, threshold.passed])).toEqual([
      ['e2e.p99<1µs', false], ['failed.rate<1%', true],
    ]);
  });

  it('passing thresholds from SCHEDULER_THRESHOLDS exit 0', async () => {
    const result = await runCli(['run', '--address', address, '--task-queue', uniqueQueue('pass'), '--worker', '--total', '10'], {
      env: { SCHEDULER_THRESHOLDS: 'e2e.p99<1m;failed.count==0;throughput>0' },
    });
    expect(result.code).toBe(0);
    expect(result.stdout.match(/^ {2}✓ /gm)).toHaveLength(3);
  });

  it('SIGTERM mid-run still writes a valid JSON result, marked interrupted', async () => {
    const json = join(emptyDir(), 'result.json');
    const cli = new CliProcess([
      'infinite', '--address', address, '--task-queue', uniqueQueue('json-sigterm'), '--worker',
      '--concurrency', '4', '--report-interval', '0.5', '--json', json,
    ]);
    await cli.waitFor(/^Concurrent: \d+ Workflows: [1-9]/);
    cli.signal('SIGTERM');
    expect((await cli.exited).code).toBe(0);
    const run = readResult(json);
    expect(run).toMatchObject({ interrupted: true, stopReason: 'stopped', exitCode: 0 });
    expect(run.counts).toMatchObject({ inFlight: 0, failed: 0 });
    expect(run.counts.completed).toBeGreaterThan(0);
    // The result's counts are the server's.
    await eventually(async () => expect(await serverCounts(inject('temporalCli'), address, run.runId)).toEqual({ Completed: run.counts.completed }));
  });

  it('a forced exit (second signal) writes a valid JSON result too, and ends the NDJSON stream', async () => {
    const json = join(emptyDir(), 'result.json');
    const ndjson = join(emptyDir(), 'records.ndjson');
    // No worker on this queue: the drain never ends, so the second signal is what ends the run.
    const cli = new CliProcess([
      'run', '--address', address, '--task-queue', uniqueQueue('json-forced'), '--total', '1000',
      '--concurrency', '3', '--report-interval', '0.5', '--json', json, '--ndjson', ndjson,
    ]);
    await cli.waitFor(/^Concurrent: 3 /);
    cli.signal('SIGINT');
    await cli.waitFor(/^Waiting for 3 running workflows/);
    cli.signal('SIGINT');
    expect((await cli.exited).code).toBe(130);
    const run = readResult(json);
    expect(run).toMatchObject({ interrupted: true, exitCode: 130, counts: { launched: 3, inFlight: 3, completed: 0 } });
    expect(readNdjson(readFileSync(ndjson, 'utf8')).at(-1)).toMatchObject({
      type: 'end', command: 'run', interrupted: true, exitCode: 130, counts: { launched: 3, inFlight: 3 },
    });
  });

  it('results that cannot be written at the end make the run fail with one line (exit 1), nothing else breaks', async () => {
    const dir = emptyDir();
    const cli = new CliProcess(['infinite', '--address', address, '--task-queue', uniqueQueue('json-gone'), '--worker', '--report-interval', '0.3', '--json', join(dir, 'r.json')]);
    await cli.waitFor(/^Concurrent: /);
    (await import('node:fs')).rmSync(dir, { recursive: true });
    cli.signal('SIGTERM');
    const result = await cli.exited;
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^Scheduler stopped\. Total workflows: \d+/m);
    expect(result.stderr).toMatch(/^sched-bench: cannot write .*r\.json: its directory does not exist \(ENOENT\)$/m);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('a reader that goes away from --ndjson - does not end the run', async () => {
    const cli = new CliProcess(['infinite', '--address', address, '--task-queue', uniqueQueue('epipe'), '--worker', '--max-runtime', '2', '--report-interval', '0.2', '--ndjson', '-']);
    await cli.waitFor(/"type":"interval"/);
    cli.child.stdout!.destroy();
    const result = await cli.exited;
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/^sched-bench: --ndjson -: EPIPE; no more records$/m);
    expect(result.stderr).toMatch(/^Scheduler stopped\. Total workflows: \d+/m);
  });

  it('--ndjson - keeps stdout machine-readable: one JSON object per interval, then the end; human lines on stderr', async () => {
    const result = await runCli([
      'infinite', '--address', address, '--task-queue', uniqueQueue('ndjson'), '--worker', '--max-runtime', '2',
      '--report-interval', '0.5', '--ndjson', '-', '--threshold', 'e2e.p99<1m',
    ]);
    expect(result.code).toBe(0);
    // Every line valid against the schema; intervals first, the end record last.
    const records = readNdjson(result.stdout) as Array<{ type: string; t: number; completed: number }>;
    expect(records.length).toBeGreaterThanOrEqual(4);
    const end = records.at(-1) as unknown as RunEndRecord;
    const intervals = records.slice(0, -1);
    expect(intervals.every((record) => record.type === 'interval')).toBe(true);
    expect(intervals.map((record) => record.t)).toEqual([...intervals.map((record) => record.t)].sort((a, b) => a - b));
    // The last interval ends with the run: its totals are the end record's.
    expect(end).toMatchObject({ type: 'end', command: 'infinite', stopReason: 'time-limit', interrupted: false, exitCode: 0 });
    expect(end.thresholds).toMatchObject({ passed: true, results: [{ expression: 'e2e.p99<1m', passed: true }] });
    expect(intervals.at(-1)).toMatchObject({ t: end.t, completed: end.counts.completed });
    expect(end.counts.completed).toBeGreaterThan(0);
    expect(result.stderr).toMatch(/^Scheduler stopped\. Total workflows: \d+/m);
    expect(result.stderr).toMatch(/^Concurrent: /m);
  });
});
