import type { BenchHistoryEvent } from '../../shared/history-events.js';
import { ProtoScanner } from './protobuf.js';

/*
 * Field numbers from the Temporal API protos (temporal/api/history/v1/message.proto,
 * temporal/api/workflowservice/v1/request_response.proto, google/protobuf/{timestamp,duration}.proto):
 *   GetWorkflowExecutionHistoryResponse: history 1, next_page_token 3
 *   History: events 1 (repeated HistoryEvent)
 *   HistoryEvent: event_id 1, event_time 2 (Timestamp), event_type 3; the `attributes` oneof 6..63
 *   Timestamp / Duration: seconds 1, nanos 2
 *   ActivityTaskStartedEventAttributes: scheduled_event_id 1
 *   WorkflowExecutionSignaledEventAttributes: signal_name 1
 *   TimerStartedEventAttributes: timer_id 1, start_to_fire_timeout 2 (Duration)
 *   TimerFiredEventAttributes: timer_id 1
 *   ChildWorkflowExecutionCompletedEventAttributes: initiated_event_id 5
 * A unit test encodes events with the SDK's own protobuf definitions and compares with benchHistoryOf.
 */
const RESPONSE_HISTORY = 1;
const RESPONSE_NEXT_PAGE_TOKEN = 3;
const HISTORY_EVENTS = 1;
const EVENT_ID = 1;
const EVENT_TIME = 2;

/** The HistoryEvent attribute fields BenchHistoryEvent reads (field numbers of the `attributes` oneof). */
const ATTRIBUTES = {
  workflowStarted: 6,
  workflowCompleted: 7,
  workflowFailed: 8,
  workflowTimedOut: 9,
  workflowTaskScheduled: 10,
  workflowTaskStarted: 11,
  workflowTaskCompleted: 12,
  activityScheduled: 15,
  activityStarted: 16,
  timerStarted: 20,
  timerFired: 21,
  signaled: 26,
  workflowTerminated: 27,
  workflowCanceled: 29,
  workflowContinuedAsNew: 33,
  childInitiated: 34,
  childCompleted: 37,
} as const;

const READ_ATTRIBUTES = new Set<number>(Object.values(ATTRIBUTES));

/** A Timestamp or Duration message in ms (whole ms, nanos rounded down, as the SDK path computes it). */
function millisOf(message: ProtoScanner): number {
  let seconds = 0;
  let nanos = 0;
  while (message.next()) {
    if (!message.isVarint) continue;
    if (message.field === 1) seconds = message.value;
    else if (message.field === 2) nanos = message.value;
  }
  return seconds * 1000 + Math.floor(nanos / 1e6);
}

/** The string field `field` of an attributes message ('' when absent, as protobuf's default). */
function stringOf(attributes: ProtoScanner, field: number): string {
  let found = '';
  while (attributes.next()) if (attributes.field === field && attributes.isBytes) found = attributes.string();
  return found;
}

/** The integer field `field` of an attributes message (0 when absent). */
function numberOf(attributes: ProtoScanner, field: number): number {
  let found = 0;
  while (attributes.next()) if (attributes.field === field && attributes.isVarint) found = attributes.value;
  return found;
}

function timerStarted(timeMs: number, attributes: ProtoScanner): BenchHistoryEvent {
  let timerId = '';
  let startToFireMs = 0;
  while (attributes.next()) {
    if (!attributes.isBytes) continue;
    if (attributes.field === 1) timerId = attributes.string();
    else if (attributes.field === 2) startToFireMs = millisOf(attributes.nested());
  }
  return { kind: 'timerStarted', timeMs, timerId, startToFireMs };
}

/** The event whose attributes are field `attributesField` of the oneof, reduced as history.ts's benchEventOf reduces it. */
function benchEventOf(attributesField: number, eventId: number, timeMs: number, attributes: ProtoScanner): BenchHistoryEvent {
  switch (attributesField) {
    case ATTRIBUTES.workflowStarted: return { kind: 'workflowStarted', timeMs };
    case ATTRIBUTES.workflowTaskScheduled: return { kind: 'workflowTaskScheduled', timeMs };
    case ATTRIBUTES.workflowTaskStarted: return { kind: 'workflowTaskStarted', timeMs };
    case ATTRIBUTES.workflowTaskCompleted: return { kind: 'workflowTaskCompleted', timeMs };
    case ATTRIBUTES.activityScheduled: return { kind: 'activityScheduled', timeMs, eventId };
    case ATTRIBUTES.activityStarted: return { kind: 'activityStarted', timeMs, scheduledEventId: numberOf(attributes, 1) };
    case ATTRIBUTES.signaled: return { kind: 'signaled', timeMs, signalName: stringOf(attributes, 1) };
    case ATTRIBUTES.timerStarted: return timerStarted(timeMs, attributes);
    case ATTRIBUTES.timerFired: return { kind: 'timerFired', timeMs, timerId: stringOf(attributes, 1) };
    case ATTRIBUTES.childInitiated: return { kind: 'childInitiated', timeMs, eventId };
    case ATTRIBUTES.childCompleted: return { kind: 'childCompleted', timeMs, initiatedEventId: numberOf(attributes, 5) };
    default: return { kind: 'workflowClosed', timeMs }; // completed, failed, timed out, terminated, canceled, continued as new
  }
}

/** One HistoryEvent reduced to a BenchHistoryEvent; undefined for the kinds the latencies do not read (left undecoded). */
function readEvent(event: ProtoScanner): BenchHistoryEvent | undefined {
  let eventId = 0;
  let timeMs = 0;
  let attributesField = 0;
  let attributes: ProtoScanner | undefined;
  while (event.next()) {
    if (event.field === EVENT_ID && event.isVarint) eventId = event.value;
    else if (event.field === EVENT_TIME && event.isBytes) timeMs = millisOf(event.nested());
    else if (event.isBytes && READ_ATTRIBUTES.has(event.field)) {
      attributesField = event.field;
      attributes = event.nested();
    }
  }
  return attributes ? benchEventOf(attributesField, eventId, timeMs, attributes) : undefined;
}

/**
 * Reads one GetWorkflowExecutionHistoryResponse page: appends its events, reduced, to `into` and
 * returns the next page token (undefined or empty on the last page).
 */
export function readBenchHistoryPage(response: Uint8Array, into: BenchHistoryEvent[]): Uint8Array | undefined {
  const page = new ProtoScanner(response);
  let nextPageToken: Uint8Array | undefined;
  while (page.next()) {
    if (page.field === RESPONSE_NEXT_PAGE_TOKEN && page.isBytes) nextPageToken = page.subarray();
    else if (page.field === RESPONSE_HISTORY && page.isBytes) {
      const history = page.nested();
      while (history.next()) {
        if (history.field !== HISTORY_EVENTS || !history.isBytes) continue;
        const event = readEvent(history.nested());
        if (event) into.push(event);
      }
    }
  }
  return nextPageToken;
}
