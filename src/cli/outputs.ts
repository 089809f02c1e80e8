import { closeSync, openSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { UsageError } from '../errors.js';

/**
 * Writes a file so that readers see the old content or the new, never half of it: a temp file in the
 * same directory, then rename. Synchronous, so it also works on the way out of a forced exit.
 */
export function writeFileAtomic(path: string, content: string): void {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  try {
    writeFileSync(temporary, content);
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw new UsageError(`cannot write ${path}: ${(error as Error).message}`);
  }
}

/** Appends one JSON object per line to a file, or to stdout for "-". */
export class NdjsonWriter {
  private readonly fd: number;
  private readonly ownsFd: boolean;
  private closedBy: string | undefined;

  /** `onClosed` hears once that the reader went away (EPIPE) or the disk refused; the run goes on without it. */
  constructor(
    private readonly target: string,
    private readonly onClosed: (reason: string) => void = () => {},
  ) {
    if (target === '-') {
      this.fd = 1;
      this.ownsFd = false;
    } else {
      try {
        this.fd = openSync(target, 'a');
      } catch (error) {
        throw new UsageError(`cannot open ${target} for --ndjson: ${(error as Error).message}`);
      }
      this.ownsFd = true;
    }
  }

  write(record: object): void {
    if (this.closedBy) return;
    try {
      writeSync(this.fd, `${JSON.stringify(record)}\n`);
    } catch (error) {
      this.closedBy = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      this.onClosed(`--ndjson ${this.target}: ${this.closedBy}; no more interval records`);
    }
  }

  close(): void {
    if (this.ownsFd) closeSync(this.fd);
  }
}
