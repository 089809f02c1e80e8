/** How long a forced exit waits for the agents' coordinator to be cancelled before leaving anyway (ms). */
export const FORCED_CANCEL_WAIT_MS = 3000;

/**
 * A forced exit over agents: cancels the coordinator, then exits with `code`. The cancel is a courtesy to the
 * agents: an unreachable control server must not hold the exit, so it leaves after FORCED_CANCEL_WAIT_MS anyway.
 */
export function exitAfterCancel(cancel: () => Promise<void>, code: number, exit: (code: number) => void = (value) => process.exit(value)): void {
  let left = false;
  const leave = () => {
    if (left) return;
    left = true;
    exit(code);
  };
  setTimeout(leave, FORCED_CANCEL_WAIT_MS).unref();
  void cancel().catch(() => undefined).finally(leave);
}
