import { Counter, Gauge, Registry } from 'prom-client';
import type { MetricsSource } from '../run/metrics-server.js';

/** What `sched-bench worker` tells of itself at scrape time (the SDK's own worker metrics are on the next port). */
export interface WorkerMetricsSource {
  taskQueue: string;
  namespace: string;
  /** Worker instances in the process, and the slots of each. */
  workers: number;
  workflowSlots: number;
  activitySlots: number;
  /** Echo activities executed so far. */
  activities: () => number;
}

/** sched-bench's own worker metrics: the activities it ran, and how it is sized (for dashboards beside the SDK's). */
export function workerMetrics(source: WorkerMetricsSource): MetricsSource {
  const registry = new Registry();
  const labels = { task_queue: source.taskQueue, namespace: source.namespace };
  const labelNames = ['task_queue', 'namespace'] as const;
  new Counter({
    name: 'sched_bench_worker_activities_total', help: 'Echo activities this worker process executed.', labelNames, registers: [registry],
    collect() {
      this.reset();
      this.inc(labels, source.activities());
    },
  });
  const gauge = (name: string, help: string, value: number) =>
    new Gauge({ name, help, labelNames, registers: [registry] }).set(labels, value);
  gauge('sched_bench_worker_instances', 'Worker instances in this process (--workers).', source.workers);
  gauge('sched_bench_worker_workflow_slots', 'Concurrent workflow tasks per worker instance.', source.workflowSlots);
  gauge('sched_bench_worker_activity_slots', 'Concurrent activities per worker instance.', source.activitySlots);
  return { metrics: () => registry.metrics(), get contentType() { return registry.contentType; } };
}
