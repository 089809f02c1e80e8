/**
 * Typed errors of the library. Only the CLI turns them into exit codes; the library never exits.
 */

/** Bad input from the user (flag, environment value, file). The CLI exits with 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** The Temporal server could not be reached or refused the connection. The CLI exits with 1. */
export class ConnectionError extends Error {
  override readonly name = 'ConnectionError';
}

/** A required program (the Temporal CLI for --dev-server) is missing or failed to start. Exit 1. */
export class EnvironmentError extends Error {
  override readonly name = 'EnvironmentError';
}

/**
 * Why one workflow launch did not complete; counted per kind, never fatal to a run. `start_invalid`:
 * the server rejects the start as sent, for good (INVALID_ARGUMENT, a payload or message over its size
 * limit); `start_rejected`: any other refusal of the start (e.g. the id already started).
 */
export type FailureKind =
  | 'start_rejected'
  | 'start_invalid'
  | 'server_unavailable'
  | 'throttled'
  | 'workflow_failed'
  | 'timed_out'
  | 'terminated'
  | 'cancelled'
  | 'unknown';

/** Thrown by a WorkflowLauncher when a start or a result fails; carries the kind to count. */
export class LaunchError extends Error {
  override readonly name = 'LaunchError';
  constructor(
    readonly kind: FailureKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * A start given up because the run is stopping (the stop ended its retry backoff): not a failure of the
 * server or the workload. The scheduler counts it as never launched (open loop: an arrival never started).
 * `kind` is why the last attempt was refused.
 */
export class StartAbandonedError extends LaunchError {}

export function failureKindOf(error: unknown): FailureKind {
  return error instanceof LaunchError ? error.kind : 'unknown';
}

/** The first line of an error's message: SDK and OS errors can run to many lines. */
export function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0] ?? text;
}

/** Why a file could not be read, in a few words. */
export function fileErrorReason(error: unknown): string {
  return (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : firstLine(error);
}
