import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { pid } from 'node:process';
import {
  DESCRIBE_TASK_QUEUE_MODE_ENHANCED, EVENT_TYPE_WORKFLOW_TASK_FAILED, HISTORY_EVENT_FILTER_TYPE_ALL_EVENT, HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT,
  TASK_QUEUE_KIND_NORMAL, TASK_QUEUE_TYPE_WORKFLOW,
} from './api-enums.js';
import type { BenchHistoryEvent } from '../../shared/history-events.js';
import { readBenchHistoryPage } from './bench-history.js';
import { GrpcChannel, type GrpcChannelOptions } from './grpc-channel.js';
import { bytesField, fieldValues, numberField, ProtoScanner, ProtoWriter, stringField } from './protobuf.js';

const WORKFLOW_SERVICE = '/temporal.api.workflowservice.v1.WorkflowService/';
const OPERATOR_SERVICE = '/temporal.api.operatorservice.v1.OperatorService/';

/** Calls other than starts and result waits: an answer within this, or DEADLINE_EXCEEDED (and a retry). */
const ADMIN_CALL_TIMEOUT_MS = 15_000;

/** A long poll for a close event: the server answers within about 20 s, empty when nothing closed. */
const RESULT_POLL_TIMEOUT_MS = 70_000;

/** What every start of one benchmark has in common: all of the request but its workflow id and request id. */
export interface StartSpec {
  namespace: string;
  taskQueue: string;
  workflowType: string;
  args: unknown[];
  memo?: Record<string, unknown>;
  /** Keyword search attributes (name → value). */
  keywordSearchAttributes?: Record<string, string>;
  workflowIdReusePolicy?: number;
  startDelayMs?: number;
}

/** How a workflow closed other than by completing; the kinds sched-bench counts. */
export type ClosedKind = 'workflow_failed' | 'timed_out' | 'terminated' | 'cancelled';

/** The workflow closed without a result; `cause` carries the workflow's own words where it has any. */
export class WorkflowClosedError extends Error {
  constructor(readonly kind: ClosedKind, message: string, causeMessage: string) {
    super(message, { cause: new Error(causeMessage) });
    this.name = 'WorkflowClosedError';
  }
}

/** The SDK's default payload conversion for plain values: undefined → binary/null, else json/plain. */
function writePayload(writer: ProtoWriter, value: unknown, extraMetadata: Record<string, string> = {}): void {
  if (value === undefined) {
    writer.bytesMapEntry(1, 'encoding', Buffer.from('binary/null'));
  } else {
    writer.bytesMapEntry(1, 'encoding', Buffer.from('json/plain'));
    for (const [key, text] of Object.entries(extraMetadata)) writer.bytesMapEntry(1, key, Buffer.from(text));
    writer.bytes(2, Buffer.from(JSON.stringify(value)));
  }
}

/** Encodes a start request without its workflow id (2) and request id (10): they are appended per start. */
export function encodeStartTemplate(spec: StartSpec, identity: string): Buffer {
  const writer = new ProtoWriter()
    .string(1, spec.namespace)
    .message(3, (type) => type.string(1, spec.workflowType))
    .message(4, (queue) => queue.string(1, spec.taskQueue).uint(2, TASK_QUEUE_KIND_NORMAL))
    .message(5, (payloads) => {
      for (const arg of spec.args) payloads.message(1, (payload) => writePayload(payload, arg));
    })
    .string(9, identity)
    .uint(11, spec.workflowIdReusePolicy ?? 0);
  const memo = Object.entries(spec.memo ?? {});
  if (memo.length > 0) writer.message(14, (m) => memo.forEach(([key, value]) => m.mapEntry(1, key, (p) => writePayload(p, value))));
  const attributes = Object.entries(spec.keywordSearchAttributes ?? {});
  if (attributes.length > 0) {
    writer.message(15, (s) => attributes.forEach(([key, value]) => s.mapEntry(1, key, (p) => writePayload(p, value, { type: 'Keyword' }))));
  }
  writer.message(16, () => undefined); // an empty header, as the SDK sends
  if (spec.startDelayMs) {
    const ms = Math.round(spec.startDelayMs); // a Duration holds whole nanoseconds; sched-bench's delays are whole ms
    writer.message(20, (duration) => duration.uint(1, Math.floor(ms / 1000)).uint(2, (ms % 1000) * 1_000_000));
  }
  return writer.finish();
}

/** A prepared start: the constant part of the request, encoded once. */
export class PreparedStart {
  constructor(readonly namespace: string, readonly template: Buffer) {}

