/** Paths and helper processes shared by the bench's scenarios (bench/run.ts, bench/peer.ts, bench/startup.ts). */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Compiled to dist/bench-build/bench/*.js: three levels below the project.
export const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
export const BIN = join(ROOT, 'bin', 'sched-bench');

/** How long a `sched-bench worker` asked to stop may take before it is killed. */
const WORKER_STOP_GRACE_MS = 60_000;

/**
 * A `sched-bench worker` in its own process, so that a client's figures leave the worker out. `exited`
 * says whether it has ended (or never started: a failed spawn is an 'error' event, not a throw).
 */
export function startWorker(address: string, taskQueue: string): Pick<WatchedProcess, 'exited' | 'stderrTail'> & { stop: () => Promise<void> } {
  const worker = spawnWatched(process.execPath, [BIN, 'worker', '--address', address, '--task-queue', taskQueue], undefined);
  return {
    get exited() {
      return worker.exited;
    },
    stderrTail: (lines) => worker.stderrTail(lines),
    stop: () => worker.stop(WORKER_STOP_GRACE_MS),
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** A measured process: its stderr's last lines kept for error messages, and whether it has exited. */
export interface WatchedProcess {
  child: ChildProcess;
  readonly exited: boolean;
  /** The last lines of its stderr, joined with " | " (or "no output"). */
  stderrTail(lines: number): string;
  /** Asks it to stop (SIGTERM, unless `ask` is false: it ends by itself), kills it after `graceMs`, and waits for it. */
  stop(graceMs: number, ask?: boolean): Promise<void>;
}

export function spawnWatched(file: string, args: string[], env: NodeJS.ProcessEnv | undefined): WatchedProcess {
  const child = spawn(file, args, { env: env ?? process.env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-1000)));
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    child.on('error', () => resolve());
    child.on('close', () => resolve());
  }).then(() => {
    exited = true;
  });
  return {
    child,
    get exited() {
      return exited;
    },
    stderrTail: (lines) => stderr.trim().split('\n').slice(-lines).join(' | ') || 'no output',
    stop: async (graceMs, ask = true) => {
      if (ask && !exited) child.kill('SIGTERM');
      const force = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exit;
      clearTimeout(force);
    },
  };
}
