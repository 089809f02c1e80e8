import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, inject, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { CliProcess, emptyDir, uniqueQueue } from '../helpers/cli.js';

const address = inject('temporalAddress');
const schema = JSON.parse(readFileSync(new URL('../../src/report/result.schema.json', import.meta.url), 'utf8'));
const validate = new Ajv({ allErrors: true }).compile(schema);

// Fixed "random" moments (ms after the CLI handles signals): loading the CLI and the SDK, connecting,
// bundling the worker (start-up lasts about a second, many on a loaded machine), running, draining. They
// count from the ready line, not the spawn: before it Node is still booting, and how long that takes
// depends on the machine's load, not on sched-bench.
const MOMENTS = [0, 50, 150, 300, 500, 800, 1300, 1900, 2600, 3400, 4200];

async function expectStoppedRun(cli: CliProcess, json: string): Promise<void> {
  const result = await cli.exitedWithin(45_000);
  expect(result.signal, result.stderr).toBeNull(); // handled, not killed
  expect(result.code, result.stderr).toBe(0);
  expect(result.stdout).toMatch(/^Scheduler stopped\. Total workflows: \d+, Runtime: \d+\.\d\ds, Average rate: \d+\.\d\d wf\/s$/m);
  expect(result.stderr).not.toMatch(/\n\s+at /);
  expect(existsSync(json)).toBe(true);
  const run = JSON.parse(readFileSync(json, 'utf8'));
  expect(validate(run), JSON.stringify(validate.errors)).toBe(true);
  expect(run).toMatchObject({ interrupted: true, stopReason: 'stopped', exitCode: 0 });
  expect(run.counts.inFlight).toBe(0); // drained
}

describe('SIGTERM at many moments of a run', () => {
  it.each(MOMENTS)('after %i ms: an end line, a valid JSON result, exit 0 (infinite), no stack trace', async (delay) => {
    const json = join(emptyDir(), 'r.json');
    const cli = new CliProcess(['infinite', '--address', address, '--task-queue', uniqueQueue(`trial${delay}`), '--worker',
      '--concurrency', '5', '--report-interval', '0.3', '--json', json], { announceReady: true });
    await cli.waitUntilReady();
    await new Promise((resolve) => setTimeout(resolve, delay));
    cli.signal('SIGTERM');
    await expectStoppedRun(cli, json);
  });

  it('a SIGTERM pending while the bin hands the signals over to the CLI is not lost', async () => {
    // The fixture sends it at the worst moment (see there); a lost signal would leave the run going for ever.
    const json = join(emptyDir(), 'r.json');
    const preload = fileURLToPath(new URL('../fixtures/signal-at-handover.cjs', import.meta.url));
    const cli = new CliProcess(['infinite', '--address', address, '--task-queue', uniqueQueue('handover'), '--worker',
      '--concurrency', '5', '--report-interval', '0.3', '--json', json], { env: { NODE_OPTIONS: `--require ${preload}` } });
    await cli.waitFor(/^test: SIGTERM sent at the hand-over$/);
    await expectStoppedRun(cli, json);
    expect(cli.stderr).toMatch(/^Received interrupt signal, stopping scheduler\.\.\.$/m);
  }, 120_000);
});

/** Processes whose command line mentions `marker` (e.g. a private dev server's data directory). */
function processesMentioning(marker: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(marker)) pids.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}

describe('SIGTERM at many moments of a --dev-server run', () => {
  // Before the dev server is spawned, while it starts up, while the worker bundles, while running.
  it.each([0, 450, 1300, 2800, 4800])('after %i ms: exit 0, a valid JSON result, and no dev server left behind', async (delay) => {
    // The dev server's data directory lives under this TMPDIR: any process still naming it is an orphan.
    const tmp = mkdtempSync(join(tmpdir(), 'sched-bench-orphan-'));
    const json = join(tmp, 'r.json');
    const cli = new CliProcess(['infinite', '--dev-server', '--concurrency', '5', '--report-interval', '0.3', '--json', json],
      { env: { TMPDIR: tmp }, announceReady: true });
    await cli.waitUntilReady();
    const sent = Date.now() + delay;
    if (delay >= 3000) {
      // By now the server runs: the marker finds it (so finding nothing afterwards means something).
      await cli.waitFor(/Dev server started at/);
      expect(processesMentioning(tmp).length).toBeGreaterThan(0);
    }
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, sent - Date.now())));
    cli.signal('SIGTERM');
    const result = await cli.exitedWithin(45_000);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    const run = JSON.parse(readFileSync(json, 'utf8'));
    expect(validate(run), JSON.stringify(validate.errors)).toBe(true);
    expect(run).toMatchObject({ interrupted: true, exitCode: 0 });
    expect(processesMentioning(tmp)).toEqual([]);
  }, 120_000); // room for start-up on a loaded machine plus the 45 s bound on the exit
});
