/** Where the CLI writes: report lines to `out` (stdout), logs and errors to `err` (stderr). */
export interface CliIO {
  out(line: string): void;
  err(line: string): void;
}

export const processIO: CliIO = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/** Documented exit codes (README "Exit codes"). */
export const ExitCode = {
  ok: 0,
  /** A workflow failed, or the server / a required program could not be reached. */
  failure: 1,
  /** Bad usage: unknown flag or command, bad flag or environment value. */
  usage: 2,
  /** A batch was interrupted before its total, or a second signal forced the exit. */
  interrupted: 130,
} as const;
