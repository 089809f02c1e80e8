/**
 * A fake Temporal frontend: a gRPC server that answers the few calls sched-bench makes, at (almost) no
 * cost. The benchmark points the CLI at it to measure the highest workflow-start rate the CLI itself can
 * drive — with a real server, the server is the limit; here only the client (and grpc-js) is.
 *
 * It answers:
 * - WorkflowService GetSystemInfo: both connection kinds call it on connect (core reads capabilities);
 * - WorkflowService DescribeNamespace: "default" exists, any other namespace is NOT_FOUND, as a server says;
 * - WorkflowService StartWorkflowExecution: started, with a fresh run id; nothing is stored, only counted;
 * - WorkflowService GetWorkflowExecutionHistory: for any workflow, its close event, "completed" with a
 *   constant result, so a start+wait run measures the client's whole path (start and result wait)
 *   without a server or a worker;
 * - OperatorService ListSearchAttributes: none registered (so starts carry no search attribute).
 * Everything else gets grpc-js's default UNIMPLEMENTED. Workflows never run: every one is done at once.
 * The Go runner of temporalio/benchmark-workers (bench's `peer` scenario) needs nothing more: its
 * client.Dial calls GetSystemInfo only (Go SDK 1.37), then it starts workflows.
 * No gRPC health service: neither connection kind (core's nor grpc-js's) probes it on connect.
 *
 * Handlers do as little as possible (no logging, no state but counters, constant answers encoded
 * once) so that the fake stays far from being the bottleneck. One cost it cannot shed: the native
 * client gzips every request by default (`--grpc-compression gzip`, as the SDKs do), and grpc-js's
 * server inflates each one with a new zlib stream, about half of the fake's CPU per start; on a small
 * machine the fake's one thread then runs near full at the native connection's top rate. The bench
 * therefore measures with and without compression.
 */
import { randomUUID } from 'node:crypto';
import { Server, ServerCredentials, status, type MethodDefinition, type ServiceDefinition, type UntypedServiceImplementation } from '@grpc/grpc-js';
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

/** What the message classes of @temporalio/proto offer; each side of a method needs one half. */
interface ProtoDecoder<Message> {
  decode(bytes: Uint8Array): Message;
}
interface ProtoEncoder<Message> {
  encode(message: Message): { finish(): Uint8Array };
}

/** Protobuf bytes as the Buffer grpc-js wants, without copying them. */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * A unary method of a service, (de)serialized by the proto classes: what grpc-js would build from a
 * .proto file with @grpc/proto-loader, made by hand so nothing is loaded or parsed at run time.
 */
function unaryMethod<Request, Response>(
  service: string,
  method: string,
  requestType: ProtoDecoder<Request>,
  responseType: ProtoEncoder<Response> & ProtoDecoder<Response>,
): MethodDefinition<Request, Response> {
  return {
    path: `/${service}/${method}`,
    requestStream: false,
    responseStream: false,
    requestSerialize: () => {
      throw new Error('the fake frontend only serves; it never sends requests');
    },
    requestDeserialize: (bytes) => requestType.decode(bytes),
    responseSerialize: (response) => asBuffer(responseType.encode(response).finish()),
    responseDeserialize: (bytes) => responseType.decode(bytes),
  };
}

/** A response encoded once: constant answers skip encoding on every call. */
function preEncoded(bytes: Uint8Array): MethodDefinition<unknown, Buffer>['responseSerialize'] {
  const buffer = asBuffer(bytes);
  return () => buffer;
}

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

/**
 * The methods served, (de)serialized by the proto classes. Constant answers are pre-encoded; the
 * start's answer is encoded per call (its run id is new each time). Start requests are still decoded,
 * so a malformed one fails as it would on a server, though nothing in them is read.
 */
