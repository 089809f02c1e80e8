import { afterEach, describe, expect, it } from 'vitest';
import { constants, createServer, type Http2Server, type Http2Session, type ServerHttp2Stream } from 'node:http2';
import { connect as netConnect, createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';
import { encodeHeaderBlock, HpackDecoder, huffmanCodeLengths, huffmanCodes, huffmanDecode } from '../../src/temporal/wire/hpack.js';
import { Http2Connection, type StreamListener } from '../../src/temporal/wire/http2-connection.js';
import { GrpcChannel, GrpcStatusError, TransportError } from '../../src/temporal/wire/grpc-channel.js';

const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ''), 'hex');

describe('HPACK decoding (RFC 7541)', () => {
  it('decodes the RFC’s request examples with Huffman strings, sharing the dynamic table across blocks (C.4)', () => {
    const decoder = new HpackDecoder();
    expect(decoder.decode(hex('8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff'))).toEqual({
      ':method': 'GET', ':scheme': 'http', ':path': '/', ':authority': 'www.example.com',
    });
    // 0xbe: index 62, the entry the first block added.
    expect(decoder.decode(hex('8286 84be 5886 a8eb 1064 9cbf'))).toEqual({
      ':method': 'GET', ':scheme': 'http', ':path': '/', ':authority': 'www.example.com', 'cache-control': 'no-cache',
    });
    expect(decoder.dynamicEntries).toEqual([['cache-control', 'no-cache'], [':authority', 'www.example.com']]);
  });

  it('decodes the RFC’s response examples, evicting the oldest entry when the table is full (C.6, 256 octets)', () => {
    const decoder = new HpackDecoder(256);
    const first = hex(`4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6 2d1b ff6e 919d 29ad 1718 63c7 8f0b
      97c8 e9ae 82ae 43d3`);
    const headers = { 'cache-control': 'private', date: 'Mon, 21 Oct 2013 20:13:21 GMT', location: 'https://www.example.com' };
    expect(decoder.decode(first)).toEqual({ ':status': '302', ...headers });
    expect(decoder.decode(hex('4883 640e ffc1 c0bf'))).toEqual({ ':status': '307', ...headers });
    expect(decoder.dynamicEntries.map(([name]) => name)).toEqual([':status', 'location', 'date', 'cache-control']);
  });

  it('applies size updates and refuses one above the announced size, or after a field', () => {
    const decoder = new HpackDecoder(4096);
    decoder.decode(hex('4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf')); // custom-key: custom-value (C.4.3's field, literal)
    expect(decoder.dynamicEntries).toHaveLength(1);
    decoder.decode(hex('20')); // size 0: the table empties
    expect(decoder.dynamicEntries).toHaveLength(0);
    expect(() => new HpackDecoder(4096).decode(hex('3fe2 1f'))).toThrow(/above/); // 31 + 98 + 31 * 128 = 4097
    expect(() => new HpackDecoder().decode(hex('8220'))).toThrow(/size update after/);
  });

  it('refuses bad Huffman padding, EOS in a string, and an index beyond the tables', () => {
    expect(() => huffmanDecode(hex('18'), 0, 1)).toThrow(/padding/); // 'a' then 000: padding must be ones
    expect(huffmanDecode(hex('1f'), 0, 1)).toBe('a'); // 'a' then 111
    expect(() => huffmanDecode(hex('ffff fffc'), 0, 4)).toThrow(/EOS/);
    expect(() => new HpackDecoder().decode(hex('ff00'))).toThrow(/beyond/); // index 127, empty dynamic table
  });

  it('has the RFC’s canonical Huffman code (complete, and codes as in Appendix B)', () => {
    const lengths = huffmanCodeLengths();
    expect(lengths).toHaveLength(257);
    expect(lengths.reduce((sum, length) => sum + 2 ** -length, 0)).toBe(1);
    const codes = huffmanCodes();
    expect(codes[0]).toEqual({ code: 0x1ff8, length: 13 });
    expect(codes[' '.charCodeAt(0)]).toEqual({ code: 0x14, length: 6 });
    expect(codes['a'.charCodeAt(0)]).toEqual({ code: 0x3, length: 5 });
    expect(codes['\\'.charCodeAt(0)]).toEqual({ code: 0x7fff0, length: 19 });
    expect(codes[199]).toEqual({ code: 0x1ffffec, length: 25 });
    expect(codes[255]).toEqual({ code: 0x3ffffee, length: 26 });
    expect(codes[256]).toEqual({ code: 0x3fffffff, length: 30 });
  });

  it('encodes literals without indexing that decode back, long values and unknown names included', () => {
    const fields: Array<[string, string]> = [[':method', 'POST'], [':path', '/a.B/C'], ['content-type', 'application/grpc'], ['x-long', 'v'.repeat(300)]];
    const decoder = new HpackDecoder();
    expect(decoder.decode(encodeHeaderBlock(fields))).toEqual(Object.fromEntries(fields));
    expect(decoder.dynamicEntries).toHaveLength(0);
  });
});

