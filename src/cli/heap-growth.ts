import { setFlagsFromString } from 'node:v8';

/**
 * How far past the live heap V8 may let the old space grow before a full collection, in percent, in
 * a client-only run and in `sched-bench worker`. V8 picks this factor itself, up to 4× on a machine with plenty of memory: a
 * client-only run, whose live heap stays at ~24 MB from the first second to the 100 000th workflow
 * (it keeps nothing per workflow), then swings between ~25 and ~100 MB of old space, and its RSS
 * between ~165 and ~225 MB. At 1.5× (measured 2026-11-30, 100 000 start-only workflows at 1000/s
 * against the fake frontend) its peak RSS was 25% lower (229 → 171 MB) and flat; the price is more
 * frequent full collections, ~13 µs more per workflow while starts go through the SDK's client, within
 * the noise of CPU per workflow (+4%).
 */
export const CLIENT_HEAP_GROWING_PERCENT = 50;

/** V8 takes its flags with dashes or underscores. */
const HEAP_GROWING_FLAG = /--heap[-_]growing[-_]percent\b/;

/**
 * The V8 flag that caps the heap's growth, or undefined when the user chose a growth of their own
 * (in node's flags or NODE_OPTIONS): theirs wins.
 */
export function heapGrowthFlag(execArgv: readonly string[], nodeOptions: string | undefined): string | undefined {
  if (execArgv.some((argument) => HEAP_GROWING_FLAG.test(argument)) || HEAP_GROWING_FLAG.test(nodeOptions ?? '')) return undefined;
  return `--heap-growing-percent=${CLIENT_HEAP_GROWING_PERCENT}`;
}

/**
 * Caps the old space's growth for a client-only run and for `sched-bench worker`. V8 reads the flag
 * whenever it sets the next collection's limit, so setting it while running takes effect from the next
 * collection on. `sched-bench worker` (workflows on its main thread, a live heap of ~35 MB) otherwise
 * let its old space swing up to ~105 MB between full collections: peak RSS 157–224 MB over 100 s at
 * concurrency 50, against 139–141 MB capped, for ~10% more worker CPU per workflow (measured
 * 2026-12-01, README "Workers"). Not for a run with an embedded worker: its live heap (cached workflows
 * beside the load) is large and long-lived, and a tight factor there means frequent full collections
 * of all of it.
 */
export function limitHeapGrowth(): void {
  const flag = heapGrowthFlag(process.execArgv, process.env.NODE_OPTIONS);
  if (flag) setFlagsFromString(flag);
}
