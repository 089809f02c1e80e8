/**
 * The documentation the options table makes: the `--help` line of an option, `.env.example` and the
 * README's options tables. Pure (strings in, strings out); `npm run docs` (write-docs.ts) writes the
 * files, and a unit test fails when they differ from what this module makes of the table.
 */

import { MAX_CONCURRENCY } from '../scheduler/load-model.js';
import { OPERATIONS, OPERATION_NAMES, type OperationName } from '../shared/operations.js';
import { operationsMeasuredBy, WORKLOAD_NAMES } from '../workloads/workload.js';
import { defaultConfig } from './config.js';
import { workloadOf } from './workload.js';
import {
  DRAIN_STALL_SECONDS, INFINITE_MODE_ENV, MIN_REPORT_INTERVAL_SECONDS, OPTION_SPECS, type CommandName, type OptionSpec, type RunConfig,
} from './options.js';

type Spec = OptionSpec;

/** A switch off unless given (`--verify`): its variable turns it on with `=true`, and it has no default to show. */
function isPlainSwitch(spec: Spec): boolean {
  return !spec.flag.includes('<') && !isNegated(spec) && spec.defaultValue === false && spec.defaultText === undefined;
}

function isNegated(spec: Spec): boolean {
  return spec.flag.startsWith('--no-');
}

/** The option's own variables, each with the value that stands for the flag where it is a switch (`SCHEDULER_WAIT=false`). */
export function variablesWithFlagValue(spec: Spec): string[] {
  const value = isNegated(spec) ? '=false' : isPlainSwitch(spec) ? '=true' : '';
  return spec.env.map((name) => `${name}${value}`);
}

/**
 * The default in words: the option's own text when it is computed, else its value, passed through
 * `quote` (which may mark it as code). undefined for a switch, whose default is "not given".
 */
export function defaultText(spec: Spec, quote: (value: string) => string): string | undefined {
  if (spec.defaultText !== undefined) return spec.defaultText;
  if (isPlainSwitch(spec) || isNegated(spec)) return undefined;
  return quote(String(spec.defaultValue));
}

/** Quotes a text default (`"default"`), leaving numbers and booleans bare. */
const quoteText = (spec: Spec) => (value: string): string => (typeof spec.defaultValue === 'string' ? `"${value}"` : value);

/**
 * The help text of an option: its description, then its variable and default. A switch that is off
 * unless given names the variable's value that turns it on; a negated one (`--no-wait`) the value that
 * turns it off, and its default says what happens without the flag, never a bare `true`.
 */
export function describeOption(spec: Spec): string {
  const details = spec.env.length > 0 ? [`env: ${variablesWithFlagValue(spec).join(' or ')}`] : [];
  const shown = defaultText(spec, quoteText(spec));
  // `default: none` says nothing an option without a default does not: left out, as the start line leaves out unused settings.
  if (shown !== undefined && shown !== 'none') details.push(`default: ${shown}`);
  return details.length > 0 ? `${spec.description} (${details.join('; ')})` : spec.description;
}

/** A variable that is no option of a command, documented beside the options of its topic. */
interface OtherVariable {
  name: string;
  description: string;
  /** In words. */
  defaultText: string;
  /** The default as the variable holds it, shown on the .env.example line (else the line is empty). */
  defaultValue?: string;
  /** An example value shown there instead (said so: setting it changes the run). */
  example?: string;
  /** Only in .env.example (the README tells of it in its own section). */
  envExampleOnly?: boolean;
}

interface Topic {
  title: string;
  /** The options of the topic, in the order they are listed. */
  keys: ReadonlyArray<keyof RunConfig>;
  others?: readonly OtherVariable[];
  /** The README table it goes to: the Options section, or the section of its command. */
  readmeSection: ReadmeSectionName;
}

type ReadmeSectionName = 'options' | 'schedules-options';
/** Every generated README section: the options tables, and the operations' latencies (README "Workloads"). */
type GeneratedSectionName = ReadmeSectionName | 'operations';

