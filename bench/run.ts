/**
 * `npm run bench`: speed and accuracy figures of sched-bench, measured against a real dev server
 * started here. Writes bench/results/<date>.json and .md and prints the table. Not part of `npm test`:
 * these are measurements to compare as ratios within one run on a noisy machine, not pass/fail tests.
 *
 * Scenarios (pick with BENCH_SCENARIOS=a,b; BENCH_DURATION=<s> shortens every timed run):
 * - open-loop-accuracy: an open loop at a rate the server holds; started must be rate × duration ±1%.
 * - memory: RSS of an infinite run of 100 000 workflows, start-only and start+wait (open loop at
 *   1000/s against the fake frontend, so each takes 100 s), stays within ±10% after warm-up, its peak
 *   within 100 MB (BENCH_MEMORY_WORKFLOWS).
 * - worker-memory: a `sched-bench worker` process under a closed loop at concurrency 50 against the dev
 *   server for BENCH_WORKER_MEMORY_SECONDS (120): its peak RSS (target ≤ 150 MB for a worker-only
 *   process), whether RSS climbs after warm-up, its CPU per workflow.
 * - client-cost: sched-bench's own CPU per workflow, closed loop at concurrency 10/50/200, start+wait
 *   and start-only, http2 connection (the default); native and grpc-js at 50 to compare
 *   (BENCH_CLIENT_SECONDS per case, 15).
 * - max-start-rate: start-only at concurrency 100 against the fake frontend (the cheapest thing that
 *   answers: the tool alone) and against the dev server (the server), http2, native and grpc-js, with and
 *   without gzip (BENCH_RATE_SECONDS per case, 10).
 * - eager-start: start+wait with the embedded worker, eager start off and on, concurrency 10 and 50
 *   (BENCH_CLIENT_SECONDS per case).
 * - peer: sched-bench side by side with the Go runner of temporalio/benchmark-workers, whose binary
 *   (built from its cmd/runner) BENCH_GO_RUNNER names; skipped in one line without it. Each round on a
 *   fresh dev server of its own (its database on tmpfs where there is one), without the run-id search
 *   attribute (both tools ask for the same work; bench/peer.ts), and a fresh separate `sched-bench
 *   worker`, rounds in balanced order (Go, sched-bench, sched-bench, Go), counts taken on the server,
 *   CPU from /proc in two windows of each round (10–40 s and 60–120 s of BENCH_PEER_SECONDS, 120): closed
 *   loop start+wait and start-only at concurrency 50, BENCH_PEER_ROUNDS (4) rounds per tool; then
 *   start-only and start+wait at concurrency 100 against the fake frontend (which answers result waits at
 *   once), rounds of BENCH_PEER_FAKE_SECONDS (15).
 *   Figures: sched-bench/Go ratios of throughput, CPU per workflow (or start) and peak RSS, and both
 *   tools' own figures (see bench/peer.ts).
 * - startup: from launch to the first StartWorkflowExecution arriving at the fake frontend, median of 5
 *   launches of `sched-bench run --total 1 --no-wait` (target ≤ 0.5 s), and of the Go runner when
 *   BENCH_GO_RUNNER is set.
 * - workloads: each --workload (echo, signal, signal-with-start, update, update-with-start, query, child,
 *   timer, continue-as-new, mix) closed loop at concurrency 10 with the embedded worker for
 *   BENCH_WORKLOAD_SECONDS (15) each: throughput, e2e p99 and p50/p99 of each operation it measures.
 * - capacity: the dev server's capacity for echo with the embedded worker (runCapacity, SLO e2e.p99<1s),
 *   steps of BENCH_CAPACITY_STEP_SECONDS (10), at most BENCH_CAPACITY_MAX_SECONDS (200): the capacity, the
 *   bracket, the steps (see bench/capacity.ts).
 * The memory scenario also gives the client-only run's peak RSS (target ≤ 100 MB).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDevServer } from '../src/temporal/dev-server.js';
import { capacity } from './capacity.js';
import { cliLookupOf } from '../src/temporal/temporal-cli.js';
import { startFakeFrontend } from './fake-frontend.js';
import { peer, peerSettingsOf } from './peer.js';
import { cpuSecondsOf, peakRssMegabytesOf } from './proc.js';
import { BIN, ROOT, sleep, spawnWatched, startWorker } from './processes.js';
import { updateReadme, type BenchFigure } from './readme-figures.js';
import { startup } from './startup.js';

type Figure = BenchFigure;

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  result: Record<string, unknown> & {
    counts: { started: number; completed: number; failed: number };
    elapsedSeconds: number;
    client: { cpuMsPerCompleted: number; maxRssMegabytes: number };
    latency: { start: { p50: number; p99: number }; e2e: { p50: number; p99: number }; startLateness: { p99: number } };
    operations?: Record<string, { p50: number; p99: number }>;
  };
}

/** Resident memory of a process, MB (Linux /proc). */
function rssMegabytes(pid: number): number | undefined {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

function runCli(args: string[], onSpawn?: (pid: number) => void): Promise<CliRun> {
  const json = join(mkdtempSync(join(tmpdir(), 'sched-bench-bench-')), 'result.json');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args, '--json', json], { stdio: ['ignore', 'pipe', 'pipe'] });
    if (child.pid !== undefined) onSpawn?.(child.pid);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      try {
        resolve({ code, stdout, stderr, result: JSON.parse(readFileSync(json, 'utf8')) });
      } catch (error) {
        reject(new Error(`sched-bench ${args.join(' ')} exited ${code} without a result: ${stderr}`));
      }
    });
  });
}

