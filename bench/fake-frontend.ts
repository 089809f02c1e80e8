/**
 * A fake Temporal frontend: a gRPC server that answers the few calls sched-bench makes, at (almost) no
 * cost. The benchmark points the CLI at it to measure the highest workflow-start rate the CLI itself can
 * drive — with a real server, the server is the limit; here only the client is.
 *
 * It answers:
 * - WorkflowService GetSystemInfo: both connection kinds call it on connect (core reads capabilities);
 * - WorkflowService DescribeNamespace: "default" exists, any other namespace is NOT_FOUND, as a server says;
 * - WorkflowService StartWorkflowExecution: started, with a fresh run id; nothing is stored, only counted;
 * - WorkflowService GetWorkflowExecutionHistory: for any workflow, its close event, "completed" with a
 *   constant result, so a start+wait run measures the client's whole path (start and result wait)
 *   without a server or a worker;
 * - OperatorService ListSearchAttributes: none registered (so starts carry no search attribute).
 * Everything else is UNIMPLEMENTED. Workflows never run: every one is done at once.
 * The Go runner of temporalio/benchmark-workers (bench's `peer` scenario) needs nothing more: its
 * client.Dial calls GetSystemInfo only (Go SDK 1.37), then it starts workflows.
 * No gRPC health service: neither connection kind (core's nor grpc-js's) probes it on connect.
 *
 * gRPC is spoken directly over node:http2 (length-prefixed messages, status in trailers): on grpc-js's
 * server the fake's one thread was the limit, not the clients (2026-12-01, peer start-only c100: both
 * tools at ~3.7k starts/s while their CPU per start differed threefold; about half of its CPU went to
 * inflating each gzipped request in a new zlib stream). Answers are encoded once (a start's only varying
 * field, its run id, is written into a copy). Of the start and result-wait requests only the framing is
 * checked on every call, and the first of each on a connection is decoded whole (inflated if compressed),
 * so a client whose requests do not parse still fails; the few connect-time requests are always decoded.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Http2Server, type Http2Session, type IncomingHttpHeaders, type ServerHttp2Session, type ServerHttp2Stream } from 'node:http2';
import type { AddressInfo, Socket } from 'node:net';
import { gunzipSync } from 'node:zlib';
// @temporalio/proto is CommonJS whose exports Node cannot detect statically: a named import
// (`import { temporal } ...`) fails at run time, so take the whole module as the default import.
import proto from '@temporalio/proto';

const { workflowservice, operatorservice, enums } = proto.temporal.api;

export interface FakeFrontend {
  /** Where the fake listens: `127.0.0.1:<port>`, ready for `--address`. */
  address: string;
  /** StartWorkflowExecution requests answered */
  readonly startsAnswered: number;
  /** When the first StartWorkflowExecution request arrived (`performance.now()` of this process), if one did. */
  readonly firstStartAt: number | undefined;
  /** GetWorkflowExecutionHistory requests answered (result waits) */
  readonly resultsAnswered: number;
  stop(): Promise<void>;
}

/** The namespace the fake knows; any other is NOT_FOUND, like a server where it is not registered. */
const KNOWN_NAMESPACE = 'default';

const WORKFLOW_SERVICE = 'temporal.api.workflowservice.v1.WorkflowService';
const OPERATOR_SERVICE = 'temporal.api.operatorservice.v1.OperatorService';

/**
 * What a recent server says of itself, so that no client takes an old-server path. Both connection
 * kinds call GetSystemInfo on connect and core keeps the capabilities; a client-only run (starts)
 * consults none of them, a worker would (e.g. sdkMetadata, buildIdBasedVersioning). Nobody checks
 * the version, so it says what this is (the CLI reports it as the server's version).
 */
const SYSTEM_INFO = workflowservice.v1.GetSystemInfoResponse.encode({
  serverVersion: 'fake-frontend',
  capabilities: {
    signalAndQueryHeader: true,
    internalErrorDifferentiation: true,
    activityFailureIncludeHeartbeat: true,
    supportsSchedules: true,
    encodedFailureAttributes: true,
    buildIdBasedVersioning: true,
    upsertMemo: true,
    eagerWorkflowStart: true,
    sdkMetadata: true,
    countGroupByExecutionStatus: true,
    nexus: true,
  },
}).finish();

