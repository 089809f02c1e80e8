/**
 * The one table of options: it drives the commander flags, `--help`, config resolution and
 * validation. `.env.example` and README's options tables are made from it by `npm run docs`
 * (src/cli/options-docs.ts; its TOPICS place each option under a heading): never edit them by hand.
 */

import { MAX_CONCURRENCY, MAX_RATE } from '../scheduler/load-model.js';
import type { Stage } from '../shared/run-stats.js';
import { parseThresholdList, type Threshold } from '../metrics/thresholds.js';
import { parseDecimal, parseWholeNumber } from '../numbers.js';
import { WORKLOAD_NAMES, type WorkloadName } from '../workloads/workload.js';
import { DEFAULT_PRECISION, DEFAULT_STEP_DURATION_MS } from '../capacity/search.js';
import { parseSlo } from '../capacity/slo.js';
import { parseExpectation, type Expectation } from '../capacity/expectation.js';

export type CommandName = 'run' | 'infinite' | 'worker' | 'cleanup' | 'report' | 'schedules' | 'capacity' | 'agent';

import type { OverlapPolicyName } from '../shared/schedule-types.js';
export type OnConflictName = 'fail' | 'reuse';

/** A PEM file, or PEM text given directly (TEMPORAL_TLS_*_DATA, or inline in a TOML profile). */
export type PemSource = { path: string } | { data: string };

export type ConnectionKind = 'http2' | 'native' | 'grpc';
export type GrpcCompression = 'gzip' | 'none';

/** In-flight cap of an open loop when --concurrency is not given. */
export const OPEN_LOOP_DEFAULT_CONCURRENCY = 1000;
export const CLOSED_LOOP_DEFAULT_CONCURRENCY = 10;
/**
 * Without --drain-timeout the drain gives up once no workflow has finished for this many seconds (plus
 * the workload's activity and start delays; twice the longest workflow seen if longer): workflows
 * nobody runs (no worker, an unknown type) cannot hold a stopped run for ever.
 */
export const DRAIN_STALL_SECONDS = 60;

export interface RunConfig {
  address: string;
  namespace: string;
  /** Profile of the Temporal TOML config file (TEMPORAL_CONFIG_FILE). */
  profile: string | undefined;
  apiKey: string | undefined;
  /** undefined: on when any TLS setting or an API key is given. */
  tls: boolean | undefined;
  tlsCert: PemSource | undefined;
  tlsKey: PemSource | undefined;
  tlsCa: PemSource | undefined;
  tlsServerName: string | undefined;
  /** gRPC metadata (HTTP/2 headers) sent with every request. */
  grpcMeta: Record<string, string>;
  connection: ConnectionKind | undefined;
  grpcCompression: GrpcCompression;
  /** Seconds to keep trying to connect (a server that is not up yet). */
  connectTimeout: number;
  /** Seconds one start or result wait keeps retrying refusals (unavailable, throttled); 0: no retries. */
  retryTimeout: number;
  taskQueue: string;
  /** undefined: 10 in a closed loop, 1000 (the in-flight cap) in an open loop. */
  concurrency: number | undefined;
  /** Starts per second: open loop. */
  rate: number | undefined;
  stages: Stage[] | undefined;
  /** Seconds. */
  duration: number | undefined;
  /** Seconds. */
  warmup: number;
  reportInterval: number;
  /** EchoWorkflow (given only where echo is launched); undefined: ECHO_DEFAULTS. */
  message: string | undefined;
  count: number | undefined;
  totalWorkflows: number;
  maxRuntime: number;
  wait: boolean;
  worker: boolean;
  devServer: boolean;
  /** Ask the server to hand each new workflow's first task straight to the embedded worker; undefined: auto. */
  eagerStart: boolean | undefined;
  /** Start each workflow with Temporal's start delay (seconds). */
  startDelay: number | undefined;
  /** `schedules`: how many Temporal Schedules, and when they fire. */
  schedules: number;
  every: number | undefined;
  cron: string | undefined;
  jitter: number;
  fires: number | undefined;
  overlap: OverlapPolicyName;
  catchupWindow: number | undefined;
  onConflict: OnConflictName;
  /** Start this workflow type (hosted by the user's workers) instead of the EchoWorkflow. */
  workflowType: string | undefined;
  /** Arguments for --workflow-type, one JSON value each. */
  input: unknown[] | undefined;
  inputFile: string | undefined;
  /** EchoWorkflow: pad the message to this many bytes. */
  payloadSize: number | undefined;
  /** EchoWorkflow: each echo activity sleeps this long (ms). */
  activityDelay: number;
  localActivities: boolean;
  idPrefix: string;
  /** What each launch does (src/workloads/workload.ts); echo: the EchoWorkflow or --workflow-type. */
  workload: WorkloadName;
  /** Per workflow of the signal/update/query workloads; undefined: WORKLOAD_DEFAULTS (given only where used). */
  signals: number | undefined;
  updates: number | undefined;
  queries: number | undefined;
  /** child: children per parent. */
  children: number | undefined;
  /** timer: seconds. */
  timerDuration: number | undefined;
  /** continue-as-new: runs after the first. */
  iterations: number | undefined;
  /** --workload mix: the parts and their weights. */
  mix: MixSpecPart[] | undefined;
  /** --workload mix: the seed of its draws; undefined: WORKLOAD_DEFAULTS.seed. */
  seed: number | undefined;
  /** The fraction of workflows whose history is read for the workers' schedule-to-start latencies. */
  historySample: number;
  /** Worker tuning (`worker`, and the embedded worker of --worker / --dev-server). */
  workers: number;
  workflowSlots: number | undefined;
  activitySlots: number | undefined;
  pollers: number | 'autoscaling' | undefined;
  stickyCacheSize: number | undefined;
  /** cleanup: the run whose workflows to remove. */
  runId: string | undefined;
  /** cleanup: every run's workflows. */
  all: boolean;
  /** report: merge the results of processes that ran together into one. */
  merge: boolean;
  /** report --merge: also merge results whose run ids differ. */
  forceMerge: boolean;
  dryRun: boolean;
  /** Seconds to wait for in-flight workflows after the stop; undefined: until none finished for DRAIN_STALL_SECONDS. */
  drainTimeout: number | undefined;
  /** Seconds the server may stay unreachable before the run gives up (exit 1); 0: never. */
  maxOutage: number;
  /** What to do with workflows still running when the drain times out. */
  onStop: 'leave' | 'terminate';
  /** Serve Prometheus metrics on this port (the SDK's on the next one). */
  metricsPort: number | undefined;
  /** Live status line on a terminal (off: plain lines only). */
  progress: boolean;
  /** Only the end line and the summary. */
  quiet: boolean;
  json: string | undefined;
  /** Write a self-contained HTML report. */
  html: string | undefined;
  ndjson: string | undefined;
  thresholds: Threshold[];
  verify: boolean;
  /** capacity: the SLO every step must hold; undefined: not given (capacity refuses to start without one). */
  slo: Threshold[] | undefined;
  /** capacity: the first step's rate, wf/s. */
  startRate: number;
  /** capacity: each step's measured part, and the warm-up before it (s). */
  stepDuration: number;
  stepWarmup: number;
  /** capacity: bisect until the bracket is within this fraction. */
  precision: number;
  /** capacity: no step above this rate (wf/s); undefined: the open loop's MAX_RATE. */
  maxRate: number | undefined;
  /** capacity: the whole search's budget (s); undefined: none. */
  maxDuration: number | undefined;
  /** capacity: the CI gate on the capacity found (`>=100`). */
  expect: Expectation | undefined;
  /** run/infinite/capacity: fan the load out to this many `sched-bench agent` processes; undefined: generate it here. */
  agents: number | undefined;
  /** --agents: how long to wait for the agents to poll (s). */
  agentWait: number;
  /** --agents: what a lost agent's slice becomes (capacity: fail only). */
  onAgentLoss: 'fail' | 'rerun';
  /** The control task queue agents poll, its namespace (undefined: --namespace) and address (undefined: --address). */
  controlTaskQueue: string;
  controlNamespace: string | undefined;
  controlAddress: string | undefined;
  /** agent: its name in slices, heartbeats and reports; undefined: host name and pid. */
  agentName: string | undefined;
}