/** Every option sits in one topic: .env.example and the README list them topic by topic. */
export const TOPICS: readonly Topic[] = [
  {
    title: 'Connection (README "Connecting to a cluster")',
    readmeSection: 'options',
    keys: ['address', 'namespace', 'profile', 'apiKey', 'tls', 'tlsCert', 'tlsKey', 'tlsCa', 'tlsServerName', 'grpcMeta',
      'connectTimeout', 'retryTimeout', 'connection', 'grpcCompression', 'taskQueue'],
    others: [{
      // No example value: a .env line is not expanded by a shell, so `~/…` would name no file.
      name: 'TEMPORAL_CONFIG_FILE', description: 'the Temporal config file whose profile --profile picks, as the temporal CLI reads it',
      defaultText: '~/.config/temporalio/temporal.toml',
    }],
  },
  {
    title: 'Load',
    readmeSection: 'options',
    keys: ['concurrency', 'rate', 'stages', 'duration', 'warmup', 'reportInterval', 'totalWorkflows', 'maxRuntime', 'wait',
      'worker', 'devServer', 'eagerStart', 'startDelay'],
    others: [
      { name: INFINITE_MODE_ENV, description: '`sched-bench` without a command runs `infinite` when true, `run` when false', defaultText: 'false', defaultValue: 'false' },
      { name: 'TEMPORAL_CLI_PATH', description: 'the Temporal CLI binary --dev-server starts', defaultText: '`temporal` on PATH, else one installed into the cache' },
    ],
  },
  {
    title: 'Workload',
    readmeSection: 'options',
    keys: ['workload', 'signals', 'updates', 'queries', 'children', 'timerDuration', 'iterations', 'mix', 'seed', 'historySample',
      'message', 'count', 'workflowType', 'input', 'inputFile', 'payloadSize', 'activityDelay', 'localActivities', 'idPrefix', 'runId'],
  },
  {
    title: 'Worker tuning (`worker`, --worker, --dev-server)',
    readmeSection: 'options',
    keys: ['workers', 'workflowSlots', 'activitySlots', 'pollers', 'stickyCacheSize'],
  },
  { title: 'Stopping', readmeSection: 'options', keys: ['drainTimeout', 'maxOutage', 'onStop'] },
  {
    title: 'Output and checks',
    readmeSection: 'options',
    keys: ['progress', 'quiet', 'json', 'html', 'ndjson', 'metricsPort', 'thresholds', 'verify'],
  },
  { title: '`cleanup` and `report`', readmeSection: 'options', keys: ['all', 'dryRun', 'merge', 'forceMerge'] },
  {
    title: '`schedules`',
    readmeSection: 'schedules-options',
    keys: ['schedules', 'every', 'cron', 'jitter', 'fires', 'overlap', 'catchupWindow', 'onConflict'],
  },
  {
    title: '`capacity` (README "Finding capacity")',
    readmeSection: 'options',
    keys: ['slo', 'startRate', 'stepDuration', 'stepWarmup', 'precision', 'maxRate', 'maxDuration', 'expect'],
  },
  {
    title: 'Many machines: `agent` and --agents (README "Many machines")',
    readmeSection: 'options',
    keys: ['agents', 'agentWait', 'onAgentLoss', 'controlTaskQueue', 'controlNamespace', 'controlAddress', 'agentName'],
  },
  {
    title: 'For supervisors and tests (no option of any command)',
    readmeSection: 'options',
    keys: [],
    others: [{
      name: 'SCHED_BENCH_DEBUG_READY',
      description: 'when set, the bin writes "sched-bench: ready for signals" on stderr once SIGINT/SIGTERM are handled ' +
        '(a signal before that line ends the process as for any Node program still booting)',
      defaultText: 'unset', example: '1', envExampleOnly: true,
    }],
  },
];

/**
 * What the README's table says beyond `--help`'s description (markdown): the why and the limits an
 * option's help line has no room for.
 */
