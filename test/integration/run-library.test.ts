import { describe, expect, inject, it } from 'vitest';
import { exitCodeOf } from '../../src/cli/exit-codes.js';
import { formatFinalLine } from '../../src/report/lines.js';
import { runLoad } from '../../src/run/load-run.js';
import { uniqueQueue } from '../helpers/cli.js';
import { loadSpec } from '../helpers/load-spec.js';

const address = inject('temporalAddress');

describe('runLoad in-process against a real dev server (no child process)', () => {
  it('runs a batch with the embedded worker; the server holds exactly the counts the result reports', { timeout: 120_000 }, async () => {
    const result = await runLoad(loadSpec({
      connection: { address, kind: 'http2', connectTimeoutMs: 10_000 },
      taskQueue: uniqueQueue('library'),
      totalWorkflows: 30,
      loadModel: { kind: 'closed', concurrency: 5 },
      worker: { instances: 1 },
      verify: true,
    }));
    expect(result.stats).toMatchObject({ mode: 'batch', launched: 30, started: 30, completed: 30, failed: 0, inFlight: 0, stopReason: 'total-reached' });
    expect(result.histograms.e2e.count).toBe(30);
    expect(result.latency.e2e.p50).toBeGreaterThan(0);
    expect(result.latency.e2e.p99).toBeGreaterThanOrEqual(result.latency.e2e.p50);
    expect(result.server).toMatchObject({ address, namespace: 'default' });
    expect(result.server.version).toMatch(/\d+\.\d+/);
    // The server's own counts of this run's workflows, as --verify reads them: the same as the result's.
    expect(result.verification?.matches, JSON.stringify(result.verification)).toBe(true);
    expect(result.verification?.rows.find((row) => row.what === 'completed')).toMatchObject({ tool: 30, server: 30 });
    expect(formatFinalLine(result.stats, result.interrupted)).toMatch(/^Batch scheduler completed\. Launched 30 workflows in [\d.]+s, final rate: [\d.]+ wf\/s$/);
    expect(exitCodeOf({ kind: 'load', stats: result.stats, thresholds: result.thresholds, verification: result.verification })).toBe(0);
  });
});
