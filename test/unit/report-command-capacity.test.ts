import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { ShutdownSignals } from '../../src/cli/signals.js';
import { makeCapacityDocument } from '../helpers/capacity-results.js';
import { makeRunResult } from '../helpers/results.js';

const dir = mkdtempSync(join(tmpdir(), 'sched-bench-report-capacity-'));
const write = (name: string, document: unknown): string => {
  const path = join(dir, name);
  writeFileSync(path, typeof document === 'string' ? document : JSON.stringify(document));
  return path;
};

async function report(args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(['report', ...args], {}, dir, { out: (line) => out.push(line), err: (line) => err.push(line) }, new ShutdownSignals());
  return { code, out: out.join('\n').split('\n'), err };
}

describe('sched-bench report on capacity results', async () => {
  const before = await makeCapacityDocument({ knee: 140, runId: 'before' });
  const after = await makeCapacityDocument({ knee: 80, runId: 'after' });
  const a = write('before.json', before);
  const b = write('after.json', after);
  const run = write('run.json', makeRunResult());

  it('compares two searches in text without --html: each answer, then the change', async () => {
    const result = await report([a, b]);
    expect(result.err).toEqual([]);
    expect(result.code).toBe(0);
    expect(result.out).toHaveLength(3);
    expect(result.out[0]).toMatch(new RegExp(`^A ${a}: Capacity: 140 wf/s at e2e\\.p99<2s \\(last passing step 140 wf/s, first failing 145 wf/s: e2e\\.p99<2s; .*\\) · search stopped: found · 9 steps$`));
    expect(result.out[1]).toMatch(new RegExp(`^B ${b}: Capacity: 80 wf/s at e2e\\.p99<2s .* · search stopped: found · \\d+ steps$`));
    expect(result.out[2]).toBe('Capacity: 140 → 80 wf/s (−43%)');
  });

  it('writes the HTML report too when --html is given', async () => {
    const out = join(dir, 'compare.html');
    const result = await report([a, b, '--html', out]);
    expect(result.code, result.err.join('\n')).toBe(0);
    expect(result.out.at(-1)).toBe(`Report of 2 capacity searches written to ${out}`);
    expect(result.out[2]).toBe('Capacity: 140 → 80 wf/s (−43%)');
    const html = readFileSync(out, 'utf8');
    expect(html).toContain('id="chart-capacity-knee"');
    expect(html).toContain('Capacity: 140 → 80 wf/s (−43%)');
  });

  it('a run with a capacity search: one report with both, --html still required for the run', async () => {
    const refused = await report([run, a]);
    expect(refused.code).toBe(2);
    expect(refused.err).toEqual(['sched-bench: report needs --html <file> to write (or --merge); only capacity results are compared without it']);
    const out = join(dir, 'mixed.html');
    const result = await report([run, a, '--html', out]);
    expect(result.code, result.err.join('\n')).toBe(0);
    expect(result.out[0]).toMatch(/^B \S+before\.json: Capacity: 140 wf\/s/);
    expect(result.out.at(-1)).toBe(`Report of 2 runs written to ${out}`);
    const html = readFileSync(out, 'utf8');
    expect(html).toContain('id="chart-rate"');
    expect(html).toContain('id="chart-capacity-knee"');
  });

  it('--merge refuses a capacity search in one line (exit 2)', async () => {
    for (const files of [[a, b], [run, a]]) {
      const result = await report(['--merge', ...files]);
      expect(result.code).toBe(2);
      expect(result.out).toEqual(['']);
      expect(result.err).toEqual([`sched-bench: cannot merge ${a}: it is a capacity search (command "capacity"); only run and infinite results merge`]);
    }
  });

  it('a damaged capacity result: one line naming the file and the field (exit 2)', async () => {
    const steps = structuredClone(before.steps);
    steps[1]!.latency.e2e!.encoded = 'bm90IGEgaGlzdG9ncmFt';
    const damaged = write('damaged.json', { ...before, steps });
    const noAnswer = write('no-answer.json', { ...before, answer: undefined });
    for (const [file, problem] of [[damaged, 'steps[1].latency.e2e.encoded: not a valid encoded histogram'], [noAnswer, 'answer: missing']] as const) {
      for (const args of [[a, file], [file, '--html', join(dir, 'x.html')], ['--merge', a, file]]) {
        const result = await report(args);
        expect(result.code).toBe(2);
        expect(result.err).toHaveLength(1);
        expect(result.err[0]).toContain(`sched-bench: ${file}: ${problem}`);
        expect(result.out).toEqual(['']);
      }
    }
  });
});
