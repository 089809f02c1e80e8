import { CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { exitCodeOf, type Outcome } from '../../src/cli/exit-codes.js';
import { capacityExpectation } from '../../src/cli/capacity-command.js';
import { parseExpectation } from '../../src/capacity/expectation.js';
import type { CapacityAnswer } from '../../src/capacity/types.js';
import { formatExpectationLine } from '../../src/report/capacity.js';
import { ConnectionError, EnvironmentError, UsageError } from '../../src/errors.js';
import { parseThreshold, type ThresholdResult } from '../../src/metrics/thresholds.js';
import type { Verification } from '../../src/metrics/verification.js';
import { emptyRunStats } from '../../src/scheduler/scheduler-service.js';
import { makeStats } from '../helpers/run-stats.js';

const held: ThresholdResult[] = [{ ...parseThreshold('e2e.p99<2s'), value: 100, passed: true }];
const broken: ThresholdResult[] = [{ ...held[0]!, passed: false }];
const differs: Verification = { matches: false, rows: [], serverCounts: {} };
const load = (stats: Parameters<typeof makeStats>[0], rest: Partial<Extract<Outcome, { kind: 'load' }>> = {}): Outcome => ({
  kind: 'load', stats: makeStats(stats), thresholds: [], ...rest,
});

describe('exit codes of a load run', () => {
  it.each([
    [load({}), 0],
    [load({ failed: 1 }), 1],
    [load({ stopReason: 'stopped' }), 130],
    [load({ mode: 'infinite', stopReason: 'stopped' }), 0],
    [load({ mode: 'infinite', stopReason: 'time-limit', failed: 2 }), 1],
    [load({ stopReason: 'aborted' }), 1],
    [load({ drainTimedOut: true, inFlight: 2 }), 1],
  ])('%# → %i', (outcome, code) => expect(exitCodeOf(outcome)).toBe(code));

  it.each([
    [load({}, { thresholds: held }), 0],
    [load({}, { thresholds: broken }), 99],
    [load({ failed: 3 }, { thresholds: held }), 0],
    [load({ failed: 3 }), 1],
    [load({}, { verification: differs }), 1],
    [load({}, { thresholds: broken, verification: differs }), 99],
    [load({ stopReason: 'stopped' }, { thresholds: broken }), 130],
  ])('with thresholds and verification: %# → %i', (outcome, code) => expect(exitCodeOf(outcome)).toBe(code));

  it('lost output makes a good run fail and leaves a worse code as it is', () => {
    expect(exitCodeOf({ ...load({}), outputLost: true })).toBe(1);
    expect(exitCodeOf({ ...load({}), outputLost: false })).toBe(0);
    expect(exitCodeOf({ ...load({ failed: 1 }), outputLost: true })).toBe(1);
    expect(exitCodeOf({ ...load({}, { thresholds: broken }), outputLost: true })).toBe(99);
    expect(exitCodeOf({ ...load({ stopReason: 'stopped' }), outputLost: true })).toBe(130);
    expect(exitCodeOf({ kind: 'forced', outputLost: true })).toBe(130);
  });
});

describe('exit codes of a schedules run', () => {
  const stats = (changes: Partial<ReturnType<typeof emptyRunStats>>) => ({ ...emptyRunStats('infinite', 'closed'), ...changes });
  const passed = [{ ...parseThreshold('missed==0'), value: 0, passed: true }];
  const schedules = (rest: Partial<Extract<Outcome, { kind: 'schedules' }>>): Outcome => ({ kind: 'schedules', schedulesLeft: 0, thresholds: [], ...rest });

  it('fails (1) when the direct load was aborted (its worker died), failed workflows, or left some in flight; thresholds do not excuse it', () => {
    expect(exitCodeOf(schedules({ directLoad: stats({}) }))).toBe(0);
    expect(exitCodeOf(schedules({ directLoad: stats({ stopReason: 'aborted' }) }))).toBe(1);
    expect(exitCodeOf(schedules({ thresholds: passed, directLoad: stats({ stopReason: 'aborted' }) }))).toBe(1);
    expect(exitCodeOf(schedules({ thresholds: passed, directLoad: stats({ failed: 3 }) }))).toBe(1);
    expect(exitCodeOf(schedules({ directLoad: stats({ drainTimedOut: true, inFlight: 2 }) }))).toBe(1);
  });

  it('otherwise: schedules left fail (1), failed thresholds give 99, else 0; lost output fails a good run', () => {
    expect(exitCodeOf(schedules({ schedulesLeft: 1, thresholds: passed }))).toBe(1);
    expect(exitCodeOf(schedules({ thresholds: [{ ...passed[0]!, passed: false }] }))).toBe(99);
    expect(exitCodeOf(schedules({ thresholds: passed }))).toBe(0);
    expect(exitCodeOf(schedules({ thresholds: passed, outputLost: true }))).toBe(1);
  });
});

describe('exit codes of a capacity search', () => {
  const capacity = (rest: Partial<Extract<Outcome, { kind: 'capacity' }>>): Outcome => ({ kind: 'capacity', stopReason: 'found', answer: 'capacity', ...rest });

  it.each([
    [capacity({}), 0],
    [capacity({ expectationMet: true }), 0],
    [capacity({ stopReason: 'max-rate', answer: 'at-least', expectationMet: true }), 0],
    [capacity({ stopReason: 'max-duration', answer: 'at-least' }), 0],
    [capacity({ stopReason: 'start-rate-failed', answer: 'no-passing-step' }), 0],
  ])('a search that ended on its own terms, --expect held or not given: %# → %i', (outcome, code) => expect(exitCodeOf(outcome)).toBe(code));

  it('99 when --expect did not hold, also when no step passed', () => {
    expect(exitCodeOf(capacity({ expectationMet: false }))).toBe(99);
    expect(exitCodeOf(capacity({ stopReason: 'start-rate-failed', answer: 'no-passing-step', expectationMet: false }))).toBe(99);
    expect(exitCodeOf(capacity({ stopReason: 'max-duration', answer: 'at-least', expectationMet: false }))).toBe(99);
  });

  it('1 when the client was the limit or the search broke, whatever --expect says: no measure of the server passes or fails a gate', () => {
    for (const expectationMet of [true, false, undefined]) {
      expect(exitCodeOf(capacity({ stopReason: 'client-limited', answer: 'client-limited', expectationMet }))).toBe(1);
      expect(exitCodeOf(capacity({ stopReason: 'error', answer: 'at-least', expectationMet }))).toBe(1);
    }
  });

  it('130 when a signal stopped the search, before anything else; lost output fails a good search only', () => {
    expect(exitCodeOf(capacity({ stopReason: 'interrupted', answer: 'at-least' }))).toBe(130);
    expect(exitCodeOf(capacity({ stopReason: 'interrupted', answer: 'none', expectationMet: false }))).toBe(130);
    expect(exitCodeOf(capacity({ outputLost: true }))).toBe(1);
    expect(exitCodeOf(capacity({ expectationMet: false, outputLost: true }))).toBe(99);
    expect(exitCodeOf(capacity({ stopReason: 'interrupted', answer: 'none', outputLost: true }))).toBe(130);
  });
});

describe("--expect's verdict on a capacity search, and its line", () => {
  const answer = (changes: Partial<CapacityAnswer>): CapacityAnswer => ({ kind: 'capacity', capacity: 140, lastPassingRate: 140, firstFailingRate: 150, limitedBy: ['e2e.p99<2s'], withinPrecision: true, ...changes });
  const atLeast100 = parseExpectation('>=100');

  it('holds for a search that ended on its own terms with a capacity that meets it', () => {
    expect(capacityExpectation(atLeast100, { stopReason: 'found', answer: answer({}) })).toEqual({ expression: '>=100', met: true });
    expect(capacityExpectation(atLeast100, { stopReason: 'max-rate', answer: answer({ kind: 'at-least', firstFailingRate: undefined }) })).toMatchObject({ met: true });
    expect(capacityExpectation(atLeast100, { stopReason: 'found', answer: answer({ capacity: 80 }) })).toEqual({ expression: '>=100', met: false });
    expect(capacityExpectation(atLeast100, { stopReason: 'start-rate-failed', answer: answer({ kind: 'no-passing-step', capacity: undefined }) })).toMatchObject({ met: false });
  });

  it('an answer that only bounds the capacity judges what it can: "at least" never meets <=, "below" meets an upper bound above it', () => {
    const atMost = parseExpectation('<=200');
    const atLeastAnswer = answer({ kind: 'at-least', firstFailingRate: undefined });
    expect(capacityExpectation(atMost, { stopReason: 'max-rate', answer: atLeastAnswer }))
      .toEqual({ expression: '<=200', met: false, notJudged: 'the capacity is only known to be at least 140 wf/s' });
    expect(formatExpectationLine({ expression: '<=200', met: false }, atLeastAnswer, 'the capacity is only known to be at least 140 wf/s'))
      .toBe('✗ expect capacity <=200: not judged: the capacity is only known to be at least 140 wf/s (at least 140 wf/s)');
    const belowAnswer = answer({ kind: 'no-passing-step', capacity: undefined, lastPassingRate: undefined });
    expect(capacityExpectation(atMost, { stopReason: 'start-rate-failed', answer: belowAnswer })).toEqual({ expression: '<=200', met: true });
    expect(exitCodeOf({ kind: 'capacity', stopReason: 'start-rate-failed', answer: 'no-passing-step', expectationMet: true })).toBe(0);
    expect(exitCodeOf({ kind: 'capacity', stopReason: 'max-rate', answer: 'at-least', expectationMet: false })).toBe(99);
  });

  it('is not met by a client-limited, broken or interrupted search, even with a capacity that would meet it', () => {
    for (const [stopReason, kind, why] of [
      ['client-limited', 'client-limited', 'the search was client-limited'],
      ['error', 'at-least', 'the search stopped on an error'],
      ['interrupted', 'at-least', 'the search was interrupted'],
    ] as const) {
      expect(capacityExpectation(atLeast100, { stopReason, answer: answer({ kind }) })).toEqual({ expression: '>=100', met: false, notJudged: why });
    }
  });

  it('reads k6 style: ✓ or ✗, the expression, what was found and why it was not judged', () => {
    expect(formatExpectationLine({ expression: '>=100', met: true }, answer({}))).toBe('✓ expect capacity >=100: 140 wf/s');
    expect(formatExpectationLine({ expression: '>=100', met: false }, answer({ capacity: 80 }))).toBe('✗ expect capacity >=100: 80 wf/s');
    expect(formatExpectationLine({ expression: '>=100', met: true }, answer({ kind: 'at-least' }))).toBe('✓ expect capacity >=100: at least 140 wf/s');
    expect(formatExpectationLine({ expression: '>=100', met: false }, answer({ kind: 'no-passing-step', capacity: undefined })))
      .toBe('✗ expect capacity >=100: below 150 wf/s (no step passed)');
    expect(formatExpectationLine({ expression: '>=100', met: false }, answer({ kind: 'none', capacity: undefined, firstFailingRate: undefined })))
      .toBe('✗ expect capacity >=100: no step passed');
    expect(formatExpectationLine({ expression: '>=100', met: false }, answer({ kind: 'client-limited' }), 'the search was client-limited'))
      .toBe('✗ expect capacity >=100: not judged: the search was client-limited (140 wf/s)');
  });
});

describe('exit codes of other endings', () => {
  it('errors: bad usage is 2, a server or program not reached 1, --help and --version 0', () => {
    expect(exitCodeOf({ kind: 'error', error: new UsageError('bad') })).toBe(2);
    expect(exitCodeOf({ kind: 'error', error: new CommanderError(1, 'commander.unknownOption', 'unknown option') })).toBe(2);
    expect(exitCodeOf({ kind: 'error', error: new CommanderError(0, 'commander.helpDisplayed', '(outputHelp)') })).toBe(0);
    expect(exitCodeOf({ kind: 'error', error: new ConnectionError('refused') })).toBe(1);
    expect(exitCodeOf({ kind: 'error', error: new EnvironmentError('no temporal') })).toBe(1);
    expect(exitCodeOf({ kind: 'error', error: new Error('bug') })).toBe(1);
  });

  it('a command that did its work: 0, or 1 when part of it failed; a forced exit: 130', () => {
    expect(exitCodeOf({ kind: 'done' })).toBe(0);
    expect(exitCodeOf({ kind: 'done', failures: 2 })).toBe(1);
    // an output that could not be written fails a command that otherwise did its work
    expect(exitCodeOf({ kind: 'done', outputLost: true })).toBe(1);
    expect(exitCodeOf({ kind: 'forced' })).toBe(130);
  });
});
