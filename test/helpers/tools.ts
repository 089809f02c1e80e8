import { firstLine } from '../../src/errors.js';

/** CI keeps full coverage: there every tool a test needs is required (set CI, as .ci/run does). */
export function toolsRequired(env: NodeJS.ProcessEnv = process.env): boolean {
  const ci = env.CI?.trim().toLowerCase();
  return ci !== undefined && ci !== '' && ci !== 'false' && ci !== '0';
}

export interface ToolGate {
  /** The tests that need the tool are skipped: it is missing and CI is not set. */
  readonly skip: boolean;
  /** The one line saying what is missing; undefined when the tool is there. */
  readonly missing: string | undefined;
}

/**
 * For tests that need a program the machine may lack (nginx, Chromium): `find` returns it or throws one
 * line naming it. Missing on a developer's machine: that line is printed once, prefixed "skipped:", and
 * `skip` is true (use `describe.skipIf(gate.skip)`). Missing under CI: `skip` is false, so the tests run
 * and fail with that same line where they call `find` again.
 */
export function gateOnTool(
  find: () => unknown,
  env: NodeJS.ProcessEnv = process.env,
  say: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): ToolGate {
  let missing: string | undefined;
  try {
    find();
  } catch (error) {
    missing = firstLine(error);
  }
  const skip = missing !== undefined && !toolsRequired(env);
  if (skip) say(`skipped: ${missing} (required when CI is set)`);
  return { skip, missing };
}
