import { createRequire } from 'node:module';
import { ConnectionError } from '../errors.js';
import { backoffDelay, UNAVAILABLE_BACKOFF } from '../shared/backoff.js';
import { classifyConnectFailure } from './connect-failure.js';
import { grpcCodeOf } from './failure-kind.js';
import type { SdkConnection, SdkSide } from './sdk-connection.js';
import { DEFAULT_CONNECT_TIMEOUT_MS, START_ATTEMPT_TIMEOUT_MS, type TemporalServiceOptions } from './service-options.js';
import { WakeableSleeps } from './wakeable-sleeps.js';
import { WorkflowWire } from './wire/workflow-wire.js';

const require = createRequire(import.meta.url);
const GRPC_DEADLINE_EXCEEDED = 4;

/** The version sched-bench names itself with on its own channel (client-version). */
const OWN_VERSION = (() => {
  try {
    return (require('../../../package.json') as { version: string }).version;
  } catch {
    return '0';
  }
})();

class TimeoutError extends Error {}

type Transport = { wire: WorkflowWire; serverVersion: string | undefined } | { sdk: SdkSide };

/**
 * The open connection to the server, which starts and admin calls share: sched-bench's own HTTP/2
 * channel (WorkflowWire) or the SDK's connection, and the SDK side opened on first need beside the
 * channel. Connecting retries a server that is not there yet and names why it could not.
 */
export class ServiceConnection {
  private closedFlag = false;
  /** The SDK side: opened at connect for the SDK transports, on first need for http2. */
  private sdkSide: Promise<SdkSide> | undefined;
  /** Retry backoffs (starts, admin calls); a stop ends them all at once. */
  readonly backoffs: WakeableSleeps;

  private constructor(
    readonly address: string,
    private readonly transport: Transport,
    readonly settings: TemporalServiceOptions,
  ) {
    this.backoffs = new WakeableSleeps(settings.stopSignal);
    if ('sdk' in transport) this.sdkSide = Promise.resolve(transport.sdk);
  }

  /**
   * Connects (and checks the server answers). A server that is not there yet (refused, unreachable,
   * unavailable) is retried with backoff and jitter until `connectTimeoutMs`; a server that answers
   * "no" (TLS, credentials) fails at once. Either way: a ConnectionError naming the address.
   */
  static async open(options: TemporalServiceOptions): Promise<ServiceConnection> {
    const transport = await connectWithRetries(options, (remainingMs) => connectTransport(options, remainingMs));
    return new ServiceConnection(options.address, transport, options);
  }

  /** sched-bench's own channel, when this connection has it (http2). */
  get wire(): WorkflowWire | undefined {
    return 'wire' in this.transport ? this.transport.wire : undefined;
  }

  /** The server's version as the channel's connect check read it (http2 only). */
  get serverVersionAtConnect(): string | undefined {
    return 'serverVersion' in this.transport ? this.transport.serverVersion : undefined;
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  /**
   * The SDK side, opened (and the SDK loaded) on first need, with the same retries as connect(); a
   * failed opening is not kept (the next need tries again), and none is opened once closed.
   */
  sdk(): Promise<SdkSide> {
    if (this.closedFlag) return Promise.reject(new ConnectionError(`the connection to ${this.address} is closed`));
    const opening = (this.sdkSide ??= (async () => {
      const sdk = await import('./sdk-connection.js');
      const settings: TemporalServiceOptions = { ...this.settings, kind: 'native' };
      const connection = await connectWithRetries(settings, (remainingMs) =>
        sdk.connectOnce(settings, remainingMs, () => new TimeoutError('connect timeout')),
      );
      if (this.closedFlag) {
        await connection.close();
        throw new ConnectionError(`the connection to ${this.address} is closed`);
      }
      return new sdk.SdkSide(connection, settings, false, START_ATTEMPT_TIMEOUT_MS);
    })());
    opening.catch(() => {
      if (this.sdkSide === opening) this.sdkSide = undefined;
    });
    return opening;
  }

  async close(): Promise<void> {
    this.closedFlag = true;
    const sdk = await this.sdkSide?.catch(() => undefined);
    await sdk?.close();
    await this.wire?.close();
  }
}

/**
 * Connection attempts until one succeeds. A server that is not there yet (refused, unreachable,
 * unavailable) is retried with backoff and jitter until `connectTimeoutMs`; a server that answers "no"
 * (TLS, credentials) fails at once. Either way: a ConnectionError naming the address.
 */
async function connectWithRetries<T>(options: TemporalServiceOptions, attempt: (remainingMs: number) => Promise<T>): Promise<T> {
  const { address } = options;
  const timeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const deadline = Date.now() + timeoutMs;
  const backoffs = new WakeableSleeps(options.stopSignal);
  for (let attemptNumber = 1; ; attemptNumber++) {
    try {
      return await attempt(Math.max(1, deadline - Date.now()));
    } catch (error) {
      const failure = error instanceof TimeoutError ? { reason: `no answer within ${timeoutMs / 1000}s`, retryable: false } : classifyConnectFailure(error, options);
      const backoff = backoffDelay(UNAVAILABLE_BACKOFF, attemptNumber);
      if (!failure.retryable || Date.now() + backoff >= deadline || backoffs.stopped) {
        const spent = backoffs.stopped ? `, stopped after ${((Date.now() + timeoutMs - deadline) / 1000).toFixed(1)}s` : ` in ${timeoutMs / 1000}s`;
        const tries = attemptNumber > 1 || backoffs.stopped ? ` (${attemptNumber} attempt${attemptNumber > 1 ? 's' : ''}${spent})` : '';
        throw new ConnectionError(`cannot reach Temporal at ${address}: ${failure.reason}${tries}`, { cause: error });
      }
      await backoffs.sleep(backoff);
    }
  }
}

/**
 * One connection attempt. http2: sched-bench's own channel, proven by a GetSystemInfo answer within
 * `timeoutMs`; otherwise the SDK's connection (its module loaded here).
 */
async function connectTransport(options: TemporalServiceOptions, timeoutMs: number): Promise<Transport> {
  if ((options.kind ?? 'http2') === 'http2') {
    const wire = new WorkflowWire({ ...options, tls: options.tls || undefined, clientVersion: OWN_VERSION });
    try {
      return { wire, serverVersion: await wire.serverVersion(timeoutMs) };
    } catch (error) {
      await wire.close();
      throw grpcCodeOf(error) === GRPC_DEADLINE_EXCEEDED ? new TimeoutError('connect timeout', { cause: error }) : error;
    }
  }
  const sdk = await import('./sdk-connection.js');
  const connection: SdkConnection = await sdk.connectOnce(options, timeoutMs, () => new TimeoutError('connect timeout'));
  return { sdk: new sdk.SdkSide(connection, options, options.eagerStart ?? false, START_ATTEMPT_TIMEOUT_MS) };
}
