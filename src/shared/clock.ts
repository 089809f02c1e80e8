/** Time source of the load generator and the schedule observer; injected so tests can drive time by hand. Milliseconds. */
export interface Clock {
  now(): number;
  setTimeout(callback: () => void, delayMs: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export type TimerHandle = { readonly __timer: unique symbol } | object;

/** Node.js fires a longer timer at once (with a TimeoutOverflowWarning). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A timer longer than MAX_TIMER_MS, armed in pieces; `current` is the piece now pending. */
class LongTimer {
  current: NodeJS.Timeout | undefined;
}

/**
 * setTimeout for any delay: longer ones are chained in pieces of at most MAX_TIMER_MS (a very low
 * rate's next arrival, stages of weeks), so they fire when due instead of at once; Infinity never fires.
 */
function setLongTimeout(callback: () => void, delayMs: number): TimerHandle {
  if (!(delayMs > MAX_TIMER_MS)) return setTimeout(callback, delayMs);
  const timer = new LongTimer();
  const dueAt = performance.now() + delayMs;
  const arm = (): void => {
    const left = dueAt - performance.now();
    timer.current = left > MAX_TIMER_MS ? setTimeout(arm, MAX_TIMER_MS) : setTimeout(callback, Math.max(0, left));
  };
  arm();
  return timer;
}

function clearLongTimeout(handle: TimerHandle): void {
  clearTimeout(handle instanceof LongTimer ? handle.current : (handle as NodeJS.Timeout));
}

/** The real clock: monotonic milliseconds and Node timers. */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout: setLongTimeout,
  clearTimeout: clearLongTimeout,
};

/** Wall-clock milliseconds (epoch) and Node timers: for comparing with the server's timestamps. */
export const wallClock: Clock = {
  now: () => Date.now(),
  setTimeout: systemClock.setTimeout,
  clearTimeout: systemClock.clearTimeout,
};