/** One part of --mix: a workload name and its integer weight. */
export interface MixSpecPart {
  name: Exclude<WorkloadName, 'mix'>;
  weight: number;
}

/** Parses a raw flag or environment value; throws an Error whose message says what was expected. */
type Parser<T> = (raw: string) => T;

export interface OptionSpec<K extends keyof RunConfig = keyof RunConfig> {
  key: K;
  /** Commander flag syntax, e.g. `--concurrency <n>` or `--no-wait`. */
  flag: string;
  /** Environment variables, highest priority first. */
  env: readonly string[];
  defaultValue: RunConfig[K];
  description: string;
  parse: Parser<RunConfig[K]>;
  commands: readonly CommandName[];
  /** The flag may be given several times; the values are joined with `joinWith` (default `;`) before parsing. */
  repeatable?: boolean;
  joinWith?: string;
  /** Shown instead of the default in --help when the default is computed. */
  defaultText?: string;
  /**
   * The value taken where the option applies when it is not given, for an option whose defaultValue is
   * undefined so that "given" can be told from "not given" (--message, --count): the JSON result shows it.
   */
  appliedDefault?: RunConfig[K];
  /** Never printed: redacted in the JSON result and in messages. */
  secret?: boolean;
  /** A variable holding the PEM text itself rather than a path (TEMPORAL_TLS_*_DATA). */
  dataEnv?: string;
  /** Variables named `<prefix><KEY>` each add one key=value (TEMPORAL_GRPC_META_*). */
  envPrefix?: string;
}

const expected = (what: string): never => {
  throw new Error(`expected ${what}`);
};

/** Whole numbers in decimal (src/numbers.ts: the grammar every numeric option shares). */
export const parseInteger =
  (min: number): Parser<number> =>
  (raw) => {
    const value = parseWholeNumber(raw);
    return value !== undefined && value >= min ? value : expected(`an integer ≥ ${min} in plain digits`);
  };

export const parseBoolean: Parser<boolean> = (raw) => {
  const text = raw.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(text)) return true;
  if (['false', '0', 'no', 'off'].includes(text)) return false;
  return expected('true or false');
};

export const parseText: Parser<string> = (raw) => (raw.trim() !== '' ? raw : expected('a non-empty text'));

export const parseNonNegativeNumber: Parser<number> = (raw) => {
  const value = parseDecimal(raw);
  return value !== undefined && value >= 0 ? value : expected('a number ≥ 0 (0 only as the start of --stages)');
};

const DURATION_UNITS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600 };

/** `90` (seconds), `500ms`, `30s`, `1m`, `1h30m` → seconds. */
export function durationSeconds(raw: string): number | undefined {
  const text = raw.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
  if (!/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(text)) return undefined;
  let total = 0;
  for (const [, amount, unit] of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) total += Number(amount) * DURATION_UNITS[unit!]!;
  return total;
}

/**
 * The longest duration of an option sched-bench times itself: Node.js timers reach 2^31 − 1 ms (about
 * 24.8 days) and fire at once beyond it, so longer ones are refused rather than misbehaving.
 */
export const MAX_DURATION_SECONDS = 596 * 3600;
const MAX_DURATION_TEXT = `${MAX_DURATION_SECONDS / 3600}h (about 24.8 days, the longest timer Node.js can set)`;
/** The shortest report interval: below it the timer's own lag under load is much of the interval. */
export const MIN_REPORT_INTERVAL_SECONDS = 0.1;

interface DurationBounds {
  allowZero: boolean;
  /** Seconds; a shorter (non-zero) value is refused. */
  min?: number;
  /** Timed by the server alone (start delay, jitter, catch-up window): not bound by Node's timers. */
  serverSide?: boolean;
}

export const parseDuration =
  ({ allowZero, min, serverSide = false }: DurationBounds): Parser<number> =>
  (raw) => {
    const seconds = durationSeconds(raw);
    const valid = seconds !== undefined && Number.isFinite(seconds) && (allowZero ? seconds >= 0 : seconds > 0);
    if (!valid) return expected(`a duration ${allowZero ? '≥ 0' : '> 0'} such as 30s, 1m, 1h or 90 (seconds)`);
    if (!serverSide && seconds > MAX_DURATION_SECONDS) return expected(`a duration of at most ${MAX_DURATION_TEXT}`);
    if (min !== undefined && seconds > 0 && seconds < min) return expected(`a duration of at least ${min * 1000}ms`);
    return seconds;
  };

/** Milliseconds an echo activity sleeps (a Node timer in the worker): an integer up to the timer limit. */
export const parseActivityDelay: Parser<number> = (raw) => {
  const ms = parseInteger(0)(raw);
  return ms <= MAX_DURATION_SECONDS * 1000 ? ms : expected(`at most ${MAX_DURATION_SECONDS * 1000} ms (${MAX_DURATION_TEXT})`);
};

/** `30s:50,1m:200,30s:0`: k6-style stages, each `<duration>:<target>`, lasting at most MAX_DURATION_SECONDS in all. */
export const parseStages: Parser<Stage[]> = (raw) => {
  const stages = raw.split(',').map((part) => {
    const [durationText, targetText, extra] = part.trim().split(':');
    const seconds = durationText === undefined ? undefined : durationSeconds(durationText);
    const target = targetText === undefined ? undefined : parseDecimal(targetText);
    if (extra !== undefined || seconds === undefined || !(seconds > 0) || target === undefined || target < 0) {
      return expected(`stages like 30s:50,1m:200,30s:0 (<duration>:<target ≥ 0>), but "${part.trim()}" is not one`);
    }
    return { durationMs: seconds * 1000, target };
  });
  const totalSeconds = stages.reduce((sum, stage) => sum + stage.durationMs / 1000, 0);
  return totalSeconds <= MAX_DURATION_SECONDS ? stages : expected(`stages lasting in all at most ${MAX_DURATION_TEXT}`);
};

/** host:port, as the Temporal CLI takes it (`[::1]:7233` for IPv6). */
export const parseAddress: Parser<string> = (raw) => {
  const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(raw.trim());
  const port = match ? Number(match[2]) : 0;
  return match && port >= 1 && port <= 65535 ? raw.trim() : expected('host:port, e.g. localhost:7233');
};