const WORKFLOW_SERVICE_DEFINITION: ServiceDefinition = {
  GetSystemInfo: {
    ...unaryMethod(WORKFLOW_SERVICE, 'GetSystemInfo', workflowservice.v1.GetSystemInfoRequest, workflowservice.v1.GetSystemInfoResponse),
    responseSerialize: preEncoded(SYSTEM_INFO),
  },
  DescribeNamespace: {
    ...unaryMethod(WORKFLOW_SERVICE, 'DescribeNamespace', workflowservice.v1.DescribeNamespaceRequest, workflowservice.v1.DescribeNamespaceResponse),
    responseSerialize: preEncoded(DEFAULT_NAMESPACE),
  },
  StartWorkflowExecution: unaryMethod(
    WORKFLOW_SERVICE,
    'StartWorkflowExecution',
    workflowservice.v1.StartWorkflowExecutionRequest,
    workflowservice.v1.StartWorkflowExecutionResponse,
  ),
  GetWorkflowExecutionHistory: {
    ...unaryMethod(
      WORKFLOW_SERVICE,
      'GetWorkflowExecutionHistory',
      workflowservice.v1.GetWorkflowExecutionHistoryRequest,
      workflowservice.v1.GetWorkflowExecutionHistoryResponse,
    ),
    responseSerialize: preEncoded(COMPLETED_HISTORY),
  },
};

const OPERATOR_SERVICE_DEFINITION: ServiceDefinition = {
  ListSearchAttributes: {
    ...unaryMethod(OPERATOR_SERVICE, 'ListSearchAttributes', operatorservice.v1.ListSearchAttributesRequest, operatorservice.v1.ListSearchAttributesResponse),
    responseSerialize: preEncoded(NO_SEARCH_ATTRIBUTES),
  },
};

/**
 * Starts the fake on 127.0.0.1 (`port` 0 or absent: any free port), plain text (no TLS). Resolves
 * once it listens; `address` is the real one.
 */
export async function startFakeFrontend(options: { port?: number } = {}): Promise<FakeFrontend> {
  let startsAnswered = 0;
  let firstStartAt: number | undefined;
  let resultsAnswered = 0;

  const workflowHandlers: UntypedServiceImplementation = {
    // Answers are pre-encoded: the handlers only pass the call on (the value given is not read).
    GetSystemInfo: (_call: unknown, callback: (error: null, response: unknown) => void) => callback(null, null),
    DescribeNamespace: (
      call: { request: { namespace?: string } },
      callback: (error: { code: status; details: string } | null, response?: unknown) => void,
    ) => {
      if (call.request.namespace === KNOWN_NAMESPACE) callback(null, null);
      else callback({ code: status.NOT_FOUND, details: `Namespace ${call.request.namespace ?? ''} is not found.` });
    },
    StartWorkflowExecution: (_call: unknown, callback: (error: null, response: object) => void) => {
      if (startsAnswered++ === 0) firstStartAt = performance.now();
      callback(null, { runId: randomUUID(), started: true, status: enums.v1.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING });
    },
    GetWorkflowExecutionHistory: (_call: unknown, callback: (error: null, response: unknown) => void) => {
      resultsAnswered++;
      callback(null, null);
    },
  };

  const operatorHandlers: UntypedServiceImplementation = {
    ListSearchAttributes: (_call: unknown, callback: (error: null, response: unknown) => void) => callback(null, null),
  };

  const server = new Server();
  server.addService(WORKFLOW_SERVICE_DEFINITION, workflowHandlers);
  server.addService(OPERATOR_SERVICE_DEFINITION, operatorHandlers);

  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`127.0.0.1:${options.port ?? 0}`, ServerCredentials.createInsecure(), (error, boundPort) =>
      error ? reject(error) : resolve(boundPort),
    );
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
    stop: () =>
      new Promise<void>((resolve) => {
        // Graceful first; a client that keeps its connection open must not hold the benchmark up.
        const force = setTimeout(() => server.forceShutdown(), 1000);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      }),
  };
}
