import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { UsageError } from '../errors.js';
import { parseBoolean, specsFor, INFINITE_MODE_ENV, type CommandName, type OptionSpec, type RunConfig } from './options.js';

export type Environment = Readonly<Record<string, string | undefined>>;

/** Where the values come from, highest priority first: flags, then environment, then .env, then defaults. */
export interface ConfigSources {
  /** Raw flag values given on the command line, by option key (`true`/`false` for switches). */
  flags: Partial<Record<keyof RunConfig, string | boolean | string[]>>;
  env: Environment;
  dotenv: Environment;
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
    throw new UsageError(`invalid value "${raw}" for ${origin}: ${(error as Error).message}`);
  }
}

/** An unset or empty variable counts as absent (CI templates often leave variables empty). */
function lookup(vars: Environment, names: readonly string[]): { name: string; raw: string } | undefined {
  for (const name of names) {
    const raw = vars[name];
    if (raw !== undefined && raw.trim() !== '') return { name, raw };
  }
  return undefined;
}

/** Resolves every option of a command: flag > environment > .env > default. */
export function resolveConfig(command: CommandName, sources: ConfigSources): RunConfig {
  const config: Record<string, unknown> = {};
  for (const spec of specsFor(command)) {
    const flagValue = sources.flags[spec.key];
    const flagName = spec.flag.split(' ')[0]!;
    if (typeof flagValue === 'boolean') {
      config[spec.key] = flagValue;
    } else if (Array.isArray(flagValue)) {
      config[spec.key] = parseWith(spec, flagValue.join(';'), flagName);
    } else if (flagValue !== undefined) {
      config[spec.key] = parseWith(spec, flagValue, flagName);
    } else {
      const fromEnv = lookup(sources.env, spec.env);
      const fromDotenv = fromEnv ? undefined : lookup(sources.dotenv, spec.env);
      if (fromEnv) config[spec.key] = parseWith(spec, fromEnv.raw, fromEnv.name);
      else if (fromDotenv) config[spec.key] = parseWith(spec, fromDotenv.raw, `${fromDotenv.name} (in .env)`);
      else config[spec.key] = spec.defaultValue;
    }
  }
  return { ...defaultConfig(), ...config } as RunConfig;
}

/** Every option at its default (including those the command does not use). */
export function defaultConfig(): RunConfig {
  const config: Record<string, unknown> = {};
  for (const spec of specsFor('run').concat(specsFor('infinite'))) config[spec.key] = spec.defaultValue;
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
