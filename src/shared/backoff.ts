/**
 * Exponential backoff with jitter, for retries against a server that is away or throttling.
 * Jitter keeps many in-flight calls from retrying in lock-step (a thundering herd on restart).
 */
export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
  /** Each delay is scaled by a random factor in [1 - jitter, 1 + jitter]. */
  jitter: number;
}

/** Reconnects and retries after "unavailable": start fast, a restarted server is back in seconds. */
export const UNAVAILABLE_BACKOFF: BackoffPolicy = { initialMs: 200, maxMs: 2_000, jitter: 0.2 };
/** After RESOURCE_EXHAUSTED: the server asked us to slow down, so wait longer (as the SDK's core does). */
export const THROTTLED_BACKOFF: BackoffPolicy = { initialMs: 1_000, maxMs: 5_000, jitter: 0.2 };

/** Delay before retry number `attempt` (1 = the first retry), in ms. */
export function backoffDelay(policy: BackoffPolicy, attempt: number, random: () => number = Math.random): number {
  const base = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.max(0, attempt - 1));
  return base * (1 - policy.jitter + random() * 2 * policy.jitter);
}

/** Failure kinds where the server did not do the work because it could not or would not answer now. */
export function isRefusal(kind: string): kind is 'server_unavailable' | 'throttled' {
  return kind === 'server_unavailable' || kind === 'throttled';
}
