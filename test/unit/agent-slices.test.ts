import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { parseThresholdList } from '../../src/metrics/thresholds.js';
import { exactShares, integerShares, LoadSplitError, sliceSpecOf, SliceSpecError, splitLoad } from '../../src/agents/slices.js';
import { loadSpecOfSlice } from '../../src/run/agent-run.js';
import type { LoadSpec } from '../../src/run/load-spec.js';
import type { LoadSlice } from '../../workflows/coordinator-types.js';
import { loadSpec } from '../helpers/load-spec.js';

const sumOf = (values: readonly number[]): number => values.reduce((sum, value) => sum + value, 0);

/** A whole run as the CLI resolves it, with everything that must never leave the process. */
function processSpec(overrides: Partial<LoadSpec> = {}): LoadSpec {
  return loadSpec({
    connection: { address: 'cloud.example:7233', apiKey: 'secret-key', tls: {}, connectTimeoutMs: 5000 },
    devServer: { cliPath: '/usr/bin/temporal' } as unknown as LoadSpec['devServer'],
    worker: {} as LoadSpec['worker'],
    metricsPort: 9464,
    thresholds: parseThresholdList('e2e.p99<1s'),
    verify: true,
    ...overrides,
  });
}

describe('exactShares and integerShares', () => {
  it('sum to the whole exactly, for many values and parts (summed in order)', () => {
    const values = [0, 1, 2, 3, 7, 10, 29.5, 30, 100, 0.1, 1 / 3, 1234.5678, 1e6 + 0.3, 33333.3];
    for (let parts = 1; parts <= 17; parts++) {
      for (const value of values) {
        const shares = exactShares(value, parts);
        expect(shares).toHaveLength(parts);
        expect(sumOf(shares), `${value} in ${parts}`).toBe(value);
        for (const share of shares) expect(Math.abs(share - value / parts)).toBeLessThanOrEqual(1e-9 * Math.max(1, value));
      }
    }
    expect(exactShares(30, 3)).toEqual([10, 10, 10]);
    expect(exactShares(10, 3)[0]).toBeCloseTo(3.3333333, 6);
  });

  it('whole shares: equal, the remainder spread over the first ones', () => {
    for (let parts = 1; parts <= 13; parts++) {
      for (let total = 0; total <= 200; total++) {
        const shares = integerShares(total, parts);
        expect(sumOf(shares)).toBe(total);
        expect(Math.max(...shares) - Math.min(...shares)).toBeLessThanOrEqual(1);
        expect(shares.every(Number.isInteger)).toBe(true);
        expect([...shares].sort((a, b) => b - a)).toEqual(shares); // the larger ones first
      }
    }
    expect(integerShares(50, 3)).toEqual([17, 17, 16]);
    expect(integerShares(10, 3)).toEqual([4, 3, 3]);
    expect(integerShares(300, 3)).toEqual([100, 100, 100]);
  });
});

