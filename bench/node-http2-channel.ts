/**
 * The gRPC channel as it was over node:http2 (until 2026-11-30), kept for bench/channel-cost.ts to
 * compare against the channel over sched-bench's own HTTP/2 client. Not used by the CLI.
 */
import { connect, constants, type ClientHttp2Session, type IncomingHttpHeaders, type SecureClientSessionOptions } from 'node:http2';
import { connect as netConnect, isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import { gunzipSync, gzipSync } from 'node:zlib';

const GRPC_DEADLINE_EXCEEDED = 4;
const GRPC_UNAVAILABLE = 14;
const GRPC_INTERNAL = 13;
const GRPC_UNAUTHENTICATED = 16;
const GRPC_PERMISSION_DENIED = 7;
const GRPC_UNIMPLEMENTED = 12;
const GRPC_UNKNOWN = 2;

/** The gRPC status of an answer that is not gRPC (a proxy's own HTTP error), as gRPC's HTTP mapping has it. */
function statusOfHttp(httpStatus: number): number {
  if (httpStatus === 400) return GRPC_INTERNAL;
  if (httpStatus === 401) return GRPC_UNAUTHENTICATED;
  if (httpStatus === 403) return GRPC_PERMISSION_DENIED;
  if (httpStatus === 404) return GRPC_UNIMPLEMENTED;
  if ([429, 502, 503, 504].includes(httpStatus)) return GRPC_UNAVAILABLE;
  return GRPC_UNKNOWN;
}
/** gRPC's message frame header: a compressed flag and a 4-byte big-endian length. */
const FRAME_HEADER_BYTES = 5;

export interface GrpcChannelOptions {
  /** host:port */
  address: string;
  /** false or undefined: plain text; an object (possibly empty): TLS. */
  tls?: { serverNameOverride?: string; serverRootCACertificate?: Buffer; clientCertPair?: { crt: Buffer; key: Buffer } } | false;
  /** Metadata sent with every call (lower-case keys): authorization, client name, the user's own. */
  headers: Record<string, string>;
  compression?: 'gzip' | 'none';
}

const STATUS_NAMES = [
  'OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS', 'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE', 'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS', 'UNAUTHENTICATED',
];
/** A keepalive ping goes out this often while the connection is open; no answer within the timeout: it is dead. */
const KEEPALIVE_INTERVAL_MS = 30_000;
const KEEPALIVE_TIMEOUT_MS = 15_000;

/** grpc-timeout: at most 8 digits, so long deadlines go in seconds. */
function grpcTimeout(ms: number): string {
  const whole = Math.max(1, Math.ceil(ms));
  return whole <= 99_999_999 ? `${whole}m` : `${Math.ceil(whole / 1000)}S`;
}

/** Trailing metadata as the classification reads it (grpc-js's Metadata#get shape). */
class TrailerMetadata {
  constructor(private readonly headers: IncomingHttpHeaders) {}

  get(key: string): Array<string | Buffer> {
    const value = this.headers[key];
    if (value === undefined) return [];
    const values = Array.isArray(value) ? value : [value];
    return key.endsWith('-bin') ? values.map((text) => Buffer.from(text, 'base64')) : values;
  }
}

/** A call the server answered with a status other than OK (code, the server's message, its trailers). */
export class GrpcStatusError extends Error {
  constructor(
    readonly code: number,
    readonly details: string,
    readonly metadata: { get(key: string): Array<string | Buffer> },
    options?: { cause?: unknown },
  ) {
    // As grpc-js words it: "8 RESOURCE_EXHAUSTED: namespace rate limit exceeded".
    super(`${code} ${STATUS_NAMES[code] ?? 'UNKNOWN'}: ${details}`, options);
    this.name = 'GrpcStatusError';
  }
}

/** The call never got an answer: the connection failed, broke, or was never made (UNAVAILABLE). */
export class TransportError extends GrpcStatusError {
  constructor(cause: unknown) {
    const code = (cause as { code?: unknown } | undefined)?.code;
    const words = cause instanceof Error ? `${cause.message}${typeof code === 'string' && !cause.message.includes(code) ? ` (${code})` : ''}` : String(cause);
    super(GRPC_UNAVAILABLE, `transport error: ${words}`, new TrailerMetadata({}), { cause });
    this.name = 'TransportError';
  }
}

export interface CallOptions {
  /** Deadline of this call, ms (sent as grpc-timeout, and enforced here). */
  timeoutMs?: number;
  /** Extra metadata for this call only. */
  headers?: Record<string, string>;
}

/**
 * Unary gRPC calls over one HTTP/2 connection (Node's own), for the few calls on a benchmark's hot path.
 * The connection is opened on first use and again after it breaks; a call on a broken connection fails
 * with a TransportError, and the caller decides about retrying (sched-bench counts every refusal).
 */
export class NodeHttp2Channel {
  private session: ClientHttp2Session | undefined;
  private closed = false;
  private readonly authority: string;
  private readonly tlsOptions: SecureClientSessionOptions | undefined;
  private readonly baseHeaders: Record<string, string>;

  constructor(private readonly options: GrpcChannelOptions) {
    const tls = options.tls || undefined;
    this.authority = `${tls ? 'https' : 'http'}://${options.address}`;
    this.tlsOptions = tls
      ? {
          ...(tls.serverRootCACertificate ? { ca: tls.serverRootCACertificate } : {}),
          ...(tls.clientCertPair ? { cert: tls.clientCertPair.crt, key: tls.clientCertPair.key } : {}),
          ...(tls.serverNameOverride ? { servername: tls.serverNameOverride } : {}),
          ALPNProtocols: ['h2'],
        }
      : undefined;
    this.baseHeaders = {
      [constants.HTTP2_HEADER_METHOD]: 'POST',
      'content-type': 'application/grpc',
      te: 'trailers',
      ...(options.compression === 'gzip' ? { 'grpc-encoding': 'gzip' } : {}),
      ...options.headers,
    };
  }

  /** Sends one request message to `path` (/package.Service/Method); resolves with the response message. */
  unary(path: string, request: Uint8Array, options: CallOptions = {}): Promise<Buffer> {
    if (this.closed) return Promise.reject(new TransportError(new Error('channel closed')));
    return new Promise((resolve, reject) => {
      let session: ClientHttp2Session;
      try {
        session = this.currentSession();
      } catch (error) {
        reject(new TransportError(error));
        return;
      }
      const headers: Record<string, string> = { ...this.baseHeaders, [constants.HTTP2_HEADER_PATH]: path, ...options.headers };
      if (options.timeoutMs !== undefined) headers['grpc-timeout'] = grpcTimeout(options.timeoutMs);
      const stream = session.request(headers, { endStream: false });
      const chunks: Buffer[] = [];
      let responseHeaders: IncomingHttpHeaders = {};
      let trailers: IncomingHttpHeaders | undefined;
      let settled = false;
      const settle = (error: Error | undefined, value?: Buffer) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (error) reject(error);
        else resolve(value!);
      };
      const timer =
        options.timeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              settle(new GrpcStatusError(GRPC_DEADLINE_EXCEEDED, 'deadline exceeded (client)', new TrailerMetadata({})));
              stream.close(constants.NGHTTP2_CANCEL);
            }, options.timeoutMs);
      // The status decides as soon as it is here: a server that refused a request it had not fully
      // received (a message too large) may never take the rest of its body, and the stream then stays open.
      stream.on('response', (received) => {
        responseHeaders = received;
        if (received['grpc-status'] !== undefined) finish(); // trailers-only: an answer without a body
      });
      stream.on('trailers', (received) => {
        trailers = received;
        finish();
      });
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      // An error (e.g. a reset after the server refused a message too large) decides only when no status came.
      let streamError: Error | undefined;
      stream.on('error', (error) => (streamError = error));
      stream.on('close', () => finish());
      const finish = () => {
        if (settled) return;
        // The request still being sent (the server answered before taking it all): stop sending it.
        // Otherwise the stream closes by itself (a reset here would cost a frame per call).
        if (!stream.closed && !stream.writableFinished) stream.close(constants.NGHTTP2_CANCEL);
        // A trailers-only answer (an error without a body) carries its status in the headers.
        const status = trailers ?? (responseHeaders['grpc-status'] !== undefined ? responseHeaders : undefined);
        const httpStatus = Number(responseHeaders[':status'] ?? 0);
        if (!status && httpStatus !== 0 && httpStatus !== 200) {
          settle(new GrpcStatusError(statusOfHttp(httpStatus), `Received HTTP status code ${httpStatus}`, new TrailerMetadata(responseHeaders)));
          return;
        }
        if (!status) {
          settle(new TransportError(streamError ?? new Error(`stream closed without a gRPC status (HTTP ${responseHeaders[':status'] ?? 'none'}, code ${stream.rstCode})`)));
          return;
        }
        const code = Number(status['grpc-status']);
        if (code !== 0) {
          settle(new GrpcStatusError(code, decodeStatusMessage(status['grpc-message']), new TrailerMetadata(status)));
          return;
        }
        try {
          settle(undefined, unframe(Buffer.concat(chunks), responseHeaders['grpc-encoding']));
        } catch (error) {
          settle(new GrpcStatusError(GRPC_INTERNAL, (error as Error).message, new TrailerMetadata(status)));
        }
      };
      stream.end(frame(request, this.options.compression === 'gzip'));
    });
  }

  /** Closes the connection at once; calls still open fail with a TransportError. */
  async close(): Promise<void> {
    this.closed = true;
    const session = this.session;
    this.session = undefined;
    if (session && !session.destroyed) session.destroy();
  }

  /** The TCP (or TLS) socket under the session; small requests go out at once (no Nagle delay). */
  private openSocket(): Duplex {
    const { hostname, port } = new URL(this.authority);
    const host = hostname.replace(/^\[|\]$/g, '');
    const socket = this.tlsOptions
      ? tlsConnect({ ...this.tlsOptions, host, port: Number(port), servername: this.tlsOptions.servername ?? (isIP(host) ? undefined : host) })
      : netConnect({ host, port: Number(port) });
    socket.setNoDelay(true);
    return socket;
  }

  /**
   * Pings the server while the connection is open, and drops a connection that does not answer (a
   * peer gone without a word: a NAT or load balancer that forgot the flow, a paused server), so the
   * next call connects afresh instead of waiting out its deadline on a dead socket.
   */
  private keepAlive(session: ClientHttp2Session): void {
    const timer = setInterval(() => {
      if (session.destroyed || session.closed) return;
      const deadline = setTimeout(() => session.destroy(new Error('keepalive ping unanswered')), KEEPALIVE_TIMEOUT_MS);
      deadline.unref();
      const sent = session.ping((error) => {
        clearTimeout(deadline);
        if (error && !session.destroyed) session.destroy(error);
      });
      if (!sent) clearTimeout(deadline);
    }, KEEPALIVE_INTERVAL_MS);
    timer.unref();
    session.once('close', () => clearInterval(timer));
  }

  private currentSession(): ClientHttp2Session {
    const current = this.session;
    if (current && !current.closed && !current.destroyed) return current;
    const session = connect(this.authority, {
      ...this.tlsOptions,
      createConnection: () => this.openSocket(),
      // Node assumes 100 concurrent streams until the server says; gRPC servers usually say nothing (unlimited).
      peerMaxConcurrentStreams: 2 ** 31 - 1,
      // Node's default of 10 MB for data in flight stalls a session carrying a few large payloads at once;
      // what is in flight is bounded by the run's concurrency and the payload size the user chose.
      maxSessionMemory: Number.MAX_SAFE_INTEGER,
    });
    const forget = () => {
      if (this.session === session) this.session = undefined;
    };
    // A failed or broken connection: its calls fail on their own streams; the next call reconnects.
    session.on('error', forget);
    session.on('goaway', forget);
    session.on('close', forget);
    this.keepAlive(session);
    this.session = session;
    return session;
  }
}

