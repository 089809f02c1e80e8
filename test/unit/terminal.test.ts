import { describe, expect, it } from 'vitest';
import { outputMode } from '../../src/cli/terminal.js';
import { formatStatusLine } from '../../src/report/progress.js';

describe('outputMode', () => {
  const base = { stdoutIsTTY: true, env: {}, progress: true, quiet: false };

  it.each([
    [{}, 'live'],
    [{ stdoutIsTTY: false }, 'plain'],
    [{ env: { CI: 'true' } }, 'plain'],
    [{ env: { CI: '1' } }, 'plain'],
    [{ env: { CI: 'false' } }, 'live'],
    [{ env: { CI: '' } }, 'live'],
    [{ env: { TERM: 'dumb' } }, 'plain'],
    [{ progress: false }, 'plain'],
    [{ quiet: true }, 'quiet'],
    [{ quiet: true, stdoutIsTTY: false }, 'quiet'],
  ] as const)('%o → %s', (overrides, mode) => {
    expect(outputMode({ ...base, ...overrides })).toBe(mode);
  });
});

describe('formatStatusLine', () => {
  it('shows elapsed against the limit, counts, rate and p99', () => {
    expect(
      formatStatusLine({ elapsedMs: 42_500, limit: { durationMs: 300_000 }, inFlight: 50, completed: 1234, failed: 2, rate: 31.24, p99Ms: 412 }),
    ).toBe('⏱ 0:42/5:00 | in flight 50 | completed 1234 | failed 2 | 31.2 wf/s | p99 412ms');
    expect(
      formatStatusLine({ elapsedMs: 61_000, limit: { totalWorkflows: 10_000 }, inFlight: 3, completed: 7, failed: 0, rate: 0, p99Ms: 0 }),
    ).toBe('⏱ 1:01 | in flight 3 | completed 7/10000 | failed 0 | 0.0 wf/s | p99 -');
  });
});
