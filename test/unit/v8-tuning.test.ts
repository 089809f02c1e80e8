import { describe, expect, it } from 'vitest';
import { CLIENT_HEAP_GROWING_PERCENT, heapGrowthFlag, interruptBudgetFlag, LOAD_INTERRUPT_BUDGET, MEMORY_REDUCER_DELAY_MS, memoryReducerDelayFlag, youngGenerationFreezeFlag } from '../../src/cli/v8-tuning.js';

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

describe("V8's memory reducer", () => {
  it('is kept from starting by default: its delay is the longest V8 takes (a 32-bit int)', () => {
    expect(MEMORY_REDUCER_DELAY_MS).toBe(2 ** 31 - 1);
    expect(memoryReducerDelayFlag([], undefined)).toBe(`--gc-memory-reducer-start-delay-ms=${MEMORY_REDUCER_DELAY_MS}`);
    expect(memoryReducerDelayFlag(['--heap-growing-percent=200'], '--enable-source-maps')).toBe(`--gc-memory-reducer-start-delay-ms=${MEMORY_REDUCER_DELAY_MS}`);
  });

  it.each([
    [['--gc-memory-reducer-start-delay-ms=8000'], undefined],
    [['--gc_memory_reducer_start_delay_ms=1'], undefined],
    [[], '--gc-memory-reducer-start-delay-ms=8000'],
  ])('leaves a delay the user chose alone (node flags %j, NODE_OPTIONS %j)', (execArgv, nodeOptions) => {
    expect(memoryReducerDelayFlag(execArgv, nodeOptions)).toBeUndefined();
  });
});

describe("a client-only load's young generation", () => {
  it('stops growing by default, whatever other flags the user gave', () => {
    expect(youngGenerationFreezeFlag([], undefined)).toBe('--semi-space-growth-factor=1');
    expect(youngGenerationFreezeFlag(['--max-old-space-size=512'], '--enable-source-maps')).toBe('--semi-space-growth-factor=1');
  });

  it.each([
    [['--max-semi-space-size=64'], undefined],
    [['--min_semi_space_size=4'], undefined],
    [[], '--semi-space-growth-factor=4'],
  ])('is left alone when the user sized it (node flags %j, NODE_OPTIONS %j)', (execArgv, nodeOptions) => {
    expect(youngGenerationFreezeFlag(execArgv, nodeOptions)).toBeUndefined();
  });
});
