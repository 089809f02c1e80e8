import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { capacityEndRecord, capacityStepRecord, type CapacityRunDocument } from '../../src/report/capacity-result.js';
import { makeCapacityDocument, makeCapacitySearch } from '../helpers/capacity-results.js';

const schemaOf = (file: string) => JSON.parse(readFileSync(new URL(`../../src/report/${file}`, import.meta.url), 'utf8'));
const documentSchema = schemaOf('capacity-result.schema.json');
const recordSchema = schemaOf('ndjson-record.schema.json');

function strictAjv(warnings: unknown[] = []): Ajv {
  const logger = { log: () => undefined, warn: (...args: unknown[]) => warnings.push(args), error: (...args: unknown[]) => warnings.push(args) };
  return new Ajv({ allErrors: true, logger });
}

const without = (value: object, path: string): unknown => {
  const copy = structuredClone(value) as Record<string, unknown>;
  const keys = path.split('.');
  let target: Record<string, unknown> = copy;
  for (const key of keys.slice(0, -1)) target = target[key] as Record<string, unknown>;
  delete target[keys.at(-1)!];
  return copy;
};

describe('capacity-result.schema.json and the capacity NDJSON records', () => {
  it('compiles under Ajv\'s default strict mode without a warning', () => {
    const warnings: unknown[] = [];
    strictAjv(warnings).compile(documentSchema);
    strictAjv(warnings).compile(recordSchema);
    expect(warnings).toEqual([]);
    // As test/helpers/ndjson-schema.ts compiles the records' schema: a schema mistake throws.
    expect(() => new Ajv({ strict: true }).compile(documentSchema)).not.toThrow();
    expect(() => new Ajv({ strict: true }).compile(recordSchema)).not.toThrow();
  });

  const scenarios = {
    capacity: { knee: 140 },
    'client-limited': { knee: 1000, clientMax: 50, startRate: 20 },
    'no-passing-step': { knee: 5 },
    'capacity with two latency groups': { knee: 80, slo: 'e2e.p99<2s,start.p50<1s,failed.rate<1%' },
  };

  it.each(Object.entries(scenarios))('a built document (%s) is valid, and so is every record', async (kind, cluster) => {
    const ajv = strictAjv();
    const validateDocument = ajv.compile(documentSchema);
    const validateRecord = ajv.compile(recordSchema);
    const { document, result } = await makeCapacitySearch(cluster);
    expect(validateDocument(document), JSON.stringify(validateDocument.errors)).toBe(true);
    expect(document.steps.length).toBeGreaterThan(0);
    expect(document.answer.kind).toBe(kind.split(' ')[0]);
    for (const step of result.steps) {
      const record = JSON.parse(JSON.stringify(capacityStepRecord(document.runId, step)));
      expect(validateRecord(record), JSON.stringify(validateRecord.errors)).toBe(true);
    }
    const end = JSON.parse(JSON.stringify(capacityEndRecord(document)));
    expect(validateRecord(end), JSON.stringify(validateRecord.errors)).toBe(true);
  });

  it('every step carries its latency groups with summary and encoded histogram; the schema fails a missing one', async () => {
    const document = await makeCapacityDocument({ knee: 140 });
    const validate = strictAjv().compile(documentSchema);
    expect(Object.keys(document.steps[0]!.latency).sort()).toEqual(['e2e', 'start', 'start_lateness']);
    for (const field of ['encoded', 'p99', 'unit']) {
      expect(validate(without(document, `steps.0.latency.e2e.${field}`)), field).toBe(false);
    }
    expect(validate({ ...document, steps: [{ ...document.steps[0]!, extra: 1 }] })).toBe(false);
    expect(validate({ ...document, surprise: true })).toBe(false);
  });

  it('fails a document missing any field it requires, at any level', async () => {
    const document = await makeCapacityDocument({ knee: 140 });
    const validate = strictAjv().compile(documentSchema);
    const paths = [
      ...(documentSchema.required as string[]),
      ...Object.keys(document.settings).map((key) => `settings.${key}`),
      ...Object.keys(document.answer).map((key) => `answer.${key}`),
      ...Object.keys(document.steps[0]!).map((key) => `steps.0.${key}`),
      ...Object.keys(document.steps[0]!.counts).map((key) => `steps.0.counts.${key}`),
      'steps.0.generator.keptUp',
    ];
    expect(paths.length).toBeGreaterThan(40);
    for (const path of paths) expect(validate(without(document, path)), path).toBe(false);
  });

  it('fails records missing a field or of the wrong type', async () => {
    const { document, result } = await makeCapacitySearch({ knee: 140 });
    const validate = strictAjv().compile(recordSchema);
    const step = JSON.parse(JSON.stringify(capacityStepRecord(document.runId, result.steps[0]!)));
    const end = JSON.parse(JSON.stringify(capacityEndRecord(document as CapacityRunDocument)));
    for (const field of Object.keys(step)) expect(validate(without(step, field)), `capacity-step ${field}`).toBe(false);
    for (const field of Object.keys(end)) expect(validate(without(end, field)), `capacity-end ${field}`).toBe(false);
    expect(validate({ ...step, verdict: 'maybe' })).toBe(false);
    expect(validate({ ...end, stopReason: 'bored' })).toBe(false);
    expect(validate(without(step, 'latency.e2e.p99'))).toBe(false);
  });
});
