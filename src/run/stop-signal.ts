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
