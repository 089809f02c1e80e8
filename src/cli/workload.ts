import { readFileSync } from 'node:fs';
import { fileErrorReason, UsageError } from '../errors.js';
import type { Workload } from '../scheduler/types.js';
import type { WorkloadName } from '../workloads/workload.js';
import { ECHO_DEFAULTS, WORKLOAD_DEFAULTS, type RunConfig } from './options.js';

/** The message padded with "." to `size` bytes (UTF-8); a longer message is kept as it is. */
export function padMessage(message: string, size: number | undefined): string {
  if (size === undefined) return message;
  const bytes = Buffer.byteLength(message);
  return bytes >= size ? message : message + '.'.repeat(size - bytes);
}

function readInputFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read --input-file ${path}: ${fileErrorReason(error)}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new UsageError(`--input-file ${path} is not JSON: ${(error as Error).message}`);
  }
}

type SingleWorkload = Exclude<Workload, { kind: 'mix' }>;
type SingleName = Exclude<WorkloadName, 'mix'>;

/** The options that shape only some workloads, and the workloads each shapes (README "Workloads"). */
const PARAMETERS: ReadonlyArray<{ flag: string; given: (config: RunConfig) => boolean; for: readonly SingleName[] }> = [
  { flag: '--signals', given: (config) => config.signals !== undefined, for: ['signal', 'signal-with-start'] },
  { flag: '--updates', given: (config) => config.updates !== undefined, for: ['update', 'update-with-start'] },
  { flag: '--queries', given: (config) => config.queries !== undefined, for: ['query'] },
  { flag: '--children', given: (config) => config.children !== undefined, for: ['child'] },
  { flag: '--timer-duration', given: (config) => config.timerDuration !== undefined, for: ['timer'] },
  { flag: '--iterations', given: (config) => config.iterations !== undefined, for: ['continue-as-new'] },
  { flag: '--message', given: (config) => config.message !== undefined, for: ['echo'] },
  { flag: '--count', given: (config) => config.count !== undefined, for: ['echo'] },
  { flag: '--payload-size', given: (config) => config.payloadSize !== undefined, for: ['echo'] },
  { flag: '--activity-delay', given: (config) => config.activityDelay > 0, for: ['echo'] },
  { flag: '--local-activities', given: (config) => config.localActivities, for: ['echo'] },
];

/** The workloads a run launches: the mix's parts, else the one. */
function launchedNames(config: RunConfig): SingleName[] {
  if (config.workload !== 'mix') return [config.workload];
  if (config.mix === undefined) throw new UsageError('--workload mix needs --mix, e.g. --mix echo=70,signal=20,update=10');
  return config.mix.map((part) => part.name);
}

/** The run as a --start-delay refusal names it: its workload, or the mix with the part the delay does not go with. */
function delayedWhat(config: RunConfig, part: SingleName): string {
  return config.workload === 'mix' ? `--mix with ${part}` : `--workload ${config.workload}`;
}

/**
 * Refuses what would be silently unused: a workload's parameter (--signals, --payload-size, …) given to a
 * run that launches no workload it shapes, --mix without --workload mix, --workflow-type with another workload;
 * and --start-delay with any workload but echo.
 */
function checkWorkloadOptions(config: RunConfig): void {
  if (config.mix !== undefined && config.workload !== 'mix') {
    throw new UsageError(`--mix needs --workload mix (the workload is ${config.workload})`);
  }
  if (config.seed !== undefined && config.workload !== 'mix') {
    throw new UsageError(`--seed seeds the draws of --workload mix: it does nothing for --workload ${config.workload}`);
  }
  if (config.workflowType !== undefined && config.workload !== 'echo') {
    throw new UsageError(`--workflow-type starts your own workflow type in place of the EchoWorkflow: it does not go with --workload ${config.workload}`);
  }
  const launched = launchedNames(config);
  const delayed = launched.find((name) => name !== 'echo');
  if (config.startDelay !== undefined && delayed !== undefined) {
    // update-with-start is refused by the server with a start delay; for the others the delay would be inside
    // the operations' latencies (their signals, updates, queries wait for the delayed start).
    throw new UsageError(
      `--start-delay applies to --workload echo (or --workflow-type) only, not to ${delayedWhat(config, delayed)}: ` +
        'the delay would count in its operation latencies (and update-with-start does not take a start delay)',
    );
  }
  const unused = PARAMETERS.find((parameter) => parameter.given(config) && !parameter.for.some((name) => launched.includes(name)));
  if (unused) {
    const what = config.workload === 'mix' ? `--mix ${launched.join(',')}` : `--workload ${config.workload}`;
    throw new UsageError(`${unused.flag} applies to ${unused.for.map((name) => `--workload ${name}`).join(' or ')} (or a mix with it), not to ${what}`);
  }
}

