import { UsageError } from '../errors.js';
import { MAX_CONCURRENCY, MAX_RATE } from '../scheduler/load-model.js';
import type { LoadModel, RunMode } from '../scheduler/types.js';
import type { CliLookup } from '../temporal/dev-server.js';
import type { LoadSpec } from '../run/load-spec.js';
import type { SessionSpec } from '../run/session.js';
import { MIN_CATCHUP_WINDOW_SECONDS, type SchedulesSpec } from '../run/schedules-spec.js';
import { parseCron } from '../schedules/fire-times.js';
import type { FireSpec } from '../shared/schedule-types.js';
import { hostname } from 'node:os';
import { connectionKindOf, connectionSettings, sdkConnectionKindOf } from './connection.js';
import type { DistributedSpec } from '../run/distributed-run.js';
import type { AgentSpec } from '../run/agent-run.js';
import { cacheDirOf } from '../temporal/temporal-cli.js';
import { CLOSED_LOOP_DEFAULT_CONCURRENCY, DRAIN_STALL_SECONDS, ECHO_DEFAULTS, OPEN_LOOP_DEFAULT_CONCURRENCY, type RunConfig } from './options.js';
import { workerTuningOf } from './worker-tuning.js';
import { workloadOf } from './workload.js';
import { defaultConfig, originOf } from './config.js';
import { cliLookupOf } from '../temporal/temporal-cli.js';
import type { CapacitySpec } from '../run/capacity-run.js';
import { resolveCapacitySettings, type CapacityOptions } from '../capacity/search.js';
import { checkThresholdsMeasured, type LatencyGroup } from '../metrics/thresholds.js';
import { operationsMeasuredBy } from '../workloads/workload.js';
import type { Workload } from '../scheduler/types.js';

/**
 * From resolved options to what the run layer runs: every derived default and every rule that
 * spans options is decided here, once, for every command.
 */

/** An embedded worker runs with --worker, and always with --dev-server (nothing else would run its workflows). */
export function hasEmbeddedWorker(config: Pick<RunConfig, 'worker' | 'devServer'>): boolean {
  return config.worker || config.devServer;
}

/**
 * The load model: open with --rate, else closed. The in-flight limit is --concurrency, else 10 slots
 * (closed loop) or a cap of 1000 (open loop).
 */
export function loadModelOf(config: Pick<RunConfig, 'concurrency' | 'rate' | 'stages'>): LoadModel {
  const open = config.rate !== undefined;
  const concurrency = config.concurrency ?? (open ? OPEN_LOOP_DEFAULT_CONCURRENCY : CLOSED_LOOP_DEFAULT_CONCURRENCY);
  return {
    kind: open ? 'open' : 'closed', concurrency,
    ...(config.rate !== undefined ? { rate: config.rate } : {}), ...(config.stages ? { stages: config.stages } : {}),
  };
}

/** Where the run's server is and what runs beside the load; `kind` overrides the connection's default kind. */
function sessionSpecOf(config: RunConfig, cliLookup: CliLookup, kind?: RunConfig['connection']): SessionSpec {
  // With a dev server only the kind, compression and timeout apply; the cluster's TLS files are not read.
  const connection = config.devServer
    ? { address: config.address, kind: connectionKindOf(config), compression: config.grpcCompression, connectTimeoutMs: config.connectTimeout * 1000 }
    : connectionSettings(config);
  return {
    connection: kind ? { ...connection, kind } : connection,
    ...(config.devServer ? { devServer: cliLookup } : {}),
    namespace: config.namespace,
    taskQueue: config.taskQueue,
    ...(hasEmbeddedWorker(config) ? { worker: workerTuningOf(config) } : {}),
    ...(config.metricsPort !== undefined ? { metricsPort: config.metricsPort } : {}),
  };
}

function checkLoadOptions(config: RunConfig): void {
  if (config.rate === 0 && !config.stages) throw new UsageError('--rate 0 makes sense only as the start of --stages');
  if (config.rate !== undefined && config.stages?.some((stage) => stage.target > MAX_RATE)) {
    throw new UsageError(`--stages: an open loop's rate must be at most ${MAX_RATE} per second`);
  }
  if (config.rate === undefined && config.stages?.some((stage) => stage.target > MAX_CONCURRENCY)) {
    throw new UsageError(`--stages: a closed loop's concurrency must be at most ${MAX_CONCURRENCY}`);
  }
  checkEagerStart(config);
}