async function openLoopAccuracy(address: string, durationSeconds: number): Promise<Figure[]> {
  const rate = Number(process.env.BENCH_RATE ?? 20);
  const taskQueue = 'bench-open-loop';
  const worker = startWorker(address, taskQueue);
  try {
    const run = await runCli([
      'infinite', '--address', address, '--task-queue', taskQueue, '--rate', String(rate),
      '--duration', `${durationSeconds}s`, '--report-interval', '10',
    ]);
    const expected = rate * durationSeconds;
    const deviation = (run.result.counts.started - expected) / expected;
    const { latency } = run.result;
    return [
      { scenario: 'open-loop-accuracy', metric: `started at ${rate}/s for ${durationSeconds}s`, value: run.result.counts.started, unit: 'workflows', target: `${expected} ±1%`, pass: Math.abs(deviation) <= 0.01 },
      { scenario: 'open-loop-accuracy', metric: 'deviation from rate × duration', value: deviation * 100, unit: '%' },
      { scenario: 'open-loop-accuracy', metric: 'start lateness p99', value: latency.startLateness.p99, unit: 'ms' },
      { scenario: 'open-loop-accuracy', metric: 'e2e p99', value: latency.e2e.p99, unit: 'ms' },
    ];
  } finally {
    await worker.stop();
  }
}

/**
 * The tool's own CPU per completed workflow (from the `client` section of its JSON result), closed
 * loop, with the worker in another process so only the load generator is measured.
 */
async function clientCost(address: string): Promise<Figure[]> {
  const seconds = Number(process.env.BENCH_CLIENT_SECONDS ?? 15);
  const figures: Figure[] = [];
  // Start+wait cases first, each on a fresh queue with its own worker; start-only cases need no worker
  // (their workflows only have to be accepted), so no backlog of one case slows the next.
  const cases: Array<{ connection: string; concurrency: number; wait: boolean }> = [
    ...[10, 50, 200].map((concurrency) => ({ connection: 'http2', concurrency, wait: true })),
    { connection: 'native', concurrency: 50, wait: true },
    { connection: 'grpc', concurrency: 50, wait: true },
    ...[10, 50, 200].map((concurrency) => ({ connection: 'http2', concurrency, wait: false })),
    { connection: 'native', concurrency: 50, wait: false },
    { connection: 'grpc', concurrency: 50, wait: false },
  ];
  for (const [index, { connection, concurrency, wait }] of cases.entries()) {
    const taskQueue = `bench-client-cost-${index}`;
    const worker = wait ? startWorker(address, taskQueue) : undefined;
    try {
      const run = await runCli([
        'infinite', '--address', address, '--task-queue', taskQueue, '--connection', connection,
        '--concurrency', String(concurrency), '--duration', `${seconds}s`, '--report-interval', '60', ...(wait ? [] : ['--no-wait']),
      ]);
      const { client } = run.result;
      const label = `${connection}, concurrency ${concurrency}, ${wait ? 'start+wait' : 'start-only'}`;
      figures.push(
        { scenario: 'client-cost', metric: `CPU per workflow (${label})`, value: client.cpuMsPerCompleted, unit: 'ms' },
        { scenario: 'client-cost', metric: `throughput (${label})`, value: run.result.counts.completed / run.result.elapsedSeconds, unit: 'wf/s' },
      );
    } finally {
      await worker?.stop();
    }
  }
  return figures;
}

