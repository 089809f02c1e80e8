import type { EffectiveWorkerSettings, WorkerTuning } from '../temporal/echo-worker.js';
import { cacheDirOf } from '../temporal/temporal-cli.js';
import type { RunConfig } from './options.js';

export function workerTuningOf(config: RunConfig): WorkerTuning {
  return {
    instances: config.workers,
    workflowSlots: config.workflowSlots,
    activitySlots: config.activitySlots,
    pollers: config.pollers,
    stickyCacheSize: config.stickyCacheSize,
    bundleCacheDir: cacheDirOf(process.env),
  };
}

export function formatWorkerSettings(settings: EffectiveWorkerSettings): string {
  return (
    `workers=${settings.workers} workflowSlots=${settings.workflowSlots} activitySlots=${settings.activitySlots} ` +
    `pollers=${settings.pollers} stickyCache=${settings.stickyCacheSize}`
  );
}
