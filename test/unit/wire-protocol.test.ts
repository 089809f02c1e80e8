import { describe, expect, it } from 'vitest';
import { Client, WorkflowFailedError } from '@temporalio/client';
import { CancelledFailure, RetryState, TerminatedFailure, TimeoutFailure, TimeoutType } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { resultFailureKind, startFailureKind } from '../../src/temporal/failure-kind.js';
import { GrpcStatusError, TransportError } from '../../src/temporal/wire/grpc-channel.js';
import { fieldValues, numberField, ProtoWriter } from '../../src/temporal/wire/protobuf.js';
import {
  encodeStartTemplate, PreparedStart, readAllPartitionPollers, readCloseEvent, readLastWorkflowTaskFailure, readPendingWorkflowTaskAttempt,
  WorkflowClosedError,
} from '../../src/temporal/wire/workflow-wire.js';
import { WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE } from '../../src/temporal/wire/api-enums.js';
import { defineSearchAttributeKey } from '@temporalio/common';

const { StartWorkflowExecutionRequest } = temporal.api.workflowservice.v1;
const { GetWorkflowExecutionHistoryResponse } = temporal.api.workflowservice.v1;

/** The request the SDK's own Client builds for the same start, captured at the connection. */
async function sdkStartRequest(options: { startDelay?: number; searchAttribute?: boolean }): Promise<temporal.api.workflowservice.v1.IStartWorkflowExecutionRequest> {
  let captured: temporal.api.workflowservice.v1.IStartWorkflowExecutionRequest | undefined;
  const connection = {
    workflowService: {
      startWorkflowExecution: async (request: temporal.api.workflowservice.v1.IStartWorkflowExecutionRequest) => {
        captured = request;
        return { runId: 'run' };
      },
    },
    withDeadline: <T>(_deadline: unknown, fn: () => Promise<T>) => fn(),
    withMetadata: <T>(_metadata: unknown, fn: () => Promise<T>) => fn(),
    withAbortSignal: <T>(_signal: unknown, fn: () => Promise<T>) => fn(),
    close: async () => undefined,
  };
  const client = new Client({ connection: connection as never, namespace: 'bench-ns', identity: 'me@host' });
  await client.workflow.start('EchoWorkflow', {
    workflowId: 'sched-bench-run-1',
    taskQueue: 'benchmark',
    args: [{ message: 'Hello World', count: 3, nested: { list: [1, 'two', null] } }],
    memo: { schedBenchRunId: 'run' },
    workflowIdReusePolicy: 'REJECT_DUPLICATE',
    ...(options.startDelay ? { startDelay: options.startDelay } : {}),
    ...(options.searchAttribute ? { typedSearchAttributes: [{ key: defineSearchAttributeKey('SchedBenchRunId', 'KEYWORD'), value: 'run' }] } : {}),
  });
  return captured!;
}

/** A decoded request as plain JSON, without the request id (random per start on both sides). */
function comparable(request: temporal.api.workflowservice.v1.IStartWorkflowExecutionRequest): unknown {
  const json = StartWorkflowExecutionRequest.toObject(StartWorkflowExecutionRequest.fromObject(request), { defaults: false, bytes: String, longs: Number });
  delete (json as { requestId?: string }).requestId;
  return json;
}

