import type { LoadSpec } from '../../src/run/load-spec.js';

/** A complete LoadSpec as a library caller writes it: a closed-loop batch of 20, 4 at a time, then `overrides`. */
export function loadSpec(overrides: Partial<LoadSpec> = {}): LoadSpec {
  return {
    connection: { address: 'localhost:7233', connectTimeoutMs: 10_000 },
    namespace: 'default',
    taskQueue: 'benchmark',
    mode: 'batch',
    loadModel: { kind: 'closed', concurrency: 4 },
    totalWorkflows: 20,
    maxRuntime: 0,
    warmup: 0,
    reportInterval: 1,
    wait: true,
    workload: { kind: 'echo', message: 'hello', count: 1 },
    eagerStart: false,
    retryTimeout: 10,
    maxOutage: 0,
    drain: { stallTimeout: 60, onStop: 'leave' },
    thresholds: [],
    verify: false,
    ...overrides,
  };
}
