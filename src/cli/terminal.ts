import type { Environment } from './config.js';

/**
 * live: a status line redrawn in place below the progress lines (a terminal, not CI);
 * plain: the progress lines only, no escape codes; quiet: only the end line and the summary.
 */
export type OutputMode = 'live' | 'plain' | 'quiet';

export function outputMode(options: { stdoutIsTTY: boolean; env: Environment; progress: boolean; quiet: boolean }): OutputMode {
  if (options.quiet) return 'quiet';
  const ci = options.env.CI !== undefined && options.env.CI !== '' && options.env.CI !== 'false' && options.env.CI !== '0';
  const dumbTerminal = options.env.TERM === 'dumb';
  return options.stdoutIsTTY && options.progress && !ci && !dumbTerminal ? 'live' : 'plain';
}
