import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const TUNING = pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), '../../dist/src/cli/v8-tuning.js')).href;

/**
 * A node process that allocates like a load (short-lived objects, some surviving a scavenge or two),
 * optionally after capping its young generation, and prints the largest young generation it saw, MB.
 */
function largestYoungGeneration(cap: boolean, nodeFlags: string[] = []): number {
  const script = `
    import { getHeapSpaceStatistics } from 'node:v8';
    const { capYoungGeneration, CLIENT_YOUNG_GENERATION_MB } = await import(${JSON.stringify(TUNING)});
    if (${cap}) capYoungGeneration(CLIENT_YOUNG_GENERATION_MB);
    const young = () => getHeapSpaceStatistics().find((space) => space.space_name === 'new_space').space_size;
    let largest = young();
    let kept = [];
    for (let turn = 0; turn < 60; turn++) {
      for (let i = 0; i < 20000; i++) {
        kept.push({ i, text: 'x' + i });
        if (kept.length > 50000) kept = kept.slice(25000);
      }
      // The observer that caps the growth runs between turns of the event loop, as in a load.
      await new Promise((resolve) => setImmediate(resolve));
      largest = Math.max(largest, young());
    }
    process.stdout.write(String(largest / 2 ** 20));
  `;
  return Number(execFileSync(process.execPath, [...nodeFlags, '--input-type=module', '-e', script], { encoding: 'utf8' }));
}

describe("a client-only load's young generation (a real node process)", () => {
  it('grows no further than CLIENT_YOUNG_GENERATION_MB once capped; without the cap the same allocations grow it to V8\'s largest', () => {
    expect(largestYoungGeneration(false)).toBeGreaterThan(16);
    expect(largestYoungGeneration(true)).toBeLessThanOrEqual(16);
  });

  it("leaves a young generation the user sized alone", () => {
    expect(largestYoungGeneration(true, ['--semi-space-growth-factor=2'])).toBeGreaterThan(16);
  });
});
