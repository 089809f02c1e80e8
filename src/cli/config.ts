import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { UsageError } from '../errors.js';
import { checkThresholdsMeasured, type LatencyGroup, type MeasuredMetrics } from '../metrics/thresholds.js';
import { OPERATIONS, type OperationName } from '../shared/operations.js';
import { operationsMeasuredBy } from '../workloads/workload.js';
import { workloadOf } from './workload.js';
import { OPTION_SPECS, parseBoolean, specsFor, INFINITE_MODE_ENV, type CommandName, type OptionSpec, type RunConfig } from './options.js';

export type Environment = Readonly<Record<string, string | undefined>>;

/**
 * Where the values come from, highest priority first: flags, then environment, then .env, then the
 * Temporal config profile, then defaults.
 */
export interface ConfigSources {
  /** Raw flag values given on the command line, by option key (`true`/`false` for switches). */
  flags: Partial<Record<keyof RunConfig, string | boolean | string[]>>;
  env: Environment;
  dotenv: Environment;
  /** Values of the selected Temporal config profile (connection options only). */
  profile?: Partial<RunConfig>;
}

/** Reads `.env` from the directory; an absent file is an empty one. */
export function readDotenv(directory: string): Record<string, string> {
  const path = join(directory, '.env');
  if (!existsSync(path)) return {};
  try {
    return parseDotenv(readFileSync(path));
  } catch (error) {
    throw new UsageError(`cannot read ${path}: ${(error as Error).message}`);
  }
}

function parseWith<T>(spec: OptionSpec, raw: string, origin: string): T {
  try {
    return spec.parse(raw) as T;
  } catch (error) {
    // A UsageError already quotes the bad part; a plain Error only says what was expected.
    if (error instanceof UsageError) throw new UsageError(`${origin}: ${error.message}`);
    // Secrets are never echoed, not even when they are malformed.
    const shown = spec.secret ? '' : ` "${raw}"`;
    throw new UsageError(`invalid value${shown} for ${origin}: ${(error as Error).message}`);
  }
}

/** `TEMPORAL_GRPC_META_X_TENANT=a` → `{ "x-tenant": "a" }`; an empty value removes the key. */
function prefixedPairs(vars: Environment, prefix: string, into: Record<string, string>): void {
  for (const [name, value] of Object.entries(vars)) {
    if (!name.startsWith(prefix) || value === undefined) continue;
    const key = name.slice(prefix.length).toLowerCase().replace(/_/g, '-');
    if (value === '') delete into[key];
    else into[key] = value;
  }
}

/** Options assembled from several sources at once (profile < .env < environment < flags), per key. */
function resolveMerged(spec: OptionSpec, sources: ConfigSources, flagName: string): Record<string, string> {
  const merged: Record<string, string> = { ...((sources.profile?.[spec.key] as Record<string, string> | undefined) ?? {}) };
  if (spec.envPrefix) {
    prefixedPairs(sources.dotenv, spec.envPrefix, merged);
    prefixedPairs(sources.env, spec.envPrefix, merged);
  }
  const flagValue = sources.flags[spec.key];
  if (flagValue !== undefined && typeof flagValue !== 'boolean') {
    Object.assign(merged, parseWith(spec, Array.isArray(flagValue) ? flagValue.join(';') : flagValue, flagName));
  }
  return merged;
}

/** An unset or empty variable counts as absent (CI templates often leave variables empty). */
function lookup(vars: Environment, names: readonly string[]): { name: string; raw: string } | undefined {
  for (const name of names) {
    const raw = vars[name];
    if (raw !== undefined && raw.trim() !== '') return { name, raw };
  }
  return undefined;
}

/** Where each option of a resolved config came from, for the checks between options (run-specs.ts). */
const ORIGINS = new WeakMap<RunConfig, Partial<Record<keyof RunConfig, string>>>();

/**
 * How a message names the source of an option's value: the flag, or the variable it came from
 * (`SCHEDULER_MAX_DURATION`, `… (in .env)`); the flag for a default or a config built without flags.
 */
