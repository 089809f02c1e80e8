import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, inject, it } from 'vitest';
import { CliProcess, emptyDir, uniqueQueue } from '../helpers/cli.js';

const address = inject('temporalAddress');
const schema = JSON.parse(readFileSync(new URL('../../src/report/result.schema.json', import.meta.url), 'utf8'));
const validate = new Ajv({ allErrors: true }).compile(schema);

// Fixed "random" moments (ms after spawn): loading, connecting, bundling the worker (start-up lasts about
// a second), running, draining. Before ~50 ms Node itself is still booting and no program can handle a
// signal yet; 300 ms leaves room for a loaded CI machine.
const MOMENTS = [300, 450, 600, 800, 1000, 1300, 1700, 2200, 2800, 3500, 4200];

describe('SIGTERM at many moments of a run', () => {
  it.each(MOMENTS)('after %i ms: an end line, a valid JSON result, exit 0 (infinite), no stack trace', async (delay) => {
    const json = join(emptyDir(), 'r.json');
    const cli = new CliProcess(['infinite', '--address', address, '--task-queue', uniqueQueue(`trial${delay}`), '--worker',
      '--concurrency', '5', '--report-interval', '0.3', '--json', json]);
    await new Promise((resolve) => setTimeout(resolve, delay));
    cli.signal('SIGTERM');
    const result = await cli.exited;
    expect(result.signal, result.stderr).toBeNull(); // handled, not killed
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^Scheduler stopped\. Total workflows: \d+, Runtime: \d+\.\d\ds, Average rate: \d+\.\d\d wf\/s$/m);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(json)).toBe(true);
    const run = JSON.parse(readFileSync(json, 'utf8'));
    expect(validate(run), JSON.stringify(validate.errors)).toBe(true);
    expect(run).toMatchObject({ interrupted: true, stopReason: 'stopped', exitCode: 0 });
    expect(run.counts.inFlight).toBe(0); // drained
  });
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
  it.each([250, 700, 1500, 3000, 5000])('after %i ms: exit 0, a valid JSON result, and no dev server left behind', async (delay) => {
    // The dev server's data directory lives under this TMPDIR: any process still naming it is an orphan.
    const tmp = mkdtempSync(join(tmpdir(), 'sched-bench-orphan-'));
    const json = join(tmp, 'r.json');
    const cli = new CliProcess(['infinite', '--dev-server', '--concurrency', '5', '--report-interval', '0.3', '--json', json], { env: { TMPDIR: tmp } });
    const sent = Date.now() + delay;
    if (delay >= 3000) {
      // By now the server runs: the marker finds it (so finding nothing afterwards means something).
      await cli.waitFor(/Dev server started at/);
      expect(processesMentioning(tmp).length).toBeGreaterThan(0);
    }
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, sent - Date.now())));
    cli.signal('SIGTERM');
    const result = await cli.exited;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    const run = JSON.parse(readFileSync(json, 'utf8'));
    expect(validate(run), JSON.stringify(validate.errors)).toBe(true);
    expect(run).toMatchObject({ interrupted: true, exitCode: 0 });
    expect(processesMentioning(tmp)).toEqual([]);
  });
});
