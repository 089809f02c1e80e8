import pLimit from 'p-limit';
import { firstLine } from '../errors.js';
import { verifyAgainstServer, type Verification } from '../metrics/verification.js';
import type { RunStats } from '../scheduler/types.js';
import type { TemporalService } from '../temporal/temporal-service.js';

/** How long --verify waits for visibility to catch up with the tool's counts. */
const VERIFY_TIMEOUT_MS = 15_000;

/** Terminates the workflows a cut-short drain left behind, 20 at a time; returns how many it terminated. */
export async function terminateAll(service: TemporalService, namespace: string, workflowIds: readonly string[]): Promise<number> {
  const limit = pLimit(20);
  const outcomes = await Promise.all(
    workflowIds.map((workflowId) =>
      limit(() => service.terminateWorkflow(namespace, workflowId, 'sched-bench: drain timeout (--on-stop terminate)').then(() => true, () => false)),
    ),
  );
  return outcomes.filter(Boolean).length;
}

/** Polls the server until its counts match the tool's or the visibility timeout passes. */
export async function verifyRun(service: TemporalService, namespace: string, stats: RunStats, waited: boolean): Promise<Verification> {
  const deadline = Date.now() + VERIFY_TIMEOUT_MS;
  for (;;) {
    let verification: Verification;
    try {
      verification = verifyAgainstServer(stats, await service.countRunWorkflows(namespace), waited);
    } catch (error) {
      // Not knowing is not agreeing: the run fails verification, and says why.
      verification = { matches: false, rows: [], serverCounts: {}, error: firstLine(error) };
    }
    if (verification.matches || Date.now() > deadline) return verification;
    await new Promise((resolveLater) => setTimeout(resolveLater, 500));
  }
}
