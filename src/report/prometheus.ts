import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { FailureKind } from '../errors.js';
import type { ServerHealthSnapshot } from '../metrics/server-health.js';
import type { OperationName } from '../shared/operations.js';
import type { RunStats } from '../shared/run-stats.js';
import type { ScheduleCounts } from '../shared/schedule-types.js';

/** Latency buckets (seconds): 5 ms … 5 min, the range of a workflow start or run. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

export interface PrometheusSource {
  runId: string;
  /** The run's counts at scrape time. */
  stats: () => RunStats;
  /** Target rate (open loop) and concurrency, for dashboards. */
  targetRate: number | undefined;
  concurrency: number;
  /** Refused attempts and outages at scrape time. */
  serverHealth?: () => ServerHealthSnapshot;
}

/** Refused attempts and unavailable time, read at scrape time (run, infinite and schedules alike). */
function serverHealthCounters(registers: Registry[], labels: { run_id: string }, health: () => ServerHealthSnapshot): void {
  new Counter({
    name: 'sched_bench_refused_attempts_total', help: 'Calls the server refused and sched-bench retried, by reason (throttled, server_unavailable).',
    labelNames: ['run_id', 'reason'], registers,
    collect() {
      this.reset();
      const { throttledAttempts, unavailableAttempts } = health();
      this.inc({ ...labels, reason: 'throttled' }, throttledAttempts);
      this.inc({ ...labels, reason: 'server_unavailable' }, unavailableAttempts);
    },
  });
  new Counter({
    name: 'sched_bench_server_unavailable_seconds_total', help: 'Time the server could not be reached during the run.',
    labelNames: ['run_id'], registers,
    collect() {
      this.reset();
      this.inc(labels, health().unavailableMs / 1000);
    },
  });
}

/** A prom-client registry served as text: what the /metrics endpoint reads. */
abstract class RegistryExporter {
  readonly registry = new Registry();

  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

/**
 * sched-bench's own metrics in Prometheus form (prom-client). Counts are read from the run's stats at
 * scrape time, so the served numbers are the printed ones; latencies are observed per measured workflow.
 */
export class PrometheusExporter extends RegistryExporter {
  private readonly startLatency: Histogram<'run_id'>;
  private readonly e2eLatency: Histogram<'run_id'>;
  private readonly operationLatency: Histogram<'run_id' | 'operation'>;
  private readonly labels: { run_id: string };

  constructor(source: PrometheusSource) {
    super();
    const labels = { run_id: source.runId };
    this.labels = labels;
    const registers = [this.registry];
    const counter = (name: string, help: string, value: (stats: RunStats) => number) =>
      new Counter({
        name, help, labelNames: ['run_id'], registers,
        collect() {
          this.reset();
          this.inc(labels, value(source.stats()));
        },
      });
    counter('sched_bench_workflows_launched_total', 'Workflow launches begun (start RPC sent or about to be).', (stats) => stats.launched);
    counter('sched_bench_workflows_started_total', 'Workflow starts acknowledged by the server.', (stats) => stats.started);
    counter('sched_bench_workflows_completed_total', 'Workflows done (result received; start acknowledged with --no-wait).', (stats) => stats.completed);
    counter('sched_bench_late_starts_total', 'Open loop: starts later than intended by more than 10 ms.', (stats) => stats.lateStarts);
    new Counter({
      name: 'sched_bench_workflows_failed_total', help: 'Failed workflow launches, by kind.', labelNames: ['run_id', 'kind'], registers,
      collect() {
        this.reset();
        const { failuresByKind } = source.stats();
        for (const [kind, count] of Object.entries(failuresByKind) as Array<[FailureKind, number]>) this.inc({ ...labels, kind }, count);
      },
    });
    if (source.serverHealth) serverHealthCounters(registers, labels, source.serverHealth);
    new Gauge({
      name: 'sched_bench_workflows_in_flight', help: 'Workflows started and not yet done.', labelNames: ['run_id'], registers,
      collect() {
        this.set(labels, source.stats().inFlight);
      },
    });
    new Gauge({ name: 'sched_bench_concurrency', help: 'In-flight limit (closed loop) or cap (open loop).', labelNames: ['run_id'], registers }).set(labels, source.concurrency);
    if (source.targetRate !== undefined) {
      new Gauge({ name: 'sched_bench_target_rate', help: 'Open loop: intended starts per second.', labelNames: ['run_id'], registers }).set(labels, source.targetRate);
    }
    this.startLatency = new Histogram({
      name: 'sched_bench_start_latency_seconds', help: 'Start RPC sent (or intended, open loop) to acknowledged, measured workflows.',
      labelNames: ['run_id'], buckets: LATENCY_BUCKETS, registers,
    });
    this.e2eLatency = new Histogram({
      name: 'sched_bench_e2e_latency_seconds', help: 'Start sent (or intended, open loop) to result received, measured workflows.',
      labelNames: ['run_id'], buckets: LATENCY_BUCKETS, registers,
    });
    this.operationLatency = new Histogram({
      name: 'sched_bench_operation_latency_seconds',
      help: 'A workload operation\'s latency (signal.sent, update.accepted, timer.lag, ...; see the README\'s Workloads), measured workflows.',
      labelNames: ['run_id', 'operation'], buckets: LATENCY_BUCKETS, registers,
    });
  }

  /** One operation's latency (SchedulerSink.operationLatency); the operation name is the label's value. */
  observeOperation(operation: OperationName, latencyMs: number): void {
    this.operationLatency.observe({ ...this.labels, operation }, latencyMs / 1000);
  }

  observeStart(latencyMs: number): void {
    this.startLatency.observe(this.labels, latencyMs / 1000);
  }

  observeE2e(latencyMs: number): void {
    this.e2eLatency.observe(this.labels, latencyMs / 1000);
  }
}

/**
 * A `schedules` run in Prometheus form: the fire counts (read from the observer at scrape time, as the
 * periodic line shows them) and the fire lag of each recorded fire.
 */
export class ScheduleExporter extends RegistryExporter {
  private readonly fireLag: Histogram<'run_id'>;
  private readonly labels: { run_id: string };

  constructor(runId: string, counts: () => ScheduleCounts, serverHealth?: () => ServerHealthSnapshot) {
    super();
    const labels = { run_id: runId };
    this.labels = labels;
    const registers = [this.registry];
    if (serverHealth) serverHealthCounters(registers, labels, serverHealth);
    new Gauge({
      name: 'sched_bench_schedule_fires', help: 'Fires of the run\'s schedules so far, by outcome (expected, taken, skipped, missed, buffered).',
      labelNames: ['run_id', 'outcome'], registers,
      collect() {
        const now = counts();
        for (const outcome of ['expected', 'taken', 'skipped', 'missed', 'buffered'] as const) this.set({ ...labels, outcome }, now[outcome]);
      },
    });
    this.fireLag = new Histogram({
      name: 'sched_bench_fire_lag_seconds', help: 'Schedule fire lag: the server started the workflow − the fire was due (jitter included).',
      labelNames: ['run_id'], buckets: LATENCY_BUCKETS, registers,
    });
  }

  observeFireLag(lagMs: number): void {
    this.fireLag.observe(this.labels, lagMs / 1000);
  }
}