/**
 * RSS samples (one a second) after the first fifth (warm-up): their mean, min and max, the largest
 * deviation from the mean, and the drift of the second half's mean from the first's. A GC sawtooth
 * swings both ways; a leak climbs, which the halves show.
 */
function steadiness(samples: readonly number[]): { mean: number; min: number; max: number; spread: number; drift: number } {
  const steady = samples.slice(Math.floor(samples.length / 5));
  const average = (values: readonly number[]) => values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length);
  const mean = average(steady);
  const half = Math.floor(steady.length / 2);
  const firstHalf = average(steady.slice(0, half));
  return {
    mean,
    min: Math.min(...steady),
    max: Math.max(...steady),
    spread: Math.max(...steady.map((value) => Math.abs(value - mean) / mean)),
    drift: (average(steady.slice(half)) - firstHalf) / Math.max(1, firstHalf),
  };
}

/**
 * Memory over an infinite run of BENCH_MEMORY_WORKFLOWS (100 000) workflows, start-only and then
 * start+wait: an open loop at 1000/s against the fake frontend (which also answers result waits; the
 * dev server would need a quarter of an hour for them), with the CLI's own defaults (no node flags).
 * RSS is sampled every second; after the first fifth (warm-up) it must stay within ±10% of its mean,
 * and the second half must not sit higher than the first (nothing is kept per workflow). The peak (the
 * JSON result's client.maxRssMegabytes: the CLI's own high-water mark) is held against the issue's
 * target for a client-only run, 100 MB.
 */
const MEMORY_TARGET_MB = 100;

async function memoryCase(address: string, workflows: number, wait: boolean): Promise<Figure[]> {
  const rate = 1000;
  const samples: number[] = [];
  let sampler: NodeJS.Timeout | undefined;
  try {
    const run = await runCli(
      ['infinite', '--address', address, ...(wait ? [] : ['--no-wait']), '--rate', String(rate), '--concurrency', '200',
        '--duration', `${workflows / rate}s`, '--report-interval', '10'],
      (pid) => {
        sampler = setInterval(() => {
          const rss = rssMegabytes(pid);
          if (rss !== undefined) samples.push(rss);
        }, 1000);
      },
    );
    clearInterval(sampler);
    const { mean, min, max, spread, drift } = steadiness(samples);
    const peak = run.result.client.maxRssMegabytes;
    // The start-only case keeps the figures' first names (README's table reads them); start+wait is marked.
    const of = (metric: string) => (wait ? `${metric} (start+wait)` : metric);
    const started = wait ? run.result.counts.completed : run.result.counts.started;
    return [
      { scenario: 'memory', metric: `workflows ${wait ? 'completed' : 'started'} (infinite, ${wait ? 'start+wait' : 'start-only'}, open loop ${rate}/s, fake frontend)`, value: started, unit: 'workflows', target: `${workflows}`, pass: started === workflows },
      { scenario: 'memory', metric: of('RSS after warm-up, mean'), value: mean, unit: 'MB' },
      { scenario: 'memory', metric: of('RSS after warm-up, min / max'), value: min, unit: `MB / ${max.toFixed(1)} MB` },
      { scenario: 'memory', metric: of('peak RSS (maxRSS)'), value: peak, unit: 'MB', target: `≤ ${MEMORY_TARGET_MB} MB`, pass: peak <= MEMORY_TARGET_MB },
      { scenario: 'memory', metric: of('largest deviation from the mean'), value: spread * 100, unit: '%', target: '≤ 10%', pass: spread <= 0.1 },
      { scenario: 'memory', metric: of('drift: second half mean vs first half'), value: drift * 100, unit: '%', target: '≤ 10%', pass: Math.abs(drift) <= 0.1 },
    ];
  } finally {
    clearInterval(sampler);
  }
}

