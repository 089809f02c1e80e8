/**
 * A minimal HTTP/2 client connection (RFC 7540/9113) for unary gRPC calls: requests go out as a HEADERS
 * frame (a pre-encoded HPACK block) and DATA, answers come back as headers, data and trailers. It does
 * what such calls need and nothing more (no push, no priorities, no server-initiated streams), at a
 * fraction of node:http2's per-stream cost: no stream objects, events or async resources per call,
 * and every frame written in one tick goes out in one socket write.
 */
import type { Duplex } from 'node:stream';
import { HpackDecoder, type HeaderMap } from './hpack.js';

const FRAME_DATA = 0x0;
const FRAME_HEADERS = 0x1;
const FRAME_RST_STREAM = 0x3;
const FRAME_SETTINGS = 0x4;
const FRAME_PUSH_PROMISE = 0x5;
const FRAME_PING = 0x6;
const FRAME_GOAWAY = 0x7;
const FRAME_WINDOW_UPDATE = 0x8;
const FRAME_CONTINUATION = 0x9;

const FLAG_END_STREAM = 0x1;
const FLAG_ACK = 0x1;
const FLAG_END_HEADERS = 0x4;
const FLAG_PADDED = 0x8;
const FLAG_PRIORITY = 0x20;

const SETTING_HEADER_TABLE_SIZE = 0x1;
const SETTING_ENABLE_PUSH = 0x2;
const SETTING_MAX_CONCURRENT_STREAMS = 0x3;
const SETTING_INITIAL_WINDOW_SIZE = 0x4;
const SETTING_MAX_FRAME_SIZE = 0x5;

export const H2_NO_ERROR = 0x0;
export const H2_PROTOCOL_ERROR = 0x1;
export const H2_FLOW_CONTROL_ERROR = 0x3;
export const H2_FRAME_SIZE_ERROR = 0x6;
export const H2_REFUSED_STREAM = 0x7;
export const H2_CANCEL = 0x8;
export const H2_COMPRESSION_ERROR = 0x9;
export const H2_ENHANCE_YOUR_CALM = 0xb;

const ERROR_NAMES = [
  'NO_ERROR', 'PROTOCOL_ERROR', 'INTERNAL_ERROR', 'FLOW_CONTROL_ERROR', 'SETTINGS_TIMEOUT', 'STREAM_CLOSED', 'FRAME_SIZE_ERROR',
  'REFUSED_STREAM', 'CANCEL', 'COMPRESSION_ERROR', 'CONNECT_ERROR', 'ENHANCE_YOUR_CALM', 'INADEQUATE_SECURITY', 'HTTP_1_1_REQUIRED',
];
export function h2ErrorName(code: number): string {
  return ERROR_NAMES[code] ?? `0x${code.toString(16)}`;
}

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
const FRAME_HEADER_BYTES = 9;
const DEFAULT_WINDOW = 65_535;
const MAX_WINDOW = 2 ** 31 - 1;
const MAX_STREAM_ID = 2 ** 31 - 1;
/** Frames larger than this are refused whatever the server announces (we never raise SETTINGS_MAX_FRAME_SIZE). */
const OUR_MAX_FRAME_SIZE = 16_384;
/** Until the server's first SETTINGS: the limit RFC 9113 recommends servers allow at least (and nghttp2 assumes). */
const ASSUMED_MAX_CONCURRENT_STREAMS = 100;
/** A header block (HEADERS and its CONTINUATIONs) larger than this is refused: no answer of ours needs as much. */
const MAX_HEADER_BLOCK_BYTES = 1024 * 1024;

/** What a stream's owner hears: headers (then trailers), data, the end; or a failure instead of the end. */
export interface StreamListener {
  /** A header block: the response headers, later the trailers (endStream set). */
  headers(headers: HeaderMap, endStream: boolean): void;
  data(chunk: Buffer): void;
  /** The server ended the stream (after its last headers or data). */
  end(): void;
  /** The stream was reset, refused or lost with its connection; never after end(). */
  fail(error: Error): void;
}