/** SCHEDULER_EAGER_START=true demands what eager start needs: the embedded worker on a native connection. */
function checkEagerStart(config: RunConfig): void {
  if (config.eagerStart === true && !hasEmbeddedWorker(config)) {
    throw new UsageError('SCHEDULER_EAGER_START=true hands workflow tasks to the embedded worker: add --worker (or --dev-server)');
  }
  if (config.eagerStart === true && connectionKindOf(config) !== 'native') {
    throw new UsageError('SCHEDULER_EAGER_START=true needs --connection native (the worker and the client share its connection)');
  }
}

/** `run` (batch) and `infinite`: the whole load run. Throws a UsageError for options that do not go together. */
export function loadSpecOf(mode: RunMode, config: RunConfig, cliLookup: CliLookup): LoadSpec {
  const session = sessionSpecOf(config, cliLookup); // unreadable TLS files are a usage error, before anything starts
  checkLoadOptions(config);
  return {
    ...session,
    mode,
    ...(config.runId !== undefined ? { runId: config.runId } : {}),
    idPrefix: config.idPrefix,
    loadModel: loadModelOf(config),
    totalWorkflows: config.totalWorkflows,
    ...(config.duration !== undefined ? { duration: config.duration } : {}),
    maxRuntime: config.maxRuntime,
    warmup: config.warmup,
    reportInterval: config.reportInterval,
    wait: config.wait,
    workload: workloadOf(config),
    historySample: config.historySample,
    ...(config.startDelay !== undefined ? { startDelayMs: config.startDelay * 1000 } : {}),
    eagerStart: eagerStartOf(config),
    retryTimeout: config.retryTimeout,
    maxOutage: config.maxOutage,
    drain: {
      ...(config.drainTimeout !== undefined ? { timeout: config.drainTimeout } : { stallTimeout: DRAIN_STALL_SECONDS }),
      onStop: config.onStop,
    },
    thresholds: config.thresholds,
    verify: config.verify,
  };
}

/**
 * The control task queue's cluster: --control-address (else --address) with the same TLS and API key;
 * the coordinator and the agents' worker go through the SDK, so its connection is the SDK's native one.
 */
function controlOf(config: RunConfig): DistributedSpec['control'] {
  const cluster = connectionSettings(config);
  return {
    connection: { ...cluster, address: config.controlAddress ?? config.address, kind: 'native' },
    namespace: config.controlNamespace ?? config.namespace,
    taskQueue: config.controlTaskQueue,
  };
}

/** What this process would have to do itself, which the agents cannot do for it. */
const NOT_WITH_AGENTS: ReadonlyArray<[keyof RunConfig, string, string]> = [
  ['devServer', '--dev-server', 'the agents cannot reach a private dev server of this process; start one with `temporal server start-dev` and give them its --address'],
  ['worker', '--worker', 'run `sched-bench worker` beside the agents'],
  ['metricsPort', '--metrics-port', 'not with --agents yet'],
  ['verify', '--verify', 'not with --agents yet'],
  ['ndjson', '--ndjson', 'not with --agents yet (--json and --html are)'],
];

/** A UsageError for the first of `refused` the config gives beside --agents. */
function refuseWithAgents(config: RunConfig, refused: ReadonlyArray<[keyof RunConfig, string, string]>): void {
  for (const [key, flag, why] of refused) {
    const value = config[key];
    if (value !== undefined && value !== false) throw new UsageError(`${flag} with ${originOf(config, 'agents')}: ${why}`);
  }
}

/** `run|infinite --agents N`: the whole load as one LoadSpec, and how it is spread over the agents. */
export function distributedSpecOf(mode: RunMode, config: RunConfig, cliLookup: CliLookup): DistributedSpec {
  const agents = config.agents!;
  refuseWithAgents(config, NOT_WITH_AGENTS);
  const load = loadSpecOf(mode, config, cliLookup);
  if (load.loadModel.concurrency < agents) {
    throw new UsageError(
      `${originOf(config, 'concurrency')} ${load.loadModel.concurrency} cannot be split among ${agents} agents: each needs at least one slot`,
    );
  }
  if (mode === 'batch' && config.totalWorkflows < agents) {
    throw new UsageError(`${originOf(config, 'totalWorkflows')} ${config.totalWorkflows} cannot be split among ${agents} agents: each needs at least one workflow`);
  }
  return { load, agents, agentWait: config.agentWait, onAgentLoss: config.onAgentLoss, control: controlOf(config) };
}

/** `sched-bench agent`: its name, its own connection to the cluster under test, and the control task queue. */
export function agentSpecOf(config: RunConfig, env: Record<string, string | undefined> = process.env): AgentSpec {
  return {
    name: config.agentName ?? `${hostname()}-${process.pid}`,
    connection: connectionSettings(config),
    control: controlOf(config),
    reportInterval: 1,
    bundleCacheDir: cacheDirOf(env),
  };
}

