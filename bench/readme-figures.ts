/**
 * README's benchmark figures, made from bench/results: the one place the README's numbers come from.
 * `npm run bench` rewrites the block between the markers after each run (`npm run bench:readme` does it
 * alone); test/unit/readme-figures.test.ts fails when the README and the latest results disagree.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatMillis } from '../src/report/units.js';

export interface BenchFigure {
  scenario: string;
  metric: string;
  value: number;
  unit: string;
  target?: string;
  pass?: boolean;
}

/** One bench/results/<date>.json. */
export interface ResultsFile {
  /** `2026-11-25`: the file's name without `.json`. */
  date: string;
  machine?: { cpus?: number; node?: string };
  figures: BenchFigure[];
}

export const BLOCK_START = '<!-- bench-figures: made from bench/results by `npm run bench:readme`; do not edit by hand -->';
export const BLOCK_END = '<!-- /bench-figures -->';

/** Every results file, newest first. */
export function readResultsFiles(directory: string): ResultsFile[] {
  return readdirSync(directory)
    .filter((name) => /^\d{4}-\d{2}-\d{2}\.json$/.test(name))
    .sort()
    .reverse()
    .map((name) => ({ date: name.slice(0, -'.json'.length), ...(JSON.parse(readFileSync(join(directory, name), 'utf8')) as Omit<ResultsFile, 'date'>) }));
}

/** The figures of one scenario in one file, looked up by their metric's text. */
class Scenario {
  constructor(
    readonly name: string,
    private readonly figures: BenchFigure[],
  ) {}

  one(metric: string | RegExp): BenchFigure {
    const found = this.find(metric);
    if (!found) throw new Error(`bench results: ${this.name} has no figure "${String(metric)}"; update bench/readme-figures.ts`);
    return found;
  }

  has(metric: string): boolean {
    return this.figures.some((figure) => figure.metric === metric);
  }

  /** The figure, or undefined when this file has none such. */
  find(metric: string | RegExp): BenchFigure | undefined {
    return this.figures.find((figure) => (typeof metric === 'string' ? figure.metric === metric : metric.test(figure.metric)));
  }

  value(metric: string | RegExp): number {
    return this.one(metric).value;
  }

  metrics(metric: RegExp): string[] {
    return this.figures.filter((figure) => metric.test(figure.metric)).map((figure) => figure.metric);
  }

  all(metric: RegExp): number[] {
    const values = this.figures.filter((figure) => metric.test(figure.metric)).map((figure) => figure.value);
    if (values.length === 0) throw new Error(`bench results: ${this.name} has no figure like ${String(metric)}; update bench/readme-figures.ts`);
    return values;
  }
}

/** Three significant digits; thousands grouped with a space: 10 100, 4 770, 119, 30.8, 0.778. */
export function formatFigure(value: number): string {
  const rounded = String(Number(value.toPrecision(3)));
  return Math.abs(value) >= 1000 ? groupDigits(rounded) : rounded;
}

/** `12345` → `12 345` (a whole number's digits in threes). */
const groupDigits = (digits: string): string => digits.replace(/\B(?=(\d{3})+$)/g, ' ');
/** A count as it is, digits grouped (99 999 must not read as 100 000). */
const formatCount = (value: number): string => groupDigits(String(Math.round(value)));
/** `99 999 of 100 000 workflows ✗` when a count misses its target, `100 000 workflows ✓` when it meets it. */
const countOf = (figure: BenchFigure): string =>
  `${formatCount(figure.value)}${figure.pass === false && figure.target ? ` of ${formatCount(Number(figure.target))}` : ''} workflows${check(figure)}`;
const ms = (value: number): string => formatMillis(value);
const percent = (value: number): string => `${Math.abs(value) < 10 ? value.toFixed(1) : value.toFixed(0)}%`;
const range = (values: number[], unit: string): string => {
  const [low, high] = [Math.min(...values), Math.max(...values)];
  return formatFigure(low) === formatFigure(high) ? `${formatFigure(low)} ${unit}` : `${formatFigure(low)}–${formatFigure(high)} ${unit}`;
};
const change = (before: number, after: number): string => `${after >= before ? '+' : '−'}${percent((Math.abs(after - before) / before) * 100)}`;
const check = (figure: BenchFigure): string => (figure.pass === undefined ? '' : figure.pass ? ' ✓' : ' ✗');

