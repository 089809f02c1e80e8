import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';

/**
 * A real `temporal server start-dev` of one test's own, on a fixed port and SQLite file, that the test
 * can SIGKILL and start again on the same port and database (a crash and a restart of the cluster).
 */
export class RestartableDevServer {
  private child: ChildProcess | undefined;
  private readonly dataDir = mkdtempSync(join(tmpdir(), 'sched-bench-restartable-'));

  private constructor(
    /** The real binary, not a wrapper script, so a SIGKILL reaches the server itself. */
    private readonly binary: string,
    private readonly cli: string,
    readonly address: string,
    private readonly extraArgs: string[],
  ) {}

  static async create(binary: string, cli: string, extraArgs: string[] = []): Promise<RestartableDevServer> {
    return new RestartableDevServer(binary, cli, `127.0.0.1:${await freePort()}`, extraArgs);
  }

  /** Starts (or restarts) the server and resolves once it answers. */
  async start(timeoutMs = 30_000): Promise<void> {
    const port = this.address.split(':')[1]!;
    this.child = spawn(
      this.binary,
      ['server', 'start-dev', '--headless', '--ip', '127.0.0.1', '--port', port,
        '--db-filename', join(this.dataDir, 'temporal.db'), '--log-level', 'error',
        '--search-attribute', 'SchedBenchRunId=Keyword', ...this.extraArgs],
      { stdio: 'ignore' },
    );
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        execFileSync(this.cli, ['operator', 'namespace', 'describe', '--namespace', 'default', '--address', this.address], { stdio: 'ignore' });
        return;
      } catch {
        if (Date.now() > deadline || this.child.exitCode !== null) throw new Error(`dev server on ${this.address} did not come up`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  }

  /** SIGKILL, as a crash would: no graceful shutdown. Resolves once the process is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  async dispose(): Promise<void> {
    await this.kill();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
