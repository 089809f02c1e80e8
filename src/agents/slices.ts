/**
 * Splitting one load into N agents' slices, and reading a slice back on the agent. Pure.
 *
 * src/agents sits below src/run (src/run's agent and distributed runs import it), so it does not import
 * the run library's LoadSpec: it reads the few fields a split needs (SplittableLoad) and declares what a
 * slice carries (SliceSpec); src/run/agent-run.ts holds SliceSpec to LoadSpec at compile time.
 */
import { UsageError } from '../errors.js';
import type { LoadModel, RunMode, Stage } from '../shared/run-stats.js';
import type { Workload } from '../workloads/workload.js';
import type { LoadSlice } from '../../workflows/coordinator-types.js';

/** What of a LoadSpec the split reads; every other field of it travels in the slice as it is. */
export interface SplittableLoad {
  mode: RunMode;
  loadModel: LoadModel;
  totalWorkflows: number;
}

/**
 * The LoadSpec fields that belong to the process or are secret, never in a slice: the agent brings its own
 * connection (address, TLS, API key); it starts no dev server, worker or metrics port; thresholds are judged
 * on the merged result. (`verify` is sent as false: the server's count of a shared run is the coordinator's.)
 */
export const PROCESS_FIELDS = ['connection', 'devServer', 'worker', 'metricsPort', 'thresholds', 'encodeIntervalLatency'] as const;
export type ProcessField = (typeof PROCESS_FIELDS)[number];

/** A LoadSpec without the process's fields: what a slice's `spec` holds (JSON), checked by sliceSpecOf. */
export interface SliceSpec {
  mode: RunMode;
  runId: string;
  shard: string;
  idPrefix?: string;
  namespace: string;
  taskQueue: string;
  loadModel: LoadModel;
  totalWorkflows: number;
  duration?: number;
  maxRuntime: number;
  warmup: number;
  reportInterval: number;
  wait: boolean;
  workload: Workload;
  historySample?: number;
  startDelayMs?: number;
  eagerStart: boolean;
  retryTimeout: number;
  maxOutage: number;
  drain: { timeout?: number; stallTimeout?: number; onStop: 'leave' | 'terminate' };
  verify: false;
}

/** A load that cannot be split this way (fewer concurrency slots or workflows than agents): a usage error. */
export class LoadSplitError extends UsageError {}

/** A slice whose spec is not a load this agent can run; the message names the field. */
export class SliceSpecError extends Error {
  override readonly name = 'SliceSpecError';
  constructor(
    readonly field: string,
    problem: string,
  ) {
    super(`bad load slice: ${field}: ${problem}`);
  }
}

/**
 * `value` in `parts` shares that add up to it exactly (summed in order, left to right): each `value / parts`,
 * the last one what remains. The remainder is exact (Sterbenz: the others' sum is within a factor 2 of the
 * whole), so the sum is the whole to the last bit.
 */
export function exactShares(value: number, parts: number): number[] {
  const shares: number[] = [];
  let sum = 0;
  for (let index = 0; index < parts - 1; index++) {
    shares.push(value / parts);
    sum += value / parts;
  }
  shares.push(value - sum);
  return shares;
}

/** `total` in `parts` whole shares: equal, the remainder spread one each over the first (10/3 = 4,3,3). */
export function integerShares(total: number, parts: number): number[] {
  const base = Math.floor(total / parts);
  const remainder = total - base * parts;
  return Array.from({ length: parts }, (_, index) => base + (index < remainder ? 1 : 0));
}