async function memory(): Promise<Figure[]> {
  const workflows = Number(process.env.BENCH_MEMORY_WORKFLOWS ?? 100_000);
  const fake = await startFakeFrontend();
  try {
    return [...(await memoryCase(fake.address, workflows, false)), ...(await memoryCase(fake.address, workflows, true))];
  } finally {
    await fake.stop();
  }
}

/**
 * A worker-only process's memory: `sched-bench worker` (its own defaults) under a closed loop at
 * concurrency 50 against the dev server for BENCH_WORKER_MEMORY_SECONDS (120). Its peak RSS (VmHWM) is
 * held against the issue's target for a worker-only process, 150 MB; RSS sampled every second after the
 * first fifth must not climb (the halves within 10%). Also its CPU per workflow completed.
 */
const WORKER_MEMORY_TARGET_MB = 150;

async function workerMemory(address: string): Promise<Figure[]> {
  const seconds = Number(process.env.BENCH_WORKER_MEMORY_SECONDS ?? 120);
  const taskQueue = `bench-worker-memory-${Date.now()}`;
  const worker = spawnWatched(process.execPath, [BIN, 'worker', '--address', address, '--task-queue', taskQueue], undefined);
  const samples: number[] = [];
  const sampler = setInterval(() => {
    const rss = worker.child.pid === undefined ? undefined : rssMegabytes(worker.child.pid);
    if (rss !== undefined) samples.push(rss);
  }, 1000);
  try {
    await sleep(5000); // the worker loads and polls before the load begins
    const run = await runCli(['infinite', '--address', address, '--task-queue', taskQueue, '--concurrency', '50', '--duration', `${seconds}s`, '--report-interval', '60']);
    const pid = worker.child.pid;
    if (worker.exited || pid === undefined) throw new Error(`worker-memory: the worker stopped: ${worker.stderrTail(3)}`);
    const peak = peakRssMegabytesOf(pid);
    const cpuMs = cpuSecondsOf(pid) * 1000;
    const { min, max, drift } = steadiness(samples);
    const completed = run.result.counts.completed;
    return [
      { scenario: 'worker-memory', metric: `workflows completed (closed loop c50, ${seconds} s, dev server)`, value: completed, unit: 'workflows' },
      { scenario: 'worker-memory', metric: 'worker peak RSS (VmHWM)', value: peak, unit: 'MB', target: `≤ ${WORKER_MEMORY_TARGET_MB} MB`, pass: peak <= WORKER_MEMORY_TARGET_MB },
      { scenario: 'worker-memory', metric: 'worker RSS after warm-up, min / max', value: min, unit: `MB / ${max.toFixed(1)} MB` },
      { scenario: 'worker-memory', metric: 'worker RSS drift: second half mean vs first half', value: drift * 100, unit: '%', target: '≤ 10%', pass: Math.abs(drift) <= 0.1 },
      { scenario: 'worker-memory', metric: 'worker CPU per workflow (start-up included)', value: cpuMs / Math.max(1, completed), unit: 'ms' },
    ];
  } finally {
    clearInterval(sampler);
    await worker.stop(30_000);
  }
}

/**
 * The highest start rate: start-only closed loop at concurrency 100. Against the fake frontend the
 * tool is the limit (what it can drive); against the dev server the server is (what it can take).
 */
