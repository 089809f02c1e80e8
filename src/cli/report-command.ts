import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileErrorReason, firstLine, UsageError } from '../errors.js';
import { renderHtmlReport, type ChartAssets } from '../report/html.js';
import { checkMergeable, MergeRefusal, mergeResults, statsOfResult } from '../report/merge.js';
import { formatCapacityComparison } from '../report/capacity-compare.js';
import { checkResult, isCapacityResult, ResultDamage, RUN_RESULT_VERSIONS, type AnyResult } from '../report/read-result.js';
import type { RunResult } from '../report/result.js';
import { formatSummary } from '../report/summary.js';
import { exitCodeOf } from './exit-codes.js';
import type { CliIO } from './io.js';
import type { RunConfig } from './options.js';
import { checkOneStdout, usesStdout, writeOutput } from './outputs.js';

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
    if (error.path === '' || error.path === 'schemaVersion') {
      throw new UsageError(`${path} is not a sched-bench result of schema version ${RUN_RESULT_VERSIONS.join(' or ')} (made with --json): ${error.message}`);
    }
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
  checkOneStdout(config);
  // With an output on stdout, the human lines move to stderr.
  const io: CliIO = usesStdout(config) ? { out: givenIO.err, err: givenIO.err } : givenIO;
  if (config.merge && files.length < 2) throw new UsageError('report --merge needs at least two results');
  const results = files.map(readResult);
  const capacities = results.flatMap((result, index) => (isCapacityResult(result) ? [{ label: `${String.fromCharCode(65 + index)} ${files[index]!}`, result }] : []));
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
    if (config.json) writeOutput(config.json, `${JSON.stringify(merged, null, 2)}\n`);
    if (config.html) writeHtmlReport(config.html, [merged]);
    return exitCodeOf({ kind: 'done' });
  }
  if (capacities.length > 0) io.out(formatCapacityComparison(capacities));
  if (config.html) {
    writeHtmlReport(config.html, results);
    io.out(`Report of ${reportName(results)} written to ${config.html === '-' ? 'stdout' : config.html}`);
  }
  return exitCodeOf({ kind: 'done' });
}
