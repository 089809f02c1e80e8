import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { checkResult } from '../../src/report/read-result.js';
import { damaged, damageOf } from '../helpers/damaged.js';
import { makeRunResult, makeSchedulesResult } from '../helpers/results.js';

const runSchema = JSON.parse(readFileSync(new URL('../../src/report/result.schema.json', import.meta.url), 'utf8'));
const schedulesSchema = JSON.parse(readFileSync(new URL('../../src/report/schedules-result.schema.json', import.meta.url), 'utf8'));

describe('checkResult', () => {
  it('accepts a valid run result and a valid schedules result (both valid by their schemas too)', () => {
    const ajv = new Ajv({ allErrors: true });
    const run = makeRunResult();
    const schedules = makeSchedulesResult();
    expect(ajv.validate(runSchema, run), JSON.stringify(ajv.errors)).toBe(true);
    expect(ajv.validate(schedulesSchema, schedules), JSON.stringify(ajv.errors)).toBe(true);
    expect(checkResult(structuredClone(run))).toEqual(run);
    expect(checkResult(structuredClone(schedules))).toEqual(schedules);
  });

  const run = makeRunResult();
  it.each([
    ['intervals', undefined, 'intervals', /^missing$/],
    ['intervals.points', 'many', 'intervals.points', /expected an array, got "many"/],
    ['latency.e2e.encoded', 'not-a-histogram', 'latency.e2e.encoded', /not a valid encoded histogram/],
    ['latency.e2e.count', 7, 'latency.e2e.encoded', /holds 3 values, count says 7/],
    ['latency.start', null, 'latency.start', /expected an object, got null/],
    ['measured.completed', '100', 'measured.completed', /expected an integer, got "100"/],
    ['measured.failuresByKind', { timed_out: -1 }, 'measured.failuresByKind.timed_out', /expected a count ≥ 0, got -1/],
    ['loadModel.kind', 'half-open', 'loadModel.kind', /expected "closed" or "open", got "half-open"/],
    ['loadModel.wait', 'yes', 'loadModel.wait', /expected true or false/],
    ['startedAt', 'yesterday', 'startedAt', /expected an ISO 8601 time/],
    ['throughput.completedPerSecond', null, 'throughput.completedPerSecond', /expected a number, got null/],
    ['serverHealth', undefined, 'serverHealth', /^missing$/],
    ['runId', '', 'runId', /non-empty/],
    ['command', 'bench', 'command', /expected "run" or "infinite", got "bench"/],
  ])('a run result with %s = %j is refused at %s', (field, value, path, problem) => {
    const damage = damageOf(damaged(run, field, value));
    expect(damage.path).toBe(path);
    expect(damage.problem).toMatch(problem);
  });

  it('names array items by index', () => {
    const document = structuredClone(run);
    (document.intervals.points[0] as unknown as Record<string, unknown>).inFlight = 'x';
    expect(damageOf(document).path).toBe('intervals.points[0].inFlight');
  });

  const schedules = makeSchedulesResult();
  it.each([
    ['schedules', undefined, 'schedules', /^missing$/],
    ['schedules.counts.taken', -2, 'schedules.counts.taken', /count ≥ 0/],
    ['latency.fireLag.encoded', 'AAAA', 'latency.fireLag.encoded', /not a valid encoded histogram/],
    ['fires', {}, 'fires', /expected an array, got an object/],
    ['serverHealth.outages', [{ start: 'x', end: null, seconds: 1 }], 'serverHealth.outages[0].start', /ISO 8601/],
  ])('a schedules result with %s = %j is refused at %s', (field, value, path, problem) => {
    const damage = damageOf(damaged(schedules, field, value));
    expect(damage.path).toBe(path);
    expect(damage.problem).toMatch(problem);
  });

  it('refuses what is not a result at all at the top level or at schemaVersion', () => {
    expect(damageOf([1, 2])).toEqual({ path: '', problem: 'expected an object, got an array' });
    expect(damageOf({ name: 'package' })).toEqual({ path: 'schemaVersion', problem: 'this sched-bench reads run results (commands run and infinite) of schema version 1 or 2; the file has command undefined, schemaVersion undefined' });
    expect(damageOf({ schemaVersion: 2, command: 'schedules' })).toEqual({ path: 'schemaVersion', problem: 'this sched-bench reads schedules results of schema version 1; the file has a schedules result of schema version 2' });
  });

  it.each([
    ['run', runSchema, makeRunResult()],
    ['schedules', schedulesSchema, makeSchedulesResult()],
  ] as const)('checks every field the %s schema requires at the top level', (_, schema, document) => {
    for (const field of schema.required as string[]) {
      if (field === 'schemaVersion') continue;
      expect(damageOf(damaged(document, field, undefined)), field).toEqual({ path: field, problem: 'missing' });
    }
  });
});
