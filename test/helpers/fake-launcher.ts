import { LaunchError, type FailureKind } from '../../src/errors.js';
import type { Clock, WorkflowLauncher } from '../../src/scheduler/types.js';

export interface FakeLauncherOptions {
  clock: Clock;
  /** How long a start takes to be acknowledged (ms of the fake clock). */
  startMs?: number;
  /** How long a started workflow runs until its result (ms of the fake clock). */
  runMs?: number;
  /** Sequence numbers (1-based) whose start fails, and with which kind. */
  failStarts?: Map<number, FailureKind>;
  /** Sequence numbers whose workflow fails, and with which kind. */
  failResults?: Map<number, FailureKind>;
  /** Every start acknowledged before this fake time is refused with this kind (a server away or throttling). */
  refuseStartsUntil?: { atMs: number; kind: FailureKind };
}

/** A WorkflowLauncher on a fake clock that records what the scheduler asked of it. */
export class FakeLauncher implements WorkflowLauncher {
  startCalls = 0;
  /** Workflows with a start or a result wait in progress right now, and the most seen at once. */
  inFlight = 0;
  maxInFlight = 0;
  readonly startArguments: Array<{ message?: string; count?: number }> = [];
  private readonly sequenceOf = new Map<string, number>();

  constructor(private readonly options: FakeLauncherOptions) {}

  async startEchoWorkflow(message?: string, count?: number): Promise<string> {
    const sequence = ++this.startCalls;
    this.startArguments.push({ message, count });
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    await this.sleep(this.options.startMs ?? 0);
    this.inFlight--;
    const refusal = this.options.refuseStartsUntil;
    if (refusal && this.options.clock.now() < refusal.atMs) throw new LaunchError(refusal.kind, `start ${sequence} refused`);
    const startFailure = this.options.failStarts?.get(sequence);
    if (startFailure) throw new LaunchError(startFailure, `start ${sequence} failed`);
    const workflowId = `wf-${sequence}`;
    this.sequenceOf.set(workflowId, sequence);
    return workflowId;
  }

  async awaitWorkflowResult(workflowId: string): Promise<unknown> {
    const sequence = this.sequenceOf.get(workflowId)!;
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    await this.sleep(this.options.runMs ?? 0);
    this.inFlight--;
    const resultFailure = this.options.failResults?.get(sequence);
    if (resultFailure) throw new LaunchError(resultFailure, `workflow ${sequence} failed`);
    return 'echo';
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.options.clock.setTimeout(resolve, ms));
  }
}