export const parsePemPath: Parser<PemSource> = (raw) => ({ path: parseText(raw) });

export const parseConnectionKind: Parser<ConnectionKind> = (raw) => {
  const kind = raw.trim().toLowerCase();
  return kind === 'http2' || kind === 'native' || kind === 'grpc' ? kind : expected('http2, native or grpc');
};

export const parseGrpcCompression: Parser<GrpcCompression> = (raw) => {
  const codec = raw.trim().toLowerCase();
  return codec === 'gzip' || codec === 'none' ? codec : expected('gzip or none');
};

const OVERLAP_POLICIES: readonly OverlapPolicyName[] = ['skip', 'buffer-one', 'buffer-all', 'cancel-other', 'terminate-other', 'allow-all'];

export const parseOverlap: Parser<OverlapPolicyName> = (raw) => {
  const policy = raw.trim().toLowerCase() as OverlapPolicyName;
  return OVERLAP_POLICIES.includes(policy) ? policy : expected(OVERLAP_POLICIES.join(', '));
};

export const parseOnConflict: Parser<OnConflictName> = (raw) => {
  const choice = raw.trim().toLowerCase();
  return choice === 'fail' || choice === 'reuse' ? choice : expected('fail or reuse');
};

/** Workflows in flight at most: from 1 to MAX_CONCURRENCY. */
export const parseConcurrency: Parser<number> = (raw) => {
  const slots = parseInteger(1)(raw);
  return slots <= MAX_CONCURRENCY ? slots : expected(`at most ${MAX_CONCURRENCY} in one process (spread more over several with a shared --run-id)`);
};

/** Starts per second of an open loop: ≥ 0 (0 only as the start of --stages), at most MAX_RATE. */
export const parseRate: Parser<number> = (raw) => {
  const value = parseNonNegativeNumber(raw);
  return value <= MAX_RATE ? value : expected(`a rate of at most ${MAX_RATE} per second (above it per-start timing means nothing; for "as fast as it goes" leave out --rate)`);
};

/** A capacity step's rate (--start-rate, --max-rate): > 0, at most MAX_RATE. */
export const parsePositiveRate: Parser<number> = (raw) => {
  const value = parseDecimal(raw);
  if (value === undefined || !(value > 0)) return expected('a rate > 0 in workflows per second, e.g. 10 or 2.5');
  return value <= MAX_RATE ? value : expected(`a rate of at most ${MAX_RATE} per second`);
};

/** `0.05` or `5%`: strictly between 0 and 1. */
export const parsePrecision: Parser<number> = (raw) => {
  const text = raw.trim();
  const percent = text.endsWith('%');
  const number = parseDecimal(percent ? text.slice(0, -1) : text);
  const value = number !== undefined && percent ? number / 100 : number;
  return value !== undefined && value > 0 && value < 1 ? value : expected('a fraction between 0 and 1 (exclusive), e.g. 0.05 or 5%');
};

/** `key=value` pairs, `;`-separated when repeated. Keys are lower-cased (HTTP/2 header names). */
export const parseKeyValues: Parser<Record<string, string>> = (raw) => {
  const pairs: Record<string, string> = {};
  for (const part of raw.split(';')) {
    const separator = part.indexOf('=');
    const key = part.slice(0, separator).trim().toLowerCase();
    if (separator < 1 || !/^[a-z0-9_.-]+$/.test(key)) throw new Error('expected key=value with a header name as key');
    pairs[key] = part.slice(separator + 1);
  }
  return pairs;
};

/** One JSON value per --input; repeated flags (joined with the unit separator) give several arguments. */
export const INPUT_SEPARATOR = '\u001f';
export const parseJsonArguments: Parser<unknown[]> = (raw) =>
  raw.split(INPUT_SEPARATOR).map((text) => {
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      return expected(`JSON (${(error as Error).message})`);
    }
  });

/** Letters, digits, `-`, `_`, `.`: safe in workflow ids and in visibility queries. */
export const parseIdPrefix: Parser<string> = (raw) =>
  /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(raw.trim()) ? raw.trim() : expected('1-64 letters, digits, ".", "_" or "-"');

export const parseOnStop: Parser<'leave' | 'terminate'> = (raw) => {
  const choice = raw.trim().toLowerCase();
  return choice === 'leave' || choice === 'terminate' ? choice : expected('leave or terminate');
};

export const parseOnAgentLoss: Parser<'fail' | 'rerun'> = (raw) => {
  const choice = raw.trim().toLowerCase();
  return choice === 'fail' || choice === 'rerun' ? choice : expected('fail or rerun');
};

/** The most agents one run fans out to: each is an activity of one coordinator workflow. */
export const MAX_AGENTS = 1000;

export const parseAgents: Parser<number> = (raw) => {
  const agents = parseInteger(1)(raw);
  return agents <= MAX_AGENTS ? agents : expected(`an integer from 1 to ${MAX_AGENTS}`);
};

export const parsePort: Parser<number> = (raw) => {
  const port = parseInteger(1)(raw);
  return port <= 65534 ? port : expected('a port from 1 to 65534 (the next one serves the SDK metrics)');
};

export const parseWorkloadName: Parser<WorkloadName> = (raw) => {
  const name = raw.trim().toLowerCase() as WorkloadName;
  return WORKLOAD_NAMES.includes(name) ? name : expected(WORKLOAD_NAMES.join(', '));
};

/** `echo=70,signal=20,update=10`: workload names (not mix), each once, with integer weights ≥ 1. */
export const parseMix: Parser<MixSpecPart[]> = (raw) => {
  const parts = raw.split(',').map((text) => {
    const [nameText, weightText, extra] = text.trim().split('=');
    const name = (nameText ?? '').trim().toLowerCase() as WorkloadName;
    const weight = weightText === undefined ? undefined : parseWholeNumber(weightText);
    if (extra !== undefined || weight === undefined) {
      return expected(`parts like echo=70,signal=20,update=10 (<workload>=<integer weight>), but "${text.trim()}" is not one`);
    }
    if (name === 'mix') return expected('a mix of other workloads: mix cannot be a part of a mix');
    if (!WORKLOAD_NAMES.includes(name)) return expected(`workload names (${WORKLOAD_NAMES.filter((known) => known !== 'mix').join(', ')}), but "${nameText?.trim()}" is none`);
    if (weight < 1) return expected(`a weight ≥ 1 for each part, but ${name} has ${weight}`);
    return { name: name as MixSpecPart['name'], weight };
  });
  const twice = parts.find((part, index) => parts.findIndex((other) => other.name === part.name) !== index);
  return twice ? expected(`each workload once, but ${twice.name} is there twice`) : parts;
};

/** A seed of 32 bits (the mix's generator keeps 32). */
export const parseSeed: Parser<number> = (raw) => {
  const seed = parseInteger(0)(raw);
  return seed <= 0xffffffff ? seed : expected(`an integer from 0 to ${0xffffffff}`);
};

/**
 * The most children one parent starts: it starts them all in one workflow task, which must finish within
 * the SDK's activation limit (5 s), and the server refuses more than 2000 pending children per workflow
 * by default (PendingChildWorkflowsLimitExceeded, the parent's task failing forever).
 */
