/**
 * The one table of options: it drives the commander flags, `--help`, config resolution and
 * validation. README and .env.example list the same rows.
 */

export type CommandName = 'run' | 'infinite' | 'worker';

export interface RunConfig {
  address: string;
  namespace: string;
  taskQueue: string;
  concurrency: number;
  reportInterval: number;
  message: string;
  count: number;
  totalWorkflows: number;
  maxRuntime: number;
  wait: boolean;
  worker: boolean;
  devServer: boolean;
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
}

const expected = (what: string): never => {
  throw new Error(`expected ${what}`);
};

export const parseInteger =
  (min: number): Parser<number> =>
  (raw) => {
    const value = Number(raw.trim());
    return /^[+-]?\d+$/.test(raw.trim()) && Number.isSafeInteger(value) && value >= min
      ? value
      : expected(`an integer ≥ ${min}`);
  };

export const parseSeconds =
  ({ allowZero }: { allowZero: boolean }): Parser<number> =>
  (raw) => {
    const value = Number(raw.trim());
    const valid = raw.trim() !== '' && Number.isFinite(value) && (allowZero ? value >= 0 : value > 0);
    return valid ? value : expected(allowZero ? 'a number of seconds ≥ 0' : 'a number of seconds > 0');
  };

export const parseBoolean: Parser<boolean> = (raw) => {
  const text = raw.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(text)) return true;
  if (['false', '0', 'no', 'off'].includes(text)) return false;
  return expected('true or false');
};

export const parseText: Parser<string> = (raw) => (raw.trim() !== '' ? raw : expected('a non-empty text'));

/** host:port, as the Temporal CLI takes it (`[::1]:7233` for IPv6). */
export const parseAddress: Parser<string> = (raw) => {
  const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(raw.trim());
  const port = match ? Number(match[2]) : 0;
  return match && port >= 1 && port <= 65535 ? raw.trim() : expected('host:port, e.g. localhost:7233');
};

const LOAD: readonly CommandName[] = ['run', 'infinite'];
const ALL: readonly CommandName[] = ['run', 'infinite', 'worker'];

function option<K extends keyof RunConfig>(spec: OptionSpec<K>): OptionSpec<K> {
  return spec;
}

export const OPTION_SPECS = [
  option({
    key: 'address', flag: '--address <host:port>', env: ['TEMPORAL_ADDRESS'], defaultValue: 'localhost:7233',
    description: 'Temporal frontend address', parse: parseAddress, commands: ALL,
  }),
  option({
    key: 'namespace', flag: '--namespace <name>', env: ['SCHEDULER_NAMESPACE', 'TEMPORAL_NAMESPACE'],
    defaultValue: 'default', description: 'Temporal namespace', parse: parseText, commands: ALL,
  }),
  option({
    key: 'taskQueue', flag: '--task-queue <name>', env: ['SCHEDULER_TASK_QUEUE'], defaultValue: 'benchmark',
    description: 'task queue the EchoWorkflows (and the worker) use', parse: parseText, commands: ALL,
  }),
  option({
    key: 'concurrency', flag: '--concurrency <n>', env: ['SCHEDULER_CONCURRENCY'], defaultValue: 10,
    description: 'workflows in flight at most', parse: parseInteger(1), commands: LOAD,
  }),
  option({
    key: 'reportInterval', flag: '--report-interval <seconds>', env: ['SCHEDULER_REPORT_INTERVAL'],
    defaultValue: 10, description: 'seconds between progress lines', parse: parseSeconds({ allowZero: false }),
    commands: LOAD,
  }),
  option({
    key: 'message', flag: '--message <text>', env: ['SCHEDULER_MESSAGE'], defaultValue: 'Test scheduler',
    description: 'message each EchoWorkflow echoes', parse: parseText, commands: LOAD,
  }),
  option({
    key: 'count', flag: '--count <n>', env: ['SCHEDULER_COUNT'], defaultValue: 1,
    description: 'echo activities per workflow', parse: parseInteger(1), commands: LOAD,
  }),
  option({
    key: 'totalWorkflows', flag: '--total <n>', env: ['SCHEDULER_TOTAL_WORKFLOWS'], defaultValue: 100,
    description: 'workflows to run in a batch', parse: parseInteger(1), commands: ['run'],
  }),
  option({
    key: 'maxRuntime', flag: '--max-runtime <seconds>', env: ['SCHEDULER_MAX_RUNTIME'], defaultValue: 0,
    description: 'stop an infinite run after this long (0 = until a signal)',
    parse: parseSeconds({ allowZero: true }), commands: ['infinite'],
  }),
  option({
    key: 'wait', flag: '--no-wait', env: ['SCHEDULER_WAIT'], defaultValue: true,
    description: 'count a workflow done when its start is acknowledged (start-only throughput)',
    parse: parseBoolean, commands: LOAD,
  }),
  option({
    key: 'worker', flag: '--worker', env: ['SCHEDULER_WORKER'], defaultValue: false,
    description: 'run an EchoWorkflow worker inside this process (shares its CPU)', parse: parseBoolean,
    commands: LOAD,
  }),
  option({
    key: 'devServer', flag: '--dev-server', env: ['SCHEDULER_DEV_SERVER'], defaultValue: false,
    description: 'start a private Temporal dev server plus a worker, stopped on exit', parse: parseBoolean,
    commands: LOAD,
  }),
] as const satisfies readonly OptionSpec[];

/** Picks `sched-bench` without a command: infinite when true, batch otherwise. */
export const INFINITE_MODE_ENV = 'SCHEDULER_INFINITE_MODE';

export function specsFor(command: CommandName): OptionSpec[] {
  return (OPTION_SPECS as readonly OptionSpec[]).filter((spec) => spec.commands.includes(command));
}