function openLoopAccuracy(scenario: Scenario): string {
  const started = scenario.one(/^started at /);
  const [, rate, seconds] = /^started at (\S+)\/s for (\S+)s$/.exec(started.metric) ?? [];
  return (
    `started ${started.value} of ${started.target ?? '?'}${check(started)} (${rate}/s for ${seconds} s); ` +
    `start lateness p99 ${ms(scenario.value('start lateness p99'))}; e2e p99 ${ms(scenario.value('e2e p99'))}`
  );
}

/** One memory case; `of` names its figures (start-only: as they are, start+wait: with a suffix). */
function memoryCase(scenario: Scenario, of: (metric: string) => string | RegExp): string {
  const spread = scenario.one(of('largest deviation from the mean'));
  const drift = scenario.one(of('drift: second half mean vs first half'));
  const minMax = scenario.one(of('RSS after warm-up, min / max'));
  const max = Number(/([\d.]+) MB$/.exec(minMax.unit)?.[1]);
  // Results before the peak was measured have no such figure.
  const peak = scenario.find(of('peak RSS (maxRSS)'));
  return (
    `RSS after warm-up: mean ${formatFigure(scenario.value(of('RSS after warm-up, mean')))} MB (${range([minMax.value, max], 'MB')}), ` +
    `${peak ? `peak ${formatFigure(peak.value)} MB${check(peak)}, ` : ''}largest deviation ${percent(spread.value)}${check(spread)}, drift ${percent(drift.value)}${check(drift)}`
  );
}

function memory(scenario: Scenario): string {
  const started = scenario.one(/^workflows started/);
  // The start-only mean was once named with the node flags it ran with: matched by its beginning.
  const startOnly = `${countOf(started)}; ${memoryCase(scenario, (metric) => (metric === 'RSS after warm-up, mean' ? /^RSS after warm-up, mean/ : metric))}`;
  const completed = scenario.find(/^workflows completed/);
  if (!completed) return startOnly;
  return `start-only: ${startOnly}; start+wait: ${countOf(completed)}, ${memoryCase(scenario, (metric) => `${metric} (start+wait)`)}`;
}

function workerMemory(scenario: Scenario): string {
  const completed = scenario.one(/^workflows completed/);
  const peak = scenario.one('worker peak RSS (VmHWM)');
  const minMax = scenario.one('worker RSS after warm-up, min / max');
  const max = Number(/([\d.]+) MB$/.exec(minMax.unit)?.[1]);
  const drift = scenario.one('worker RSS drift: second half mean vs first half');
  return (
    `${formatCount(completed.value)} workflows (${completed.metric.slice('workflows completed ('.length, -1)}): peak RSS ${formatFigure(peak.value)} MB${check(peak)}, ` +
    `after warm-up ${range([minMax.value, max], 'MB')}, drift ${percent(drift.value)}${check(drift)}; worker CPU per workflow ${ms(scenario.value('worker CPU per workflow (start-up included)'))}`
  );
}

/** The connections a results file measured, by their names in the metrics (older files have no http2). */
const CONNECTIONS: Array<[string, string]> = [['http2', 'http2'], ['native', 'native'], ['grpc', 'grpc-js']];

function clientCost(scenario: Scenario): string {
  const pattern = (connection: string, mode: string) => new RegExp(`^CPU per workflow \\(${connection}, concurrency \\d+, ${mode}\\)$`);
  const cpu = (connection: string, mode: string) => scenario.all(pattern(connection, mode));
  const modeText = (mode: string) =>
    CONNECTIONS.filter(([connection]) => scenario.metrics(pattern(connection, mode)).length > 0)
      .map(([connection, name]) => `${range(cpu(connection, mode), 'ms')} ${name}`)
      .join(', ');
  return (
    `CPU per completed workflow: start+wait ${modeText('start\\+wait')}; start-only ${modeText('start-only')} ` +
    `(at ${range(scenario.all(/^throughput /), 'wf/s')})`
  );
}

