import { firstLine, LaunchError, StartAbandonedError, type FailureKind } from '../errors.js';
import { backoffDelay, THROTTLED_BACKOFF, UNAVAILABLE_BACKOFF, type BackoffPolicy } from '../shared/backoff.js';
import type { ServiceConnection } from './connect.js';
import { DEFAULT_RETRY_BUDGET_MS } from './service-options.js';
import { sleep } from './wakeable-sleeps.js';

/** How one call is retried while the server refuses it (throttled, unavailable). */
export interface RetryRules<T> {
  /** The kind of a failed attempt: throttled and server_unavailable are retried, the rest fail the call. */
  kindOf(error: unknown): FailureKind;
  /** The failure's message from the last attempt's description (e.g. "start of <id> failed: <description>"); `abandoned`: cut short by a stop. */
  message(description: string, abandoned: boolean): string;
  /**
   * A call that creates a workflow: the budget runs from the first attempt, and a stop ends the backoff
   * and abandons the call (StartAbandonedError). Otherwise the workflow exists and is waited for: the
   * budget covers one stretch of refusals, and a stop does not cut the wait short.
   */
  creates: boolean;
  /**
   * Whether the server answered that no worker has processed the call yet (a query held past its deadline):
   * retried within the budget like a refusal, but the server answered, so its health counts an answer.
   */
  waitsOnWorker?(error: unknown): boolean;
  /** On a retry: whether this error means an earlier attempt landed and only its answer was lost, and the call's value then. */
  landedEarlier?(error: unknown): { value: T } | undefined;
}

/**
 * Calls `attempt` until it is answered, retrying refusals (throttled, unavailable) with backoff within
 * the connection's retry budget, and telling the connection's health each outcome. Fails with a
 * LaunchError of the failure's kind.
 */
export async function retryingRefusals<T>(connection: ServiceConnection, attempt: () => Promise<T>, rules: RetryRules<T>): Promise<T> {
  const { health } = connection.settings;
  const budgetMs = connection.settings.retryBudgetMs ?? DEFAULT_RETRY_BUDGET_MS;
  const firstSentAt = Date.now();
  let firstRefusalAt: number | undefined;
  let lastRefusalAt: number | undefined;
  for (let attemptNumber = 1; ; attemptNumber++) {
    const sentAt = Date.now();
    try {
      const value = await attempt();
      health?.answered(sentAt, Date.now());
      return value;
    } catch (error) {
      const now = Date.now();
      const landed = attemptNumber > 1 ? rules.landedEarlier?.(error) : undefined;
      if (landed) {
        health?.answered(sentAt, now);
        return landed.value;
      }
      const kind = rules.kindOf(error);
      const delay = rules.waitsOnWorker?.(error)
        ? (health?.answered(sentAt, now), connection.closed ? undefined : backoffDelay(UNAVAILABLE_BACKOFF, attemptNumber))
        : retryDelay(connection, kind, attemptNumber, sentAt, now, error);
      // Waits on an existing workflow: the budget covers one stretch of refusals (a wait answered for a while starts a new one).
      if (lastRefusalAt === undefined || sentAt - lastRefusalAt > 2 * UNAVAILABLE_BACKOFF.maxMs) firstRefusalAt = now;
      lastRefusalAt = now;
      const budgetFrom = rules.creates ? firstSentAt : firstRefusalAt!;
      if (delay === undefined || now + delay - budgetFrom > budgetMs) {
        throw new LaunchError(kind, rules.message(describeFailure(error), false), { cause: error });
      }
      if (!rules.creates) {
        await sleep(delay);
        continue;
      }
      // A stop wakes this backoff: the start is then abandoned (not a failure) rather than holding the run up.
      await connection.backoffs.sleep(delay);
      if (connection.backoffs.stopped) {
        throw new StartAbandonedError(kind, rules.message(describeFailure(error), true), { cause: error });
      }
    }
  }
}

/** Records the outcome with the connection's health; the backoff before the next attempt, or undefined: do not retry. */
function retryDelay(connection: ServiceConnection, kind: FailureKind, attempt: number, sentAt: number, now: number, error: unknown): number | undefined {
  const { health } = connection.settings;
  const policy: BackoffPolicy | undefined =
    kind === 'throttled' ? THROTTLED_BACKOFF : kind === 'server_unavailable' ? UNAVAILABLE_BACKOFF : undefined;
  if (!policy) {
    health?.answered(sentAt, now);
    return undefined;
  }
  health?.refused(kind as 'throttled' | 'server_unavailable', sentAt, now, describeFailure(error));
  return connection.closed ? undefined : backoffDelay(policy, attempt);
}

/** "Workflow execution failed: <the workflow's own message>" — the cause is what a person needs. */
export function describeFailure(error: unknown): string {
  const cause = error instanceof Error ? error.cause : undefined;
  return cause instanceof Error && cause.message ? `${firstLine(error)}: ${firstLine(cause)}` : firstLine(error);
}
