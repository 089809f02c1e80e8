import type { ServerHealth } from '../metrics/server-health.js';
import { TemporalService } from '../temporal/temporal-service.js';
import type { RunSession } from './session.js';

/** What a load (a run, a capacity search) needs of its session before it launches. */
export interface LoadSetupOptions {
  runId: string;
  idPrefix?: string;
  /** A shared run id's shard of this process, when it has one. */
  shard?: string;
  health: ServerHealth;
  /** Seconds a start or a result wait may retry refusals. */
  retryTimeout: number;
  eagerStart: boolean;
  /** Aborted by a stop: wakes every start (and the connect) waiting to retry. */
  stopSignal: AbortSignal;
  /** The embedded worker stopped by itself: nothing can finish the load's workflows now. */
  onWorkerFailed(): void;
  /** Connected (before the namespace check): e.g. to tell a shared run's id prefix. */
  onConnected?(service: TemporalService): void;
}

export interface LoadSetup {
  service: TemporalService;
  serverVersion: string | null;
  sdk: Record<string, string>;
}

/** Connects, checks the namespace and starts the embedded worker (when the session has one). */
export async function setUpLoad(session: RunSession, namespace: string, options: LoadSetupOptions): Promise<LoadSetup> {
  const service = await session.connect({
    runId: options.runId, idPrefix: options.idPrefix, shard: options.shard, health: options.health,
    retryBudgetMs: options.retryTimeout * 1000, eagerStart: options.eagerStart, stopSignal: options.stopSignal,
  });
  options.onConnected?.(service);
  await service.checkNamespace(namespace);
  const serverVersion = (await service.serverVersion()) ?? null;
  const sdk = TemporalService.sdkVersions();
  await session.startWorker(options.onWorkerFailed);
  return { service, serverVersion, sdk };
}