const README_NOTES: Partial<Record<keyof RunConfig, string>> = {
  grpcMeta: '`_` in `<KEY>` becomes `-`',
  retryTimeout: 'See [Server outages and throttling](#server-outages-and-throttling)',
  concurrency:
    `Closed loop: the workflows in flight; open loop (and \`capacity\`'s steps): the cap on them. More than ${MAX_CONCURRENCY}: several processes with a shared \`--run-id\``,
  rate:
    'Also the limit of a `--stages` target: one process sends about 10 000/s, and arrivals a microsecond apart are finer than ' +
    'any timer keeps, so per-start timing would mean nothing (for "as fast as it goes", leave out `--rate`)',
  reportInterval: `Fractions and units allowed; below ${MIN_REPORT_INTERVAL_SECONDS * 1000} ms the timer's own lag under load is much of the interval`,
  eagerStart:
    "Eager starts go through the SDK core's own retries, so throttled attempts are then not counted one by one; " +
    '`SCHEDULER_EAGER_START=true` without an embedded worker or with `--connection grpc` is exit 2',
  startDelay: "Delay lag is read from each workflow's history (server clock only); threshold `delay_lag.p99<…`",
  inputFile: 'It comes after the `--input`s',
  workload: 'Each workflow counts as one in the counts and rates, whatever it does; its operations get their own latencies',
  signals: 'Given to a run without a signal workload: exit 2 (so are `--updates`, `--queries`, `--children`, `--timer-duration`, `--iterations` and the echo options)',
  seed: 'Fixed by default: runs with the same options draw the same sequence; give another seed for another sequence. Without `--workload mix`: exit 2',
  historySample:
    'Counted, not drawn (the 100th, 200th, … finished workflow at 0.01), for every workload alike, also those that read every history for their own ' +
    'latencies (signal, signal-with-start, child, timer); see [Workloads](#workloads) for the cost',
  payloadSize: 'The padding is `.`',
  drainTimeout:
    `Without it the drain waits as long as workflows keep finishing, and gives up once none has for ${DRAIN_STALL_SECONDS} s (plus the ` +
    "workload's `--activity-delay` × `--count`, its `--timer-duration` and `--start-delay`; twice the longest workflow seen, if that is longer), " +
    'so workflows nobody runs cannot hold a stopped run',
  maxOutage:
    'The run then ends at once (no drain): one line, the JSON result with the open outage in `serverHealth`, ' +
    '`stopReason: aborted`; `capacity` stops its search with stop reason `error` naming the outage (exit 1, no capacity claimed)',
  thresholds: 'More: `failed.rate<0.01`, `throughput>50`; see [Thresholds](#thresholds-ci-gating)',
  cron: 'Fields: minute hour day-of-month month day-of-week; names, ranges, steps',
  slo:
    'Without it `capacity` exits 2. A lower bound (`throughput>50`) is refused: it would fail at low rates and pass at high ones. ' +
    'Failures are part of every SLO: without a `failed.rate`/`failed.count` bound, a step with any failed workflow fails (`failed.count<=0`); ' +
    'so does a step whose drain left workflows running, or whose in-flight cap (`--concurrency`) filled',
  expect:
    'Judged on the last passing rate; an "at least" answer (no step failed) meets only `>=`/`>`, a "below the start rate" answer only ' +
    '`<=`/`<` at or above that rate; a search that was client-limited, stopped on an error or was interrupted ' +
    'does not meet it (see [Signals and exit codes](#signals-and-exit-codes))',
};

/** Values shown on the commented-out line of an option without a default of its own to show. */
const ENV_EXAMPLES: Partial<Record<string, string>> = {
  TEMPORAL_TLS_CLIENT_CERT_PATH: 'client.pem',
  TEMPORAL_TLS_CLIENT_KEY_PATH: 'client.key',
  TEMPORAL_TLS_SERVER_CA_CERT_PATH: 'ca.pem',
  TEMPORAL_TLS_SERVER_NAME: 'temporal.internal',
  TEMPORAL_GRPC_META_X_TENANT: 'bench',
  SCHEDULER_CONNECTION: 'native',
  SCHEDULER_RATE: '50',
  SCHEDULER_STAGES: '30s:50,1m:200,30s:0',
  SCHEDULER_DURATION: '5m',
  SCHEDULER_START_DELAY: '5s',
  SCHEDULER_WORKFLOW_TYPE: 'OrderWorkflow',
  SCHEDULER_INPUT: '{"orderId":1}',
  SCHEDULER_INPUT_FILE: 'input.json',
  SCHEDULER_PAYLOAD_SIZE: '1024',
  SCHEDULER_SIGNALS: '3',
  SCHEDULER_UPDATES: '3',
  SCHEDULER_QUERIES: '3',
  SCHEDULER_CHILDREN: '3',
  SCHEDULER_TIMER_DURATION: '1s',
  SCHEDULER_ITERATIONS: '3',
  SCHEDULER_MIX: 'echo=70,signal=20,update=10',
  SCHEDULER_POLLERS: 'auto',
  SCHEDULER_DRAIN_TIMEOUT: '30s',
  SCHEDULER_METRICS_PORT: '9464',
  SCHEDULER_JSON: 'result.json',
  SCHEDULER_HTML: 'report.html',
  SCHEDULER_NDJSON: 'intervals.ndjson',
  SCHEDULER_THRESHOLDS: 'e2e.p99<2s;failed.rate<0.01',
  SCHEDULER_EVERY: '5s',
  SCHEDULER_CRON: '*/5 * * * *',
  SCHEDULER_FIRES: '60',
  SCHEDULER_CATCHUP_WINDOW: '1m',
  SCHEDULER_SLO: 'e2e.p99<2s,failed.rate<0.1%',
  SCHEDULER_MAX_RATE: '2000',
  SCHEDULER_MAX_DURATION: '30m',
  SCHEDULER_EXPECT: '>=100',
};

