import { readdirSync, readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DEV_SERVER_SEARCH_ATTRIBUTES, type DevServer } from './dev-server-handle.js';
import { installRuntime } from './runtime.js';

/** Pids of this process's children whose command line contains `marker`. */
function childPids(marker: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const parentPid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (parentPid !== process.pid) continue;
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(marker)) pids.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}

/**
 * The fallback dev server: the Temporal SDK downloads the CLI (or reuses its cached copy in the temp
 * directory) and runs `start-dev` itself. Used only when no `temporal` binary is installed.
 */
export class SdkDevServer implements DevServer {
  readonly origin = 'downloaded by the Temporal SDK';

  private constructor(
    private readonly environment: TestWorkflowEnvironment,
    readonly pid: number | undefined,
    private readonly dataDir: string,
  ) {}

  get address(): string {
    return this.environment.address;
  }

  static async start(): Promise<SdkDevServer> {
    // Before the SDK makes its default runtime, whose own SIGINT/SIGTERM handlers would stop the embedded
    // worker at the first signal, leaving the drain to wait for ever (and whose INFO lines go to the console).
    installRuntime();
    const dataDir = mkdtempSync(join(tmpdir(), 'sched-bench-dev-'));
    try {
      const environment = await TestWorkflowEnvironment.createLocal({
        server: {
          ip: '127.0.0.1',
          ui: false,
          dbFilename: join(dataDir, 'temporal.db'),
          log: { format: 'pretty', level: 'error' },
          executable: { type: 'cached-download' },
          extraArgs: DEV_SERVER_SEARCH_ATTRIBUTES,
        },
      });
      return new SdkDevServer(environment, childPids('start-dev')[0], dataDir);
    } catch (error) {
      rmSync(dataDir, { recursive: true, force: true });
      throw error;
    }
  }

  async stop(): Promise<void> {
    await this.environment.teardown();
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  kill(): void {
    if (this.pid !== undefined) {
      try {
        process.kill(this.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