/** A node:http2 (nghttp2) server on a free port; `handle` answers each stream. */
async function serve(
  handle: (stream: ServerHttp2Stream, headers: Record<string, string | string[] | undefined>, session: Http2Session) => void,
  settings: Parameters<typeof createServer>[0] = {},
): Promise<{ server: Http2Server; port: number; sessions: Http2Session[] }> {
  const sessions: Http2Session[] = [];
  const server = createServer(settings);
  server.on('session', (session) => {
    sessions.push(session);
    openSessions.push(session);
    session.on('error', () => undefined); // a client that went away mid-stream; the test reads its own side
  });
  server.on('stream', (stream, headers) => {
    stream.on('error', () => undefined); // a stream the test resets or drops on purpose
    handle(stream, headers as Record<string, string>, stream.session!);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return { server, port: (server.address() as AddressInfo).port, sessions };
}

const servers: Http2Server[] = [];
const openSessions: Http2Session[] = [];
afterEach(async () => {
  for (const session of openSessions.splice(0)) session.destroy();
  for (const server of servers.splice(0)) await new Promise<void>((resolve) => server.close(() => resolve()));
});

interface Answer {
  headers: Array<Record<string, string | string[]>>;
  body: Buffer;
}

/** Sends a request on the connection and collects what comes back. */
function exchange(connection: Http2Connection, fields: Array<[string, string]>, body: Buffer = Buffer.alloc(0)): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const answer: Answer = { headers: [], body: Buffer.alloc(0) };
    const chunks: Buffer[] = [];
    const listener: StreamListener = {
      headers: (headers) => answer.headers.push(headers),
      data: (chunk) => chunks.push(chunk),
      end: () => resolve({ ...answer, body: Buffer.concat(chunks) }),
      fail: reject,
    };
    const request: Array<[string, string]> = [[':method', 'POST'], [':scheme', 'http'], [':authority', 'test'], [':path', '/'], ...fields];
    connection.request(encodeHeaderBlock(request), body, listener);
  });
}

function connectTo(port: number, options: ConstructorParameters<typeof Http2Connection>[1] = {}): Http2Connection {
  const connection = new Http2Connection(netConnect({ host: '127.0.0.1', port }), options);
  connections.push(connection);
  return connection;
}
const connections: Http2Connection[] = [];
afterEach(() => {
  for (const connection of connections.splice(0)) connection.destroy();
});

interface RawFrame {
  type: number;
  flags: number;
  streamId: number;
  payload: Buffer;
}

function h2Frame(type: number, flags: number, streamId: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const header = Buffer.alloc(9);
  header.writeUIntBE(payload.length, 0, 3);
  header[3] = type;
  header[4] = flags;
  header.writeUInt32BE(streamId, 5);
  return Buffer.concat([header, payload]);
}

const u32 = (value: number) => {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(value);
  return bytes;
};

