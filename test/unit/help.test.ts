import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/cli/config.js';
import { ExitCode } from '../../src/cli/exit-codes.js';
import { describeOption, EXAMPLES, runCli } from '../../src/cli/main.js';
import { OPTION_SPECS, specsFor, type OptionSpec } from '../../src/cli/options.js';
import { ShutdownSignals } from '../../src/cli/signals.js';

async function help(args: string[]): Promise<string> {
  const out: string[] = [];
  const code = await runCli([...args, '--help'], {}, process.cwd(), { out: (line) => out.push(line), err: () => undefined }, new ShutdownSignals());
  expect(code).toBe(ExitCode.ok);
  return out.join('\n');
}

/** The codes listed under `Exit codes:` in a help text. */
function exitCodesIn(text: string): number[] {
  const block = text.split('\nExit codes:\n')[1] ?? '';
  return [...block.matchAll(/^ {2}(\d+) /gm)].map((match) => Number(match[1]));
}

const documentedCodes = Object.values(ExitCode).sort((a, b) => a - b);

describe('--help', () => {
  it('the top level shows examples and every exit code', async () => {
    const text = await help([]);
    expect(text).toContain('\nExamples:\n');
    for (const example of EXAMPLES) expect(text).toContain(`$ sched-bench ${example.command} ${example.args}`);
    expect(exitCodesIn(text)).toEqual(documentedCodes);
  });

  it.each(['run', 'infinite', 'schedules', 'capacity'] as const)('%s --help shows its examples and every exit code', async (command) => {
    const text = await help([command]);
    expect(text).toMatch(new RegExp(`\\nExamples:\\n(.*\\n)*  \\$ sched-bench ${command} `));
    expect(exitCodesIn(text)).toEqual(documentedCodes);
  });

  it.each(['run', 'infinite'] as const)('%s --help lists the workload options with their variables and defaults', async (command) => {
    // commander wraps the descriptions: read the text as one line
    const text = (await help([command])).replace(/\s+/g, ' ');
    for (const flag of ['--workload <name>', '--signals <n>', '--updates <n>', '--queries <n>', '--children <n>', '--timer-duration <time>',
      '--iterations <n>', '--mix <spec>', '--seed <n>', '--history-sample <fraction>']) {
      expect(text, flag).toContain(flag);
    }
    expect(text).toMatch(/--workload <name> what each workflow does: echo, signal, signal-with-start, update, update-with-start, query, child, timer, continue-as-new, mix/);
    expect(text).toContain('SCHEDULER_WORKLOAD; default: "echo"');
    expect(text).toContain('SCHEDULER_HISTORY_SAMPLE; default: 0.01');
  });

  it('the top level lists the capacity command; capacity --help offers the search, the workload, the worker and the outputs, not what means nothing there', async () => {
    expect(await help([])).toMatch(/\n {2}capacity \[options\] +find the highest rate/);
    const text = (await help(['capacity'])).replace(/\s+/g, ' ');
    const runText = (await help(['run'])).replace(/\s+/g, ' ');
    for (const flag of ['--slo <thresholds>', '--start-rate <per-second>', '--step-duration <time>', '--step-warmup <time>', '--precision <fraction>',
      '--max-rate <per-second>', '--max-duration <time>', '--expect <comparison>', '--address <host:port>', '--dev-server', '--worker',
      '--activity-slots <n>', '--workload <name>', '--history-sample <fraction>', '--json <file|->', '--ndjson <file|->', '--html <file|->', '--quiet',
      '--max-outage <time>', '--metrics-port <port>', '--run-id <id>', '--id-prefix <prefix>', '--retry-timeout <time>', '--concurrency <n>']) {
      expect(text, flag).toContain(flag);
    }
    // as --help shows each flag (other descriptions may name a flag in passing: "with --rate", "not with --no-wait")
    for (const flag of ['--total <n>', '--rate <per-second>', '--stages <list>', '--duration <time>', '--threshold <expr>', '--verify after',
      '--warmup <time>', '--no-wait count', '--max-runtime <seconds>', '--drain-timeout <time>', '--report-interval <seconds>',
      '--start-delay <time>', '--no-progress no']) {
      expect(text, flag).not.toContain(flag);
      if (flag !== '--max-runtime <seconds>') expect(runText, `run --help shows ${flag} so (the check can fail)`).toContain(flag);
    }
    expect(text).toContain('SCHEDULER_STEP_DURATION; default: 30)');
    expect(text).toContain('SCHEDULER_PRECISION; default: 0.05)');
    expect(text).toMatch(/\$ sched-bench capacity .*--slo '[^']+' .*--expect '>=100'/);
  });

  it('worker --help offers --metrics-port (its own metrics and the SDK\'s) and no workload option', async () => {
    const text = (await help(['worker'])).replace(/\s+/g, ' ');
    expect(text).toContain('--metrics-port <port>');
    expect(text).toMatch(/on port \+ 1/);
    expect(text).not.toContain('--workload');
    expect(text).toMatch(/the workloads'/);
  });

  it("the exit codes agree with the README's table", () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const table = readme.split('\n| code | meaning |\n')[1]!.split('\n\n')[0]!;
    const codes = [...table.matchAll(/^\| (\d+) \|/gm)].map((match) => Number(match[1]));
    expect(codes).toEqual(documentedCodes);
  });

  it.each(EXAMPLES.map((example) => [`${example.command} ${example.args}`, example] as const))(
    'the example "%s" uses only flags of its command, with valid values',
    (_, example) => {
      const words = [...example.args.matchAll(/'([^']*)'|(\S+)/g)].map((match) => match[1] ?? match[2]!);
      const specs = specsFor(example.command);
      const flags: Record<string, string | boolean | string[]> = {};
      for (let index = 0; index < words.length; index++) {
        const word = words[index]!;
        if (!word.startsWith('--')) continue; // a positional argument (report's files)
        const spec = specs.find((candidate) => candidate.flag.split(' ')[0] === word);
        expect(spec, `${word} is not an option of ${example.command}`).toBeDefined();
        if (!spec!.flag.includes('<')) flags[spec!.key] = !word.startsWith('--no-');
        else {
          const value = words[++index]!;
          flags[spec!.key] = spec!.repeatable ? [value] : value;
        }
      }
      expect(() => resolveConfig(example.command, { flags, env: {}, dotenv: {} })).not.toThrow();
    },
  );
});

