import {
  CancelledFailure,
  TerminatedFailure,
  TimeoutFailure,
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
} from '@temporalio/client';
import type { FailureKind } from '../errors.js';

// gRPC status codes that mean "the server did not answer", as opposed to "the server said no".
const GRPC_UNAVAILABLE = 14;
const GRPC_DEADLINE_EXCEEDED = 4;
/** "Slow down": a rate limit of the namespace or the frontend (counted apart from real failures). */
const GRPC_RESOURCE_EXHAUSTED = 8;

/** The gRPC status code of an SDK error, looking through `cause` chains (ServiceError wraps it). */
export function grpcCodeOf(error: unknown): number | undefined {
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'number') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Core's "transport error" / "tcp connect error" (the connection broke or never came up), anywhere in the cause chain. */
function isTransportError(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; depth++) {
    if (current.name === 'TransportError' || /transport error|tcp connect error/i.test(current.message)) return true;
    current = current.cause;
  }
  return false;
}

function isServerUnavailable(error: unknown): boolean {
  const code = grpcCodeOf(error);
  return code === GRPC_UNAVAILABLE || code === GRPC_DEADLINE_EXCEEDED || isTransportError(error);
}

/** Classifies a failed start RPC. */
export function startFailureKind(error: unknown): FailureKind {
  if (error instanceof WorkflowExecutionAlreadyStartedError) return 'start_rejected';
  if (grpcCodeOf(error) === GRPC_RESOURCE_EXHAUSTED) return 'throttled';
  return isServerUnavailable(error) ? 'server_unavailable' : 'start_rejected';
}

/** Classifies a failure while waiting for a workflow's result. */
export function resultFailureKind(error: unknown): FailureKind {
  if (error instanceof WorkflowFailedError) {
    if (error.cause instanceof TimeoutFailure) return 'timed_out';
    if (error.cause instanceof TerminatedFailure) return 'terminated';
    if (error.cause instanceof CancelledFailure) return 'cancelled';
    return 'workflow_failed';
  }
  if (grpcCodeOf(error) === GRPC_RESOURCE_EXHAUSTED) return 'throttled';
  return isServerUnavailable(error) ? 'server_unavailable' : 'unknown';
}
