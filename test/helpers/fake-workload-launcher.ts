import { LaunchError, type FailureKind } from '../../src/errors.js';
import type { Clock } from '../../src/shared/clock.js';
import type { BenchHistoryEvent } from '../../src/shared/history-events.js';
import type { AcceptedUpdate, WorkflowLauncher, WorkloadCalls } from '../../src/shared/launcher.js';

export interface FakeWorkloadOptions {
  clock: Clock;
  /** Every call (start, signal, update stage, query, result) takes this long on the fake clock. */
  callMs?: number;
  /** An update's completion comes this long after its acceptance. */
  updateRunMs?: number;
  /** The server's time from a signal to the workflow task that handled it completing. */
  handledMs?: number;
  /** Fail the n-th signal (1-based, over the whole run) with this kind. */
  failSignal?: { nth: number; kind: FailureKind };
  /** update-with-start creates the workflow, but no worker accepts the update: it fails with this kind. */
  unacceptedUpdateWithStart?: FailureKind;
  /** What the result of a workflow is (continue-as-new returns its runs' start times). */
  resultOf?: (workflowType: string) => unknown;
}

/**
 * A launcher with WorkloadCalls on a fake clock: it keeps each workflow's calls and answers its history
 * from them (every signal handled `handledMs` later, each workflow task scheduled → started in 3 ms).
 */
export class FakeWorkloadLauncher implements WorkflowLauncher {
  readonly log: string[] = [];
  private sequence = 0;
  private signalsSent = 0;
  private readonly histories = new Map<string, BenchHistoryEvent[]>();
  private readonly types = new Map<string, string>();
  readonly calls: WorkloadCalls;

  constructor(private readonly options: FakeWorkloadOptions) {
    this.calls = {
      signal: (workflowId, name) => this.signal(workflowId, name),
      signalWithStart: async (workflowType, _args, name) => {
        const workflowId = await this.startWorkflow(workflowType);
        this.recordSignal(workflowId, name);
        return workflowId;
      },
      startUpdate: (workflowId, name) => this.update(workflowId, name),
      updateWithStart: async (workflowType, _args, name, _updateArgs, onCreating) => {
        const workflowId = this.createWorkflow(workflowType); // one request: the update's own time covers it
        onCreating?.(workflowId);
        const refusal = this.options.unacceptedUpdateWithStart;
        if (refusal) {
          await this.sleep(this.options.callMs ?? 0);
          throw new LaunchError(refusal, `update of ${workflowId} never accepted`);
        }
        return { workflowId, ...(await this.update(workflowId, name)) };
      },
      query: async (workflowId, name) => {
        this.log.push(`query ${workflowId} ${name}`);
        await this.sleep(this.options.callMs ?? 0);
        return 0;
      },
      history: async (workflowId) => {
        this.log.push(`history ${workflowId}`);
        return this.histories.get(workflowId) ?? [];
      },
    };
  }

  async startEchoWorkflow(): Promise<string> {
    return this.startWorkflow('EchoWorkflow');
  }

  async startWorkflow(workflowType: string): Promise<string> {
    await this.sleep(this.options.callMs ?? 0);
    return this.createWorkflow(workflowType);
  }

  private createWorkflow(workflowType: string): string {
    const workflowId = `wf-${++this.sequence}`;
    this.types.set(workflowId, workflowType);
    this.log.push(`start ${workflowId} ${workflowType}`);
    const now = this.options.clock.now();
    this.histories.set(workflowId, [
      { kind: 'workflowStarted', timeMs: now },
      { kind: 'workflowTaskScheduled', timeMs: now },
      { kind: 'workflowTaskStarted', timeMs: now + 3 },
      { kind: 'workflowTaskCompleted', timeMs: now + 4 },
    ]);
    return workflowId;
  }

  async awaitWorkflowResult(workflowId: string): Promise<unknown> {
    await this.sleep(this.options.callMs ?? 0);
    this.log.push(`result ${workflowId}`);
    return this.options.resultOf?.(this.types.get(workflowId)!) ?? 'done';
  }

  private async signal(workflowId: string, name: string): Promise<void> {
    await this.sleep(this.options.callMs ?? 0);
    const nth = ++this.signalsSent;
    if (this.options.failSignal?.nth === nth) throw new LaunchError(this.options.failSignal.kind, `signal ${nth} failed`);
    this.recordSignal(workflowId, name);
  }

  /** The server's side of a signal: the event, then a workflow task that handles it. */
  private recordSignal(workflowId: string, signalName: string): void {
    this.log.push(`signal ${workflowId} ${signalName}`);
    const now = this.options.clock.now();
    const handledMs = this.options.handledMs ?? 5;
    this.histories.get(workflowId)!.push(
      { kind: 'signaled', timeMs: now, signalName },
      { kind: 'workflowTaskScheduled', timeMs: now },
      { kind: 'workflowTaskStarted', timeMs: now + 1 },
      { kind: 'workflowTaskCompleted', timeMs: now + handledMs },
    );
  }

  private async update(workflowId: string, name: string): Promise<AcceptedUpdate> {
    this.log.push(`update ${workflowId} ${name}`);
    await this.sleep(this.options.callMs ?? 0);
    const completion = this.sleep(this.options.updateRunMs ?? 0);
    return { result: () => completion };
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.options.clock.setTimeout(resolve, ms));
  }
}
