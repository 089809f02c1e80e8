// TEMPORARY, for compiling only: the interfaces engineer h1 builds in src/temporal/agent-worker.ts and
// src/temporal/coordinator-client.ts (copied from API.md). At merge, imports of this file switch to those
// modules and this file is deleted (with its augmentation of TemporalService, which gains the real methods).
import type { CoordinatorInput, CoordinatorResult, LoadSlice, SliceHeartbeat } from '../../workflows/coordinator-types.js';

export interface SliceContext {
  /** This agent's name (given to the worker as its identity too). */
  readonly agent: string;
  /** Records the heartbeat (the SDK sends it, throttled to `heartbeatIntervalMs`). */
  heartbeat(details: SliceHeartbeat): void;
  /** Aborted when the coordinator stops the run or cancels the slice: drain, then return the partial result. */
  readonly signal: AbortSignal;
}

/** The run layer's body of the runLoadSlice activity: runs the slice, returns its RunResult document (JSON). */
export type SliceBody = (slice: LoadSlice, context: SliceContext) => Promise<Record<string, unknown>>;

export interface AgentWorkerOptions {
  namespace: string;
  taskQueue: string;
  name: string;
  body: SliceBody;
  heartbeatIntervalMs: number;
  bundleCacheDir?: string;
}

export interface AgentWorker {
  /** Polls until shutdown(); rejects if the worker fails. */
  run(): Promise<void>;
  /** Stops polling; a running slice is cancelled (its body drains and returns), then resolves. Idempotent. */
  shutdown(): Promise<void>;
}

export interface SliceProgress {
  index: number;
  shard: string;
  state: 'scheduled' | 'running';
  agent: string | null;
  heartbeat: SliceHeartbeat | null;
}

export interface RunningCoordinator {
  readonly workflowId: string;
  progress(): Promise<SliceProgress[]>;
  stop(): Promise<void>;
  cancel(): Promise<void>;
  result(): Promise<CoordinatorResult>;
}

export interface CoordinatorClient {
  agentsPolling(): Promise<string[]>;
  start(workflowId: string, input: CoordinatorInput): Promise<RunningCoordinator>;
}

declare module '../temporal/temporal-service.js' {
  interface TemporalService {
    createAgentWorker(options: AgentWorkerOptions): Promise<AgentWorker>;
    coordinator(namespace: string, taskQueue: string): CoordinatorClient;
  }
}
