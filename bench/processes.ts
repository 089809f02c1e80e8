/** Paths and helper processes shared by the bench's scenarios (bench/run.ts, bench/peer.ts, bench/startup.ts). */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Compiled to dist/bench-build/bench/*.js: three levels below the project.
export const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
export const BIN = join(ROOT, 'bin', 'sched-bench');

/** A `sched-bench worker` in its own process, so that a client's figures leave the worker out. */
export function startWorker(address: string, taskQueue: string): { stop: () => Promise<void> } {
  const child = spawn(process.execPath, [BIN, 'worker', '--address', address, '--task-queue', taskQueue], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  return {
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
