import { describe, expect, it } from 'vitest';
import { formatWatchEvent } from '../../src/report/watch-lines.js';

const context = { address: 'localhost:7233', namespace: 'default', taskQueue: 'q' };

describe('run watch lines name the workload\'s workflow types', () => {
  it('sends a user of the built-in workloads to sched-bench worker, others to their own workers', () => {
    expect(formatWatchEvent({ type: 'no-pollers' }, { ...context, workflowTypes: ['ParentWorkflow', 'ChildWorkflow'], builtIn: true }))
      .toContain('start `sched-bench worker --task-queue q` or add --worker');
    expect(formatWatchEvent({ type: 'no-pollers' }, { ...context, workflowTypes: ['Mine'], builtIn: false })).toContain('start a worker of Mine on it');
  });

  it('names the type the failing task names; without one, every type of the run', () => {
    const failing = { type: 'workflow-task-failing' as const, workflowId: 'wf-1', message: 'no such function: UpdateWorkflow\nstack', typeNotRegistered: true };
    const types = { ...context, workflowTypes: ['EchoWorkflow', 'UpdateWorkflow'], builtIn: true };
    expect(formatWatchEvent({ ...failing, workflowType: 'UpdateWorkflow' }, types))
      .toBe('sched-bench: workflow type UpdateWorkflow is not registered on the workers of task queue q (no such function: UpdateWorkflow)');
    expect(formatWatchEvent({ ...failing, message: 'boom', typeNotRegistered: false }, types))
      .toBe('sched-bench: workflow tasks of EchoWorkflow or UpdateWorkflow on task queue q keep failing (e.g. wf-1): boom');
  });
});
