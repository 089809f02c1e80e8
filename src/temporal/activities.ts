import { setTimeout as sleep } from 'node:timers/promises';

/** Activities of the EchoWorkflow; the workflow imports this interface as a type only. */
export interface EchoActivities {
  echo(message: string, delayMs?: number): Promise<string>;
}

/** Counts executions so a worker can report how much it did. */
export interface ActivityTally {
  echoes: number;
}

export function createEchoActivities(tally: ActivityTally): EchoActivities {
  return {
    async echo(message: string, delayMs = 0): Promise<string> {
      if (delayMs > 0) await sleep(delayMs);
      tally.echoes++;
      return message;
    },
  };
}
