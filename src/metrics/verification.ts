import type { FailureKind } from '../errors.js';
import type { RunStats } from '../shared/run-stats.js';

/** Server-side execution statuses (visibility `ExecutionStatus`) that mean the workflow closed unsuccessfully. */
const CLOSED_UNSUCCESSFULLY = ['Failed', 'TimedOut', 'Terminated', 'Canceled'] as const;
const WORKFLOW_FAILURE_KINDS = ['workflow_failed', 'timed_out', 'terminated', 'cancelled'] as const;

export interface VerificationRow {
  what: string;
  /** The workflow type counted (absent in results of schema version 1: every type of the run). */
  workflowType?: string;
  /** What the tool expects; with toolMax, the least it expects. */
  tool: number;
  /** Set when the tool can only bound the count (children of parents that did not complete, ...): the most it expects. */
  toolMax?: number;
  server: number;
  matches: boolean;
}

export interface Verification {
  matches: boolean;
  /** Set when the server could not be asked; matches is then false. */
  error?: string;
  rows: VerificationRow[];
  /** The server's counts by execution status, as read (every workflow type counted). */
  serverCounts: Record<string, number>;
  /** The server's counts by workflow type, then execution status. */
  serverCountsByType?: Record<string, Record<string, number>>;
}

/** Server counts by execution status (Running, Completed, ContinuedAsNew, ...). */
export type StatusCounts = Record<string, number>;

/**
 * One workflow type the run launched: its launches the server acknowledged and how they ended (every
 * launch, warm-up included), and what else each launch leaves on the server.
 */
export interface LaunchedWorkflowType {
  workflowType: string;
  started: number;
  completed: number;
  failuresByKind: Partial<Record<FailureKind, number>>;
  inFlight: number;
  /** Of the failed or in flight: workflows the tool terminated after the load (the server shows them Terminated). */
  terminated?: number;
  /** continue-as-new: the runs of each workflow id closed as ContinuedAsNew before its last run. */
  continuedAsNew?: number;
  /** A parent: the children each launch starts (and awaits), and their type. */
  children?: { workflowType: string; count: number };
}

const total = (counts: StatusCounts): number => Object.values(counts).reduce((sum, value) => sum + value, 0);
const workflowFailures = (failuresByKind: Partial<Record<FailureKind, number>>): number =>
  WORKFLOW_FAILURE_KINDS.reduce((sum, kind) => sum + (failuresByKind[kind] ?? 0), 0);
const closedUnsuccessfully = (counts: StatusCounts): number => CLOSED_UNSUCCESSFULLY.reduce((sum, status) => sum + (counts[status] ?? 0), 0);

/** A row the tool knows exactly (toolMax undefined) or within bounds. */
function row(what: string, workflowType: string, server: number, tool: number, toolMax?: number): VerificationRow {
  const bounded = toolMax !== undefined && toolMax !== tool;
  return {
    what, workflowType, tool, ...(bounded ? { toolMax } : {}), server,
    matches: bounded ? server >= tool && server <= toolMax : server === tool,
  };
}

/**
 * The rows of one launched type. `started` counts workflow ids: a continue-as-new chain is one, its
 * ContinuedAsNew runs are counted apart (each completed chain has exactly `continuedAsNew` of them).
 */
function launchedRows(launched: LaunchedWorkflowType, counts: StatusCounts, waited: boolean): VerificationRow[] {
  const type = launched.workflowType;
  const count = (status: string) => counts[status] ?? 0;
  const rows = [row('started', type, total(counts) - count('ContinuedAsNew'), launched.started)];
  if (launched.continuedAsNew) {
    // A chain that failed or still runs continued as new some of the times, up to all.
    rows.push(row('continued-as-new', type, count('ContinuedAsNew'), launched.continuedAsNew * (waited ? launched.completed : 0), launched.continuedAsNew * launched.started));
  }
  if (waited) {
    rows.push(
      row('completed', type, count('Completed'), launched.completed),
      row('failed (workflow)', type, closedUnsuccessfully(counts), workflowFailures(launched.failuresByKind) + (launched.terminated ?? 0)),
      row('running', type, count('Running'), launched.inFlight),
    );
  }
  return rows;
}

