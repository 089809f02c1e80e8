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

/** An expectation held against an answer: whether it is met, and why it could not be judged when it could not. */
export interface ExpectationVerdict {
  met: boolean;
  /** Why the answer cannot decide the expectation (it is then not met), in a few words. */
  notJudged?: string;
}

const LOWER_BOUNDS: readonly ExpectationOperator[] = ['>=', '>'];

/**
 * Holds an answer against the expectation by what the answer knows. A capacity (a bracket): its last
 * passing rate is judged. At least c (no step failed): only a lower bound (>=, >) can be met; <=, < and
 * == are not judged, the capacity may lie anywhere above c. Below f (even the first step failed): an
 * upper bound (<=, <) at or above f is met, as the capacity is below f; anything else is not met, the
 * capacity may lie anywhere below f. No capacity at all meets nothing.
 */
export function judgeExpectation(expectation: Expectation, answer: CapacityAnswer): ExpectationVerdict {
  const { operator, rate } = expectation;
  if (answer.kind === 'at-least' && answer.capacity !== undefined && !LOWER_BOUNDS.includes(operator)) {
    return { met: false, notJudged: `the capacity is only known to be at least ${answer.capacity} wf/s` };
  }
  if (answer.kind === 'no-passing-step' && answer.firstFailingRate !== undefined) {
    const below = answer.firstFailingRate;
    if ((operator === '<=' || operator === '<') && below <= rate) return { met: true };
    if (LOWER_BOUNDS.includes(operator) && rate >= below) return { met: false };
    return { met: false, notJudged: `the capacity is only known to be below ${below} wf/s` };
  }
  return { met: expectation.holds(answer.capacity) };
}

/** Whether a search's answer meets the expectation (judgeExpectation). */
export function expectationMet(expectation: Expectation, answer: CapacityAnswer): boolean {
  return judgeExpectation(expectation, answer).met;
}
