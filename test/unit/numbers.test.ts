import { describe, expect, it } from 'vitest';
import { parseInteger, parseNonNegativeNumber, parsePollers, parsePort, parseStages } from '../../src/cli/options.js';
import { parseDecimal, parseWholeNumber } from '../../src/numbers.js';

/** Each parser over one table of inputs: undefined means "refused". */
const parsers: Record<string, (raw: string) => unknown> = {
  'parseInteger(0)': parseInteger(0),
  'parseInteger(1)': parseInteger(1),
  parseNonNegativeNumber,
  parsePort,
  parsePollers,
};

const refuse = (parse: (raw: string) => unknown, raw: string): unknown => {
  try {
    return parse(raw);
  } catch {
    return undefined;
  }
};

//            input          int≥0      int≥1      number≥0   port       pollers
const table: Array<[string, unknown, unknown, unknown, unknown, unknown]> = [
  ['16', 16, 16, 16, 16, 16],
  [' 16 ', 16, 16, 16, 16, 16],
  ['+16', 16, 16, 16, 16, 16],
  ['0', 0, undefined, 0, undefined, undefined],
  ['007', 7, 7, 7, 7, 7],
  ['2.5', undefined, undefined, 2.5, undefined, undefined],
  ['2.0', undefined, undefined, 2, undefined, undefined],
  ['1e3', undefined, undefined, 1000, undefined, undefined],
  ['1.5E-1', undefined, undefined, 0.15, undefined, undefined],
  ['0x10', undefined, undefined, undefined, undefined, undefined],
  ['0b11', undefined, undefined, undefined, undefined, undefined],
  ['0o17', undefined, undefined, undefined, undefined, undefined],
  ['1_000', undefined, undefined, undefined, undefined, undefined],
  ['Infinity', undefined, undefined, undefined, undefined, undefined],
  ['NaN', undefined, undefined, undefined, undefined, undefined],
  ['1e999', undefined, undefined, undefined, undefined, undefined],
  ['', undefined, undefined, undefined, undefined, undefined],
  ['  ', undefined, undefined, undefined, undefined, undefined],
  ['.5', undefined, undefined, undefined, undefined, undefined],
  ['5.', undefined, undefined, undefined, undefined, undefined],
  ['-1', undefined, undefined, undefined, undefined, undefined],
  ['-0', 0, undefined, 0, undefined, undefined],
  ['12abc', undefined, undefined, undefined, undefined, undefined],
  ['99999999999999999999', undefined, undefined, 1e20, undefined, undefined],
  ['65534', 65534, 65534, 65534, 65534, 65534],
  ['65535', 65535, 65535, 65535, undefined, 65535],
  ['auto', undefined, undefined, undefined, undefined, 'autoscaling'],
];

describe('one number grammar for every numeric option and variable', () => {
  it.each(table)('%j', (raw, ...expected) => {
    const got = Object.values(parsers).map((parse) => refuse(parse, raw));
    // -0 and 0 are the same number to the user; toEqual would tell them apart.
    expect(got.map((value) => (Object.is(value, -0) ? 0 : value))).toEqual(expected);
  });

  it('parseDecimal and parseWholeNumber are the grammar', () => {
    expect(parseDecimal('-2.5e2')).toBe(-250);
    expect(parseDecimal('0x10')).toBeUndefined();
    expect(parseWholeNumber('1e3')).toBeUndefined();
    expect(parseWholeNumber('-3')).toBe(-3);
  });

  it('a refusal says what was expected', () => {
    expect(() => parseInteger(1)('0x10')).toThrow('expected an integer ≥ 1');
    expect(() => parseInteger(1)('1e9')).toThrow('expected an integer ≥ 1 in plain digits');
    expect(() => parseNonNegativeNumber('0x10')).toThrow('expected a number ≥ 0');
  });

  it('stage targets follow the same grammar', () => {
    expect(parseStages('30s:1e2,10s:0.5')).toEqual([{ durationMs: 30_000, target: 100 }, { durationMs: 10_000, target: 0.5 }]);
    for (const bad of ['30s:0x10', '30s:Infinity', '30s:', '30s: ', '30s:.5']) expect(() => parseStages(bad), bad).toThrow(/stages like/);
  });
});