describe('option help reads the way the flag works', () => {
  const negated = (OPTION_SPECS as readonly OptionSpec[]).filter((spec) => spec.flag.startsWith('--no-'));

  it('there are negated options to check', () => expect(negated.map((spec) => spec.flag)).toEqual(
    expect.arrayContaining(['--no-wait', '--no-eager-start', '--no-progress']),
  ));

  it.each(negated.map((spec) => [spec.flag, spec] as const))(
    '%s: the variable is shown with the value the flag stands for, the default as what happens without the flag',
    (_, spec) => {
      const text = describeOption(spec);
      for (const name of spec.env) expect(text).toContain(`${name}=false`);
      expect(spec.defaultText, `${spec.flag} needs a default in words`).toBeDefined();
      expect(text).not.toMatch(/default: (true|false|on|off)\b/);
    },
  );

  it('a plain switch names the value that turns it on and no "default: false"', () => {
    const verify = (OPTION_SPECS as readonly OptionSpec[]).find((spec) => spec.flag === '--verify')!;
    expect(describeOption(verify)).toMatch(/\(env: SCHEDULER_VERIFY=true\)$/);
    for (const spec of OPTION_SPECS as readonly OptionSpec[]) expect(describeOption(spec)).not.toContain('default: false');
  });

  it('an option with a value keeps its variable and default as before', () => {
    const concurrency = (OPTION_SPECS as readonly OptionSpec[]).find((spec) => spec.key === 'concurrency')!;
    expect(describeOption(concurrency)).toBe("workflows in flight at most, up to 100000 (env: SCHEDULER_CONCURRENCY; default: 10; with --rate and in capacity's steps 1000)");
  });
});
