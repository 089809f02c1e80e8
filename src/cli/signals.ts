const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];

/**
 * Owns SIGINT/SIGTERM for the CLI: the first signal asks for a graceful stop, the second forces one.
 * Returns a function that removes the handlers.
 */
export function onShutdownSignals(handlers: { graceful: () => void; forced: () => void }): () => void {
  let received = 0;
  const handle = () => {
    received++;
    if (received === 1) handlers.graceful();
    else handlers.forced();
  };
  for (const signal of SIGNALS) process.on(signal, handle);
  return () => {
    for (const signal of SIGNALS) process.off(signal, handle);
  };
}
