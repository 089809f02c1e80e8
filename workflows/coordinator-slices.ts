// Pure helpers shared by the CoordinatorWorkflow (sandbox) and its client and agents (Node): no imports
// but types, so both sides may load this file.
import type { LoadSlice, SliceHeartbeat } from './coordinator-types.js';

/** The activity's id: the slice's index and shard, so a pending activity names its slice (see sliceOfActivityId). */
export function sliceActivityId(slice: Pick<LoadSlice, 'index' | 'shard'>): string {
  return `slice-${slice.index}-${slice.shard}`;
}

/** The index and shard in an activity id made by sliceActivityId, or undefined for any other id. */
export function sliceOfActivityId(activityId: string): { index: number; shard: string } | undefined {
  const match = /^slice-(\d+)-(.+)$/.exec(activityId);
  return match ? { index: Number(match[1]), shard: match[2]! } : undefined;
}

/**
 * What the `runLoadSlice` activity returns (also after a stop: a completion after a cancel request
 * reaches the workflow as a result), and what an agent attaches to a failure it reports
 * (ApplicationFailure details): its name, its last heartbeat, and the slice's result document.
 */
export interface SliceReport {
  agent: string;
  lastHeartbeat: SliceHeartbeat | null;
  result?: Record<string, unknown>;
  /** How a rerun's remainder was counted (LoadSlice.recount): on the server, or from the last heartbeat and why. */
  note?: string;
}

/** The report in a failure's details, when an agent attached one. */
export function sliceReportOf(details: readonly unknown[] | null | undefined): SliceReport | undefined {
  const first = details?.[0];
  return typeof first === 'object' && first !== null && typeof (first as SliceReport).agent === 'string' ? (first as SliceReport) : undefined;
}

/** A heartbeat's details as sent by an agent (a SliceHeartbeat), or undefined for anything else. */
export function asSliceHeartbeat(value: unknown): SliceHeartbeat | undefined {
  return typeof value === 'object' && value !== null && typeof (value as SliceHeartbeat).launched === 'number'
    ? (value as SliceHeartbeat)
    : undefined;
}

/**
 * The part of a lost slice that remains, as attempt `attempt` under shard `<shard>r<attempt>` (same
 * index): a batch's workflows not launched yet, the rest of a limited duration; undefined when nothing remains.
 */
export function remainderOf(slice: LoadSlice, lastHeartbeat: SliceHeartbeat | null, attempt: number): LoadSlice | undefined {
  const spec: Record<string, unknown> = { ...slice.spec };
  const shard = `${slice.shard.replace(/r\d+$/, '')}r${attempt}`;
  if (spec.mode === 'batch' && typeof spec.totalWorkflows === 'number') {
    const remaining = spec.totalWorkflows - (lastHeartbeat?.launched ?? 0);
    if (remaining <= 0) return undefined;
    // The attempts so far and the slice's whole share, for the agent's count on the server.
    const recount = { shards: [...(slice.recount?.shards ?? []), slice.shard], totalWorkflows: slice.recount?.totalWorkflows ?? spec.totalWorkflows };
    return { index: slice.index, shard, spec: { ...spec, totalWorkflows: remaining, shard }, recount };
  }
  const elapsedSeconds = (lastHeartbeat?.elapsedMs ?? 0) / 1000;
  // duration stops the launches; an infinite run's maxRuntime (0: never) likewise.
  for (const limit of ['duration', 'maxRuntime'] as const) {
    const seconds = spec[limit];
    if (typeof seconds !== 'number' || seconds <= 0) continue;
    const remaining = seconds - elapsedSeconds;
    if (remaining <= 0) return undefined;
    spec[limit] = remaining;
  }
  return { index: slice.index, shard, spec: { ...spec, shard } };
}
