import { Command, CommanderError, Option } from 'commander';
import { ConnectionError, EnvironmentError, firstLine, UsageError } from '../errors.js';
import { defaultCommand, readDotenv, resolveConfig, unknownVariableWarnings, type ConfigSources, type Environment } from './config.js';
import { ExitCode, exitCodeOf } from './exit-codes.js';
import { processIO, type CliIO } from './io.js';
import { INFINITE_MODE_ENV, specsFor, type CommandName, type RunConfig } from './options.js';
import { connectionWarnings, loadProfileDefaults } from './connection.js';
import { describeOption } from './options-docs.js';
import { ShutdownSignals } from './signals.js';
import { cliLookupOf } from '../temporal/temporal-cli.js';
import { VERSION } from '../version.js';

/** The --help text of an option (options-docs.ts makes it, with the rest of the options' docs). */
export { describeOption };

const COMMAND_DESCRIPTIONS: Record<CommandName, string> = {
  run: 'batch: run --total workflows, then exit',
  infinite: 'run workflows until a signal or --max-runtime',
  worker: "run a worker of sched-bench's workflows (EchoWorkflow and the workloads') until a signal",
  cleanup: 'delete the workflows sched-bench started (--run-id <id> or --all; --dry-run to count only)',
  report: 'render saved --json results as an HTML report: one run, or several side by side',
  schedules: 'create Temporal Schedules, measure how late they fire (fire lag, pickup lag), then delete them',
  agent: 'poll the control task queue and run the load slices of `run|infinite|capacity --agents N` until a signal (README "Many machines")',
  capacity: 'find the highest rate (wf/s) the cluster sustains within an SLO: open-loop steps, growing, then bisected; --expect gates CI on it',
};

type Spec = ReturnType<typeof specsFor>[number];

function toOption(spec: Spec): Option {
  const option = new Option(spec.flag, describeOption(spec));
  if (spec.repeatable) option.argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value]);
  return option;
}

/** Real commands, shown in --help: all on the top level, each command's own under it. */
export const EXAMPLES: ReadonlyArray<{ command: CommandName; args: string; what: string }> = [
  { command: 'run', args: '--dev-server --total 1000 --concurrency 50', what: 'a batch on a private dev server with an embedded worker' },
  {
    command: 'infinite', args: "--dev-server --rate 50 --duration 5m --threshold 'e2e.p99<2s' --json r.json",
    what: 'open loop, 50 starts/s for 5 min; exit 99 unless e2e p99 < 2 s; result as JSON',
  },
  { command: 'run', args: '--dev-server --workload update --updates 3 --total 500', what: 'update latency: 3 updates per workflow (README "Workloads")' },
  { command: 'worker', args: '--address temporal.example:7233 --metrics-port 9464', what: "on one machine: host sched-bench's workflows for a cluster, metrics for Prometheus" },
  { command: 'run', args: '--address temporal.example:7233 --total 10000 --concurrency 100', what: 'on another: load that cluster' },
  { command: 'schedules', args: '--dev-server --schedules 10 --every 1s --duration 1m', what: 'how late 10 Temporal Schedules fire' },
  {
    command: 'capacity', args: "--address temporal.example:7233 --slo 'e2e.p99<2s,failed.rate<0.1%' --start-rate 20 --max-duration 20m --expect '>=100' --json capacity.json",
    what: 'the highest rate the cluster holds within the SLO (30 s steps); exit 99 if below 100 wf/s',
  },
  { command: 'report', args: 'before.json after.json --html compare.html', what: 'two saved --json results side by side' },
  { command: 'cleanup', args: '--run-id mwwdul1h-cdd2 --dry-run', what: "count a run's workflows on the server (without --dry-run: delete them)" },
];

function examplesHelp(command?: CommandName): string {
  const chosen = EXAMPLES.filter((example) => command === undefined || example.command === command);
  if (chosen.length === 0) return '';
  return ['Examples:', ...chosen.flatMap((example) => [`  # ${example.what}`, `  $ sched-bench ${example.command} ${example.args}`])].join('\n');
}

