import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { quietLogger } from './runtime.js';

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;

/** The EchoWorkflow source: compiled JS next to dist/src, or the TypeScript source when run from src/. */
export function echoWorkflowPath(): string {
  for (const candidate of ['../../workflows/echo.js', '../../workflows/echo.ts']) {
    const path = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(path)) return path;
  }
  throw new Error('workflows/echo not found next to the sched-bench sources; run "npm run build"');
}

/** Bundles the workflow code once per process; every worker of the process shares the bundle. */
export function echoWorkflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({ workflowsPath: echoWorkflowPath(), logger: quietLogger() });
  return bundle;
}
