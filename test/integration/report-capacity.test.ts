import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { emptyDir, runCli } from '../helpers/cli.js';
import { makeCapacityDocument } from '../helpers/capacity-results.js';

/** The built CLI on capacity results written by a test (no server needed). */
describe('sched-bench report on two capacity results', async () => {
  const dir = emptyDir();
  const before = join(dir, 'before.json');
  const after = join(dir, 'after.json');
  writeFileSync(before, JSON.stringify(await makeCapacityDocument({ knee: 140, runId: 'before' })));
  writeFileSync(after, JSON.stringify(await makeCapacityDocument({ knee: 80, runId: 'after' })));

  it('prints each answer and the change in capacity, exit 0', async () => {
    const result = await runCli(['report', before, after], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe('');
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^A \S+before\.json: Capacity: 140 wf\/s at e2e\.p99<2s \(last passing step 140 wf\/s, first failing 145 wf\/s: .* · search stopped: found · 9 steps$/);
    expect(lines[1]).toMatch(/^B \S+after\.json: Capacity: 80 wf\/s at e2e\.p99<2s/);
    expect(lines[2]).toBe('Capacity: 140 → 80 wf/s (−43%)');
  });

  it('--html - writes the page to stdout and the comparison to stderr', async () => {
    const result = await runCli(['report', before, after, '--html', '-'], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^<!doctype html>/);
    expect(result.stdout).toContain('id="chart-capacity-knee"');
    expect(result.stderr).toContain('Capacity: 140 → 80 wf/s (−43%)');
  });

  it('--merge refuses them in one line, exit 2', async () => {
    const result = await runCli(['report', '--merge', before, after], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim()).toBe(`sched-bench: cannot merge ${before}: it is a capacity search (command "capacity"); only run and infinite results merge`);
  });

  it('the reviewer\'s cases: unlike searches get no percentage; a missing --html directory is refused first, naming the path; an unread schema version says whose', async () => {
    const base = await makeCapacityDocument({ knee: 80, runId: 'base' });
    const limited = join(dir, 'limited.json');
    writeFileSync(limited, JSON.stringify({ ...base, settings: { ...base.settings, slo: ['e2e.p99<3s'] }, answer: { ...base.answer, kind: 'client-limited', capacity: 1 } }));
    const unlike = await runCli(['report', before, limited], { cwd: dir });
    expect(unlike.code, unlike.stderr).toBe(0);
    const lines = unlike.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe('Capacity: not comparable: the second search was limited by the load generator (no capacity found)');
    expect(unlike.stdout).not.toMatch(/%\)/);

    const missing = join(dir, 'nonexistent', 'x.html');
    const refused = await runCli(['report', before, '--html', missing], { cwd: dir });
    expect(refused.code).toBe(2);
    expect(refused.stdout).toBe('');
    expect(refused.stderr.trim()).toBe(`sched-bench: cannot write --html ${missing}: its directory does not exist or is not writable`);

    const v2 = join(dir, 'v2.json');
    writeFileSync(v2, JSON.stringify({ ...base, schemaVersion: 2 }));
    const unread = await runCli(['report', v2], { cwd: dir });
    expect(unread.code).toBe(2);
    expect(unread.stderr.trim()).toBe(`sched-bench: ${v2} is not a result this sched-bench reads: this sched-bench reads capacity results of schema version 1; the file has a capacity result of schema version 2`);
  });
});
