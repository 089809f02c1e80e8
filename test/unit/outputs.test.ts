import { spawn, execFileSync } from 'node:child_process';
import { closeSync, existsSync, lstatSync, mkdirSync, openSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  checkOneStdout, checkWritable, NdjsonWriter, usesStdout, writeFileAtomic,
} from '../../src/cli/outputs.js';
import { UsageError } from '../../src/errors.js';
import { LatencyHistogram } from '../../src/metrics/latency-histogram.js';
import { evaluateThresholds, parseThreshold } from '../../src/metrics/thresholds.js';
import { finalInterval, intervalRecord, runEndRecord, scheduleRecord, schedulesEndRecord } from '../../src/report/result.js';
import { validateNdjsonRecord } from '../helpers/ndjson-schema.js';
import { makeInterval, makeStats } from '../helpers/run-stats.js';

const tempDir = (): string => mkdtempSync(join(tmpdir(), 'sched-bench-outputs-'));

describe('writeFileAtomic writes files atomically and anything else through', () => {
  it('replaces a regular file, and creates a new one, leaving no temp file', () => {
    const dir = tempDir();
    const file = join(dir, 'r.json');
    writeFileAtomic(file, 'one');
    writeFileAtomic(file, 'two');
    expect(readFileSync(file, 'utf8')).toBe('two');
    expect(execFileSync('ls', ['-A', dir], { encoding: 'utf8' }).trim()).toBe('r.json');
  });

  it('writes the target of a symlink and keeps the link, also when the target does not exist yet', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'real'));
    writeFileSync(join(dir, 'real', 'target.json'), 'old');
    symlinkSync(join('real', 'target.json'), join(dir, 'link.json'));
    writeFileAtomic(join(dir, 'link.json'), 'new');
    expect(lstatSync(join(dir, 'link.json')).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(dir, 'real', 'target.json'), 'utf8')).toBe('new');

    symlinkSync(join('real', 'later.json'), join(dir, 'dangling.json'));
    writeFileAtomic(join(dir, 'dangling.json'), 'created');
    expect(lstatSync(join(dir, 'dangling.json')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(dir, 'dangling.json'))).toBe(join('real', 'later.json'));
    expect(readFileSync(join(dir, 'real', 'later.json'), 'utf8')).toBe('created');
  });

  it('writes through /dev/null: the device stays a device', () => {
    writeFileAtomic('/dev/null', 'nothing');
    expect(statSync('/dev/null').isCharacterDevice()).toBe(true);
  });

  it('writes through a FIFO to its reader', async () => {
    const fifo = join(tempDir(), 'pipe');
    execFileSync('mkfifo', [fifo]);
    const reader = spawn('cat', [fifo]);
    let read = '';
    reader.stdout.on('data', (chunk: Buffer) => (read += chunk.toString()));
    const closed = new Promise((resolve) => reader.on('close', resolve));
    writeFileAtomic(fifo, 'through the pipe\n');
    await closed;
    expect(read).toBe('through the pipe\n');
    expect(lstatSync(fifo).isFIFO()).toBe(true);
  });

  it('a FIFO nobody reads fails the write within a bounded time instead of freezing the process', () => {
    const fifo = join(tempDir(), 'unread');
    execFileSync('mkfifo', [fifo]);
    const startedAt = Date.now();
    expect(() => writeFileAtomic(fifo, 'nobody listens\n')).toThrow(/cannot write .*unread: no process read the named pipe within 5s/);
    expect(Date.now() - startedAt).toBeLessThan(30_000);
    expect(lstatSync(fifo).isFIFO()).toBe(true);
  });

  it('appends to /dev/fd/N (as /dev/stdout): the file the shell opened keeps what went before', () => {
    const file = join(tempDir(), 'stdout.txt');
    const fd = openSync(file, 'w');
    try {
      writeSync(fd, 'human line\n');
      const inode = statSync(file).ino;
      writeFileAtomic(`/dev/fd/${fd}`, '{"json":true}\n');
      expect(readFileSync(file, 'utf8')).toBe('human line\n{"json":true}\n');
      expect(statSync(file).ino).toBe(inode);
      expect(() => checkWritable(`/dev/fd/${fd}`, '--json')).not.toThrow();
    } finally {
      closeSync(fd);
    }
  });

  it('fails with one message on a full device and on a directory', () => {
    expect(() => writeFileAtomic('/dev/full', 'x')).toThrow(UsageError);
    expect(() => writeFileAtomic('/dev/full', 'x')).toThrow(/^cannot write \/dev\/full: ENOSPC/);
    expect(() => writeFileAtomic(tempDir(), 'x')).toThrow(/: it is a directory$/);
  });
});

