import { describe, expect, it } from 'vitest';
import { LatencyHistogram } from '../../src/metrics/latency-histogram.js';

/** HDR keeps 3 significant digits: a value is exact to within 0.1%. */
const within = (actual: number, expected: number) => expect(Math.abs(actual - expected)).toBeLessThanOrEqual(expected * 0.001 + 0.001);

describe('LatencyHistogram', () => {
  it('gives percentiles, min, mean and max of known data (1..1000 ms)', () => {
    const histogram = LatencyHistogram.create();
    for (let millis = 1; millis <= 1000; millis++) histogram.recordMillis(millis);
    const summary = histogram.summary();
    expect(summary.count).toBe(1000);
    within(summary.min, 1);
    within(summary.max, 1000);
    within(summary.mean, 500.5);
    within(summary.p50, 500);
    within(summary.p90, 900);
    within(summary.p95, 950);
    within(summary.p99, 990);
    within(summary.p999, 999);
  });

  it('keeps microsecond resolution and values of hours', () => {
    const histogram = LatencyHistogram.create();
    histogram.recordMillis(0.25);
    histogram.recordMillis(3 * 3600 * 1000);
    within(histogram.summary().min, 0.25);
    within(histogram.summary().max, 3 * 3600 * 1000);
  });

  it('clamps values outside its range instead of throwing', () => {
    const histogram = LatencyHistogram.create();
    histogram.recordMillis(0);
    histogram.recordMillis(-5);
    histogram.recordMillis(48 * 3600 * 1000);
    expect(histogram.count).toBe(3);
    within(histogram.summary().max, 24 * 3600 * 1000);
  });

  it('is empty-safe', () => {
    expect(LatencyHistogram.create().summary()).toEqual({ count: 0, min: 0, mean: 0, p50: 0, p90: 0, p95: 0, p99: 0, p999: 0, max: 0 });
  });

  it('round-trips through its encoded form and merges exactly', () => {
    const first = LatencyHistogram.create();
    const second = LatencyHistogram.create();
    const together = LatencyHistogram.create();
    for (let index = 0; index < 5000; index++) {
      const value = ((index * 7919) % 4000) / 3 + 0.5;
      (index % 2 === 0 ? first : second).recordMillis(value);
      together.recordMillis(value);
    }
    const merged = LatencyHistogram.decode(first.encode());
    merged.add(LatencyHistogram.decode(second.encode()));
    // Count, mean and every percentile are exact; max is its bucket's top after a merge (within 0.1%).
    const { max: mergedMax, p999: mergedP999, ...mergedRest } = merged.summary();
    const { max: exactMax, p999: exactP999, ...exactRest } = together.summary();
    expect(mergedRest).toEqual(exactRest);
    within(mergedMax, exactMax);
    within(mergedP999, exactP999); // may be capped at the exact max on one side only
    expect(LatencyHistogram.decode(together.encode()).summary().p999).toBe(together.summary().p999);
  });
});

describe('LatencyHistogram mean', () => {
  it("is the library's own mean (each sample at its bucket's median), computed without its iterator", async () => {
    const { build } = await import('hdr-histogram-js');
    const reference = build({ bitBucketSize: 32, lowestDiscernibleValue: 1, highestTrackableValue: 24 * 3600 * 1e6, numberOfSignificantValueDigits: 3 });
    const ours = LatencyHistogram.create();
    let seed = 7;
    const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    for (let i = 0; i < 5000; i++) {
      const millis = random() ** 3 * 10 ** (random() * 6);
      ours.recordMillis(millis);
      reference.recordValue(Math.min(24 * 3600 * 1e6, Math.max(1, Math.round(millis * 1000))));
    }
    expect(ours.summary().mean).toBe(reference.mean / 1000);
    expect(LatencyHistogram.decode(ours.encode()).summary().mean).toBe(ours.summary().mean);
  });
});
