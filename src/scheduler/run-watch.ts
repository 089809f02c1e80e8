import { systemClock, type Clock, type TimerHandle } from '../shared/clock.js';
import type { PickupProbe } from '../shared/pickup-probe.js';

export type RunWatchEvent =
  | { type: 'no-pollers' }
  /** `workflowType`: the run's type the failure names, when it names one. */
  | { type: 'workflow-task-failing'; workflowId: string; message: string; typeNotRegistered: boolean; workflowType?: string }
  | { type: 'outage-limit'; outageMs: number; limitMs: number };

export interface RunWatchOptions {
  clock?: Clock;
  /** Workflows finished so far (completed or failed). */
  finished: () => number;
  /** The started workflows whose result is awaited, oldest first. */
  inFlightWorkflowIds: () => string[];
  probe?: PickupProbe;
  /** Results are awaited: a stalled finished count then means nobody runs the workflows. */
  wait: boolean;
  /** A worker in this process polls the task queue (--worker): no need to ask the server for pollers. */
  embeddedWorker?: boolean;
  /** The workflow types the run starts, to recognise a worker's "unknown type" failure. */
  workflowTypes: readonly string[];
  /** Give up after the server has been away this long (ms; 0: never); `currentMs` is the open outage. */
  outage?: { limitMs: number; currentMs: () => number };
  onEvent: (event: RunWatchEvent) => void;
}

const TICK_MS = 1000;
/** The first look at the task queue: the embedded worker polls well within it. */
export const FIRST_PROBE_MS = 3000;
export const PROBE_EVERY_MS = 5000;
/** How SDK workers word a workflow task for a type they do not have (TypeScript, Go, Java, Python, .NET). */
const UNKNOWN_TYPE = /no such function|not registered|unable to find workflow type|unknown workflow type|not found|is not a function/i;

/**
 * Watches a running load for what would otherwise make it hang in silence: workflows no worker picks
 * up (no poller on the task queue, or a type no worker has) and a server away for longer than the
 * outage limit. It only reports (once per kind); the caller decides what to do.
 */
export class RunWatch {
  private readonly clock: Clock;
  private timer: TimerHandle | undefined;
  private startedAt = 0;
  private nextProbeAt = 0;
  private probing = false;
  private finishedAtLastProbe = 0;
  /** Probes in a row that found no poller: one alone may be a worker still starting up. */
  private pollerlessProbes = 0;
  private readonly reported = new Set<RunWatchEvent['type']>();

  constructor(private readonly options: RunWatchOptions) {
    this.clock = options.clock ?? systemClock;
  }

  start(): void {
    this.startedAt = this.clock.now();
    this.nextProbeAt = this.startedAt + FIRST_PROBE_MS;
    this.finishedAtLastProbe = this.options.finished();
    this.arm();
  }

  stop(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(): void {
    this.timer = this.clock.setTimeout(() => {
      this.tick();
      if (this.timer !== undefined) this.arm();
    }, TICK_MS);
  }

  private tick(): void {
    const { outage, probe } = this.options;
    if (outage && outage.limitMs > 0) {
      const outageMs = outage.currentMs();
      if (outageMs > outage.limitMs) this.report({ type: 'outage-limit', outageMs, limitMs: outage.limitMs });
    }
    const now = this.clock.now();
    if (!probe || this.probing || now < this.nextProbeAt) return;
    if (this.reported.has('no-pollers') && this.reported.has('workflow-task-failing')) return;
    this.nextProbeAt = now + PROBE_EVERY_MS;
    this.probing = true;
    void this.probeOnce(probe)
      .catch(() => undefined) // the server is away or refuses: the outage limit covers that
      .finally(() => (this.probing = false));
  }

  private async probeOnce(probe: PickupProbe): Promise<void> {
    const finished = this.options.finished();
    // With --no-wait a finish is only an acknowledged start: it proves nothing about the workers.
    const stalled = !this.options.wait || finished === this.finishedAtLastProbe;
    this.finishedAtLastProbe = finished;
    if (!stalled) {
      this.pollerlessProbes = 0;
      return;
    }
    if (!this.options.embeddedWorker && !this.reported.has('no-pollers')) {
      this.pollerlessProbes = (await probe.pollerCount()) === 0 ? this.pollerlessProbes + 1 : 0;
      if (this.pollerlessProbes >= 2) this.report({ type: 'no-pollers' });
    }
    const oldest = this.options.inFlightWorkflowIds()[0];
    if (!this.options.wait || oldest === undefined || this.reported.has('workflow-task-failing')) return;
    const message = await probe.workflowTaskFailure(oldest);
    if (message === undefined) return;
    // The longest name first: ChildWorkflow must not be taken for a type whose name it ends.
    const workflowType = [...this.options.workflowTypes].sort((a, b) => b.length - a.length).find((type) => message.includes(type));
    const typeNotRegistered = workflowType !== undefined && UNKNOWN_TYPE.test(message);
    this.report({ type: 'workflow-task-failing', workflowId: oldest, message, typeNotRegistered, ...(workflowType ? { workflowType } : {}) });
  }

  private report(event: RunWatchEvent): void {
    if (this.reported.has(event.type)) return;
    this.reported.add(event.type);
    this.options.onEvent(event);
  }
}
