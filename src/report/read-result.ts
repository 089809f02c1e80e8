/**
 * Checks a parsed `--json` result before `report` uses it: every field the report and the merge read,
 * with its type, and each encoded histogram decoded. A damaged file is named by its field path
 * (`latency.e2e.encoded: not a valid histogram`), never met as a crash deep in the report.
 *
 * Hand-written rather than a JSON-schema validator (that is a dev dependency only); it follows
 * result.schema.json, schedules-result.schema.json and capacity-result.schema.json, and a unit test holds it to their required fields.
 * Fields it does not know are tolerated: a newer writer may add some.
 */
import { LatencyHistogram } from '../metrics/latency-histogram.js';
import { parseThreshold } from '../metrics/thresholds.js';
import { OPERATION_NAMES } from '../shared/operations.js';
import { CAPACITY_SCHEMA_VERSION, type CapacityRunDocument } from './capacity-result.js';
import { RESULT_SCHEMA_VERSION, type RunResult, type WorkloadResult } from './result.js';
import type { SchedulesResult } from './schedule-report.js';

/** A result `report` can read: a run (`run`/`infinite`), a `schedules` run or a `capacity` search. */
export type AnyResult = RunResult | SchedulesResult | CapacityRunDocument;

/** A result with a single load (not a capacity search's steps): what the run and schedules parts of the report read. */
export type LoadResult = RunResult | SchedulesResult;

export const isCapacityResult = (result: AnyResult): result is CapacityRunDocument => result.command === 'capacity';

/** What is wrong with a result, at which field (dotted path; array items as `[i]`). */
export class ResultDamage extends Error {
  override readonly name = 'ResultDamage';
  constructor(
    readonly path: string,
    readonly problem: string,
  ) {
    super(`${path || '(top level)'}: ${problem}`);
  }
}

/** Checks one value; throws ResultDamage naming `path`. */
type Check = (value: unknown, path: string) => void;

