import { describe, expect, it } from 'vitest';
import { temporal } from '@temporalio/proto';
import type { BenchHistoryEvent } from '../../src/shared/history-events.js';
import { benchHistoryOf } from '../../src/temporal/history.js';
import { readBenchHistoryPage } from '../../src/temporal/wire/bench-history.js';
import { ProtoScanner, ProtoWriter } from '../../src/temporal/wire/protobuf.js';
import { WorkflowWire } from '../../src/temporal/wire/workflow-wire.js';

const { GetWorkflowExecutionHistoryRequest, GetWorkflowExecutionHistoryResponse } = temporal.api.workflowservice.v1;
const { EventType } = temporal.api.enums.v1;
/** A HistoryEvent as plain data (int64 fields as numbers): fromObject makes the SDK's message of it. */
type Event = Record<string, unknown>;

/** A server time with sub-millisecond nanos (the reduction rounds down to whole ms on both paths). */
const at = (ms: number, extraNanos = 987_654) => ({ seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 + extraNanos });

/** Every kind BenchHistoryEvent has, every way a run closes, and events (and fields) the reduction ignores. */
function realisticEvents(): Event[] {
  const payloads = { payloads: [{ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('{"a":[1,2,3]}') }] };
  let id = 0;
  const event = (ms: number, eventType: number, fields: Event): Event => ({ eventId: ++id, eventTime: at(ms), eventType, version: 7, taskId: 1_048_576 + id, ...fields });
  const t = 1_764_500_000_000;
  return [
    event(t, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, {
      workflowExecutionStartedEventAttributes: { workflowType: { name: 'SignalWorkflow' }, taskQueue: { name: 'q' }, input: payloads, workflowRunTimeout: { seconds: 60 }, identity: 'me@host' },
    }),
    event(t + 3, EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, { workflowTaskScheduledEventAttributes: { taskQueue: { name: 'q' }, startToCloseTimeout: { seconds: 10 }, attempt: 1 } }),
    event(t + 9, EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED, { workflowTaskStartedEventAttributes: { scheduledEventId: 2, identity: 'worker', requestId: 'r' } }),
    event(t + 15, EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, { workflowTaskCompletedEventAttributes: { scheduledEventId: 2, startedEventId: 3, identity: 'worker' } }),
    event(t + 16, EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, {
      activityTaskScheduledEventAttributes: { activityId: '1', activityType: { name: 'echo' }, input: payloads, scheduleToCloseTimeout: { seconds: 30 } },
    }),
    event(t + 20, EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED, { activityTaskStartedEventAttributes: { scheduledEventId: 5, identity: 'worker', attempt: 1 } }),
    event(t + 25, EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, { activityTaskCompletedEventAttributes: { result: payloads, scheduledEventId: 5, startedEventId: 6 } }),
    event(t + 30, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED, {
      workflowExecutionSignaledEventAttributes: { signalName: 'bench-signal ✓', input: payloads, identity: 'client', header: { fields: { k: payloads.payloads[0]! } } },
      // Fields beyond the oneof (user metadata, links, worker_may_ignore): skipped.
      workerMayIgnore: true, userMetadata: { summary: payloads.payloads[0]! }, links: [{ workflowEvent: { namespace: 'default', workflowId: 'w' } }],
    }),
    event(t + 31, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED, { workflowExecutionSignaledEventAttributes: {} }), // no name: ''
    event(t + 40, EventType.EVENT_TYPE_TIMER_STARTED, { timerStartedEventAttributes: { timerId: '1', startToFireTimeout: { seconds: 1, nanos: 500_999_999 }, workflowTaskCompletedEventId: 4 } }),
    event(t + 41, EventType.EVENT_TYPE_TIMER_STARTED, { timerStartedEventAttributes: { timerId: '2', startToFireTimeout: { nanos: 200_000_000 } } }),
    event(t + 1_545, EventType.EVENT_TYPE_TIMER_FIRED, { timerFiredEventAttributes: { timerId: '1', startedEventId: 10 } }),
    event(t + 1_546, EventType.EVENT_TYPE_TIMER_CANCELED, { timerCanceledEventAttributes: { timerId: '2', startedEventId: 11 } }),
    event(t + 1_550, EventType.EVENT_TYPE_MARKER_RECORDED, { markerRecordedEventAttributes: { markerName: 'core_patch', details: { d: payloads } } }),
    event(t + 1_600, EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED, {
      startChildWorkflowExecutionInitiatedEventAttributes: { namespace: 'default', workflowId: 'w-c1', workflowType: { name: 'EchoWorkflow' }, input: payloads },
    }),
    event(t + 1_650, EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED, { childWorkflowExecutionStartedEventAttributes: { initiatedEventId: 15 } }),
    event(t + 1_700, EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED, {
      childWorkflowExecutionCompletedEventAttributes: { result: payloads, namespace: 'default', workflowExecution: { workflowId: 'w-c1', runId: 'r' }, initiatedEventId: 15, startedEventId: 16 },
    }),
    event(t + 1_710, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED, { workflowExecutionUpdateAcceptedEventAttributes: { protocolInstanceId: 'u', acceptedRequestMessageId: 'm' } }),
    event(t + 1_720, EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED, { workflowTaskFailedEventAttributes: { failure: { message: 'boom' } } }),
    event(t + 1_730, EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES, { upsertWorkflowSearchAttributesEventAttributes: { searchAttributes: { indexedFields: { A: payloads.payloads[0]! } } } }),
    { eventId: ++id, eventTime: at(t + 1_740), eventType: EventType.EVENT_TYPE_UNSPECIFIED }, // no attributes at all
    // Beyond 2^32: ids are int64 on the wire.
    { eventId: 5_000_000_001, eventTime: at(t + 1_750), activityTaskScheduledEventAttributes: { activityId: '9' } },
    { eventId: 5_000_000_002, eventTime: at(t + 1_760), activityTaskStartedEventAttributes: { scheduledEventId: 5_000_000_001 } },
    event(t + 1_800, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, { workflowExecutionCompletedEventAttributes: { result: payloads, workflowTaskCompletedEventId: 4 } }),
  ];
}