async function maxStartRate(devServerAddress: string): Promise<Figure[]> {
  const seconds = Number(process.env.BENCH_RATE_SECONDS ?? 10);
  const fake = await startFakeFrontend();
  const figures: Figure[] = [];
  try {
    const cases: Array<{ target: string; address: string; connection: string; compression: string }> = [];
    for (const connection of ['http2', 'native', 'grpc']) {
      for (const compression of ['gzip', 'none']) {
        cases.push({ target: 'fake frontend', address: fake.address, connection, compression });
        cases.push({ target: 'dev server', address: devServerAddress, connection, compression });
      }
    }
    for (const [index, { target, address, connection, compression }] of cases.entries()) {
      const run = await runCli([
        'infinite', '--address', address, '--task-queue', `bench-max-rate-${index}`, '--connection', connection,
        '--grpc-compression', compression, '--no-wait', '--concurrency', '100', '--duration', `${seconds}s`, '--report-interval', '60',
      ]);
      const label = `${target}, ${connection}, ${compression}`;
      figures.push(
        { scenario: 'max-start-rate', metric: `starts per second (${label})`, value: run.result.counts.started / run.result.elapsedSeconds, unit: 'wf/s' },
        { scenario: 'max-start-rate', metric: `CPU per start (${label})`, value: run.result.client.cpuMsPerCompleted, unit: 'ms' },
        { scenario: 'max-start-rate', metric: `start p99 (${label})`, value: run.result.latency.start.p99, unit: 'ms' },
      );
    }
  } finally {
    await fake.stop();
  }
  return figures;
}

/** Eager start off and on, start+wait with the embedded worker (eager start needs it), on the dev server. */
async function eagerStart(address: string): Promise<Figure[]> {
  const seconds = Number(process.env.BENCH_CLIENT_SECONDS ?? 15);
  const figures: Figure[] = [];
  let index = 0;
  for (const concurrency of [10, 50]) {
    for (const eager of [false, true]) {
      const run = await runCli([
        'infinite', '--address', address, '--task-queue', `bench-eager-${index++}`, '--worker', '--concurrency', String(concurrency),
        '--duration', `${seconds}s`, '--report-interval', '60', ...(eager ? [] : ['--no-eager-start']),
      ]);
      const label = `concurrency ${concurrency}, eager ${eager ? 'on' : 'off'}`;
      figures.push(
        { scenario: 'eager-start', metric: `throughput (${label})`, value: run.result.counts.completed / run.result.elapsedSeconds, unit: 'wf/s' },
        { scenario: 'eager-start', metric: `e2e p50 (${label})`, value: run.result.latency.e2e.p50, unit: 'ms' },
        { scenario: 'eager-start', metric: `e2e p99 (${label})`, value: run.result.latency.e2e.p99, unit: 'ms' },
        { scenario: 'eager-start', metric: `CPU per workflow, worker included (${label})`, value: run.result.client.cpuMsPerCompleted, unit: 'ms' },
      );
    }
  }
  return figures;
}

/** The workload cases: --workload and its parameters (the defaults otherwise). */
const WORKLOAD_CASES: ReadonlyArray<[string, string[]]> = [
  ['echo', []], ['signal', []], ['signal-with-start', []], ['update', []], ['update-with-start', []], ['query', []],
  ['child', []], ['timer', ['--timer-duration', '1s']], ['continue-as-new', []], ['mix', ['--mix', 'echo=70,signal=20,update=10']],
];

/** Throughput, e2e p99 and each operation's p50/p99 for every workload, on the dev server with the embedded worker. */
async function workloads(address: string): Promise<Figure[]> {
  const seconds = Number(process.env.BENCH_WORKLOAD_SECONDS ?? 15);
  const figures: Figure[] = [];
  for (const [index, [workload, extra]] of WORKLOAD_CASES.entries()) {
    const run = await runCli([
      'infinite', '--address', address, '--task-queue', `bench-workload-${index}`, '--worker', '--concurrency', '10',
      '--duration', `${seconds}s`, '--report-interval', '60', '--workload', workload, ...extra,
    ]);
    const label = `--workload ${workload}${extra.length > 0 ? ` ${extra.join(' ')}` : ''}`;
    figures.push(
      { scenario: 'workloads', metric: `throughput (${label})`, value: run.result.counts.completed / run.result.elapsedSeconds, unit: 'wf/s' },
      { scenario: 'workloads', metric: `e2e p99 (${label})`, value: run.result.latency.e2e.p99, unit: 'ms' },
    );
    for (const [operation, summary] of Object.entries(run.result.operations ?? {})) {
      figures.push(
        { scenario: 'workloads', metric: `${operation} p50 (${label})`, value: summary.p50, unit: 'ms' },
        { scenario: 'workloads', metric: `${operation} p99 (${label})`, value: summary.p99, unit: 'ms' },
      );
    }
  }
  return figures;
}

