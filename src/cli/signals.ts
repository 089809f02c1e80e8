import { exitCodeOf } from './exit-codes.js';

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];

export interface ShutdownHandlers {
  /** First signal: stop launching, drain, finish normally. */
  graceful: () => void;
  /** Second signal: leave at once. */
  forced: () => void;
}

/**
 * Owns SIGINT/SIGTERM for the CLI from its first moment. Signals that arrive before a command has
 * attached its handlers are remembered and delivered on attach, so a Ctrl-C during start-up is never
 * lost and never kills the process without its end line.
 */
export class ShutdownSignals {
  private received = 0;
  private handlers: ShutdownHandlers | undefined;
  private readonly onSignal = () => {
    this.received++;
    if (!this.handlers) {
      if (this.received > 1) process.exit(exitCodeOf({ kind: 'forced' })); // nothing to report yet
      return;
    }
    if (this.received === 1) this.handlers.graceful();
    else this.handlers.forced();
  };

  /** Takes over SIGINT/SIGTERM; `alreadyReceived` counts signals that came before (while loading). */
  install(alreadyReceived = 0): this {
    for (const signal of SIGNALS) process.on(signal, this.onSignal);
    for (let index = 0; index < alreadyReceived; index++) this.onSignal();
    return this;
  }

  uninstall(): void {
    for (const signal of SIGNALS) process.off(signal, this.onSignal);
  }

  /** Attaches a command's handlers; replays a signal that arrived before. Returns a detach function. */
  attach(handlers: ShutdownHandlers): () => void {
    this.handlers = handlers;
    if (this.received > 0) handlers.graceful();
    return () => {
      if (this.handlers === handlers) this.handlers = undefined;
    };
  }
}
