import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { writeFileAtomic } from '../../src/cli/outputs.js';
import { ShutdownSignals } from '../../src/cli/signals.js';
import { UsageError } from '../../src/errors.js';
import { makeCapacityDocument } from '../helpers/capacity-results.js';

const dir = mkdtempSync(join(tmpdir(), 'sched-bench-report-outputs-'));

async function report(args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(['report', ...args], {}, dir, { out: (line) => out.push(line), err: (line) => err.push(line) }, new ShutdownSignals());
  return { code, out, err };
}

describe('report outputs that cannot be written', async () => {
  const file = join(dir, 'c.json');
  writeFileSync(file, JSON.stringify(await makeCapacityDocument({ knee: 40, runId: 'c' })));

  it('an --html (or --merge --json) in a missing directory is refused before anything is read or printed (exit 2), naming the given path', async () => {
    const missing = join(dir, 'nonexistent', 'x.html');
    const result = await report([file, '--html', missing]);
    expect(result.code).toBe(2);
    expect(result.out).toEqual([]);
    expect(result.err).toEqual([`sched-bench: cannot write --html ${missing}: its directory does not exist or is not writable`]);
    const merged = await report([file, file, '--merge', '--json', join(dir, 'nonexistent', 'm.json')]);
    expect(merged.code).toBe(2);
    expect(merged.err).toEqual([`sched-bench: cannot write --json ${join(dir, 'nonexistent', 'm.json')}: its directory does not exist or is not writable`]);
  });

  it('a write that fails after the checks is one line naming the output, and exit 1 (output lost)', async () => {
    // /dev/full passes the check (a writable device) and refuses the write.
    const result = await report([file, '--html', '/dev/full']);
    expect(result.code).toBe(1);
    expect(result.out[0]).toMatch(/^A \S+c\.json: Capacity: /);
    expect(result.out.join('\n')).not.toContain('written to');
    expect(result.err).toEqual(['sched-bench: cannot write /dev/full: ENOSPC']);
  });

  it('a failed atomic write names the given path, never the temp file', () => {
    const missing = join(dir, 'gone', 'x.html');
    expect(() => writeFileAtomic(missing, 'x')).toThrow(UsageError);
    expect(() => writeFileAtomic(missing, 'x')).toThrow(`cannot write ${missing}: its directory does not exist (ENOENT)`);
    let message = '';
    try {
      writeFileAtomic(missing, 'x');
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).not.toMatch(/\.tmp/);
    expect(existsSync(join(dir, 'gone'))).toBe(false);
    expect(readdirSync(dir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });
});
