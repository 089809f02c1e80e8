// An abandoned coordinator's slices, read from its history (outcomesOfHistory): the events as the server
// records them, payloads as plain JSON (the decoder is given).
import { describe, expect, it } from 'vitest';
import { outcomesOfHistory } from '../../src/temporal/coordinator-client.js';
import type { SliceHeartbeat } from '../../workflows/coordinator-types.js';

const payload = (value: unknown) => ({ data: new TextEncoder().encode(JSON.stringify(value)) });
const decode = (value: { data?: Uint8Array | null }) => JSON.parse(new TextDecoder().decode(value.data!)) as unknown;
const heartbeat = (shard: string, launched: number): SliceHeartbeat => ({
  agent: `agent-${shard}`, index: Number(shard[1]), shard, launched, started: launched, completed: launched, failed: 0, inFlight: 0,
  intervalRate: 0, intervalP50: null, intervalP99: null, elapsedMs: 1000,
});

const scheduled = (eventId: number, activityId: string) => ({ eventId, activityTaskScheduledEventAttributes: { activityId } });
const started = (eventId: number, scheduledEventId: number, identity: string) => ({ eventId, activityTaskStartedEventAttributes: { scheduledEventId, identity } });

describe('outcomesOfHistory', () => {
  it('tells each slice attempt apart: finished, lost (heartbeat timeout), not-taken, failed, and still open', () => {
    const events = [
      { eventId: 1, workflowExecutionStartedEventAttributes: {} },
      scheduled(5, 'slice-0-s0'), scheduled(6, 'slice-1-s1'), scheduled(7, 'slice-2-s2'), scheduled(8, 'slice-3-s3'), scheduled(9, 'slice-4-s4'),
      scheduled(10, 'not-a-slice'),
      started(11, 5, 'a'), started(12, 6, 'b'), started(13, 8, 'd'), started(14, 9, 'e'),
      { eventId: 15, activityTaskCompletedEventAttributes: { scheduledEventId: 5, result: { payloads: [payload({ agent: 'a', lastHeartbeat: null, result: { runId: 'r' }, note: 'n' })] } } },
      {
        eventId: 16,
        activityTaskTimedOutEventAttributes: { scheduledEventId: 6, failure: { timeoutFailureInfo: { timeoutType: 4, lastHeartbeatDetails: { payloads: [payload(heartbeat('s1', 7))] } } } },
      },
      { eventId: 17, activityTaskTimedOutEventAttributes: { scheduledEventId: 7, failure: { timeoutFailureInfo: { timeoutType: 2 } } } },
      {
        eventId: 18,
        activityTaskFailedEventAttributes: {
          scheduledEventId: 8, failure: { message: 'refused', applicationFailureInfo: { details: { payloads: [payload({ agent: 'd', lastHeartbeat: heartbeat('s3', 2) })] } } },
        },
      },
      { eventId: 19, activityTaskCompletedEventAttributes: { scheduledEventId: 10, result: { payloads: [payload('other')] } } },
    ];
    // Event ids are Longs on the wire; String() of either reads the same.
    expect(outcomesOfHistory(events as unknown as Parameters<typeof outcomesOfHistory>[0], decode, 'gone')).toEqual([
      { index: 0, shard: 's0', status: 'finished', agent: 'a', result: { runId: 'r' }, note: 'n' },
      { index: 1, shard: 's1', status: 'lost', agent: 'agent-s1', lastHeartbeat: heartbeat('s1', 7), reason: 'the agent stopped heartbeating (heartbeat timeout)' },
      { index: 2, shard: 's2', status: 'not-taken', reason: 'no agent took the slice within the agent wait' },
      { index: 3, shard: 's3', status: 'failed', agent: 'd', lastHeartbeat: heartbeat('s3', 2), reason: 'refused' },
      // started by agent e, never ended: lost with the reason given (its heartbeat is the caller's to add)
      { index: 4, shard: 's4', status: 'lost', agent: 'e', lastHeartbeat: null, reason: 'gone' },
    ]);
  });
});