describe('splitLoad', () => {
  it('splits a closed batch: concurrency and total whole, shards s<index>, the run id shared', () => {
    const slices = splitLoad(processSpec({ totalWorkflows: 10, loadModel: { kind: 'closed', concurrency: 50 } }), 3, 'run-1');
    expect(slices.map((slice) => slice.index)).toEqual([0, 1, 2]);
    expect(slices.map((slice) => slice.shard)).toEqual(['s0', 's1', 's2']);
    expect(slices.map((slice) => slice.spec.totalWorkflows)).toEqual([4, 3, 3]);
    expect(slices.map((slice) => (slice.spec.loadModel as { concurrency: number }).concurrency)).toEqual([17, 17, 16]);
    for (const slice of slices) expect(slice.spec).toMatchObject({ runId: 'run-1', shard: slice.shard, mode: 'batch', namespace: 'default', taskQueue: 'benchmark' });
  });

  it('leaves out everything of the process and every secret: no connection, dev server, worker, metrics port, thresholds; verify false', () => {
    for (const slice of splitLoad(processSpec(), 2, 'r')) {
      for (const field of ['connection', 'devServer', 'worker', 'metricsPort', 'thresholds']) expect(slice.spec).not.toHaveProperty(field);
      expect(slice.spec.verify).toBe(false);
      const json = JSON.stringify(slice);
      expect(json).not.toContain('secret-key');
      expect(json).not.toContain('cloud.example');
      expect(JSON.parse(json)).toEqual(slice); // plain JSON: the activity's payload carries it as it is
    }
  });

  it('splits an open loop: the rate exactly, the in-flight cap whole, each stage the same way', () => {
    const spec = processSpec({
      mode: 'infinite',
      loadModel: { kind: 'open', concurrency: 1000, rate: 10, stages: [{ durationMs: 30_000, target: 50 }, { durationMs: 10_000, target: 0 }] },
    });
    const slices = splitLoad(spec, 3, 'r');
    const models = slices.map((slice) => slice.spec.loadModel as { rate: number; concurrency: number; stages: Array<{ durationMs: number; target: number }> });
    expect(sumOf(models.map((model) => model.rate))).toBe(10);
    expect(models[0]!.rate).toBeCloseTo(10 / 3, 12);
    expect(models.map((model) => model.concurrency)).toEqual([334, 333, 333]);
    expect(sumOf(models.map((model) => model.stages[0]!.target))).toBe(50);
    expect(models.every((model) => model.stages[0]!.durationMs === 30_000 && model.stages[1]!.target === 0)).toBe(true);
    // infinite: no total to split
    expect(slices.every((slice) => slice.spec.totalWorkflows === spec.totalWorkflows)).toBe(true);
  });

  it('splits a closed loop\'s stages into whole slots', () => {
    const slices = splitLoad(processSpec({ loadModel: { kind: 'closed', concurrency: 3, stages: [{ durationMs: 1000, target: 10 }] } }), 3, 'r');
    const targets = slices.map((slice) => (slice.spec.loadModel as { stages: Array<{ target: number }> }).stages[0]!.target);
    expect(targets).toEqual([4, 3, 3]);
  });

  it('sums exactly for many rates, concurrencies, totals and agent counts (property loop)', () => {
    for (let agents = 1; agents <= 9; agents++) {
      for (const rate of [agents * 0.5, 7, 10, 30, 99.9, 1000 / 7, 5000]) {
        for (const concurrency of [agents, agents + 1, 50, 101]) {
          const total = concurrency * 3 + agents;
          const slices = splitLoad(processSpec({ totalWorkflows: total, loadModel: { kind: 'open', concurrency, rate } }), agents, 'r');
          const models = slices.map((slice) => slice.spec.loadModel as { rate: number; concurrency: number });
          expect(sumOf(models.map((model) => model.rate))).toBe(rate);
          expect(sumOf(models.map((model) => model.concurrency))).toBe(concurrency);
          expect(models.every((model) => model.concurrency >= 1)).toBe(true);
          expect(sumOf(slices.map((slice) => slice.spec.totalWorkflows as number))).toBe(total);
        }
      }
    }
  });

  it('refuses a concurrency smaller than the agents, or a batch smaller than them, as a usage error', () => {
    expect(() => splitLoad(processSpec({ loadModel: { kind: 'closed', concurrency: 2 } }), 3, 'r')).toThrow(LoadSplitError);
    expect(() => splitLoad(processSpec({ loadModel: { kind: 'closed', concurrency: 2 } }), 3, 'r')).toThrow('a concurrency of 2 cannot be split across 3 agents: each agent needs at least 1 slot');
    expect(() => splitLoad(processSpec({ loadModel: { kind: 'open', concurrency: 2, rate: 100 } }), 3, 'r')).toThrow(/in-flight cap \(--concurrency\) of 2/);
    expect(() => splitLoad(processSpec({ totalWorkflows: 2, loadModel: { kind: 'closed', concurrency: 3 } }), 3, 'r')).toThrow(/a batch of 2 workflows cannot be split across 3 agents/);
    expect(() => splitLoad(processSpec(), 0, 'r')).toThrow(UsageError);
  });
});

