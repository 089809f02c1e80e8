import type { Clock, TimerHandle } from './types.js';

/** The real clock: monotonic milliseconds and Node timers. */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout: (callback, delayMs) => setTimeout(callback, delayMs),
  clearTimeout: (handle: TimerHandle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Wall-clock milliseconds (epoch) and Node timers: for comparing with the server's timestamps. */
export const wallClock: Clock = {
  now: () => Date.now(),
  setTimeout: systemClock.setTimeout,
  clearTimeout: systemClock.clearTimeout,
};
