import { resourceUsage } from 'node:process';
import { describe, expect, it } from 'vitest';
import { ClientCostMeter, peakRssMegabytes } from '../../src/metrics/client-cost.js';

describe('client peak RSS', () => {
  it("reads this program's high-water mark (VmHWM), not getrusage's maxRSS", () => {
    const status = 'Name:\tnode\nVmPeak:\t  900000 kB\nVmHWM:\t   84992 kB\nVmRSS:\t   80000 kB\n';
    expect(peakRssMegabytes(() => status)).toBe(83);
  });

  it('falls back to maxRSS where there is no /proc or no VmHWM line', () => {
    const fallback = resourceUsage().maxRSS / 1024;
    const noProc = peakRssMegabytes(() => {
      throw new Error('ENOENT: /proc/self/status');
    });
    expect(noProc).toBeGreaterThan(0);
    expect(Math.abs(noProc - fallback)).toBeLessThan(64); // maxRSS may grow between the two reads
    expect(peakRssMegabytes(() => 'Name:\tnode\n')).toBeGreaterThanOrEqual(fallback);
  });

  it("the meter's figure is the process's own VmHWM on Linux", () => {
    const cost = new ClientCostMeter(false).read(1);
    expect(cost.maxRssMegabytes).toBeCloseTo(peakRssMegabytes(), -1);
  });
});
