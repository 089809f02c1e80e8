/**
 * Backoff sleeps that a stop signal ends at once, all of them: one listener on the signal, however
 * many calls are waiting (a listener per call would pile up on the signal).
 */
export class WakeableSleeps {
  private readonly sleepers = new Set<() => void>();

  constructor(private readonly stopSignal: AbortSignal | undefined) {
    stopSignal?.addEventListener('abort', () => this.wakeAll(), { once: true });
  }

  get stopped(): boolean {
    return this.stopSignal?.aborted ?? false;
  }

  /** Resolves after `ms`, or as soon as the stop signal aborts. */
  sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.sleepers.add(wake);
    });
  }

  private wakeAll(): void {
    for (const wake of [...this.sleepers]) wake();
  }
}

/** A plain sleep, for retries a stop does not end. */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
