import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeFrontend, type FakeFrontend } from '../../bench/fake-frontend.js';
import { runCli } from '../helpers/cli.js';

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
});