export interface Http2ConnectionOptions {
  /** Our receive window per stream (SETTINGS_INITIAL_WINDOW_SIZE). */
  streamWindow?: number;
  /** Our receive window for the connection. */
  connectionWindow?: number;
  /** Called once when the connection can take no new streams (GOAWAY, error, closed, ids used up). */
  onUnusable?: () => void;
  /** Called once when the connection is closed (after onUnusable). */
  onClosed?: () => void;
  /**
   * Takes back a request the server certainly did not process, to send it again on another (or this)
   * connection: one never sent (queued at GOAWAY or when the stream ids ran out), or one refused with
   * REFUSED_STREAM or above a GOAWAY's last stream id (RFC 9113 §8.7), the latter once per request.
   * Without it such requests fail.
   */
  onUnprocessed?: (stream: StreamState) => void;
  /**
   * The socket's bytes come to `receive` from the socket's own `onread` callback rather than its 'data'
   * events (a plain TCP socket: no stream machinery per read, which at low rates is much of a call's cost).
   */
  fedByOnread?: boolean;
}

/** A request's stream: queued (id 0) until the server's concurrency limit lets it open, then open. */
export class StreamState {
  id = 0;
  /** Request body not yet sent (flow control held it back); undefined once all is sent. */
  pendingBody: Buffer | undefined;
  sendWindow = 0;
  /** Data received and not yet given back with a WINDOW_UPDATE. */
  unacked = 0;
  /** A header block arrived already (the next is the trailers). */
  sawHeaders = false;

  constructor(
    readonly listener: StreamListener,
    readonly headerBlock: Buffer,
    readonly body: Buffer,
    /** Sent once already and refused unprocessed: a second refusal fails it. */
    public resent = false,
  ) {
    this.pendingBody = body.length > 0 ? body : undefined;
  }
}

/** One HTTP/2 connection over an already connecting socket (TCP, or TLS that negotiated h2). */
export class Http2Connection {
  private readonly streams = new Map<number, StreamState>();
  /** Requests beyond the server's SETTINGS_MAX_CONCURRENT_STREAMS, sent as streams close. */
  private readonly queued: StreamState[] = [];
  /** Streams whose body waits for window. */
  private readonly blocked = new Set<StreamState>();
  private readonly decoder = new HpackDecoder();
  private readonly streamWindow: number;
  private readonly connectionWindow: number;
  private nextStreamId = 1;
  private peerMaxConcurrentStreams = ASSUMED_MAX_CONCURRENT_STREAMS;
  private peerInitialWindow = DEFAULT_WINDOW;
  private peerMaxFrameSize = 16_384;
  private connectionSendWindow = DEFAULT_WINDOW;
  private connectionUnacked = 0;
  private input: Buffer | undefined;
  private output: Buffer[] = [];
  private flushScheduled = false;
  /** A header block split over HEADERS and CONTINUATION frames, until its END_HEADERS. */
  private continuation: { streamId: number; endStream: boolean; fragments: Buffer[]; bytes: number } | undefined;
  private readonly pings = new Map<bigint, (error?: Error) => void>();
  private pingCounter = 0n;
  private goingAway = false;
  private unusableSignalled = false;
  /** The socket's buffer is full (write returned false): no new stream or request data until 'drain'. */
  private writeBlocked = false;
  private destroyed = false;
  private closeError: Error | undefined;

  constructor(private readonly socket: Duplex, private readonly options: Http2ConnectionOptions = {}) {
    this.streamWindow = options.streamWindow ?? 4 * 1024 * 1024;
    this.connectionWindow = options.connectionWindow ?? 1024 * 1024 * 1024;
    if (!options.fedByOnread) socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', (error: Error) => this.destroy(error));
    socket.on('close', () => this.destroy(new Error('connection closed')));
    const settings = Buffer.alloc(18);
    settings.writeUInt16BE(SETTING_ENABLE_PUSH, 0);
    settings.writeUInt32BE(0, 2);
    settings.writeUInt16BE(SETTING_INITIAL_WINDOW_SIZE, 6);
    settings.writeUInt32BE(this.streamWindow, 8);
    settings.writeUInt16BE(SETTING_HEADER_TABLE_SIZE, 12);
    settings.writeUInt32BE(4096, 14);
    this.write(PREFACE);
    this.writeFrame(FRAME_SETTINGS, 0, 0, settings);
    if (this.connectionWindow > DEFAULT_WINDOW) this.writeWindowUpdate(0, this.connectionWindow - DEFAULT_WINDOW);
  }

  /** It takes new streams: open, no GOAWAY, stream ids left. */
  get usable(): boolean {
    return !this.destroyed && !this.goingAway && this.nextStreamId <= MAX_STREAM_ID;
  }