export function originOf(config: RunConfig, key: keyof RunConfig): string {
  const origin = ORIGINS.get(config)?.[key];
  if (origin) return origin;
  const spec = OPTION_SPECS.find((option) => option.key === key);
  return spec ? spec.flag.split(' ')[0]! : key;
}

/** The variable an option's value was read from (flags given are named by the flag). */
function variableOrigin(spec: OptionSpec, sources: ConfigSources): string | undefined {
  const fromEnv = lookup(sources.env, spec.env);
  if (fromEnv) return fromEnv.name;
  const fromDotenv = lookup(sources.dotenv, spec.env);
  return fromDotenv ? `${fromDotenv.name} (in .env)` : undefined;
}

/** Resolves every option of a command: flag > environment > .env > config profile > default. */
export function resolveConfig(command: CommandName, sources: ConfigSources): RunConfig {
  const config: Record<string, unknown> = {};
  const origins: Record<string, string> = {};
  for (const spec of specsFor(command)) {
    const flagValue = sources.flags[spec.key];
    const flagName = spec.flag.split(' ')[0]!;
    if (spec.envPrefix) {
      config[spec.key] = resolveMerged(spec, sources, flagName);
    } else if (typeof flagValue === 'boolean') {
      config[spec.key] = flagValue;
    } else if (Array.isArray(flagValue)) {
      config[spec.key] = parseWith(spec, flagValue.join(spec.joinWith ?? ';'), flagName);
    } else if (flagValue !== undefined) {
      config[spec.key] = parseWith(spec, flagValue, flagName);
    } else {
      config[spec.key] = fromVariables(spec, sources.env, '') ?? fromVariables(spec, sources.dotenv, ' (in .env)') ??
        sources.profile?.[spec.key] ?? spec.defaultValue;
      const variable = variableOrigin(spec, sources);
      if (variable) origins[spec.key] = variable;
    }
  }
  const resolved = { ...defaultConfig(), ...config } as RunConfig;
  ORIGINS.set(resolved, origins);
  const isLoad = command === 'run' || command === 'infinite';
  if (resolved.thresholds.length === 0) return resolved;
  // Options that do not go together are told as they are, before the thresholds are held against what the run measures.
  const measured = measuredMetrics(command, resolved);
  try {
    checkThresholdsMeasured(resolved.thresholds, measured, command, isLoad ? UNMEASURED_BECAUSE : {});
  } catch (error) {
    throw new UsageError(`${thresholdsOrigin(sources)}: ${(error as Error).message}`);
  }
  return resolved;
}

/** Where the thresholds came from, as the other messages name a value's origin. */
function thresholdsOrigin(sources: ConfigSources): string {
  if (sources.flags.thresholds !== undefined) return '--threshold';
  const found = lookup(sources.env, ['SCHEDULER_THRESHOLDS']);
  return found ? found.name : 'SCHEDULER_THRESHOLDS (in .env)';
}

/** Why a load run lacks a latency group, for the message that refuses a threshold on it. */
const UNMEASURED_BECAUSE: Partial<Record<LatencyGroup, string>> = {
  e2e: 'it needs the results: not with --no-wait',
  start_lateness: 'open loop only: --rate',
  delay_lag: 'it needs --start-delay and the results (not --no-wait)',
  ...operationReasons(),
};

/** Why an operation's latency is not measured: the workloads that measure it, and what history-read ones need. */
function operationReasons(): Record<OperationName, string> {
  const why = (operation: OperationName): string => {
    if (operation.endsWith('.schedule_to_start')) return 'it needs --history-sample > 0 and the results (not --no-wait)';
    const needsResults = OPERATIONS[operation].source !== 'client' ? ' and the results (not --no-wait)' : '';
    return `it needs a workload that does ${operation.split('.')[0]!.replace(/_/g, '-')}s (--workload)${needsResults}`;
  };
  return Object.fromEntries((Object.keys(OPERATIONS) as OperationName[]).map((operation) => [operation, why(operation)])) as Record<OperationName, string>;
}