describe('checkWritable, before the run', () => {
  it('accepts a new file, a device, a FIFO; refuses a directory and a missing directory', () => {
    const dir = tempDir();
    const fifo = join(dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
    expect(() => checkWritable(join(dir, 'new.json'), '--json')).not.toThrow();
    expect(() => checkWritable('/dev/null', '--json')).not.toThrow();
    expect(() => checkWritable(fifo, '--ndjson')).not.toThrow();
    expect(() => checkWritable('-', '--json')).not.toThrow();
    expect(() => checkWritable(dir, '--json')).toThrow(`cannot write --json ${dir}: it is a directory`);
    expect(() => checkWritable(join(dir, 'missing', 'r.json'), '--html')).toThrow(/^cannot write --html .*: its directory does not exist or is not writable$/);
  });
});

describe('stdout is one output at a time', () => {
  it.each([
    [{ json: '-', html: undefined, ndjson: '-' }, /--json - and --ndjson - both ask for it/],
    [{ json: '-', html: '-', ndjson: undefined }, /--json - and --html - both ask for it/],
    [{ json: undefined, html: '-', ndjson: '-' }, /--html - and --ndjson - both ask for it/],
  ])('%j is refused', (config, message) => {
    expect(() => checkOneStdout(config)).toThrow(UsageError);
    expect(() => checkOneStdout(config)).toThrow(message);
  });

  it('one on stdout is fine, and moves the human lines', () => {
    expect(() => checkOneStdout({ json: '-', html: 'r.html', ndjson: 'r.ndjson' })).not.toThrow();
    expect(usesStdout({ json: '-', html: undefined, ndjson: undefined })).toBe(true);
    expect(usesStdout({ json: 'r.json', html: undefined, ndjson: undefined })).toBe(false);
  });
});

describe('lost output', () => {
  it('NdjsonWriter creates its file only with the first record', () => {
    const file = join(tempDir(), 'r.ndjson');
    const writer = new NdjsonWriter(file);
    expect(existsSync(file)).toBe(false);
    writer.write({ type: 'interval' });
    writer.write({ type: 'end' });
    writer.close();
    expect(readFileSync(file, 'utf8')).toBe('{"type":"interval"}\n{"type":"end"}\n');
    expect(writer.lost).toBe(false);
  });

  it('NdjsonWriter on a full disk: says so once, writes no more, and counts as lost', () => {
    const reasons: string[] = [];
    const writer = new NdjsonWriter('/dev/full', (reason) => reasons.push(reason));
    writer.write({ type: 'interval' });
    writer.write({ type: 'end' });
    writer.close();
    expect(reasons).toEqual(['--ndjson /dev/full: ENOSPC; no more records']);
    expect(writer.lost).toBe(true);
  });
});

describe('NDJSON records', () => {
  const histogram = LatencyHistogram.create();
  for (const value of [5, 10, 20]) histogram.recordMillis(value);
  const thresholds = evaluateThresholds([parseThreshold('e2e.p99<1s'), parseThreshold('failed.count==0')], {
    latency: { e2e: histogram.summary() }, completed: 100, failed: 0, completedPerSecond: 23,
  });

  it('the last interval covers the time since the last report', () => {
    const stats = makeStats({ elapsedMs: 12_500, completed: 60, started: 60, launched: 60 });
    const last = finalInterval(makeInterval({ elapsedMs: 10_000, completed: 45 }), stats, { p50: 3, p99: 9 });
    expect(last).toMatchObject({ elapsedMs: 12_500, intervalMs: 2500, completed: 60, completedInInterval: 15, rate: 6, latencyP50Ms: 3, latencyP99Ms: 9 });
    expect(finalInterval(undefined, stats, { p50: 0, p99: 0 })).toMatchObject({ intervalMs: 12_500, completedInInterval: 60 });
    expect(finalInterval(makeInterval({ elapsedMs: 12_500 }), stats, { p50: 0, p99: 0 })).toBeUndefined();
  });

  it('every kind of record is valid against the schema, and the schema rejects a broken one', () => {
    const stats = makeStats();
    const end = runEndRecord({ runId: 'r1', command: 'run', stats, interrupted: false, exitCode: 0, thresholds, latency: { start: histogram.summary(), e2e: histogram.summary() } });
    const counts = { schedules: 2, expected: 8, taken: 8, skipped: 0, missed: 0, buffered: 0, recorded: 8, unaccounted: 0 };
    const scheduleReport = { ...counts, elapsedMs: 4100, fireLagP50Ms: 12, fireLagP99Ms: 30 };
    const schedulesEnd = schedulesEndRecord({
      runId: 'r2', elapsedMs: 4100, stopReason: 'window-done', exitCode: 99, counts, failedFires: 0,
      latency: { fireLag: histogram.summary(), pickupLag: LatencyHistogram.create().summary() }, thresholds: [],
    });
    for (const record of [intervalRecord('r1', makeInterval()), end, scheduleRecord('r2', scheduleReport), schedulesEnd]) {
      expect(validateNdjsonRecord(JSON.parse(JSON.stringify(record))), JSON.stringify(validateNdjsonRecord.errors)).toBe(true);
    }
    expect(end).toMatchObject({ type: 'end', command: 'run', stopReason: 'total-reached', thresholds: { passed: true } });
    expect(schedulesEnd).toMatchObject({ type: 'end', command: 'schedules', thresholds: { passed: null, results: [] } });
    expect(validateNdjsonRecord({ ...end, command: 'schedules' })).toBe(false);
    expect(validateNdjsonRecord({ ...intervalRecord('r1', makeInterval()), type: 'end' })).toBe(false);
    expect(validateNdjsonRecord({ ...end, exitCode: 3 })).toBe(false);
    const { counts: _counts, ...withoutCounts } = end;
    expect(validateNdjsonRecord(withoutCounts)).toBe(false);
  });
});