  /** The whole request: the template, then the workflow id and a fresh request id. */
  request(workflowId: string, requestId: string = randomUUID()): Buffer {
    // Ids are short: room for both and their tags and lengths, so the buffer is allocated once.
    return new ProtoWriter(this.template.length + 3 * workflowId.length + 64).raw(this.template).string(2, workflowId).string(10, requestId).finish();
  }
}

/** One entry of a close event as read from the history: what kind, and the run to follow, if any. */
interface CloseEvent {
  kind: 'completed' | ClosedKind | 'continued';
  /** A completed workflow's result (its first payload, decoded as the SDK's default converter does). */
  result?: unknown;
  nextRunId: string | undefined;
  message: string;
  causeMessage: string;
}

/** Reads the one close event of a CLOSE_EVENT history page (undefined when the page has none). */
export function readCloseEvent(response: Uint8Array): CloseEvent | undefined {
  const history = bytesField(response, 1);
  const event = history && bytesField(history, 1);
  if (!event) return undefined;
  const fields = new ProtoScanner(event);
  while (fields.next()) {
    if (!fields.isBytes) continue;
    const attributes = fields.subarray();
    switch (fields.field) {
      case 7: {
        const payloads = bytesField(attributes, 1);
        const first = payloads && bytesField(payloads, 1);
        return { kind: 'completed', result: first && decodePayload(first), nextRunId: stringField(attributes, 3), message: '', causeMessage: '' };
      }
      case 8: {
        const failure = bytesField(attributes, 1);
        const message = (failure && stringField(failure, 1)) || 'Workflow execution failed';
        return { kind: 'workflow_failed', nextRunId: stringField(attributes, 4), message: 'Workflow execution failed', causeMessage: message };
      }
      case 9:
        return { kind: 'timed_out', nextRunId: stringField(attributes, 2), message: 'Workflow execution timed out', causeMessage: 'Workflow execution timed out' };
      case 27: {
        const reason = stringField(attributes, 1) || 'Workflow execution terminated';
        return { kind: 'terminated', nextRunId: undefined, message: reason, causeMessage: reason };
      }
      case 29:
        return { kind: 'cancelled', nextRunId: undefined, message: 'Workflow execution cancelled', causeMessage: 'Workflow canceled' };
      case 33:
        return { kind: 'continued', nextRunId: stringField(attributes, 1), message: '', causeMessage: '' };
    }
  }
  return undefined;
}

/** A payload as the SDK's default converter reads it: json/plain parsed, binary/null undefined, other bytes as they are. */
export function decodePayload(payload: Uint8Array): unknown {
  let encoding = '';
  let data: Uint8Array = new Uint8Array(0);
  const fields = new ProtoScanner(payload);
  while (fields.next()) {
    if (!fields.isBytes) continue;
    if (fields.field === 1) {
      // metadata: map<string, bytes>, one entry per field
      const entry = fields.subarray();
      if (stringField(entry, 1) === 'encoding') encoding = stringField(entry, 2) ?? '';
    } else if (fields.field === 2) data = fields.subarray();
  }
  if (encoding === 'binary/null') return undefined;
  if (encoding === 'json/plain') return JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.length).toString('utf8'));
  return Buffer.from(data);
}

/** DescribeTaskQueueResponse (enhanced): workflow-task pollers of every version, summed. */
export function readAllPartitionPollers(response: Uint8Array): number {
  let pollers = 0;
  // versions_info: map<string, TaskQueueVersionInfo { types_info: map<int32, TaskQueueTypeInfo { pollers } > }>
  for (const version of fieldValues(response, 3)) {
    const info = version instanceof Uint8Array ? bytesField(version, 2) : undefined;
    for (const typeEntry of info ? fieldValues(info, 1) : []) {
      if (!(typeEntry instanceof Uint8Array) || numberField(typeEntry, 1) !== TASK_QUEUE_TYPE_WORKFLOW) continue;
      const typeInfo = bytesField(typeEntry, 2);
      pollers += typeInfo ? fieldValues(typeInfo, 1).length : 0;
    }
  }
  return pollers;
}

/** DescribeWorkflowExecutionResponse: the pending workflow task's attempt, 0 when none. */
export function readPendingWorkflowTaskAttempt(response: Uint8Array): number {
  const pending = bytesField(response, 5);
  return pending ? numberField(pending, 5) : 0;
}

