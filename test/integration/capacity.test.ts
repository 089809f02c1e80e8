import { describe, expect, inject, it } from 'vitest';
import { parseSlo } from '../../src/capacity/slo.js';
import { runCapacity, type CapacityEvent } from '../../src/run/capacity-run.js';
import { uniqueQueue } from '../helpers/cli.js';

const address = inject('temporalAddress');

describe('runCapacity against a real dev server whose worker is the limit', () => {
  it('finds a capacity near the limit set: one activity slot, 400 ms activities (2.5 wf/s)', { timeout: 240_000 }, async () => {
    const events: CapacityEvent[] = [];
    const result = await runCapacity({
      connection: { address, kind: 'http2', connectTimeoutMs: 10_000 },
      namespace: 'default',
      taskQueue: uniqueQueue('capacity'),
      // One echo at a time, 400 ms each: the worker can finish at most 2.5 workflows a second.
      worker: { instances: 1, activitySlots: 1 },
      workload: { kind: 'echo', message: 'capacity', count: 1, activityDelayMs: 400 },
      search: { slo: parseSlo('e2e.p99<2s,failed.rate<1%'), startRate: 0.6, growthFactor: 2, precision: 0.15, stepDurationMs: 6_000, warmupMs: 1_000, maxRate: 20 },
      maxInFlight: 1000,
      drainStallSeconds: 20,
      retryTimeout: 10,
      eagerStart: false,
    }, { onEvent: (event) => events.push(event) });

    expect(result.stopReason).toBe('found');
    expect(result.answer.kind).toBe('capacity');
    // Below the limit every workflow takes its 400 ms and passes; above it the backlog grows and e2e p99 runs away.
    expect(result.answer.capacity!).toBeGreaterThanOrEqual(1.2);
    expect(result.answer.capacity!).toBeLessThanOrEqual(3);
    expect(result.answer.firstFailingRate!).toBeGreaterThan(result.answer.capacity!);
    expect(result.answer.firstFailingRate!).toBeLessThanOrEqual(5);
    // Every step judged on the server's latencies (the generator kept up), passing steps below failing ones.
    expect(result.steps.every((step) => step.verdict === 'pass' || step.verdict === 'fail')).toBe(true);
    const passing = result.steps.filter((step) => step.verdict === 'pass').map((step) => step.targetRate);
    const failing = result.steps.filter((step) => step.verdict === 'fail').map((step) => step.targetRate);
    expect(Math.max(...passing)).toBeLessThan(Math.min(...failing));
    const first = result.steps[0]!.measurement;
    expect(first.failed).toBe(0);
    expect(first.latency.e2e!.p50).toBeGreaterThanOrEqual(400);
    expect(events.filter((event) => event.type === 'step')).toHaveLength(result.steps.length);
    expect(result.server.version).toMatch(/\d+\.\d+/);
  });
});
