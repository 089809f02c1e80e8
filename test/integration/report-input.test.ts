import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/report/result.js';
import { emptyDir, runCli } from '../helpers/cli.js';
import { makeRunResult, makeSchedulesResult } from '../helpers/results.js';

const dir = emptyDir();
const write = (name: string, document: unknown): string => {
  const path = join(dir, name);
  writeFileSync(path, typeof document === 'string' ? document : JSON.stringify(document));
  return path;
};

/** The built CLI refuses with exactly one line on stderr, exit 2. */
async function refusal(args: string[]): Promise<string> {
  const result = await runCli(['report', ...args], { cwd: dir });
  expect(result.code, result.stdout + result.stderr).toBe(2);
  expect(result.stderr.trim().split('\n'), result.stderr).toHaveLength(1);
  expect(result.stdout).toBe('');
  return result.stderr.trim();
}

describe('report on damaged results: the file and the field, exit 2', () => {
  const run = makeRunResult();
  const { intervals: _intervals, ...withoutIntervals } = run;
  it.each([
    ['no-intervals.json', withoutIntervals, 'intervals: missing'],
    ['bad-histogram.json', { ...run, latency: { ...run.latency, e2e: { ...run.latency.e2e, encoded: 'bm90IGEgaGlzdG9ncmFt' } } }, 'latency.e2e.encoded: not a valid encoded histogram'],
    ['string-count.json', { ...run, measured: { ...run.measured, completed: '100' } }, 'measured.completed: expected an integer, got "100"'],
    ['bad-point.json', { ...run, intervals: { compactions: 0, points: [{ ...run.intervals.points[0], rate: null }] } }, 'intervals.points[0].rate: expected a number, got null'],
    ['truncated.json', JSON.stringify(run).slice(0, 200), 'not JSON ('],
  ])('%s', async (name, document, problem) => {
    const path = write(name, document);
    for (const args of [[path, '--html', join(dir, 'out.html')], ['--merge', path, write(`other-${name}`, makeRunResult({ startedAt: '2026-01-01T00:00:01.000Z' }))]]) {
      expect(await refusal(args)).toContain(`sched-bench: ${path}: ${problem}`);
    }
  });
});

describe('report --merge refuses what cannot be merged (exit 2), --force-merge only for run ids', () => {
  const a = write('a.json', makeRunResult({ runId: 'shared' }, [10, 20]));
  const b = write('b.json', makeRunResult({ runId: 'shared', startedAt: '2026-01-01T00:00:00.300Z' }, [11, 21]));
  const otherRun = write('other-run.json', makeRunResult({ runId: 'other', startedAt: '2026-01-01T00:00:00.500Z' }, [12]));
  const open = write('open.json', makeRunResult({ runId: 'shared', startedAt: '2026-01-01T00:00:00.700Z', loadModel: { kind: 'open', concurrency: 2, rate: 5, wait: true } }, [13]));
  const schedules = write('schedules.json', makeSchedulesResult());

  it('the same file twice', async () => {
    expect(await refusal(['--merge', a, a, '--force-merge'])).toBe(
      `sched-bench: cannot merge ${a} and ${a}: they are the same result (run shared started 2026-01-01T00:00:00.000Z); merging it twice would double its counts`,
    );
  });

  it('open with closed loop, even with --force-merge', async () => {
    expect(await refusal(['--merge', a, open, '--force-merge'])).toMatch(/^sched-bench: cannot merge \S+a\.json and \S+open\.json: loadModel\.kind differs \("closed" vs "open"\)/);
  });

  it('a schedules result with a run result', async () => {
    expect(await refusal(['--merge', a, schedules])).toBe(`sched-bench: cannot merge ${schedules}: it is a schedules result (command "schedules"); only run and infinite results merge`);
  });

  it('different run ids, unless --force-merge', async () => {
    expect(await refusal(['--merge', a, otherRun])).toMatch(/runId differs \("shared" vs "other"\); they are separate runs \(add --force-merge/);
    const merged = join(dir, 'merged.json');
    const forced = await runCli(['report', '--merge', a, otherRun, '--force-merge', '--json', merged], { cwd: dir });
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout).toMatch(/^Merged 2 results of run shared\+other$/m);
    expect((JSON.parse(readFileSync(merged, 'utf8')) as RunResult).latency.e2e.count).toBe(3);
  });

  it('two processes of one run merge', async () => {
    const result = await runCli(['report', '--merge', a, b], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^Merged 2 results of run shared$/m);
  });
});

describe('report on a schedules result', () => {
  it('writes its HTML report', async () => {
    const path = write('schedules-alone.json', makeSchedulesResult());
    const out = join(dir, 'schedules.html');
    const result = await runCli(['report', path, '--html', out], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.trim()).toBe(`Report of schedules run sr1 written to ${out}`);
    expect(readFileSync(out, 'utf8')).toContain('<tr><th>fires expected</th><td>6</td></tr>');
  });
});
