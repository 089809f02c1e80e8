/** Workflow ids are `<idPrefix>-<runId>-<seq>`, schedule ids `<idPrefix>-<runId>-s<k>`; this is the default prefix. */
export const DEFAULT_ID_PREFIX = 'sched-bench';