  /** Closed (by either side or an error): nothing more will be heard on it. */
  get closed(): boolean {
    return this.destroyed;
  }

  /**
   * Sends a request (a complete header block and the whole body) on a new stream, or queues it while
   * the server's concurrent-stream limit is reached. The listener hears the answer; cancel(handle) drops it.
   */
  request(headerBlock: Buffer, body: Buffer, listener: StreamListener, resent = false): StreamState {
    const stream = new StreamState(listener, headerBlock, body, resent);
    if (!this.usable) listener.fail(this.closeError ?? new Error('connection going away'));
    else if (this.writeBlocked || this.queued.length > 0 || this.streams.size >= this.peerMaxConcurrentStreams) this.queued.push(stream);
    else this.open(stream);
    return stream;
  }

  /** Stops a stream we no longer want (its deadline passed); the server hears RST_STREAM CANCEL. */
  cancel(stream: StreamState): void {
    if (stream.id === 0) {
      const queuedAt = this.queued.indexOf(stream);
      if (queuedAt >= 0) this.queued.splice(queuedAt, 1);
      return;
    }
    if (this.streams.get(stream.id) !== stream) return;
    this.writeFrame(FRAME_RST_STREAM, 0, stream.id, uint32(H2_CANCEL));
    this.forget(stream);
    this.openQueued();
  }

  /** Sends a PING; `done` hears the ACK, or the error that closed the connection first. */
  ping(done: (error?: Error) => void): void {
    if (this.destroyed) {
      done(this.closeError);
      return;
    }
    const payload = Buffer.alloc(8);
    const key = ++this.pingCounter;
    payload.writeBigUInt64BE(key);
    this.pings.set(key, done);
    this.writeFrame(FRAME_PING, 0, 0, payload);
  }

