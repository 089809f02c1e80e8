import type { RunStats } from '../shared/run-stats.js';

/** Server-side execution statuses (visibility `ExecutionStatus`) that mean the workflow closed unsuccessfully. */
const CLOSED_UNSUCCESSFULLY = ['Failed', 'TimedOut', 'Terminated', 'Canceled'] as const;
const WORKFLOW_FAILURE_KINDS = ['workflow_failed', 'timed_out', 'terminated', 'cancelled'] as const;

export interface VerificationRow {
  what: string;
  tool: number;
  server: number;
  matches: boolean;
}

export interface Verification {
  matches: boolean;
  /** Set when the server could not be asked; matches is then false. */
  error?: string;
  rows: VerificationRow[];
  /** The server's counts by execution status, as read. */
  serverCounts: Record<string, number>;
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
