import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { expect } from 'vitest';

const schema = JSON.parse(readFileSync(new URL('../../src/report/ndjson-record.schema.json', import.meta.url), 'utf8'));
/** Strict: a schema mistake (an unknown keyword, a property missing its type) fails instead of warning. */
export const validateNdjsonRecord = new Ajv({ strict: true, allErrors: true }).compile(schema);

/** Parses NDJSON text, checking every line against the schema. */
export function readNdjson(text: string): Array<Record<string, unknown>> {
  return text.trim().split('\n').map((line) => {
    const record = JSON.parse(line) as Record<string, unknown>;
    expect(validateNdjsonRecord(record), `${line}\n${JSON.stringify(validateNdjsonRecord.errors)}`).toBe(true);
    return record;
  });
}
