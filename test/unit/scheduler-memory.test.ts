import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { LaunchError } from '../../src/errors.js';
import { SchedulerService } from '../../src/scheduler/scheduler-service.js';
import type { WorkflowLauncher } from '../../src/scheduler/types.js';
import { FakeClock } from '../helpers/fake-clock.js';

/**
 * A launcher that keeps nothing itself (unlike FakeLauncher, which records every call): whatever the
 * heap holds after a run is the scheduler's. Every 7th workflow fails, every 11th start is refused
 * for good, so the failure paths run too; delay lags are read for every workflow.
 */
class ForgetfulLauncher implements WorkflowLauncher {
  readonly startDelayMs = 1000;
  private sequence = 0;
  inFlightSeen = 0;

  constructor(private readonly inFlight: () => number) {}

  startEchoWorkflow(): Promise<string> {
    const sequence = ++this.sequence;
    this.inFlightSeen = Math.max(this.inFlightSeen, this.inFlight());
    if (sequence % 11 === 0) return Promise.reject(new LaunchError('start_rejected', `start ${sequence} rejected`));
    return Promise.resolve(`wf-${sequence}`);
  }

  awaitWorkflowResult(workflowId: string): Promise<unknown> {
    this.inFlightSeen = Math.max(this.inFlightSeen, this.inFlight());
    return Number(workflowId.slice(3)) % 7 === 0 ? Promise.reject(new LaunchError('workflow_failed', `${workflowId} failed`)) : Promise.resolve('echo');
  }

  delayLagOf(): Promise<number | undefined> {
    return Promise.resolve(5);
  }
}

/** A full collection, so the heap holds only what is reachable. */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

async function finishedRun(totalWorkflows: number): Promise<{ scheduler: SchedulerService; launcher: ForgetfulLauncher; clock: FakeClock }> {
  const clock = new FakeClock();
  let scheduler: SchedulerService | undefined;
  const launcher = new ForgetfulLauncher(() => scheduler!.inFlightWorkflowIds().length);
  scheduler = new SchedulerService({
    launcher, concurrency: 50, reportInterval: 1, clock,
  });
  const stats = await scheduler.run({ totalWorkflows });
  expect(stats).toMatchObject({ launched: totalWorkflows, inFlight: 0 });
  return { scheduler, launcher, clock };
}

describe('what a run keeps per workflow: nothing', () => {
  it('holds no more after 100 000 workflows than after 10 000 (results, failures and delay lags included)', async () => {
    const small = await finishedRun(10_000);
    collectGarbage();
    const afterSmall = process.memoryUsage().heapUsed;
    const large = await finishedRun(100_000);
    collectGarbage();
    const afterLarge = process.memoryUsage().heapUsed;
    // A few dozen bytes kept per workflow (an id in a set, a settled promise) would be several MB here.
    expect(afterLarge - afterSmall).toBeLessThan(1.5 * 1024 * 1024);
    for (const { scheduler, launcher, clock } of [small, large]) {
      expect(scheduler.inFlightWorkflowIds()).toEqual([]);
      expect(launcher.inFlightSeen).toBeLessThanOrEqual(50);
      expect(clock.pendingTimers).toBe(0);
    }
    expect(large.scheduler.metrics.delayLag.count).toBe(large.scheduler.snapshot().completed);
  });
});
