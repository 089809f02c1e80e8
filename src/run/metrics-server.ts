import { createServer, type Server } from 'node:http';
import { firstLine, UsageError } from '../errors.js';
/** What serves the text: the run's exporter or the schedules' one. */
export interface MetricsSource {
  metrics(): Promise<string>;
  readonly contentType: string;
}

/** Serves `/metrics` for Prometheus on all interfaces while the run lasts. */
export async function serveMetrics(exporter: MetricsSource, port: number): Promise<{ close: () => Promise<void> }> {
  const server: Server = createServer((request, response) => {
    if (request.url?.split('?')[0] !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('sched-bench serves /metrics\n');
      return;
    }
    exporter.metrics().then(
      (text) => response.writeHead(200, { 'content-type': exporter.contentType }).end(text),
      (error: Error) => response.writeHead(500, { 'content-type': 'text/plain' }).end(`${error.message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(new UsageError(`cannot serve metrics on --metrics-port ${port}: ${error.code ?? error.message}`)),
    );
    server.listen(port, '0.0.0.0', resolve);
  });
  return {
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Installs the SDK runtime with its own Prometheus endpoint on `port` + 1 (before anything else touches
 * the SDK: its runtime is created once); a busy port is a usage error.
 */
export async function serveSdkMetrics(port: number): Promise<void> {
  const { installRuntime } = await import('../temporal/runtime.js');
  try {
    installRuntime({ prometheusAddress: `0.0.0.0:${port + 1}` });
  } catch (error) {
    throw new UsageError(`cannot serve the SDK's metrics on port ${port + 1} (--metrics-port + 1): ${firstLine(error)}`);
  }
}
