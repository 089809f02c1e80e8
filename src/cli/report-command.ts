import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileErrorReason, firstLine, UsageError } from '../errors.js';
import { renderHtmlReport, type ChartAssets } from '../report/html.js';
import { checkMergeable, MergeRefusal, mergeResults, statsOfResult } from '../report/merge.js';
import { formatCapacityComparison } from '../report/capacity-compare.js';
import { checkResult, isCapacityResult, ResultDamage, type AnyResult } from '../report/read-result.js';
import { resultLetter } from '../report/result-labels.js';
import type { RunResult } from '../report/result.js';
import { formatSummary } from '../report/summary.js';
import { exitCodeOf } from './exit-codes.js';
import type { CliIO } from './io.js';
import type { RunConfig } from './options.js';
import { checkOutputs, usesStdout, writeOutput } from './outputs.js';

const require = createRequire(import.meta.url);

/** uPlot's script and style, read from the installed package to be inlined into the report. */
export function chartAssets(): ChartAssets {
  return {
    script: readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'),
    style: readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8'),
  };
}

/** Writes the HTML report of these results (atomically; "-": stdout). */
export function writeHtmlReport(path: string, results: readonly AnyResult[]): void {
  writeOutput(path, renderHtmlReport(results, chartAssets()));
}

/** Reads and checks one result file; anything wrong is one line naming the file and the field (exit 2). */
function readResult(path: string): AnyResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${path}: ${fileErrorReason(error)}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${path}: not JSON (${firstLine(error)})`);
  }
  try {
    return checkResult(parsed);
  } catch (error) {
    if (!(error instanceof ResultDamage)) throw error;
    // Not a result at all (another JSON file): say so rather than list its fields.
    if (error.path === '') throw new UsageError(`${path} is not a sched-bench result (made with --json): ${error.message}`);
    if (error.path === 'schemaVersion') throw new UsageError(`${path} is not a result this sched-bench reads: ${error.problem}`);
    throw new UsageError(`${path}: ${error.message}`);
  }
}

/** What the report of these results is called in its one line. */
function reportName(results: readonly AnyResult[]): string {
  if (results.length > 1) return `${results.length} ${results.every(isCapacityResult) ? 'capacity searches' : 'runs'}`;
  const [only] = results;
  return `${only!.command === 'schedules' ? 'schedules run' : only!.command === 'capacity' ? 'capacity search' : 'run'} ${only!.runId}`;
}

/**
 * `sched-bench report a.json [b.json …] --html out.html`: one run's report, or several side by side.
 * Capacity results are also compared in text (their answers, the change in capacity), --html optional.
 * With --merge: one result from processes that ran together, printed as a summary and written with
 * --json and/or --html.
 */
export function runReport(files: readonly string[], config: RunConfig, givenIO: CliIO): number {
  // Refused before any file is read or anything printed: an output that cannot be written (exit 2).
  checkOutputs({ json: config.merge ? config.json : undefined, html: config.html, ndjson: undefined });
  // With an output on stdout, the human lines move to stderr.
  const io: CliIO = usesStdout(config) ? { out: givenIO.err, err: givenIO.err } : givenIO;
  if (config.merge && files.length < 2) throw new UsageError('report --merge needs at least two results');
  const results = files.map(readResult);
  const capacities = results.flatMap((result, index) => (isCapacityResult(result) ? [{ label: `${resultLetter(index)} ${files[index]!}`, result }] : []));
  // Only capacity results have a report in text; the others need a file to write it to.
  if (!config.merge && !config.html && capacities.length < results.length) {
    throw new UsageError('report needs --html <file> to write (or --merge); only capacity results are compared without it');
  }
  if (config.merge) {
    let mergeable: RunResult[];
    try {
      mergeable = checkMergeable(files.map((file, index) => ({ file, result: results[index]! })), config.forceMerge);
    } catch (error) {
      if (error instanceof MergeRefusal) throw new UsageError(error.message);
      throw error;
    }
    const merged = mergeResults(mergeable);
    const stats = statsOfResult(merged);
    const latency = { start: merged.latency.start, e2e: merged.latency.e2e, startLateness: merged.latency.startLateness };
    io.out(`Merged ${results.length} results of run ${merged.runId}`);
    io.out(formatSummary({
      stats, latency, operations: merged.operations, historyReads: merged.historyReads, wait: merged.loadModel.wait, thresholds: [], client: merged.client,
    }));
    const jsonLost = config.json ? !writeReported(io, () => writeOutput(config.json!, `${JSON.stringify(merged, null, 2)}\n`)) : false;
    const htmlLost = config.html ? !writeReported(io, () => writeHtmlReport(config.html!, [merged])) : false;
    return exitCodeOf(jsonLost || htmlLost ? lostOutput : { kind: 'done' });
  }
  if (capacities.length > 0) io.out(formatCapacityComparison(capacities));
  if (config.html) {
    if (!writeReported(io, () => writeHtmlReport(config.html!, results))) return exitCodeOf(lostOutput);
    io.out(`Report of ${reportName(results)} written to ${config.html === '-' ? 'stdout' : config.html}`);
  }
  return exitCodeOf({ kind: 'done' });
}

/** An output that was not written: exit 1, as for every command. */
const lostOutput = { kind: 'done', outputLost: true } as const;

/**
 * Writes one output; a failure after the checks (the disk filled, the directory went away) is one line
 * naming the output, and the report goes on: lost output is exit 1 (README), not a usage error.
 */
function writeReported(io: CliIO, write: () => void): boolean {
  try {
    write();
    return true;
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.err(`sched-bench: ${error.message}`);
    return false;
  }
}
