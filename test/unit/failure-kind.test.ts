import { describe, expect, it } from 'vitest';
import { ServiceError, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import { Metadata } from '@grpc/grpc-js';
import { google, temporal } from '@temporalio/proto';
import { grpcDetailTypesOf, isQueryNotYetProcessed, isWorkflowAlreadyCompleted, operationFailureKind, resultFailureKind, startFailureKind } from '../../src/temporal/failure-kind.js';

/** A gRPC error as the SDK's ServiceError wraps it: the status code sits on the cause. */
function serviceError(code: number, message: string): Error {
  return new Error('Failed to start Workflow', { cause: Object.assign(new Error(message), { code }) });
}

describe('failure kinds of SDK errors', () => {
  it('tells throttling (RESOURCE_EXHAUSTED) from an unreachable server and from a refusal', () => {
    expect(startFailureKind(serviceError(8, '8 RESOURCE_EXHAUSTED: namespace rate limit exceeded'))).toBe('throttled');
    expect(startFailureKind(serviceError(14, '14 UNAVAILABLE: tcp connect error'))).toBe('server_unavailable');
    expect(startFailureKind(serviceError(4, '4 DEADLINE_EXCEEDED'))).toBe('server_unavailable');
    expect(startFailureKind(serviceError(3, '3 INVALID_ARGUMENT: bad'))).toBe('start_invalid');
    expect(startFailureKind(new WorkflowExecutionAlreadyStartedError('already started', 'id', 'EchoWorkflow'))).toBe('start_rejected');
    expect(resultFailureKind(serviceError(14, '14 UNAVAILABLE'))).toBe('server_unavailable');
    expect(resultFailureKind(serviceError(8, '8 RESOURCE_EXHAUSTED'))).toBe('throttled');
    expect(resultFailureKind(new Error('something else'))).toBe('unknown');
  });
});

describe('calls on a running workflow (signals, updates, queries)', () => {
  it('retry refusals, count a failed update as the workflow\'s failure, and tell a query no worker answered yet', () => {
    expect(operationFailureKind(serviceError(8, '8 RESOURCE_EXHAUSTED'))).toBe('throttled');
    expect(operationFailureKind(serviceError(14, '14 UNAVAILABLE'))).toBe('server_unavailable');
    expect(operationFailureKind(Object.assign(new Error('update failed'), { name: 'WorkflowUpdateFailedError' }))).toBe('workflow_failed');
    expect(operationFailureKind(serviceError(5, '5 NOT_FOUND: workflow not found'))).toBe('unknown');
    // As the SDK's query saw it (measured on the dev server: no worker polled the queue for 30 s).
    const held = new Error('Failed to query Workflow', {
      cause: Object.assign(new Error('4 DEADLINE_EXCEEDED: query timed out before a worker could process it'), {
        code: 4, details: 'query timed out before a worker could process it',
      }),
    });
    expect(isQueryNotYetProcessed(held)).toBe(true);
    // The same over the native connection (the SDK side of --connection http2 and native; measured on the
    // dev server): Core's own deadline passes first, a ServiceError with CANCELLED "Timeout expired".
    const heldNative = new ServiceError('Failed to query Workflow', {
      cause: Object.assign(new ServiceError('Timeout expired'), { code: 1, details: '', metadata: {} }),
    });
    expect(isQueryNotYetProcessed(heldNative)).toBe(true);
    expect(operationFailureKind(heldNative)).toBe('unknown');
    // Precisely those: not any timeout, not any cancellation.
    expect(isQueryNotYetProcessed(serviceError(1, 'Timeout expired while connecting'))).toBe(false);
    expect(isQueryNotYetProcessed(serviceError(1, 'operation was canceled'))).toBe(false);
    expect(isQueryNotYetProcessed(serviceError(4, 'Timeout expired'))).toBe(false);
    expect(isQueryNotYetProcessed(new Error('Timeout expired'))).toBe(false);
    expect(isQueryNotYetProcessed(serviceError(4, '4 DEADLINE_EXCEEDED'))).toBe(false);
    expect(isQueryNotYetProcessed(serviceError(14, '14 UNAVAILABLE: query timed out before a worker could process it'))).toBe(false);
  });
});

describe('a call on a workflow that already completed', () => {
  it('is the SDK\'s WorkflowNotFoundError with the server\'s words, or with none (the native connection drops them)', () => {
    // As measured on the dev server, signalling a closed workflow: over grpc-js, then over the native connection.
    expect(isWorkflowAlreadyCompleted(new WorkflowNotFoundError('workflow execution already completed', 'id', undefined))).toBe(true);
    expect(isWorkflowAlreadyCompleted(new WorkflowNotFoundError('', 'id', undefined))).toBe(true);
    // The bare gRPC status, should a call bypass the SDK's wrapping.
    expect(isWorkflowAlreadyCompleted(serviceError(5, 'workflow execution already completed'))).toBe(true);
    expect(isWorkflowAlreadyCompleted(new WorkflowNotFoundError('workflow not found for ID: x', 'x', undefined))).toBe(false);
    expect(isWorkflowAlreadyCompleted(serviceError(5, 'namespace not found'))).toBe(false);
    expect(isWorkflowAlreadyCompleted(serviceError(9, 'workflow execution already completed'))).toBe(false);
    expect(isWorkflowAlreadyCompleted(serviceError(14, '14 UNAVAILABLE'))).toBe(false);
  });
});

describe('a broken connection', () => {
  it('is "server unavailable" wherever core puts its transport error in the cause chain', () => {
    const broken = new Error('Failed to start Workflow', { cause: Object.assign(new Error('transport error'), { code: 2 }) });
    expect(startFailureKind(broken)).toBe('server_unavailable');
    expect(resultFailureKind(new Error('Failed to get history', { cause: new Error('tcp connect error') }))).toBe('server_unavailable');
  });
});

/** A gRPC error as grpc-js gives it: `details` holds the status message, `metadata` the status details. */
function grpcJsError(code: number, statusMessage: string, metadata = new Metadata()): Error {
  const cause = Object.assign(new Error(`${code} X: ${statusMessage}`), { code, details: statusMessage, metadata });
  return new Error('Failed to start Workflow', { cause });
}

/** As the native connection gives it: the status message is the error's message, `details` empty. */
function nativeError(code: number, statusMessage: string, metadata = new Metadata()): Error {
  return new Error('Failed to start Workflow', { cause: Object.assign(new Error(statusMessage), { code, details: '', metadata }) });
}

/** `grpc-status-details-bin` as Temporal's limiters send it: a ResourceExhaustedFailure with its cause. */
function resourceExhaustedDetails(cause: number): Metadata {
  const detail = temporal.api.errordetails.v1.ResourceExhaustedFailure.encode({ cause }).finish();
  const status = google.rpc.Status.encode({
    code: 8,
    message: 'namespace rate limit exceeded',
    details: [{ type_url: 'type.googleapis.com/temporal.api.errordetails.v1.ResourceExhaustedFailure', value: detail }],
  }).finish();
  const metadata = new Metadata();
  metadata.set('grpc-status-details-bin', Buffer.from(status));
  return metadata;
}

describe('a start the server rejects for good vs. a server that throttles', () => {
  it.each([
    ['grpc-js', grpcJsError],
    ['native', nativeError],
  ])('reads the status message where the %s connection puts it', (_name, error) => {
    // gRPC's own words for a message over its maximum size (RESOURCE_EXHAUSTED, yet retrying never helps).
    expect(startFailureKind(error(8, 'grpc: received message larger than max (10000139 vs. 4194304)'))).toBe('start_invalid');
    expect(startFailureKind(error(8, 'grpc: received message after decompression larger than max 4194304'))).toBe('start_invalid');
    expect(startFailureKind(error(3, 'Blob data size exceeds limit.'))).toBe('start_invalid');
    // Temporal's limiter, with its ResourceExhaustedFailure detail.
    expect(startFailureKind(error(8, 'namespace rate limit exceeded', resourceExhaustedDetails(1)))).toBe('throttled');
    // No detail and no message-size words: RESOURCE_EXHAUSTED still means "slow down" (e.g. a proxy's limit).
    expect(startFailureKind(error(8, 'rate limited'))).toBe('throttled');
  });

  it('trusts the limiter detail over any words, and matches the message-size words only at the start', () => {
    expect(startFailureKind(grpcJsError(8, 'grpc: received message larger than max', resourceExhaustedDetails(3)))).toBe('throttled');
    expect(startFailureKind(grpcJsError(8, 'limit for "grpc: received message larger than max" exceeded'))).toBe('throttled');
  });

  it("takes core's message-too-large marker", () => {
    const marked = new Metadata();
    marked.set('message-too-large', '0');
    expect(startFailureKind(nativeError(8, 'something else', marked))).toBe('start_invalid');
  });

  it('never counts a result wait on a message too large as throttled', () => {
    expect(resultFailureKind(grpcJsError(8, 'grpc: received message larger than max (5 vs. 4)'))).toBe('unknown');
    expect(resultFailureKind(grpcJsError(8, 'namespace rate limit exceeded', resourceExhaustedDetails(1)))).toBe('throttled');
  });

  it('decodes the detail types of a status, and survives junk', () => {
    expect(grpcDetailTypesOf(grpcJsError(8, 'x', resourceExhaustedDetails(1)))).toEqual(['temporal.api.errordetails.v1.ResourceExhaustedFailure']);
    const junk = new Metadata();
    junk.set('grpc-status-details-bin', Buffer.from([0x1a, 0xff, 0xff, 0x01]));
    expect(grpcDetailTypesOf(grpcJsError(8, 'x', junk))).toEqual([]);
    expect(startFailureKind(grpcJsError(8, 'x', junk))).toBe('throttled');
  });
});