export const MAX_CHILDREN = 1000;

export const parseChildren: Parser<number> = (raw) => {
  const children = parseInteger(1)(raw);
  return children <= MAX_CHILDREN ? children : expected(`an integer from 1 to ${MAX_CHILDREN} (a parent starts them all in one workflow task; the server takes 2000 pending children by default)`);
};

/** A fraction from 0 to 1. */
export const parseFraction: Parser<number> = (raw) => {
  const value = parseDecimal(raw);
  return value !== undefined && value >= 0 && value <= 1 ? value : expected('a fraction from 0 to 1, e.g. 0.01');
};

export const parsePollers: Parser<number | 'autoscaling'> = (raw) =>
  ['auto', 'autoscaling'].includes(raw.trim().toLowerCase()) ? 'autoscaling' : parseInteger(1)(raw);

/** The EchoWorkflow's input when --message and --count are not given (each is given only where echo is launched). */
export const ECHO_DEFAULTS = { message: 'Test scheduler', count: 1 } as const;

/** The parameters of the workloads when not given (each is given only to a workload that uses it). */
export const WORKLOAD_DEFAULTS = { signals: 3, updates: 3, queries: 3, children: 3, timerDuration: 1, iterations: 3, seed: 1 } as const;
/**
 * One finished workflow in 100 has its history read: enough samples for a schedule-to-start p99 within
 * minutes at tens of workflows a second, for one extra read per 100 workflows (README "Workloads").
 */
export const HISTORY_SAMPLE_DEFAULT = 0.01;

const LOAD: readonly CommandName[] = ['run', 'infinite'];
/** The load commands plus `capacity`, whose steps are open-loop load runs (workload, retries, eager start). */
const LOAD_AND_CAPACITY: readonly CommandName[] = ['run', 'infinite', 'capacity'];
const WORKERS: readonly CommandName[] = ['run', 'infinite', 'worker', 'schedules', 'capacity'];
const ALL: readonly CommandName[] = ['run', 'infinite', 'worker', 'cleanup', 'schedules', 'capacity'];
/** Every command that connects to the cluster: with the agent, which brings its own connection to its slices. */
const CONNECTED: readonly CommandName[] = [...ALL, 'agent'];
/** The commands whose load --agents fans out to agents: the load commands and `capacity` (each step). */
const DISTRIBUTED: readonly CommandName[] = ['run', 'infinite', 'capacity'];
/** Options of the control task queue that agents poll: the agent, and the commands that hand it slices. */
const CONTROL: readonly CommandName[] = [...DISTRIBUTED, 'agent'];
/** The load commands plus `schedules`, for what both do alike (connection, workload, outputs). */
const LOAD_AND_SCHEDULES: readonly CommandName[] = ['run', 'infinite', 'schedules'];
/** What the load commands, `schedules` and `capacity` do alike (the client connection, the embedded worker, the outputs). */
const RUNNING: readonly CommandName[] = ['run', 'infinite', 'schedules', 'capacity'];
const SCHEDULES: readonly CommandName[] = ['schedules'];
const CAPACITY: readonly CommandName[] = ['capacity'];

function option<K extends keyof RunConfig>(spec: OptionSpec<K>): OptionSpec<K> {
  return spec;
}

