import { accessSync, closeSync, constants, lstatSync, openSync, readlinkSync, realpathSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import type { RunConfig } from './options.js';

/** The output path that means stdout. */
export const STDOUT = '-';

/**
 * Where a write to `path` really lands: a symlink's final target (also when that does not exist yet),
 * else the path itself.
 */
function resolveTarget(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    // A dangling symlink: write where it points, so the link stays a link.
    try {
      return resolve(dirname(path), readlinkSync(path));
    } catch {
      return path;
    }
  }
}

/** Temp file in the same directory, then rename: readers see the old content or the new, never half. */
function replaceAtomically(path: string, content: string): void {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  try {
    writeFileSync(temporary, content);
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}

/** What is at an output path, and where a write to it lands. */
interface OutputTarget {
  target: string;
  /**
   * descriptor: one of this process's open files (/dev/stdout, /dev/fd/N), appended to, never
   * replaced (the shell's file would lose what else went to it); other: a device, FIFO or socket.
   */
  kind: 'regular' | 'missing' | 'directory' | 'descriptor' | 'other';
}

const PROCESS_DESCRIPTOR = /^\/(dev\/(stdout|stderr|fd\/)|proc\/[^/]+\/fd\/)/;

function classify(path: string): OutputTarget {
  if (PROCESS_DESCRIPTOR.test(resolve(path))) return { target: path, kind: 'descriptor' };
  const target = resolveTarget(path);
  try {
    const stats = lstatSync(target);
    return { target, kind: stats.isFile() ? 'regular' : stats.isDirectory() ? 'directory' : 'other' };
  } catch {
    return { target, kind: 'missing' };
  }
}

/**
 * How long a write waits for a named pipe's reader (to open it, or to read what is queued) before it
 * counts as lost. A blocking open or write would freeze the process, signals included, for as long as
 * nobody reads.
 */
const PIPE_WAIT_MS = 5000;

const pause = (ms: number): void => {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
};

function isFifo(path: string): boolean {
  try {
    return lstatSync(path).isFIFO();
  } catch {
    return false;
  }
}

/** Opens an output for writing; a named pipe without blocking, waiting a bounded time for its reader. */
function openOutput(target: string, flags: number): number {
  if (!isFifo(target)) return openSync(target, flags);
  const deadline = Date.now() + PIPE_WAIT_MS;
  for (;;) {
    try {
      return openSync(target, flags | constants.O_NONBLOCK);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENXIO') throw error;
      if (Date.now() > deadline) throw new Error(`no process read the named pipe within ${PIPE_WAIT_MS / 1000}s`);
      pause(10);
    }
  }
}

/** Writes all of `content`; a pipe that stays full longer than PIPE_WAIT_MS fails the write. */
function writeAll(fd: number, content: string): void {
  const bytes = Buffer.from(content);
  const deadline = Date.now() + PIPE_WAIT_MS;
  for (let offset = 0; offset < bytes.length; ) {
    try {
      offset += writeSync(fd, bytes, offset);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
      if (Date.now() > deadline) throw new Error(`the named pipe's reader took nothing for ${PIPE_WAIT_MS / 1000}s`);
      pause(1);
    }
  }
}

/** Writes through to a device or a named pipe (never replaced by a file). */
function writeThrough(target: string, content: string): void {
  const fd = openOutput(target, constants.O_WRONLY);
  try {
    writeAll(fd, content);
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes a whole output file. A regular file (or a new one) is replaced atomically; a symlink's target
 * is written, the link kept; a device or FIFO (/dev/null, a named pipe) is written through, and
 * /dev/stdout appended to: never replaced by a file. Synchronous, so it also works on the way out of
 * a forced exit.
 */
export function writeFileAtomic(path: string, content: string): void {
  const { target, kind } = classify(path);
  try {
    if (kind === 'directory') throw new Error('it is a directory');
    if (kind === 'descriptor') writeFileSync(target, content, { flag: 'a' });
    else if (kind === 'other') writeThrough(target, content);
    else replaceAtomically(target, content);
  } catch (error) {
    throw new UsageError(`cannot write ${path}: ${writeFailureReason(error, path)}`);
  }
}

/**
 * Why a write failed, in the user's terms: the temp file's name (in node's message) is ours, not
 * theirs, so a file-system error is told by its code (ENOENT: the directory does not exist).
 */
function writeFailureReason(error: unknown, path: string): string {
  const { code, message } = error as NodeJS.ErrnoException;
  if (code === 'ENOENT') return 'its directory does not exist (ENOENT)';
  if (code) return code;
  return message.replaceAll(/'[^']*\.tmp'/g, `'${path}'`);
}

/**
 * Refuses, before the run, an output that cannot be written: a directory, a missing or read-only
 * directory (a file there is replaced by a rename), a device or FIFO not open to writing.
 */
export function checkWritable(path: string, option: string): void {
  if (path === STDOUT) return;
  const { target, kind } = classify(path);
  if (kind === 'directory') throw new UsageError(`cannot write ${option} ${path}: it is a directory`);
  const throughFile = kind === 'descriptor' || kind === 'other';
  try {
    accessSync(throughFile ? target : dirname(target), constants.W_OK);
  } catch {
    const what = throughFile ? 'it is not writable' : 'its directory does not exist or is not writable';
    throw new UsageError(`cannot write ${option} ${path}: ${what}`);
  }
}

/** Every output of a run: checked before anything connects, and at most one of them on stdout. */
export function checkOutputs(config: Pick<RunConfig, 'json' | 'html' | 'ndjson'>): void {
  checkOneStdout(config);
  for (const key of ['json', 'html', 'ndjson'] as const) {
    const path = config[key];
    if (path) checkWritable(path, `--${key}`);
  }
}

/** Writes a whole output to stdout (`-`) or to a file; throws an Error naming the output when it fails. */
export function writeOutput(path: string, content: string): void {
  if (path !== STDOUT) return writeFileAtomic(path, content);
  try {
    // Straight to the descriptor, so a failure (EPIPE, ENOSPC) is seen here; stdout pipes are synchronous.
    writeFileSync(1, content);
  } catch (error) {
    throw new UsageError(`cannot write to stdout: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

/** At most one output may take stdout; else the machine-readable streams would be mixed into one. */
export function checkOneStdout(config: Pick<RunConfig, 'json' | 'html' | 'ndjson'>): void {
  const onStdout = (['json', 'html', 'ndjson'] as const).filter((key) => config[key] === STDOUT).map((key) => `--${key} -`);
  if (onStdout.length > 1) throw new UsageError(`only one output can go to stdout, but ${onStdout.join(' and ')} both ask for it`);
}

/** Whether an output goes to stdout: then the human lines go to stderr. */
export function usesStdout(config: Pick<RunConfig, 'json' | 'html' | 'ndjson'>): boolean {
  return config.json === STDOUT || config.html === STDOUT || config.ndjson === STDOUT;
}

/**
 * Appends one JSON object per line to a file, or to stdout for "-". The file is opened at the first
 * record: a run that never got going (no server) leaves no empty file behind.
 */
export class NdjsonWriter {
  private fd: number | undefined;
  private failure: string | undefined;

  /** `onFailed` hears once that the reader went away (EPIPE) or the disk refused; the run goes on without it. */
  constructor(
    private readonly target: string,
    private readonly onFailed: (reason: string) => void = () => {},
  ) {}

  /**
   * True once a record could not be written (a full disk, an I/O error): output was lost. A reader of
   * stdout that went away (EPIPE, `| head`) took what it wanted: that is not a loss.
   */
  get lost(): boolean {
    return this.failure !== undefined && !(this.target === STDOUT && this.failure === 'EPIPE');
  }

  write(record: object): void {
    if (this.failure) return;
    try {
      this.fd ??= this.target === STDOUT ? 1 : openOutput(classify(this.target).target, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT);
      writeAll(this.fd, `${JSON.stringify(record)}\n`);
    } catch (error) {
      this.failure = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      this.onFailed(`--ndjson ${this.target}: ${this.failure}; no more records`);
    }
  }

  close(): void {
    if (this.fd !== undefined && this.fd !== 1) closeSync(this.fd);
    this.fd = undefined;
  }
}
