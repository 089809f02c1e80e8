import { execFileSync } from 'node:child_process';
import { createReadStream, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, inject, it } from 'vitest';
import type { RunResult } from '../../src/report/result.js';
import { freePort } from '../../src/temporal/dev-server.js';
import { CliProcess, emptyDir, runCli, uniqueQueue } from '../helpers/cli.js';
import { readNdjson } from '../helpers/ndjson-schema.js';

const address = inject('temporalAddress');
const resultSchema = JSON.parse(readFileSync(new URL('../../src/report/result.schema.json', import.meta.url), 'utf8'));
const validateResult = new Ajv({ allErrors: true, strictTypes: false }).compile(resultSchema);

function parseResult(text: string): RunResult {
  const result = JSON.parse(text) as RunResult;
  expect(validateResult(result), JSON.stringify(validateResult.errors)).toBe(true);
  return result;
}

/** A short batch against the shared dev server, with an embedded worker. */
const batch = (name: string, ...extra: string[]) => ['run', '--address', address, '--task-queue', uniqueQueue(name), '--worker', '--total', '5', '--report-interval', '0.3', ...extra];

const sbLines = (stderr: string): string[] => stderr.split('\n').filter((line) => line.startsWith('sched-bench: '));

describe('outputs that are not regular files', () => {
  it('--json and --ndjson to /dev/null write through: the device stays a device', async () => {
    const result = await runCli(batch('devnull', '--json', '/dev/null', '--ndjson', '/dev/null'));
    expect(result.code, result.stderr).toBe(0);
    expect(statSync('/dev/null').isCharacterDevice()).toBe(true);
    expect(sbLines(result.stderr)).toEqual([]);
  });

  it('--json to a FIFO: the reader gets the whole result, the FIFO stays a FIFO', async () => {
    const fifo = join(emptyDir(), 'result.pipe');
    execFileSync('mkfifo', [fifo]);
    const cli = new CliProcess(batch('fifo', '--json', fifo));
    let text = '';
    // Reading from the test: the run blocks on the FIFO until this reader opens it.
    const read = new Promise<void>((resolve, reject) => {
      createReadStream(fifo, 'utf8').on('data', (chunk) => (text += chunk)).on('end', resolve).on('error', reject);
    });
    const [result] = await Promise.all([cli.exited, read]);
    expect(result.code, result.stderr).toBe(0);
    expect(parseResult(text).counts.completed).toBe(5);
    expect(lstatSync(fifo).isFIFO()).toBe(true);
  });

  it('--ndjson to a FIFO nobody reads: the run still ends, and the lost output makes it exit 1 with one line', async () => {
    const dir = emptyDir();
    const fifo = join(dir, 'records.pipe');
    execFileSync('mkfifo', [fifo]);
    const json = join(dir, 'result.json');
    const result = await new CliProcess(batch('fifo-unread', '--ndjson', fifo, '--json', json)).exitedWithin(60_000);
    expect(result.code, result.stderr).toBe(1);
    expect(sbLines(result.stderr)).toEqual([expect.stringMatching(/--ndjson .*records\.pipe: no process read the named pipe within 5s; no more records/)]);
    expect(parseResult(readFileSync(json, 'utf8'))).toMatchObject({ exitCode: 1, counts: { completed: 5 } });
  });

  it('--json and --ndjson through symlinks write their targets and keep the links', async () => {
    const dir = emptyDir();
    mkdirSync(join(dir, 'real'));
    writeFileSync(join(dir, 'real', 'result.json'), 'old');
    symlinkSync(join(dir, 'real', 'result.json'), join(dir, 'result.json'));
    symlinkSync(join('real', 'records.ndjson'), join(dir, 'records.ndjson')); // dangling: its target is made
    const result = await runCli(batch('symlink', '--json', join(dir, 'result.json'), '--ndjson', join(dir, 'records.ndjson')));
    expect(result.code, result.stderr).toBe(0);
    expect(lstatSync(join(dir, 'result.json')).isSymbolicLink()).toBe(true);
    expect(lstatSync(join(dir, 'records.ndjson')).isSymbolicLink()).toBe(true);
    expect(parseResult(readFileSync(join(dir, 'real', 'result.json'), 'utf8')).counts.completed).toBe(5);
    expect(readNdjson(readFileSync(join(dir, 'real', 'records.ndjson'), 'utf8')).at(-1)).toMatchObject({ type: 'end', exitCode: 0 });
    expect(readdirSync(join(dir, 'real')).sort()).toEqual(['records.ndjson', 'result.json']); // no temp file left
  });
});