describe('reading a slice back on the agent', () => {
  const agentSide = { connection: { address: 'agent-local:7233', apiKey: 'agent-key', connectTimeoutMs: 3000 } };

  it('rebuilds the LoadSpec: the slice\'s share with the agent\'s own connection, no thresholds, no verify, interval histograms encoded for the heartbeats', () => {
    const whole = processSpec({ totalWorkflows: 300, loadModel: { kind: 'closed', concurrency: 30 }, idPrefix: 'bench', warmup: 2, historySample: 0.1 });
    const slices = splitLoad(whole, 3, 'run-9');
    const spec = loadSpecOfSlice(slices[1]!, agentSide);
    const { connection: _c, devServer: _d, worker: _w, metricsPort: _m, thresholds: _t, verify: _v, ...shared } = whole;
    expect(spec).toEqual({
      ...shared, runId: 'run-9', shard: 's1', totalWorkflows: 100, loadModel: { kind: 'closed', concurrency: 10 },
      connection: agentSide.connection, thresholds: [], verify: false, encodeIntervalLatency: true,
    });
  });

  it('names the workflow ids by the slice\'s shard (a re-run comes under a new one)', () => {
    const [slice] = splitLoad(processSpec(), 1, 'r');
    expect(loadSpecOfSlice({ ...slice!, shard: 's0r1' }, agentSide).shard).toBe('s0r1');
    const { shard: _shard, ...withoutShard } = slice!.spec;
    expect(loadSpecOfSlice({ ...slice!, shard: 's0r2', spec: withoutShard }, agentSide).shard).toBe('s0r2');
  });

  it('keeps a mix workload and its parts', () => {
    const workload: LoadSpec['workload'] = {
      kind: 'mix', seed: 7, parts: [{ weight: 2, workload: { kind: 'signal', signals: 3, withStart: false } }, { weight: 1, workload: { kind: 'timer', durationMs: 100 } }],
    };
    const [slice] = splitLoad(processSpec({ workload }), 1, 'r');
    expect(loadSpecOfSlice(slice!, agentSide).workload).toEqual(workload);
  });

  it('refuses a bad slice with a typed error naming the field', () => {
    const [good] = splitLoad(processSpec({ mode: 'infinite', loadModel: { kind: 'open', concurrency: 10, rate: 5 } }), 1, 'r');
    const bad = (change: (spec: Record<string, unknown>) => void, slice: Partial<LoadSlice> = {}): LoadSlice => {
      const spec = structuredClone(good!.spec);
      change(spec);
      return { ...good!, ...slice, spec };
    };
    const cases: Array<[LoadSlice, RegExp]> = [
      [bad((spec) => ((spec.loadModel as Record<string, unknown>).concurrency = 0)), /^bad load slice: spec\.loadModel\.concurrency: expected a whole number ≥ 1, got 0$/],
      [bad((spec) => ((spec.loadModel as Record<string, unknown>).rate = 'fast')), /spec\.loadModel\.rate: expected a number ≥ 0, got "fast"/],
      [bad((spec) => delete spec.namespace), /spec\.namespace: expected a non-empty string, got nothing/],
      [bad((spec) => (spec.mode = 'forever')), /spec\.mode: expected "batch" or "infinite", got "forever"/],
      [bad((spec) => (spec.workload = { kind: 'dance' })), /spec\.workload\.kind: expected "echo" or/],
      [bad((spec) => (spec.workload = { kind: 'signal', signals: -1, withStart: false })), /spec\.workload\.signals: expected a whole number ≥ 0, got -1/],
      [bad((spec) => ((spec.drain as Record<string, unknown>).onStop = 'explode')), /spec\.drain\.onStop/],
      [bad((spec) => (spec.verify = true)), /spec\.verify: expected false, got true/],
      [bad((spec) => (spec.connection = { address: 'x' })), /spec\.connection: belongs to the agent, never to a slice/],
      [bad((spec) => (spec.thresholds = [])), /spec\.thresholds: belongs to the agent/],
      [bad((spec) => (spec.shard = 7)), /spec\.shard: expected a non-empty string, got 7/],
      [bad(() => undefined, { shard: '' }), /^bad load slice: shard: expected a non-empty string/],
      [bad(() => undefined, { index: -1 }), /^bad load slice: index:/],
    ];
    for (const [slice, message] of cases) {
      expect(() => loadSpecOfSlice(slice, agentSide)).toThrow(SliceSpecError);
      expect(() => sliceSpecOf(slice)).toThrow(message);
    }
    expect(() => sliceSpecOf({ index: 0, shard: 's0', spec: 'nope' as unknown as Record<string, unknown> })).toThrow(/^bad load slice: spec: expected an object, got "nope"$/);
  });
});
