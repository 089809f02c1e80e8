import { Counter, Gauge, Registry } from 'prom-client';
import type { MetricsSource } from '../run/metrics-server.js';

/** What a running `sched-bench worker` tells of itself (the SDK's own worker metrics are on the next port). */
export interface WorkerState {
  /** Worker instances in the process, and the slots of each. */
  workers: number;
  workflowSlots: number;
  activitySlots: number;
  /** Echo activities executed so far. */
  activities: number;
}

/**
 * sched-bench's own worker metrics: the activities it ran, and how it is sized (for dashboards beside the
 * SDK's). Served from before the worker exists (the port is taken first, so a busy port fails before any
 * connection): until then `state` gives undefined and the metrics have no samples.
 */
export function workerMetrics(labels: { task_queue: string; namespace: string }, state: () => WorkerState | undefined): MetricsSource {
  const registry = new Registry();
  const labelNames = ['task_queue', 'namespace'] as const;
  new Counter({
    name: 'sched_bench_worker_activities_total', help: 'Echo activities this worker process executed.', labelNames, registers: [registry],
    collect() {
      this.reset();
      const now = state();
      if (now) this.inc(labels, now.activities);
    },
  });
  const gauge = (name: string, help: string, value: (now: WorkerState) => number) =>
    new Gauge({
      name, help, labelNames, registers: [registry],
      collect() {
        this.reset();
        const now = state();
        if (now) this.set(labels, value(now));
      },
    });
  gauge('sched_bench_worker_instances', 'Worker instances in this process (--workers).', (now) => now.workers);
  gauge('sched_bench_worker_workflow_slots', 'Concurrent workflow tasks per worker instance.', (now) => now.workflowSlots);
  gauge('sched_bench_worker_activity_slots', 'Concurrent activities per worker instance.', (now) => now.activitySlots);
  return { metrics: () => registry.metrics(), get contentType() { return registry.contentType; } };
}
