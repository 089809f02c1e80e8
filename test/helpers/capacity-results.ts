import { searchCapacity } from '../../src/capacity/search.js';
import { parseSlo } from '../../src/capacity/slo.js';
import type { CapacityResult, StepMeasurement, StepRunner } from '../../src/capacity/types.js';
import { LatencyHistogram } from '../../src/metrics/latency-histogram.js';
import { buildCapacityResult, type CapacityRunDocument } from '../../src/report/capacity-result.js';
import { NO_SERVER_TROUBLE } from './run-stats.js';

/** How the simulated cluster behaves: e2e p99 grows past `knee` wf/s; the client reaches at most `clientMax`. */
export interface SimulatedCluster {
  knee: number;
  clientMax?: number;
  slo?: string;
  startRate?: number;
  runId?: string;
}

/** A histogram of `count` values spread from `low` to `high` ms (p50 near the middle, p99 near `high`). */
function spread(low: number, high: number, count: number): LatencyHistogram {
  const histogram = LatencyHistogram.create();
  for (let index = 0; index < count; index++) histogram.recordMillis(low + ((high - low) * index) / Math.max(1, count - 1));
  return histogram;
}

/** A step runner whose measurements carry real encoded histograms, like the run layer's. */
function simulatedRunner({ knee, clientMax = Infinity }: SimulatedCluster): StepRunner {
  return async (rate, { durationMs }) => {
    const seconds = durationMs / 1000;
    const achievedRate = Math.min(rate, clientMax);
    const launched = Math.round(achievedRate * seconds);
    const e2eHigh = rate <= knee ? 100 + rate : 2000 + (rate - knee) * 100;
    const histograms = { e2e: spread(20, e2eHigh, launched), start: spread(2, 8, launched), startLateness: spread(0.1, 1, launched) };
    const summary = (name: keyof typeof histograms) => histograms[name].summary();
    const measurement: StepMeasurement = {
      targetRate: rate, measuredSeconds: seconds, intendedArrivals: rate * seconds, launched, started: launched, completed: launched, failed: 0,
      achievedRate, completedPerSecond: achievedRate, startLateness: summary('startLateness'),
      latency: { e2e: summary('e2e'), start: summary('start'), start_lateness: summary('startLateness') },
      histograms: { e2e: histograms.e2e.encode(), start: histograms.start.encode(), start_lateness: histograms.startLateness.encode() },
    };
    return measurement;
  };
}

/** A capacity --json document from a search against a simulated cluster (no server). */
export async function makeCapacityDocument(cluster: SimulatedCluster, overrides: Partial<CapacityRunDocument> = {}): Promise<CapacityRunDocument> {
  return { ...(await makeCapacitySearch(cluster)).document, ...overrides };
}

/** The search's result (its steps, for the NDJSON records) and the document built from it. */
export async function makeCapacitySearch(cluster: SimulatedCluster): Promise<{ result: CapacityResult; document: CapacityRunDocument }> {
  let now = 0;
  const runStep = simulatedRunner(cluster);
  const timed: StepRunner = async (rate, options) => {
    now += options.durationMs + options.warmupMs;
    return runStep(rate, options);
  };
  const result = await searchCapacity(
    { slo: parseSlo(cluster.slo ?? 'e2e.p99<2s'), startRate: cluster.startRate ?? 10, stepDurationMs: 10_000, precision: 0.05 },
    timed, { clock: { now: () => now } },
  );
  const document = buildCapacityResult({
    ...result, runId: cluster.runId ?? 'cap1', startedAt: new Date('2026-01-01T00:00:00.000Z'), endedAt: new Date(Date.parse('2026-01-01T00:00:00.000Z') + result.elapsedMs),
    server: { address: 'localhost:7233', namespace: 'default', taskQueue: 'q', version: '1.2.3' }, serverHealth: NO_SERVER_TROUBLE,
    workload: { kind: 'echo' }, config: { slo: cluster.slo ?? 'e2e.p99<2s', address: 'localhost:7233' }, interrupted: false, exitCode: 0,
  });
  return { result, document };
}