const DEFAULT_NAMESPACE = workflowservice.v1.DescribeNamespaceResponse.encode({
  namespaceInfo: {
    name: KNOWN_NAMESPACE,
    id: randomUUID(),
    state: enums.v1.NamespaceState.NAMESPACE_STATE_REGISTERED,
  },
  isGlobalNamespace: false,
}).finish();

/**
 * The answer to a result wait (a long poll for the close event): the workflow completed, with the
 * EchoWorkflow's result as a JSON payload. Constant: no workflow is looked up.
 */
const COMPLETED_HISTORY = workflowservice.v1.GetWorkflowExecutionHistoryResponse.encode({
  history: {
    events: [
      {
        eventType: enums.v1.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
        workflowExecutionCompletedEventAttributes: {
          result: { payloads: [{ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('"Hello World"') }] },
        },
      },
    ],
  },
}).finish();

/** No custom search attributes: sched-bench then starts workflows without its run-id attribute. */
const NO_SEARCH_ATTRIBUTES = operatorservice.v1.ListSearchAttributesResponse.encode({}).finish();

/** gRPC status codes the fake answers with. */
const GRPC_OK = 0;
const GRPC_NOT_FOUND = 5;
const GRPC_UNIMPLEMENTED = 12;
const GRPC_INTERNAL = 13;

/** A message as gRPC sends it: a byte saying whether it is compressed (no), its length (4 bytes, big-endian), its bytes. */
function framed(message: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(5 + message.byteLength);
  frame[0] = 0;
  frame.writeUInt32BE(message.byteLength, 1);
  frame.set(message, 5);
  return frame;
}

/** Throws unless `body` is exactly one length-prefixed gRPC message. */
function checkFraming(body: Buffer): void {
  if (body.length < 5 || body.readUInt32BE(1) !== body.length - 5 || body[0]! > 1) {
    throw new Error(`a request body of ${body.length} bytes is not one gRPC message`);
  }
}

/** The one message of a request body, inflated when the client compressed it (gzip, as the SDKs do). */
function messageOf(body: Buffer): Buffer {
  checkFraming(body);
  const message = body.subarray(5);
  return body[0] === 1 ? gunzipSync(message) : message;
}

/** What a method answers: a framed message, or a gRPC error. */
type Answer = Buffer | { code: number; message: string };

/**
 * A start's answer: the response encoded once with a placeholder run id, copied per call with a fresh
 * run id written over the placeholder (a UUID is 36 ASCII bytes, so nothing else moves).
 */
function startAnswers(): () => Buffer {
  const placeholder = 'x'.repeat(36);
  const template = framed(
    workflowservice.v1.StartWorkflowExecutionResponse.encode({
      runId: placeholder,
      started: true,
      status: enums.v1.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING,
    }).finish(),
  );
  const offset = template.indexOf(placeholder, 0, 'latin1');
  return () => {
    const answer = Buffer.from(template);
    answer.write(randomUUID(), offset, 'latin1');
    return answer;
  };
}

/**
 * Decodes the first request a method gets on each connection (so a client whose requests do not parse
 * fails, whichever client it is), then only checks framing.
 */
function decodedOncePerConnection(decode: (message: Buffer) => unknown): (body: Buffer, session: Http2Session) => void {
  const decodedOn = new WeakSet<Http2Session>();
  return (body, session) => {
    if (decodedOn.has(session)) return checkFraming(body);
    decode(messageOf(body));
    decodedOn.add(session);
  };
}

/** A method: the request body and the connection it came on, to its answer. */
type Method = (body: Buffer, session: Http2Session) => Answer;

/**
 * Starts the fake on 127.0.0.1 (`port` 0 or absent: any free port), plain text (no TLS). Resolves
 * once it listens; `address` is the real one.
 */