/** What each exit code means (README "Signals and exit codes" has the same table). */
export const EXIT_CODE_MEANINGS: Record<(typeof ExitCode)[keyof typeof ExitCode], string> = {
  [ExitCode.ok]: 'the run finished and nothing failed (with thresholds: they all held); capacity: the\n' +
    '       search ended on its own terms (found, --max-rate, --max-duration, or the start\n' +
    '       rate already failed) and --expect, if given, held',
  [ExitCode.failure]: 'a workflow failed; the run was cut short (the embedded worker died, the server\n' +
    '       stayed away past --max-outage, the drain gave up); the server could not be\n' +
    '       reached; --verify differed; output could not be written; capacity: the search\n' +
    '       was client-limited (sched-bench, not the server, was the limit: no measure of\n' +
    '       the server, whatever --expect says) or stopped on an error',
  [ExitCode.usage]: 'bad usage: unknown command or flag, bad flag or environment value',
  [ExitCode.thresholdsFailed]: 'a --threshold did not hold; capacity: --expect did not hold (also when no step passed)',
  [ExitCode.interrupted]: 'a batch or a capacity search was interrupted before its end, or a second signal\n' +
    '       forced the exit',
};

function exitCodesHelp(): string {
  const rows = Object.entries(EXIT_CODE_MEANINGS).map(([code, meaning]) => `  ${code.padEnd(4)} ${meaning}`);
  return ['Exit codes:', ...rows].join('\n');
}

/** Commands whose runs end with a verdict: their help lists the exit codes. */
const RUN_COMMANDS: readonly CommandName[] = ['run', 'infinite', 'schedules', 'capacity'];

/** Inserts the command picked by SCHEDULER_INFINITE_MODE when the arguments name none. */
function withDefaultCommand(args: string[], sources: Omit<ConfigSources, 'flags'>): string[] {
  const first = args[0];
  const asksForHelp = first === '-h' || first === '--help' || first === '-V' || first === '--version' || first === 'help';
  if (asksForHelp || (first !== undefined && !first.startsWith('-'))) return args;
  return [defaultCommand(sources), ...args];
}

function buildProgram(
  io: CliIO,
  onCommand: (command: CommandName, flags: ConfigSources['flags'], args: string[]) => void,
): Command {
  const program = new Command('sched-bench')
    .description('Load benchmark for Temporal: starts EchoWorkflows with bounded concurrency and reports the rate.')
    .version(VERSION)
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.out(text.trimEnd()), writeErr: (text) => io.err(text.trimEnd()), outputError: () => {} })
    .addHelpText(
      'after',
      `\nWithout a command: "run", or "infinite" when ${INFINITE_MODE_ENV}=true.\nValues: flag > environment > .env file > default.\n\n` +
        `${examplesHelp()}\n\n${exitCodesHelp()}`,
    );

  for (const name of ['run', 'infinite', 'schedules', 'capacity', 'worker', 'agent', 'cleanup', 'report'] as const) {
    const command = program.command(name).description(COMMAND_DESCRIPTIONS[name]).exitOverride();
    const blocks = [examplesHelp(name), RUN_COMMANDS.includes(name) ? exitCodesHelp() : ''].filter((block) => block !== '');
    command.addHelpText('after', `\n${blocks.join('\n\n')}`);
    if (name === 'report') command.argument('<results...>', 'JSON results written by --json');
    const specs = specsFor(name);
    const options = specs.map(toOption);
    for (const option of options) command.addOption(option);
    command.action((...actionArgs: unknown[]) => {
      const positional = name === 'report' ? (actionArgs[0] as string[]) : [];
      const flags: ConfigSources['flags'] = {};
      specs.forEach((spec, index) => {
        const attribute = options[index]!.attributeName();
        if (command.getOptionValueSource(attribute) === 'cli') {
          flags[spec.key] = command.getOptionValue(attribute) as string | boolean | string[];
        }
      });
      onCommand(name, flags, positional);
    });
  }
  return program;
}