/** The whole frames in `bytes` (after the client preface, if it starts with it) and what is left over. */
function parseFrames(bytes: Buffer): { frames: RawFrame[]; rest: Buffer } {
  const preface = 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n';
  let offset = bytes.subarray(0, preface.length).toString('latin1') === preface ? preface.length : 0;
  const frames: RawFrame[] = [];
  while (bytes.length - offset >= 9) {
    const length = bytes.readUIntBE(offset, 3);
    if (bytes.length - offset < 9 + length) break;
    frames.push({ type: bytes[offset + 3]!, flags: bytes[offset + 4]!, streamId: bytes.readUInt32BE(offset + 5) & 0x7fffffff, payload: bytes.subarray(offset + 9, offset + 9 + length) });
    offset += 9 + length;
  }
  return { frames, rest: bytes.subarray(offset) };
}

/**
 * A raw TCP peer speaking just enough HTTP/2 to send frames no well-behaved server sends: it answers the
 * preface with an empty SETTINGS and hands each frame the client sends to `onFrame`.
 */
async function rawServer(onFrame: (frame: RawFrame, socket: Socket) => void): Promise<{ port: number; received: RawFrame[] }> {
  const received: RawFrame[] = [];
  const server = createNetServer((socket) => {
    rawSockets.push(socket);
    socket.on('error', () => undefined);
    socket.write(h2Frame(0x4, 0, 0));
    let input: Buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      const { frames, rest } = parseFrames(Buffer.concat([input, chunk]));
      input = rest;
      for (const frame of frames) {
        received.push(frame);
        onFrame(frame, socket);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  rawServers.push(server);
  return { port: (server.address() as AddressInfo).port, received };
}
const rawServers: NetServer[] = [];
const rawSockets: Socket[] = [];
afterEach(async () => {
  for (const socket of rawSockets.splice(0)) socket.destroy();
  for (const server of rawServers.splice(0)) await new Promise<void>((resolve) => server.close(() => resolve()));
});

const until = async (condition: () => boolean, what: string) => {
  for (let waited = 0; !condition(); waited += 10) {
    if (waited > 5000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

describe('the HTTP/2 connection against nghttp2 (node:http2 server)', () => {
  it('reads headers, data and trailers, and the dynamic table the server fills over many answers', async () => {
    const long = 'x'.repeat(150) + 'ÿ and some words to code';
    const { port } = await serve((stream, headers) => {
      stream.respond({ ':status': 200, 'x-echo': String(headers['x-tag']), 'x-long': long }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0', 'x-trailer': 'done' }));
      stream.end(Buffer.from('hello'));
    });
    const connection = connectTo(port);
    for (let i = 0; i < 5; i++) {
      const answer = await exchange(connection, [['x-tag', `call ${i}`]]);
      expect(answer.headers[0]).toMatchObject({ ':status': '200', 'x-echo': `call ${i}`, 'x-long': long });
      expect(answer.headers[1]).toEqual({ 'grpc-status': '0', 'x-trailer': 'done' });
      expect(answer.body.toString()).toBe('hello');
    }
    // nghttp2 indexes what it sends; later answers referred to those entries, and they decoded the same.
    expect((connection as unknown as { decoder: HpackDecoder }).decoder.dynamicEntries.length).toBeGreaterThan(0);
  });

  it('splits a large header block into CONTINUATION frames and reads the server’s split one', async () => {
    const big = 'b'.repeat(40_000);
    const { port } = await serve(
      (stream, headers) => {
        stream.respond({ ':status': 200, 'x-big': String(headers['x-big']) });
        stream.end();
      },
      { maxHeaderListSize: 200_000, settings: { maxHeaderListSize: 200_000 } } as never,
    );
    const answer = await exchange(connectTo(port), [['x-big', big]]);
    expect(answer.headers[0]!['x-big']).toBe(big);
  });

  it('keeps to flow control both ways: a body larger than the server’s window, an answer larger than ours', async () => {
    const request = Buffer.alloc(1_000_000, 7);
    const response = Buffer.alloc(5_000_000, 9);
    const { port } = await serve((stream) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        stream.respond({ ':status': 200, 'x-received': String(Buffer.concat(chunks).length) });
        stream.end(response);
      });
    });
    const connection = connectTo(port, { streamWindow: 65_535, connectionWindow: 100_000 });
    const answer = await exchange(connection, [], request);
    expect(answer.headers[0]!['x-received']).toBe('1000000');
    expect(answer.body.equals(response)).toBe(true);
  });

  it('opens no more streams at once than the server allows, and sends the rest as streams close', async () => {
    let open = 0;
    let most = 0;
    const { port } = await serve(
      (stream) => {
        open++;
        most = Math.max(most, open);
        setTimeout(() => {
          open--;
          stream.respond({ ':status': 200 });
          stream.end('ok');
        }, 20);
      },
      { settings: { maxConcurrentStreams: 2 } },
    );
    const connection = connectTo(port);
    await exchange(connection, []); // the server's SETTINGS are in
    const answers = await Promise.all(Array.from({ length: 8 }, () => exchange(connection, [])));
    expect(answers.every((answer) => answer.body.toString() === 'ok')).toBe(true);
    expect(most).toBe(2);
  });

  it('fails a stream the server resets, and those above the last one of a GOAWAY; the others finish', async () => {
    const { port } = await serve((stream, headers, session) => {
      if (headers['x-action'] === 'reset') stream.close(constants.NGHTTP2_REFUSED_STREAM);
      else if (headers['x-action'] === 'goaway') session.goaway(constants.NGHTTP2_NO_ERROR, stream.id! - 2);
      else if (headers['x-action'] === 'hold') {
        setTimeout(() => {
          stream.respond({ ':status': 200 });
          stream.end('held');
        }, 50);
      }
    });
    const connection = connectTo(port);
    await expect(exchange(connection, [['x-action', 'reset']])).rejects.toThrow(/REFUSED_STREAM/);
    const held = exchange(connection, [['x-action', 'hold']]); // stream 3: the last one the server takes
    await expect(exchange(connection, [['x-action', 'goaway']])).rejects.toThrow(/GOAWAY/); // stream 5
    expect(connection.usable).toBe(false);
    await expect(held).resolves.toMatchObject({ body: Buffer.from('held') });
    expect(connection.closed).toBe(true); // nothing left open on it
  });

  it('answers pings, and fails open streams when the socket closes', async () => {
    const { port, sessions } = await serve(() => undefined);
    const connection = connectTo(port);
    await new Promise<void>((resolve, reject) => connection.ping((error) => (error ? reject(error) : resolve())));
    const pending = exchange(connection, []);
    await new Promise((resolve) => setTimeout(resolve, 50));
    sessions[0]!.destroy();
    await expect(pending).rejects.toThrow();
    expect(connection.closed).toBe(true);
  });

  it('opens at most 100 streams before the server’s first SETTINGS, and the rest as streams close', async () => {
    const { port } = await serve((stream) => {
      stream.respond({ ':status': 200 });
      stream.end('ok');
    });
    const connection = connectTo(port);
    const answers = Array.from({ length: 150 }, () => exchange(connection, []));
    expect((connection as unknown as { streams: Map<number, unknown> }).streams.size).toBe(100);
    expect((await Promise.all(answers)).every((answer) => answer.body.toString() === 'ok')).toBe(true);
  });

  it('holds new streams and request data while the socket’s buffer is full; pings still go out', async () => {
    const writes: Buffer[] = [];
    const held: Array<() => void> = [];
    let hold = true;
    const socket = new Duplex({
      writableHighWaterMark: 1,
      read() {},
      write(_chunk, _encoding, callback) {
        if (hold) held.push(callback);
        else callback();
      },
    });
    const write = socket.write.bind(socket) as (chunk: Buffer) => boolean;
    socket.write = ((chunk: Buffer) => {
      writes.push(chunk);
      return write(chunk);
    }) as typeof socket.write;
    const connection = new Http2Connection(socket);
    connections.push(connection);
    await new Promise((resolve) => setImmediate(resolve)); // preface and SETTINGS written: the buffer is full
    const listener: StreamListener = { headers: () => undefined, data: () => undefined, end: () => undefined, fail: () => undefined };
    const block = encodeHeaderBlock([[':method', 'POST'], [':scheme', 'http'], [':authority', 'test'], [':path', '/']]);
    connection.request(block, Buffer.from('one'), listener);
    connection.request(block, Buffer.from('two'), listener);
    connection.ping(() => undefined);
    await new Promise((resolve) => setImmediate(resolve));
    const typesWritten = () => parseFrames(Buffer.concat(writes)).frames.map((frame) => frame.type);
    expect(typesWritten()).toContain(0x6); // PING
    expect(typesWritten()).not.toContain(0x1); // no HEADERS yet
    hold = false;
    for (const callback of held.splice(0)) callback();
    await until(() => typesWritten().filter((type) => type === 0x1).length === 2, 'both requests to go out after drain');
    expect(parseFrames(Buffer.concat(writes)).frames.filter((frame) => frame.type === 0x0).map((frame) => frame.payload.toString())).toEqual(['one', 'two']);
  });

  it('resets a stream on a WINDOW_UPDATE of 0 or one beyond 2^31-1, and goes on with the others', async () => {
    let opened = 0;
    const { port, received } = await rawServer((frame, socket) => {
      if (frame.type !== 0x1) return;
      opened++;
      if (opened === 1) socket.write(h2Frame(0x8, 0, frame.streamId, u32(0)));
      else if (opened === 2) socket.write(h2Frame(0x8, 0, frame.streamId, u32(2 ** 31 - 1)));
      else socket.write(h2Frame(0x1, 0x4 | 0x1, frame.streamId, encodeHeaderBlock([[':status', '200']])));
    });
    const connection = connectTo(port);
    await expect(exchange(connection, [])).rejects.toThrow(/PROTOCOL_ERROR/);
    await expect(exchange(connection, [])).rejects.toThrow(/FLOW_CONTROL_ERROR/);
    await expect(exchange(connection, [])).resolves.toMatchObject({ headers: [{ ':status': '200' }] });
    const resets = received.filter((frame) => frame.type === 0x3).map((frame) => [frame.streamId, frame.payload.readUInt32BE(0)]);
    expect(resets).toEqual([[1, 0x1], [3, 0x3]]);
    expect(connection.usable).toBe(true);
  });

  it('closes the connection on protocol errors: a window overflow by SETTINGS, a header block above 1 MiB, HEADERS or DATA on stream 0', async () => {
    const cases: Array<[string, (streamId: number) => Buffer[], number, RegExp]> = [
      ['settings overflow', (id) => [h2Frame(0x8, 0, id, u32(2 ** 31 - 1 - 65_535)), h2Frame(0x4, 0, 0, Buffer.from([0, 4, 0, 1, 0, 0]))], 0x3, /FLOW_CONTROL_ERROR/],
      ['huge header block', (id) => [h2Frame(0x1, 0, id, Buffer.alloc(16_384)), ...Array.from({ length: 64 }, () => h2Frame(0x9, 0, id, Buffer.alloc(16_384)))], 0xb, /1048576/],
      ['HEADERS on stream 0', () => [h2Frame(0x1, 0x4, 0, encodeHeaderBlock([[':status', '200']]))], 0x1, /PROTOCOL_ERROR/],
      ['DATA on stream 0', () => [h2Frame(0x0, 0, 0, Buffer.from('x'))], 0x1, /PROTOCOL_ERROR/],
    ];
    for (const [name, frames, code, message] of cases) {
      const { port, received } = await rawServer((frame, socket) => {
        if (frame.type === 0x1) socket.write(Buffer.concat(frames(frame.streamId)));
      });
      let unusable = 0;
      const connection = connectTo(port, { onUnusable: () => unusable++ });
      await expect(exchange(connection, []), name).rejects.toThrow(message);
      expect(connection.closed, name).toBe(true);
      await until(() => received.some((frame) => frame.type === 0x7), `${name}: the client's GOAWAY`);
      expect(received.find((frame) => frame.type === 0x7)!.payload.readUInt32BE(4), name).toBe(code);
      expect(unusable, name).toBe(1);
    }
  });

  it('tells its owner once that it is unusable, through GOAWAY and the close after it', async () => {
    const { port, sessions } = await serve((stream) => {
      stream.respond({ ':status': 200 });
      stream.end('ok');
    });
    let unusable = 0;
    const connection = connectTo(port, { onUnusable: () => unusable++ });
    await exchange(connection, []);
    sessions[0]!.goaway(constants.NGHTTP2_NO_ERROR);
    await until(() => connection.closed, 'the connection to close after GOAWAY');
    expect(unusable).toBe(1);
  });
});

describe('GrpcChannel over its own HTTP/2 connection', () => {
  /** A gRPC-speaking node:http2 server: echoes the request message (gzip or not) and shows the request headers. */
  async function grpcServer(
    answer?: (stream: ServerHttp2Stream, headers: Record<string, string | string[] | undefined>) => boolean,
    settings: Parameters<typeof createServer>[0] = {},
  ) {
    const seen: Array<Record<string, string | string[] | undefined>> = [];
    const served = await serve((stream, headers) => {
      seen.push(headers);
      if (answer?.(stream, headers)) return;
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const body = Buffer.concat(chunks);
        const message = body[0] === 1 ? gunzipSync(body.subarray(5)) : body.subarray(5);
        const reply = body[0] === 1 ? gzipSync(message) : message;
        const framed = Buffer.concat([Buffer.from([body[0]!, 0, 0, 0, 0]), reply]);
        framed.writeUInt32BE(reply.length, 1);
        stream.respond({ ':status': 200, 'content-type': 'application/grpc', ...(body[0] === 1 ? { 'grpc-encoding': 'gzip' } : {}) }, { waitForTrailers: true });
        stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
        stream.end(framed);
      });
    }, settings);
    return { ...served, seen };
  }

  it('sends the gRPC request headers and reads the answer, gzip both ways', async () => {
    const { port, seen } = await grpcServer();
    const channel = new GrpcChannel({ address: `127.0.0.1:${port}`, headers: { 'client-name': 'test', authorization: 'Bearer k' }, compression: 'gzip' });
    try {
      const reply = await channel.unary('/pkg.Service/Method', Buffer.from('payload'), { timeoutMs: 5000, headers: { 'temporal-namespace': 'ns' } });
      expect(reply.toString()).toBe('payload');
      expect(seen[0]).toMatchObject({
        ':method': 'POST', ':path': '/pkg.Service/Method', ':scheme': 'http', ':authority': `127.0.0.1:${port}`,
        'content-type': 'application/grpc', te: 'trailers', 'grpc-encoding': 'gzip', 'grpc-timeout': '5000m',
        'client-name': 'test', authorization: 'Bearer k', 'temporal-namespace': 'ns',
      });
    } finally {
      await channel.close();
    }
  });

  it('lets a call’s own header replace the channel’s, sending it once', async () => {
    const { port, seen } = await grpcServer();
    const channel = new GrpcChannel({ address: `127.0.0.1:${port}`, headers: { 'x-tenant': 'channel', 'client-name': 'test' } });
    try {
      await channel.unary('/s/Echo', Buffer.from('a'), { headers: { 'x-tenant': 'call' } });
      await channel.unary('/s/Echo', Buffer.from('b'), { headers: { 'x-other': 'o' }, timeoutMs: 2000 });
      expect(seen[0]).toMatchObject({ 'x-tenant': 'call', 'client-name': 'test' });
      expect(seen[1]).toMatchObject({ 'x-tenant': 'channel', 'x-other': 'o', 'grpc-timeout': '2000m' });
    } finally {
      await channel.close();
    }
  });

  it('maps statuses: from trailers-only answers, from HTTP statuses, and its own deadline', async () => {
    const { port, sessions } = await grpcServer((stream, headers) => {
      if (headers[':path'] === '/s/Exists') {
        stream.respond({ ':status': 200, 'grpc-status': '6', 'grpc-message': 'already%20there', 'x-detail-bin': Buffer.from('d').toString('base64') }, { endStream: true });
      } else if (headers[':path'] === '/s/Proxy') {
        stream.respond({ ':status': 503 }, { endStream: true });
      } else if (headers[':path'] === '/s/Never') {
        return true; // no answer
      } else return false;
      return true;
    });
    const channel = new GrpcChannel({ address: `127.0.0.1:${port}`, headers: {} });
    try {
      const exists = await channel.unary('/s/Exists', Buffer.alloc(0)).catch((error: unknown) => error);
      expect(exists).toBeInstanceOf(GrpcStatusError);
      expect(exists).toMatchObject({ code: 6, details: 'already there' });
      expect((exists as GrpcStatusError).metadata.get('x-detail-bin')).toEqual([Buffer.from('d')]);
      await expect(channel.unary('/s/Proxy', Buffer.alloc(0))).rejects.toMatchObject({ code: 14, details: 'Received HTTP status code 503' });
      await expect(channel.unary('/s/Never', Buffer.alloc(0), { timeoutMs: 100 })).rejects.toMatchObject({ code: 4 });
      expect((await channel.unary('/s/Echo', Buffer.from('still fine'))).toString()).toBe('still fine');
      expect(sessions).toHaveLength(1);
    } finally {
      await channel.close();
    }
  });

  it('connects afresh after the server goes away or drops the connection', async () => {
    const { port, sessions } = await grpcServer();
    const channel = new GrpcChannel({ address: `127.0.0.1:${port}`, headers: {} });
    try {
      await channel.unary('/s/Echo', Buffer.from('1'));
      sessions[0]!.goaway(constants.NGHTTP2_NO_ERROR);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect((await channel.unary('/s/Echo', Buffer.from('2'))).toString()).toBe('2');
      sessions[1]!.destroy();
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect((await channel.unary('/s/Echo', Buffer.from('3'))).toString()).toBe('3');
      expect(sessions).toHaveLength(3);
    } finally {
      await channel.close();
    }
  });

  it('fails with a TransportError when nothing listens, and after close', async () => {
    const { server, port } = await grpcServer();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    servers.splice(servers.indexOf(server), 1);
    const channel = new GrpcChannel({ address: `127.0.0.1:${port}`, headers: {} });
    const error = await channel.unary('/s/Echo', Buffer.alloc(0)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TransportError);
    expect((error as TransportError).message).toMatch(/ECONNREFUSED/);
    await channel.close();
    await expect(channel.unary('/s/Echo', Buffer.alloc(0))).rejects.toBeInstanceOf(TransportError);
  });

  /** Answers after a little while, so that calls pile up behind a limit of one stream at a time. */
  const slowly = (stream: ServerHttp2Stream, headers: Record<string, string | string[] | undefined>) => {
    if (headers[':path'] !== '/s/Slow') return false;
    setTimeout(() => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      stream.end();
    }, 10);
    return true;
  };

  it('sends requests queued when the stream ids run out on a new connection, none failed', async () => {
    const { port, sessions } = await grpcServer(slowly, { settings: { maxConcurrentStreams: 1 } });
    const channel = new GrpcChannel({ address: `127.0.0.1:${port}`, headers: {} });
    try {
      await channel.unary('/s/Echo', Buffer.from('first')); // the server's SETTINGS (one stream at a time) are in
      const connection = (channel as unknown as { connection: { nextStreamId: number } }).connection;
      connection.nextStreamId = 2 ** 31 - 1 - 4; // three stream ids left
      const results = await Promise.allSettled(Array.from({ length: 6 }, () => channel.unary('/s/Slow', Buffer.alloc(0), { timeoutMs: 10_000 })));
      expect(results.filter((result) => result.status === 'rejected')).toEqual([]);
      expect(sessions).toHaveLength(2);
    } finally {
      await channel.close();
    }
  }, 20_000);

  it('sends again, once, the calls a fresh connection opened beyond the server’s stream limit (REFUSED_STREAM)', async () => {
    const { port, sessions } = await grpcServer(slowly, { settings: { maxConcurrentStreams: 1 } });
    const channel = new GrpcChannel({ address: `127.0.0.1:${port}`, headers: {} });
    try {
      // All three go out before the server's SETTINGS are in: it refuses the two beyond its limit.
      const results = await Promise.allSettled(Array.from({ length: 3 }, () => channel.unary('/s/Slow', Buffer.alloc(0), { timeoutMs: 10_000 })));
      expect(results.filter((result) => result.status === 'rejected')).toEqual([]);
      expect(sessions).toHaveLength(1);
    } finally {
      await channel.close();
    }
  }, 20_000);

  it('sends a call refused with REFUSED_STREAM again once, and fails it on the second refusal', async () => {
    const { port, seen } = await grpcServer((stream, headers) => {
      if (headers[':path'] !== '/s/Refuse') return false;
      stream.close(constants.NGHTTP2_REFUSED_STREAM);
      return true;
    });
    const channel = new GrpcChannel({ address: `127.0.0.1:${port}`, headers: {} });
    try {
      await expect(channel.unary('/s/Refuse', Buffer.alloc(0))).rejects.toThrow(/REFUSED_STREAM/);
      expect(seen.filter((headers) => headers[':path'] === '/s/Refuse')).toHaveLength(2);
    } finally {
      await channel.close();
    }
  });

  it('sends a call above a GOAWAY’s last stream id again on a new connection', async () => {
    let goaways = 0;
    const { port, sessions } = await grpcServer((stream, headers) => {
      if (headers[':path'] === '/s/Slow') {
        setTimeout(() => {
          stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
          stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
          stream.end();
        }, 100);
        return true;
      }
      if (headers[':path'] === '/s/GoAway' && goaways++ === 0) {
        stream.session!.goaway(constants.NGHTTP2_NO_ERROR, stream.id! - 2);
        return true;
      }
      return false;
    });
    const channel = new GrpcChannel({ address: `127.0.0.1:${port}`, headers: {} });
    try {
      const slow = channel.unary('/s/Slow', Buffer.alloc(0), { timeoutMs: 10_000 }); // stream 1: the last the server takes
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect((await channel.unary('/s/GoAway', Buffer.from('again'), { timeoutMs: 10_000 })).toString()).toBe('again');
      await expect(slow).resolves.toBeDefined();
      expect(sessions).toHaveLength(2);
    } finally {
      await channel.close();
    }
  });

  it('close() ends the calls of a connection still draining after a GOAWAY', async () => {
    const { port, sessions } = await grpcServer((_stream, headers) => headers[':path'] === '/s/Never');
    const channel = new GrpcChannel({ address: `127.0.0.1:${port}`, headers: {} });
    const pending = channel.unary('/s/Never', Buffer.alloc(0)).catch((error: unknown) => error);
    await until(() => sessions.length === 1, 'the connection');
    await new Promise((resolve) => setTimeout(resolve, 50));
    sessions[0]!.goaway(constants.NGHTTP2_NO_ERROR);
    await until(() => (channel as unknown as { connection: unknown }).connection === undefined, 'the channel to let go of the draining connection');
    await channel.close();
    const outcome = await Promise.race([pending, new Promise((resolve) => setTimeout(() => resolve('still pending'), 2000))]);
    expect(outcome).toBeInstanceOf(TransportError);
  });
});