/**
 * The options a profile of the Temporal config file may set (src/cli/connection.ts): their default is
 * the profile's when it has one, so .env.example shows no value for them (a test holds this to it).
 */
const SET_BY_PROFILE: ReadonlySet<keyof RunConfig> = new Set<keyof RunConfig>([
  'address', 'namespace', 'apiKey', 'grpcMeta', 'tls', 'tlsServerName', 'tlsCert', 'tlsKey', 'tlsCa',
]);

/** One commented-out `NAME=value` line of .env.example. */
export interface EnvExampleLine {
  name: string;
  value: string;
  /** true: the value is an example (setting it changes the run); false: the default (setting it changes nothing). */
  isExample: boolean;
}

/** The options no topic lists, and those two topics list: both must be empty (`npm run docs` refuses otherwise). */
export function topicProblems(): string[] {
  const listed = TOPICS.flatMap((topic) => topic.keys);
  const missing = OPTION_SPECS.filter((spec) => !listed.includes(spec.key)).map((spec) => `${spec.key} is in no topic`);
  const twice = listed.filter((key, index) => listed.indexOf(key) !== index).map((key) => `${key} is in two topics`);
  return [...missing, ...twice];
}

function checkTopics(): void {
  const problems = topicProblems();
  if (problems.length > 0) throw new Error(`options-docs.ts TOPICS: ${problems.join('; ')}`);
}

function specOf(key: keyof RunConfig): Spec {
  const spec = (OPTION_SPECS as readonly Spec[]).find((candidate) => candidate.key === key);
  if (!spec) throw new Error(`TOPICS names "${key}", which the options table does not have`);
  return spec;
}

/** The default as a variable holds it: a text, number or boolean; nothing for a computed or empty default. */
function defaultAsVariable(spec: Spec): string | undefined {
  const value = spec.defaultValue;
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : undefined;
}

/** The variable lines of an option: its own variables, its PEM-text variable, or one example of its prefix. */
export function envExampleLines(spec: Spec): EnvExampleLine[] {
  const line = (name: string, shownDefault: string | undefined): EnvExampleLine => {
    const example = ENV_EXAMPLES[name];
    if (shownDefault !== undefined) return { name, value: shownDefault, isExample: false };
    return example !== undefined ? { name, value: example, isExample: true } : { name, value: '', isExample: false };
  };
  // The first variable shows the default, unless a config profile may set the option: a .env line would
  // then hide the profile's value. The variables read after it stay empty (empty counts as unset).
  const shownDefault = SET_BY_PROFILE.has(spec.key) ? undefined : defaultAsVariable(spec);
  const lines = spec.env.map((name, index) => line(name, index === 0 ? shownDefault : undefined));
  if (spec.dataEnv) lines.push(line(spec.dataEnv, undefined));
  if (spec.envPrefix) lines.push(...Object.keys(ENV_EXAMPLES).filter((name) => name.startsWith(spec.envPrefix!)).map((name) => line(name, undefined)));
  return lines;
}

function otherVariableLine(variable: OtherVariable): EnvExampleLine {
  if (variable.example !== undefined) return { name: variable.name, value: variable.example, isExample: true };
  return { name: variable.name, value: variable.defaultValue ?? '', isExample: false };
}

const WRAP_WIDTH = 110;

