import { firstLine } from '../errors.js';
import { startDevServer, type CliLookup, type DevServer } from '../temporal/dev-server.js';
import type { SessionEvent } from '../shared/session-events.js';
import type { EchoWorker, WorkerTuning } from '../temporal/echo-worker.js';
import { TemporalService, type ConnectionSettings, type TemporalServiceOptions } from '../temporal/temporal-service.js';
import { serveMetrics, serveSdkMetrics, type MetricsSource } from './metrics-server.js';

/** What a run holds open besides its load: where the server is, and what runs beside the load. */
export interface SessionSpec {
  /** The cluster's connection; with `devServer` only its kind, compression and connect timeout apply. */
  connection: ConnectionSettings & { connectTimeoutMs: number };
  /** Start a private Temporal dev server (found through this lookup) and connect to it instead. */
  devServer?: CliLookup;
  namespace: string;
  taskQueue: string;
  /** Run an EchoWorkflow worker in this process, on the task queue, with these settings. */
  worker?: WorkerTuning;
  /** Serve Prometheus metrics on this port; the SDK's own on the next one. */
  metricsPort?: number;
}

export type { SessionEvent };

/**
 * Owns what a run holds open — metrics server, dev server, connection, embedded worker — opened in
 * that order and closed on every path, the metrics server first. `killNow` is for a process on its way out:
 * synchronous, it leaves no dev server behind.
 */
export class RunSession {
  private devServer: DevServer | undefined;
  /** Kills a dev server that is still starting up (before `devServer` is set). */
  private killStartingDevServer: (() => void) | undefined;
  private connection: TemporalService | undefined;
  private worker: EchoWorker | undefined;
  private metricsServer: { close: () => Promise<void> } | undefined;
  private readonly metricsSource = new PendingMetricsSource();
  private closing: Promise<void> | undefined;

  constructor(
    private readonly spec: SessionSpec,
    private readonly onEvent: (event: SessionEvent) => void,
  ) {}

  /** The address the run talks to: the dev server's once started, else the cluster's. */
  get address(): string {
    return this.devServer?.address ?? this.spec.connection.address;
  }

  get service(): TemporalService {
    if (!this.connection) throw new Error('the session is not connected');
    return this.connection;
  }

  /** Starts the dev server (when asked for) and connects; the SDK runtime first when metrics are served. */
  async connect(options: Omit<TemporalServiceOptions, keyof ConnectionSettings>): Promise<TemporalService> {
    // A busy port is a usage error: found before a dev server starts or a connection waits.
    if (this.spec.metricsPort !== undefined) await serveSdkMetrics(this.spec.metricsPort);
    await this.bindMetrics();
    if (this.spec.devServer) {
      this.devServer = await startDevServer(this.spec.devServer, (kill) => (this.killStartingDevServer = kill));
      this.onEvent({ type: 'dev-server-started', address: this.devServer.address, pid: this.devServer.pid, origin: this.devServer.origin });
    }
    const { connection } = this.spec;
    // A private dev server is plain text on loopback: the cluster's TLS and credentials do not apply.
    const settings = this.devServer
      ? { address: this.devServer.address, kind: connection.kind, compression: connection.compression, connectTimeoutMs: connection.connectTimeoutMs }
      : connection;
    this.connection = await TemporalService.connect({ ...settings, ...options });
    return this.connection;
  }

  /**
   * Starts the embedded worker when the spec asks for one. `onStopped` hears when it stops by itself
   * (nothing can finish the run's workflows then).
   */
  async startWorker(onStopped: () => void): Promise<void> {
    if (!this.spec.worker) return;
    const worker = await this.service.createEchoWorker(this.spec.namespace, this.spec.taskQueue, this.spec.worker);
    this.worker = worker;
    this.onEvent({ type: 'worker-started', settings: worker.settings });
    worker.start().catch((error: Error) => {
      this.onEvent({ type: 'worker-stopped', reason: firstLine(error) });
      onStopped();
    });
  }

  /** Serves /metrics from `source` when the spec gives a port (bound already when connected). */
  async serveMetrics(source: () => MetricsSource | Promise<MetricsSource>): Promise<void> {
    if (this.spec.metricsPort === undefined) return;
    this.metricsSource.current = await source();
    await this.bindMetrics();
  }

  /** Listens on the metrics port, once; until the run gives its source, /metrics is empty. */
  private async bindMetrics(): Promise<void> {
    if (this.spec.metricsPort === undefined || this.metricsServer) return;
    this.metricsServer = await serveMetrics(this.metricsSource, this.spec.metricsPort);
    this.onEvent({ type: 'metrics-served', port: this.spec.metricsPort });
  }

  /**
   * Closes everything opened, in reverse order; safe to call more than once. Never throws: a part that
   * fails to close is told as an event, and the parts after it are closed all the same.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const parts: Array<[string, (() => Promise<void>) | undefined]> = [
        ['metrics server', this.metricsServer && (() => this.metricsServer!.close())],
        ['embedded worker', this.worker && (() => this.worker!.shutdown())],
        ['connection', this.connection && (() => this.connection!.close())],
        ['dev server', this.devServer && (() => this.devServer!.stop())],
      ];
      for (const [part, closePart] of parts) {
        try {
          await closePart?.();
        } catch (error) {
          this.onEvent({ type: 'close-failed', part, reason: firstLine(error) });
        }
      }
    })();
    return this.closing;
  }

  /** Synchronous last resort for a process that exits now: kills the dev server, starting or running. */
  killNow(): void {
    if (this.devServer) this.devServer.kill();
    else this.killStartingDevServer?.();
  }
}

/** The run's metrics once it gives them; before, a valid exposition with no samples. */
class PendingMetricsSource implements MetricsSource {
  current: MetricsSource | undefined;

  get contentType(): string {
    return this.current?.contentType ?? 'text/plain; version=0.0.4; charset=utf-8';
  }

  metrics(): Promise<string> {
    return this.current ? this.current.metrics() : Promise.resolve('# sched-bench: the run is starting\n');
  }
}