/** The metrics a command measures with this configuration: what its thresholds may name. */
export function measuredMetrics(command: CommandName, config: RunConfig): MeasuredMetrics {
  if (command === 'schedules') {
    return { latency: ['fire_lag', 'pickup_lag'], numbers: ['failed.rate', 'failed.count', 'throughput', 'missed', 'skipped', 'unaccounted'] };
  }
  if (command !== 'run' && command !== 'infinite') return { latency: [], numbers: [] };
  const latency: LatencyGroup[] = ['start'];
  if (config.wait) latency.push('e2e');
  if (config.rate !== undefined) latency.push('start_lateness');
  if (config.startDelay !== undefined && config.wait) latency.push('delay_lag');
  // The operations' latencies: what this workload measures (a refused combination of options is refused here already).
  latency.push(...operationsMeasuredBy(workloadOf(config, { readInputs: false }), { wait: config.wait, historySample: config.historySample }));
  return { latency, numbers: ['failed.rate', 'failed.count', 'throughput'] };
}

/** Every SCHEDULER_* variable sched-bench reads. */
function knownSchedulerVariables(): string[] {
  const names = OPTION_SPECS.flatMap((spec) => [...spec.env, ...('dataEnv' in spec && spec.dataEnv ? [spec.dataEnv] : [])]);
  return [...new Set([...names, INFINITE_MODE_ENV])].filter((name) => name.startsWith('SCHEDULER_'));
}

/** Levenshtein distance: edits (insert, delete, replace) from `a` to `b`. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** A misspelt name is at most this many edits from the one meant (more and the suggestion is a guess). */
const MAX_SUGGESTION_DISTANCE = 3;

/**
 * One warning per SCHEDULER_* variable (environment first, then .env) that no option reads: a typo
 * would otherwise silently leave the default in place. Names the closest known variable, if one is close.
 */
export function unknownVariableWarnings(sources: Omit<ConfigSources, 'flags' | 'profile'>): string[] {
  const known = knownSchedulerVariables();
  const warned = new Set<string>();
  const warnings: string[] = [];
  for (const [vars, where] of [[sources.env, ''], [sources.dotenv, ' (in .env)']] as const) {
    for (const name of Object.keys(vars)) {
      if (!name.startsWith('SCHEDULER_') || known.includes(name) || warned.has(name)) continue;
      warned.add(name);
      // A shortened name (SCHEDULER_TOTAL for SCHEDULER_TOTAL_WORKFLOWS) is as good as a near one.
      const closest = known
        .map((candidate) => ({ candidate, distance: candidate.startsWith(`${name}_`) ? 0 : editDistance(name, candidate) }))
        .sort((a, b) => a.distance - b.distance)[0];
      const suggestion = closest && closest.distance <= MAX_SUGGESTION_DISTANCE ? `; did you mean ${closest.candidate}?` : '';
      warnings.push(`unknown variable ${name}${where}${suggestion}`);
    }
  }
  return warnings;
}

/** An option's value from one set of variables: its own names first, then its PEM-data variable. */
function fromVariables(spec: OptionSpec, vars: Environment, where: string): unknown {
  const found = lookup(vars, spec.env);
  if (found) return parseWith(spec, found.raw, `${found.name}${where}`);
  const data = spec.dataEnv ? lookup(vars, [spec.dataEnv]) : undefined;
  return data ? { data: data.raw } : undefined;
}

/** The options of these commands at their default (the load commands' by default, as every resolved config has them). */
export function defaultConfig(commands: readonly CommandName[] = ['run', 'infinite']): RunConfig {
  const config: Record<string, unknown> = {};
  for (const spec of OPTION_SPECS.filter((option) => option.commands.some((command) => commands.includes(command)))) config[spec.key] = spec.defaultValue;
  return config as unknown as RunConfig;
}

/** `sched-bench` without a command runs `infinite` when SCHEDULER_INFINITE_MODE is true, else `run`. */
export function defaultCommand(sources: Omit<ConfigSources, 'flags'>): 'run' | 'infinite' {
  const found = lookup(sources.env, [INFINITE_MODE_ENV]) ?? lookup(sources.dotenv, [INFINITE_MODE_ENV]);
  if (!found) return 'run';
  try {
    return parseBoolean(found.raw) ? 'infinite' : 'run';
  } catch (error) {
    throw new UsageError(`invalid value "${found.raw}" for ${INFINITE_MODE_ENV}: ${(error as Error).message}`);
  }
}