export async function startFakeFrontend(options: { port?: number } = {}): Promise<FakeFrontend> {
  let startsAnswered = 0;
  let firstStartAt: number | undefined;
  let resultsAnswered = 0;
  const nextStartAnswer = startAnswers();
  const checkStart = decodedOncePerConnection((message) => {
    const request = workflowservice.v1.StartWorkflowExecutionRequest.decode(message);
    if (!request.workflowId || !request.workflowType?.name) throw new Error('a start request without a workflow id or type');
  });
  const checkResultWait = decodedOncePerConnection((message) => workflowservice.v1.GetWorkflowExecutionHistoryRequest.decode(message));
  const constant = (bytes: Uint8Array, decode: (message: Buffer) => unknown): Method => {
    const answer = framed(bytes);
    return (body) => {
      decode(messageOf(body));
      return answer;
    };
  };
  const namespaceAnswer = framed(DEFAULT_NAMESPACE);
  const completedHistory = framed(COMPLETED_HISTORY);

  const methods = new Map<string, Method>([
    [`/${WORKFLOW_SERVICE}/GetSystemInfo`, constant(SYSTEM_INFO, (message) => workflowservice.v1.GetSystemInfoRequest.decode(message))],
    [`/${WORKFLOW_SERVICE}/DescribeNamespace`, (body) => {
      const { namespace } = workflowservice.v1.DescribeNamespaceRequest.decode(messageOf(body));
      return namespace === KNOWN_NAMESPACE ? namespaceAnswer : { code: GRPC_NOT_FOUND, message: `Namespace ${namespace} is not found.` };
    }],
    [`/${WORKFLOW_SERVICE}/StartWorkflowExecution`, (body, session) => {
      checkStart(body, session);
      if (startsAnswered++ === 0) firstStartAt = performance.now();
      return nextStartAnswer();
    }],
    [`/${WORKFLOW_SERVICE}/GetWorkflowExecutionHistory`, (body, session) => {
      checkResultWait(body, session);
      resultsAnswered++;
      return completedHistory;
    }],
    [`/${OPERATOR_SERVICE}/ListSearchAttributes`, constant(NO_SEARCH_ATTRIBUTES, (message) => operatorservice.v1.ListSearchAttributesRequest.decode(message))],
  ]);

  // No cap on a connection's buffered memory (node's default is 10 MB, past which it refuses new calls).
  const server = createServer({ maxSessionMemory: Number.MAX_SAFE_INTEGER });
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  const sessions = new Set<ServerHttp2Session>();
  server.on('session', (session) => {
    sessions.add(session);
    session.on('close', () => sessions.delete(session));
    session.on('error', () => {}); // a client that goes away is not the fake's failure
  });
  server.on('stream', (stream, headers) => serveCall(stream, headers, methods));

  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });

  return {
    address: `127.0.0.1:${port}`,
    get startsAnswered() {
      return startsAnswered;
    },
    get firstStartAt() {
      return firstStartAt;
    },
    get resultsAnswered() {
      return resultsAnswered;
    },
    stop: () => stopServer(server, sessions, sockets),
  };
}

const RESPONSE_HEADERS = { ':status': 200, 'content-type': 'application/grpc' };
const OK_TRAILERS = { 'grpc-status': String(GRPC_OK) };

/** One unary call: the request body in full, then the method's answer (message and OK trailers), or a gRPC error. */
function serveCall(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, methods: Map<string, Method>): void {
  const path = headers[':path'] ?? '';
  const method = methods.get(path);
  const chunks: Buffer[] = [];
  stream.on('error', () => {}); // a call the client cancelled
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  stream.on('end', () => {
    // A call the client reset after sending it (closed, not destroyed) gets no answer.
    if (stream.destroyed || stream.closed) return;
    if (!method) return failCall(stream, GRPC_UNIMPLEMENTED, `unknown method ${path}`);
    let answer: Answer;
    try {
      answer = method(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks), stream.session!);
    } catch (error) {
      return failCall(stream, GRPC_INTERNAL, error instanceof Error ? error.message : String(error));
    }
    if (!Buffer.isBuffer(answer)) return failCall(stream, answer.code, answer.message);
    stream.respond(RESPONSE_HEADERS, { waitForTrailers: true });
    stream.once('wantTrailers', () => stream.sendTrailers(OK_TRAILERS));
    stream.end(answer);
  });
}

/** A gRPC error as a trailers-only response. */
function failCall(stream: ServerHttp2Stream, code: number, message: string): void {
  stream.respond({ ...RESPONSE_HEADERS, 'grpc-status': String(code), 'grpc-message': encodeURIComponent(message) }, { endStream: true });
}

/**
 * Closes the listener and every connection: gracefully first; after a second the sockets still open are
 * destroyed (a closed session waits for its client to close its side, which a running client never does).
 */
function stopServer(server: Http2Server, sessions: Set<ServerHttp2Session>, sockets: Set<Socket>): Promise<void> {
  return new Promise<void>((resolve) => {
    const force = setTimeout(() => sockets.forEach((socket) => socket.destroy()), 1000);
    server.close(() => {
      clearTimeout(force);
      resolve();
    });
    sessions.forEach((session) => session.close());
  });
}
