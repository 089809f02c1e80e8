/**
 * The `startup` scenario: how long from a process's launch to its first StartWorkflowExecution on the
 * wire. The clock starts just before spawn and stops when the fake frontend (bench/fake-frontend.ts, in
 * this process: one clock) receives the first start request; the median of LAUNCHES launches, each
 * against a fresh fake. sched-bench runs `run --total 1 --no-wait`; the Go runner (BENCH_GO_RUNNER)
 * starts workflows until stopped, so it is stopped once its first start has arrived.
 */
import { startFakeFrontend } from './fake-frontend.js';
import { goRunnerOf } from './peer.js';
import { median } from './proc.js';
import { BIN, sleep, spawnWatched } from './processes.js';
import type { BenchFigure } from './readme-figures.js';

const LAUNCHES = 5;
/** Issue 14's target for sched-bench. */
const TARGET_MS = 500;
/** A launch whose first start has not arrived by then is a failure, not a figure. */
const GIVE_UP_MS = 30_000;

interface Launch {
  file: string;
  args: string[];
  env: NodeJS.ProcessEnv;
}

/** Milliseconds from spawn to the fake's first start request; the process is then left to end (or stopped). */
async function timeToFirstStart(command: (address: string) => Launch, stopAfterFirst: boolean): Promise<number> {
  const fake = await startFakeFrontend();
  const { file, args, env } = command(fake.address);
  try {
    const launched = performance.now();
    const run = spawnWatched(file, args, env);
    try {
      // Polling only reads the time the fake noted on arrival; its granularity does not enter the figure.
      while (fake.firstStartAt === undefined && !run.exited && performance.now() - launched < GIVE_UP_MS) await sleep(5);
      if (fake.firstStartAt === undefined) {
        throw new Error(`startup: ${file} sent no start within ${GIVE_UP_MS / 1000} s: ${run.stderrTail(2)}`);
      }
      return fake.firstStartAt - launched;
    } finally {
      await run.stop(GIVE_UP_MS, stopAfterFirst || fake.firstStartAt === undefined);
    }
  } finally {
    await fake.stop();
  }
}

async function medianOfLaunches(...launch: Parameters<typeof timeToFirstStart>): Promise<LaunchTimes> {
  const times: number[] = [];
  for (let index = 0; index < LAUNCHES; index++) times.push(await timeToFirstStart(...launch));
  return { median: median(times), min: Math.min(...times), max: Math.max(...times) };
}

export interface LaunchTimes {
  median: number;
  min: number;
  max: number;
}

/** The scenario's figures: sched-bench's median against the target, its spread, the Go runner's median if measured. */
export function startupFigures(ours: LaunchTimes, go: LaunchTimes | undefined, launches = LAUNCHES): BenchFigure[] {
  const figures: BenchFigure[] = [
    {
      scenario: 'startup', metric: `launch → first start request, median of ${launches} (sched-bench run --total 1 --no-wait)`, value: ours.median, unit: 'ms',
      target: `≤ ${TARGET_MS} ms`, pass: ours.median <= TARGET_MS,
    },
    { scenario: 'startup', metric: 'launch → first start request, min / max (sched-bench)', value: ours.min, unit: `ms / ${ours.max.toFixed(1)} ms` },
  ];
  if (go) figures.push({ scenario: 'startup', metric: `launch → first start request, median of ${launches} (Go runner)`, value: go.median, unit: 'ms' });
  return figures;
}

export async function startup(): Promise<BenchFigure[]> {
  const ours = await medianOfLaunches(
    (address) => ({ file: process.execPath, args: [BIN, 'run', '--total', '1', '--no-wait', '--address', address], env: process.env }),
    false,
  );
  const runner = goRunnerOf(process.env);
  // The runner takes its address from the environment: it has no flag for it.
  const go = runner
    ? await medianOfLaunches(
        (address) => ({ file: runner, args: ['-c', '1', '-t', 'EchoWorkflow', '-n', 'default', '-w=false', '{}'], env: { ...process.env, TEMPORAL_GRPC_ENDPOINT: address } }),
        true,
      )
    : undefined;
  return startupFigures(ours, go);
}
