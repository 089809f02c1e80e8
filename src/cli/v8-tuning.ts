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

/**
 * The bytecode a function runs before V8 considers optimizing it, once a client-only load begins: a
 * quarter of V8's default (67 584). At tens of workflows a second the hot path (HTTP/2 frames, HPACK,
 * protobuf, the scheduler) otherwise runs interpreted for about a minute and is optimized piecemeal
 * well past it. Set when the load starts, so start-up code, run once, is not optimized for nothing.
 * Measured 2026-12-01 (start+wait, concurrency 50, dev server and a separate worker, 70 s runs, two
 * rounds each): CPU per workflow from 10 to 40 s 1.47–1.58 ms against 1.82–1.96 ms, over the whole
 * run 13% less CPU; 8 000 did about as well, with more CPU in the first seconds.
 */
export const LOAD_INTERRUPT_BUDGET = 16_000;

/** `--name=value` unless the user gave `--name` (dashes or underscores, as V8 takes them) in node's flags or NODE_OPTIONS: theirs wins. */
function unlessUserSet(name: string, value: number, execArgv: readonly string[], nodeOptions: string | undefined): string | undefined {
  const given = new RegExp(`--${name.split('-').join('[-_]')}(?=[=\\s]|$)`);
  if (execArgv.some((argument) => given.test(argument)) || given.test(nodeOptions ?? '')) return undefined;
  return `--${name}=${value}`;
}

/** The V8 flag that caps the heap's growth, or undefined when the user chose a growth of their own. */
export function heapGrowthFlag(execArgv: readonly string[], nodeOptions: string | undefined): string | undefined {
  return unlessUserSet('heap-growing-percent', CLIENT_HEAP_GROWING_PERCENT, execArgv, nodeOptions);
}

/** The V8 flag that lets the load's hot path be optimized sooner, or undefined when the user chose a budget of their own. */
export function interruptBudgetFlag(execArgv: readonly string[], nodeOptions: string | undefined): string | undefined {
  return unlessUserSet('interrupt-budget', LOAD_INTERRUPT_BUDGET, execArgv, nodeOptions);
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

/** Lets V8 optimize the load's hot path sooner (LOAD_INTERRUPT_BUDGET), for a client-only load about to start. */
export function optimizeHotPathSooner(): void {
  const flag = interruptBudgetFlag(process.execArgv, process.env.NODE_OPTIONS);
  if (flag) setFlagsFromString(flag);
}