/** Comment lines of at most WRAP_WIDTH characters (a longer word stands alone). */
function commentLines(text: string): string[] {
  const lines: string[] = [];
  let current = '#';
  for (const word of text.split(/\s+/).filter((part) => part !== '')) {
    if (current !== '#' && current.length + 1 + word.length > WRAP_WIDTH) {
      lines.push(current);
      current = '#';
    }
    current += ` ${word}`;
  }
  return [...lines, current];
}

function commandsText(commands: readonly CommandName[]): string {
  return commands.join(', ');
}

function envExampleEntry(spec: Spec): string[] {
  const shown = defaultText(spec, quoteText(spec));
  const variables = envExampleLines(spec);
  const example = variables.some((variable) => variable.isExample) ? ' Example below.' : '';
  const profile = SET_BY_PROFILE.has(spec.key) ? ' (or the config profile\'s)' : '';
  const about = `${spec.flag.split(' ')[0]} (${commandsText(spec.commands)}): ${spec.description}. Default: ${shown ?? 'off'}${profile}.${example}`;
  return [...commentLines(about), ...variables.map((variable) => `# ${variable.name}=${variable.value}`)];
}

function otherEnvExampleEntry(variable: OtherVariable): string[] {
  const line = otherVariableLine(variable);
  const about = `${variable.description}. Default: ${variable.defaultText}.${line.isExample ? ' Example below.' : ''}`;
  return [...commentLines(about), `# ${line.name}=${line.value}`];
}

const ENV_EXAMPLE_HEADER = [
  '# sched-bench settings, made from the options table (src/cli/options.ts) by `npm run docs`: do not edit by hand.',
  '# Safe to copy to .env (read from the working directory): every line is a comment, so a copy changes nothing.',
  '# Uncomment a line to set it. A line showing the default keeps it; an example (said so above it) changes the run.',
  '# Precedence: command-line flag > environment variable > .env file > Temporal config profile > default.',
  '# An empty value counts as unset.',
];

/** The whole text of `.env.example`. */
export function envExampleText(): string {
  checkTopics();
  // Options without a variable (`--all`, `--merge`, …) have nothing to put in a .env.
  const sections = TOPICS.map((topic) => ({
    title: topic.title,
    entries: [
      ...topic.keys.map(specOf).filter((spec) => envExampleLines(spec).length > 0).flatMap(envExampleEntry),
      ...(topic.others ?? []).flatMap(otherEnvExampleEntry),
    ],
  }))
    .filter((section) => section.entries.length > 0)
    .map((section) => [`# --- ${section.title}`, ...section.entries].join('\n'));
  return `${[ENV_EXAMPLE_HEADER.join('\n'), ...sections].join('\n\n')}\n`;
}

/** Text as a README table cell: on one line, `|` escaped (also in code spans, as GitHub tables want). */
function cell(markdown: string): string {
  return markdown.replace(/\s*\n\s*/g, ' ').replace(/\|/g, '\\|');
}

/** GitHub's anchor of a heading: `Connecting to a cluster` → `connecting-to-a-cluster`. */
const anchorOf = (heading: string): string => heading.toLowerCase().replace(/[^a-z0-9 -]/g, '').replace(/ /g, '-');

/**
 * Plain text (the table's descriptions) as markdown: `<KEY>` would be read as an HTML tag, and
 * `README "Benchmark"` (as --help says it) is a link inside the README.
 */
const prose = (text: string): string =>
  text.replace(/</g, '\\<').replace(/README "([^"]+)"/g, (_, heading: string) => `[${heading}](#${anchorOf(heading)})`);

const code = (text: string): string => `\`${text}\``;

function readmeVariables(spec: Spec): string {
  const names = variablesWithFlagValue(spec).map(code);
  const own = names.length > 1 ? `${names[0]} (then ${names.slice(1).join(', ')})` : names[0];
  const extra = [
    ...(spec.dataEnv ? [`${code(spec.dataEnv)} (PEM text)`] : []),
    ...(spec.envPrefix ? [code(`${spec.envPrefix}<KEY>`)] : []),
  ];
  const all = [own, ...extra].filter((part): part is string => part !== undefined);
  return all.length > 0 ? all.join(' or ') : '—';
}

