import { cpuUsage, resourceUsage } from 'node:process';

/** CPU (during the run, start-up excluded) and memory sched-bench itself used: what the tool, not the server, cost. */
export interface ClientCost {
  cpuUserSeconds: number;
  cpuSystemSeconds: number;
  /** (user + system) CPU per completed workflow, ms. */
  cpuMsPerCompleted: number;
  maxRssMegabytes: number;
  embeddedWorker: boolean;
}

/**
 * Measures this process's own cost from `start()` on: CPU used before (loading, connecting, bundling)
 * is not the load's. Unstarted, it counts from the process's start.
 */
export class ClientCostMeter {
  private since: NodeJS.CpuUsage | undefined;

  constructor(private readonly embeddedWorker: boolean) {}

  start(): void {
    this.since = cpuUsage();
  }

  read(completed: number): ClientCost {
    const { user, system } = cpuUsage(this.since);
    return {
      cpuUserSeconds: user / 1e6,
      cpuSystemSeconds: system / 1e6,
      cpuMsPerCompleted: completed > 0 ? (user + system) / 1000 / completed : 0,
      maxRssMegabytes: resourceUsage().maxRSS / 1024,
      embeddedWorker: this.embeddedWorker,
    };
  }
}
