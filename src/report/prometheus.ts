import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { answerOf } from '../capacity/answer.js';
import type { CapacityResult, CapacityStep, SearchPhase } from '../capacity/types.js';
import type { FailureKind } from '../errors.js';
import type { ServerHealthSnapshot } from '../metrics/server-health.js';
import type { OperationName } from '../shared/operations.js';
import type { Threshold } from '../metrics/thresholds.js';
import type { LaunchCountsSnapshot, RunStats } from '../shared/run-stats.js';
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

export interface CapacityExporterSource {
  runId: string;
  /** The SLO the steps are judged by: its limits are served. */
  slo: readonly Threshold[];
  /** The search's precision (what makes an answer; see answerOf). */
  precision: number;
  /** The current step's counts at scrape time (warm-up included); undefined before the first step. */
  currentStep: () => LaunchCountsSnapshot | undefined;
  serverHealth?: () => ServerHealthSnapshot;
}

/** The per-step quantiles served: the two the step table shows. */
const STEP_QUANTILES = { '0.5': 'p50', '0.99': 'p99' } as const;
const SEARCH_PHASES: readonly SearchPhase[] = ['growth', 'bisection'];

/** A rate as a label value: short and stable (a bisection's rates have long fractions). */
const rateLabel = (rate: number): string => String(Math.round(rate * 1000) / 1000);

/**
 * A capacity search in Prometheus form: the step running now (its rate, phase, index and live counts,
 * read from its scheduler at scrape time), each judged step's achieved rate, p50/p99 per latency group
 * and verdict (one series per step: the cardinality is bounded by the step count), the answer as it
 * becomes known, and the SLO's limits, so a dashboard can draw the knee and the line it is judged by.
 */
export class CapacityExporter extends RegistryExporter {
  private current: { rate: number; phase: SearchPhase; index: number } | undefined;
  private readonly steps: CapacityStep[] = [];
  private result: Pick<CapacityResult, 'answer' | 'stopReason'> | undefined;

  constructor(private readonly source: CapacityExporterSource) {
    super();
    const labels = { run_id: source.runId };
    const registers = [this.registry];
    if (source.serverHealth) serverHealthCounters(registers, labels, source.serverHealth);
    this.currentStepGauges(registers, labels);
    this.judgedStepGauges(registers, labels);
    this.answerGauges(registers, labels);
    const sloLimit = new Gauge({
      name: 'sched_bench_capacity_slo_limit', help: 'An SLO threshold\'s limit: seconds for a latency, else the number as written.',
      labelNames: ['run_id', 'threshold', 'metric'], registers,
    });
    for (const threshold of source.slo) {
      sloLimit.set({ ...labels, threshold: threshold.expression, metric: threshold.metric }, threshold.kind === 'latency' ? threshold.limit / 1000 : threshold.limit);
    }
  }

  /** A step begins (SearchHooks.onStepStart). */
  stepStarted(rate: number, phase: SearchPhase, index: number): void {
    this.current = { rate, phase, index };
  }

  /** A step was judged (SearchHooks.onStep). */
  stepJudged(step: CapacityStep): void {
    this.steps.push(step);
  }

  /** The search ended: its answer is the capacity. */
  finished(result: Pick<CapacityResult, 'answer' | 'stopReason'>): void {
    this.result = result;
  }