/** GetWorkflowExecutionHistoryResponse: the failure message of its last WorkflowTaskFailed event. */
export function readLastWorkflowTaskFailure(response: Uint8Array): string | undefined {
  const history = bytesField(response, 1);
  let message: string | undefined;
  for (const event of history ? fieldValues(history, 1) : []) {
    if (!(event instanceof Uint8Array) || numberField(event, 3) !== EVENT_TYPE_WORKFLOW_TASK_FAILED) continue;
    const attributes = bytesField(event, 14);
    const failure = attributes && bytesField(attributes, 4);
    message = (failure && stringField(failure, 1)) || message;
  }
  return message;
}

export interface CountGroup {
  value: unknown;
  count: number;
}

/**
 * The Temporal calls a benchmark makes on its hot path (start, wait for the close event) and at its
 * edges (system info, namespace, search attributes, counts), over sched-bench's own gRPC channel:
 * requests encoded by hand (the constant part of a start once), answers read for the fields used.
 */
export class WorkflowWire {
  readonly identity = `${pid}@${hostname()}`;
  private readonly channel: GrpcChannel;

  constructor(options: Omit<GrpcChannelOptions, 'headers'> & { apiKey?: string; metadata?: Record<string, string>; clientVersion: string }) {
    const headers: Record<string, string> = { 'client-name': 'sched-bench', 'client-version': options.clientVersion };
    for (const [key, value] of Object.entries(options.metadata ?? {})) headers[key.toLowerCase()] = value;
    if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`;
    this.channel = new GrpcChannel({ address: options.address, tls: options.tls, compression: options.compression, headers });
  }

  prepareStart(spec: StartSpec): PreparedStart {
    return new PreparedStart(spec.namespace, encodeStartTemplate(spec, this.identity));
  }

  /** One start attempt; resolves once the server took it (ALREADY_EXISTS and the like reject with their status). */
  async start(prepared: PreparedStart, workflowId: string, timeoutMs: number): Promise<void> {
    await this.channel.unary(`${WORKFLOW_SERVICE}StartWorkflowExecution`, prepared.request(workflowId), {
      timeoutMs,
      headers: { 'temporal-namespace': prepared.namespace },
    });
  }

  /**
   * Waits for the workflow to close, following continued-as-new (and retried or cron) runs as the SDK's
   * result() does; resolves with the result when the last run completed, rejects with a WorkflowClosedError otherwise.
   */
  async awaitClose(namespace: string, workflowId: string): Promise<unknown> {
    let runId: string | undefined;
    let pageToken: Uint8Array | undefined;
    for (;;) {
      const request = new ProtoWriter()
        .string(1, namespace)
        .message(2, (execution) => execution.string(1, workflowId).string(2, runId))
        .uint(5, true)
        .uint(6, HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT)
        .uint(7, true);
      if (pageToken && pageToken.length > 0) request.bytes(4, pageToken);
      const response = await this.channel.unary(`${WORKFLOW_SERVICE}GetWorkflowExecutionHistory`, request.finish(), {
        timeoutMs: RESULT_POLL_TIMEOUT_MS,
        headers: { 'temporal-namespace': namespace },
      });
      const close = readCloseEvent(response);
      if (!close) {
        pageToken = bytesField(response, 3);
        continue;
      }
      if (close.nextRunId) {
        runId = close.nextRunId;
        pageToken = undefined;
        continue;
      }
      if (close.kind === 'completed') return close.result;
      if (close.kind === 'continued') throw new TypeError('continued-as-new event without the new run id');
      throw new WorkflowClosedError(close.kind, close.message, close.causeMessage);
    }
  }

  /** Workers that polled the workflow task queue lately, as its root partition saw them (DescribeTaskQueue). */
  async workflowTaskPollers(namespace: string, taskQueue: string): Promise<number> {
    const request = new ProtoWriter()
      .string(1, namespace)
      .message(2, (queue) => queue.string(1, taskQueue).uint(2, TASK_QUEUE_KIND_NORMAL))
      .uint(3, TASK_QUEUE_TYPE_WORKFLOW)
      .finish();
    return fieldValues(await this.call(namespace, 'DescribeTaskQueue', request), 1).length;
  }

  /** The same over every partition: DescribeTaskQueue's enhanced mode, pollers of all versions summed. */
  async workflowTaskPollersAllPartitions(namespace: string, taskQueue: string): Promise<number> {
    const request = new ProtoWriter()
      .string(1, namespace)
      .message(2, (queue) => queue.string(1, taskQueue).uint(2, TASK_QUEUE_KIND_NORMAL))
      .uint(5, DESCRIBE_TASK_QUEUE_MODE_ENHANCED)
      .uint(7, TASK_QUEUE_TYPE_WORKFLOW)
      .uint(9, true)
      .finish();
    return readAllPartitionPollers(await this.call(namespace, 'DescribeTaskQueue', request));
  }

  /** The attempt of the workflow's pending workflow task (DescribeWorkflowExecution), 0 when none. */
  async pendingWorkflowTaskAttempt(namespace: string, workflowId: string): Promise<number> {
    const request = new ProtoWriter().string(1, namespace).message(2, (execution) => execution.string(1, workflowId)).finish();
    return readPendingWorkflowTaskAttempt(await this.call(namespace, 'DescribeWorkflowExecution', request));
  }

  /** The failure message of the last WorkflowTaskFailed event in the first 100 events of the history. */
  async lastWorkflowTaskFailure(namespace: string, workflowId: string): Promise<string | undefined> {
    const request = new ProtoWriter().string(1, namespace).message(2, (execution) => execution.string(1, workflowId)).uint(3, 100).finish();
    return readLastWorkflowTaskFailure(await this.call(namespace, 'GetWorkflowExecutionHistory', request));
  }

  /**
   * The latest run's whole history (every page, all events, no wait for new ones), each event decoded
   * straight into a BenchHistoryEvent: the same list history.ts's benchHistoryOf makes of the SDK's.
   */
  async history(namespace: string, workflowId: string, options: { pageSize?: number } = {}): Promise<BenchHistoryEvent[]> {
    const events: BenchHistoryEvent[] = [];
    let pageToken: Uint8Array | undefined;
    do {
      const request = new ProtoWriter()
        .string(1, namespace)
        .message(2, (execution) => execution.string(1, workflowId))
        .uint(3, options.pageSize ?? 0) // 0: the server's page size, as the SDK asks
        .uint(6, HISTORY_EVENT_FILTER_TYPE_ALL_EVENT);
      if (pageToken) request.bytes(4, pageToken);
      pageToken = readBenchHistoryPage(await this.call(namespace, 'GetWorkflowExecutionHistory', request.finish()), events);
    } while (pageToken && pageToken.length > 0);
    return events;
  }

  /** One namespace-scoped WorkflowService call with the admin deadline. */
  private call(namespace: string, method: string, request: Uint8Array): Promise<Buffer> {
    return this.channel.unary(`${WORKFLOW_SERVICE}${method}`, request, { timeoutMs: ADMIN_CALL_TIMEOUT_MS, headers: { 'temporal-namespace': namespace } });
  }

  async serverVersion(timeoutMs?: number): Promise<string | undefined> {
    const response = await this.channel.unary(`${WORKFLOW_SERVICE}GetSystemInfo`, Buffer.alloc(0), { timeoutMs: timeoutMs ?? ADMIN_CALL_TIMEOUT_MS });
    return stringField(response, 1) || undefined;
  }

  async describeNamespace(namespace: string): Promise<void> {
    await this.call(namespace, 'DescribeNamespace', new ProtoWriter().string(1, namespace).finish());
  }

  /** The namespace's custom search attributes: name → IndexedValueType number. */
  async customSearchAttributes(namespace: string): Promise<Map<string, number>> {
    const response = await this.channel.unary(`${OPERATOR_SERVICE}ListSearchAttributes`, new ProtoWriter().string(1, namespace).finish(), {
      timeoutMs: ADMIN_CALL_TIMEOUT_MS,
      headers: { 'temporal-namespace': namespace },
    });
    const attributes = new Map<string, number>();
    for (const entry of fieldValues(response, 1)) {
      if (!(entry instanceof Uint8Array)) continue;
      const name = stringField(entry, 1);
      if (name !== undefined) attributes.set(name, numberField(entry, 2));
    }
    return attributes;
  }

  /** CountWorkflowExecutions; with GROUP BY, one group per value (the value decoded from its JSON payload). */
  async countWorkflows(namespace: string, query: string): Promise<{ count: number; groups: CountGroup[] }> {
    const response = await this.call(namespace, 'CountWorkflowExecutions', new ProtoWriter().string(1, namespace).string(2, query).finish());
    const groups: CountGroup[] = [];
    for (const group of fieldValues(response, 2)) {
      if (!(group instanceof Uint8Array)) continue;
      const payload = bytesField(group, 1);
      groups.push({ value: payload && decodePayload(payload), count: numberField(group, 2) });
    }
    return { count: numberField(response, 1), groups };
  }

  close(): Promise<void> {
    return this.channel.close();
  }
}
