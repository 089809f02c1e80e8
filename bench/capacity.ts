/**
 * The `capacity` scenario: the dev server's capacity on this machine for the default workload (echo),
 * found by the run library's `runCapacity` with the CLI's defaults for a client-only run (http2), the
 * workflows run by a separate `sched-bench worker` process (its default slots). Not the embedded worker:
 * in one process the worker's CPU and the client's are one, so the search could not tell the client's
 * limit from the cluster's.
 *
 * SLO `e2e.p99<1s` (BENCH_CAPACITY_SLO): an echo takes about 100 ms end to end on an idle dev server, so a
 * p99 of a second means workflows queue — the server (or the worker beside it) no longer keeps up — not
 * noise; the implicit SLO (the generator kept up) tells a client limit apart. Steps of
 * BENCH_CAPACITY_STEP_SECONDS (10) after a 2 s warm-up, from 2 wf/s doubling (the dev server here holds
 * tens of wf/s), bisected to 10% (this machine's noise is larger than the default 5%), the whole search
 * bounded by BENCH_CAPACITY_MAX_SECONDS (200), so the scenario takes under 4 minutes.
 */
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CapacityResult, CapacityStep } from '../src/capacity/types.js';
import { ROOT, sleep, startWorker } from './processes.js';
import type { BenchFigure } from './readme-figures.js';

const SCENARIO = 'capacity';

/** A rate as the figures name it: four significant digits (a bisection's rates have long fractions). */
const rateText = (rate: number): string => String(Number(rate.toPrecision(4)));

/** The step's place in the table: `step 3, growth, target 40 wf/s, pass`; README's row reads it back. */
export function stepLabel(step: Pick<CapacityStep, 'index' | 'phase' | 'targetRate' | 'verdict'>): string {
  return `step ${step.index + 1}, ${step.phase}, target ${rateText(step.targetRate)} wf/s, ${step.verdict}`;
}

export async function capacity(address: string): Promise<BenchFigure[]> {
  const stepSeconds = Number(process.env.BENCH_CAPACITY_STEP_SECONDS ?? 10);
  const maxSeconds = Number(process.env.BENCH_CAPACITY_MAX_SECONDS ?? 200);
  const sloText = process.env.BENCH_CAPACITY_SLO ?? 'e2e.p99<1s';
  // The library as built (dist/src): its worker finds the compiled workflows next to it, which the
  // bench's own build (dist/bench-build) does not hold.
  const library = (await import(pathToFileURL(join(ROOT, 'dist', 'src', 'index.js')).href)) as typeof import('../src/index.js');
  // An open loop's defaults (a rate given): its in-flight cap (1000), not the closed loop's 10 slots,
  // which would hold the steps' launches back and make the client the limit.
  const load = library.loadSpecFrom('infinite', { address, taskQueue: 'bench-capacity', rate: 1 });
  const worker = startWorker(address, load.taskQueue);
  await sleep(3000); // the worker's bundle and pollers, before the first step's warm-up
  const loadAverage = loadavg()[0]!;
  let result: CapacityResult;
  try {
    result = await library.runCapacity({
      connection: load.connection, namespace: load.namespace, taskQueue: load.taskQueue, ...(load.worker ? { worker: load.worker } : {}),
      idPrefix: load.idPrefix, workload: load.workload, eagerStart: load.eagerStart, retryTimeout: load.retryTimeout,
      historySample: load.historySample, maxInFlight: load.loadModel.concurrency, drainStallSeconds: load.drain.stallTimeout ?? 10,
      search: {
        slo: library.parseSlo(sloText), startRate: 2, growthFactor: 2, precision: 0.1,
        stepDurationMs: stepSeconds * 1000, warmupMs: 2000, maxDurationMs: maxSeconds * 1000,
      },
    }, {
      onEvent: (event) => {
        if (event.type === 'step') process.stderr.write(`bench: capacity ${stepLabel(event.step)}, achieved ${rateText(event.step.achievedRate)} wf/s\n`);
      },
    });
  } finally {
    await worker.stop();
  }
  process.stderr.write(`${library.formatCapacitySummary(result)}\n`);
  return capacityFigures(result, sloText, loadAverage);
}

/** The figures of a search: the answer, the bracket, how long, and each step's achieved rate, e2e p50/p99 and failures. */
export function capacityFigures(result: Pick<CapacityResult, 'answer' | 'steps' | 'stopReason' | 'elapsedMs'>, sloText: string, loadAverage: number): BenchFigure[] {
  const { answer, steps } = result;
  const figure = (metric: string, value: number, unit: string): BenchFigure => ({ scenario: SCENARIO, metric, value, unit });
  return [
    figure('load average (1 min) as the search began', loadAverage, ''),
    ...(answer.capacity !== undefined ? [figure(`capacity at ${sloText}`, answer.capacity, 'wf/s')] : []),
    ...(answer.lastPassingRate !== undefined ? [figure('last passing step', answer.lastPassingRate, 'wf/s')] : []),
    ...(answer.firstFailingRate !== undefined ? [figure('first failing step', answer.firstFailingRate, 'wf/s')] : []),
    ...(answer.clientLimitedRate !== undefined ? [figure('client-limited at', answer.clientLimitedRate, 'wf/s')] : []),
    figure('steps run', steps.length, `steps (stop: ${result.stopReason}, answer: ${answer.kind})`),
    figure('search time', result.elapsedMs / 1000, 's'),
    ...steps.flatMap((step) => {
      const e2e = step.measurement.latency.e2e;
      return [
        figure(`achieved (${stepLabel(step)})`, step.achievedRate, 'wf/s'),
        ...(e2e && e2e.count > 0 ? [figure(`e2e p50 (${stepLabel(step)})`, e2e.p50, 'ms'), figure(`e2e p99 (${stepLabel(step)})`, e2e.p99, 'ms')] : []),
        figure(`failed (${stepLabel(step)})`, step.measurement.failed, 'workflows'),
      ];
    }),
  ];
}
