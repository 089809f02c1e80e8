import type { RunStats } from '../scheduler/types.js';

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

/** The exit code of a load run that ended (README "Signals and exit codes"). */
export function exitCodeFor(stats: RunStats): number {
  if (stats.mode === 'batch' && stats.stopReason === 'stopped') return ExitCode.interrupted;
  return stats.failed > 0 ? ExitCode.failure : ExitCode.ok;
}
