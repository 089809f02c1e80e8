import { readFileSync } from 'node:fs';
import { cpuUsage, resourceUsage } from 'node:process';

/** CPU (during the run, start-up excluded) and memory sched-bench itself used: what the tool, not the server, cost. */
export interface ClientCost {
  cpuUserSeconds: number;
  cpuSystemSeconds: number;
  /** (user + system) CPU per completed workflow, ms. */
  cpuMsPerCompleted: number;
  /** This program's peak RSS, MB (see peakRssMegabytes). */
  maxRssMegabytes: number;
  embeddedWorker: boolean;
}

/** Peak resident memory (VmHWM), MB, from the text of a /proc/<pid>/status; undefined without that line. */
export function highWaterMegabytesOfStatus(status: string): number | undefined {
  const match = /^VmHWM:\s+(\d+) kB/m.exec(status);
  return match ? Number(match[1]) / 1024 : undefined;
}

/**
 * This program's peak RSS, MB: on Linux the high-water mark of its own image (VmHWM in /proc/self/status),
 * elsewhere getrusage's maxRSS. On Linux maxRSS also holds what the parent process had resident when it
 * forked us (exec keeps the larger of the two), so sched-bench started by a process holding 400 MB said
 * 417 MB against its own 39, and one started by the benchmark harness late in its run 175 MB against its own 83.
 */
export function peakRssMegabytes(readStatus: () => string = () => readFileSync('/proc/self/status', 'utf8')): number {
  try {
    const peak = highWaterMegabytesOfStatus(readStatus());
    if (peak !== undefined) return peak;
  } catch {
    // no /proc (not Linux): maxRSS, which there counts this program only
  }
  return resourceUsage().maxRSS / 1024;
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
      maxRssMegabytes: peakRssMegabytes(),
      embeddedWorker: this.embeddedWorker,
    };
  }
}