  /** Closes at once: streams open or queued fail with `error`. */
  destroy(error: Error = new Error('connection closed')): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.closeError = error;
    this.flush();
    this.socket.destroy();
    this.signalUnusable();
    this.options.onClosed?.();
    const streams = [...this.streams.values()];
    this.streams.clear();
    this.blocked.clear();
    const queued = this.queued.splice(0);
    for (const stream of streams) stream.listener.fail(error);
    for (const stream of queued) stream.listener.fail(error);
    for (const done of this.pings.values()) done(error);
    this.pings.clear();
  }

  private open(stream: StreamState): void {
    stream.id = this.nextStreamId;
    this.nextStreamId += 2;
    stream.sendWindow = this.peerInitialWindow;
    this.streams.set(stream.id, stream);
    const block = stream.headerBlock;
    const body = stream.pendingBody;
    if (body && block.length <= this.peerMaxFrameSize && body.length <= Math.min(stream.sendWindow, this.connectionSendWindow, this.peerMaxFrameSize)) {
      this.writeRequest(stream.id, block, body); // the usual small request: both frames in one buffer
      stream.sendWindow -= body.length;
      this.connectionSendWindow -= body.length;
      stream.pendingBody = undefined;
    } else {
      this.writeHeaders(stream.id, block, body === undefined);
      if (body) this.sendBody(stream);
    }
    if (this.nextStreamId > MAX_STREAM_ID) this.stopTakingStreams();
  }

  private writeHeaders(id: number, block: Buffer, endStream: boolean): void {
    const endFlag = endStream ? FLAG_END_STREAM : 0;
    if (block.length <= this.peerMaxFrameSize) {
      this.writeFrame(FRAME_HEADERS, FLAG_END_HEADERS | endFlag, id, block);
      return;
    }
    let offset = 0;
    while (offset < block.length) {
      const end = Math.min(block.length, offset + this.peerMaxFrameSize);
      const last = end === block.length ? FLAG_END_HEADERS : 0;
      this.writeFrame(offset === 0 ? FRAME_HEADERS : FRAME_CONTINUATION, last | (offset === 0 ? endFlag : 0), id, block.subarray(offset, end));
      offset = end;
    }
  }

  /** Sends as much of the stream's body as both windows allow; the rest waits for WINDOW_UPDATE. */
  private sendBody(stream: StreamState): void {
    let body = stream.pendingBody;
    while (body) {
      const room = Math.min(stream.sendWindow, this.connectionSendWindow, this.peerMaxFrameSize);
      if (room <= 0 || this.writeBlocked) {
        this.blocked.add(stream);
        break;
      }
      const size = Math.min(room, body.length);
      const last = size === body.length;
      this.writeFrame(FRAME_DATA, last ? FLAG_END_STREAM : 0, stream.id, last ? body : body.subarray(0, size));
      stream.sendWindow -= size;
      this.connectionSendWindow -= size;
      body = last ? undefined : body.subarray(size);
    }
    stream.pendingBody = body;
    if (!body) this.blocked.delete(stream);
  }

  private forget(stream: StreamState): void {
    this.streams.delete(stream.id);
    this.blocked.delete(stream);
    if (this.goingAway && this.streams.size === 0) this.destroy(new Error('connection closed after GOAWAY'));
  }

  private openQueued(): void {
    while (this.queued.length > 0 && this.streams.size < this.peerMaxConcurrentStreams && this.usable && !this.writeBlocked) {
      this.open(this.queued.shift()!);
    }
  }

  /** No new streams here: requests never sent go back to the owner (refused ones too), to go out elsewhere. */
  private stopTakingStreams(refused: StreamState[] = [], refusal?: Error): void {
    this.goingAway = true;
    this.signalUnusable();
    const queued = this.queued.splice(0);
    if (this.streams.size === 0) this.destroy(new Error('connection closed after GOAWAY'));
    for (const stream of refused) this.refused(stream, refusal!);
    for (const stream of queued) {
      if (this.options.onUnprocessed) this.options.onUnprocessed(stream);
      else stream.listener.fail(new Error('connection going away before the stream was sent'));
    }
  }

  /** A stream the server did not process: sent again once through the owner, else it fails. */
  private refused(stream: StreamState, error: Error): void {
    if (this.options.onUnprocessed && !stream.resent && !stream.sawHeaders) {
      stream.resent = true;
      this.options.onUnprocessed(stream);
    } else stream.listener.fail(error);
  }

  private signalUnusable(): void {
    if (this.unusableSignalled) return;
    this.unusableSignalled = true;
    this.options.onUnusable?.();
  }

  // ---- frames in ----

  /** Bytes from the socket, in order; the connection may keep `chunk` (an onread buffer is copied first). */
  receive(chunk: Buffer): void {
    const buffer = this.input ? Buffer.concat([this.input, chunk]) : chunk;
    let offset = 0;
    while (!this.destroyed && buffer.length - offset >= FRAME_HEADER_BYTES) {
      const length = buffer.readUIntBE(offset, 3);
      if (length > OUR_MAX_FRAME_SIZE) {
        this.fail(H2_FRAME_SIZE_ERROR, `frame of ${length} bytes, above the ${OUR_MAX_FRAME_SIZE} allowed`);
        return;
      }
      if (buffer.length - offset < FRAME_HEADER_BYTES + length) break;
      const type = buffer[offset + 3]!;
      const flags = buffer[offset + 4]!;
      const streamId = buffer.readUInt32BE(offset + 5) & 0x7fffffff;
      const payload = buffer.subarray(offset + FRAME_HEADER_BYTES, offset + FRAME_HEADER_BYTES + length);
      offset += FRAME_HEADER_BYTES + length;
      this.frame(type, flags, streamId, payload);
    }
    this.input = offset < buffer.length ? buffer.subarray(offset) : undefined;
  }

  private frame(type: number, flags: number, streamId: number, payload: Buffer): void {
    if (this.continuation && type !== FRAME_CONTINUATION) {
      this.fail(H2_PROTOCOL_ERROR, 'a header block was interrupted by another frame');
      return;
    }
    const onStream = type === FRAME_DATA || type === FRAME_HEADERS || type === FRAME_CONTINUATION || type === FRAME_RST_STREAM;
    const onConnection = type === FRAME_SETTINGS || type === FRAME_PING || type === FRAME_GOAWAY;
    if ((onStream && streamId === 0) || (onConnection && streamId !== 0)) {
      this.fail(H2_PROTOCOL_ERROR, `frame of type ${type} on stream ${streamId}`);
      return;
    }
    switch (type) {
      case FRAME_DATA:
        return this.onData(flags, streamId, payload);
      case FRAME_HEADERS:
        return this.onHeaders(flags, streamId, payload);
      case FRAME_CONTINUATION:
        return this.onContinuation(flags, streamId, payload);
      case FRAME_RST_STREAM:
        return this.onReset(streamId, payload);
      case FRAME_SETTINGS:
        return this.onSettings(flags, payload);
      case FRAME_PING:
        return this.onPing(flags, payload);
      case FRAME_GOAWAY:
        return this.onGoaway(payload);
      case FRAME_WINDOW_UPDATE:
        return this.onWindowUpdate(streamId, payload);
      case FRAME_PUSH_PROMISE:
        return this.fail(H2_PROTOCOL_ERROR, 'PUSH_PROMISE although push is disabled');
      default:
        return; // PRIORITY and unknown frame types are ignored
    }
  }

  private onData(flags: number, streamId: number, payload: Buffer): void {
    // Flow control counts the whole payload, padding included, on streams we dropped too.
    this.connectionUnacked += payload.length;
    if (this.connectionUnacked >= this.connectionWindow / 2) {
      this.writeWindowUpdate(0, this.connectionUnacked);
      this.connectionUnacked = 0;
    }
    const stream = this.streams.get(streamId);
    if (!stream) return;
    const data = flags & FLAG_PADDED ? unpad(payload) : payload;
    if (!data) return this.fail(H2_PROTOCOL_ERROR, 'bad padding');
    const endStream = (flags & FLAG_END_STREAM) !== 0;
    if (!endStream) {
      stream.unacked += payload.length;
      if (stream.unacked >= this.streamWindow / 2) {
        this.writeWindowUpdate(stream.id, stream.unacked);
        stream.unacked = 0;
      }
    }
    if (data.length > 0) stream.listener.data(data);
    if (endStream) this.ended(stream);
  }

  private onHeaders(flags: number, streamId: number, payload: Buffer): void {
    let fragment: Buffer | undefined = flags & FLAG_PADDED ? unpad(payload) : payload;
    if (!fragment) return this.fail(H2_PROTOCOL_ERROR, 'bad padding');
    if (flags & FLAG_PRIORITY) fragment = fragment.subarray(5);
    const endStream = (flags & FLAG_END_STREAM) !== 0;
    if (flags & FLAG_END_HEADERS) this.headerBlock(streamId, endStream, fragment);
    else this.continuation = { streamId, endStream, fragments: [fragment], bytes: fragment.length };
  }

  private onContinuation(flags: number, streamId: number, payload: Buffer): void {
    const pending = this.continuation;
    if (!pending || pending.streamId !== streamId) return this.fail(H2_PROTOCOL_ERROR, 'CONTINUATION without its HEADERS');
    pending.fragments.push(payload);
    pending.bytes += payload.length;
    if (pending.bytes > MAX_HEADER_BLOCK_BYTES) return this.fail(H2_ENHANCE_YOUR_CALM, `header block above ${MAX_HEADER_BLOCK_BYTES} bytes`);
    if (flags & FLAG_END_HEADERS) {
      this.continuation = undefined;
      this.headerBlock(streamId, pending.endStream, Buffer.concat(pending.fragments));
    }
  }

  private headerBlock(streamId: number, endStream: boolean, block: Buffer): void {
    let headers: HeaderMap;
    try {
      // Decoded even for a stream we dropped: the dynamic table is the connection's.
      headers = this.decoder.decode(block);
    } catch (error) {
      return this.fail(H2_COMPRESSION_ERROR, (error as Error).message);
    }
    const stream = this.streams.get(streamId);
    if (!stream) return;
    const status = headers[':status'];
    // Informational answers (1xx) come before the real ones; gRPC has no use for them.
    if (!stream.sawHeaders && typeof status === 'string' && status.startsWith('1') && !endStream) return;
    stream.sawHeaders = true;
    stream.listener.headers(headers, endStream);
    if (endStream) this.ended(stream);
  }

  /** The server is done with the stream; a body it did not wait for is not sent on. */
  private ended(stream: StreamState): void {
    if (!this.streams.has(stream.id)) return;
    if (stream.pendingBody !== undefined) this.writeFrame(FRAME_RST_STREAM, 0, stream.id, uint32(H2_CANCEL));
    this.forget(stream);
    stream.listener.end();
    this.openQueued();
  }

  private onReset(streamId: number, payload: Buffer): void {
    if (payload.length !== 4) return this.fail(H2_FRAME_SIZE_ERROR, 'RST_STREAM of the wrong size');
    const stream = this.streams.get(streamId);
    if (!stream) return;
    const code = payload.readUInt32BE(0);
    this.forget(stream);
    const error = Object.assign(new Error(`stream reset by the server with ${h2ErrorName(code)}`), { http2Code: code });
    if (code === H2_REFUSED_STREAM) this.refused(stream, error);
    else stream.listener.fail(error);
    this.openQueued();
  }

  private onSettings(flags: number, payload: Buffer): void {
    if (flags & FLAG_ACK) return;
    if (payload.length % 6 !== 0) return this.fail(H2_FRAME_SIZE_ERROR, 'SETTINGS of the wrong size');
    for (let offset = 0; offset < payload.length; offset += 6) {
      const id = payload.readUInt16BE(offset);
      const value = payload.readUInt32BE(offset + 2);
      if (id === SETTING_MAX_CONCURRENT_STREAMS) this.peerMaxConcurrentStreams = value;
      else if (id === SETTING_INITIAL_WINDOW_SIZE) {
        if (value > MAX_WINDOW) return this.fail(H2_FLOW_CONTROL_ERROR, 'initial window above 2^31-1');
        const delta = value - this.peerInitialWindow;
        for (const stream of this.streams.values()) {
          if (stream.sendWindow + delta > MAX_WINDOW) return this.fail(H2_FLOW_CONTROL_ERROR, 'a stream window above 2^31-1 after SETTINGS');
        }
        this.peerInitialWindow = value;
        for (const stream of this.streams.values()) stream.sendWindow += delta;
      } else if (id === SETTING_MAX_FRAME_SIZE) {
        if (value < 16_384 || value > 16_777_215) return this.fail(H2_PROTOCOL_ERROR, `max frame size ${value} out of range`);
        this.peerMaxFrameSize = value;
      }
      // HEADER_TABLE_SIZE concerns an encoder's dynamic table: ours never indexes. Others need nothing.
    }
    this.writeFrame(FRAME_SETTINGS, FLAG_ACK, 0, Buffer.alloc(0));
    this.unblock();
    this.openQueued();
  }

  private onPing(flags: number, payload: Buffer): void {
    if (payload.length !== 8) return this.fail(H2_FRAME_SIZE_ERROR, 'PING of the wrong size');
    if (!(flags & FLAG_ACK)) {
      this.writeFrame(FRAME_PING, FLAG_ACK, 0, Buffer.from(payload));
      return;
    }
    const key = payload.readBigUInt64BE(0);
    const done = this.pings.get(key);
    this.pings.delete(key);
    done?.();
  }

  /** Streams above the last one the server will process are refused (safe to retry); the rest may finish. */
  private onGoaway(payload: Buffer): void {
    if (payload.length < 8) return this.fail(H2_FRAME_SIZE_ERROR, 'GOAWAY too short');
    const lastStreamId = payload.readUInt32BE(0) & 0x7fffffff;
    const code = payload.readUInt32BE(4);
    const reason = payload.length > 8 ? `: ${payload.subarray(8).toString('utf8')}` : '';
    const refused = [...this.streams.values()].filter((stream) => stream.id > lastStreamId);
    for (const stream of refused) this.forget(stream);
    this.closeError = new Error(`the server is going away (GOAWAY ${h2ErrorName(code)}${reason})`);
    this.stopTakingStreams(refused, new Error(`stream refused: the server is going away (GOAWAY ${h2ErrorName(code)}${reason})`));
  }

  private onWindowUpdate(streamId: number, payload: Buffer): void {
    if (payload.length !== 4) return this.fail(H2_FRAME_SIZE_ERROR, 'WINDOW_UPDATE of the wrong size');
    const increment = payload.readUInt32BE(0) & 0x7fffffff;
    if (streamId === 0) {
      if (increment === 0) return this.fail(H2_PROTOCOL_ERROR, 'connection WINDOW_UPDATE of 0');
      if (this.connectionSendWindow + increment > MAX_WINDOW) return this.fail(H2_FLOW_CONTROL_ERROR, 'connection window above 2^31-1');
      this.connectionSendWindow += increment;
      this.unblock();
      return;
    }
    const stream = this.streams.get(streamId);
    if (!stream) return;
    if (increment === 0) return this.resetStream(stream, H2_PROTOCOL_ERROR, 'stream WINDOW_UPDATE of 0');
    if (stream.sendWindow + increment > MAX_WINDOW) return this.resetStream(stream, H2_FLOW_CONTROL_ERROR, 'stream window above 2^31-1');
    stream.sendWindow += increment;
    if (stream.pendingBody) this.sendBody(stream);
  }

  private unblock(): void {
    for (const stream of [...this.blocked]) {
      if (this.connectionSendWindow <= 0 || this.writeBlocked) return;
      this.sendBody(stream);
    }
  }

  /** A stream error: RST_STREAM with the code; the stream fails, the connection goes on. */
  private resetStream(stream: StreamState, code: number, message: string): void {
    this.writeFrame(FRAME_RST_STREAM, 0, stream.id, uint32(code));
    this.forget(stream);
    stream.listener.fail(Object.assign(new Error(`HTTP/2 ${h2ErrorName(code)}: ${message}`), { http2Code: code }));
    this.openQueued();
  }

  /** A connection error: GOAWAY with the code, then closed. */
  private fail(code: number, message: string): void {
    const payload = Buffer.alloc(8);
    payload.writeUInt32BE(0, 0);
    payload.writeUInt32BE(code, 4);
    this.writeFrame(FRAME_GOAWAY, 0, 0, payload);
    this.destroy(new Error(`HTTP/2 ${h2ErrorName(code)}: ${message}`));
  }

  // ---- frames out ----

  private writeWindowUpdate(streamId: number, increment: number): void {
    this.writeFrame(FRAME_WINDOW_UPDATE, 0, streamId, uint32(increment));
  }

  /** HEADERS (END_HEADERS) and DATA (END_STREAM) of a request that fits in one frame each. */
  private writeRequest(streamId: number, block: Buffer, body: Buffer): void {
    const bytes = Buffer.allocUnsafe(2 * FRAME_HEADER_BYTES + block.length + body.length);
    writeFrameHeader(bytes, 0, block.length, FRAME_HEADERS, FLAG_END_HEADERS, streamId);
    block.copy(bytes, FRAME_HEADER_BYTES);
    const dataAt = FRAME_HEADER_BYTES + block.length;
    writeFrameHeader(bytes, dataAt, body.length, FRAME_DATA, FLAG_END_STREAM, streamId);
    body.copy(bytes, dataAt + FRAME_HEADER_BYTES);
    this.write(bytes);
  }

  private writeFrame(type: number, flags: number, streamId: number, payload: Buffer): void {
    const header = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
    writeFrameHeader(header, 0, payload.length, type, flags, streamId);
    this.write(header);
    if (payload.length > 0) this.write(payload);
  }

  /** Frames written in one tick leave in one socket write. */
  private write(bytes: Buffer): void {
    if (this.destroyed) return;
    this.output.push(bytes);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    process.nextTick(() => this.flush());
  }

  private flush(): void {
    this.flushScheduled = false;
    const output = this.output;
    if (output.length === 0) return;
    this.output = [];
    if (this.socket.destroyed) return;
    if (!this.socket.write(output.length === 1 ? output[0] : Buffer.concat(output))) this.holdUntilDrained();
  }

  /**
   * The socket buffers more than it wants: new streams stay queued and request bodies wait until it
   * drains (control frames, small, still go out: PING and its ACK, RST_STREAM, WINDOW_UPDATE, SETTINGS).
   */
  private holdUntilDrained(): void {
    if (this.writeBlocked) return;
    this.writeBlocked = true;
    this.socket.once('drain', () => {
      this.writeBlocked = false;
      if (this.destroyed) return;
      this.unblock();
      this.openQueued();
    });
  }
}

function writeFrameHeader(bytes: Buffer, at: number, length: number, type: number, flags: number, streamId: number): void {
  bytes.writeUIntBE(length, at, 3);
  bytes[at + 3] = type;
  bytes[at + 4] = flags;
  bytes.writeUInt32BE(streamId, at + 5);
}

function uint32(value: number): Buffer {
  const bytes = Buffer.allocUnsafe(4);
  bytes.writeUInt32BE(value, 0);
  return bytes;
}

/** A padded frame's content without its pad length octet and padding; undefined when the padding is too long. */
function unpad(payload: Buffer): Buffer | undefined {
  if (payload.length < 1) return undefined;
  const padding = payload[0]!;
  if (padding >= payload.length) return undefined;
  return payload.subarray(1, payload.length - padding);
}
