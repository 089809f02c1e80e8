import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { emptyDir } from '../helpers/cli.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** The README's "Use it as a library" example, importing the built package instead of its name. */
function readmeExample(): string {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Use it as a library'));
  const code = /```js\n([\s\S]*?)```/.exec(section)?.[1];
  expect(code, 'the README has a js example under "Use it as a library"').toBeDefined();
  return code!.replace("from 'sched-bench'", `from '${join(root, 'dist/src/index.js')}'`);
}

describe('the README\'s library example', () => {
  it('runs as written: a batch on its own dev server, percentiles read from the result, and the process ends by itself', { timeout: 180_000 }, async () => {
    const file = join(emptyDir(), 'example.mjs');
    writeFileSync(file, readmeExample());
    const { stdout } = await promisify(execFile)(process.execPath, [file], { timeout: 150_000 });
    const lines = stdout.trim().split('\n');
    expect(lines.at(-1)).toMatch(/^completed 200 of 200: e2e p50 [\d.]+ ms, p99 [\d.]+ ms$/);
    expect(lines.slice(0, -1).every((line) => /^\d+ completed, [\d.]+\/s$/.test(line)), stdout).toBe(true);
  });
});
