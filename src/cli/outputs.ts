import { closeSync, openSync, renameSync, writeFileSync, writeSync } from 'node:fs';
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
    throw new UsageError(`cannot write ${path}: ${(error as Error).message}`);
  }
}

/** Appends one JSON object per line to a file, or to stdout for "-". */
export class NdjsonWriter {
  private readonly fd: number;
  private readonly ownsFd: boolean;

  constructor(target: string) {
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
    writeSync(this.fd, `${JSON.stringify(record)}\n`);
  }

  close(): void {
    if (this.ownsFd) closeSync(this.fd);
  }
}
