import { DEFAULT_ID_PREFIX } from '../shared/workflow-ids.js';

/** The run's schedule ids: `<prefix>-<runId>-s<k>`; their fired workflows' ids start with the same. */
export function scheduleIdsOf(runId: string, count: number): string[] {
  return Array.from({ length: count }, (_, index) => `${DEFAULT_ID_PREFIX}-${runId}-s${index + 1}`);
}
