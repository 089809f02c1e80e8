import { createRequire } from 'node:module';
import { WorkflowService, type ConnectionLike } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';

const require = createRequire(import.meta.url);

interface RpcCall {
  rpc: string;
  req: Uint8Array;
  retry: boolean;
  metadata: Record<string, unknown>;
  timeout: number | null;
}
type SendWorkflowServiceRequest = (client: unknown, call: RpcCall) => Promise<Uint8Array>;

interface ProtoMethod {
  name: string;
  resolvedResponseType: { decode(data: Uint8Array): unknown } | null;
}

/**
 * The native connection as a ConnectionLike whose workflow-service calls are sent once, without the
 * SDK core's built-in retries. sched-bench retries starts itself so that it can count every
 * RESOURCE_EXHAUSTED and UNAVAILABLE answer and choose its own backoff; core would hide them.
 *
 * Core's bridge takes a `retry` flag per call, but NativeConnection always sets it; this reaches the
 * bridge directly, which is an internal API of the pinned SDK version (1.24.0). Should it change shape,
 * this returns undefined and starts go through the ordinary (retrying) connection instead.
 */
export function withoutCoreRetries(connection: NativeConnection, perCallTimeoutMs: number): ConnectionLike | undefined {
  const nativeClient = (connection as unknown as { nativeClient?: unknown }).nativeClient;
  let send: SendWorkflowServiceRequest | undefined;
  try {
    send = (require('@temporalio/core-bridge') as { native?: { clientSendWorkflowServiceRequest?: SendWorkflowServiceRequest } })
      .native?.clientSendWorkflowServiceRequest;
  } catch {
    return undefined;
  }
  if (!nativeClient || typeof send !== 'function') return undefined;
  const sendOnce = send;

  const rpcImpl = (method: unknown, requestData: Uint8Array, callback: (error: Error | null, response?: unknown) => void): void => {
    const { name, resolvedResponseType } = method as ProtoMethod;
    if (!resolvedResponseType) {
      callback(new TypeError(`unknown RPC ${name}`));
      return;
    }
    sendOnce(nativeClient, { rpc: name, req: requestData, retry: false, metadata: {}, timeout: perCallTimeoutMs }).then(
      (response) => callback(null, resolvedResponseType.decode(Buffer.from(response))),
      (error: Error) => callback(error),
    );
  };
  const workflowService = WorkflowService.create(rpcImpl as never, false, false);
  // Everything else (deadlines, metadata scopes, eager-start support) is the connection's own.
  return Object.create(connection, { workflowService: { value: workflowService } }) as ConnectionLike;
}
