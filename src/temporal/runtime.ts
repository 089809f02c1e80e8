import { DefaultLogger, makeTelemetryFilterString, Runtime, type Logger } from '@temporalio/worker';

let installed = false;

/**
 * Core's "gRPC call … retried N times" warnings: sched-bench reports outages and throttling itself, in
 * one line each, where core would print one warning per call per retry.
 */
const CORE_RETRY_TARGET = 'temporalio_client::retry';

/** SDK log lines at `threshold` (WARN) and above, on stderr (stdout is kept for the report lines). */
export function quietLogger(threshold: 'WARN' | 'ERROR' = 'WARN'): Logger {
  return new DefaultLogger(threshold, ({ level, message, meta }) => {
    if (meta?.target === CORE_RETRY_TARGET) return;
    const details = meta && Object.keys(meta).length > 0 ? ` ${JSON.stringify(meta)}` : '';
    process.stderr.write(`[temporal ${level}] ${message}${details}\n`);
  });
}

/**
 * Installs the SDK runtime without its own signal handlers, so the caller (the CLI) owns shutdown, and
 * with a Prometheus endpoint for the SDK's metrics when `prometheusAddress` is given. `logLevel` ERROR also
 * drops the SDK's warnings (tests whose workers fail workflows on purpose).
 * Must run before anything creates a Runtime implicitly (connect, Worker.create); later calls are no-ops.
 */
export function installRuntime(options: { prometheusAddress?: string; logLevel?: 'WARN' | 'ERROR' } = {}): void {
  if (installed) return;
  installed = true;
  try {
    Runtime.install({
      shutdownSignals: [],
      logger: quietLogger(options.logLevel),
      telemetryOptions: {
        // Core's own log lines go through the logger above (plain text, filtered), not straight to stderr.
        logging: { filter: makeTelemetryFilterString({ core: options.logLevel ?? 'WARN', other: 'ERROR' }), forward: {} },
        // The SDK's own metrics (client requests, worker tasks), when asked for.
        ...(options.prometheusAddress
          ? { metrics: { prometheus: { bindAddress: options.prometheusAddress, countersTotalSuffix: true, useSecondsForDurations: true, unitSuffix: true } } }
          : {}),
      },
    });
  } catch (error) {
    // A Runtime already exists (the embedding program made one): keep it and its settings.
    if (!(error instanceof Error && error.name === 'IllegalStateError')) throw error;
  }
}