/** The EchoWorkflow as the echo options shape it (given, else ECHO_DEFAULTS). */
function echoWorkload(config: RunConfig): SingleWorkload {
  return {
    kind: 'echo',
    message: padMessage(config.message ?? ECHO_DEFAULTS.message, config.payloadSize),
    count: config.count ?? ECHO_DEFAULTS.count,
    ...(config.activityDelay > 0 ? { activityDelayMs: config.activityDelay } : {}),
    ...(config.localActivities ? { localActivities: true } : {}),
  };
}

/** One named workload with its parameters (given, else WORKLOAD_DEFAULTS). */
function singleWorkload(name: SingleName, config: RunConfig): SingleWorkload {
  switch (name) {
    case 'echo': return echoWorkload(config);
    case 'signal':
    case 'signal-with-start':
      return { kind: 'signal', signals: config.signals ?? WORKLOAD_DEFAULTS.signals, withStart: name === 'signal-with-start' };
    case 'update':
    case 'update-with-start':
      return { kind: 'update', updates: config.updates ?? WORKLOAD_DEFAULTS.updates, withStart: name === 'update-with-start' };
    case 'query': return { kind: 'query', queries: config.queries ?? WORKLOAD_DEFAULTS.queries };
    case 'child': return { kind: 'child', children: config.children ?? WORKLOAD_DEFAULTS.children };
    case 'timer': return { kind: 'timer', durationMs: Math.round((config.timerDuration ?? WORKLOAD_DEFAULTS.timerDuration) * 1000) };
    case 'continue-as-new': return { kind: 'continue-as-new', iterations: config.iterations ?? WORKLOAD_DEFAULTS.iterations };
  }
}

/**
 * What each launch does, from the options, with the combinations that make no sense refused (see
 * checkWorkloadOptions). `readInputs: false` leaves --input-file unread (what a run measures does not
 * depend on it).
 */
export function workloadOf(config: RunConfig, { readInputs = true } = {}): Workload {
  checkWorkloadOptions(config);
  const { workflowType } = config;
  if (workflowType === undefined) {
    if (config.input !== undefined || config.inputFile !== undefined) {
      throw new UsageError('--input and --input-file need --workflow-type (the EchoWorkflow takes --message, --count, --payload-size)');
    }
    if (config.workload !== 'mix') return singleWorkload(config.workload, config);
    const parts = config.mix!.map((part) => ({ workload: singleWorkload(part.name, config), weight: part.weight }));
    return { kind: 'mix', parts, seed: config.seed ?? WORKLOAD_DEFAULTS.seed };
  }
  const echoOnly = [
    ['--message', config.message !== undefined],
    ['--count', config.count !== undefined],
    ['--payload-size', config.payloadSize !== undefined],
    ['--activity-delay', config.activityDelay > 0],
    ['--local-activities', config.localActivities],
    ['--worker', config.worker],
    ['--dev-server', config.devServer],
  ].filter(([, used]) => used).map(([flag]) => flag);
  if (echoOnly.length > 0) {
    throw new UsageError(`${echoOnly.join(', ')} ${echoOnly.length > 1 ? 'apply' : 'applies'} to the built-in EchoWorkflow only, not to --workflow-type ${workflowType} (run your own workers for it)`);
  }
  const inputFile = readInputs && config.inputFile !== undefined ? [readInputFile(config.inputFile)] : [];
  return { kind: 'custom', workflowType, args: [...(config.input ?? []), ...inputFile] };
}
