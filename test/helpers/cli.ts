import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect } from 'vitest';

export const BIN = fileURLToPath(new URL('../../bin/sched-bench', import.meta.url));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** Added to a clean environment (no SCHEDULER_* / TEMPORAL_* from the outer shell). */
  env?: Record<string, string>;
  /** Working directory (where .env is read); a fresh empty directory by default. */
  cwd?: string;
  /** Ask the CLI to say when it handles signals (SCHED_BENCH_DEBUG_READY), for `waitUntilReady`. */
  announceReady?: boolean;
}

/** What the bin writes on stderr with SCHED_BENCH_DEBUG_READY set, once SIGINT/SIGTERM are handled. */
export const READY_LINE = 'sched-bench: ready for signals';

function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!/^(SCHEDULER_|TEMPORAL_(?!CLI_PATH))/.test(name) && name !== 'CI') env[name] = value;
  }
  return { ...env, ...extra };
}

export const emptyDir = (): string => mkdtempSync(join(tmpdir(), 'sched-bench-cwd-'));

/** A running `sched-bench` process with its output collected. */
export class CliProcess {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exited: Promise<CliResult>;

  constructor(args: string[], options: CliOptions = {}) {
    this.child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd ?? emptyDir(),
      env: cleanEnv({ ...options.env, ...(options.announceReady ? { SCHED_BENCH_DEBUG_READY: '1' } : {}) }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.on('data', (chunk: Buffer) => (this.stdout += chunk.toString()));
    this.child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = new Promise((resolve) => {
      this.child.on('close', (code, signal) => resolve({ code, signal, stdout: this.stdout, stderr: this.stderr }));
    });
  }

  /** Resolves with the first stdout+stderr line matching `pattern`; rejects after `timeoutMs`. */
  async waitFor(pattern: RegExp, timeoutMs = 30_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const line = `${this.stdout}\n${this.stderr}`.split('\n').find((candidate) => pattern.test(candidate));
      if (line !== undefined) return line;
      if (this.child.exitCode !== null || Date.now() > deadline) {
        throw new Error(`no line matching ${pattern}; stdout:\n${this.stdout}\nstderr:\n${this.stderr}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /**
   * Resolves once the CLI handles SIGINT/SIGTERM (needs `announceReady`): before, a signal would end the
   * process outright, as for any Node program that is still booting.
   */
  async waitUntilReady(timeoutMs = 30_000): Promise<void> {
    await this.waitFor(new RegExp(`^${READY_LINE}$`), timeoutMs);
  }

  /** The result, or a failure naming the output when the process is still running after `timeoutMs` (it is then killed). */
  async exitedWithin(timeoutMs: number): Promise<CliResult> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.child.kill('SIGKILL');
        reject(new Error(`still running after ${timeoutMs / 1000}s; stdout:\n${this.stdout}\nstderr:\n${this.stderr}`));
      }, timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }
}

export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return new CliProcess(args, options).exited;
}

/** The run id from the start line (`... runId=<id>`). */
export function runIdOf(stdout: string): string {
  const match = /runId=(\S+)/.exec(stdout);
  if (!match) throw new Error(`no runId in output:\n${stdout}`);
  return match[1]!;
}

const execFileAsync = promisify(execFile);

/**
 * Counts a run's workflows on the server by execution status, with the Temporal CLI (independent of
 * the code under test). Visibility is eventually consistent, so callers poll with `eventually`.
 */
export async function serverCounts(cli: string, address: string, runId: string): Promise<Record<string, number>> {
  const query = `WorkflowId STARTS_WITH "sched-bench-${runId}-" GROUP BY ExecutionStatus`;
  const { stdout } = await execFileAsync(cli, ['workflow', 'count', '--address', address, '--query', query, '-o', 'json']);
  const parsed = JSON.parse(stdout) as { groups?: Array<{ groupValues: string[]; count: string }> };
  const counts: Record<string, number> = {};
  for (const group of parsed.groups ?? []) counts[group.groupValues[0]!] = Number(group.count);
  return counts;
}

/** Retries `check` until it stops throwing or the time is up (then rethrows its last error). */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

/** A task queue no other test uses, so tests sharing the dev server cannot steal each other's tasks. */
export const uniqueQueue = (name: string): string => `${name}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;

interface HistoryEvent {
  eventType: string;
  workflowExecutionStartedEventAttributes?: { input?: { payloads?: Array<{ data: string }> } };
  workflowExecutionCompletedEventAttributes?: { result?: { payloads?: Array<{ data: string }> } };
}

/** A workflow's history as the Temporal CLI shows it (independent of the code under test). */
export async function workflowHistory(cli: string, address: string, workflowId: string): Promise<HistoryEvent[]> {
  const { stdout } = await execFileAsync(cli, ['workflow', 'show', '--address', address, '--workflow-id', workflowId, '-o', 'json']);
  return (JSON.parse(stdout) as { events: HistoryEvent[] }).events;
}

/** Decodes a JSON payload of a history event. */
export const decodePayload = (data: string): unknown => JSON.parse(Buffer.from(data, 'base64').toString('utf8'));

/** Counts workflows on the server matching a visibility query. */
export async function serverCount(cli: string, address: string, query: string): Promise<number> {
  const { stdout } = await execFileAsync(cli, ['workflow', 'count', '--address', address, '--query', query, '-o', 'json']);
  return Number((JSON.parse(stdout) as { count: string }).count);
}

/** Whether the server still knows a workflow id (describe succeeds). */
export async function workflowExists(cli: string, address: string, workflowId: string): Promise<boolean> {
  try {
    await execFileAsync(cli, ['workflow', 'describe', '--address', address, '--workflow-id', workflowId]);
    return true;
  } catch {
    return false;
  }
}

export async function temporalCommand(cli: string, args: string[]): Promise<string> {
  return (await execFileAsync(cli, args)).stdout;
}

/** One line on stderr, naming the problem, with no stack trace and nothing on stdout (a usage error's shape). */
export function expectOneLine(result: { stdout: string; stderr: string }, pattern: RegExp): void {
  const lines = result.stderr.trimEnd().split('\n');
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^sched-bench: /);
  expect(lines[0]).toMatch(pattern);
  expect(result.stdout).toBe('');
}
