/**
 * The end of a distributed run: the finished slices' result documents checked and merged into one result, and
 * every other slice attempt told apart (lost, not taken, failed). Pure.
 */
import { checkMergeable, mergeResults } from '../report/merge.js';
import { checkResult } from '../report/read-result.js';
import type { OpenLoopResult, RunResult, SliceRecord } from '../report/result.js';
import type { CoordinatorResult, SliceHeartbeat } from '../../workflows/coordinator-types.js';

/** A slice's counts as its last heartbeat told them (cumulative since the slice began). */
export interface SliceCounts {
  launched: number;
  started: number;
  completed: number;
  failed: number;
  inFlight: number;
}

export interface FinishedSlice {
  index: number;
  shard: string;
  agent: string;
  /** The slice's own result's counts (every launch, warm-up included). */
  counts: SliceCounts;
  /** The agent drained after a stop rather than reaching the slice's end. */
  interrupted: boolean;
  /** Why the slice's load ended ("aborted": the server was unreachable longer than --max-outage). */
  stopReason: RunResult['stopReason'];
  /** Open loop: the slice's measured window and the arrivals its in-flight cap held back (absent from older agents). */
  openLoop?: OpenLoopResult;
  /** The slice's measured seconds (its drain included). */
  measuredSeconds: number;
  /** A rerun's: how its remainder was counted (on the server, or from the last heartbeat and why). */
  note?: string;
}

/** A slice attempt that ended without a usable result: lost (agent silent), failed, or a damaged result. */
export interface UnfinishedSlice {
  index: number;
  shard: string;
  agent: string | null;
  /** From the last heartbeat: what the agent had done when last heard of (null: no heartbeat came). */
  lastCounts: SliceCounts | null;
  reason: string;
}

export interface DistributedOutcomes {
  /**
   * The finished slices' results merged (mergeResults), undefined when none finished or they do not merge
   * (`mergeProblem`). Lost and failed slices' counts are never in it: a re-run covers their remaining part,
   * so adding them would count twice; they are reported beside it.
   */
  merged: RunResult | undefined;
  /** Why the finished results would not merge (a version or workload mismatch between agents). */
  mergeProblem: string | undefined;
  finished: FinishedSlice[];
  lost: UnfinishedSlice[];
  notTaken: Array<{ index: number; shard: string; reason: string }>;
  /** The agent failed the slice, or its result document was damaged (then the reason names the field). */
  failed: UnfinishedSlice[];
  /** A stop signal ended the run early. */
  stopped: boolean;
}

export function countsOfHeartbeat(heartbeat: SliceHeartbeat | null): SliceCounts | null {
  if (!heartbeat) return null;
  const { launched, started, completed, failed, inFlight } = heartbeat;
  return { launched, started, completed, failed, inFlight };
}

function countsOfResult(result: RunResult): SliceCounts {
  const { launched, started, completed, failed, inFlight } = result.counts;
  return { launched, started, completed, failed, inFlight };
}

/** Each slice attempt told apart, the finished ones' documents checked (checkResult) and merged. */
export function outcomesOf(result: CoordinatorResult): DistributedOutcomes {
  const outcomes: DistributedOutcomes = { merged: undefined, mergeProblem: undefined, finished: [], lost: [], notTaken: [], failed: [], stopped: result.stopped };
  const documents: Array<{ file: string; result: RunResult; index: number }> = [];
  for (const outcome of result.outcomes) {
    const { index, shard } = outcome;
    switch (outcome.status) {
      case 'finished': {
        const checked = checkedRunResult(outcome.result);
        if (typeof checked === 'string') {
          outcomes.failed.push({ index, shard, agent: outcome.agent, lastCounts: null, reason: `its result is damaged: ${checked}` });
          break;
        }
        documents.push({ file: `slice ${index} (${shard}, agent ${outcome.agent})`, result: checked, index });
        outcomes.finished.push({
          index, shard, agent: outcome.agent, counts: countsOfResult(checked), interrupted: checked.interrupted, stopReason: checked.stopReason,
          measuredSeconds: checked.measured.seconds, ...(checked.openLoop ? { openLoop: checked.openLoop } : {}), ...(outcome.note ? { note: outcome.note } : {}),
        });
        break;
      }
      case 'lost':
        outcomes.lost.push({ index, shard, agent: outcome.agent, lastCounts: countsOfHeartbeat(outcome.lastHeartbeat), reason: outcome.reason });
        break;
      case 'failed':
        outcomes.failed.push({ index, shard, agent: outcome.agent, lastCounts: countsOfHeartbeat(outcome.lastHeartbeat), reason: outcome.reason });
        break;
      case 'not-taken':
        outcomes.notTaken.push({ index, shard, reason: outcome.reason });
        break;
    }
  }
  if (documents.length === 0) return outcomes;
  // In slice order: the merge's first result (whose header it keeps) is slice 0's, however the slices ended.
  documents.sort((a, b) => a.index - b.index);
  try {
    outcomes.merged = mergeResults(checkMergeable(documents, false));
  } catch (error) {
    outcomes.mergeProblem = (error as Error).message;
  }
  return outcomes;
}

/** The document as a run result, or what is wrong with it. */
function checkedRunResult(document: Record<string, unknown>): RunResult | string {
  try {
    const checked = checkResult(document);
    if (checked.command !== 'run' && checked.command !== 'infinite') return `command: expected "run" or "infinite", got "${checked.command}"`;
    return checked;
  } catch (error) {
    return (error as Error).message;
  }
}

/** The attempt number in a shard (`s2` 0, `s2r1` 1, …), to order a slice's attempts. */
const attemptOf = (shard: string): number => Number(/r(\d+)$/.exec(shard)?.[1] ?? 0);

/** Every slice attempt as the merged document lists it (RunResult.slices), by index then attempt. */
export function sliceRecordsOf(outcomes: Pick<DistributedOutcomes, 'finished' | 'lost' | 'failed' | 'notTaken'>): SliceRecord[] {
  const records: SliceRecord[] = [
    ...outcomes.finished.map(({ index, shard, agent, counts, note }): SliceRecord => ({ index, shard, agent, status: 'finished', reason: note ?? null, counts })),
    ...outcomes.lost.map(({ index, shard, agent, lastCounts, reason }): SliceRecord => ({ index, shard, agent, status: 'lost', reason, counts: lastCounts })),
    ...outcomes.failed.map(({ index, shard, agent, lastCounts, reason }): SliceRecord => ({ index, shard, agent, status: 'failed', reason, counts: lastCounts })),
    ...outcomes.notTaken.map(({ index, shard, reason }): SliceRecord => ({ index, shard, agent: null, status: 'not-taken', reason, counts: null })),
  ];
  return records.sort((a, b) => a.index - b.index || attemptOf(a.shard) - attemptOf(b.shard));
}