/** Turns an error into its one line; its exit code comes from exitCodeOf. */
function reportError(error: unknown, io: CliIO): number {
  if (error instanceof CommanderError) {
    if (error.exitCode !== 0) io.err(`sched-bench: ${error.message.replace(/^error: /, '')}`); // not for --help, --version
  } else if (error instanceof UsageError || error instanceof ConnectionError || error instanceof EnvironmentError) {
    io.err(`sched-bench: ${error.message}`);
  } else {
    io.err(`sched-bench: unexpected error: ${firstLine(error)}`);
  }
  return exitCodeOf({ kind: 'error', error });
}

/** Runs the CLI with the given arguments (without `node` and the script) and returns the exit code. */
export async function runCli(
  args: string[],
  env: Environment,
  cwd: string,
  io: CliIO,
  signals: ShutdownSignals,
  terminal: { stdoutIsTTY: boolean } = { stdoutIsTTY: false },
): Promise<number> {
  try {
    const dotenv = readDotenv(cwd);
    let chosen: { command: CommandName; config: RunConfig; args: string[] } | undefined;
    const program = buildProgram(io, (command, flags, args) => {
      // Only when a command runs (not for --help or --version), and before a bad value can end it.
      for (const warning of unknownVariableWarnings({ env, dotenv })) io.err(`sched-bench: ${warning}`);
      // The profile name is an option itself; its profile then supplies defaults for the connection.
      const { profile: profileName } = resolveConfig(command, { flags, env, dotenv });
      const profile = loadProfileDefaults(profileName, env, dotenv);
      chosen = { command, config: resolveConfig(command, { flags, env, dotenv, profile }), args };
    });
    await program.parseAsync(withDefaultCommand(args, { env, dotenv }), { from: 'user' });
    if (!chosen) return exitCodeOf({ kind: 'done' });
    if (chosen.command !== 'report') for (const warning of connectionWarnings(chosen.config)) io.err(warning);
    const lookupPath = cliLookupOf(env, io.err);
    // Loaded on demand: the Temporal SDK is heavy, and --help or a usage error should not wait for it.
    if (chosen.command === 'report') {
      const { runReport } = await import('./report-command.js');
      return runReport(chosen.args, chosen.config, io);
    }
    if (chosen.command === 'cleanup') {
      const { runCleanup } = await import('./cleanup-command.js');
      return await runCleanup(chosen.config, io);
    }
    if (chosen.command === 'worker') {
      const { runWorker } = await import('./worker-command.js');
      return await runWorker(chosen.config, io, signals);
    }
    if (chosen.command === 'agent') {
      const { runAgentCommand } = await import('./agent-command.js');
      return await runAgentCommand(chosen.config, io, signals);
    }
    if (chosen.config.agents !== undefined && (chosen.command === 'run' || chosen.command === 'infinite')) {
      const { runDistributed } = await import('./distributed-command.js');
      return await runDistributed(chosen.command === 'run' ? 'batch' : 'infinite', chosen.config, io, lookupPath, signals);
    }
    if (chosen.command === 'schedules') {
      const { runSchedules } = await import('./schedules-command.js');
      return await runSchedules(chosen.config, io, lookupPath, signals);
    }
    if (chosen.command === 'capacity') {
      const { runCapacityCommand } = await import('./capacity-command.js');
      return await runCapacityCommand(chosen.config, io, lookupPath, signals);
    }
    const { runLoad } = await import('./run-command.js');
    return await runLoad(chosen.command === 'run' ? 'batch' : 'infinite', chosen.config, io, lookupPath, signals, {
      stdoutIsTTY: terminal.stdoutIsTTY,
      env,
    });
  } catch (error) {
    return reportError(error, io);
  }
}

/** The bin entry: real argv, environment and streams; exits with the run's code. */
export async function main(earlySignals: readonly NodeJS.Signals[] = []): Promise<void> {
  // First thing: a signal during start-up is not lost (the bin holds those that came while loading).
  const signals = new ShutdownSignals().install(earlySignals.length);
  // A reader that goes away (`| head`) must not crash the run with EPIPE: the rest of stdout is dropped.
  process.stdout.on('error', () => undefined);
  const code = await runCli(process.argv.slice(2), process.env, process.cwd(), processIO, signals, {
    stdoutIsTTY: process.stdout.isTTY === true,
  });
  process.exit(code);
}
