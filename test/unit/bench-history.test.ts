import { describe, expect, it } from 'vitest';
import { benchHistoryOf } from '../../src/temporal/history.js';

/** Stands in for the proto's Long (int64 fields), which converts to a number through valueOf. */
const long = (value: number) => ({ valueOf: () => value });
/** An event time as the SDK's proto gives it (seconds as a Long). */
const at = (ms: number) => ({ seconds: long(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1e6 + 123 });

describe('a history reduced to BenchHistoryEvent', () => {
  it('keeps the kinds the latencies read, in order, with server times in ms and the ids that pair them', () => {
    const events = [
      { eventId: long(1), eventTime: at(1_000_000), workflowExecutionStartedEventAttributes: {} },
      { eventId: long(2), eventTime: at(1_000_005), workflowTaskScheduledEventAttributes: {} },
      { eventId: long(3), eventTime: at(1_000_010), workflowTaskStartedEventAttributes: {} },
      { eventId: long(4), eventTime: at(1_000_020), workflowTaskCompletedEventAttributes: {} },
      { eventId: long(5), eventTime: at(1_000_021), activityTaskScheduledEventAttributes: {} },
      { eventId: long(6), eventTime: at(1_000_030), activityTaskStartedEventAttributes: { scheduledEventId: long(5) } },
      { eventId: long(7), eventTime: at(1_000_031), activityTaskCompletedEventAttributes: {} },
      { eventId: long(8), eventTime: at(1_000_040), workflowExecutionSignaledEventAttributes: { signalName: 'bench-signal' } },
      { eventId: long(9), eventTime: at(1_000_050), timerStartedEventAttributes: { timerId: '1', startToFireTimeout: { seconds: long(1), nanos: 500_000_000 } } },
      { eventId: long(10), eventTime: at(1_001_560), timerFiredEventAttributes: { timerId: '1' } },
      { eventId: long(11), eventTime: at(1_001_600), startChildWorkflowExecutionInitiatedEventAttributes: {} },
      { eventId: long(12), eventTime: at(1_001_700), childWorkflowExecutionCompletedEventAttributes: { initiatedEventId: long(11) } },
      { eventId: long(13), eventTime: at(1_001_800), workflowExecutionContinuedAsNewEventAttributes: {} },
    ];
    expect(benchHistoryOf(events)).toEqual([
      { kind: 'workflowStarted', timeMs: 1_000_000 },
      { kind: 'workflowTaskScheduled', timeMs: 1_000_005 },
      { kind: 'workflowTaskStarted', timeMs: 1_000_010 },
      { kind: 'workflowTaskCompleted', timeMs: 1_000_020 },
      { kind: 'activityScheduled', timeMs: 1_000_021, eventId: 5 },
      { kind: 'activityStarted', timeMs: 1_000_030, scheduledEventId: 5 },
      { kind: 'signaled', timeMs: 1_000_040, signalName: 'bench-signal' },
      { kind: 'timerStarted', timeMs: 1_000_050, timerId: '1', startToFireMs: 1500 },
      { kind: 'timerFired', timeMs: 1_001_560, timerId: '1' },
      { kind: 'childInitiated', timeMs: 1_001_600, eventId: 11 },
      { kind: 'childCompleted', timeMs: 1_001_700, initiatedEventId: 11 },
      { kind: 'workflowClosed', timeMs: 1_001_800 },
    ]);
  });

  it('maps every way a run closes to workflowClosed', () => {
    for (const attributes of [
      'workflowExecutionCompletedEventAttributes', 'workflowExecutionFailedEventAttributes', 'workflowExecutionTimedOutEventAttributes',
      'workflowExecutionCanceledEventAttributes', 'workflowExecutionTerminatedEventAttributes',
    ]) {
      expect(benchHistoryOf([{ eventTime: at(2_000), [attributes]: {} }])).toEqual([{ kind: 'workflowClosed', timeMs: 2_000 }]);
    }
  });
});
