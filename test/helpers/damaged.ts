import { checkResult, ResultDamage } from '../../src/report/read-result.js';

/** A deep copy of `document` with `change` at the dotted path (numbers index arrays; undefined: the field removed). */
export function damaged(document: object, path: string, change: unknown): unknown {
  const copy = structuredClone(document) as Record<string, unknown>;
  const keys = path.split('.');
  let target: Record<string, unknown> = copy;
  for (const key of keys.slice(0, -1)) target = target[key] as Record<string, unknown>;
  const last = keys.at(-1)!;
  if (change === undefined) delete target[last];
  else target[last] = change;
  return copy;
}

/** Where and why checkResult refuses `document`; throws when it accepts it. */
export function damageOf(document: unknown): { path: string; problem: string } {
  try {
    checkResult(document);
  } catch (error) {
    if (error instanceof ResultDamage) return { path: error.path, problem: error.problem };
    throw error;
  }
  throw new Error('accepted');
}