const at = (path: string, key: string | number): string =>
  typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${key}` : key;

const describe = (value: unknown): string =>
  value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value === 'string' ? `"${value.slice(0, 40)}"` : typeof value === 'object' ? 'an object' : String(value);

const fail = (path: string, problem: string): never => {
  throw new ResultDamage(path, problem);
};

const string: Check = (value, path) => {
  if (typeof value !== 'string') fail(path, `expected a string, got ${describe(value)}`);
};
const nonEmptyString: Check = (value, path) => {
  string(value, path);
  if (value === '') fail(path, 'expected a non-empty string');
};
const boolean: Check = (value, path) => {
  if (typeof value !== 'boolean') fail(path, `expected true or false, got ${describe(value)}`);
};
const number: Check = (value, path) => {
  if (typeof value !== 'number' || !Number.isFinite(value)) fail(path, `expected a number, got ${describe(value)}`);
};
const nonNegative: Check = (value, path) => {
  number(value, path);
  if ((value as number) < 0) fail(path, `expected a number ≥ 0, got ${describe(value)}`);
};
const integer: Check = (value, path) => {
  if (!Number.isInteger(value)) fail(path, `expected an integer, got ${describe(value)}`);
};
const count: Check = (value, path) => {
  integer(value, path);
  if ((value as number) < 0) fail(path, `expected a count ≥ 0, got ${describe(value)}`);
};
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const isoTime: Check = (value, path) => {
  string(value, path);
  if (!ISO_TIME.test(value as string) || Number.isNaN(Date.parse(value as string))) fail(path, `expected an ISO 8601 time, got ${describe(value)}`);
};
const oneOf =
  (...allowed: unknown[]): Check =>
  (value, path) => {
    if (!allowed.includes(value)) fail(path, `expected ${allowed.map((item) => JSON.stringify(item)).join(' or ')}, got ${describe(value)}`);
  };
const nullable =
  (check: Check): Check =>
  (value, path) => {
    if (value !== null) check(value, path);
  };
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const anyObject: Check = (value, path) => {
  if (!isObject(value)) fail(path, `expected an object, got ${describe(value)}`);
};
/** An object with these fields (all required unless listed in `optional`). */
const object =
  (fields: Record<string, Check>, optional: readonly string[] = []): Check =>
  (value, path) => {
    anyObject(value, path);
    const record = value as Record<string, unknown>;
    for (const [key, check] of Object.entries(fields)) {
      if (!(key in record)) {
        if (optional.includes(key)) continue;
        fail(at(path, key), 'missing');
      }
      check(record[key], at(path, key));
    }
  };
const arrayOf =
  (item: Check): Check =>
  (value, path) => {
    if (!Array.isArray(value)) fail(path, `expected an array, got ${describe(value)}`);
    (value as unknown[]).forEach((element, index) => item(element, at(path, index)));
  };
const valuesOf =
  (item: Check): Check =>
  (value, path) => {
    anyObject(value, path);
    for (const [key, element] of Object.entries(value as Record<string, unknown>)) item(element, at(path, key));
  };

/** A latency: its summary numbers, and an encoded histogram that decodes to as many values as `count` says. */
const latency: Check = (value, path) => {
  object({
    unit: oneOf('ms'), count, min: nonNegative, mean: nonNegative, p50: nonNegative, p90: nonNegative, p95: nonNegative,
    p99: nonNegative, p999: nonNegative, max: nonNegative, encoded: string,
  })(value, path);
  const { encoded, count: expected } = value as { encoded: string; count: number };
  let decoded: LatencyHistogram;
  try {
    decoded = LatencyHistogram.decode(encoded);
  } catch (error) {
    return fail(at(path, 'encoded'), `not a valid encoded histogram (${(error as Error).message})`);
  }
  if (decoded.count !== expected) fail(at(path, 'encoded'), `the histogram holds ${decoded.count} values, count says ${expected}`);
};

const tool = object({ name: oneOf('sched-bench'), version: string });
const server = object({ address: string, namespace: string, taskQueue: string, version: nullable(string) });
const thresholds = arrayOf(
  object({ expression: string, metric: string, operator: oneOf('<', '<=', '>', '>=', '==', '!='), limit: number, value: nullable(number), passed: boolean }),
);
const serverHealth = object({
  throttledAttempts: count, unavailableAttempts: count, unavailableSeconds: nonNegative,
  outages: arrayOf(object({ start: isoTime, end: nullable(isoTime), seconds: nonNegative })),
});
const launchCounts = (extra: Record<string, Check>): Check =>
  object({ launched: count, started: count, completed: count, failed: count, inFlight: count, lateStarts: count, failuresByKind: valuesOf(count), ...extra });

/** Only the operation names of the table, each a latency. */
const operations: Check = (value, path) => {
  anyObject(value, path);
  for (const [key, element] of Object.entries(value as Record<string, unknown>)) {
    if (!(OPERATION_NAMES as readonly string[]).includes(key)) fail(at(path, key), `not an operation (known: ${OPERATION_NAMES.join(', ')})`);
    latency(element, at(path, key));
  }
};
const workload = object({ name: nonEmptyString });

/** The fields both kinds of result share. */
const common = {
  tool, runId: nonEmptyString, config: anyObject, startedAt: isoTime, endedAt: isoTime,
  interrupted: boolean, exitCode: integer, server, thresholds,
};

/** The run result fields of every schema version. */
const runResultFields = {
  ...common,
  command: oneOf('run', 'infinite'),
  stopReason: oneOf('total-reached', 'time-limit', 'stages-done', 'stopped', 'aborted'),
  sdk: valuesOf(string),
  loadModel: object(
    { kind: oneOf('closed', 'open'), concurrency: count, rate: nonNegative, stages: arrayOf(object({ durationMs: nonNegative, target: nonNegative })), wait: boolean },
    ['rate', 'stages'],
  ),
  elapsedSeconds: nonNegative,
  counts: launchCounts({ missedArrivals: count }),
  warmup: launchCounts({ seconds: nonNegative }),
  measured: launchCounts({ seconds: nonNegative }),
  throughput: object({ completedPerSecond: nonNegative, startedPerSecond: nonNegative }),
  latency: object({ start: latency, e2e: latency, startLateness: latency, delayLag: latency }, ['delayLag']),
  verification: nullable(anyObject),
  intervals: object({
    compactions: count,
    points: arrayOf(object({ t: nonNegative, seconds: nonNegative, inFlight: count, completed: count, failed: count, rate: nonNegative, p50: nonNegative, p99: nonNegative })),
  }),
  client: object({ cpuUserSeconds: nonNegative, cpuSystemSeconds: nonNegative, cpuMsPerCompleted: nonNegative, maxRssMegabytes: nonNegative, embeddedWorker: boolean }),
  drain: object({ timeoutSeconds: nullable(nonNegative), timedOut: boolean, leftInFlight: count, onStop: oneOf('leave', 'terminate'), terminated: count }),
  serverHealth,
};
/** Schema version 1: before workloads (every run was an EchoWorkflow or a --workflow-type). */
const runResultV1 = object({ ...runResultFields, schemaVersion: oneOf(1) });
const runResult = object({
  ...runResultFields, schemaVersion: oneOf(RESULT_SCHEMA_VERSION), workload, operations, historyReads: object({ failed: count, skipped: count }),
  openLoop: object({ heldByCap: count, windowSeconds: nonNegative }),
}, ['openLoop']);

/** The run result schema versions `report` reads (older ones are upgraded as they are read). */
export const RUN_RESULT_VERSIONS: readonly number[] = [1, RESULT_SCHEMA_VERSION];
const SCHEDULES_RESULT_VERSION = 1;

/**
 * A version-1 run result in today's shape: it measured no operations and read no histories, and its
 * workload was the EchoWorkflow or the --workflow-type of its configuration.
 */
function upgradeV1(result: Omit<RunResult, 'schemaVersion' | 'workload' | 'operations' | 'historyReads'>): RunResult {
  const { workflowType, count, activityDelay, localActivities } = result.config;
  // The echo's shape as today's results write it (from the options it ran with), so old and new results merge.
  const workload: WorkloadResult = typeof workflowType === 'string'
    ? { name: 'custom', workflowType }
    : {
      name: 'echo', ...(typeof count === 'number' ? { count } : {}),
      ...(typeof activityDelay === 'number' && activityDelay > 0 ? { activityDelayMs: activityDelay } : {}),
      ...(localActivities === true ? { localActivities: true } : {}),
    };
  return { ...result, schemaVersion: RESULT_SCHEMA_VERSION, workload, operations: {}, historyReads: { failed: 0, skipped: 0 } };
}

const schedulesResult = object({
  ...common,
  schemaVersion: oneOf(SCHEDULES_RESULT_VERSION),
  command: oneOf('schedules'),
  schedules: object({
    ids: arrayOf(string), spec: string, jitterSeconds: nonNegative, overlap: string,
    window: object({ start: isoTime, end: isoTime, firesEach: count }),
    observedUntil: isoTime,
    counts: object({ schedules: count, expected: count, taken: count, skipped: count, missed: count, buffered: count, recorded: count, unaccounted: count }),
    notPickedUp: count, caughtUp: count, failed: count, jitterMaxMs: nonNegative, deleted: boolean,
  }),
  latency: object({ fireLag: latency, pickupLag: latency }),
  overlapChecks: arrayOf(object({ what: string, passed: boolean, detail: string })),
  directLoad: nullable(anyObject),
  fires: arrayOf(object({ scheduleId: string, workflowId: string, scheduledAt: isoTime, takenAt: isoTime })),
  serverHealth,
});

/** An SLO expression as the search wrote it: it must still parse as a threshold. */
const sloExpression: Check = (value, path) => {
  string(value, path);
  try {
    parseThreshold(value as string);
  } catch (error) {
    fail(path, `not a threshold (${(error as Error).message})`);
  }
};
const rateOrNull = nullable(nonNegative);

const capacityStep = object({
  index: count, phase: oneOf('growth', 'bisection'), targetRate: nonNegative, achievedRate: nonNegative,
  verdict: oneOf('pass', 'fail', 'client-limited', 'cut-short'),
  startedAtSeconds: nonNegative, elapsedSeconds: nonNegative, measuredSeconds: nonNegative,
  counts: object({ intendedArrivals: nonNegative, launched: count, started: count, completed: count, failed: count, unfinished: count, heldByCap: count }),
  completedPerSecond: nonNegative,
  generator: object(
    { keptUp: boolean, launchedRatio: nonNegative, launchedTolerance: nonNegative, startLatenessP99Ms: nonNegative, maxStartLatenessMs: nonNegative, reason: string },
    ['reason'],
  ),
  thresholds,
  brokenBy: arrayOf(string),
  latency: valuesOf(latency),
  cutShort: boolean,
});

const capacityResult = object({
  schemaVersion: oneOf(CAPACITY_SCHEMA_VERSION), command: oneOf('capacity'),
  tool, runId: nonEmptyString, config: anyObject, startedAt: isoTime, endedAt: isoTime, interrupted: boolean, exitCode: integer, server, workload,
  settings: object({
    startRate: nonNegative, growthFactor: nonNegative, precision: nonNegative, maxRate: nonNegative, maxDurationSeconds: nullable(nonNegative),
    stepDurationSeconds: nonNegative, warmupSeconds: nonNegative, slo: arrayOf(sloExpression), maxStartLatenessMs: nonNegative, launchedTolerance: nonNegative,
  }),
  steps: arrayOf(capacityStep),
  answer: object({
    kind: oneOf('capacity', 'at-least', 'client-limited', 'no-passing-step', 'none'),
    capacity: rateOrNull, lastPassingRate: rateOrNull, lastPassingAchievedRate: rateOrNull, firstFailingRate: rateOrNull,
    limitedBy: arrayOf(string), interpolatedRate: rateOrNull, withinPrecision: boolean, clientLimitedRate: rateOrNull,
  }),
  expectation: nullable(object({ expression: string, met: boolean })),
  stopReason: oneOf('found', 'max-rate', 'max-duration', 'interrupted', 'client-limited', 'start-rate-failed', 'error'),
  error: nullable(string),
  elapsedSeconds: nonNegative,
  serverHealth,
});

/** The schema versions `report` reads, by command. */
function versionsOf(command: unknown): readonly number[] {
  if (command === 'schedules') return [SCHEDULES_RESULT_VERSION];
  if (command === 'capacity') return [CAPACITY_SCHEMA_VERSION];
  return RUN_RESULT_VERSIONS;
}

/**
 * Which command's versions were read and what the file has: each command's results have their own
 * schema versions, so "expected 1, got 2" alone contradicts "version 1 or 2".
 */
function versionProblem(command: unknown, schemaVersion: unknown, versions: readonly number[]): string {
  const known = command === 'schedules' || command === 'capacity' || command === 'run' || command === 'infinite';
  const whose = command === 'schedules' || command === 'capacity' ? `${command} results` : 'run results (commands run and infinite)';
  const has = known ? `a ${command} result of schema version ${describe(schemaVersion)}` : `command ${describe(command)}, schemaVersion ${describe(schemaVersion)}`;
  return `this sched-bench reads ${whose} of schema version ${versions.join(' or ')}; the file has ${has}`;
}

/**
 * The result in `parsed` (a parsed --json file), checked field by field; throws ResultDamage naming the
 * first field that is missing, of the wrong type or undecodable. A run result of an older schema version
 * comes back in today's shape. Pure: the caller reads the file.
 */
export function checkResult(parsed: unknown): AnyResult {
  anyObject(parsed, '');
  const { schemaVersion, command } = parsed as Record<string, unknown>;
  const versions = versionsOf(command);
  if (!versions.includes(schemaVersion as number)) fail('schemaVersion', versionProblem(command, schemaVersion, versions));
  if (command === 'schedules') {
    schedulesResult(parsed, '');
    return parsed as unknown as SchedulesResult;
  }
  if (command === 'capacity') {
    capacityResult(parsed, '');
    return parsed as unknown as CapacityRunDocument;
  }
  if (schemaVersion === 1) {
    runResultV1(parsed, '');
    return upgradeV1(parsed as unknown as RunResult);
  }
  runResult(parsed, '');
  return parsed as unknown as RunResult;
}