/** Every way a run closes, one event each. */
const CLOSE_EVENTS: Event[] = [
  { eventId: 1, eventTime: at(2_000), workflowExecutionCompletedEventAttributes: {} },
  { eventId: 2, eventTime: at(3_000), workflowExecutionFailedEventAttributes: { failure: { message: 'x' }, newExecutionRunId: 'retry' } },
  { eventId: 3, eventTime: at(4_000), workflowExecutionTimedOutEventAttributes: { retryState: 5 } },
  { eventId: 4, eventTime: at(5_000), workflowExecutionCanceledEventAttributes: {} },
  { eventId: 5, eventTime: at(6_000), workflowExecutionTerminatedEventAttributes: { reason: 'by hand' } },
  { eventId: 6, eventTime: at(7_000), workflowExecutionContinuedAsNewEventAttributes: { newExecutionRunId: 'next', workflowType: { name: 'T' } } },
];

/** What the SDK path gives for a response: the SDK's protobuf decoding, then benchHistoryOf. */
function sdkReduction(responses: Uint8Array[]): BenchHistoryEvent[] {
  return benchHistoryOf(responses.flatMap((response) => GetWorkflowExecutionHistoryResponse.decode(response).history?.events ?? []));
}

/** What the wire path gives: each page read straight off the bytes. */
function wireReduction(responses: Uint8Array[]): BenchHistoryEvent[] {
  const events: BenchHistoryEvent[] = [];
  for (const response of responses) readBenchHistoryPage(response, events);
  return events;
}

const page = (events: Event[], nextPageToken?: Uint8Array) =>
  GetWorkflowExecutionHistoryResponse.encode(GetWorkflowExecutionHistoryResponse.fromObject({ history: { events }, nextPageToken })).finish();

describe('a history page read off the wire into BenchHistoryEvent', () => {
  it('gives exactly what benchHistoryOf gives for the same events: every kind, ignored ones skipped', () => {
    const response = page(realisticEvents());
    const wire = wireReduction([response]);
    expect(wire).toStrictEqual(sdkReduction([response]));
    // Not vacuous: every kind BenchHistoryEvent has is there, with its fields.
    expect(new Set(wire.map((event) => event.kind))).toEqual(new Set([
      'workflowStarted', 'workflowTaskScheduled', 'workflowTaskStarted', 'workflowTaskCompleted', 'activityScheduled', 'activityStarted',
      'signaled', 'timerStarted', 'timerFired', 'childInitiated', 'childCompleted', 'workflowClosed',
    ]));
    expect(wire).toHaveLength(realisticEvents().length - 8); // completed activity, child started, timer canceled, marker, update, wt failed, upsert, unspecified
    expect(wire).toContainEqual({ kind: 'signaled', timeMs: 1_764_500_000_030, signalName: 'bench-signal ✓' });
    expect(wire).toContainEqual({ kind: 'timerStarted', timeMs: 1_764_500_000_040, timerId: '1', startToFireMs: 1500 });
    expect(wire).toContainEqual({ kind: 'activityStarted', timeMs: 1_764_500_001_760, scheduledEventId: 5_000_000_001 });
    expect(wire).toContainEqual({ kind: 'childCompleted', timeMs: 1_764_500_001_700, initiatedEventId: 15 });
  });

  it('maps every way a run closes to workflowClosed, as benchHistoryOf does', () => {
    const response = page(CLOSE_EVENTS);
    expect(wireReduction([response])).toStrictEqual(sdkReduction([response]));
    expect(wireReduction([response])).toEqual([2_000, 3_000, 4_000, 5_000, 6_000, 7_000].map((timeMs) => ({ kind: 'workflowClosed', timeMs })));
  });

  it('reads pages in turn: each gives its next page token, the last none; together the whole history', () => {
    const events = realisticEvents();
    const pages = [page(events.slice(0, 7), Buffer.from('token-1')), page(events.slice(7, 15), Buffer.from('token-2')), page(events.slice(15))];
    const read: BenchHistoryEvent[] = [];
    const tokens = pages.map((response) => readBenchHistoryPage(response, read));
    expect(tokens.map((token) => token && Buffer.from(token).toString())).toEqual(['token-1', 'token-2', undefined]);
    expect(read).toStrictEqual(sdkReduction([page(events)]));
    expect(readBenchHistoryPage(page([]), [])).toBeUndefined();
    expect(readBenchHistoryPage(GetWorkflowExecutionHistoryResponse.encode({}).finish(), [])).toBeUndefined();
  });

  it('refuses a malformed page rather than reading garbage', () => {
    const response = page(realisticEvents());
    expect(() => readBenchHistoryPage(response.subarray(0, response.length - 3), [])).toThrow(RangeError);
  });
});

