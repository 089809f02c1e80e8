/** A run's result, with `signal` (when given) stopping the run gracefully once aborted, also if aborted already. */
export async function resultStoppedBy<T>(run: { stop(): unknown; readonly result: Promise<T> }, signal: AbortSignal | undefined): Promise<T> {
  const stop = () => void run.stop();
  if (signal?.aborted) stop();
  signal?.addEventListener('abort', stop, { once: true });
  try {
    return await run.result;
  } finally {
    signal?.removeEventListener('abort', stop);
  }
}

/**
 * A run's two promises: `ended` once its outcome is known (what a CLI prints and writes at once), and
 * `result` once `tearDown` has closed what it held (that, too, on every path). Neither is left unhandled.
 */
export function endedThenTornDown<T>(outcome: Promise<T>, tearDown: () => Promise<void>): { ended: Promise<T>; result: Promise<T> } {
  const result = outcome.finally(tearDown);
  outcome.catch(() => undefined);
  result.catch(() => undefined);
  return { ended: outcome, result };
}
