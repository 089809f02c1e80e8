import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { LaunchError } from '../../src/errors.js';
import { SchedulerService } from '../../src/scheduler/scheduler-service.js';
import { EchoWorker } from '../../src/temporal/echo-worker.js';
import { installRuntime } from '../../src/temporal/runtime.js';
import { TemporalService } from '../../src/temporal/temporal-service.js';
import { eventually, uniqueQueue } from '../helpers/cli.js';

const address = inject('temporalAddress');
const temporalCli = inject('temporalCli');
const taskQueue = uniqueQueue('service');

let service: TemporalService;
let worker: EchoWorker;

beforeAll(async () => {
  installRuntime({ logLevel: 'ERROR' }); // workflows fail here on purpose: their SDK warnings are not news
  service = await TemporalService.connect({ address });
  worker = await service.createEchoWorker('default', taskQueue);
  void worker.start();
});

afterAll(async () => {
  await worker?.shutdown();
  await service?.close();
});

async function launchError(promise: Promise<unknown>): Promise<LaunchError> {
  const error = await promise.then(
    () => undefined,
    (rejection: unknown) => rejection,
  );
  expect(error).toBeInstanceOf(LaunchError);
  return error as LaunchError;
}

describe('TemporalService against a real dev server', () => {
  it('starts EchoWorkflows with traceable ids and returns the echo', async () => {
    const workflowId = await service.startEchoWorkflow('default', taskQueue);
    expect(workflowId).toBe(`sched-bench-${service.runId}-1`);
    await expect(service.awaitWorkflowResult('default', workflowId)).resolves.toBe('Hello World');
    const second = await service.startEchoWorkflow('default', taskQueue, 'again', 3);
    expect(second).toBe(`sched-bench-${service.runId}-2`);
    await expect(service.awaitWorkflowResult('default', second)).resolves.toBe('again');
  });

  it('classifies a failed workflow as workflow_failed', async () => {
    const workflowId = await service.startEchoWorkflow('default', taskQueue, 'bad', 0);
    const error = await launchError(service.awaitWorkflowResult('default', workflowId));
    expect(error.kind).toBe('workflow_failed');
    expect(error.message).toMatch(/count must be an integer ≥ 1/);
  });

  it('classifies a terminated workflow as terminated', async () => {
    const idleQueue = uniqueQueue('idle'); // no worker: the workflow stays open until terminated
    const workflowId = await service.startEchoWorkflow('default', idleQueue);
    const failure = launchError(service.awaitWorkflowResult('default', workflowId));
    await promisify(execFile)(temporalCli, ['workflow', 'terminate', '--address', address, '--workflow-id', workflowId]);
    expect((await failure).kind).toBe('terminated');
  });

  it('classifies a duplicate workflow id as start_rejected', async () => {
    const first = await TemporalService.connect({ address });
    const twin = await TemporalService.connect({ address, runId: first.runId });
    try {
      const workflowId = await first.startEchoWorkflow('default', taskQueue);
      await first.awaitWorkflowResult('default', workflowId);
      // Same run id, so the twin's first id is the one just used (and closed): REJECT_DUPLICATE refuses it.
      const error = await launchError(twin.startEchoWorkflow('default', taskQueue));
      expect(error.kind).toBe('start_rejected');
    } finally {
      await Promise.all([first.close(), twin.close()]);
    }
  });

  it('makes launchers that start in their namespace and task queue, with their start delay', async () => {
    const launcher = service.launcher({ namespace: 'default', taskQueue, startDelayMs: 1500 });
    expect(launcher.startDelayMs).toBe(1500);
    const sentAt = Date.now();
    const workflowId = await launcher.startEchoWorkflow('delayed', 2);
    expect(workflowId).toMatch(new RegExp(`^sched-bench-${service.runId}-\\d+$`));
    // Only the worker on `taskQueue` (namespace default) can answer; it gets the workflow after the delay.
    await expect(launcher.awaitWorkflowResult(workflowId)).resolves.toBe('delayed');
    expect(Date.now() - sentAt).toBeGreaterThanOrEqual(1500);
    // The lag is measured against the launcher's own delay: a start without it would come out about -1.5 s.
    const lag = await launcher.delayLagOf!(workflowId);
    expect(lag).toBeTypeOf('number');
    expect(lag!).toBeGreaterThan(-500);
    const undelayed = service.launcher({ namespace: 'default', taskQueue });
    expect(undelayed.startDelayMs).toBeUndefined();
    await expect(undelayed.awaitWorkflowResult(await undelayed.startWorkflow!('EchoWorkflow', [{ message: 'custom', count: 1 }]))).resolves.toBe('custom');
  });

  it('drives a SchedulerService and its counts match the server', async () => {
    const own = await TemporalService.connect({ address });
    try {
      const scheduler = new SchedulerService({
        launcher: own.launcher({ namespace: 'default', taskQueue }), concurrency: 4, reportInterval: 60,
      });
      const stats = await scheduler.run({ totalWorkflows: 12, message: 'm', count: 1 });
      expect(stats).toMatchObject({ launched: 12, started: 12, completed: 12, failed: 0, inFlight: 0 });
      await eventually(async () => expect(await own.countRunWorkflows('default')).toEqual({ Completed: 12 }));
    } finally {
      await own.close();
    }
  });
});
