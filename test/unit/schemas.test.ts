import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';

describe('the JSON Schemas of the results', () => {
  it.each(['result.schema.json', 'schedules-result.schema.json'])('%s compiles under Ajv\'s default strict mode without a warning', (file) => {
    const schema = JSON.parse(readFileSync(new URL(`../../src/report/${file}`, import.meta.url), 'utf8'));
    const warnings: unknown[] = [];
    const logger = { log: () => undefined, warn: (...args: unknown[]) => warnings.push(args), error: (...args: unknown[]) => warnings.push(args) };
    // The defaults warn, e.g. of "required" without "type": "object" (strictTypes), as every validator would.
    new Ajv({ allErrors: true, logger }).compile(schema);
    expect(warnings).toEqual([]);
  });
});
