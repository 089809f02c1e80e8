/** What both kinds of private dev server (spawned by sched-bench, or by the SDK) share. */

/** Registered on every private dev server, so runs there carry their run id as a search attribute. */
export const DEV_SERVER_SEARCH_ATTRIBUTES = ['--search-attribute', 'SchedBenchRunId=Keyword'];

/** A private Temporal dev server that sched-bench started and must stop. */
export interface DevServer {
  readonly address: string;
  readonly pid: number | undefined;
  /** Where the binary came from, for the start-up log line. */
  readonly origin: string;
  /** Stops the server and removes its data. */
  stop(): Promise<void>;
  /** Synchronous last resort on the way out of the process (SIGKILL). */
  kill(): void;
}
