import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MAX_TIMER_MS, systemClock } from '../../src/shared/clock.js';

describe('systemClock timers past Node.js timer limit', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const DAY = 86_400_000;

  it('fires a 30-day timer after 30 days, not at once', () => {
    const fired = vi.fn();
    systemClock.setTimeout(fired, 30 * DAY);
    vi.advanceTimersByTime(MAX_TIMER_MS + 1);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(30 * DAY - MAX_TIMER_MS - 2);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(fired).toHaveBeenCalledTimes(1);
  });

  it('clears a long timer in whichever piece it is', () => {
    const fired = vi.fn();
    const handle = systemClock.setTimeout(fired, 60 * DAY);
    vi.advanceTimersByTime(40 * DAY);
    systemClock.clearTimeout(handle);
    vi.advanceTimersByTime(30 * DAY);
    expect(fired).not.toHaveBeenCalled();
  });

  it('keeps short timers plain', () => {
    const fired = vi.fn();
    const handle = systemClock.setTimeout(fired, 10);
    vi.advanceTimersByTime(10);
    expect(fired).toHaveBeenCalledTimes(1);
    systemClock.clearTimeout(handle); // harmless after firing
  });
});
