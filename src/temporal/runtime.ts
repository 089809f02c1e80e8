import { DefaultLogger, Runtime, type Logger } from '@temporalio/worker';

let installed = false;

/** SDK log lines at WARN and above, on stderr (stdout is kept for the report lines). */
export function quietLogger(): Logger {
  return new DefaultLogger('WARN', ({ level, message, meta }) => {
    const details = meta && Object.keys(meta).length > 0 ? ` ${JSON.stringify(meta)}` : '';
    process.stderr.write(`[temporal ${level}] ${message}${details}\n`);
  });
}

/**
 * Installs the SDK runtime without its own signal handlers, so the caller (the CLI) owns shutdown, and
 * with a Prometheus endpoint for the SDK's metrics when `prometheusAddress` is given.
 * Must run before anything creates a Runtime implicitly (connect, Worker.create); later calls are no-ops.
 */
export function installRuntime(options: { prometheusAddress?: string } = {}): void {
  if (installed) return;
  installed = true;
  try {
    Runtime.install({
      shutdownSignals: [],
      logger: quietLogger(),
      // The SDK's own metrics (client requests, worker tasks), when asked for.
      ...(options.prometheusAddress
        ? { telemetryOptions: { metrics: { prometheus: { bindAddress: options.prometheusAddress, countersTotalSuffix: true, useSecondsForDurations: true, unitSuffix: true } } } }
        : {}),
    });
  } catch (error) {
    // A Runtime already exists (the embedding program made one): keep it and its settings.
    if (!(error instanceof Error && error.name === 'IllegalStateError')) throw error;
  }
}
