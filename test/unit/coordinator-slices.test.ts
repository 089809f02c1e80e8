import { describe, expect, it } from 'vitest';
import { asSliceHeartbeat, remainderOf, sliceActivityId, sliceOfActivityId, sliceReportOf } from '../../workflows/coordinator-slices.js';
import type { LoadSlice, SliceHeartbeat } from '../../workflows/coordinator-types.js';

const heartbeat = (launched: number, elapsedMs: number): SliceHeartbeat => ({
  agent: 'a', index: 1, shard: 's1', launched, started: launched, completed: launched, failed: 0, inFlight: 0,
  intervalRate: 0, intervalP50: null, intervalP99: null, elapsedMs,
});
const slice = (spec: Record<string, unknown>, shard = 's1'): LoadSlice => ({ index: 1, shard, spec: { ...spec, shard } });

describe('a lost slice’s remainder', () => {
  it('is a batch’s workflows not launched by the last heartbeat, under shard <shard>r<attempt>', () => {
    expect(remainderOf(slice({ mode: 'batch', totalWorkflows: 100, rate: 5 }), heartbeat(37, 9_000), 1)).toEqual({
      index: 1, shard: 's1r1', spec: { mode: 'batch', totalWorkflows: 63, rate: 5, shard: 's1r1' },
      // the agent that takes it counts the lost attempt's workflows on the server first
      recount: { shards: ['s1'], totalWorkflows: 100 },
    });
  });

  it('of a rerun names every earlier attempt and the slice’s whole share, for the count on the server', () => {
    const first = remainderOf(slice({ mode: 'batch', totalWorkflows: 100 }), heartbeat(37, 9_000), 1)!;
    const second = remainderOf(first, heartbeat(20, 5_000), 2)!;
    expect(second).toMatchObject({ shard: 's1r2', spec: { totalWorkflows: 43 }, recount: { shards: ['s1', 's1r1'], totalWorkflows: 100 } });
  });

  it('is nothing when the batch had launched everything', () => {
    expect(remainderOf(slice({ mode: 'batch', totalWorkflows: 100 }), heartbeat(100, 9_000), 1)).toBeUndefined();
  });

  it('is the rest of a duration (and of an infinite run’s max runtime), in seconds', () => {
    expect(remainderOf(slice({ mode: 'infinite', duration: 60, maxRuntime: 0 }), heartbeat(10, 15_000), 1)?.spec).toMatchObject({ duration: 45, maxRuntime: 0 });
    expect(remainderOf(slice({ mode: 'infinite', maxRuntime: 30 }), heartbeat(10, 12_500), 1)?.spec).toMatchObject({ maxRuntime: 17.5 });
    expect(remainderOf(slice({ mode: 'infinite', duration: 10 }), heartbeat(10, 10_000), 1)).toBeUndefined();
  });

  it('is the slice as it was when it has no limit, or no heartbeat came', () => {
    expect(remainderOf(slice({ mode: 'infinite', maxRuntime: 0 }), heartbeat(10, 5_000), 1)?.spec).toEqual({ mode: 'infinite', maxRuntime: 0, shard: 's1r1' });
    expect(remainderOf(slice({ mode: 'batch', totalWorkflows: 100 }), null, 1)?.spec).toMatchObject({ totalWorkflows: 100 });
  });

  it('numbers attempts from the slice’s first shard', () => {
    expect(remainderOf(slice({ mode: 'batch', totalWorkflows: 10 }, 's1r1'), heartbeat(2, 1_000), 2)?.shard).toBe('s1r2');
  });
});

describe('slice activity ids and details', () => {
  it('name the slice, and are read back (shards may hold dashes)', () => {
    expect(sliceActivityId({ index: 3, shard: 's3r1' })).toBe('slice-3-s3r1');
    expect(sliceOfActivityId('slice-3-s3r1')).toEqual({ index: 3, shard: 's3r1' });
    expect(sliceOfActivityId('slice-12-a-b')).toEqual({ index: 12, shard: 'a-b' });
    expect(sliceOfActivityId('1')).toBeUndefined();
  });

  it('take an agent’s report and heartbeat, and nothing else', () => {
    expect(sliceReportOf([{ agent: 'a', lastHeartbeat: null }])).toEqual({ agent: 'a', lastHeartbeat: null });
    expect(sliceReportOf(['text'])).toBeUndefined();
    expect(sliceReportOf(null)).toBeUndefined();
    expect(asSliceHeartbeat(heartbeat(1, 1))).toEqual(heartbeat(1, 1));
    expect(asSliceHeartbeat({ progress: 0.5 })).toBeUndefined();
  });
});