/** The children's rows: a completed parent's children all completed; a parent that did not complete started some, up to all. */
function childRows(launched: LaunchedWorkflowType, children: NonNullable<LaunchedWorkflowType['children']>, counts: StatusCounts, waited: boolean): VerificationRow[] {
  const type = children.workflowType;
  const count = (status: string) => counts[status] ?? 0;
  const done = waited ? children.count * launched.completed : 0;
  const atMost = children.count * launched.started;
  const unfinished = children.count * (launched.started - launched.completed);
  const rows = [row('started', type, total(counts) - count('ContinuedAsNew'), done, atMost)];
  if (waited) {
    rows.push(
      row('completed', type, count('Completed'), done, atMost),
      row('failed (workflow)', type, closedUnsuccessfully(counts), 0, unfinished),
      row('running', type, count('Running'), 0, unfinished),
    );
  }
  return rows;
}

/** The workflow types whose executions --verify counts: those launched and their children's. */
export function verifiedWorkflowTypes(launched: readonly LaunchedWorkflowType[]): string[] {
  return [...new Set(launched.flatMap((type) => [type.workflowType, ...(type.children ? [type.children.workflowType] : [])]))];
}

/**
 * Compares, per workflow type, what the run launched with the server's executions of that type (by
 * status): started, and when the run waited for results completed, failed and running; a
 * continue-as-new chain's ContinuedAsNew runs and a parent's children as each launch leaves them.
 */
export function verifyWorkflowTypes(
  launched: readonly LaunchedWorkflowType[],
  serverCountsByType: Record<string, StatusCounts>,
  waited: boolean,
): Verification {
  const countsOf = (type: string) => serverCountsByType[type] ?? {};
  const rows = launched.flatMap((type) => [
    ...launchedRows(type, countsOf(type.workflowType), waited),
    ...(type.children ? childRows(type, type.children, countsOf(type.children.workflowType), waited) : []),
  ]);
  const serverCounts: StatusCounts = {};
  for (const counts of Object.values(serverCountsByType)) {
    for (const [status, value] of Object.entries(counts)) serverCounts[status] = (serverCounts[status] ?? 0) + value;
  }
  return { matches: rows.every((each) => each.matches), rows, serverCounts, serverCountsByType };
}

/**
 * Compares the tool's counts (every launch, warm-up included) with the server's count of this run's
 * workflows by status. Every acknowledged start must exist on the server; when the run waited for
 * results, completions and workflow-level failures must match too, and nothing may still run.
 */
export function verifyAgainstServer(stats: RunStats, serverCounts: Record<string, number>, waited: boolean): Verification {
  const count = (status: string) => serverCounts[status] ?? 0;
  const serverTotal = Object.values(serverCounts).reduce((sum, value) => sum + value, 0);
  const rows: VerificationRow[] = [{ what: 'started', tool: stats.started, server: serverTotal, matches: false }];
  if (waited) {
    const toolFailures = WORKFLOW_FAILURE_KINDS.reduce((sum, kind) => sum + (stats.failuresByKind[kind] ?? 0), 0);
    rows.push(
      { what: 'completed', tool: stats.completed, server: count('Completed'), matches: false },
      { what: 'failed (workflow)', tool: toolFailures, server: CLOSED_UNSUCCESSFULLY.reduce((sum, status) => sum + count(status), 0), matches: false },
      { what: 'running', tool: stats.inFlight, server: count('Running'), matches: false },
    );
  }
  for (const row of rows) row.matches = row.tool === row.server;
  return { matches: rows.every((row) => row.matches), rows, serverCounts };
}
