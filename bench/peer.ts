/**
 * The `peer` scenario: sched-bench side by side with the Go runner of temporalio/benchmark-workers
 * (`cmd/runner`, built by the user; BENCH_GO_RUNNER names the binary), in one run, on one machine.
 *
 * Method (that of ../shared/tools/peer_compare.py, but for the server and the worker): every round has
 * a fresh dev server of its own, without the run-id search attribute, and a fresh separate `sched-bench
 * worker` (againstDevServer says why); rounds alternate Go, sched-bench,
 * sched-bench, Go, …; what a tool did is counted on the server (completed workflows, or started ones for
 * start-only), not taken from the tool's own report. Against the dev server each round has two windows
 * (devServerWindows: 10–40 s and 60–120 s of a 120 s round): sched-bench's hot path runs interpreted at first and is compiled by Node's
 * JIT within about a minute at these rates, so the early window shows the warming tool, the late one the
 * warm tool. A window opens at its time (or once the tool has counted something): the server-side count
 * and the tool's CPU (/proc/<pid>/stat, all threads) between its bounds, so start-up costs are left out;
 * peak RSS is the process's high-water mark (VmHWM) at the window's end.
 * Against the fake frontend (bench/fake-frontend.ts) the count is the fake's own: there the client
 * alone is the limit, so the figures are the highest start rate each tool drives and its CPU per start.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { findTemporalCli, SpawnedDevServer } from '../src/temporal/dev-server.js';
import { cliLookupOf } from '../src/temporal/temporal-cli.js';
import { startFakeFrontend } from './fake-frontend.js';
import { cpuSecondsOf, peakRssMegabytesOf } from './proc.js';
import { BIN, sleep, spawnWatched, startWorker } from './processes.js';
import type { BenchFigure } from './readme-figures.js';

export type Tool = 'go-runner' | 'sched-bench';

/** What one round of one tool measured. */
export interface RoundMeasure {
  tool: Tool;
  /** The round (1, 2, …): its two tools ran one after the other, so their measures are a pair. */
  round: number;
  /** Workflows completed (or started, start-only) in the steady window, counted by the server or the fake. */
  count: number;
  /** Length of the steady window, s. */
  seconds: number;
  /** The tool's CPU (user + system) in the steady window, s. */
  cpuSeconds: number;
  peakRssMegabytes: number;
}

export interface ToolTotals {
  /** per second, over all rounds' steady windows */
  throughput: number;
  /** CPU ms per counted workflow (or start), over all rounds' steady windows */
  cpuMsPerWorkflow: number;
  /** the highest of the rounds */
  peakRssMegabytes: number;
}

/** A tool's figures over its rounds: sums of counts, CPU and time (not a mean of per-round ratios). */
export function totalsOf(rounds: readonly RoundMeasure[], tool: Tool, caseLabel: string): ToolTotals {
  const mine = rounds.filter((round) => round.tool === tool);
  const count = mine.reduce((sum, round) => sum + round.count, 0);
  if (count <= 0) throw new Error(`peer (${caseLabel}): ${tool} finished no workflow in its steady windows; nothing to compare`);
  const seconds = mine.reduce((sum, round) => sum + round.seconds, 0);
  const cpuSeconds = mine.reduce((sum, round) => sum + round.cpuSeconds, 0);
  return { throughput: count / seconds, cpuMsPerWorkflow: (1000 * cpuSeconds) / count, peakRssMegabytes: Math.max(...mine.map((round) => round.peakRssMegabytes)) };
}

/** Two-sided 95% quantiles of Student's t for 1–30 degrees of freedom; beyond, 30's (slightly wide, never narrow). */
const T_95 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042];

/** The 95% interval of a ratio sched-bench/Go over the rounds, from each round's pair of measures. */
export interface RatioInterval {
  low: number;
  high: number;
  /** rounds with both tools measured */
  pairs: number;
}

/** Rounds an interval needs: with two, t is 12.7 and the interval takes in nearly anything. */
export const INTERVAL_MIN_PAIRS = 3;