/** Each agent's load model: slots split whole (each ≥ 1), the rate exactly, each stage's target the same way. */
function splitLoadModel(model: LoadModel, agents: number): LoadModel[] {
  if (model.concurrency < agents) {
    const what = model.kind === 'open' ? 'in-flight cap (--concurrency)' : 'concurrency';
    throw new LoadSplitError(`a ${what} of ${model.concurrency} cannot be split across ${agents} agents: each agent needs at least 1 slot`);
  }
  const open = model.kind === 'open';
  const concurrency = integerShares(model.concurrency, agents);
  const rate = model.rate !== undefined ? exactShares(model.rate, agents) : undefined;
  // A stage's target is a rate (open loop: split exactly) or a number of slots (closed loop: whole shares).
  const stageTargets = model.stages?.map((stage) => (open ? exactShares(stage.target, agents) : integerShares(stage.target, agents)));
  return concurrency.map((slots, index) => ({
    kind: model.kind,
    concurrency: slots,
    ...(rate ? { rate: rate[index]! } : {}),
    ...(model.stages ? { stages: model.stages.map((stage, stageIndex): Stage => ({ durationMs: stage.durationMs, target: stageTargets![stageIndex]![index]! })) } : {}),
  }));
}

/**
 * The run's N slices: rate and concurrency split exactly (shares sum to the whole), a batch's total split with
 * the remainder spread, shard `s<index>`, the run id shared; without the process's fields (PROCESS_FIELDS),
 * `verify` false. Throws LoadSplitError when an agent would get no slot or (batch) no workflow.
 */
export function splitLoad(spec: SplittableLoad, agents: number, runId: string): LoadSlice[] {
  if (!Number.isInteger(agents) || agents < 1) throw new LoadSplitError(`agents must be a whole number ≥ 1, got ${agents}`);
  const models = splitLoadModel(spec.loadModel, agents);
  const batch = spec.mode === 'batch';
  if (batch && spec.totalWorkflows < agents) {
    throw new LoadSplitError(`a batch of ${spec.totalWorkflows} workflows cannot be split across ${agents} agents: each agent needs at least 1`);
  }
  const totals = batch ? integerShares(spec.totalWorkflows, agents) : undefined;
  const shared: Record<string, unknown> = { ...spec };
  for (const field of PROCESS_FIELDS) delete shared[field];
  return models.map((loadModel, index) => {
    const shard = `s${index}`;
    const sliceSpec = { ...shared, runId, shard, loadModel, totalWorkflows: totals ? totals[index]! : spec.totalWorkflows, verify: false };
    // As JSON: what the activity's payload carries (undefined fields dropped), so the slice is the same here and there.
    return { index, shard, spec: JSON.parse(JSON.stringify(sliceSpec)) as Record<string, unknown> };
  });
}

// --- Reading a slice on the agent -------------------------------------------------------------------------

type Check = (value: unknown, field: string) => void;

const describe = (value: unknown): string =>
  value === undefined ? 'nothing' : value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'an object' : JSON.stringify(value);

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

const ensure = (ok: boolean, field: string, wanted: string, value: unknown): void => {
  if (!ok) throw new SliceSpecError(field, `expected ${wanted}, got ${describe(value)}`);
};
const text: Check = (value, field) => ensure(typeof value === 'string' && value !== '', field, 'a non-empty string', value);
const anyText: Check = (value, field) => ensure(typeof value === 'string', field, 'a string', value);
const flag: Check = (value, field) => ensure(typeof value === 'boolean', field, 'true or false', value);
const nonNegative: Check = (value, field) => ensure(typeof value === 'number' && Number.isFinite(value) && value >= 0, field, 'a number ≥ 0', value);
const count: Check = (value, field) => ensure(Number.isInteger(value) && (value as number) >= 0, field, 'a whole number ≥ 0', value);
const positiveCount: Check = (value, field) => ensure(Number.isInteger(value) && (value as number) >= 1, field, 'a whole number ≥ 1', value);
const oneOf = (...allowed: readonly unknown[]): Check => (value, field) =>
  ensure(allowed.includes(value), field, allowed.map((item) => JSON.stringify(item)).join(' or '), value);
const list = (item: Check): Check => (value, field) => {
  ensure(Array.isArray(value), field, 'an array', value);
  (value as unknown[]).forEach((element, index) => item(element, `${field}[${index}]`));
};
/** An object with these fields; those named in `optional` may be absent. */
const fields = (checks: Record<string, Check>, optional: readonly string[] = []): Check => (value, field) => {
  ensure(isRecord(value), field, 'an object', value);
  const record = value as Record<string, unknown>;
  for (const [key, check] of Object.entries(checks)) {
    if (record[key] === undefined && optional.includes(key)) continue;
    check(record[key], `${field}.${key}`);
  }
};

