import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { UsageError } from '../errors.js';
import { renderHtmlReport, type ChartAssets } from '../report/html.js';
import { RESULT_SCHEMA_VERSION, type RunResult } from '../report/result.js';
import { ExitCode } from './exit-codes.js';
import type { CliIO } from './io.js';
import type { RunConfig } from './options.js';
import { writeFileAtomic } from './outputs.js';

const require = createRequire(import.meta.url);

/** uPlot's script and style, read from the installed package to be inlined into the report. */
export function chartAssets(): ChartAssets {
  return {
    script: readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'),
    style: readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8'),
  };
}

/** Writes the HTML report of these results (atomically). */
export function writeHtmlReport(path: string, results: readonly RunResult[]): void {
  writeFileAtomic(path, renderHtmlReport(results, chartAssets()));
}

function readResult(path: string): RunResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read ${path}: ${code === 'ENOENT' ? 'no such file' : (error as Error).message.split('\n')[0]}`);
  }
  const version = (parsed as { schemaVersion?: unknown } | null)?.schemaVersion;
  if (version !== RESULT_SCHEMA_VERSION) {
    throw new UsageError(`${path} is not a sched-bench result of schema version ${RESULT_SCHEMA_VERSION} (made with --json)`);
  }
  return parsed as RunResult;
}

/** `sched-bench report a.json [b.json …] --html out.html`: one run's report, or several side by side. */
export function runReport(files: readonly string[], config: RunConfig, io: CliIO): number {
  if (!config.html) throw new UsageError('report needs --html <file> to write');
  const results = files.map(readResult);
  writeHtmlReport(config.html, results);
  io.out(`Report of ${results.length === 1 ? `run ${results[0]!.runId}` : `${results.length} runs`} written to ${config.html}`);
  return ExitCode.ok;
}
