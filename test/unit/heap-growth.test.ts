import { describe, expect, it } from 'vitest';
import { CLIENT_HEAP_GROWING_PERCENT, heapGrowthFlag } from '../../src/cli/heap-growth.js';

describe('the heap growth of a client-only run', () => {
  it('is capped by default', () => {
    expect(heapGrowthFlag([], undefined)).toBe(`--heap-growing-percent=${CLIENT_HEAP_GROWING_PERCENT}`);
    expect(heapGrowthFlag(['--max-old-space-size=512'], '--enable-source-maps')).toBe(`--heap-growing-percent=${CLIENT_HEAP_GROWING_PERCENT}`);
  });

  it.each([
    [['--heap-growing-percent=200'], undefined],
    [['--heap_growing_percent=0'], undefined],
    [[], '--enable-source-maps --heap-growing-percent=300'],
  ])('leaves a growth the user chose alone (node flags %j, NODE_OPTIONS %j)', (execArgv, nodeOptions) => {
    expect(heapGrowthFlag(execArgv, nodeOptions)).toBeUndefined();
  });
});
