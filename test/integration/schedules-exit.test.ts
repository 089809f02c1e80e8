import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, inject, it } from 'vitest';
import type { SchedulesResult } from '../../src/report/schedule-report.js';
import { CliProcess, emptyDir, eventually, runIdOf, temporalCommand, uniqueQueue } from '../helpers/cli.js';
import { readNdjson } from '../helpers/ndjson-schema.js';

const address = inject('temporalAddress');
const temporalCli = inject('temporalCli');

const schema = JSON.parse(readFileSync(new URL('../../src/report/schedules-result.schema.json', import.meta.url), 'utf8'));
const validate = new Ajv({ allErrors: true }).compile(schema);

async function schedulesOnServer(prefix: string): Promise<string[]> {
  const out = await temporalCommand(temporalCli, ['schedule', 'list', '--address', address, '-o', 'json']);
  const listed = out.trim() === '' ? [] : (JSON.parse(out) as Array<{ scheduleId: string }>);
  return listed.map((schedule) => schedule.scheduleId).filter((id) => id.startsWith(prefix));
}

describe('schedules: a forced exit (second signal)', () => {
  it('writes its end line, a valid --json result and the NDJSON end record, deletes the schedules, and exits 130', { timeout: 90_000 }, async () => {
    const dir = emptyDir();
    const json = join(dir, 'forced.json');
    const ndjson = join(dir, 'forced.ndjson');
    // The direct load has no worker: after the first signal its drain waits, so the second one forces the exit.
    const cli = new CliProcess(['schedules', '--address', address, '--task-queue', uniqueQueue('sched-forced'), '--schedules', '2', '--every', '1s',
      '--duration', '60s', '--report-interval', '1', '--concurrency', '2', '--json', json, '--ndjson', ndjson], { announceReady: true });
    await cli.waitUntilReady();
    await cli.waitFor(/^Schedules: 2 Fires: [1-9]/);
    const prefix = `sched-bench-${runIdOf(cli.stdout)}-`;
    cli.signal('SIGINT');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    cli.signal('SIGINT');
    const result = await cli.exitedWithin(30_000);
    expect(result.code, result.stdout + result.stderr).toBe(130);
    expect(result.stdout).toMatch(/^Schedules interrupted \(forced\): [1-9]\d* fires of \d+ expected in [\d.]+s; /m);

    const run = JSON.parse(readFileSync(json, 'utf8')) as SchedulesResult;
    expect(validate(run), JSON.stringify(validate.errors)).toBe(true);
    expect(run).toMatchObject({ interrupted: true, exitCode: 130, schedules: { deleted: true, counts: { schedules: 2 } } });
    expect(run.schedules.counts.taken).toBeGreaterThan(0);
    expect(run.fires).toHaveLength(run.schedules.counts.recorded);
    expect(run.latency.fireLag.count).toBe(run.schedules.counts.recorded);
    expect(run.directLoad).not.toBeNull();

    const records = readNdjson(readFileSync(ndjson, 'utf8'));
    expect(records.at(-1)).toMatchObject({ type: 'end', command: 'schedules', exitCode: 130, interrupted: true, counts: run.schedules.counts });
    await eventually(async () => expect(await schedulesOnServer(prefix)).toEqual([]));
  });
});
