/**
 * What Linux's /proc says of a live process: its CPU so far and its peak resident memory. The bench
 * reads these for processes it did not write (the Go runner), so it cannot ask them for a JSON result;
 * parsing is kept pure (text in, numbers out) so it can be tested without a process.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { highWaterMegabytesOfStatus } from '../src/metrics/client-cost.js';

/**
 * user + system CPU seconds from the text of /proc/<pid>/stat. The second field (the command name) is
 * in parentheses and may itself hold spaces and parentheses, so fields are counted from the LAST ')':
 * utime and stime are fields 14 and 15 of the line, the 12th and 13th after the name.
 */
export function cpuSecondsOfStat(stat: string, ticksPerSecond: number): number {
  const afterName = stat.slice(stat.lastIndexOf(')') + 1).trim().split(/\s+/);
  const [utime, stime] = [Number(afterName[11]), Number(afterName[12])];
  if (stat.lastIndexOf(')') < 0 || !Number.isFinite(utime) || !Number.isFinite(stime)) {
    throw new Error(`not a /proc/<pid>/stat line: ${stat.slice(0, 80)}`);
  }
  return (utime + stime) / ticksPerSecond;
}

/** Peak resident memory (VmHWM), MB, from the text of /proc/<pid>/status. */
export function peakRssMegabytesOfStatus(status: string): number {
  const peak = highWaterMegabytesOfStatus(status);
  if (peak === undefined) throw new Error('no VmHWM line in /proc/<pid>/status');
  return peak;
}

let clockTicks: number | undefined;

/** The kernel's clock ticks per second (USER_HZ), which /proc's CPU times count in. */
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100; // USER_HZ on every Linux architecture Node runs on
    }
  }
  return clockTicks;
}

/** CPU seconds (user + system, all threads) a live process has used so far. */
export function cpuSecondsOf(pid: number): number {
  return cpuSecondsOfStat(readFileSync(`/proc/${pid}/stat`, 'utf8'), ticksPerSecond());
}

/** Peak resident memory of a live process so far, MB. */
export function peakRssMegabytesOf(pid: number): number {
  return peakRssMegabytesOfStatus(readFileSync(`/proc/${pid}/status`, 'utf8'));
}

/** The middle value (mean of the two middle ones for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of nothing');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
