import type { WorkerTuning } from '../temporal/echo-worker.js';
import { cacheDirOf } from '../temporal/temporal-cli.js';
import type { RunConfig } from './options.js';

/** The worker settings of a resolved config; the workflow bundle is cached in sched-bench's cache directory. */
export function workerTuningOf(config: RunConfig, env: Record<string, string | undefined> = process.env): WorkerTuning {
  return {
    instances: config.workers,
    workflowSlots: config.workflowSlots,
    activitySlots: config.activitySlots,
    pollers: config.pollers,
    stickyCacheSize: config.stickyCacheSize,
    bundleCacheDir: cacheDirOf(env),
  };
}
