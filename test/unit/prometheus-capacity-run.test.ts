import { describe, expect, it } from 'vitest';
import { parseSlo } from '../../src/capacity/slo.js';
import { runCapacity, type CapacityEvent } from '../../src/run/capacity-run.js';
import type { WorkflowLauncher } from '../../src/scheduler/types.js';
import { samples, sampleValue } from '../helpers/exposition.js';
import { freePort } from '../helpers/ports.js';

async function scrape(port: number): Promise<{ status: number; contentType: string | null; text: string }> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`);
  return { status: response.status, contentType: response.headers.get('content-type'), text: await response.text() };
}

/**
 * Starts are acknowledged at once; no workflow finishes before `gate` opens. The third start scrapes
 * /metrics and opens the gate once the scrape is in: that scrape sees the first step running with
 * launches and, certainly, no completion.
 */
class GatedLauncher implements WorkflowLauncher {
  private starts = 0;
  private openGate!: () => void;
  private readonly gate = new Promise<void>((resolve) => (this.openGate = resolve));
  duringFirstStep: Promise<Awaited<ReturnType<typeof scrape>>> | undefined;

  constructor(private readonly port: number) {}

  async startEchoWorkflow(): Promise<string> {
    const sequence = ++this.starts;
    if (sequence === 3) this.duringFirstStep = scrape(this.port).finally(() => this.openGate());
    return `wf-${sequence}`;
  }

  async awaitWorkflowResult(): Promise<unknown> {
    await this.gate;
    return 'echo';
  }
}

describe('runCapacity --metrics-port: /metrics over HTTP while the search runs', () => {
  it('serves the current step live, each judged step after it, and stops serving with the run', { timeout: 60_000 }, async () => {
    const port = await freePort();
    const launcher = new GatedLauncher(port);
    const events: CapacityEvent[] = [];
    let afterFirstStep: ReturnType<typeof scrape> | undefined;
    const result = await runCapacity({
      // With a launcher nothing is connected to: the session only serves the metrics.
      connection: { address: '127.0.0.1:1', kind: 'http2', connectTimeoutMs: 1000 },
      namespace: 'default', taskQueue: 'capacity-metrics', metricsPort: port, runId: 'cap-http',
      workload: { kind: 'echo', message: 'm', count: 1 },
      search: { slo: parseSlo('e2e.p99<30s'), startRate: 20, growthFactor: 2, maxRate: 40, stepDurationMs: 500, warmupMs: 100 },
      maxInFlight: 1000, drainStallSeconds: 10, retryTimeout: 5, eagerStart: false,
    }, {
      launcher,
      onEvent: (event) => {
        events.push(event);
        if (event.type === 'step' && event.step.index === 0) afterFirstStep = scrape(port);
      },
    });

    expect(events).toContainEqual({ type: 'metrics-served', port });
    expect(result.steps.length).toBeGreaterThanOrEqual(1);
    const during = await launcher.duringFirstStep!;
    expect(during.status).toBe(200);
    expect(during.contentType).toMatch(/^text\/plain/);
    const run = { run_id: 'cap-http' };
    expect(sampleValue(during.text, 'sched_bench_capacity_step_index', run)).toBe(0);
    expect(sampleValue(during.text, 'sched_bench_capacity_step_target_rate', run)).toBe(20);
    expect(sampleValue(during.text, 'sched_bench_capacity_step_phase', { ...run, phase: 'growth' })).toBe(1);
    expect(sampleValue(during.text, 'sched_bench_capacity_step_workflows', { ...run, state: 'launched' })).toBeGreaterThanOrEqual(3);
    expect(sampleValue(during.text, 'sched_bench_capacity_step_workflows', { ...run, state: 'completed' })).toBe(0);
    expect(samples(during.text, 'sched_bench_capacity_step_verdict')).toEqual([]);
    expect(sampleValue(during.text, 'sched_bench_capacity_slo_limit', { ...run, threshold: 'e2e.p99<30s', metric: 'e2e.p99' })).toBe(30);
    expect(sampleValue(during.text, 'sched_bench_refused_attempts_total', { ...run, reason: 'throttled' })).toBe(0);

    // The first step as judged, whatever came after it (the next step may be running by the time of the scrape).
    const after = await afterFirstStep!;
    expect(after.status).toBe(200);
    const first = result.steps[0]!;
    const stepLabels = { ...run, step: '0', target_rate: '20' };
    expect(sampleValue(after.text, 'sched_bench_capacity_step_verdict', { ...stepLabels, verdict: first.verdict })).toBe(1);
    expect(sampleValue(after.text, 'sched_bench_capacity_step_achieved_rate', stepLabels)).toBe(first.achievedRate);
    expect(sampleValue(after.text, 'sched_bench_capacity_step_latency_seconds', { ...stepLabels, group: 'e2e', quantile: '0.99' }))
      .toBeCloseTo(first.measurement.latency.e2e!.p99 / 1000, 6);

    // The metrics server closed with the run.
    await expect(scrape(port)).rejects.toThrow();
  });
});
