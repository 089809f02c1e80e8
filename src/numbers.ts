/**
 * The one grammar of numbers sched-bench reads (flags, variables, threshold limits): plain decimal,
 * an optional sign, an optional fraction and exponent. No hex, octal or binary, no `Infinity`, no
 * empty text (`Number()` alone takes `0x10` as 16, `0b11` as 3 and `""` as 0).
 */
const DECIMAL = /^[+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
const WHOLE = /^[+-]?\d+$/;

/** The value of a decimal number such as `12`, `-0.5`, `1e3`; undefined for anything else. */
export function parseDecimal(text: string): number | undefined {
  const trimmed = text.trim();
  if (!DECIMAL.test(trimmed)) return undefined;
  const value = Number(trimmed);
  return Number.isFinite(value) ? value : undefined;
}

/** The value of a whole number written without fraction or exponent (`42`, `-3`); undefined otherwise. */
export function parseWholeNumber(text: string): number | undefined {
  const trimmed = text.trim();
  if (!WHOLE.test(trimmed)) return undefined;
  const value = Number(trimmed);
  return Number.isSafeInteger(value) ? value : undefined;
}
