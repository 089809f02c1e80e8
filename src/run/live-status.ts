import type { RunMetrics } from '../metrics/run-metrics.js';
import type { LiveStatus } from '../report/progress.js';
import type { RunStats } from '../scheduler/types.js';
import type { LoadSpec } from './load-spec.js';

/** What the live status line shows of a running load: its counts and the completions of about the last second. */
export function liveStatusReader(spec: LoadSpec, snapshot: () => RunStats, runMetrics: () => RunMetrics, lastP99: () => number): () => LiveStatus {
  const samples: Array<{ at: number; completed: number }> = [];
  const limitSeconds = spec.duration ?? (spec.maxRuntime > 0 ? spec.maxRuntime : undefined);
  return () => {
    const stats = snapshot();
    const at = performance.now();
    samples.push({ at, completed: stats.completed });
    while (samples.length > 2 && at - samples[0]!.at > 1000) samples.shift();
    const oldest = samples[0]!;
    const seconds = (at - oldest.at) / 1000;
    const metrics = runMetrics();
    const latency = spec.wait ? metrics.intervalE2eLatency : metrics.intervalStartLatency;
    return {
      elapsedMs: stats.elapsedMs,
      limit: { durationMs: limitSeconds !== undefined ? limitSeconds * 1000 : undefined, totalWorkflows: spec.mode === 'batch' ? spec.totalWorkflows : undefined },
      inFlight: stats.inFlight,
      completed: stats.completed,
      failed: stats.failed,
      rate: seconds > 0 ? (stats.completed - oldest.completed) / seconds : 0,
      // Just after a report the new interval has no samples yet: keep showing the last interval's p99.
      p99Ms: latency.count > 0 ? latency.percentileMillis(99) : lastP99(),
    };
  };
}
