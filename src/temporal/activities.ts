/** Activities of the EchoWorkflow; the workflow imports this interface as a type only. */
export interface EchoActivities {
  echo(message: string): Promise<string>;
}

/** Counts executions so a worker can report how much it did. */
export interface ActivityTally {
  echoes: number;
}

export function createEchoActivities(tally: ActivityTally): EchoActivities {
  return {
    async echo(message: string): Promise<string> {
      tally.echoes++;
      return message;
    },
  };
}
