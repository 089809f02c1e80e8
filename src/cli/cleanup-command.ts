import pLimit from 'p-limit';
import { firstLine, UsageError } from '../errors.js';
import type { ListedSchedule, ScheduleService } from '../temporal/schedule-service.js';
import { DEFAULT_ID_PREFIX, RUN_ID_MEMO_KEY, TemporalService, type ListedWorkflow } from '../temporal/temporal-service.js';
import { connectionSettings, sdkConnectionKindOf } from './connection.js';
import { exitCodeOf } from './exit-codes.js';
import type { CliIO } from './io.js';
import type { RunConfig } from './options.js';

/** Deletions in flight at once: fast on a big run, gentle on the server. */
const DELETE_CONCURRENCY = 20;

/** Whether a listed workflow or schedule was made by sched-bench for the run (or any run) being cleaned up. */
const belongsTo = (runId: string | undefined, memoRunId: string | undefined): boolean =>
  memoRunId !== undefined && (runId === undefined || memoRunId === runId);

/** Runs `remove` on each item, DELETE_CONCURRENCY at a time; the failures counted, the first one named. */
async function removeAll<T>(items: readonly T[], name: (item: T) => string, remove: (item: T) => Promise<void>): Promise<{ failed: number; firstError?: string }> {
  const limit = pLimit(DELETE_CONCURRENCY);
  let failed = 0;
  let firstError: string | undefined;
  await Promise.all(
    items.map((item) =>
      limit(async () => {
        try {
          await remove(item);
        } catch (error) {
          failed++;
          firstError ??= `${name(item)}: ${firstLine(error)}`;
        }
      }),
    ),
  );
  return { failed, firstError };
}

/**
 * The run's schedules (or every run's): `sched-bench-<runId>-s<k>` whatever --id-prefix says (a schedules
 * run always names them so), created with the run id in their memo.
 */
async function findSchedules(schedules: ScheduleService, config: RunConfig): Promise<{ ours: ListedSchedule[]; notOurs: number }> {
  const prefix = config.runId ? `${DEFAULT_ID_PREFIX}-${config.runId}-s` : `${DEFAULT_ID_PREFIX}-`;
  const listed = await schedules.listSchedules(prefix, RUN_ID_MEMO_KEY);
  const ours = listed.filter((schedule) => belongsTo(config.runId, schedule.schedBenchRunId));
  return { ours, notOurs: listed.length - ours.length };
}

/**
 * `sched-bench cleanup`: deletes (terminating first when running) the workflows sched-bench started,
 * and the schedules it created (a killed `schedules` run leaves them firing), for one run or all runs.
 * A workflow or schedule whose id matches but whose memo lacks sched-bench's run id was not made by
 * sched-bench and is left alone.
 */
export async function runCleanup(config: RunConfig, io: CliIO): Promise<number> {
  if (config.runId === undefined && !config.all) throw new UsageError('cleanup needs --run-id <id> or --all');
  if (config.runId !== undefined && config.all) throw new UsageError('cleanup takes --run-id or --all, not both');
  // Listing and schedules are the SDK's: one native connection serves them all, unless told otherwise.
  const service = await TemporalService.connect({ ...connectionSettings(config), kind: sdkConnectionKindOf(config) });
  try {
    await service.checkNamespace(config.namespace);
    const schedules = await service.scheduleService(config.namespace);
    const scope = config.runId ? `run ${config.runId}` : `all runs with id prefix "${config.idPrefix}"`;
    const found = await findSchedules(schedules, config);
    const strangers = found.notOurs > 0 ? `; ${found.notOurs} with a matching id not created by sched-bench, left alone` : '';
    io.out(`Found ${found.ours.length} schedules of ${scope}${strangers}`);
    if (config.dryRun) {
      for (const schedule of found.ours) io.out(`  schedule ${schedule.scheduleId}`);
      io.out(`Dry run: would delete ${found.ours.length} schedules`);
    }
    // Schedules before workflows: while they exist they go on starting workflows.
    const scheduleOutcome = config.dryRun
      ? { failed: 0 }
      : await removeAll(found.ours, (schedule) => `schedule ${schedule.scheduleId}`, (schedule) => schedules.delete(schedule.scheduleId));
    if (!config.dryRun && found.ours.length > 0) {
      io.out(`Cleanup: deleted ${found.ours.length - scheduleOutcome.failed} schedules${scheduleOutcome.failed > 0 ? `, ${scheduleOutcome.failed} failed` : ''}`);
    }
    const ours: ListedWorkflow[] = [];
    let notOurs = 0;
    for await (const workflow of service.listWorkflows(config.namespace, { idPrefix: config.idPrefix, runId: config.runId })) {
      if (belongsTo(config.runId, workflow.schedBenchRunId)) ours.push(workflow);
      else notOurs++;
    }
    const running = ours.filter((workflow) => workflow.status === 'RUNNING').length;
    const skipped = notOurs > 0 ? `; ${notOurs} with a matching id not started by sched-bench, left alone` : '';
    io.out(`Found ${ours.length} workflows of ${scope} (${running} running, ${ours.length - running} closed)${skipped}`);
    if (config.dryRun) {
      io.out(`Dry run: would delete ${ours.length} workflows (terminating ${running} running first)`);
      return exitCodeOf({ kind: 'done' });
    }
    const workflowOutcome = await removeAll(ours, (workflow) => workflow.workflowId, (workflow) => service.deleteWorkflow(config.namespace, workflow.workflowId, workflow.runId));
    io.out(
      `Cleanup: deleted ${ours.length - workflowOutcome.failed} workflows (${running} were running and were terminated first)` +
        `${workflowOutcome.failed > 0 ? `, ${workflowOutcome.failed} failed` : ''}`,
    );
    const firstError = scheduleOutcome.firstError ?? workflowOutcome.firstError;
    if (firstError) io.err(`First failure: ${firstError}`);
    return exitCodeOf({ kind: 'done', failures: scheduleOutcome.failed + workflowOutcome.failed });
  } finally {
    await service.close();
  }
}
