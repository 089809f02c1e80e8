import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WORKFLOW_TYPES } from '../../workflows/names.js';
import { bundleFileName, readOrBuildWorkflowBundle, workflowSources } from '../../src/temporal/workflow-bundle.js';

const made: string[] = [];
function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sched-bench-bundle-'));
  made.push(dir);
  return dir;
}
afterAll(() => made.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

describe('the cached bundle of the worker\'s workflows', () => {
  it('is named after everything it is made of', () => {
    const name = bundleFileName('export async function EchoWorkflow() {}', ['1.24.0', '1.24.0']);
    expect(name).toMatch(/^workflows-[0-9a-f]{20}\.js$/);
    expect(bundleFileName('export async function EchoWorkflow() {}', ['1.24.0', '1.24.0'])).toBe(name);
    expect(bundleFileName('export async function EchoWorkflow() { }', ['1.24.0', '1.24.0'])).not.toBe(name);
    expect(bundleFileName('export async function EchoWorkflow() {}', ['1.25.0', '1.24.0'])).not.toBe(name);
    expect(bundleFileName('export async function EchoWorkflow() {}', ['1.24.0', '1.25.0'])).not.toBe(name);
  });

  it('is keyed by every workflow source file next to the entry, not the entry alone', () => {
    const dir = scratch();
    writeFileSync(join(dir, 'index.ts'), "export * from './a.js';");
    writeFileSync(join(dir, 'a.ts'), 'export async function A() {}');
    writeFileSync(join(dir, 'notes.md'), 'not bundled');
    const name = bundleFileName(workflowSources(join(dir, 'index.ts')), ['1']);
    writeFileSync(join(dir, 'notes.md'), 'still not bundled');
    expect(bundleFileName(workflowSources(join(dir, 'index.ts')), ['1'])).toBe(name);
    writeFileSync(join(dir, 'a.ts'), 'export async function A() { }');
    expect(bundleFileName(workflowSources(join(dir, 'index.ts')), ['1'])).not.toBe(name);
  });

  it('is made once, written whole to the cache, and read from there by the next run', async () => {
    const cacheDir = join(scratch(), 'nested', 'sched-bench');
    const first = await readOrBuildWorkflowBundle(cacheDir);
    if (!('code' in first)) throw new Error(`expected a new bundle, got ${JSON.stringify(first)}`);
    // Every workflow the worker hosts is in it.
    for (const type of Object.values(WORKFLOW_TYPES)) expect(first.code).toContain(type);
    const files = readdirSync(cacheDir);
    expect(files).toHaveLength(1); // no temporary file left behind
    expect(files[0]).toMatch(/^workflows-[0-9a-f]{20}\.js$/);
    expect(readFileSync(join(cacheDir, files[0]!), 'utf8')).toBe(first.code);

    const second = await readOrBuildWorkflowBundle(cacheDir);
    expect(second).toEqual({ codePath: join(cacheDir, files[0]!) });
  }, 120_000);

  it('is kept in memory when the cache cannot be written', async () => {
    const notADirectory = join(scratch(), 'file');
    writeFileSync(notADirectory, '');
    chmodSync(notADirectory, 0o444);
    const bundle = await readOrBuildWorkflowBundle(join(notADirectory, 'sched-bench'));
    expect('code' in bundle && bundle.code).toContain('EchoWorkflow');
  }, 120_000);

  it('is made in memory when no cache is given', async () => {
    const bundle = await readOrBuildWorkflowBundle(undefined);
    expect('code' in bundle && bundle.code).toContain('EchoWorkflow');
  }, 120_000);
});