  private currentStepGauges(registers: Registry[], labels: { run_id: string }): void {
    const now = () => this.current;
    const currentStep = this.source.currentStep;
    const currentGauge = (name: string, help: string, value: (current: NonNullable<CapacityExporter['current']>) => number) =>
      new Gauge({
        name, help, labelNames: ['run_id'], registers,
        collect() {
          this.reset();
          const current = now();
          if (current) this.set(labels, value(current));
        },
      });
    currentGauge('sched_bench_capacity_step_target_rate', 'The current step\'s target rate (wf/s).', (current) => current.rate);
    currentGauge('sched_bench_capacity_step_index', 'The current step\'s index (0-based, in the order run).', (current) => current.index);
    new Gauge({
      name: 'sched_bench_capacity_step_phase', help: 'The current step\'s search phase: 1 for it, 0 for the other (growth, bisection).',
      labelNames: ['run_id', 'phase'], registers,
      collect() {
        this.reset();
        const current = now();
        if (current) for (const phase of SEARCH_PHASES) this.set({ ...labels, phase }, phase === current.phase ? 1 : 0);
      },
    });
    new Gauge({
      name: 'sched_bench_capacity_step_workflows', help: 'The current step so far (warm-up included), by state (launched, started, completed, failed, in_flight).',
      labelNames: ['run_id', 'state'], registers,
      collect() {
        this.reset();
        const counts = currentStep();
        if (!counts) return;
        const states = { launched: counts.launched, started: counts.started, completed: counts.completed, failed: counts.failed, in_flight: counts.inFlight };
        for (const [state, count] of Object.entries(states)) this.set({ ...labels, state }, count);
      },
    });
  }

  private judgedStepGauges(registers: Registry[], labels: { run_id: string }): void {
    const steps = this.steps;
    const stepLabels = (step: CapacityStep) => ({ ...labels, step: String(step.index), target_rate: rateLabel(step.targetRate) });
    new Gauge({
      name: 'sched_bench_capacity_step_achieved_rate', help: 'A judged step\'s starts sent per second of its measured window (wf/s).',
      labelNames: ['run_id', 'step', 'target_rate'], registers,
      collect() {
        for (const step of steps) this.set(stepLabels(step), step.achievedRate);
      },
    });
    new Gauge({
      name: 'sched_bench_capacity_step_latency_seconds', help: 'A judged step\'s latency quantile (0.5, 0.99) per latency group (start, e2e, start_lateness, operations).',
      labelNames: ['run_id', 'step', 'target_rate', 'group', 'quantile'], registers,
      collect() {
        for (const step of steps) {
          for (const [group, summary] of Object.entries(step.measurement.latency)) {
            if (!summary || summary.count === 0) continue;
            for (const [quantile, statistic] of Object.entries(STEP_QUANTILES)) this.set({ ...stepLabels(step), group, quantile }, summary[statistic] / 1000);
          }
        }
      },
    });
    new Gauge({
      name: 'sched_bench_capacity_step_verdict', help: 'A judged step\'s verdict (pass, fail, client-limited, cut-short): 1 on the series of its verdict.',
      labelNames: ['run_id', 'step', 'target_rate', 'verdict'], registers,
      collect() {
        for (const step of steps) this.set({ ...stepLabels(step), verdict: step.verdict }, 1);
      },
    });
  }

  /** What is known so far: the bracket after every step, the capacity once the search has ended. */
  private answerGauges(registers: Registry[], labels: { run_id: string }): void {
    const ended = () => this.result;
    const answerGauge = (name: string, help: string, value: () => number | undefined) =>
      new Gauge({
        name, help, labelNames: ['run_id'], registers,
        collect() {
          this.reset();
          const known = value();
          if (known !== undefined) this.set(labels, known);
        },
      });
    const soFar = () => this.result?.answer ?? answerOf(this.steps, this.source.precision);
    answerGauge('sched_bench_capacity_rate', 'The capacity found (wf/s): the highest passing target rate; absent until the search ends with one.',
      () => ended()?.answer.capacity);
    answerGauge('sched_bench_capacity_last_passing_rate', 'The highest target rate that passed so far (wf/s); absent until one did.', () => soFar().lastPassingRate);
    answerGauge('sched_bench_capacity_first_failing_rate', 'The lowest target rate above the last passing one that broke the SLO (wf/s); absent until one did.',
      () => soFar().firstFailingRate);
    new Gauge({
      name: 'sched_bench_capacity_search_done', help: 'The search has ended: 1, labelled with why it stopped; absent while it runs.',
      labelNames: ['run_id', 'stop_reason'], registers,
      collect() {
        this.reset();
        const result = ended();
        if (result) this.set({ ...labels, stop_reason: result.stopReason }, 1);
      },
    });
  }
}