function maxStartRate(scenario: Scenario, target: 'fake frontend' | 'dev server'): string {
  const rateMetric = (connection: string, compression: string) => `starts per second (${target}, ${connection}, ${compression})`;
  const measured = CONNECTIONS.filter(([connection]) => scenario.has(rateMetric(connection, 'none')));
  const rates = measured
    .map(([connection, name]) => `${name} ${formatFigure(scenario.value(rateMetric(connection, 'none')))} / ${formatFigure(scenario.value(rateMetric(connection, 'gzip')))}`)
    .join(', ');
  // CPU per start of the default connection: the first measured.
  const [cpuConnection, cpuName] = measured[0]!;
  const cpu = (compression: string) => scenario.value(`CPU per start (${target}, ${cpuConnection}, ${compression})`);
  return (
    `starts/s without compression / with gzip: ${rates}; CPU per start (${cpuName}) ` +
    `${ms(cpu('none'))} / ${ms(cpu('gzip'))} (${change(cpu('gzip'), cpu('none'))} without compression)`
  );
}

function eagerStart(scenario: Scenario): string {
  const concurrencies = scenario.metrics(/^throughput \(concurrency \d+, eager off\)$/).map((metric) => /concurrency (\d+)/.exec(metric)![1]!);
  return concurrencies
    .map((concurrency) => {
      const of = (metric: string, eager: 'off' | 'on') => scenario.value(`${metric} (concurrency ${concurrency}, eager ${eager})`);
      const [off, on] = [of('throughput', 'off'), of('throughput', 'on')];
      return (
        `concurrency ${concurrency}: ${formatFigure(off)} → ${formatFigure(on)} wf/s (${change(off, on)}), ` +
        `e2e p50 ${ms(of('e2e p50', 'off'))} → ${ms(of('e2e p50', 'on'))}, p99 ${ms(of('e2e p99', 'off'))} → ${ms(of('e2e p99', 'on'))}`
      );
    })
    .join('; ');
}

/** A ratio's mark: ≈ where it holds only by its 95% interval (the pooled ratio misses the target; the rounds cannot tell it from it). */
const ratioCheck = (figure: BenchFigure, pooledMeetsTarget: boolean): string => (figure.pass && !pooledMeetsTarget ? ' ≈' : check(figure));

/** The peer cases run against one target (`dev server` or `fake frontend`): ratios first, then both tools' own figures. */
function peer(scenario: Scenario, target: 'dev server' | 'fake frontend'): string {
  const cases = scenario.metrics(new RegExp(`^throughput ratio sched-bench/Go \\(${target}, `)).map((metric) => /\((.*)\)$/.exec(metric)![1]!);
  if (cases.length === 0) throw new Error(`bench results: peer has no figure against the ${target}; update bench/readme-figures.ts`);
  return cases
    .map((label) => {
      const of = (metric: string) => scenario.one(`${metric} (${label})`);
      const per = scenario.has(`CPU per workflow ratio sched-bench/Go (${label})`) ? 'workflow' : 'start';
      const [throughput, cpu, rss] = [of('throughput ratio sched-bench/Go'), of(`CPU per ${per} ratio sched-bench/Go`), of('peak RSS ratio sched-bench/Go')];
      const unit = of('throughput, sched-bench').unit;
      // Results from before the intervals (2026-12-01 and older) have none.
      const interval = (metric: string) => {
        const name = `${metric}, 95% interval (${label})`;
        if (!scenario.has(name)) return '';
        const low = scenario.one(name);
        const high = /to ([\d.]+)×/.exec(low.unit)?.[1];
        return ` [95%: ${formatFigure(low.value)}–${high === undefined ? '?' : formatFigure(Number(high))}]`;
      };
      return (
        `${label.replace(`${target}, `, '').replace(/, steady$/, '')}: throughput ${formatFigure(throughput.value)}×${ratioCheck(throughput, throughput.value >= 1)}${interval('throughput ratio sched-bench/Go')} ` +
        `(${formatFigure(of('throughput, sched-bench').value)} vs ${formatFigure(of('throughput, Go runner').value)} ${unit}), ` +
        `CPU per ${per} ${formatFigure(cpu.value)}×${ratioCheck(cpu, cpu.value <= 1)}${interval(`CPU per ${per} ratio sched-bench/Go`)} (${ms(of(`CPU per ${per}, sched-bench`).value)} vs ${ms(of(`CPU per ${per}, Go runner`).value)}), ` +
        `peak RSS ${formatFigure(rss.value)}× (${formatFigure(of('peak RSS, sched-bench').value)} vs ${formatFigure(of('peak RSS, Go runner').value)} MB)`
      );
    })
    .join('; ');
}

