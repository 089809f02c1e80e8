// The contract between `sched-bench run|infinite|capacity --agents N` (the coordinator's client), the
// CoordinatorWorkflow and `sched-bench agent` (which runs load slices as activities). Types and constants
// only: no imports, so the workflow sandbox and the load generator may both import this file.

/** The coordinator workflow's type, its stop signal and the slice activity's name. */
export const COORDINATOR_WORKFLOW_TYPE = 'CoordinatorWorkflow';
export const STOP_SIGNAL = 'sched-bench-stop';
export const RUN_SLICE_ACTIVITY = 'runLoadSlice';

/** One agent's share of a run: a load spec of the run library (JSON), its index and its shard of workflow ids. */
export interface LoadSlice {
  /** 0 … agents − 1; a slice re-run after a loss keeps its index. */
  index: number;
  /** Names the slice's workflow ids (`<idPrefix>-<runId>-<shard>-<seq>`): unique per slice and per re-run. */
  shard: string;
  /**
   * The run library's LoadSpec for this slice, as JSON: the run's id, its share of rate/concurrency/total,
   * the workload, the task queue and namespace. Never a secret: the agent brings its own credentials.
   * Opaque to the workflow.
   */
  spec: Record<string, unknown>;
  /**
   * A batch slice re-run after a loss: the agent first counts on the server the workflows its earlier
   * attempts (these shards) started, and launches only `totalWorkflows` (the slice's whole share) minus
   * that count; when the count cannot be had, the spec's own total (the remainder after the last heartbeat).
   */
  recount?: { shards: string[]; totalWorkflows: number };
}

/** What an agent heartbeats every report interval while it runs a slice (small: counts only). */
export interface SliceHeartbeat {
  /** The agent's name (`--agent-name`, default host name and pid). */
  agent: string;
  index: number;
  shard: string;
  /** Cumulative since the slice began. */
  launched: number;
  started: number;
  completed: number;
  failed: number;
  inFlight: number;
  /** The agent's last interval report: completions per second over it, and its e2e (or start) p50/p99, ms. */
  intervalRate: number;
  intervalP50: number | null;
  intervalP99: number | null;
  /**
   * That interval's latencies as an encoded HDR histogram (compressed base64, a few hundred bytes): the
   * client merges the agents' into the interval line's exact p50/p99. Absent from older agents.
   */
  intervalLatency?: string;
  /** Milliseconds since the slice began on the agent. */
  elapsedMs: number;
}

/** What the coordinator asks of itself. */
export interface CoordinatorInput {
  slices: LoadSlice[];
  /** How long a slice may wait for an agent to take it (activity schedule-to-start), ms. */
  agentWaitMs: number;
  /** An agent silent this long is lost (activity heartbeat timeout), ms. */
  heartbeatTimeoutMs: number;
  /**
   * What a lost agent's slice becomes: `fail` — declared lost with its last counts (never double-counted);
   * `rerun` — run again on another agent for what remained of it (a batch's remaining workflows, the
   * remaining duration), under a new shard.
   */
  onAgentLoss: 'fail' | 'rerun';
}

/** How one slice (or one attempt of it) ended. */
export type SliceOutcome =
  /** The agent ran it to its end (or drained after a stop) and returned its result document; `note`: how a rerun's remainder was counted. */
  | { index: number; shard: string; status: 'finished'; agent: string; result: Record<string, unknown>; note?: string }
  /** The agent went silent (killed, partitioned): its last heartbeat, if any came. */
  | { index: number; shard: string; status: 'lost'; agent: string | null; lastHeartbeat: SliceHeartbeat | null; reason: string }
  /** No agent took the slice within agentWaitMs. */
  | { index: number; shard: string; status: 'not-taken'; reason: string }
  /** The agent took it and failed it (a bad spec, the cluster refused): the agent's own message. */
  | { index: number; shard: string; status: 'failed'; agent: string | null; lastHeartbeat: SliceHeartbeat | null; reason: string };

/** The coordinator's result: every slice attempt, in the order they ended. */
export interface CoordinatorResult {
  outcomes: SliceOutcome[];
  /** A stop signal came (the CLI was interrupted): the finished slices drained early. */
  stopped: boolean;
}