const SCENARIOS: Record<string, (address: string, durationSeconds: number) => Promise<Figure[]>> = {
  memory,
  'worker-memory': workerMemory,
  'open-loop-accuracy': openLoopAccuracy,
  'client-cost': clientCost,
  'max-start-rate': maxStartRate,
  'eager-start': eagerStart,
  peer,
  startup,
  workloads,
  capacity,
};

function markdown(figures: Figure[], when: string): string {
  const rows = figures.map((figure) =>
    `| ${figure.scenario} | ${figure.metric} | ${Number.isInteger(figure.value) ? figure.value : figure.value.toFixed(3)} ${figure.unit} | ${figure.target ?? ''} | ${figure.pass === undefined ? '' : figure.pass ? '✓' : '✗'} |`,
  );
  return [`# sched-bench benchmark, ${when}`, '', '| scenario | metric | value | target | |', '|---|---|---|---|---|', ...rows, ''].join('\n');
}

async function main(): Promise<void> {
  const durationSeconds = Number(process.env.BENCH_DURATION ?? 60);
  const chosen = (process.env.BENCH_SCENARIOS ?? Object.keys(SCENARIOS).join(',')).split(',');
  const unknown = chosen.filter((name) => !SCENARIOS[name]);
  if (unknown.length > 0) throw new Error(`unknown scenario ${unknown.join(', ')}; known: ${Object.keys(SCENARIOS).join(', ')}`);
  // Bad settings fail now, not after the scenarios before the one that reads them.
  if (chosen.includes('peer') || chosen.includes('startup')) peerSettingsOf(process.env);
  // The CLI's own lookup: TEMPORAL_CLI_PATH, PATH, the cache, else an install into the cache.
  const server = await startDevServer(cliLookupOf(process.env, (line) => process.stderr.write(`${line}\n`)));
  const figures: Figure[] = [];
  try {
    for (const name of chosen) {
      const scenario = SCENARIOS[name]!;
      process.stderr.write(`bench: ${name}…\n`);
      figures.push(...(await scenario(server.address, durationSeconds)));
    }
  } finally {
    await server.stop();
  }
  if (figures.length === 0) {
    process.stdout.write('bench: no figures (every scenario chosen was skipped); bench/results unchanged\n');
    return;
  }
  const when = new Date().toISOString();
  const directory = join(ROOT, 'bench', 'results');
  mkdirSync(directory, { recursive: true });
  const base = join(directory, when.slice(0, 10));
  const machine = { cpus: (await import('node:os')).cpus().length, node: process.version };
  // The day's file keeps the figures of scenarios not run this time (BENCH_SCENARIOS picks a few).
  const earlier = existsSync(`${base}.json`) ? (JSON.parse(readFileSync(`${base}.json`, 'utf8')) as { figures?: Figure[] }).figures ?? [] : [];
  // A scenario skipped (peer without BENCH_GO_RUNNER) gave no figures: its earlier ones stay.
  const ran = new Set(figures.map((figure) => figure.scenario));
  const dayFigures = [...earlier.filter((figure) => !ran.has(figure.scenario)), ...figures];
  writeFileSync(`${base}.json`, `${JSON.stringify({ when, machine, durationSeconds, figures: dayFigures }, null, 2)}\n`);
  writeFileSync(`${base}.md`, markdown(dayFigures, when));
  process.stdout.write(markdown(figures, when));
  // The README quotes these figures: its block is remade from the results, never edited by hand.
  updateReadme(ROOT);
  if (figures.some((figure) => figure.pass === false)) process.exitCode = 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