/** Eager start was measured faster wherever it applies: on unless turned off. */
function eagerStartOf(config: RunConfig): boolean {
  return config.eagerStart ?? (hasEmbeddedWorker(config) && connectionKindOf(config) === 'native');
}

/**
 * The library's way in: a LoadSpec from options named as the CLI names them in its JSON config (the
 * options table's keys), every other option at its default, with the CLI's rules.
 */
export function loadSpecFrom(mode: RunMode, options: Partial<RunConfig> = {}, env: Record<string, string | undefined> = process.env): LoadSpec {
  return loadSpecOf(mode, { ...defaultConfig(), ...options }, cliLookupOf(env));
}

/** When the schedules fire: --cron, else every --every seconds (whole seconds, at least 1). */
function fireSpecOf(config: RunConfig): FireSpec {
  if (config.cron !== undefined && config.every !== undefined) throw new UsageError('give --every or --cron, not both');
  if (config.cron !== undefined) return { kind: 'cron', expression: config.cron.trim(), cron: parseCron(config.cron) };
  const everySeconds = config.every ?? 1;
  // The server keeps whole seconds of an interval: 1.5s would fire every second.
  if (everySeconds < 1 || !Number.isInteger(everySeconds)) throw new UsageError(`--every must be whole seconds, at least 1s, got ${everySeconds}s`);
  return { kind: 'interval', everyMs: everySeconds * 1000 };
}

/**
 * `schedules`: the Temporal Schedules benchmark. It starts a direct load beside the schedules only when
 * asked (--concurrency or --rate); schedules are the SDK's, so the connection is native unless told otherwise.
 */
export function schedulesSpecOf(config: RunConfig, cliLookup: CliLookup): SchedulesSpec {
  const session = sessionSpecOf(config, cliLookup, sdkConnectionKindOf(config)); // unreadable TLS files: exit 2 before anything starts
  const fire = fireSpecOf(config);
  if (config.fires === undefined && config.duration === undefined) throw new UsageError('schedules need --duration or --fires (per schedule)');
  if (config.catchupWindow !== undefined && config.catchupWindow < MIN_CATCHUP_WINDOW_SECONDS) {
    throw new UsageError(`--catchup-window must be at least ${MIN_CATCHUP_WINDOW_SECONDS}s: the server raises anything shorter to that`);
  }
  const directLoad = config.concurrency !== undefined || config.rate !== undefined;
  return {
    ...session,
    ...(config.runId !== undefined ? { runId: config.runId } : {}),
    schedules: config.schedules,
    fire,
    ...(config.fires !== undefined ? { fires: config.fires } : {}),
    ...(config.duration !== undefined ? { duration: config.duration } : {}),
    jitter: config.jitter,
    overlap: config.overlap,
    ...(config.catchupWindow !== undefined ? { catchupWindow: config.catchupWindow } : {}),
    onConflict: config.onConflict,
    input: {
      message: config.message ?? ECHO_DEFAULTS.message, count: config.count ?? ECHO_DEFAULTS.count,
      ...(config.activityDelay ? { activityDelayMs: config.activityDelay } : {}), ...(config.localActivities ? { localActivities: true } : {}),
    },
    reportInterval: config.reportInterval,
    ...(directLoad ? { directLoad: { loadModel: loadModelOf(config), wait: config.wait, workload: workloadOf(config) } } : {}),
    thresholds: config.thresholds,
  };
}

/** The library's way into a schedules run: options named as the CLI names them, the rest at their defaults. */
export function schedulesSpecFrom(options: Partial<RunConfig> = {}, env: Record<string, string | undefined> = process.env): SchedulesSpec {
  return schedulesSpecOf({ ...defaultConfig(['run', 'infinite', 'schedules']), ...options }, cliLookupOf(env));
}

/** What a capacity step measures with this workload: what the SLO may name (every step waits for the results). */
function checkSloMeasured(config: RunConfig, slo: NonNullable<RunConfig['slo']>, workload: Workload): void {
  const latency: LatencyGroup[] = ['start', 'e2e', 'start_lateness', ...operationsMeasuredBy(workload, { wait: true, historySample: config.historySample })];
  checkThresholdsMeasured(slo, { latency, numbers: ['failed.rate', 'failed.count'] }, 'capacity', {
    delay_lag: 'capacity takes no --start-delay',
  });
}

/**
 * The rules between the search's options, each named as it was given: its flag, or the variable it
 * came from (the search repeats them for library callers).
 */
