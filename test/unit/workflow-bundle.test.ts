import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleFileName, readOrBuildEchoWorkflowBundle } from '../../src/temporal/workflow-bundle.js';

const made: string[] = [];
function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sched-bench-bundle-'));
  made.push(dir);
  return dir;
}
afterAll(() => made.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

describe('the cached EchoWorkflow bundle', () => {
  it('is named after everything it is made of', () => {
    const name = bundleFileName('export async function EchoWorkflow() {}', ['1.24.0', '1.24.0']);
    expect(name).toMatch(/^echo-workflow-[0-9a-f]{20}\.js$/);
    expect(bundleFileName('export async function EchoWorkflow() {}', ['1.24.0', '1.24.0'])).toBe(name);
    expect(bundleFileName('export async function EchoWorkflow() { }', ['1.24.0', '1.24.0'])).not.toBe(name);
    expect(bundleFileName('export async function EchoWorkflow() {}', ['1.25.0', '1.24.0'])).not.toBe(name);
    expect(bundleFileName('export async function EchoWorkflow() {}', ['1.24.0', '1.25.0'])).not.toBe(name);
  });

  it('is made once, written whole to the cache, and read from there by the next run', async () => {
    const cacheDir = join(scratch(), 'nested', 'sched-bench');
    const first = await readOrBuildEchoWorkflowBundle(cacheDir);
    if (!('code' in first)) throw new Error(`expected a new bundle, got ${JSON.stringify(first)}`);
    expect(first.code).toContain('EchoWorkflow');
    const files = readdirSync(cacheDir);
    expect(files).toHaveLength(1); // no temporary file left behind
    expect(files[0]).toMatch(/^echo-workflow-[0-9a-f]{20}\.js$/);
    expect(readFileSync(join(cacheDir, files[0]!), 'utf8')).toBe(first.code);

    const second = await readOrBuildEchoWorkflowBundle(cacheDir);
    expect(second).toEqual({ codePath: join(cacheDir, files[0]!) });
  }, 120_000);

  it('is kept in memory when the cache cannot be written', async () => {
    const notADirectory = join(scratch(), 'file');
    writeFileSync(notADirectory, '');
    chmodSync(notADirectory, 0o444);
    const bundle = await readOrBuildEchoWorkflowBundle(join(notADirectory, 'sched-bench'));
    expect('code' in bundle && bundle.code).toContain('EchoWorkflow');
  }, 120_000);

  it('is made in memory when no cache is given', async () => {
    const bundle = await readOrBuildEchoWorkflowBundle(undefined);
    expect('code' in bundle && bundle.code).toContain('EchoWorkflow');
  }, 120_000);
});
