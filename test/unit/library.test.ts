import { describe, expect, it } from 'vitest';

describe('the package entry point', () => {
  it('installs no signal or exit handlers when imported', async () => {
    const events = ['SIGINT', 'SIGTERM', 'exit', 'beforeExit', 'uncaughtException'] as const;
    const before = events.map((event) => process.listenerCount(event));
    const library = await import('../../src/index.js');
    expect(typeof library.SchedulerService).toBe('function');
    expect(typeof library.TemporalService.connect).toBe('function');
    expect(events.map((event) => process.listenerCount(event))).toEqual(before);
  });
});