describe('lost output fails the run with one line, the rest of the result intact', () => {
  it('--ndjson /dev/full (ENOSPC): exit 1, one line, and the JSON result has the run', async () => {
    const json = join(emptyDir(), 'result.json');
    const result = await runCli(batch('full-ndjson', '--ndjson', '/dev/full', '--json', json));
    expect(result.code).toBe(1);
    expect(sbLines(result.stderr)).toEqual(['sched-bench: --ndjson /dev/full: ENOSPC; no more records']);
    expect(result.stdout).toMatch(/^Summary: 5 launched, 5 started, 5 completed, 0 failed/m);
    const run = parseResult(readFileSync(json, 'utf8'));
    expect(run).toMatchObject({ exitCode: 1, counts: { completed: 5, failed: 0 } });
  });

  it('--json /dev/full: exit 1 and one line', async () => {
    const result = await runCli(batch('full-json', '--json', '/dev/full'));
    expect(result.code).toBe(1);
    expect(sbLines(result.stderr)).toEqual([expect.stringMatching(/^sched-bench: cannot write \/dev\/full: ENOSPC/)]);
  });

  it('a failing threshold keeps its 99 when output is lost too', async () => {
    const result = await runCli(batch('full-99', '--ndjson', '/dev/full', '--threshold', 'e2e.p99<1µs'));
    expect(result.code).toBe(99);
    expect(sbLines(result.stderr)).toEqual(['sched-bench: --ndjson /dev/full: ENOSPC; no more records']);
  });

  it('a failed connect creates no output file; an unknown variable is warned about, the exit code unchanged', async () => {
    const dir = emptyDir();
    writeFileSync(join(dir, '.env'), 'SCHEDULER_CONCURENCY=5\n');
    const port = await freePort(); // nothing listens there
    const result = await runCli(['run', '--address', `127.0.0.1:${port}`, '--connect-timeout', '1s', '--ndjson', join(dir, 'r.ndjson'), '--json', join(dir, 'r.json')], { cwd: dir });
    expect(result.code).toBe(1);
    expect(sbLines(result.stderr)).toEqual([
      'sched-bench: unknown variable SCHEDULER_CONCURENCY (in .env); did you mean SCHEDULER_CONCURRENCY?',
      expect.stringMatching(/^sched-bench: cannot reach Temporal at 127\.0\.0\.1:\d+: connection refused/),
    ]);
    expect(existsSync(join(dir, 'r.ndjson'))).toBe(false);
    expect(existsSync(join(dir, 'r.json'))).toBe(false);
  });
});

describe('stdout: one output at a time', () => {
  it('--json - writes the JSON result to stdout, the human lines to stderr', async () => {
    const cwd = emptyDir();
    const result = await runCli(batch('json-stdout', '--json', '-'), { cwd });
    expect(result.code, result.stderr).toBe(0);
    expect(parseResult(result.stdout)).toMatchObject({ command: 'run', exitCode: 0, counts: { completed: 5 } });
    expect(result.stderr).toMatch(/^Summary: 5 launched/m);
    expect(readdirSync(cwd)).toEqual([]); // no file named "-"
    // `report` takes "-" the same way.
    writeFileSync(join(cwd, 'saved.json'), result.stdout);
    const report = await runCli(['report', 'saved.json', '--html', '-'], { cwd });
    expect(report.code, report.stderr).toBe(0);
    expect(report.stdout).toMatch(/^<!DOCTYPE html>/i);
    expect(report.stderr).toMatch(/^Report of run \S+ written to stdout$/m);
    expect(readdirSync(cwd)).toEqual(['saved.json']);

  });

  it('--html - writes the HTML report to stdout', async () => {
    const result = await runCli(batch('html-stdout', '--html', '-'));
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^<!DOCTYPE html>/i);
    expect(result.stdout.trimEnd()).toMatch(/<\/html>$/i);
    expect(result.stderr).toMatch(/^Summary: 5 launched/m);
  });
});
