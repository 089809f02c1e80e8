import pLimit from 'p-limit';
import { firstLine, UsageError } from '../errors.js';
import { TemporalService, type ListedWorkflow } from '../temporal/temporal-service.js';
import { connectionSettings } from './connection.js';
import { ExitCode } from './exit-codes.js';
import type { CliIO } from './io.js';
import type { RunConfig } from './options.js';

/** Deletions in flight at once: fast on a big run, gentle on the server. */
const DELETE_CONCURRENCY = 20;

/**
 * `sched-bench cleanup`: deletes (terminating first when running) the workflows sched-bench started,
 * for one run or all runs. A workflow whose id matches but whose memo lacks sched-bench's run id was
 * not started by sched-bench and is left alone.
 */
export async function runCleanup(config: RunConfig, io: CliIO): Promise<number> {
  if (config.runId === undefined && !config.all) throw new UsageError('cleanup needs --run-id <id> or --all');
  if (config.runId !== undefined && config.all) throw new UsageError('cleanup takes --run-id or --all, not both');
  const service = await TemporalService.connect(connectionSettings(config));
  try {
    await service.checkNamespace(config.namespace);
    const ours: ListedWorkflow[] = [];
    let notOurs = 0;
    for await (const workflow of service.listWorkflows(config.namespace, { idPrefix: config.idPrefix, runId: config.runId })) {
      const belongs = workflow.schedBenchRunId !== undefined && (config.runId === undefined || workflow.schedBenchRunId === config.runId);
      if (belongs) ours.push(workflow);
      else notOurs++;
    }
    const running = ours.filter((workflow) => workflow.status === 'RUNNING').length;
    const scope = config.runId ? `run ${config.runId}` : `all runs with id prefix "${config.idPrefix}"`;
    const skipped = notOurs > 0 ? `; ${notOurs} with a matching id not started by sched-bench, left alone` : '';
    io.out(`Found ${ours.length} workflows of ${scope} (${running} running, ${ours.length - running} closed)${skipped}`);
    if (config.dryRun) {
      io.out(`Dry run: would delete ${ours.length} workflows (terminating ${running} running first)`);
      return ExitCode.ok;
    }
    const limit = pLimit(DELETE_CONCURRENCY);
    let failed = 0;
    let firstError: string | undefined;
    await Promise.all(
      ours.map((workflow) =>
        limit(async () => {
          try {
            await service.deleteWorkflow(config.namespace, workflow.workflowId, workflow.runId);
          } catch (error) {
            failed++;
            firstError ??= `${workflow.workflowId}: ${firstLine(error)}`;
          }
        }),
      ),
    );
    io.out(`Cleanup: deleted ${ours.length - failed} workflows (${running} were running and were terminated first)${failed > 0 ? `, ${failed} failed` : ''}`);
    if (firstError) io.err(`First failure: ${firstError}`);
    return failed > 0 ? ExitCode.failure : ExitCode.ok;
  } finally {
    await service.close();
  }
}
