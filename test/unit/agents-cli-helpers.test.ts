// The pieces run --agents and capacity --agents share: the forced exit's cancel, the lost agents' step lines.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { lostAgentLines } from '../../src/cli/capacity-command.js';
import { exitAfterCancel, FORCED_CANCEL_WAIT_MS } from '../../src/cli/forced-exit.js';
import { formatAgentsReady, formatAgentsWaiting, formatControlConnected } from '../../src/report/agents-lines.js';

describe('exitAfterCancel: a forced exit over agents', () => {
  afterEach(() => vi.useRealTimers());

  it('exits once with the code as soon as the cancel settles, refused or not', async () => {
    const exits: number[] = [];
    exitAfterCancel(async () => undefined, 130, (code) => exits.push(code));
    await Promise.resolve();
    await new Promise((resolve) => setImmediate(resolve));
    expect(exits).toEqual([130]);
    const refused: number[] = [];
    exitAfterCancel(() => Promise.reject(new Error('control unreachable')), 99, (code) => refused.push(code));
    await new Promise((resolve) => setImmediate(resolve));
    expect(refused).toEqual([99]);
  });

  it('a cancel that never answers does not hold the exit past the limit, and the exit happens once', async () => {
    vi.useFakeTimers();
    const exits: number[] = [];
    let answer: () => void = () => undefined;
    exitAfterCancel(() => new Promise<void>((resolve) => (answer = resolve)), 130, (code) => exits.push(code));
    await vi.advanceTimersByTimeAsync(FORCED_CANCEL_WAIT_MS - 1);
    expect(exits).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(exits).toEqual([130]);
    answer();
    await vi.advanceTimersByTimeAsync(10);
    expect(exits).toEqual([130]);
  });
});

describe('the agents\' lines', () => {
  it('capacity names each lost agent of a step as it ends, nothing when none was lost', () => {
    const line = lostAgentLines({
      stopped: false,
      outcomes: [
        { index: 0, shard: 's0', status: 'finished', agent: 'a', result: {} },
        { index: 1, shard: 's1', status: 'lost', agent: 'b', lastHeartbeat: null, reason: 'no heartbeat for 10s' },
        { index: 2, shard: 's2', status: 'lost', agent: null, lastHeartbeat: null, reason: 'never heard from' },
      ],
    }, 3);
    expect(line?.split('\n')).toEqual([
      'Step 3: lost agent b (slice 1, shard s1): no heartbeat for 10s', 'Step 3: lost an unknown agent (slice 2, shard s2): never heard from',
    ]);
    expect(lostAgentLines({ stopped: false, outcomes: [{ index: 0, shard: 's0', status: 'finished', agent: 'a', result: {} }] }, 1)).toBeUndefined();
  });

  it('the wait for the agents reads the same for every command', () => {
    expect(formatControlConnected({ address: 'c:7233', namespace: 'ctl', taskQueue: 'q' })).toBe('Control: task queue q in ctl at c:7233');
    expect(formatAgentsWaiting({ needed: 2, polling: ['a'], taskQueue: 'q', namespace: 'ctl' }, 60))
      .toBe('Waiting up to 60s for 2 agents on q in ctl: 1 polling (a); start them with `sched-bench agent`');
    expect(formatAgentsWaiting({ needed: 2, polling: [], taskQueue: 'q', namespace: 'ctl' }, 5)).toBe('Waiting up to 5s for 2 agents on q in ctl: 0 polling; start them with `sched-bench agent`');
    expect(formatAgentsReady({ agents: ['a', 'b'] })).toBe('Agents polling: a, b');
  });
});
