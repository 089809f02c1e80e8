import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';

describe('the JSON Schemas of the results', () => {
  it.each(['result.schema.json', 'schedules-result.schema.json', 'capacity-result.schema.json', 'ndjson-record.schema.json'])('%s compiles under Ajv\'s default strict mode without a warning', (file) => {
    const schema = JSON.parse(readFileSync(new URL(`../../src/report/${file}`, import.meta.url), 'utf8'));
    const warnings: unknown[] = [];
    const logger = { log: () => undefined, warn: (...args: unknown[]) => warnings.push(args), error: (...args: unknown[]) => warnings.push(args) };
    // The defaults warn, e.g. of "required" without "type": "object" (strictTypes), as every validator would.
    new Ajv({ allErrors: true, logger }).compile(schema);
    expect(warnings).toEqual([]);
  });

  it('every schema names exactly the failure kinds of FailureKind (src/errors.ts)', () => {
    const source = readFileSync(new URL('../../src/errors.ts', import.meta.url), 'utf8');
    const union = /export type FailureKind =([^;]+);/.exec(source)![1]!;
    const kinds = [...union.matchAll(/'([a-z_]+)'/g)].map((match) => match[1]).sort();
    expect(kinds).toContain('start_invalid');
    for (const file of ['result.schema.json', 'ndjson-record.schema.json']) {
      const text = readFileSync(new URL(`../../src/report/${file}`, import.meta.url), 'utf8');
      const patterns = [...text.matchAll(/"\^\((start_rejected[a-z_|]+)\)\$"/g)].map((match) => match[1]!);
      expect(patterns.length, file).toBeGreaterThan(0);
      for (const pattern of patterns) expect(pattern.split('|').sort(), file).toEqual(kinds);
    }
  });
});