export const OPTION_SPECS = [
  option({
    key: 'address', flag: '--address <host:port>', env: ['TEMPORAL_ADDRESS'], defaultValue: 'localhost:7233',
    description: 'Temporal frontend address', parse: parseAddress, commands: CONNECTED,
  }),
  option({
    key: 'namespace', flag: '--namespace <name>', env: ['SCHEDULER_NAMESPACE', 'TEMPORAL_NAMESPACE'],
    defaultValue: 'default', description: 'Temporal namespace', parse: parseText, commands: CONNECTED,
  }),
  option({
    key: 'profile', flag: '--profile <name>', env: ['TEMPORAL_PROFILE'], defaultValue: undefined,
    description: 'profile of the Temporal config file (TEMPORAL_CONFIG_FILE, else ~/.config/temporalio/temporal.toml)',
    parse: parseText, commands: CONNECTED, defaultText: '"default" if the file has it',
  }),
  option({
    key: 'apiKey', flag: '--api-key <key>', env: ['TEMPORAL_API_KEY'], defaultValue: undefined,
    description: 'API key (Temporal Cloud); turns TLS on unless TEMPORAL_TLS=false', parse: parseText, commands: CONNECTED,
    defaultText: 'none', secret: true,
  }),
  option({
    key: 'tls', flag: '--tls', env: ['TEMPORAL_TLS'], defaultValue: undefined,
    description: 'connect with TLS (on by itself when a TLS file, server name or API key is given)', parse: parseBoolean,
    commands: CONNECTED, defaultText: 'auto',
  }),
  option({
    key: 'tlsCert', flag: '--tls-cert <path>', env: ['TEMPORAL_TLS_CLIENT_CERT_PATH'], dataEnv: 'TEMPORAL_TLS_CLIENT_CERT_DATA',
    defaultValue: undefined, description: 'client certificate (PEM) for mTLS', parse: parsePemPath, commands: CONNECTED,
    defaultText: 'none',
  }),
  option({
    key: 'tlsKey', flag: '--tls-key <path>', env: ['TEMPORAL_TLS_CLIENT_KEY_PATH'], dataEnv: 'TEMPORAL_TLS_CLIENT_KEY_DATA',
    defaultValue: undefined, description: 'client private key (PEM) for mTLS', parse: parsePemPath, commands: CONNECTED,
    defaultText: 'none',
  }),
  option({
    key: 'tlsCa', flag: '--tls-ca <path>', env: ['TEMPORAL_TLS_SERVER_CA_CERT_PATH'], dataEnv: 'TEMPORAL_TLS_SERVER_CA_CERT_DATA',
    defaultValue: undefined, description: "CA certificate (PEM) to verify the server with (else the system's)",
    parse: parsePemPath, commands: CONNECTED, defaultText: 'system CAs',
  }),
  option({
    key: 'tlsServerName', flag: '--tls-server-name <name>', env: ['TEMPORAL_TLS_SERVER_NAME'], defaultValue: undefined,
    description: "name to expect in the server's certificate (SNI), when it differs from the address",
    parse: parseText, commands: CONNECTED, defaultText: 'the host of --address',
  }),
  option({
    key: 'grpcMeta', flag: '--grpc-meta <key=value>', env: [], envPrefix: 'TEMPORAL_GRPC_META_', defaultValue: {},
    description: 'gRPC header sent with every request; repeatable (env: TEMPORAL_GRPC_META_<KEY>=value)',
    parse: parseKeyValues, commands: CONNECTED, repeatable: true, defaultText: 'none', secret: true,
  }),
  option({
    key: 'connectTimeout', flag: '--connect-timeout <time>', env: ['SCHEDULER_CONNECT_TIMEOUT'], defaultValue: 10,
    description: 'keep trying to reach the server (backoff with jitter) for this long before giving up (exit 1)',
    parse: parseDuration({ allowZero: false }), commands: CONNECTED,
  }),
  option({
    key: 'retryTimeout', flag: '--retry-timeout <time>', env: ['SCHEDULER_RETRY_TIMEOUT'], defaultValue: 60,
    description:
      'how long one start or result wait keeps retrying (backoff with jitter) while the server is unavailable or throttling, ' +
      'before it counts as failed; 0 counts every refusal as a failure at once',
    parse: parseDuration({ allowZero: true }), commands: LOAD_AND_CAPACITY,
  }),
  option({
    key: 'connection', flag: '--connection <kind>', env: ['SCHEDULER_CONNECTION'], defaultValue: undefined,
    defaultText: 'http2; native with the embedded worker, --metrics-port, schedules and cleanup',
    description:
      "client connection: http2 (sched-bench's own gRPC and HTTP/2 client over a TCP or TLS socket: the least CPU and memory per start, " +
      "measured: README \"Benchmark\"), native (the SDK's Rust core; needed for eager start) or grpc (the SDK's grpc-js)",
    parse: parseConnectionKind,
    commands: [...RUNNING, 'agent'],
  }),
  option({
    key: 'grpcCompression', flag: '--grpc-compression <gzip|none>', env: ['SCHEDULER_GRPC_COMPRESSION'], defaultValue: 'none',
    description:
      'compression of the requests sched-bench sends: none (less CPU per start, measured: README "Benchmark") or gzip ' +
      '(what SDK clients send by default)',
    parse: parseGrpcCompression, commands: [...RUNNING, 'agent'],
  }),
  option({
    key: 'taskQueue', flag: '--task-queue <name>', env: ['SCHEDULER_TASK_QUEUE'], defaultValue: 'benchmark',
    description: 'task queue the EchoWorkflows (and the worker) use', parse: parseText, commands: ALL,
  }),
  option({
    key: 'concurrency', flag: '--concurrency <n>', env: ['SCHEDULER_CONCURRENCY'], defaultValue: undefined,
    description: `workflows in flight at most, up to ${MAX_CONCURRENCY}`, parse: parseConcurrency, commands: RUNNING,
    defaultText: `${CLOSED_LOOP_DEFAULT_CONCURRENCY}; with --rate and in capacity's steps ${OPEN_LOOP_DEFAULT_CONCURRENCY}`,
  }),
  option({
    key: 'rate', flag: '--rate <per-second>', env: ['SCHEDULER_RATE'], defaultValue: undefined,
    description: `open loop: start this many workflows per second (at most ${MAX_RATE}) on a fixed schedule (--concurrency then caps in-flight)`,
    parse: parseRate, commands: LOAD_AND_SCHEDULES, defaultText: 'none (closed loop)',
  }),
  option({
    key: 'stages', flag: '--stages <list>', env: ['SCHEDULER_STAGES'], defaultValue: undefined,
    description: 'ramp the rate (open loop) or the concurrency (closed loop) linearly, e.g. "30s:50,1m:200,30s:0"; the run ends after them',
    parse: parseStages, commands: LOAD, defaultText: 'none',
  }),
  option({
    key: 'duration', flag: '--duration <time>', env: ['SCHEDULER_DURATION'], defaultValue: undefined,
    description: 'stop launching after this long (30s, 5m, 1h; batch: --total or this, whichever comes first)',
    parse: parseDuration({ allowZero: false }), commands: LOAD_AND_SCHEDULES, defaultText: 'none',
  }),
  option({
    key: 'warmup', flag: '--warmup <time>', env: ['SCHEDULER_WARMUP'], defaultValue: 0,
    description: 'workflows started in this first period run but are kept out of the summary and histograms',
    parse: parseDuration({ allowZero: true }), commands: LOAD,
  }),
  option({
    key: 'reportInterval', flag: '--report-interval <seconds>', env: ['SCHEDULER_REPORT_INTERVAL'],
    defaultValue: 10, description: 'seconds between progress lines (at least 100ms)',
    parse: parseDuration({ allowZero: false, min: MIN_REPORT_INTERVAL_SECONDS }),
    commands: LOAD_AND_SCHEDULES,
  }),
  option({
    key: 'message', flag: '--message <text>', env: ['SCHEDULER_MESSAGE'], defaultValue: undefined,
    description: 'message each EchoWorkflow echoes', parse: parseText, commands: RUNNING,
    defaultText: `"${ECHO_DEFAULTS.message}"`, appliedDefault: ECHO_DEFAULTS.message,
  }),
  option({
    key: 'count', flag: '--count <n>', env: ['SCHEDULER_COUNT'], defaultValue: undefined,
    description: 'echo activities per workflow', parse: parseInteger(1), commands: RUNNING,
    defaultText: String(ECHO_DEFAULTS.count), appliedDefault: ECHO_DEFAULTS.count,
  }),
  option({
    key: 'totalWorkflows', flag: '--total <n>', env: ['SCHEDULER_TOTAL_WORKFLOWS'], defaultValue: 100,
    description: 'workflows to run in a batch', parse: parseInteger(1), commands: ['run'],
  }),
  option({
    key: 'maxRuntime', flag: '--max-runtime <seconds>', env: ['SCHEDULER_MAX_RUNTIME'], defaultValue: 0,
    description: 'stop an infinite run after this many seconds (0 = until a signal)',
    parse: parseDuration({ allowZero: true }), commands: ['infinite'],
  }),
  option({
    key: 'wait', flag: '--no-wait', env: ['SCHEDULER_WAIT'], defaultValue: true,
    description: 'count a workflow done when its start is acknowledged (start-only throughput, no e2e latency)',
    parse: parseBoolean, commands: LOAD_AND_SCHEDULES, defaultText: "wait for each workflow's result",
  }),
  option({
    key: 'worker', flag: '--worker', env: ['SCHEDULER_WORKER'], defaultValue: false,
    description: "run a worker of sched-bench's workflows (EchoWorkflow, the workloads') inside this process (shares its CPU)", parse: parseBoolean,
    commands: RUNNING,
  }),
  option({
    key: 'eagerStart', flag: '--no-eager-start', env: ['SCHEDULER_EAGER_START'], defaultValue: undefined,
    description:
      "no eager start (the start's answer handing the first workflow task to the embedded worker; faster: README \"Benchmark\")",
    parse: parseBoolean, commands: LOAD_AND_CAPACITY,
    defaultText: 'eager with the embedded worker and --connection native; SCHEDULER_EAGER_START=true demands both',
  }),
  option({
    key: 'startDelay', flag: '--start-delay <time>', env: ['SCHEDULER_START_DELAY'], defaultValue: undefined,
    description: "start each workflow with Temporal's start delay; the summary adds delay lag (first workflow task − start request − delay); echo and --workflow-type only",
    parse: parseDuration({ allowZero: false, serverSide: true }), commands: LOAD, defaultText: 'none',
  }),
  option({
    key: 'schedules', flag: '--schedules <n>', env: ['SCHEDULER_SCHEDULES'], defaultValue: 10,
    description: 'Temporal Schedules to create, each starting the workflow on the task queue', parse: parseInteger(1), commands: SCHEDULES,
  }),
  option({
    key: 'every', flag: '--every <time>', env: ['SCHEDULER_EVERY'], defaultValue: undefined,
    description: 'interval spec: fire every this long (1s, 5s, 1m: whole seconds, at least 1s)', parse: parseDuration({ allowZero: false }),
    commands: SCHEDULES, defaultText: '1s unless --cron',
  }),
  option({
    key: 'cron', flag: '--cron <expression>', env: ['SCHEDULER_CRON'], defaultValue: undefined,
    description: 'cron spec instead of --every: five fields in UTC, e.g. "* * * * *"', parse: parseText, commands: SCHEDULES, defaultText: 'none',
  }),
  option({
    key: 'jitter', flag: '--jitter <time>', env: ['SCHEDULER_JITTER'], defaultValue: 0,
    description: 'the server delays each fire by a random time up to this long', parse: parseDuration({ allowZero: true, serverSide: true }), commands: SCHEDULES,
  }),
  option({
    key: 'fires', flag: '--fires <n>', env: ['SCHEDULER_FIRES'], defaultValue: undefined,
    description: 'fires per schedule; the run ends after them (or after --duration, whichever is first)', parse: parseInteger(1),
    commands: SCHEDULES, defaultText: 'from --duration',
  }),
  option({
    key: 'overlap', flag: '--overlap <policy>', env: ['SCHEDULER_OVERLAP'], defaultValue: 'skip',
    description: 'what the server does when a fire comes while the last is still running: skip, buffer-one, buffer-all, cancel-other, terminate-other, allow-all',
    parse: parseOverlap, commands: SCHEDULES,
  }),
  option({
    key: 'catchupWindow', flag: '--catchup-window <time>', env: ['SCHEDULER_CATCHUP_WINDOW'], defaultValue: undefined,
    description: 'after an outage, fires missed by at most this long are still taken; older ones count as missed (at least 10s)', parse: parseDuration({ allowZero: false, serverSide: true }),
    commands: SCHEDULES, defaultText: "the server's (1 year)",
  }),
  option({
    key: 'onConflict', flag: '--on-conflict <fail|reuse>', env: ['SCHEDULER_ON_CONFLICT'], defaultValue: 'reuse',
    description: 'a schedule id that exists already: reuse it when its spec and action are the same (else exit 2), or fail',
    parse: parseOnConflict, commands: SCHEDULES,
  }),
  option({
    key: 'devServer', flag: '--dev-server', env: ['SCHEDULER_DEV_SERVER'], defaultValue: false,
    description: 'start a private Temporal dev server plus a worker, stopped on exit', parse: parseBoolean,
    commands: RUNNING,
  }),
  option({
    key: 'workflowType', flag: '--workflow-type <name>', env: ['SCHEDULER_WORKFLOW_TYPE'], defaultValue: undefined,
    description: "start this workflow type (hosted by your own workers) instead of the EchoWorkflow",
    parse: parseText, commands: LOAD_AND_CAPACITY, defaultText: 'EchoWorkflow',
  }),
  option({
    key: 'input', flag: '--input <json>', env: ['SCHEDULER_INPUT'], defaultValue: undefined,
    description: 'an argument for --workflow-type, as JSON; repeat for several arguments',
    parse: parseJsonArguments, commands: LOAD_AND_CAPACITY, repeatable: true, joinWith: INPUT_SEPARATOR, defaultText: 'none',
  }),
  option({
    key: 'inputFile', flag: '--input-file <path>', env: ['SCHEDULER_INPUT_FILE'], defaultValue: undefined,
    description: 'a file holding one JSON argument for --workflow-type', parse: parseText, commands: LOAD_AND_CAPACITY,
    defaultText: 'none',
  }),
  option({
    key: 'payloadSize', flag: '--payload-size <bytes>', env: ['SCHEDULER_PAYLOAD_SIZE'], defaultValue: undefined,
    description: "EchoWorkflow: pad the message to this many bytes (the workflow's input and each echo carry it)",
    parse: parseInteger(1), commands: LOAD_AND_CAPACITY, defaultText: 'the message as is',
  }),
  option({
    key: 'activityDelay', flag: '--activity-delay <ms>', env: ['SCHEDULER_ACTIVITY_DELAY'], defaultValue: 0,
    description: 'EchoWorkflow: each echo activity sleeps this many milliseconds', parse: parseActivityDelay, commands: RUNNING,
  }),
  option({
    key: 'localActivities', flag: '--local-activities', env: ['SCHEDULER_LOCAL_ACTIVITIES'], defaultValue: false,
    description: 'EchoWorkflow: run the echoes as local activities', parse: parseBoolean, commands: RUNNING,
  }),
  option({
    key: 'workload', flag: '--workload <name>', env: ['SCHEDULER_WORKLOAD'], defaultValue: 'echo',
    description:
      `what each workflow does: ${WORKLOAD_NAMES.join(', ')} (README "Workloads"); other than echo, the embedded worker ` +
      '(--worker, --dev-server) or `sched-bench worker` hosts the workflows',
    parse: parseWorkloadName, commands: LOAD_AND_CAPACITY,
  }),
  option({
    key: 'signals', flag: '--signals <n>', env: ['SCHEDULER_SIGNALS'], defaultValue: undefined,
    description: 'signal, signal-with-start: signals per workflow (it completes after the last)', parse: parseInteger(1), commands: LOAD_AND_CAPACITY,
    defaultText: String(WORKLOAD_DEFAULTS.signals),
  }),
  option({
    key: 'updates', flag: '--updates <n>', env: ['SCHEDULER_UPDATES'], defaultValue: undefined,
    description: 'update, update-with-start: updates per workflow, one after another', parse: parseInteger(1), commands: LOAD_AND_CAPACITY,
    defaultText: String(WORKLOAD_DEFAULTS.updates),
  }),
  option({
    key: 'queries', flag: '--queries <n>', env: ['SCHEDULER_QUERIES'], defaultValue: undefined,
    description: 'query: queries per workflow, one after another, while it runs', parse: parseInteger(1), commands: LOAD_AND_CAPACITY,
    defaultText: String(WORKLOAD_DEFAULTS.queries),
  }),
  option({
    key: 'children', flag: '--children <n>', env: ['SCHEDULER_CHILDREN'], defaultValue: undefined,
    description:
      `child: child workflows each parent starts at once and waits for (at most ${MAX_CHILDREN}: one workflow task starts them all, ` +
      'and the server takes 2000 pending children per workflow by default)',
    parse: parseChildren, commands: LOAD_AND_CAPACITY,
    defaultText: String(WORKLOAD_DEFAULTS.children),
  }),
  option({
    key: 'timerDuration', flag: '--timer-duration <time>', env: ['SCHEDULER_TIMER_DURATION'], defaultValue: undefined,
    description: "timer: each workflow sleeps this long on a durable timer (500ms, 1s, 1m)",
    parse: parseDuration({ allowZero: false, min: 0.001, serverSide: true }), commands: LOAD_AND_CAPACITY, defaultText: `${WORKLOAD_DEFAULTS.timerDuration}s`,
  }),
  option({
    key: 'iterations', flag: '--iterations <n>', env: ['SCHEDULER_ITERATIONS'], defaultValue: undefined,
    description: 'continue-as-new: times each workflow continues-as-new before it completes', parse: parseInteger(1), commands: LOAD_AND_CAPACITY,
    defaultText: String(WORKLOAD_DEFAULTS.iterations),
  }),
  option({
    key: 'mix', flag: '--mix <spec>', env: ['SCHEDULER_MIX'], defaultValue: undefined,
    description:
      '--workload mix: workloads and integer weights, e.g. "echo=70,signal=20,update=10"; each part takes its own options ' +
      '(signal: --signals, echo: --count, …)',
    parse: parseMix, commands: LOAD_AND_CAPACITY, defaultText: 'none',
  }),
  option({
    key: 'seed', flag: '--seed <n>', env: ['SCHEDULER_SEED'], defaultValue: undefined,
    description: "--workload mix: seed of the weighted draws (the same seed draws the same sequence of workloads)",
    parse: parseSeed, commands: LOAD_AND_CAPACITY, defaultText: String(WORKLOAD_DEFAULTS.seed),
  }),
  option({
    key: 'historySample', flag: '--history-sample <fraction>', env: ['SCHEDULER_HISTORY_SAMPLE'], defaultValue: HISTORY_SAMPLE_DEFAULT,
    description:
      "fraction of finished workflows whose history is read for the workers' workflow-task and activity-task schedule-to-start " +
      'latencies (one extra read each; 0: none; not with --no-wait)',
    parse: parseFraction, commands: LOAD_AND_CAPACITY,
  }),
  option({
    key: 'idPrefix', flag: '--id-prefix <prefix>', env: ['SCHEDULER_ID_PREFIX'], defaultValue: 'sched-bench',
    description: 'workflow ids are <prefix>-<runId>-<n>', parse: parseIdPrefix, commands: [...LOAD_AND_CAPACITY, 'cleanup'],
  }),
  option({
    key: 'runId', flag: '--run-id <id>', env: ['SCHEDULER_RUN_ID'], defaultValue: undefined,
    description: 'run/infinite: share this run id with other sched-bench processes (each adds its own shard to the ids); capacity, schedules: name the run; cleanup: the run to remove',
    parse: parseIdPrefix, commands: [...RUNNING, 'cleanup'], defaultText: 'a new one (run/infinite/schedules/capacity)',
  }),
  option({
    key: 'merge', flag: '--merge', env: [], defaultValue: false,
    description: 'report: merge results of processes that ran together (exact percentiles, summed counts)',
    parse: parseBoolean, commands: ['report'],
  }),
  option({
    key: 'forceMerge', flag: '--force-merge', env: [], defaultValue: false,
    description: 'report --merge: also merge results with different run ids (processes that ran the same load without a shared --run-id)',
    parse: parseBoolean, commands: ['report'],
  }),
  option({
    key: 'all', flag: '--all', env: [], defaultValue: false,
    description: 'cleanup: remove the workflows of every sched-bench run with this --id-prefix, and every sched-bench schedule', parse: parseBoolean,
    commands: ['cleanup'],
  }),
  option({
    key: 'dryRun', flag: '--dry-run', env: [], defaultValue: false,
    description: 'cleanup: list what would be removed, remove nothing', parse: parseBoolean, commands: ['cleanup'],
  }),
  option({
    key: 'workers', flag: '--workers <n>', env: ['SCHEDULER_WORKERS'], defaultValue: 1,
    description: 'worker instances in this process, sharing one workflow bundle and connection', parse: parseInteger(1),
    commands: WORKERS,
  }),
  option({
    key: 'workflowSlots', flag: '--workflow-slots <n>', env: ['SCHEDULER_WORKFLOW_SLOTS'], defaultValue: undefined,
    description: 'concurrent workflow tasks per worker', parse: parseInteger(1), commands: WORKERS, defaultText: '40 (SDK)',
  }),
  option({
    key: 'activitySlots', flag: '--activity-slots <n>', env: ['SCHEDULER_ACTIVITY_SLOTS'], defaultValue: undefined,
    description: 'concurrent activities (and local activities) per worker', parse: parseInteger(1), commands: WORKERS,
    defaultText: '100 (SDK)',
  }),
  option({
    key: 'pollers', flag: '--pollers <n|auto>', env: ['SCHEDULER_POLLERS'], defaultValue: undefined,
    description: 'task pollers per task type: a maximum, or "auto" for autoscaling', parse: parsePollers, commands: WORKERS,
    defaultText: 'min(10, slots) (SDK)',
  }),
  option({
    key: 'stickyCacheSize', flag: '--sticky-cache <n>', env: ['SCHEDULER_STICKY_CACHE'], defaultValue: undefined,
    description: 'workflows kept in the sticky cache per worker (0 turns it off)', parse: parseInteger(0), commands: WORKERS,
    defaultText: 'from the heap size (SDK)',
  }),
  option({
    key: 'drainTimeout', flag: '--drain-timeout <time>', env: ['SCHEDULER_DRAIN_TIMEOUT'], defaultValue: undefined,
    description: 'after the stop, wait at most this long for in-flight workflows; those left are reported (exit 1)',
    parse: parseDuration({ allowZero: true }), commands: LOAD,
    defaultText: `until no workflow finished for ${DRAIN_STALL_SECONDS}s (longer for long workflows)`,
  }),
  option({
    key: 'maxOutage', flag: '--max-outage <time>', env: ['SCHEDULER_MAX_OUTAGE'], defaultValue: 300,
    description: 'outages are ridden out, but a server unreachable this long ends the run (exit 1, results kept); 0: wait for ever',
    parse: parseDuration({ allowZero: true }), commands: LOAD_AND_CAPACITY,
  }),
  option({
    key: 'onStop', flag: '--on-stop <leave|terminate>', env: ['SCHEDULER_ON_STOP'], defaultValue: 'leave',
    description: 'workflows still running when --drain-timeout ends: leave them, or terminate them',
    parse: parseOnStop, commands: LOAD,
  }),
  option({
    key: 'metricsPort', flag: '--metrics-port <port>', env: ['SCHEDULER_METRICS_PORT'], defaultValue: undefined,
    description:
      "serve Prometheus /metrics on this port while the run (or worker) lasts; the SDK's own metrics (worker: task schedule-to-start " +
      'latencies, slots) on port + 1',
    parse: parsePort, commands: [...RUNNING, 'worker'], defaultText: 'off',
  }),
  option({
    key: 'progress', flag: '--no-progress', env: ['SCHEDULER_PROGRESS'], defaultValue: true,
    description: 'no live status line, even on a terminal',
    parse: parseBoolean, commands: LOAD, defaultText: 'a live status line on a terminal, unless CI is set or TERM=dumb',
  }),
  option({
    key: 'quiet', flag: '--quiet', env: ['SCHEDULER_QUIET'], defaultValue: false,
    description: 'print only the end line and the summary', parse: parseBoolean, commands: RUNNING,
  }),
  option({
    key: 'json', flag: '--json <file|->', env: ['SCHEDULER_JSON'], defaultValue: undefined,
    description: 'write the whole result as JSON (atomically; also when interrupted; report --merge: the merged one); "-": stdout', parse: parseText,
    commands: [...RUNNING, 'report'], defaultText: 'none',
  }),
  option({
    key: 'html', flag: '--html <file|->', env: ['SCHEDULER_HTML'], defaultValue: undefined,
    description: 'write a self-contained HTML report with charts (also when interrupted); "-": stdout', parse: parseText,
    commands: [...LOAD, 'capacity', 'report'], defaultText: 'none',
  }),
  option({
    key: 'ndjson', flag: '--ndjson <file|->', env: ['SCHEDULER_NDJSON'], defaultValue: undefined,
    description: 'append one JSON object per report interval (capacity: per step) and one at the end ("-": stdout; then, as for --json -, the human lines go to stderr)',
    parse: parseText, commands: RUNNING, defaultText: 'none',
  }),
  option({
    key: 'thresholds', flag: '--threshold <expr>', env: ['SCHEDULER_THRESHOLDS'], defaultValue: [],
    description: 'fail the run (exit 99) unless this holds, e.g. "e2e.p99<2s"; repeatable; env: ";"-separated',
    parse: parseThresholdList, commands: LOAD_AND_SCHEDULES, repeatable: true, defaultText: 'none',
  }),
  option({
    key: 'verify', flag: '--verify', env: ['SCHEDULER_VERIFY'], defaultValue: false,
    description: "after the run, count the run's workflows on the server and exit 1 if they differ from the tool's counts",
    parse: parseBoolean, commands: LOAD,
  }),
  option({
    key: 'slo', flag: '--slo <thresholds>', env: ['SCHEDULER_SLO'], defaultValue: undefined,
    description:
      'capacity (required): the SLO every step must hold, in the --threshold grammar, "," or ";"-separated, e.g. ' +
      '"e2e.p99<2s,failed.rate<0.1%": upper bounds on latencies and failures; repeatable',
    parse: parseSlo, commands: CAPACITY, repeatable: true, defaultText: 'none',
  }),
  option({
    key: 'startRate', flag: '--start-rate <per-second>', env: ['SCHEDULER_START_RATE'], defaultValue: 10,
    description: "capacity: the first step's rate (wf/s); each next step doubles it until one breaks the SLO, then bisection",
    parse: parsePositiveRate, commands: CAPACITY,
  }),
  option({
    key: 'stepDuration', flag: '--step-duration <time>', env: ['SCHEDULER_STEP_DURATION'], defaultValue: DEFAULT_STEP_DURATION_MS / 1000,
    description: "capacity: the measured part of each step (after its --step-warmup); the step's in-flight workflows are drained after it",
    parse: parseDuration({ allowZero: false }), commands: CAPACITY,
  }),
  option({
    key: 'stepWarmup', flag: '--step-warmup <time>', env: ['SCHEDULER_STEP_WARMUP'], defaultValue: 0,
    description: "capacity: each step first runs at its rate this long, kept out of that step's numbers",
    parse: parseDuration({ allowZero: true }), commands: CAPACITY,
  }),
  option({
    key: 'precision', flag: '--precision <fraction>', env: ['SCHEDULER_PRECISION'], defaultValue: DEFAULT_PRECISION,
    description: 'capacity: bisect until the first failing rate is within this fraction above the last passing one (0.05 or 5%)',
    parse: parsePrecision, commands: CAPACITY,
  }),
  option({
    key: 'maxRate', flag: '--max-rate <per-second>', env: ['SCHEDULER_MAX_RATE'], defaultValue: undefined,
    description: 'capacity: no step runs above this rate; a pass at it ends the search (capacity "at least" this)',
    parse: parsePositiveRate, commands: CAPACITY, defaultText: `${MAX_RATE} (the open loop's limit)`,
  }),
  option({
    key: 'maxDuration', flag: '--max-duration <time>', env: ['SCHEDULER_MAX_DURATION'], defaultValue: undefined,
    description: "capacity: the whole search's budget: no step starts that could not finish within it",
    parse: parseDuration({ allowZero: false }), commands: CAPACITY, defaultText: 'none',
  }),
  option({
    key: 'expect', flag: '--expect <comparison>', env: ['SCHEDULER_EXPECT'], defaultValue: undefined,
    description: 'capacity: CI gate: exit 99 unless the capacity found meets this, e.g. ">=100" (wf/s; operators >= > <= < ==)',
    parse: parseExpectation, commands: CAPACITY, defaultText: 'none',
  }),
  option({
    key: 'agents', flag: '--agents <n>', env: ['SCHEDULER_AGENTS'], defaultValue: undefined,
    description:
      'fan the load out to this many `sched-bench agent` processes polling --control-task-queue: rate, concurrency and ' +
      '--total split between them, one merged result (README "Many machines"); capacity: every step\'s rate, judged on the merged slices',
    parse: parseAgents, commands: DISTRIBUTED, defaultText: 'none: this process generates the load',
  }),
  option({
    key: 'agentWait', flag: '--agent-wait <time>', env: ['SCHEDULER_AGENT_WAIT'], defaultValue: 60,
    description: '--agents: how long to wait for that many agents to poll the control task queue before giving up (exit 1)',
    parse: parseDuration({ allowZero: false }), commands: DISTRIBUTED,
  }),
  option({
    key: 'onAgentLoss', flag: '--on-agent-loss <fail|rerun>', env: ['SCHEDULER_ON_AGENT_LOSS'], defaultValue: 'fail',
    description:
      '--agents: an agent that stops heartbeating is lost: fail (reported with its last counts, exit 1) or rerun (what remained of ' +
      'its slice runs on another agent); the result never counts a workflow twice; capacity: fail only (the search stops, "error")',
    parse: parseOnAgentLoss, commands: DISTRIBUTED,
  }),
  option({
    key: 'controlTaskQueue', flag: '--control-task-queue <name>', env: ['SCHEDULER_CONTROL_TASK_QUEUE'], defaultValue: 'sched-bench-control',
    description: 'the task queue agents poll for load slices (and the coordinator workflow runs on)', parse: parseText, commands: CONTROL,
  }),
  option({
    key: 'controlNamespace', flag: '--control-namespace <name>', env: ['SCHEDULER_CONTROL_NAMESPACE'], defaultValue: undefined,
    description: "the control task queue's namespace", parse: parseText, commands: CONTROL, defaultText: '--namespace',
  }),
  option({
    key: 'controlAddress', flag: '--control-address <host:port>', env: ['SCHEDULER_CONTROL_ADDRESS'], defaultValue: undefined,
    description: "the control task queue's cluster, reached with the TLS and API key settings of --address",
    parse: parseAddress, commands: CONTROL, defaultText: '--address',
  }),
  option({
    key: 'agentName', flag: '--agent-name <name>', env: ['SCHEDULER_AGENT_NAME'], defaultValue: undefined,
    description: "agent: this agent's name in the coordinator's reports", parse: parseText, commands: ['agent'],
    defaultText: 'host name and process id',
  }),
] as const satisfies readonly OptionSpec[];

/** Picks `sched-bench` without a command: infinite when true, batch otherwise. */
export const INFINITE_MODE_ENV = 'SCHEDULER_INFINITE_MODE';

export function specsFor(command: CommandName): OptionSpec[] {
  return (OPTION_SPECS as readonly OptionSpec[]).filter((spec) => spec.commands.includes(command));
}
