import type { ServerHealth } from '../metrics/server-health.js';
import type { ConnectionSettings } from './connection-settings.js';

export const ECHO_WORKFLOW_TYPE = 'EchoWorkflow';
/** Keyword search attribute that carries the run id where the namespace has it registered. */
export const RUN_ID_SEARCH_ATTRIBUTE = 'SchedBenchRunId';
/** Memo key that marks a workflow as started by sched-bench (cleanup checks it). */
export const RUN_ID_MEMO_KEY = 'schedBenchRunId';
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/**
 * How long one start, or one wait for a result, keeps retrying while the server is away or throttling;
 * then it fails with that kind. A restarted server is back well within it; a dead one ends the run's
 * launches instead of hanging them.
 */
export const DEFAULT_RETRY_BUDGET_MS = 60_000;
/** One start attempt without an answer for this long counts as unavailable (and is retried). */
export const START_ATTEMPT_TIMEOUT_MS = 20_000;

export interface TemporalServiceOptions extends ConnectionSettings {
  /** Identifies this run's workflows on the server; generated when absent. */
  runId?: string;
  /** Workflow ids are `<idPrefix>-<runId>-<seq>`; default `sched-bench`. */
  idPrefix?: string;
  /**
   * For several processes sharing one run id: this process's own part of the ids,
   * `<idPrefix>-<runId>-<shard>-<seq>`, so they never collide.
   */
  shard?: string;
  /** Keep trying to connect (backoff with jitter) for this long, ms; default 10 s. */
  connectTimeoutMs?: number;
  /** Told of every refused attempt and every answer: throttling counts and outages for the report. */
  health?: ServerHealth;
  /** How long one call retries refusals; 0: none (default DEFAULT_RETRY_BUDGET_MS). */
  retryBudgetMs?: number;
  /** Request eager start (the first workflow task comes back with the start, for this process's worker). */
  eagerStart?: boolean;
  /**
   * Aborted when the run is told to stop: every start waiting to retry then fails at once with its kind,
   * and connect stops retrying. A result wait goes on (its workflow exists; the drain bounds it).
   */
  stopSignal?: AbortSignal;
}