function startup(scenario: Scenario): string {
  const ours = scenario.one(/^launch → first start request, median of \d+ \(sched-bench/);
  const minMax = scenario.one('launch → first start request, min / max (sched-bench)');
  const max = Number(/([\d.]+) ms$/.exec(minMax.unit)?.[1]);
  const go = scenario.metrics(/\(Go runner\)$/).length > 0 ? scenario.value(/^launch → first start request, median of \d+ \(Go runner\)$/) : undefined;
  const launches = /median of (\d+)/.exec(ours.metric)?.[1] ?? '?';
  return (
    `median of ${launches} launches ${ms(ours.value)}${check(ours)} (target ${ours.target ?? '?'}; ${ms(minMax.value)}–${ms(max)})` +
    (go === undefined ? '' : `; Go runner ${ms(go)}`)
  );
}

/** Per workload: throughput, e2e p99, and each operation's p50/p99. */
function workloads(scenario: Scenario): string {
  const labels = scenario.metrics(/^throughput \(--workload /).map((metric) => /^throughput \((.*)\)$/.exec(metric)![1]!);
  return labels
    .map((label) => {
      const suffix = ` p50 (${label})`;
      const operations = scenario.metrics(/ p50 \(/)
        .filter((metric) => metric.endsWith(suffix))
        .map((metric) => metric.slice(0, -suffix.length))
        .filter((name) => name !== 'e2e')
        .map((name) => `${name} ${ms(scenario.value(`${name} p50 (${label})`))}/${ms(scenario.value(`${name} p99 (${label})`))}`);
      const name = label.replace(/^--workload /, '');
      return `${name}: ${formatFigure(scenario.value(`throughput (${label})`))} wf/s, e2e p99 ${ms(scenario.value(`e2e p99 (${label})`))}` +
        (operations.length > 0 ? `, ${operations.join(', ')}` : '');
    })
    .join('; ');
}

/** The steps' verdicts as the table marks them (bench/capacity.ts names each step `step N, phase, target R wf/s, verdict`). */
const VERDICT_MARKS: Record<string, string> = { pass: '✓', fail: '✗' };

/** The capacity found and its bracket, how long the search took, then every step: target → achieved, e2e p99, verdict. */
function capacity(scenario: Scenario): string {
  const found = scenario.find(/^capacity at /);
  const stepsRun = scenario.one('steps run');
  const [, stop = '?', kind = '?'] = /stop: ([^,]+), answer: ([^)]+)\)/.exec(stepsRun.unit) ?? [];
  const bracketFigures: Array<[string, BenchFigure | undefined]> = [
    ['last passing', scenario.find('last passing step')], ['first failing', scenario.find('first failing step')], ['client-limited at', scenario.find('client-limited at')],
  ];
  const bracket = bracketFigures.flatMap(([name, figure]) => (figure ? [`${name} ${formatFigure(figure.value)} wf/s`] : []));
  const steps = scenario.metrics(/^achieved \(step /).map((metric) => {
    const label = /^achieved \((.*)\)$/.exec(metric)![1]!;
    const [, target, verdict = '?'] = /target (\S+) wf\/s, (\S+)$/.exec(label) ?? [];
    const p99 = scenario.find(`e2e p99 (${label})`);
    return `${target} → ${formatFigure(scenario.value(metric))}${p99 ? ` (${ms(p99.value)})` : ''} ${VERDICT_MARKS[verdict] ?? verdict}`;
  });
  const answer = found ? `**${formatFigure(found.value)} wf/s** at ${found.metric.slice('capacity at '.length)}` : `no capacity (${kind})`;
  return (
    `${answer}${bracket.length > 0 ? ` (${bracket.join(', ')})` : ''}; ${stepsRun.value} steps in ${formatFigure(scenario.value('search time'))} s ` +
    `(stop: ${stop}; load average ${formatFigure(scenario.value(/^load average/))} as it began); steps, target → achieved wf/s (e2e p99): ${steps.join(', ')}`
  );
}

/** Each row: a scenario of bench/run.ts, and how its figures read. */
const ROWS: ReadonlyArray<{ scenario: string; label: string; text: (scenario: Scenario) => string }> = [
  { scenario: 'open-loop-accuracy', label: '`open-loop-accuracy`', text: openLoopAccuracy },
  { scenario: 'memory', label: '`memory`', text: memory },
  { scenario: 'worker-memory', label: '`worker-memory`, `sched-bench worker` alone', text: workerMemory },
  { scenario: 'client-cost', label: '`client-cost`', text: clientCost },
  { scenario: 'max-start-rate', label: '`max-start-rate`, the tool alone (fake frontend)', text: (scenario) => maxStartRate(scenario, 'fake frontend') },
  { scenario: 'max-start-rate', label: '`max-start-rate`, the dev server', text: (scenario) => maxStartRate(scenario, 'dev server') },
  { scenario: 'eager-start', label: '`eager-start`, eager off → on', text: eagerStart },
  { scenario: 'peer', label: '`peer`, sched-bench/Go, the dev server, by window of a round', text: (scenario) => peer(scenario, 'dev server') },
  { scenario: 'peer', label: '`peer`, sched-bench/Go, steady state, the tool alone (fake frontend)', text: (scenario) => peer(scenario, 'fake frontend') },
  { scenario: 'startup', label: '`startup`, launch → first start request', text: startup },
  { scenario: 'workloads', label: '`workloads`, concurrency 10, embedded worker (operation p50/p99)', text: workloads },
  { scenario: 'capacity', label: '`capacity`, the dev server with a separate `sched-bench worker`, echo', text: capacity },
];

/** The README block: for each scenario, the figures of the newest results file that has it. */
export function figuresBlock(files: readonly ResultsFile[]): string {
  const rows: Array<{ label: string; text: string; file: ResultsFile }> = [];
  for (const row of ROWS) {
    const file = files.find((candidate) => candidate.figures.some((figure) => figure.scenario === row.scenario));
    if (!file) continue;
    rows.push({ label: row.label, file, text: row.text(new Scenario(row.scenario, file.figures.filter((figure) => figure.scenario === row.scenario))) });
  }
  const link = (file: ResultsFile) => `[${file.date}](bench/results/${file.date}.md)`;
  const machine = (file: ResultsFile) => [file.machine?.cpus ? `${file.machine.cpus} CPUs` : '', file.machine?.node ? `Node ${file.machine.node}` : ''].filter(Boolean).join(', ');
  const single = rows.every((row) => row.file === rows[0]?.file);
  const table = single
    ? [`Figures of ${rows[0] ? `${link(rows[0].file)} (${machine(rows[0].file)})` : 'no results yet'}:`, '', '| scenario | figures |', '|---|---|',
        ...rows.map((row) => `| ${row.label} | ${row.text} |`)]
    : ['Figures (each scenario from its newest results file):', '', '| scenario | figures | results |', '|---|---|---|',
        ...rows.map((row) => `| ${row.label} | ${row.text} | ${link(row.file)} (${machine(row.file)}) |`)];
  return [BLOCK_START, ...table, BLOCK_END].join('\n');
}

/** The README with its figures block replaced; throws when the markers are missing. */
export function withFiguresBlock(readme: string, block: string): string {
  const start = readme.indexOf(BLOCK_START);
  const end = readme.indexOf(BLOCK_END);
  if (start < 0 || end < start) throw new Error(`README.md has no "${BLOCK_START}" … "${BLOCK_END}" block`);
  return `${readme.slice(0, start)}${block}${readme.slice(end + BLOCK_END.length)}`;
}

/** The figures block as it stands in the README. */
export function figuresBlockOf(readme: string): string | undefined {
  const start = readme.indexOf(BLOCK_START);
  const end = readme.indexOf(BLOCK_END);
  return start < 0 || end < start ? undefined : readme.slice(start, end + BLOCK_END.length);
}

/** Rewrites the figures block of `<root>/README.md` from `<root>/bench/results`. */
export function updateReadme(root: string): void {
  const path = join(root, 'README.md');
  writeFileSync(path, withFiguresBlock(readFileSync(path, 'utf8'), figuresBlock(readResultsFiles(join(root, 'bench', 'results')))));
}
