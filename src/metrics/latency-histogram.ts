import { createRequire } from 'node:module';
import type { Histogram } from 'hdr-histogram-js';

const require = createRequire(import.meta.url);
/** What the JavaScript histogram has beyond the Histogram interface, for a quick mean. */
interface JsHistogramInternals {
  countsArrayIndex(value: number): number;
  getCountAtIndex(index: number): number;
  valueFromIndex(index: number): number;
  medianEquivalentValue(value: number): number;
}
/**
 * The plain-JavaScript histogram class alone: the package's entry point also loads its WebAssembly
 * build and its compression (about 0.3 s of start-up), which only encoding and decoding need.
 */
const { default: Int32Histogram } = require('hdr-histogram-js/dist/Int32Histogram.js') as {
  default: new (lowestDiscernibleValue: number, highestTrackableValue: number, significantDigits: number) => Histogram & JsHistogramInternals;
};
type Encoding = Pick<typeof import('hdr-histogram-js'), 'encodeIntoCompressedBase64' | 'decodeFromCompressedBase64'>;
let loadedEncoding: Encoding | undefined;
/** The compressed-base64 encoding, loaded when a result is first encoded or decoded. */
const encoding = (): Encoding => (loadedEncoding ??= require('hdr-histogram-js') as Encoding);

/** Latencies are recorded in microseconds, from 1 µs up to 24 hours, to 3 significant digits. */
const LOWEST_MICROS = 1;
const HIGHEST_MICROS = 24 * 60 * 60 * 1_000_000;
const BIT_BUCKET_SIZE = 32;

/** The numbers a summary shows for one latency, in milliseconds (fractions keep µs precision). */
export interface LatencySummary {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  p999: number;
  max: number;
}

export const PERCENTILES = { p50: 50, p90: 90, p95: 95, p99: 99, p999: 99.9 } as const;

function newHistogram(): Histogram & JsHistogramInternals {
  const histogram = new Int32Histogram(LOWEST_MICROS, HIGHEST_MICROS, 3);
  histogram.autoResize = false;
  return histogram;
}

/**
 * An HDR histogram of latencies: constant memory whatever the number of samples, exact merging of
 * histograms from several processes through the encoded form.
 */
export class LatencyHistogram {
  private constructor(private readonly histogram: Histogram & JsHistogramInternals) {}

  static create(): LatencyHistogram {
    return new LatencyHistogram(newHistogram());
  }

  /** Restores a histogram from `encode()` output (HdrHistogram's compressed base64 format). */
  static decode(encoded: string): LatencyHistogram {
    const decoded = encoding().decodeFromCompressedBase64(encoded, BIT_BUCKET_SIZE, false);
    const histogram = newHistogram();
    histogram.add(decoded);
    return new LatencyHistogram(histogram);
  }

  /** Records one latency given in milliseconds; values outside the range are clamped to it. */
  recordMillis(millis: number): void {
    const micros = Math.round(millis * 1000);
    this.histogram.recordValue(Math.min(HIGHEST_MICROS, Math.max(LOWEST_MICROS, micros)));
  }

  get count(): number {
    return this.histogram.totalCount;
  }

  /** The latency (ms) at a percentile in [0, 100]; 0 when empty. */
  percentileMillis(percentile: number): number {
    return this.count === 0 ? 0 : this.histogram.getValueAtPercentile(percentile) / 1000;
  }

  summary(): LatencySummary {
    if (this.count === 0) return { count: 0, min: 0, mean: 0, p50: 0, p90: 0, p95: 0, p99: 0, p999: 0, max: 0 };
    const max = this.histogram.maxValue / 1000;
    // A percentile is its bucket's top value; never report one above the exact maximum.
    const at = (percentile: number) => Math.min(this.percentileMillis(percentile), max);
    return {
      count: this.count,
      min: this.histogram.minNonZeroValue / 1000,
      mean: this.meanMicros() / 1000,
      p50: at(PERCENTILES.p50),
      p90: at(PERCENTILES.p90),
      p95: at(PERCENTILES.p95),
      p99: at(PERCENTILES.p99),
      p999: at(PERCENTILES.p999),
      max,
    };
  }

  /**
   * The mean as the library computes it (each sample at its bucket's median), from the counts array
   * directly: the library's own walk through its iterator costs tens of milliseconds per call.
   */
  private meanMicros(): number {
    const histogram = this.histogram;
    const last = histogram.countsArrayIndex(histogram.maxValue);
    let total = 0;
    for (let index = 0; index <= last; index++) {
      const count = histogram.getCountAtIndex(index);
      if (count > 0) total += histogram.medianEquivalentValue(histogram.valueFromIndex(index)) * count;
    }
    return total / this.count;
  }

  /** Adds every sample of `other` (exact: same bucket layout). */
  add(other: LatencyHistogram): void {
    this.histogram.add(other.histogram);
  }

  reset(): void {
    this.histogram.reset();
  }

  encode(): string {
    return encoding().encodeIntoCompressedBase64(this.histogram);
  }
}