function readmeRow(spec: Spec): string {
  const shown = defaultText(spec, code);
  const defaultCell = shown === undefined ? 'off' : spec.defaultText !== undefined ? prose(shown) : shown;
  const note = README_NOTES[spec.key];
  const meaning = note === undefined ? prose(spec.description) : `${prose(spec.description)}. ${note}`;
  const cells = [code(spec.flag), readmeVariables(spec), defaultCell, meaning, spec.commands.map(code).join(' ')];
  return `| ${cells.map(cell).join(' | ')} |`;
}

function readmeOtherRow(variable: OtherVariable): string {
  return `| ${['(none)', code(variable.name), prose(variable.defaultText), prose(variable.description), '—'].map(cell).join(' | ')} |`;
}

const TABLE_HEAD = '| flag | environment | default | meaning | commands |\n|---|---|---|---|---|';

/** A section's markers; the start marker is found by its beginning, so its words may change. */
function sectionMarkers(name: GeneratedSectionName): { start: string; startPrefix: string; end: string } {
  return {
    start: `<!-- ${name}:start: made from ${name === 'operations' ? 'src/shared/operations.ts' : 'src/cli/options.ts'} by \`npm run docs\`; do not edit by hand -->`,
    startPrefix: `<!-- ${name}:start`,
    end: `<!-- ${name}:end -->`,
  };
}

const SOURCE_TEXT: Record<(typeof OPERATIONS)[OperationName]['source'], string> = {
  client: "sched-bench's clock: the client's round trip",
  history: "the workflow's history: the server's clock",
  workflow: "the workflow's own time stamps",
};

/** The workloads whose runs measure an operation (with their results, and --history-sample for the workers' latencies). */
function workloadsMeasuring(operation: OperationName): string {
  if (operation === 'workflow_task.schedule_to_start') return 'every workload but `--workflow-type` (with `--history-sample` > 0)';
  if (operation === 'activity_task.schedule_to_start') return '`echo` without `--local-activities` (with `--history-sample` > 0)';
  const names = WORKLOAD_NAMES.filter((name) => name !== 'mix' &&
    operationsMeasuredBy(workloadOf({ ...defaultConfig(), workload: name }), { wait: true, historySample: 0 }).includes(operation));
  return names.map(code).join(', ');
}

/** The table of the operations' latencies (src/shared/operations.ts), between its markers. */
function operationsSection(): string {
  const rows = OPERATION_NAMES.map((operation) =>
    `| ${[code(operation), workloadsMeasuring(operation), SOURCE_TEXT[OPERATIONS[operation].source], prose(OPERATIONS[operation].meaning)].map(cell).join(' | ')} |`);
  const { start, end } = sectionMarkers('operations');
  return [start, ['| latency | measured by | clock | meaning |', '|---|---|---|---|', ...rows].join('\n'), end].join('\n\n');
}

/** One README section: a table per topic (or the operations' table), between its markers. */
export function readmeSection(name: GeneratedSectionName): string {
  if (name === 'operations') return operationsSection();
  checkTopics();
  const topics = TOPICS.filter((topic) => topic.readmeSection === name);
  const tables = topics.flatMap((topic) => {
    const rows = [
      ...topic.keys.map((key) => readmeRow(specOf(key))),
      ...(topic.others ?? []).filter((variable) => !variable.envExampleOnly).map(readmeOtherRow),
    ];
    if (rows.length === 0) return [];
    return [[...(topics.length > 1 ? [`**${prose(topic.title)}**`, ''] : []), TABLE_HEAD, ...rows].join('\n')];
  });
  const { start, end } = sectionMarkers(name);
  return [start, ...tables, end].join('\n\n');
}

export const README_SECTIONS: readonly GeneratedSectionName[] = ['options', 'schedules-options', 'operations'];

/** The README with each generated section replaced by what the options table makes now. */
export function readmeWithOptions(readme: string): string {
  let text = readme;
  for (const name of README_SECTIONS) {
    const { startPrefix, end } = sectionMarkers(name);
    const from = text.indexOf(startPrefix);
    const to = text.indexOf(end);
    if (from < 0 || to < from) throw new Error(`README.md has no "${startPrefix} …" … "${end}" section`);
    text = `${text.slice(0, from)}${readmeSection(name)}${text.slice(to + end.length)}`;
  }
  return text;
}