/**
 * The 95% confidence interval of a per-round ratio (sched-bench's figure over the Go runner's in the same
 * round), by Student's t on the logs of the rounds' ratios; undefined with fewer than INTERVAL_MIN_PAIRS
 * pairs. On one machine the rounds of one tool differ by several percent (the server's own state, the
 * neighbours), so a pooled ratio near 1.0 says nothing without it.
 */
export function ratioInterval(rounds: readonly RoundMeasure[], figure: (round: RoundMeasure) => number): RatioInterval | undefined {
  const logs: number[] = [];
  for (const round of new Set(rounds.map((measure) => measure.round))) {
    const ours = rounds.find((measure) => measure.round === round && measure.tool === 'sched-bench');
    const go = rounds.find((measure) => measure.round === round && measure.tool === 'go-runner');
    if (!ours || !go) continue;
    const [mine, theirs] = [figure(ours), figure(go)];
    if (Number.isFinite(mine) && Number.isFinite(theirs) && mine > 0 && theirs > 0) logs.push(Math.log(mine / theirs));
  }
  const pairs = logs.length;
  if (pairs < INTERVAL_MIN_PAIRS) return undefined;
  const mean = logs.reduce((sum, value) => sum + value, 0) / pairs;
  const deviation = Math.sqrt(logs.reduce((sum, value) => sum + (value - mean) ** 2, 0) / (pairs - 1));
  const half = T_95[Math.min(pairs - 1, T_95.length) - 1]! * (deviation / Math.sqrt(pairs));
  return { low: Math.exp(mean - half), high: Math.exp(mean + half), pairs };
}

/** How a case names what it counts. */
export interface CaseWording {
  /** `dev server, start+wait, c50` */
  label: string;
  /** `workflow` or `start` */
  per: string;
  /** `wf/s` or `starts/s` */
  rateUnit: string;
}

/** The ratio targets of issue 14, as the figures state them. */
export const RATIO_TARGETS = { throughput: '≥ 1.0, or 1.0 within the 95% interval', cpu: '≤ 1.0, or 1.0 within the 95% interval' } as const;

/** The figures of one case: sched-bench/Go ratios first (with the issue's targets), then both tools' own. */
export function peerFigures(wording: CaseWording, rounds: readonly RoundMeasure[]): BenchFigure[] {
  const { label, per, rateUnit } = wording;
  const ours = totalsOf(rounds, 'sched-bench', label);
  const go = totalsOf(rounds, 'go-runner', label);
  const throughputRatio = ours.throughput / go.throughput;
  const cpuRatio = ours.cpuMsPerWorkflow / go.cpuMsPerWorkflow;
  const throughputInterval = ratioInterval(rounds, (round) => round.count / round.seconds);
  const cpuInterval = ratioInterval(rounds, (round) => round.cpuSeconds / round.count);
  const figure = (metric: string, value: number, unit: string): BenchFigure => ({ scenario: 'peer', metric: `${metric} (${label})`, value, unit });
  const intervalFigure = (metric: string, interval: RatioInterval | undefined): BenchFigure[] =>
    interval ? [figure(`${metric}, 95% interval`, interval.low, `× to ${interval.high.toFixed(3)}× (${interval.pairs} rounds)`)] : [];
  return [
    // A ratio target holds when the pooled ratio meets it or its 95% interval reaches it: a ratio the
    // rounds cannot tell from the target is not counted against the tool (nor one they can, for it).
    { ...figure('throughput ratio sched-bench/Go', throughputRatio, '×'), target: RATIO_TARGETS.throughput, pass: throughputRatio >= 1 || (throughputInterval?.high ?? 0) >= 1 },
    { ...figure(`CPU per ${per} ratio sched-bench/Go`, cpuRatio, '×'), target: RATIO_TARGETS.cpu, pass: cpuRatio <= 1 || (cpuInterval?.low ?? Infinity) <= 1 },
    ...intervalFigure('throughput ratio sched-bench/Go', throughputInterval),
    ...intervalFigure(`CPU per ${per} ratio sched-bench/Go`, cpuInterval),
    figure('peak RSS ratio sched-bench/Go', ours.peakRssMegabytes / go.peakRssMegabytes, '×'),
    figure('throughput, sched-bench', ours.throughput, rateUnit),
    figure('throughput, Go runner', go.throughput, rateUnit),
    figure(`CPU per ${per}, sched-bench`, ours.cpuMsPerWorkflow, 'ms'),
    figure(`CPU per ${per}, Go runner`, go.cpuMsPerWorkflow, 'ms'),
    figure('peak RSS, sched-bench', ours.peakRssMegabytes, 'MB'),
    figure('peak RSS, Go runner', go.peakRssMegabytes, 'MB'),
  ];
}

