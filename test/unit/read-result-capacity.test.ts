import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { checkResult, isCapacityResult } from '../../src/report/read-result.js';
import { makeCapacityDocument } from '../helpers/capacity-results.js';
import { damaged, damageOf } from '../helpers/damaged.js';
import { makeRunResult } from '../helpers/results.js';

const schema = JSON.parse(readFileSync(new URL('../../src/report/capacity-result.schema.json', import.meta.url), 'utf8'));

describe('checkResult on capacity results', async () => {
  const document = await makeCapacityDocument({ knee: 140 });
  const clientLimited = await makeCapacityDocument({ knee: 1000, clientMax: 50, startRate: 20 });
  const withExpectation = { ...document, expectation: { expression: '>=100', met: true }, exitCode: 0 };

  it('accepts built documents as they are (valid by their schema too) and tells them from runs', () => {
    const ajv = new Ajv({ allErrors: true });
    for (const valid of [document, clientLimited, withExpectation]) {
      expect(ajv.validate(schema, valid), JSON.stringify(ajv.errors)).toBe(true);
      const read = checkResult(structuredClone(valid));
      expect(read).toEqual(valid);
      expect(isCapacityResult(read)).toBe(true);
    }
    expect(clientLimited.steps.some((step) => step.generator.reason !== undefined)).toBe(true);
    expect(isCapacityResult(checkResult(makeRunResult()))).toBe(false);
  });

  it.each([
    ['steps.0.latency.e2e.encoded', 'not-a-histogram', 'steps[0].latency.e2e.encoded', /not a valid encoded histogram/],
    ['steps.1.latency.start.count', 9999, 'steps[1].latency.start.encoded', /count says 9999/],
    ['steps.0.latency.e2e.p99', '2s', 'steps[0].latency.e2e.p99', /expected a number, got "2s"/],
    ['steps.0.latency.e2e', null, 'steps[0].latency.e2e', /expected an object, got null/],
    ['steps.0.verdict', 'maybe', 'steps[0].verdict', /expected "pass" or "fail" or "client-limited" or "cut-short"/],
    ['steps.0.phase', 'guess', 'steps[0].phase', /expected "growth" or "bisection"/],
    ['steps.2.counts.launched', -1, 'steps[2].counts.launched', /count ≥ 0/],
    ['steps.0.generator.keptUp', 'yes', 'steps[0].generator.keptUp', /true or false/],
    ['steps.0.thresholds', {}, 'steps[0].thresholds', /expected an array/],
    ['steps', 'many', 'steps', /expected an array, got "many"/],
    ['answer.kind', 'probably', 'answer.kind', /expected "capacity" or "at-least"/],
    ['answer.capacity', -5, 'answer.capacity', /≥ 0/],
    ['answer.limitedBy', 'e2e', 'answer.limitedBy', /expected an array/],
    ['settings.slo', ['e2e.p99<<2s'], 'settings.slo[0]', /not a threshold/],
    ['settings.maxDurationSeconds', 'forever', 'settings.maxDurationSeconds', /expected a number/],
    ['stopReason', 'bored', 'stopReason', /expected "found" or "max-rate"/],
    ['expectation', { expression: '>=100' }, 'expectation.met', /^missing$/],
    ['workload', {}, 'workload.name', /^missing$/],
    ['serverHealth.outages', [{ start: 'then', end: null, seconds: 1 }], 'serverHealth.outages[0].start', /ISO 8601/],
  ])('a capacity result with %s = %j is refused at %s', (field, value, path, problem) => {
    const damage = damageOf(damaged(document, field, value));
    expect(damage.path).toBe(path);
    expect(damage.problem).toMatch(problem);
  });

  it('refuses another schema version of a capacity result', () => {
    expect(damageOf({ ...document, schemaVersion: 2 })).toEqual({ path: 'schemaVersion', problem: 'this sched-bench reads capacity results of schema version 1; the file has a capacity result of schema version 2' });
  });

  it('checks every field the schema requires, at the top level and in the settings, answer and steps', () => {
    const paths = [
      ...(schema.required as string[]).filter((field) => field !== 'schemaVersion' && field !== 'command'),
      ...(schema.properties.settings.required as string[]).map((field) => `settings.${field}`),
      ...(schema.definitions.answer.required as string[]).map((field) => `answer.${field}`),
      ...(schema.definitions.step.required as string[]).map((field) => `steps.0.${field}`),
      ...(schema.definitions.latency.required as string[]).map((field) => `steps.0.latency.e2e.${field}`),
    ];
    expect(paths.length).toBeGreaterThan(50);
    for (const path of paths) {
      const expected = path.replace(/\.(\d+)\./g, '[$1].');
      expect(damageOf(damaged(document, path, undefined)), path).toEqual({ path: expected, problem: 'missing' });
    }
  });
});