describe("sched-bench's own start request", () => {
  it.each<[string, { startDelay?: number; searchAttribute?: boolean }]>([
    ['plain', {}],
    ['with a start delay and the run-id search attribute', { startDelay: 2_500, searchAttribute: true }],
  ])('decodes to what the SDK sends (%s), but for the request id', async (_name, options) => {
    const template = encodeStartTemplate(
      {
        namespace: 'bench-ns', taskQueue: 'benchmark', workflowType: 'EchoWorkflow',
        args: [{ message: 'Hello World', count: 3, nested: { list: [1, 'two', null] } }],
        memo: { schedBenchRunId: 'run' },
        keywordSearchAttributes: options.searchAttribute ? { SchedBenchRunId: 'run' } : undefined,
        workflowIdReusePolicy: WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
        startDelayMs: options.startDelay,
      },
      'me@host',
    );
    const ours = StartWorkflowExecutionRequest.decode(new PreparedStart('bench-ns', template).request('sched-bench-run-1', 'req-1'));
    expect(ours.requestId).toBe('req-1');
    expect(comparable(ours)).toEqual(comparable(await sdkStartRequest(options)));
  });

  it('differs from start to start only in the workflow id and request id', () => {
    const prepared = new PreparedStart('ns', encodeStartTemplate({ namespace: 'ns', taskQueue: 'q', workflowType: 'T', args: [] }, 'id'));
    const a = StartWorkflowExecutionRequest.decode(prepared.request('wf-1'));
    const b = StartWorkflowExecutionRequest.decode(prepared.request('wf-2'));
    expect([a.workflowId, b.workflowId]).toEqual(['wf-1', 'wf-2']);
    expect(a.requestId).not.toBe(b.requestId);
    expect(a.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('start delays', () => {
  it.each([2_010, 2_010.4, 1_100, 500, 59_999])('encodes %d ms as whole milliseconds of a Duration', (ms) => {
    const request = StartWorkflowExecutionRequest.decode(new PreparedStart('ns', encodeStartTemplate({ namespace: 'ns', taskQueue: 'q', workflowType: 'T', args: [], startDelayMs: ms }, 'id')).request('wf'));
    const rounded = Math.round(ms);
    expect(Number(request.workflowStartDelay?.seconds ?? 0)).toBe(Math.floor(rounded / 1000));
    expect(request.workflowStartDelay?.nanos ?? 0).toBe((rounded % 1000) * 1_000_000);
  });
});

describe("a stuck run's probe answers, read off the wire", () => {
  const { DescribeTaskQueueResponse, DescribeWorkflowExecutionResponse } = temporal.api.workflowservice.v1;
  const poller = { identity: 'worker@host' };

  it('sums the workflow-task pollers of every version (enhanced DescribeTaskQueue), not the activity ones', () => {
    const response = DescribeTaskQueueResponse.encode({
      versionsInfo: {
        '': { typesInfo: { 1: { pollers: [poller, poller] }, 2: { pollers: [poller] } } },
        'build-2': { typesInfo: { 1: { pollers: [poller] } } },
      },
    }).finish();
    expect(readAllPartitionPollers(response)).toBe(3);
    expect(readAllPartitionPollers(DescribeTaskQueueResponse.encode({}).finish())).toBe(0);
  });

  it("reads the pending workflow task's attempt and the last workflow task failure", () => {
    expect(readPendingWorkflowTaskAttempt(DescribeWorkflowExecutionResponse.encode({ pendingWorkflowTask: { attempt: 7 } }).finish())).toBe(7);
    expect(readPendingWorkflowTaskAttempt(DescribeWorkflowExecutionResponse.encode({}).finish())).toBe(0);
    const failed = (message: string) => ({ eventType: temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED, workflowTaskFailedEventAttributes: { failure: { message } } });
    const history = GetWorkflowExecutionHistoryResponse.encode({
      history: { events: [{ eventType: temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED }, failed('first'), failed('no such workflow type')] },
    }).finish();
    expect(readLastWorkflowTaskFailure(history)).toBe('no such workflow type');
    expect(readLastWorkflowTaskFailure(GetWorkflowExecutionHistoryResponse.encode({ history: { events: [] } }).finish())).toBeUndefined();
  });
});

describe('close events read from a history page', () => {
  const page = (event: temporal.api.history.v1.IHistoryEvent | undefined, nextPageToken?: Uint8Array) =>
    GetWorkflowExecutionHistoryResponse.encode({ history: { events: event ? [event] : [] }, nextPageToken }).finish();

  it('reads each way a workflow closes, with the run to follow where there is one', () => {
    expect(readCloseEvent(page({ workflowExecutionCompletedEventAttributes: { result: { payloads: [] } } }))).toMatchObject({ kind: 'completed', nextRunId: undefined, result: undefined });
    const echo = { metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('{"echo":"Hello World"}') };
    expect(readCloseEvent(page({ workflowExecutionCompletedEventAttributes: { result: { payloads: [echo] } } }))).toMatchObject({ result: { echo: 'Hello World' } });
    expect(readCloseEvent(page({ workflowExecutionCompletedEventAttributes: { newExecutionRunId: 'cron-next' } }))).toMatchObject({ kind: 'completed', nextRunId: 'cron-next' });
    expect(readCloseEvent(page({ workflowExecutionFailedEventAttributes: { failure: { message: 'boom' } } }))).toMatchObject({ kind: 'workflow_failed', causeMessage: 'boom' });
    expect(readCloseEvent(page({ workflowExecutionFailedEventAttributes: { failure: { message: 'retrying' }, newExecutionRunId: 'retry' } }))).toMatchObject({ nextRunId: 'retry' });
    expect(readCloseEvent(page({ workflowExecutionTimedOutEventAttributes: { retryState: temporal.api.enums.v1.RetryState.RETRY_STATE_TIMEOUT } }))).toMatchObject({ kind: 'timed_out' });
    expect(readCloseEvent(page({ workflowExecutionTerminatedEventAttributes: { reason: 'by hand' } }))).toMatchObject({ kind: 'terminated', message: 'by hand' });
    expect(readCloseEvent(page({ workflowExecutionCanceledEventAttributes: {} }))).toMatchObject({ kind: 'cancelled' });
    expect(readCloseEvent(page({ workflowExecutionContinuedAsNewEventAttributes: { newExecutionRunId: 'next' } }))).toMatchObject({ kind: 'continued', nextRunId: 'next' });
    expect(readCloseEvent(page(undefined, Uint8Array.of(1, 2)))).toBeUndefined();
  });
});

describe('failure kinds of the wire errors', () => {
  it('match those of the SDK errors for the same outcome', () => {
    const metadata = { get: () => [] };
    expect(startFailureKind(new GrpcStatusError(6, 'Workflow execution is already running', metadata))).toBe('start_rejected');
    expect(startFailureKind(new GrpcStatusError(8, 'namespace rate limit exceeded', metadata))).toBe('throttled');
    expect(startFailureKind(new GrpcStatusError(3, 'blob too large', metadata))).toBe('start_invalid');
    expect(startFailureKind(new TransportError(new Error('connect ECONNREFUSED 127.0.0.1:1')))).toBe('server_unavailable');
    expect(startFailureKind(new GrpcStatusError(4, 'deadline exceeded (client)', metadata))).toBe('server_unavailable');
    const pairs: Array<[WorkflowClosedError, WorkflowFailedError]> = [
      [new WorkflowClosedError('workflow_failed', 'Workflow execution failed', 'boom'), new WorkflowFailedError('Workflow execution failed', new Error('boom'), RetryState.NON_RETRYABLE_FAILURE)],
      [new WorkflowClosedError('timed_out', 'x', 'x'), new WorkflowFailedError('x', new TimeoutFailure('x', undefined, TimeoutType.START_TO_CLOSE), RetryState.TIMEOUT)],
      [new WorkflowClosedError('terminated', 'x', 'x'), new WorkflowFailedError('x', new TerminatedFailure('x'), RetryState.NON_RETRYABLE_FAILURE)],
      [new WorkflowClosedError('cancelled', 'x', 'x'), new WorkflowFailedError('x', new CancelledFailure('x'), RetryState.NON_RETRYABLE_FAILURE)],
    ];
    for (const [wire, sdk] of pairs) expect(resultFailureKind(wire)).toBe(resultFailureKind(sdk));
  });
});

describe('protobuf primitives', () => {
  it('round-trip varints up to 2^53 and keep repeated fields in order', () => {
    const message = new ProtoWriter().uint(1, 2 ** 53 - 1).uint(2, 300).string(3, 'a').string(3, 'b').uint(4, 0).finish();
    expect(numberField(message, 1)).toBe(2 ** 53 - 1);
    expect(numberField(message, 2)).toBe(300);
    expect(fieldValues(message, 3).map((value) => Buffer.from(value as Uint8Array).toString())).toEqual(['a', 'b']);
    expect(fieldValues(message, 4)).toEqual([]); // zero is the default: not sent
    expect(() => new ProtoWriter().uint(1, -1)).toThrow(RangeError);
    expect(() => new ProtoWriter().uint(1, 2 ** 53)).toThrow(RangeError);
    expect(() => fieldValues(Uint8Array.of(0x0a, 5, 1), 1)).toThrow(RangeError); // a field longer than the message
  });
});
