/**
 * `node dist/bench-build/bench/channel-cost.js`: CPU per call of sched-bench's gRPC channel over its own
 * HTTP/2 client (src/temporal/wire/http2-connection.ts) against the same channel over node:http2
 * (bench/node-http2-channel.ts, the previous implementation), both against the fake frontend in its
 * own process. Rounds alternate the two, each in a fresh process (so neither inherits the other's heap),
 * closed loop at CHANNEL_CONCURRENCY (100), start-only and start+wait (start, then the result wait),
 * CHANNEL_SECONDS (8) per round of which the first quarter is warm-up, CHANNEL_ROUNDS (3) rounds.
 * Figures: per round each one's CPU per workflow (user + system of the client process, µs) and rate,
 * and the own/node ratio of the medians. Compare only ratios within one run: the machine is shared.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { GrpcChannel } from '../src/temporal/wire/grpc-channel.js';
import { ProtoWriter } from '../src/temporal/wire/protobuf.js';
import { PreparedStart, readCloseEvent, WorkflowWire } from '../src/temporal/wire/workflow-wire.js';
import { startFakeFrontend } from './fake-frontend.js';
import { NodeHttp2Channel } from './node-http2-channel.js';

type Implementation = 'own' | 'node';
const WORKFLOW_SERVICE = '/temporal.api.workflowservice.v1.WorkflowService/';

interface RoundResult {
  implementation: Implementation;
  wait: boolean;
  workflows: number;
  cpuMicrosPerWorkflow: number;
  rate: number;
}

/** One round in this (child) process: closed loop, CPU counted after the warm-up. */
async function childRound(implementation: Implementation, address: string, seconds: number, concurrency: number, wait: boolean): Promise<RoundResult> {
  const headers = { 'client-name': 'sched-bench', 'client-version': 'bench' };
  const channel = implementation === 'own' ? new GrpcChannel({ address, headers }) : new NodeHttp2Channel({ address, headers });
  const wire = new WorkflowWire({ address, clientVersion: 'bench' });
  const prepared: PreparedStart = wire.prepareStart({ namespace: 'default', taskQueue: 'benchmark', workflowType: 'EchoWorkflow', args: [{ message: 'hi' }] });
  await wire.close();
  const callHeaders = { 'temporal-namespace': 'default' };
  let counting = false;
  let workflows = 0;
  let next = 0;
  let stop = false;
  const loop = async (): Promise<void> => {
    while (!stop) {
      const workflowId = `wf-${next++}`;
      await channel.unary(`${WORKFLOW_SERVICE}StartWorkflowExecution`, prepared.request(workflowId), { timeoutMs: 20_000, headers: callHeaders });
      if (wait) {
        const request = new ProtoWriter().string(1, 'default').message(2, (execution) => execution.string(1, workflowId)).uint(5, true).uint(6, 2).uint(7, true);
        const response = await channel.unary(`${WORKFLOW_SERVICE}GetWorkflowExecutionHistory`, request.finish(), { timeoutMs: 70_000, headers: callHeaders });
        if (readCloseEvent(response)?.kind !== 'completed') throw new Error('no completion');
      }
      if (counting) workflows++;
    }
  };
  let cpuAtStart = process.cpuUsage();
  let timeAtStart = performance.now();
  setTimeout(() => {
    counting = true;
    cpuAtStart = process.cpuUsage();
    timeAtStart = performance.now();
  }, (seconds * 1000) / 4);
  setTimeout(() => (stop = true), seconds * 1000);
  await Promise.all(Array.from({ length: concurrency }, loop));
  const cpu = process.cpuUsage(cpuAtStart);
  const elapsed = (performance.now() - timeAtStart) / 1000;
  await channel.close();
  return { implementation, wait, workflows, cpuMicrosPerWorkflow: (cpu.user + cpu.system) / workflows, rate: workflows / elapsed };
}

function runChild(implementation: Implementation, address: string, seconds: number, concurrency: number, wait: boolean): Promise<RoundResult> {
  const args = [fileURLToPath(import.meta.url), 'child', implementation, address, String(seconds), String(concurrency), wait ? '1' : '0'];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out) as RoundResult) : reject(new Error(`round exited with ${code}`))));
  });
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function main(): Promise<void> {
  const seconds = Number(process.env.CHANNEL_SECONDS ?? 8);
  const rounds = Number(process.env.CHANNEL_ROUNDS ?? 3);
  const concurrency = Number(process.env.CHANNEL_CONCURRENCY ?? 100);
  const fake = process.env.CHANNEL_ADDRESS ? undefined : await startFakeFrontendProcess();
  const address = process.env.CHANNEL_ADDRESS ?? fake!.address;
  try {
    for (const wait of [false, true]) {
      const results: RoundResult[] = [];
      for (let round = 0; round < rounds; round++) {
        const order: Implementation[] = round % 2 === 0 ? ['node', 'own'] : ['own', 'node'];
        for (const implementation of order) {
          const result = await runChild(implementation, address, seconds, concurrency, wait);
          results.push(result);
          console.log(`${wait ? 'start+wait' : 'start-only'} round ${round + 1} ${implementation.padEnd(4)} ${result.cpuMicrosPerWorkflow.toFixed(1).padStart(7)} µs CPU/workflow ${result.rate.toFixed(0).padStart(6)}/s`);
        }
      }
      const of = (implementation: Implementation, pick: (r: RoundResult) => number) => median(results.filter((r) => r.implementation === implementation).map(pick));
      const cpuRatio = of('own', (r) => r.cpuMicrosPerWorkflow) / of('node', (r) => r.cpuMicrosPerWorkflow);
      const rateRatio = of('own', (r) => r.rate) / of('node', (r) => r.rate);
      console.log(`${wait ? 'start+wait' : 'start-only'}: own/node CPU per workflow ${cpuRatio.toFixed(2)}, rate ${rateRatio.toFixed(2)} (medians of ${rounds} rounds)`);
    }
  } finally {
    await fake?.stop();
  }
}

/** The fake frontend in a process of its own, so its CPU stays out of the client's. */
async function startFakeFrontendProcess(): Promise<{ address: string; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), 'fake'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const address = await new Promise<string>((resolve, reject) => {
    child.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString().trim()));
    child.once('close', () => reject(new Error('the fake frontend exited')));
  });
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  return {
    address,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

const [mode, ...rest] = process.argv.slice(2);
if (mode === 'child') {
  const [implementation, address, seconds, concurrency, wait] = rest;
  const result = await childRound(implementation as Implementation, address!, Number(seconds), Number(concurrency), wait === '1');
  process.stdout.write(JSON.stringify(result));
} else if (mode === 'fake') {
  const fake = await startFakeFrontend();
  process.stdout.write(`${fake.address}\n`);
  process.once('SIGTERM', () => void fake.stop().then(() => process.exit(0)));
} else {
  await main();
}
