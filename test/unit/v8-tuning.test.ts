import { describe, expect, it } from 'vitest';
import { CLIENT_HEAP_GROWING_PERCENT, heapGrowthFlag, interruptBudgetFlag, LOAD_INTERRUPT_BUDGET } from '../../src/cli/v8-tuning.js';

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

describe('the interrupt budget of a client-only load', () => {
  it('is lowered by default, whatever other flags the user gave', () => {
    expect(interruptBudgetFlag([], undefined)).toBe(`--interrupt-budget=${LOAD_INTERRUPT_BUDGET}`);
    expect(interruptBudgetFlag(['--heap-growing-percent=200'], '--enable-source-maps')).toBe(`--interrupt-budget=${LOAD_INTERRUPT_BUDGET}`);
  });

  it.each([
    [['--interrupt-budget=100000'], undefined],
    [['--interrupt_budget=1000'], undefined],
    [[], '--interrupt-budget=50000'],
  ])('leaves a budget the user chose alone (node flags %j, NODE_OPTIONS %j)', (execArgv, nodeOptions) => {
    expect(interruptBudgetFlag(execArgv, nodeOptions)).toBeUndefined();
  });

  it('is not mistaken for a longer flag of the same beginning', () => {
    expect(interruptBudgetFlag(['--interrupt-budget-for-feedback-allocation=100'], undefined)).toBe(`--interrupt-budget=${LOAD_INTERRUPT_BUDGET}`);
  });
});
