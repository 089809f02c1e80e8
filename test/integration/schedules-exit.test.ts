import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, inject, it } from 'vitest';
import { schedulesVerdict } from '../../src/cli/schedules-command.js';
import { parseThreshold } from '../../src/metrics/thresholds.js';
import { emptyRunStats } from '../../src/scheduler/scheduler-service.js';
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

describe('schedules verdict', () => {
  const stats = (changes: Partial<ReturnType<typeof emptyRunStats>>) => ({ ...emptyRunStats('infinite', 'closed'), ...changes });
  const passed = [{ ...parseThreshold('missed==0'), value: 0, passed: true }];

  it('fails (1) when the direct load was aborted (its worker died), failed workflows, or left some in flight; thresholds do not excuse it', () => {
    expect(schedulesVerdict({ schedulesLeft: 0, thresholds: [], directLoad: stats({}) })).toBe(0);
    expect(schedulesVerdict({ schedulesLeft: 0, thresholds: [], directLoad: stats({ stopReason: 'aborted' }) })).toBe(1);
    expect(schedulesVerdict({ schedulesLeft: 0, thresholds: passed, directLoad: stats({ stopReason: 'aborted' }) })).toBe(1);
    expect(schedulesVerdict({ schedulesLeft: 0, thresholds: passed, directLoad: stats({ failed: 3 }) })).toBe(1);
    expect(schedulesVerdict({ schedulesLeft: 0, thresholds: [], directLoad: stats({ drainTimedOut: true, inFlight: 2 }) })).toBe(1);
  });

  it('otherwise: schedules left fail (1), failed thresholds give 99, else 0', () => {
    expect(schedulesVerdict({ schedulesLeft: 1, thresholds: passed })).toBe(1);
    expect(schedulesVerdict({ schedulesLeft: 0, thresholds: [{ ...passed[0]!, passed: false }] })).toBe(99);
    expect(schedulesVerdict({ schedulesLeft: 0, thresholds: passed })).toBe(0);
  });
});
