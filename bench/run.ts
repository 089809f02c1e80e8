/**
 * `npm run bench`: speed and accuracy figures of sched-bench, measured against a real dev server
 * started here. Writes bench/results/<date>.json and .md and prints the table. Not part of `npm test`:
 * these are measurements to compare as ratios within one run on a noisy machine, not pass/fail tests.
 *
 * Scenarios (pick with BENCH_SCENARIOS=a,b; BENCH_DURATION=<s> shortens every timed run):
 * - open-loop-accuracy: an open loop at a rate the server holds; started must be rate × duration ±1%.
 * - memory: RSS of a long start-only run stays within ±10% after warm-up (BENCH_MEMORY_SECONDS, 120).
 * - client-cost: sched-bench's own CPU per workflow, closed loop at concurrency 10/50/200, start+wait
 *   and start-only, native connection; grpc-js at 50 to compare (BENCH_CLIENT_SECONDS per case, 15).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDevServer } from '../src/temporal/dev-server.js';

// Compiled to dist/bench-build/bench/run.js: three levels below the project.
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const BIN = join(ROOT, 'bin', 'sched-bench');

interface Figure {
  scenario: string;
  metric: string;
  value: number;
  unit: string;
  target?: string;
  pass?: boolean;
}

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  result: Record<string, unknown> & { counts: { started: number; completed: number }; elapsedSeconds: number };
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

function startWorker(address: string, taskQueue: string): { stop: () => Promise<void> } {
  const child = spawn(process.execPath, [BIN, 'worker', '--address', address, '--task-queue', taskQueue], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  return {
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
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
    const latency = run.result.latency as { e2e: { p99: number }; startLateness: { p99: number } };
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
    ...[10, 50, 200].map((concurrency) => ({ connection: 'native', concurrency, wait: true })),
    { connection: 'grpc', concurrency: 50, wait: true },
    ...[10, 50, 200].map((concurrency) => ({ connection: 'native', concurrency, wait: false })),
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
      const client = run.result.client as { cpuMsPerCompleted: number };
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
 * Memory over a long start-only run: RSS sampled every second; after the first fifth (warm-up) it must
 * stay within ±10% of its post-warm-up mean (histograms and series are bounded by design).
 */
async function memory(address: string): Promise<Figure[]> {
  const seconds = Number(process.env.BENCH_MEMORY_SECONDS ?? 120);
  const samples: number[] = [];
  let sampler: NodeJS.Timeout | undefined;
  const run = await runCli(
    ['infinite', '--address', address, '--task-queue', 'bench-memory', '--no-wait', '--concurrency', '50', '--duration', `${seconds}s`, '--report-interval', '5'],
    (pid) => {
      sampler = setInterval(() => {
        const rss = rssMegabytes(pid);
        if (rss !== undefined) samples.push(rss);
      }, 1000);
    },
  );
  clearInterval(sampler);
  const steady = samples.slice(Math.floor(samples.length / 5));
  const mean = steady.reduce((sum, value) => sum + value, 0) / Math.max(1, steady.length);
  const spread = Math.max(...steady.map((value) => Math.abs(value - mean) / mean));
  // A GC sawtooth swings both ways; a leak climbs: compare the halves of the steady part.
  const half = Math.floor(steady.length / 2);
  const average = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length);
  const drift = (average(steady.slice(half)) - average(steady.slice(0, half))) / Math.max(1, average(steady.slice(0, half)));
  return [
    { scenario: 'memory', metric: `workflows started in ${seconds}s (start-only, concurrency 50)`, value: run.result.counts.started, unit: 'workflows' },
    { scenario: 'memory', metric: 'RSS after warm-up, mean', value: mean, unit: 'MB' },
    { scenario: 'memory', metric: 'RSS after warm-up, min / max', value: Math.min(...steady), unit: `MB / ${Math.max(...steady).toFixed(1)} MB` },
    { scenario: 'memory', metric: 'largest deviation from the mean', value: spread * 100, unit: '%', target: '≤ 10%', pass: spread <= 0.1 },
    { scenario: 'memory', metric: 'drift: second half mean vs first half', value: drift * 100, unit: '%', target: '≤ 10%', pass: Math.abs(drift) <= 0.1 },
  ];
}

const SCENARIOS: Record<string, (address: string, durationSeconds: number) => Promise<Figure[]>> = {
  memory,
  'open-loop-accuracy': openLoopAccuracy,
  'client-cost': clientCost,
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
  const server = await startDevServer({
    explicitPath: process.env.TEMPORAL_CLI_PATH || undefined,
    searchPath: process.env.PATH,
  });
  const figures: Figure[] = [];
  try {
    for (const name of chosen) {
      const scenario = SCENARIOS[name];
      if (!scenario) throw new Error(`unknown scenario ${name}; known: ${Object.keys(SCENARIOS).join(', ')}`);
      process.stderr.write(`bench: ${name}…\n`);
      figures.push(...(await scenario(server.address, durationSeconds)));
    }
  } finally {
    await server.stop();
  }
  const when = new Date().toISOString();
  const directory = join(ROOT, 'bench', 'results');
  mkdirSync(directory, { recursive: true });
  const base = join(directory, when.slice(0, 10));
  const machine = { cpus: (await import('node:os')).cpus().length, node: process.version };
  writeFileSync(`${base}.json`, `${JSON.stringify({ when, machine, durationSeconds, figures }, null, 2)}\n`);
  writeFileSync(`${base}.md`, markdown(figures, when));
  process.stdout.write(markdown(figures, when));
  if (figures.some((figure) => figure.pass === false)) process.exitCode = 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
