import { connect, type IncomingHttpHeaders } from 'node:http2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeFrontend, type FakeFrontend } from '../../bench/fake-frontend.js';
import { CliProcess, eventually, runCli } from '../helpers/cli.js';

/** One raw gRPC call on a fresh HTTP/2 connection: the response headers and trailers, merged. */
async function rawCall(address: string, path: string, body: Buffer): Promise<IncomingHttpHeaders> {
  const session = connect(`http://${address}`);
  try {
    return await new Promise((resolve, reject) => {
      const stream = session.request({ ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers' });
      let headers: IncomingHttpHeaders = {};
      stream.on('response', (received) => (headers = { ...received }));
      stream.on('trailers', (trailers) => (headers = { ...headers, ...trailers }));
      stream.on('error', reject);
      stream.on('data', () => {});
      stream.on('end', () => resolve(headers));
      stream.end(body);
    });
  } finally {
    session.close();
  }
}

/**
 * The bench's fake frontend speaks gRPC over node:http2 by hand: each of sched-bench's connection kinds
 * (its own HTTP/2 wire, core's native client, grpc-js), compressed or not, must get through a run
 * against it, and what the fake counts must be what the CLI says it did.
 */
describe('the fake frontend (bench), driven by the real CLI', () => {
  let fake: FakeFrontend;
  beforeAll(async () => {
    fake = await startFakeFrontend();
  });
  afterAll(async () => {
    await fake.stop();
  });

  for (const connection of ['http2', 'native', 'grpc']) {
    for (const compression of ['gzip', 'none']) {
      it(`answers ${connection} starts and result waits (${compression})`, async () => {
        const [starts0, results0] = [fake.startsAnswered, fake.resultsAnswered];
        const result = await runCli([
          'run', '--address', fake.address, '--total', '60', '--concurrency', '10', '--connection', connection,
          '--grpc-compression', compression, '--json', '-',
        ]);
        expect(result.code, result.stderr).toBe(0);
        const counts = JSON.parse(result.stdout).counts as { started: number; completed: number };
        expect(counts).toMatchObject({ started: 60, completed: 60 });
        expect(fake.startsAnswered - starts0).toBe(60);
        expect(fake.resultsAnswered - results0).toBeGreaterThanOrEqual(60);
      });
    }
  }

  it('counts start-only runs, and answers a namespace it does not know as a server does', async () => {
    const starts0 = fake.startsAnswered;
    const started = await runCli(['run', '--address', fake.address, '--total', '500', '--concurrency', '50', '--no-wait', '--json', '-']);
    expect(started.code, started.stderr).toBe(0);
    expect(fake.startsAnswered - starts0).toBe(500);
    expect(fake.firstStartAt).toBeDefined();

    const unknown = await runCli(['run', '--address', fake.address, '--namespace', 'nowhere', '--total', '1']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/namespace.*nowhere/i);
    expect(unknown.stderr).not.toMatch(/\n\s+at /);
  });

  it('answers an unknown method UNIMPLEMENTED and a request that is not one gRPC message INTERNAL, and goes on serving', async () => {
    const empty = Buffer.from([0, 0, 0, 0, 0]);
    const unknown = await rawCall(fake.address, '/temporal.api.workflowservice.v1.WorkflowService/Nope', empty);
    expect(unknown).toMatchObject({ ':status': 200, 'grpc-status': '12' });
    expect(decodeURIComponent(String(unknown['grpc-message']))).toMatch(/unknown method .*Nope/);
    const truncated = Buffer.from([0, 0, 0, 0, 9, 1, 2]); // says 9 bytes, carries 2
    const broken = await rawCall(fake.address, '/temporal.api.workflowservice.v1.WorkflowService/StartWorkflowExecution', truncated);
    expect(broken).toMatchObject({ 'grpc-status': '13' });
    expect(decodeURIComponent(String(broken['grpc-message']))).toMatch(/not one gRPC message/);
    const starts0 = fake.startsAnswered;
    expect((await runCli(['run', '--address', fake.address, '--total', '5', '--no-wait'])).code).toBe(0);
    expect(fake.startsAnswered - starts0).toBe(5);
  });
});

describe("the CLI's peak memory (a real process, started by a large one)", () => {
  it('counts its own memory only, not what its parent held when it forked it', async () => {
    const fake = await startFakeFrontend();
    // Resident in this (the parent) process while the CLI is spawned: getrusage's maxRSS would count it.
    let ballast: Buffer | undefined = Buffer.alloc(400 * 2 ** 20, 1);
    try {
      const result = await runCli(['run', '--address', fake.address, '--total', '20', '--no-wait', '--json', '-']);
      expect(result.code, result.stderr).toBe(0);
      expect(ballast.length).toBeGreaterThan(0);
      const peak = (JSON.parse(result.stdout) as { client: { maxRssMegabytes: number } }).client.maxRssMegabytes;
      expect(peak).toBeGreaterThan(20);
      expect(peak).toBeLessThan(300);
    } finally {
      ballast = undefined;
      await fake.stop();
    }
  });
});

describe('stopping the fake frontend', () => {
  it('ends while a client still holds its connection open', async () => {
    const fake = await startFakeFrontend();
    const client = new CliProcess(['infinite', '--address', fake.address, '--no-wait', '--rate', '20']);
    try {
      await eventually(async () => expect(fake.startsAnswered).toBeGreaterThan(0), 20_000);
      const began = performance.now();
      await fake.stop();
      expect(performance.now() - began).toBeLessThan(5_000);
    } finally {
      client.signal('SIGKILL');
      await client.exited;
    }
  });
});