function frame(message: Uint8Array, gzip: boolean): Buffer {
  const body = gzip ? gzipSync(message) : message;
  const framed = Buffer.allocUnsafe(FRAME_HEADER_BYTES + body.length);
  framed[0] = gzip ? 1 : 0;
  framed.writeUInt32BE(body.length, 1);
  framed.set(body, FRAME_HEADER_BYTES);
  return framed;
}

/**
 * The one message of a unary response (an empty body is an empty message). A server answers a gzip
 * request in gzip (the only encoding sched-bench sends, so the only one it can get).
 */
function unframe(body: Buffer, encoding: string | string[] | undefined): Buffer {
  if (body.length === 0) return body;
  if (body.length < FRAME_HEADER_BYTES) throw new Error('truncated gRPC frame');
  const length = body.readUInt32BE(1);
  if (body.length < FRAME_HEADER_BYTES + length) throw new Error('truncated gRPC message');
  const message = body.subarray(FRAME_HEADER_BYTES, FRAME_HEADER_BYTES + length);
  if (body[0] === 0) return message;
  if (encoding !== 'gzip') throw new Error(`response compressed with ${String(encoding)}, which was not asked for`);
  return gunzipSync(message);
}

function decodeStatusMessage(value: string | string[] | undefined): string {
  const text = Array.isArray(value) ? value.join(', ') : (value ?? '');
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
