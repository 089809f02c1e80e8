import { describe, expect, it } from 'vitest';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { resultFailureKind, startFailureKind } from '../../src/temporal/failure-kind.js';

/** A gRPC error as the SDK's ServiceError wraps it: the status code sits on the cause. */
function serviceError(code: number, message: string): Error {
  return new Error('Failed to start Workflow', { cause: Object.assign(new Error(message), { code }) });
}

describe('failure kinds of SDK errors', () => {
  it('tells throttling (RESOURCE_EXHAUSTED) from an unreachable server and from a refusal', () => {
    expect(startFailureKind(serviceError(8, '8 RESOURCE_EXHAUSTED: namespace rate limit exceeded'))).toBe('throttled');
    expect(startFailureKind(serviceError(14, '14 UNAVAILABLE: tcp connect error'))).toBe('server_unavailable');
    expect(startFailureKind(serviceError(4, '4 DEADLINE_EXCEEDED'))).toBe('server_unavailable');
    expect(startFailureKind(serviceError(3, '3 INVALID_ARGUMENT: bad'))).toBe('start_rejected');
    expect(startFailureKind(new WorkflowExecutionAlreadyStartedError('already started', 'id', 'EchoWorkflow'))).toBe('start_rejected');
    expect(resultFailureKind(serviceError(14, '14 UNAVAILABLE'))).toBe('server_unavailable');
    expect(resultFailureKind(serviceError(8, '8 RESOURCE_EXHAUSTED'))).toBe('throttled');
    expect(resultFailureKind(new Error('something else'))).toBe('unknown');
  });
});

describe('a broken connection', () => {
  it('is "server unavailable" wherever core puts its transport error in the cause chain', () => {
    const broken = new Error('Failed to start Workflow', { cause: Object.assign(new Error('transport error'), { code: 2 }) });
    expect(startFailureKind(broken)).toBe('server_unavailable');
    expect(resultFailureKind(new Error('Failed to get history', { cause: new Error('tcp connect error') }))).toBe('server_unavailable');
  });
});
