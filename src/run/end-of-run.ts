import pLimit from 'p-limit';
import { firstLine } from '../errors.js';
import type { WorkflowTypeCounts } from '../metrics/run-metrics.js';
import { verifiedWorkflowTypes, verifyWorkflowTypes, type LaunchedWorkflowType, type Verification } from '../metrics/verification.js';
import type { TemporalService } from '../temporal/temporal-service.js';
import { launchShapesOf, type Workload } from '../workloads/workload.js';

/** How long --verify waits for visibility to catch up with the tool's counts. */
const VERIFY_TIMEOUT_MS = 15_000;

/** A workflow the run started, with its type. */
export interface TypedWorkflow {
  workflowId: string;
  workflowType: string;
}

/** Terminates workflows of the run, 20 at a time, with this reason; returns how many it terminated of each type. */
export async function terminateAll(service: TemporalService, namespace: string, workflows: readonly TypedWorkflow[], reason: string): Promise<Map<string, number>> {
  const limit = pLimit(20);
  const terminated = new Map<string, number>();
  await Promise.all(
    workflows.map(({ workflowId, workflowType }) =>
      limit(() => service.terminateWorkflow(namespace, workflowId, reason).then(
        () => void terminated.set(workflowType, (terminated.get(workflowType) ?? 0) + 1),
        () => undefined,
      )),
    ),
  );
  return terminated;
}

/** The sum over the types. */
export const countOf = (byType: ReadonlyMap<string, number>): number => [...byType.values()].reduce((sum, value) => sum + value, 0);

/**
 * What the tool itself did to the run's workflows after the load, by type, for --verify: workflows in
 * flight it terminated (a cut-short drain with --on-stop terminate), and workflows a failed operation
 * left waiting (stranded) and how many of those it terminated.
 */
export interface EndOfRunActions {
  terminatedInFlight: ReadonlyMap<string, number>;
  stranded: ReadonlyMap<string, number>;
  terminatedStranded: ReadonlyMap<string, number>;
}

/** The tool's side of --verify: each workflow type the run started, its counts and its shape. */
export function launchedWorkflowTypes(
  workload: Workload, typeCounts: ReadonlyMap<string, WorkflowTypeCounts>, actions: EndOfRunActions = NO_ACTIONS,
): LaunchedWorkflowType[] {
  const shapes = launchShapesOf(workload);
  // Every type the workload may launch (one it never started is checked for none on the server), and any other counted.
  const types = new Set([...shapes.keys(), ...typeCounts.keys()]);
  return [...types].map((workflowType) => {
    const counts = typeCounts.get(workflowType);
    const of = (byType: ReadonlyMap<string, number>) => byType.get(workflowType) ?? 0;
    // Terminated in flight: no longer running. Stranded ones the tool failed to terminate: still running.
    const inFlight = (counts?.inFlight ?? 0) - of(actions.terminatedInFlight) + of(actions.stranded) - of(actions.terminatedStranded);
    const terminated = of(actions.terminatedInFlight) + of(actions.terminatedStranded);
    return {
      workflowType, started: counts?.started ?? 0, completed: counts?.completed ?? 0, failuresByKind: { ...counts?.failuresByKind },
      inFlight, ...(terminated > 0 ? { terminated } : {}), ...shapes.get(workflowType),
    };
  });
}

const NO_ACTIONS: EndOfRunActions = { terminatedInFlight: new Map(), stranded: new Map(), terminatedStranded: new Map() };

/** The server's executions of each type, by status (one count query per type, at once). */
async function serverCountsByType(service: TemporalService, namespace: string, types: readonly string[]): Promise<Record<string, Record<string, number>>> {
  const counts = await Promise.all(types.map((type) => service.countRunWorkflows(namespace, type)));
  return Object.fromEntries(types.map((type, index) => [type, counts[index]!]));
}

/**
 * Polls the server until its counts per workflow type match the tool's (the run's `metrics` for
 * `workload`), or the visibility timeout passes.
 */
export async function verifyRun(
  service: TemporalService, namespace: string, workload: Workload, typeCounts: ReadonlyMap<string, WorkflowTypeCounts>, actions: EndOfRunActions, waited: boolean,
): Promise<Verification> {
  const deadline = Date.now() + VERIFY_TIMEOUT_MS;
  const launched = launchedWorkflowTypes(workload, typeCounts, actions); // the counts as the run ended
  const types = verifiedWorkflowTypes(launched);
  for (;;) {
    let verification: Verification;
    try {
      verification = verifyWorkflowTypes(launched, await serverCountsByType(service, namespace, types), waited);
    } catch (error) {
      // Not knowing is not agreeing: the run fails verification, and says why.
      verification = { matches: false, rows: [], serverCounts: {}, error: firstLine(error) };
    }
    if (verification.matches || Date.now() > deadline) return verification;
    await new Promise((resolveLater) => setTimeout(resolveLater, 500));
  }
}
