/**
 * What the server did besides answering: start attempts it refused (throttled or unavailable; the
 * launcher retried them) and the periods it could not be reached at all. Times are epoch ms supplied by
 * the caller, so this stays pure.
 */
export type RefusalKind = 'throttled' | 'server_unavailable';

export interface Outage {
  startMs: number;
  /** undefined while the server is still away. */
  endMs: number | undefined;
}

export interface ServerHealthSnapshot {
  /** Start attempts answered with RESOURCE_EXHAUSTED (each was retried after a backoff). */
  throttledAttempts: number;
  /** Calls that found the server unreachable (starts and result waits; each was retried). */
  unavailableAttempts: number;
  outages: Outage[];
  /** Sum of the outages' lengths, an open one counted up to `now`. */
  unavailableMs: number;
}

export type ServerHealthEvent =
  | { type: 'unavailable'; atMs: number; reason: string }
  | { type: 'available'; atMs: number; outageMs: number }
  | { type: 'throttled'; atMs: number; reason: string };

export class ServerHealth {
  private throttledAttempts = 0;
  private unavailableAttempts = 0;
  private readonly outages: Outage[] = [];
  private lastAnsweredMs = 0;
  /** The first throttling of a run is announced; after that only counted (it would repeat per start). */
  private throttlingAnnounced = false;

  constructor(private readonly onEvent: (event: ServerHealthEvent) => void = () => undefined) {}

  /**
   * The server answered a call sent at `sentAtMs` (any answer that is not a refusal). Only a call sent
   * after an outage began ends it: a reply already on its way when the server died proves nothing.
   */
  answered(sentAtMs: number, atMs: number): void {
    if (atMs > this.lastAnsweredMs) this.lastAnsweredMs = atMs;
    const open = this.openOutage();
    if (open && sentAtMs >= open.startMs) {
      open.endMs = atMs;
      this.onEvent({ type: 'available', atMs, outageMs: atMs - open.startMs });
    }
  }

  /**
   * A call sent at `sentAtMs` was refused at `atMs`. An outage begins no earlier than the last answer:
   * a long poll sent before it does not move the start back.
   */
  refused(kind: RefusalKind, sentAtMs: number, atMs: number, reason: string): void {
    if (kind === 'throttled') {
      this.throttledAttempts++;
      if (!this.throttlingAnnounced) {
        this.throttlingAnnounced = true;
        this.onEvent({ type: 'throttled', atMs, reason });
      }
      return;
    }
    this.unavailableAttempts++;
    if (this.openOutage()) return;
    // A call that was under way while the last outage ended (e.g. one that timed out across the
    // recovery) says nothing about the server now.
    const last = this.outages[this.outages.length - 1];
    if (last?.endMs !== undefined && sentAtMs < last.endMs) return;
    const startMs = Math.min(atMs, Math.max(sentAtMs, this.lastAnsweredMs));
    this.outages.push({ startMs, endMs: undefined });
    this.onEvent({ type: 'unavailable', atMs: startMs, reason });
  }

  snapshot(nowMs: number): ServerHealthSnapshot {
    const unavailableMs = this.outages.reduce((sum, outage) => sum + ((outage.endMs ?? nowMs) - outage.startMs), 0);
    return {
      throttledAttempts: this.throttledAttempts,
      unavailableAttempts: this.unavailableAttempts,
      outages: this.outages.map((outage) => ({ ...outage })),
      unavailableMs,
    };
  }

  /** How long the server has been away now (ms), 0 while it answers. */
  currentOutageMs(nowMs: number): number {
    const open = this.openOutage();
    return open ? Math.max(0, nowMs - open.startMs) : 0;
  }

  private openOutage(): Outage | undefined {
    const last = this.outages[this.outages.length - 1];
    return last && last.endMs === undefined ? last : undefined;
  }
}