describe('WorkflowWire.history', () => {
  /** A wire whose channel answers GetWorkflowExecutionHistory from `pages`, keeping the requests. */
  function wireAnswering(pages: Uint8Array[]) {
    const wire = new WorkflowWire({ address: '127.0.0.1:1', clientVersion: 'test' });
    const requests: Array<{ method: string; request: temporal.api.workflowservice.v1.GetWorkflowExecutionHistoryRequest; namespace: unknown }> = [];
    // The channel is the transport: standing in for it here tests the paging, not the network (the integration test reads a real server).
    (wire as unknown as { channel: unknown }).channel = {
      unary: async (method: string, request: Uint8Array, options: { headers?: Record<string, string> }) => {
        requests.push({ method, request: GetWorkflowExecutionHistoryRequest.decode(request), namespace: options.headers?.['temporal-namespace'] });
        return Buffer.from(pages[requests.length - 1]!);
      },
      close: async () => undefined,
    };
    return { wire, requests };
  }

  it('pages through the latest run: all events, no wait for new ones, each page token sent back', async () => {
    const events = realisticEvents();
    const { wire, requests } = wireAnswering([page(events.slice(0, 10), Buffer.from('p2')), page(events.slice(10, 20), Buffer.from('p3')), page(events.slice(20))]);
    expect(await wire.history('bench-ns', 'wf-1')).toStrictEqual(sdkReduction([page(events)]));
    expect(requests).toHaveLength(3);
    for (const { method, request, namespace } of requests) {
      expect(method).toBe('/temporal.api.workflowservice.v1.WorkflowService/GetWorkflowExecutionHistory');
      expect(namespace).toBe('bench-ns');
      expect(request.namespace).toBe('bench-ns');
      expect(request.execution?.workflowId).toBe('wf-1');
      expect(request.execution?.runId ?? '').toBe(''); // the latest run
      expect(request.waitNewEvent).toBe(false);
      expect(request.historyEventFilterType).toBe(temporal.api.enums.v1.HistoryEventFilterType.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT);
    }
    expect(requests.map(({ request }) => Buffer.from(request.nextPageToken).toString())).toEqual(['', 'p2', 'p3']);
    await wire.close();
  });
});

describe('ProtoScanner', () => {
  it('reads what ProtoWriter wrote, nested messages included, and skips fixed-width fields', () => {
    const message = new ProtoWriter().uint(1, 2 ** 53 - 1).string(2, 'héllo').message(3, (nested) => nested.uint(1, 300).string(2, 'x')).finish();
    const withFixed = Buffer.concat([Buffer.from([0x21, 1, 2, 3, 4, 5, 6, 7, 8, 0x2d, 1, 2, 3, 4]), message]); // field 4 fixed64, field 5 fixed32
    const scanner = new ProtoScanner(withFixed);
    const seen: unknown[] = [];
    while (scanner.next()) {
      if (scanner.field === 3) {
        const nested = scanner.nested();
        while (nested.next()) seen.push(nested.isVarint ? nested.value : nested.string());
      } else seen.push(scanner.isVarint ? scanner.value : scanner.isBytes ? scanner.string() : `fixed ${scanner.field}`);
    }
    expect(seen).toEqual(['fixed 4', 'fixed 5', 2 ** 53 - 1, 'héllo', 300, 'x']);
  });
});