const stage = fields({ durationMs: nonNegative, target: nonNegative });
const loadModel = fields({ kind: oneOf('closed', 'open'), concurrency: positiveCount, rate: nonNegative, stages: list(stage) }, ['rate', 'stages']);

/** Each workload kind's parameters (src/workloads/workload.ts), checked so a bad one is named, not met mid-run. */
const WORKLOAD_FIELDS: Record<Exclude<Workload['kind'], 'mix'>, { checks: Record<string, Check>; optional?: string[] }> = {
  echo: { checks: { message: anyText, count: count, activityDelayMs: nonNegative, localActivities: flag }, optional: ['message', 'count', 'activityDelayMs', 'localActivities'] },
  custom: { checks: { workflowType: text, args: list(() => undefined) } },
  signal: { checks: { signals: count, withStart: flag } },
  update: { checks: { updates: count, withStart: flag } },
  query: { checks: { queries: count } },
  child: { checks: { children: count } },
  timer: { checks: { durationMs: nonNegative } },
  'continue-as-new': { checks: { iterations: count } },
};

const singleWorkload: Check = (value, field) => {
  ensure(isRecord(value), field, 'an object', value);
  const kind = (value as Record<string, unknown>).kind;
  const known = typeof kind === 'string' && Object.hasOwn(WORKLOAD_FIELDS, kind) ? WORKLOAD_FIELDS[kind as keyof typeof WORKLOAD_FIELDS] : undefined;
  if (!known) oneOf(...Object.keys(WORKLOAD_FIELDS))(kind, `${field}.kind`);
  fields(known!.checks, known!.optional)(value, field);
};
const mixPart = fields({ workload: singleWorkload, weight: nonNegative });
const workload: Check = (value, field) => {
  if (isRecord(value) && value.kind === 'mix') fields({ parts: list(mixPart), seed: nonNegative })(value, field);
  else singleWorkload(value, field);
};

const sliceSpec = fields(
  {
    mode: oneOf('batch', 'infinite'), runId: text, shard: text, idPrefix: text, namespace: text, taskQueue: text, loadModel,
    totalWorkflows: count, duration: nonNegative, maxRuntime: nonNegative, warmup: nonNegative, reportInterval: nonNegative,
    wait: flag, workload, historySample: nonNegative, startDelayMs: nonNegative, eagerStart: flag, retryTimeout: nonNegative,
    maxOutage: nonNegative, drain: fields({ timeout: nonNegative, stallTimeout: nonNegative, onStop: oneOf('leave', 'terminate') }, ['timeout', 'stallTimeout']),
    verify: oneOf(false),
  },
  ['idPrefix', 'duration', 'historySample', 'startDelayMs', 'shard'],
);

/**
 * The slice's spec, checked field by field (a SliceSpecError names the first bad one, e.g.
 * `spec.loadModel.concurrency`); a process field in it (a connection, thresholds) is refused too: the
 * agent's own settings are the only ones it uses. The shard is the slice's (LoadSlice.shard).
 */
export function sliceSpecOf(slice: LoadSlice): SliceSpec {
  ensure(Number.isInteger(slice.index) && slice.index >= 0, 'index', 'a whole number ≥ 0', slice.index);
  text(slice.shard, 'shard');
  sliceSpec(slice.spec, 'spec');
  const spec = slice.spec;
  for (const field of PROCESS_FIELDS) {
    if (spec[field] !== undefined) throw new SliceSpecError(`spec.${field}`, 'belongs to the agent, never to a slice');
  }
  // The slice's shard names its workflow ids: a re-run after a loss comes under a new one, whatever its spec says.
  return { ...(spec as unknown as SliceSpec), shard: slice.shard };
}
