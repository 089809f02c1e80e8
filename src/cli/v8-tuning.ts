import { PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';

/**
 * How far past the live heap V8 may let the old space grow before a full collection, in percent, in a
 * client-only run and in `sched-bench worker`. V8 picks this factor itself, up to 4× on a machine with
 * plenty of memory: a client-only run, whose live heap stays at ~24 MB from the first second to the 100 000th workflow
 * (it keeps nothing per workflow), then swings between ~25 and ~100 MB of old space, and its RSS
 * between ~165 and ~225 MB. At 1.5× (measured 2026-11-30, 100 000 start-only workflows at 1000/s
 * against the fake frontend) its peak RSS was 25% lower (229 → 171 MB) and flat; the price is more
 * frequent full collections, ~13 µs more per workflow while starts go through the SDK's client, within
 * the noise of CPU per workflow (+4%).
 */
export const CLIENT_HEAP_GROWING_PERCENT = 50;

/**
 * The bytecode a function runs before V8 considers optimizing it, once a client-only load begins: 2 000,
 * a thirty-fourth of V8's default (67 584). At tens of workflows a second the hot path (HTTP/2 frames,
 * HPACK, protobuf, the scheduler) otherwise runs interpreted for about a minute and is optimized
 * piecemeal well past it. Set when the load starts, so start-up code, run once, is not optimized for
 * nothing. Measured 2026-12-01 (start+wait, concurrency 50, dev server at ~10 wf/s and a separate
 * worker, 70 s runs, two alternating rounds, the budget given as node's flag, memory reducer off): CPU
 * per workflow from 10 to 40 s 2.13 / 2.09 ms at 16 000 (the earlier choice), 1.55 / 1.32 ms at 4 000,
 * 1.32 / 1.28 ms at 2 000; from 40 to 70 s 1.25–1.44 ms for all three.
 */
export const LOAD_INTERRUPT_BUDGET = 2_000;

/**
 * How long V8's memory reducer waits before it starts, ms: its longest, so it never starts. The reducer
 * collects when the allocation rate is low, as it is in a load of tens of workflows a second, and its
 * collections skip V8's retaining of maps that optimized code depends on: every map of a short-lived
 * object that no instance holds at that moment dies (the hot path's protobuf writers and readers, Node's
 * socket write requests), and the ~25 optimized functions that depend on them are thrown away and
 * compiled again. Traced 2026-12-01 (client-only start+wait, concurrency 50, dev server): a pair of such
 * collections 10–16 s into the load, then every minute or so, each followed by ~300 ms of compiling;
 * none without it. A load's live heap is ~10 MB (a worker's ~35 MB), little to give back, and its
 * growth stays capped (above). V8 reads the delay when the reducer is first armed, early in start-up:
 * it is set before the CLI loads (tuneProcessStart).
 */
export const MEMORY_REDUCER_DELAY_MS = 2_147_483_647;

/**
 * The size of the young generation (both semi-spaces, as V8 reports its new space) at which a client-only
 * load stops its growth, MB: 16, semi-spaces of 8 MB, half of V8's largest. At a thousand starts a second
 * V8 grew it to 32 MB some 40 s into the load, and the process's RSS stepped up by ~12 MB to a new
 * plateau (start-only, 100 000 workflows against the fake frontend: RSS every 10 s 68 77 81 91 93 95 95
 * 96 96 97 MB); with the growth stopped here it stayed at 81–82 MB from 20 s to the end, peak 83 MB
 * (`npm run bench` memory, 2026-12-01). A young generation of 16 MB still holds most of a load's
 * short-lived garbage: at that rate a scavenge costs ~1.5 ms, one or two a second; CPU per start against
 * the fake frontend at concurrency 100 was 43–46 µs with the cap and without it (two `peer` runs).
 */
export const CLIENT_YOUNG_GENERATION_MB = 16;

/** Whether the user gave `--name` (dashes or underscores, as V8 takes them) in node's flags or NODE_OPTIONS. */
function userSet(name: string, execArgv: readonly string[], nodeOptions: string | undefined): boolean {
  const given = new RegExp(`--${name.split('-').join('[-_]')}(?=[=\\s]|$)`);
  return execArgv.some((argument) => given.test(argument)) || given.test(nodeOptions ?? '');
}

/** `--name=value` unless the user gave `--name` in node's flags or NODE_OPTIONS: theirs wins. */
function unlessUserSet(name: string, value: number, execArgv: readonly string[], nodeOptions: string | undefined): string | undefined {
  return userSet(name, execArgv, nodeOptions) ? undefined : `--${name}=${value}`;
}

/** The V8 flag that caps the heap's growth, or undefined when the user chose a growth of their own. */
export function heapGrowthFlag(execArgv: readonly string[], nodeOptions: string | undefined): string | undefined {
  return unlessUserSet('heap-growing-percent', CLIENT_HEAP_GROWING_PERCENT, execArgv, nodeOptions);
}

/** The V8 flag that lets the load's hot path be optimized sooner, or undefined when the user chose a budget of their own. */
export function interruptBudgetFlag(execArgv: readonly string[], nodeOptions: string | undefined): string | undefined {
  return unlessUserSet('interrupt-budget', LOAD_INTERRUPT_BUDGET, execArgv, nodeOptions);
}

/** The V8 flag that keeps the memory reducer from starting, or undefined when the user chose a delay of their own. */
export function memoryReducerDelayFlag(execArgv: readonly string[], nodeOptions: string | undefined): string | undefined {
  return unlessUserSet('gc-memory-reducer-start-delay-ms', MEMORY_REDUCER_DELAY_MS, execArgv, nodeOptions);
}

/**
 * The V8 flag that stops the young generation's growth, or undefined when the user sized it (its largest
 * or smallest semi-space, or its growth factor).
 */
export function youngGenerationFreezeFlag(execArgv: readonly string[], nodeOptions: string | undefined): string | undefined {
  const sizedByUser = ['max-semi-space-size', 'min-semi-space-size', 'semi-space-growth-factor'].some((name) => userSet(name, execArgv, nodeOptions));
  return sizedByUser ? undefined : '--semi-space-growth-factor=1';
}

/**
 * Stops the young generation's growth once V8 has grown it to `megabytes`. V8 takes the largest size
 * (`--max-semi-space-size`) only as the process starts, before any code of ours runs, but it reads the
 * growth factor at every growth: after each collection, as soon as the young generation has reached the
 * size, the factor becomes 1. Unless the user sized it.
 */
export function capYoungGeneration(megabytes: number): void {
  const flag = youngGenerationFreezeFlag(process.execArgv, process.env.NODE_OPTIONS);
  if (!flag) return;
  const reached = () => (getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')?.space_size ?? 0) >= megabytes * 2 ** 20;
  if (reached()) {
    setFlagsFromString(flag);
    return;
  }
  const observer = new PerformanceObserver(() => {
    if (!reached()) return;
    setFlagsFromString(flag);
    observer.disconnect();
  });
  observer.observe({ entryTypes: ['gc'] });
}

/** The flag unless the user set their own; V8 applies these while running (from the next collection, the next tier-up check). */
function setUnlessUserSet(flag: (execArgv: readonly string[], nodeOptions: string | undefined) => string | undefined): void {
  const chosen = flag(process.execArgv, process.env.NODE_OPTIONS);
  if (chosen) setFlagsFromString(chosen);
}

/**
 * A client-only run or capacity search about to start its load: the old space's growth capped, the young
 * generation's too, and the hot path optimized sooner. Not for a run with an embedded worker: its live heap (cached workflows
 * beside the load) is large and long-lived, and a tight growth factor there means frequent full
 * collections of all of it.
 */
export function tuneClientOnlyLoad(): void {
  setUnlessUserSet(heapGrowthFlag);
  setUnlessUserSet(interruptBudgetFlag);
  capYoungGeneration(CLIENT_YOUNG_GENERATION_MB);
}

/**
 * `sched-bench worker` (workflows on its main thread). Its young generation stays at its initial size
 * (1 MB per semi-space) instead of growing to 16 MB: a worker's garbage is short-lived, so scavenges
 * stay cheap, and its peak RSS drops by ~20 MB (README "Workers"); set before the SDK loads, since V8
 * only applies it to later growth. Its old space's growth is capped too: with a live heap of ~35 MB it
 * otherwise swung up to ~105 MB between full collections, peak RSS 157–224 MB over 100 s at
 * concurrency 50, against 139–141 MB capped, for ~10% more worker CPU per workflow (measured
 * 2026-12-01, README "Workers").
 */
export function tuneWorkerProcess(): void {
  setFlagsFromString('--semi-space-growth-factor=1');
  setUnlessUserSet(heapGrowthFlag);
}

/**
 * Every command, first thing (bin/sched-bench, before the CLI's modules load): V8's memory reducer kept
 * from starting (MEMORY_REDUCER_DELAY_MS says why), unless the user chose a delay of their own.
 */
export function tuneProcessStart(): void {
  setUnlessUserSet(memoryReducerDelayFlag);
}
