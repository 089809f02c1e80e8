import { describe, expect, it } from 'vitest';
import { ServerHealth, type ServerHealthEvent } from '../../src/metrics/server-health.js';
import { backoffDelay, THROTTLED_BACKOFF, UNAVAILABLE_BACKOFF } from '../../src/shared/backoff.js';
import { formatServerHealth } from '../../src/report/summary.js';
import { formatServerHealthEvent } from '../../src/report/lines.js';

describe('ServerHealth', () => {
  it('opens an outage at the first refusal and closes it at the first answer to a call sent after that', () => {
    const events: ServerHealthEvent[] = [];
    const health = new ServerHealth((event) => events.push(event));
    health.answered(900, 1000);
    health.refused('server_unavailable', 1200, 1210, 'tcp connect error');
    health.refused('server_unavailable', 1300, 1301, 'tcp connect error'); // same outage
    // A reply to a call sent before the outage began proves nothing about the server now.
    health.answered(1100, 1400);
    expect(health.snapshot(2000).outages).toEqual([{ startMs: 1200, endMs: undefined }]);
    health.answered(5000, 5100);
    const snapshot = health.snapshot(9000);
    expect(snapshot.outages).toEqual([{ startMs: 1200, endMs: 5100 }]);
    expect(snapshot.unavailableMs).toBe(3900);
    expect(snapshot.unavailableAttempts).toBe(2);
    expect(events).toEqual([
      { type: 'unavailable', atMs: 1200, reason: 'tcp connect error' },
      { type: 'available', atMs: 5100, outageMs: 3900 },
    ]);
  });

  it('starts an outage no earlier than the last answer, for a long poll sent long before', () => {
    const health = new ServerHealth();
    health.answered(4000, 4500);
    health.refused('server_unavailable', 1000, 6000, 'unavailable');
    expect(health.snapshot(7000)).toMatchObject({ outages: [{ startMs: 4500, endMs: undefined }], unavailableMs: 2500 });
  });

  it('counts an outage still open at the end up to now, and several outages apart', () => {
    const health = new ServerHealth();
    health.refused('server_unavailable', 100, 100, 'x');
    health.answered(300, 400);
    health.refused('server_unavailable', 1000, 1000, 'x');
    expect(health.snapshot(1500)).toMatchObject({
      outages: [{ startMs: 100, endMs: 400 }, { startMs: 1000, endMs: undefined }],
      unavailableMs: 300 + 500,
    });
  });

  it('opens no new outage for a call that was under way while the last one ended (it timed out across the recovery)', () => {
    const health = new ServerHealth();
    health.refused('server_unavailable', 1000, 1000, 'x');
    health.answered(3000, 3100);
    health.refused('server_unavailable', 2000, 22_000, 'deadline exceeded'); // sent during the outage, failed after it
    expect(health.snapshot(30_000)).toMatchObject({ outages: [{ startMs: 1000, endMs: 3100 }], unavailableAttempts: 2 });
  });

  it('counts throttled attempts apart, announces throttling once, and opens no outage for it', () => {
    const events: ServerHealthEvent[] = [];
    const health = new ServerHealth((event) => events.push(event));
    for (let at = 0; at < 5; at++) health.refused('throttled', at, at, 'namespace rate limit exceeded');
    expect(health.snapshot(10)).toEqual({ throttledAttempts: 5, unavailableAttempts: 0, outages: [], unavailableMs: 0 });
    expect(events).toEqual([{ type: 'throttled', atMs: 0, reason: 'namespace rate limit exceeded' }]);
  });
});

describe('backoffDelay', () => {
  it('doubles from the initial delay up to the cap', () => {
    const noJitter = () => 0.5;
    expect([1, 2, 3, 4, 5].map((attempt) => backoffDelay(UNAVAILABLE_BACKOFF, attempt, noJitter))).toEqual([200, 400, 800, 1600, 2000]);
    expect([1, 2, 3, 4].map((attempt) => backoffDelay(THROTTLED_BACKOFF, attempt, noJitter))).toEqual([1000, 2000, 4000, 5000]);
  });

  it('spreads delays by ±20% so retries are not in lock-step', () => {
    expect(backoffDelay(UNAVAILABLE_BACKOFF, 1, () => 0)).toBeCloseTo(160);
    expect(backoffDelay(UNAVAILABLE_BACKOFF, 1, () => 0.999999)).toBeCloseTo(240);
    const spread = new Set(Array.from({ length: 50 }, () => Math.round(backoffDelay(UNAVAILABLE_BACKOFF, 3))));
    expect(spread.size).toBeGreaterThan(10);
    for (const delay of spread) {
      expect(delay).toBeGreaterThanOrEqual(640);
      expect(delay).toBeLessThanOrEqual(960);
    }
  });
});

describe('server health in words', () => {
  it('summarises outages and throttling, and says nothing when there was neither', () => {
    expect(formatServerHealth({ throttledAttempts: 0, unavailableAttempts: 0, outages: [], unavailableMs: 0 })).toBeUndefined();
    expect(
      formatServerHealth({ throttledAttempts: 107, unavailableAttempts: 5, outages: [{ startMs: 0, endMs: 9086 }], unavailableMs: 9086 }),
    ).toBe('unavailable 9.09s in 1 outage, 107 start attempts throttled (RESOURCE_EXHAUSTED)');
    expect(
      formatServerHealth({ throttledAttempts: 0, unavailableAttempts: 9, outages: [{ startMs: 0, endMs: 10 }, { startMs: 20, endMs: undefined }], unavailableMs: 40 }),
    ).toBe('unavailable 40.0ms in 2 outages, still away at the end');
  });

  it('gives one stderr line per event', () => {
    expect(formatServerHealthEvent({ type: 'unavailable', atMs: Date.UTC(2026, 10, 25, 19, 19, 49, 350), reason: 'tcp connect error' })).toBe(
      'Server unavailable since 2026-11-25T19:19:49.350Z (tcp connect error); retrying with backoff',
    );
    expect(formatServerHealthEvent({ type: 'available', atMs: 0, outageMs: 9086 })).toBe('Server answering again after 9.09s unavailable');
  });
});

describe('ServerHealth.currentOutageMs', () => {
  it('is how long the open outage has lasted, and 0 once the server answers again', () => {
    const health = new ServerHealth();
    expect(health.currentOutageMs(5000)).toBe(0);
    health.answered(900, 1000);
    health.refused('server_unavailable', 1200, 1210, 'tcp connect error');
    expect(health.currentOutageMs(4200)).toBe(3000);
    health.answered(4300, 4400);
    expect(health.currentOutageMs(9000)).toBe(0);
    health.refused('throttled', 9000, 9001, 'slow down'); // throttling is an answer of sorts, not an outage
    expect(health.currentOutageMs(12_000)).toBe(0);
  });
});
