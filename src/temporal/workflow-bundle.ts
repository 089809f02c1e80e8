import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WorkflowBundle, WorkflowBundlePath } from '@temporalio/worker';

const require = createRequire(import.meta.url);

/** Either the bundled code in memory, or the path of a bundle file written by an earlier run. */
export type WorkerWorkflowBundle = WorkflowBundle | WorkflowBundlePath;

/**
 * The worker's workflows: the entry (workflows/index) that exports every workflow sched-bench hosts, as
 * compiled JS next to dist/src, or the TypeScript source when run from src/.
 */
export function workflowsEntryPath(): string {
  for (const candidate of ['../../workflows/index.js', '../../workflows/index.ts']) {
    const path = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(path)) return path;
  }
  throw new Error('workflows/index not found next to the sched-bench sources; run "npm run build"');
}

/**
 * Every workflow source file next to the entry (same extension), names and contents, in a stable order:
 * what goes into the bundle from sched-bench's side, so a change to any workflow changes the cache key.
 */
export function workflowSources(entryPath: string): Buffer {
  const directory = dirname(entryPath);
  const extension = extname(entryPath);
  const files = readdirSync(directory).filter((name) => name.endsWith(extension) && !name.endsWith(`.d${extension}`)).sort();
  return Buffer.concat(files.flatMap((name) => [Buffer.from(`${name}\0`), readFileSync(join(directory, name)), Buffer.from('\0')]));
}

function packageVersion(name: string): string {
  try {
    return (require(`${name}/package.json`) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/**
 * The bundle's file name in the cache: it changes with everything the bundle is made of (the workflow
 * source, and the SDK packages whose code and bundler go into it), so a stale bundle is never read.
 */
export function bundleFileName(workflowSource: string | Buffer, sdkVersions: readonly string[]): string {
  const hash = createHash('sha256').update(workflowSource).update('\0').update(sdkVersions.join('\0')).digest('hex');
  return `workflows-${hash.slice(0, 20)}.js`;
}

let bundle: Promise<WorkerWorkflowBundle> | undefined;

/**
 * The bundle of every workflow the worker hosts, made once per process and shared by every worker of the process. Bundling
 * (webpack) costs ~2.5 s of CPU and ~70 MB of memory that the process keeps; with `cacheDir` the bundle
 * is written there once and later runs read the file instead. A cache that cannot be written only costs
 * the time: the bundle is then used from memory.
 */
export function workerWorkflowBundle(cacheDir?: string): Promise<WorkerWorkflowBundle> {
  bundle ??= readOrBuildWorkflowBundle(cacheDir);
  return bundle;
}

/** The cached bundle's path if `cacheDir` has it; else a new bundle, written to `cacheDir` for the next run. */
export async function readOrBuildWorkflowBundle(cacheDir: string | undefined): Promise<WorkerWorkflowBundle> {
  const sourcePath = workflowsEntryPath();
  const cachedPath = cacheDir
    ? join(cacheDir, bundleFileName(workflowSources(sourcePath), ['@temporalio/worker', '@temporalio/workflow'].map(packageVersion)))
    : undefined;
  if (cachedPath && existsSync(cachedPath)) return { codePath: cachedPath };
  // The bundler (webpack) is loaded only when a bundle has to be made.
  const [{ bundleWorkflowCode }, { quietLogger }] = await Promise.all([import('@temporalio/worker'), import('./runtime.js')]);
  const { code } = await bundleWorkflowCode({ workflowsPath: sourcePath, logger: quietLogger() });
  if (cachedPath) writeAtomically(cachedPath, code);
  return { code };
}

/** Writes through a temporary file and a rename, so a concurrent reader sees the whole bundle or none. */
function writeAtomically(path: string, code: string): void {
  const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(temporary, code);
    renameSync(temporary, path);
  } catch {
    // A read-only, full or misplaced cache: this run keeps the bundle in memory.
    try {
      rmSync(temporary, { force: true });
    } catch {
      // nothing was written
    }
  }
}
