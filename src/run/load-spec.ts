import type { Threshold } from '../metrics/thresholds.js';
import type { LoadModel, RunMode, Workload } from '../scheduler/types.js';
import type { SessionSpec } from './session.js';

/**
 * Everything a load run does, every default already decided (the CLI's config resolution derives
 * them from the options; a library caller writes them out). Times in seconds unless named `…Ms`.
 */
export interface LoadSpec extends SessionSpec {
  /** batch: `totalWorkflows`, then stop; infinite: until stopped, `maxRuntime` or `duration`. */
  mode: RunMode;
  /** Run id shared by several processes of one load (each then gets its own shard of ids); generated when absent. */
  runId?: string;
  /** With `runId`: this process's shard of the shared run's ids (an agent's slice); random when absent. */
  shard?: string;
  /** Workflow ids are `<idPrefix>-<runId>-<seq>`. */
  idPrefix?: string;
  /** Closed loop (`concurrency` slots) or open loop (`rate` per second, `concurrency` caps in-flight). */
  loadModel: LoadModel;
  totalWorkflows: number;
  /** Stop launching after this long. */
  duration?: number;
  /** infinite: stop launching after this long; 0: never. */
  maxRuntime: number;
  /** Workflows started in this first period are not measured. */
  warmup: number;
  reportInterval: number;
  /** Interval reports carry their latency histogram encoded (an agent's heartbeats, merged exactly by the coordinator's client). */
  encodeIntervalLatency?: boolean;
  /** true: a workflow is done when its result arrives; false: when its start is acknowledged. */
  wait: boolean;
  workload: Workload;
  /**
   * The fraction (0–1) of measured workflows whose history is read for the workers' schedule-to-start
   * latencies (workloads that read every history anyway measure them on all); 0 or absent: none.
   */
  historySample?: number;
  /** Temporal's start delay for every workflow, ms. */
  startDelayMs?: number;
  /** Request eager start: the embedded worker gets each first workflow task with the start. */
  eagerStart: boolean;
  /** How long one start or result wait retries refusals (throttled, unavailable); 0: no retries. */
  retryTimeout: number;
  /** How long the server may stay away before the run ends without a drain; 0: never. */
  maxOutage: number;
  drain: {
    /** Wait this long at most for the workflows in flight after the stop. */
    timeout?: number;
    /** Without `timeout`: give up once no workflow has finished for this long. */
    stallTimeout?: number;
    /** What to do with the workflows a cut-short drain left running. */
    onStop: 'leave' | 'terminate';
  };
  thresholds: readonly Threshold[];
  /** Compare the server's counts of the run's workflows with the tool's after the run. */
  verify: boolean;
}