function checkCapacityOptions(config: RunConfig): void {
  const named = (key: 'startRate' | 'maxRate' | 'stepDuration' | 'stepWarmup' | 'maxDuration'): string => originOf(config, key);
  if (config.maxRate !== undefined && config.startRate > config.maxRate) {
    throw new UsageError(`${named('startRate')} ${config.startRate} is above ${named('maxRate')} ${config.maxRate}: the first step would break the bound`);
  }
  if (config.startRate * config.stepDuration < 1) {
    throw new UsageError(
      `a step of ${named('stepDuration')} ${config.stepDuration}s at ${named('startRate')} ${config.startRate} has no arrival to measure: raise one of them`,
    );
  }
  const stepSeconds = config.stepDuration + config.stepWarmup;
  if (config.maxDuration !== undefined && config.maxDuration < stepSeconds) {
    throw new UsageError(
      `${named('maxDuration')} ${config.maxDuration}s leaves no room for one step (${named('stepDuration')} ${config.stepDuration}s + ${named('stepWarmup')} ${config.stepWarmup}s)`,
    );
  }
}

/**
 * What `capacity --agents` cannot do: what this process would do itself (as for run --agents; a step's
 * NDJSON record is written here, so --ndjson is fine).
 */
const CAPACITY_NOT_WITH_AGENTS = NOT_WITH_AGENTS.filter(([key]) => key === 'devServer' || key === 'worker' || key === 'metricsPort');

/** `capacity --agents N`: how each step is spread over the agents; undefined without --agents. */
function capacityAgentsOf(config: RunConfig, maxInFlight: number): CapacitySpec['agents'] {
  const agents = config.agents;
  if (agents === undefined) return undefined;
  refuseWithAgents(config, CAPACITY_NOT_WITH_AGENTS);
  if (config.onAgentLoss !== 'fail') {
    throw new UsageError(
      `${originOf(config, 'onAgentLoss')} ${config.onAgentLoss} with capacity: a lost agent stops the search (a re-run slice would measure another window); give fail`,
    );
  }
  if (maxInFlight < agents) {
    throw new UsageError(`${originOf(config, 'concurrency')} ${maxInFlight} cannot be split among ${agents} agents: each needs at least one slot`);
  }
  // Heartbeats every second (capacity has no --report-interval): a lost agent is told within 10 s, and the
  // slices' interval points show the in-flight cap filling.
  return { agents, agentWait: config.agentWait, reportInterval: 1, control: controlOf(config) };
}

/**
 * `capacity`: the search for the highest rate the cluster sustains within the SLO. Every option is
 * checked here, so that a bad one is one line and exit 2 before any server is started.
 */
export function capacitySpecOf(config: RunConfig, cliLookup: CliLookup): CapacitySpec {
  const agents = capacityAgentsOf(config, config.concurrency ?? OPEN_LOOP_DEFAULT_CONCURRENCY);
  const session = sessionSpecOf(config, cliLookup); // unreadable TLS files: exit 2 before anything starts
  const { slo } = config;
  if (slo === undefined) throw new UsageError('capacity needs an SLO: --slo (or SCHEDULER_SLO), e.g. --slo "e2e.p99<2s,failed.rate<0.1%"');
  checkEagerStart(config);
  checkCapacityOptions(config);
  const workload = workloadOf(config);
  checkSloMeasured(config, slo, workload);
  const search: CapacityOptions = {
    slo, startRate: config.startRate, precision: config.precision, stepDurationMs: config.stepDuration * 1000, warmupMs: config.stepWarmup * 1000,
    ...(config.maxRate !== undefined ? { maxRate: config.maxRate } : {}),
    ...(config.maxDuration !== undefined ? { maxDurationMs: config.maxDuration * 1000 } : {}),
  };
  resolveCapacitySettings(search); // what the flags' own checks leave to the search is refused now too, not after connecting
  return {
    ...session,
    ...(config.runId !== undefined ? { runId: config.runId } : {}),
    idPrefix: config.idPrefix,
    workload,
    search,
    maxInFlight: config.concurrency ?? OPEN_LOOP_DEFAULT_CONCURRENCY,
    drainStallSeconds: DRAIN_STALL_SECONDS,
    retryTimeout: config.retryTimeout,
    maxOutage: config.maxOutage,
    eagerStart: eagerStartOf(config),
    historySample: config.historySample,
    ...(agents ? { agents } : {}),
  };
}

/**
 * The library's way into a capacity search: options named as the CLI names them (`slo` as parsed
 * thresholds: parseSlo), the rest at their defaults, with the CLI's rules.
 */
export function capacitySpecFrom(options: Partial<RunConfig> = {}, env: Record<string, string | undefined> = process.env): CapacitySpec {
  return capacitySpecOf({ ...defaultConfig(['run', 'infinite', 'capacity']), ...options }, cliLookupOf(env));
}
