import { connect as netConnect, isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { gunzipSync, gzipSync } from 'node:zlib';
import { encodeHeaderBlock, type HeaderMap } from './hpack.js';
import { Http2Connection, type StreamListener, type StreamState } from './http2-connection.js';

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
/** The reused buffer plain TCP reads land in: a few whole frames of typical answers per read. */
const READ_BUFFER_BYTES = 64 * 1024;
const KEEPALIVE_INTERVAL_MS = 30_000;
const KEEPALIVE_TIMEOUT_MS = 15_000;

/** grpc-timeout: at most 8 digits, so long deadlines go in seconds. */
function grpcTimeout(ms: number): string {
  const whole = Math.max(1, Math.ceil(ms));
  return whole <= 99_999_999 ? `${whole}m` : `${Math.ceil(whole / 1000)}S`;
}

/** Trailing metadata as the classification reads it (grpc-js's Metadata#get shape). */
class TrailerMetadata {
  constructor(private readonly headers: HeaderMap) {}

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

/** Header fields encoded once per name and value, up to this many values a name (values that vary stay out). */
const FRAGMENT_CACHE_LIMIT = 256;

/**
 * One unary call on a stream: collects the answer and settles once — on the trailers (or a
 * trailers-only answer), the end of the stream, its failure, or the deadline.
 */
class UnaryCall implements StreamListener {
  stream: StreamState | undefined;
  timer: NodeJS.Timeout | undefined;
  settled = false;
  private responseHeaders: HeaderMap | undefined;
  private trailers: HeaderMap | undefined;
  private readonly chunks: Buffer[] = [];
  private streamError: Error | undefined;
  private streamDone = false;

  constructor(
    /** The connection its stream is on (another one when the request is sent again). */
    public connection: Http2Connection,
    private readonly resolve: (message: Buffer) => void,
    private readonly reject: (error: Error) => void,
  ) {}

  headers(headers: HeaderMap, endStream: boolean): void {
    if (endStream) this.streamDone = true;
    if (this.responseHeaders === undefined) {
      this.responseHeaders = headers;
      // The status decides as soon as it is here: a server that refused a request it had not fully
      // received (a message too large) may never take the rest of its body.
      if (headers['grpc-status'] !== undefined) this.finish(); // trailers-only: an answer without a body
    } else {
      this.trailers = headers;
      this.finish();
    }
  }

  data(chunk: Buffer): void {
    this.chunks.push(chunk);
  }

  end(): void {
    this.streamDone = true;
    this.finish();
  }

  fail(error: Error): void {
    this.streamDone = true;
    this.streamError = error;
    this.finish();
  }

  expire(): void {
    this.settle(new GrpcStatusError(GRPC_DEADLINE_EXCEEDED, 'deadline exceeded (client)', new TrailerMetadata({})));
  }

  private settle(error: Error | undefined, value?: Buffer): void {
    if (this.settled) return;
    this.settled = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    // The server answered while the stream is still open (the request not all taken): stop it.
    if (!this.streamDone && this.stream) this.connection.cancel(this.stream);
    if (error) this.reject(error);
    else this.resolve(value!);
  }

  private finish(): void {
    if (this.settled) return;
    const responseHeaders = this.responseHeaders ?? {};
    // A trailers-only answer (an error without a body) carries its status in the headers.
    const status = this.trailers ?? (responseHeaders['grpc-status'] !== undefined ? responseHeaders : undefined);
    const httpStatus = Number(responseHeaders[':status'] ?? 0);
    if (!status && httpStatus !== 0 && httpStatus !== 200) {
      this.settle(new GrpcStatusError(statusOfHttp(httpStatus), `Received HTTP status code ${httpStatus}`, new TrailerMetadata(responseHeaders)));
      return;
    }
    if (!status) {
      const words = `stream closed without a gRPC status (HTTP ${String(responseHeaders[':status'] ?? 'none')})`;
      this.settle(new TransportError(this.streamError ?? new Error(words)));
      return;
    }
    const code = Number(status['grpc-status']);
    if (code !== 0) {
      this.settle(new GrpcStatusError(code, decodeStatusMessage(status['grpc-message']), new TrailerMetadata(status)));
      return;
    }
    try {
      const body = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
      this.settle(undefined, unframe(body, responseHeaders['grpc-encoding']));
    } catch (error) {
      this.settle(new GrpcStatusError(GRPC_INTERNAL, (error as Error).message, new TrailerMetadata(status)));
    }
  }
}

/**
 * Unary gRPC calls over one HTTP/2 connection (sched-bench's own, http2-connection.ts), for the few
 * calls on a benchmark's hot path. The connection is opened on first use and again after it breaks or
 * the server sends GOAWAY; a call on a broken connection fails with a TransportError, and the caller
 * decides about retrying (sched-bench counts every refusal). Only a request the server certainly did
 * not process (never sent, or refused unprocessed: REFUSED_STREAM, above a GOAWAY's last stream) is
 * sent again here, transparently, as the connection hands it back.
 */
export class GrpcChannel {
  private connection: Http2Connection | undefined;
  /** Every connection not yet closed, the current one and those draining after a GOAWAY: close() ends them all. */
  private readonly live = new Set<Http2Connection>();
  private closed = false;
  private readonly host: string;
  private readonly port: number;
  private readonly tlsOptions: ConnectionOptions | undefined;
  /** The pseudo-header fields but :path, and the regular fields of every call, HPACK-encoded once. */
  private readonly pseudoBlock: Buffer;
  private readonly regularBlock: Buffer;
  private readonly baseHeaderNames: Set<string>;
  private readonly baseFields: Array<[string, string]>;
  private readonly fragments = new Map<string, Map<string, Buffer>>();

  constructor(private readonly options: GrpcChannelOptions) {
    const tls = options.tls || undefined;
    const { hostname, port } = new URL(`http://${options.address}`);
    this.host = hostname.replace(/^\[|\]$/g, '');
    this.port = Number(port || (tls ? 443 : 80));
    this.tlsOptions = tls
      ? {
          ...(tls.serverRootCACertificate ? { ca: tls.serverRootCACertificate } : {}),
          ...(tls.clientCertPair ? { cert: tls.clientCertPair.crt, key: tls.clientCertPair.key } : {}),
          servername: tls.serverNameOverride ?? (isIP(this.host) ? undefined : this.host),
          ALPNProtocols: ['h2'],
        }
      : undefined;
    const pseudo: Array<[string, string]> = [
      [':method', 'POST'],
      [':scheme', tls ? 'https' : 'http'],
      [':authority', options.address],
    ];
    this.baseFields = [
      ['content-type', 'application/grpc'],
      ['te', 'trailers'],
      ...(options.compression === 'gzip' ? ([['grpc-encoding', 'gzip']] as Array<[string, string]>) : []),
      ...Object.entries(options.headers),
    ];
    this.pseudoBlock = encodeHeaderBlock(pseudo);
    this.regularBlock = encodeHeaderBlock(this.baseFields);
    this.baseHeaderNames = new Set(this.baseFields.map(([name]) => name));
  }

  /** Sends one request message to `path` (/package.Service/Method); resolves with the response message. */
  unary(path: string, request: Uint8Array, options: CallOptions = {}): Promise<Buffer> {
    if (this.closed) return Promise.reject(new TransportError(new Error('channel closed')));
    return new Promise((resolve, reject) => {
      let connection: Http2Connection;
      try {
        connection = this.currentConnection();
      } catch (error) {
        reject(new TransportError(error));
        return;
      }
      const call = new UnaryCall(connection, resolve, reject);
      if (options.timeoutMs !== undefined) call.timer = setTimeout(() => call.expire(), options.timeoutMs);
      call.stream = connection.request(this.headerBlock(path, options), frame(request, this.options.compression === 'gzip'), call);
    });
  }

  /** Closes the connection at once; calls still open fail with a TransportError. */
  async close(): Promise<void> {
    this.closed = true;
    this.connection = undefined;
    for (const connection of [...this.live]) connection.destroy(new Error('channel closed'));
  }

  /** A request a connection handed back unprocessed: it goes out again on the current connection. */
  private resend(stream: StreamState): void {
    const call = stream.listener as UnaryCall;
    if (call.settled) return;
    let connection: Http2Connection;
    try {
      if (this.closed) throw new Error('channel closed');
      connection = this.currentConnection();
    } catch (error) {
      call.fail(error as Error);
      return;
    }
    call.connection = connection;
    call.stream = connection.request(stream.headerBlock, stream.body, call, stream.resent);
  }

  /**
   * The request's header block: pseudo-fields first (HTTP/2 wants them before the others), then the
   * rest. Per call only cached fragments are joined: looked up by name, then value (no key strings built).
   */
  private headerBlock(path: string, options: CallOptions): Buffer {
    const parts = [this.pseudoBlock, this.fragment(':path', path), this.regularBlock];
    const headers = options.headers;
    if (headers) {
      for (const name in headers) {
        // A call's own field that the channel sends too replaces it, as a merge of the two would.
        if (this.baseHeaderNames.has(name)) return this.mergedHeaderBlock(path, options);
        parts.push(this.fragment(name, headers[name]!));
      }
    }
    if (options.timeoutMs !== undefined) parts.push(this.fragment('grpc-timeout', grpcTimeout(options.timeoutMs)));
    return Buffer.concat(parts);
  }

  private mergedHeaderBlock(path: string, options: CallOptions): Buffer {
    const extra = Object.entries(options.headers ?? {});
    if (options.timeoutMs !== undefined) extra.push(['grpc-timeout', grpcTimeout(options.timeoutMs)]);
    const own = new Set(extra.map(([name]) => name));
    const fields = [...this.baseFields.filter(([name]) => !own.has(name)), ...extra];
    return Buffer.concat([this.pseudoBlock, this.fragment(':path', path), encodeHeaderBlock(fields)]);
  }

  private fragment(name: string, value: string): Buffer {
    let byValue = this.fragments.get(name);
    if (byValue === undefined) this.fragments.set(name, (byValue = new Map()));
    let block = byValue.get(value);
    if (block === undefined) {
      block = encodeHeaderBlock([[name, value]]);
      if (byValue.size < FRAGMENT_CACHE_LIMIT) byValue.set(value, block);
    }
    return block;
  }

  /** The TCP (or TLS) socket under the connection; small requests go out at once (no Nagle delay). */
  private openSocket(received: (chunk: Buffer) => void): Duplex {
    if (!this.tlsOptions) {
      // Reads land in one reused buffer, copied out (the connection keeps partial frames and bodies).
      const onread = {
        buffer: Buffer.allocUnsafe(READ_BUFFER_BYTES),
        callback: (bytes: number, buffer: Buffer) => {
          received(Buffer.from(buffer.subarray(0, bytes)));
          return true; // keep reading
        },
      };
      const socket = netConnect({ host: this.host, port: this.port, onread });
      socket.setNoDelay(true);
      return socket;
    }
    const socket: TLSSocket = tlsConnect({ ...this.tlsOptions, host: this.host, port: this.port });
    socket.setNoDelay(true);
    socket.once('secureConnect', () => {
      // A server that answers ALPN with anything but h2 does not speak gRPC on this port.
      if (typeof socket.alpnProtocol === 'string' && socket.alpnProtocol !== 'h2') {
        socket.destroy(new Error(`the server negotiated ${socket.alpnProtocol}, not HTTP/2 (ALPN h2)`));
      }
    });
    return socket;
  }

  /**
   * Pings the server while the connection is open, and drops a connection that does not answer (a
   * peer gone without a word: a NAT or load balancer that forgot the flow, a paused server), so the
   * next call connects afresh instead of waiting out its deadline on a dead socket.
   */
  private keepAlive(connection: Http2Connection): void {
    const timer = setInterval(() => {
      if (connection.closed) {
        clearInterval(timer);
        return;
      }
      const deadline = setTimeout(() => connection.destroy(new Error('keepalive ping unanswered')), KEEPALIVE_TIMEOUT_MS);
      deadline.unref();
      connection.ping(() => clearTimeout(deadline));
    }, KEEPALIVE_INTERVAL_MS);
    timer.unref();
  }

  private currentConnection(): Http2Connection {
    const current = this.connection;
    if (current?.usable) return current;
    const connection: Http2Connection = new Http2Connection(this.openSocket((chunk) => connection.receive(chunk)), {
      fedByOnread: !this.tlsOptions,
      // A failed, broken or closing connection: its calls end on their own; the next call reconnects.
      onUnusable: () => {
        if (this.connection === connection) this.connection = undefined;
      },
      onClosed: () => this.live.delete(connection),
      onUnprocessed: (stream) => this.resend(stream),
    });
    this.live.add(connection);
    this.keepAlive(connection);
    this.connection = connection;
    return connection;
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
