import { UsageError } from '../errors.js';
import { parseDecimal } from '../numbers.js';
import type { CapacityAnswer } from './types.js';

/**
 * The CI gate on a capacity (`--expect '>=100'`): a comparison with a rate in wf/s. The CLI exits 99
 * when it does not hold, so a pipeline fails on a capacity regression.
 */

export type ExpectationOperator = '>=' | '>' | '<=' | '<' | '==';

export interface Expectation {
  /** The text as given, trimmed, e.g. `>=100`. */
  expression: string;
  operator: ExpectationOperator;
  /** wf/s. */
  rate: number;
  /**
   * Whether a capacity meets it. No capacity (no step passed) meets none: nothing was found that could,
   * and a gate must not pass on a search that found nothing.
   */
  holds(capacity: number | undefined): boolean;
}

const EXPECTATION = /^\s*(>=|<=|==|>|<)\s*([^\s]+?)\s*(?:wf\/s)?\s*$/;

function compare(value: number, operator: ExpectationOperator, rate: number): boolean {
  switch (operator) {
    case '>=': return value >= rate;
    case '>': return value > rate;
    case '<=': return value <= rate;
    case '<': return value < rate;
    case '==': return value === rate;
  }
}

/** Parses `>=100` (also `> 50`, `<=2000wf/s`); a UsageError, one line, names what is wrong. */
export function parseExpectation(text: string): Expectation {
  const expression = text.trim();
  const match = EXPECTATION.exec(text);
  const rate = match ? parseDecimal(match[2]!) : undefined;
  if (!match || rate === undefined || rate <= 0) {
    throw new UsageError(`bad capacity expectation "${expression}": expected an operator and a rate in wf/s > 0, such as >=100 (operators: >= > <= < ==)`);
  }
  const operator = match[1] as ExpectationOperator;
  return { expression, operator, rate, holds: (capacity) => capacity !== undefined && compare(capacity, operator, rate) };
}

/** Whether a search's answer meets the expectation: its capacity (the last passing rate) is judged. */
export function expectationMet(expectation: Expectation, answer: CapacityAnswer): boolean {
  return expectation.holds(answer.capacity);
}