/** The number `temporal workflow count` prints (`Total: 123`). */
export function countOfOutput(output: string): number {
  const match = /(\d+)/.exec(output);
  if (!match) throw new Error(`temporal workflow count printed no number: ${output.trim().slice(0, 200)}`);
  return Number(match[1]);
}

/** BENCH_GO_RUNNER, checked: undefined when unset; one clear line when it names no executable file. */
export function goRunnerOf(env: Record<string, string | undefined>): string | undefined {
  const path = env.BENCH_GO_RUNNER;
  if (!path) return undefined;
  try {
    accessSync(path, constants.X_OK);
    if (!statSync(path).isFile()) throw new Error('not a file');
  } catch {
    throw new Error(`BENCH_GO_RUNNER=${path} is not an executable file (build it: go build -o runner ./cmd/runner in temporalio/benchmark-workers)`);
  }
  return path;
}

/** Positive number from the environment, else the default; one clear line for anything else. */
export function positiveNumberOf(env: Record<string, string | undefined>, name: string, defaultValue: number): number {
  const text = env[name];
  if (text === undefined || text === '') return defaultValue;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name}=${text} is not a positive number`);
  return value;
}

interface Command {
  file: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
}

/** A measuring window of a round, seconds from the tool's launch (`toSeconds` at most the round's end). */
export interface RoundWindow {
  fromSeconds: number;
  toSeconds: number;
}

/**
 * The windows of a round against the dev server: the early one (a twelfth to a third of the round: 10–40 s
 * of 120 s) while Node's JIT still compiles sched-bench's hot path, and the steady one (the second half),
 * when it is compiled. The Go runner has no warm-up of this kind; both windows are reported.
 */
export function devServerWindows(seconds: number): RoundWindow[] {
  return [
    { fromSeconds: seconds / 12, toSeconds: seconds / 3 },
    { fromSeconds: seconds / 2, toSeconds: seconds },
  ];
}

/** A window's label: `10–40 s`. */
export const windowLabel = (window: RoundWindow): string => `${Math.round(window.fromSeconds)}–${Math.round(window.toSeconds)} s`;

/**
 * Runs one tool for the last window's end, measures each window (server-side count and CPU between its
 * bounds), then stops it with SIGTERM (SIGKILL after a minute). A tool that dies early is an error naming its stderr.
 */
async function measureRound(
  tool: Tool, round: number, command: Command, windows: readonly RoundWindow[], count: () => Promise<number> | number,
): Promise<RoundMeasure[]> {
  const countAtLaunch = await count();
  const launched = performance.now();
  const run = spawnWatched(command.file, command.args, command.env);
  const { child } = run;
  const died = () => new Error(`peer: ${tool} (${command.file}) stopped before its round ended: ${run.stderrTail(3)}`);
  const roundEnd = launched + Math.max(...windows.map((window) => window.toSeconds)) * 1000;
  const at = (seconds: number) => launched + seconds * 1000;
  try {
    const measured: RoundMeasure[] = [];
    for (const window of windows) {
      await sleep(at(window.fromSeconds) - performance.now());
      // On a loaded machine a tool may still be starting up when the warm-up ends: the window then opens
      // once the count moves, so the figures never hold start-up costs.
      let count0 = await count();
      while (count0 === countAtLaunch && !run.exited && performance.now() < roundEnd) {
        await sleep(500);
        count0 = await count();
      }
      if (run.exited || child.pid === undefined) throw died();
      if (count0 === countAtLaunch) throw new Error(`peer: ${tool} (${command.file}) got nothing done in its round`);
      const pid = child.pid;
      const [cpu0, at0] = [cpuSecondsOf(pid), performance.now()];
      if (at0 > at(window.fromSeconds) + 1000) {
        process.stderr.write(`bench: peer: ${tool} counted nothing by ${window.fromSeconds} s; its window opened ${((at0 - launched) / 1000).toFixed(1)} s after launch\n`);
      }
      await sleep(at(window.toSeconds) - performance.now());
      if (run.exited) throw died();
      const [count1, cpu1, at1] = [await count(), cpuSecondsOf(pid), performance.now()];
      measured.push({ tool, round, count: count1 - count0, seconds: (at1 - at0) / 1000, cpuSeconds: cpu1 - cpu0, peakRssMegabytes: peakRssMegabytesOf(pid) });
    }
    return measured;
  } finally {
    await run.stop(60_000);
  }
}

/**
 * Alternating rounds in balanced order, go, sched-bench, sched-bench, go, …: a server (or machine) that
 * drifts over the run favours neither tool. Per window, every round's measure.
 */
export function roundOrder(round: number): readonly Tool[] {
  return round % 2 === 1 ? ['go-runner', 'sched-bench'] : ['sched-bench', 'go-runner'];
}

/** What a round runs and counts with: the tool's command, the count, and what to stop after it. */
interface RoundSetup {
  command: Command;
  count: () => Promise<number> | number;
  teardown?: () => Promise<void>;
}

async function alternate(
  rounds: number,
  setUp: (tool: Tool, round: number) => Promise<RoundSetup>,
  timing: { windows: readonly RoundWindow[]; settleSeconds: number },
): Promise<RoundMeasure[][]> {
  const byWindow: RoundMeasure[][] = timing.windows.map(() => []);
  for (let round = 1; round <= rounds; round++) {
    for (const tool of roundOrder(round)) {
      const { command, count, teardown } = await setUp(tool, round);
      let results: RoundMeasure[];
      try {
        results = await measureRound(tool, round, command, timing.windows, count);
      } finally {
        await teardown?.();
      }
      results.forEach((result, index) => {
        process.stderr.write(
          `bench: peer round ${round} ${tool} ${windowLabel(timing.windows[index]!)}: ${result.count} in ${result.seconds.toFixed(1)} s, ` +
            `${((1000 * result.cpuSeconds) / Math.max(1, result.count)).toFixed(3)} ms CPU each, peak RSS ${result.peakRssMegabytes.toFixed(1)} MB\n`,
        );
        byWindow[index]!.push(result);
      });
      // The round's processes wind down (the tool, and its worker and dev server or the fake's
      // connections) before the next tool launches.
      await sleep(timing.settleSeconds * 1000);
    }
  }
  return byWindow;
}

const WORKFLOW_TYPE = 'EchoWorkflow';
/** sched-bench's default EchoWorkflow input (--message, --count), given to the Go runner too. */
const ECHO_INPUT = JSON.stringify({ message: 'Test scheduler', count: 1 });
const TASK_QUEUE = 'bench-peer';

/**
 * The task queue of one round against the dev server: named for the case, the round and the tool, so
 * that a count on the server can only ever find that round's workflows.
 */
export function roundTaskQueue(wait: boolean, round: number, tool: Tool): string {
  return `${TASK_QUEUE}-${wait ? 'wait' : 'start'}-${round}-${tool}`;
}

function goCommand(runner: string, address: string, concurrency: number, wait: boolean, taskQueue = TASK_QUEUE): Command {
  // Every setting as a flag: the runner reads TEMPORAL_* variables for flags not given.
  return {
    file: runner,
    args: ['-c', String(concurrency), '-t', WORKFLOW_TYPE, '-tq', taskQueue, '-n', 'default', `-w=${wait}`, ECHO_INPUT],
    env: { ...process.env, TEMPORAL_GRPC_ENDPOINT: address },
  };
}

function schedBenchCommand(address: string, concurrency: number, wait: boolean, taskQueue = TASK_QUEUE): Command {
  return {
    file: process.execPath,
    args: [BIN, 'infinite', '--address', address, '--task-queue', taskQueue, '--concurrency', String(concurrency), '--report-interval', '60', ...(wait ? [] : ['--no-wait'])],
  };
}

/** Counts workflows of a task queue on the server, as `temporal workflow count` reports them. */
function serverCounter(cli: string, address: string, taskQueue: string, completedOnly: boolean): () => Promise<number> {
  const query = `WorkflowType="${WORKFLOW_TYPE}" AND TaskQueue="${taskQueue}"${completedOnly ? ' AND ExecutionStatus="Completed"' : ''}`;
  return () =>
    new Promise((resolve, reject) => {
      execFile(cli, ['workflow', 'count', '--address', address, '--query', query], (error, stdout, stderr) => {
        if (error) reject(new Error(`temporal workflow count failed: ${stderr.trim() || error.message}`));
        else {
          try {
            resolve(countOfOutput(stdout));
          } catch (parseError) {
            reject(parseError);
          }
        }
      });
    });
}

/** How long a round's fresh worker has to load and poll before the tool starts. */
const WORKER_READY_MS = 5000;

/**
 * Where the rounds' dev servers keep their databases: in memory (tmpfs, /dev/shm) where the machine has
 * one. On disk the SQLite dev server waited on its writes (2026-12-01, start+wait at ~10 workflows/s:
 * ~50 MB/s written, the machine fully stalled on I/O a fifth of the time by /proc/pressure/io, a third
 * of the CPU idle), so a round's throughput followed the shared disk rather than the tools.
 */
function memoryBackedDirectory(): string | undefined {
  try {
    accessSync('/dev/shm', constants.W_OK);
    return statSync('/dev/shm').isDirectory() ? '/dev/shm' : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Both tools against the dev server: closed loop start+wait and start-only, concurrency 50. Every round
 * runs on a dev server of its own, started for it and stopped after it, so no round meets a database the
 * others have grown: a server shared by the rounds slowed as they went on, steepest at first, which
 * favoured whichever tool went first even in balanced order (2026-12-01, start+wait, completions in
 * 60–120 s of six successive rounds on one server, sched-bench first: 678, 615, 589, 583, 511, 555; with
 * the Go runner first, its first round was the highest in 4 of 5 runs, e.g. 675 against 604, 612, 601).
 * The servers have no run-id search attribute registered, so sched-bench's starts carry the memo only and
 * both tools ask the server for the same work: with the attribute, the SQLite dev server took ~8% fewer
 * of sched-bench's starts (2026-12-01, start-only c50, two 30 s windows of two rounds each on a fresh
 * server: 31.9 wf/s with it, 34.7 without, the Go runner 33.9 and 33.7 beside them), which is the
 * server's cost of the attribute, not the client's.
 */
async function againstDevServer(runner: string, rounds: number, seconds: number): Promise<BenchFigure[]> {
  const cli = findTemporalCli(cliLookupOf(process.env));
  const dataParent = memoryBackedDirectory();
  process.stderr.write(`bench: peer: the dev servers keep their databases ${dataParent ? `in ${dataParent} (tmpfs)` : 'on disk (no /dev/shm)'}\n`);
  const figures: BenchFigure[] = [];
  for (const wait of [true, false]) {
    const windows = devServerWindows(seconds);
    const setUp = async (tool: Tool, round: number): Promise<RoundSetup> => {
      const server = await SpawnedDevServer.start({ cliPath: cli, runIdAttribute: false, dataParent });
      const taskQueue = roundTaskQueue(wait, round, tool);
      const worker = startWorker(server.address, taskQueue);
      const teardown = async () => {
        try {
          await worker.stop();
        } finally {
          await server.stop();
        }
      };
      await sleep(WORKER_READY_MS);
      if (worker.exited) {
        // no round runs, so no caller tears this one down
        await teardown();
        throw new Error(`peer: the sched-bench worker of round ${round} (${tool}) stopped before the round began: ${worker.stderrTail(3)}`);
      }
      const command = tool === 'go-runner' ? goCommand(runner, server.address, 50, wait, taskQueue) : schedBenchCommand(server.address, 50, wait, taskQueue);
      return { command, count: serverCounter(cli, server.address, taskQueue, wait), teardown };
    };
    const measured = await alternate(rounds, setUp, { windows, settleSeconds: 5 });
    windows.forEach((window, index) => {
      const label = `dev server, ${wait ? 'start+wait' : 'start-only'}, c50, ${windowLabel(window)}`;
      figures.push(...peerFigures({ label, per: wait ? 'workflow' : 'start', rateUnit: 'wf/s' }, measured[index]!));
    });
  }
  return figures;
}

/**
 * Both tools at concurrency 100 against the fake frontend, start-only then start+wait (the fake answers
 * each result wait at once with the close event): the client alone is the limit.
 */
async function againstFakeFrontend(runner: string, rounds: number, seconds: number): Promise<BenchFigure[]> {
  const fake = await startFakeFrontend();
  const figures: BenchFigure[] = [];
  try {
    for (const wait of [false, true]) {
      const count = wait ? () => fake.resultsAnswered : () => fake.startsAnswered;
      const setUp = async (tool: Tool): Promise<RoundSetup> => ({
        command: tool === 'go-runner' ? goCommand(runner, fake.address, 100, wait) : schedBenchCommand(fake.address, 100, wait),
        count,
      });
      const measured = await alternate(rounds, setUp, { windows: [{ fromSeconds: seconds / 4, toSeconds: seconds }], settleSeconds: 1 });
      const label = `fake frontend, ${wait ? 'start+wait' : 'start-only'}, c100, steady`;
      figures.push(...peerFigures(wait ? { label, per: 'workflow', rateUnit: 'wf/s' } : { label, per: 'start', rateUnit: 'starts/s' }, measured[0]!));
    }
  } finally {
    await fake.stop();
  }
  return figures;
}

export interface PeerSettings {
  runner: string;
  rounds: number;
  /** per round against the dev server */
  seconds: number;
  /** per round against the fake frontend */
  fakeSeconds: number;
}

/**
 * The scenario's settings from the environment: undefined without BENCH_GO_RUNNER (the scenario is
 * skipped); a bad value is one clear line. bench/run.ts checks them before running any scenario.
 */
export function peerSettingsOf(env: Record<string, string | undefined>): PeerSettings | undefined {
  const runner = goRunnerOf(env);
  const rounds = Math.max(1, Math.round(positiveNumberOf(env, 'BENCH_PEER_ROUNDS', 4)));
  const seconds = positiveNumberOf(env, 'BENCH_PEER_SECONDS', 120);
  const fakeSeconds = positiveNumberOf(env, 'BENCH_PEER_FAKE_SECONDS', 15);
  return runner ? { runner, rounds, seconds, fakeSeconds } : undefined;
}

/**
 * The scenario: skipped (one line, no figures) without BENCH_GO_RUNNER. Round lengths: BENCH_PEER_SECONDS
 * (120) against the dev server, BENCH_PEER_FAKE_SECONDS (15) against the fake; BENCH_PEER_ROUNDS (4) each.
 */
export async function peer(): Promise<BenchFigure[]> {
  const settings = peerSettingsOf(process.env);
  if (!settings) {
    process.stderr.write('bench: peer skipped: set BENCH_GO_RUNNER=<path of the runner built from temporalio/benchmark-workers cmd/runner>\n');
    return [];
  }
  const { runner, rounds, seconds, fakeSeconds } = settings;
  return [...(await againstDevServer(runner, rounds, seconds)), ...(await againstFakeFrontend(runner, rounds, fakeSeconds))];
}
