// What `run|infinite --agents N` prints of its events, and the --json/--html writer it shares with one
// process's run.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { printEvent } from '../../src/cli/distributed-command.js';
import type { RunConfig } from '../../src/cli/options.js';
import { writeResultFiles } from '../../src/cli/run-command.js';
import type { RunResult } from '../../src/report/result.js';
import type { DistributedEvent, DistributedSpec } from '../../src/run/distributed-run.js';
import { makeRunResult } from '../helpers/results.js';

function linesOf(event: DistributedEvent): { out: string[]; err: string[] } {
  const lines = { out: [] as string[], err: [] as string[] };
  // These events use neither the spec nor the configuration.
  printEvent(event, {} as DistributedSpec, {} as RunConfig, (line) => lines.out.push(line), (line) => lines.err.push(line));
  return lines;
}

describe('printEvent (--agents)', () => {
  it('tells a stop that could not be sent, on stderr', () => {
    expect(linesOf({ type: 'stop-failed', reason: 'connection refused' })).toEqual({
      out: [], err: ['The stop could not be sent to the coordinator: connection refused; a second signal cancels the run'],
    });
  });

  it('tells an abandoned coordinator in one sched-bench line', () => {
    expect(linesOf({ type: 'coordinator-abandoned', reason: 'No agent is running the coordinator for 60s: every agent is gone' })).toEqual({
      out: [],
      err: ['sched-bench: No agent is running the coordinator for 60s: every agent is gone; the coordinator is terminated and the run ends with what the agents reported'],
    });
  });

  it('prints nothing for the coordinator’s end (its slices are told with the result)', () => {
    expect(linesOf({ type: 'coordinator-ended', result: { outcomes: [], stopped: false } })).toEqual({ out: [], err: [] });
  });
});

describe('writeResultFiles (run and run --agents)', () => {
  const document = makeRunResult({ runId: 'r-1' }, [10, 20]) as RunResult;

  it('writes the JSON document; a file it cannot write is one line and reported lost, the other still written', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sched-bench-files-'));
    const json = join(dir, 'r.json');
    const err: string[] = [];
    expect(writeResultFiles(document, { json, html: undefined }, undefined, { out: () => undefined, err: (line) => err.push(line) })).toBe(false);
    expect(JSON.parse(readFileSync(json, 'utf8'))).toEqual(JSON.parse(JSON.stringify(document)));
    expect(err).toEqual([]);

    const html = join(dir, 'r.html');
    const lost = writeResultFiles(document, { json: join(dir, 'missing', 'r.json'), html }, (results) => `<html>${results.length}</html>`, {
      out: () => undefined, err: (line) => err.push(line),
    });
    expect(lost).toBe(true);
    expect(err).toHaveLength(1);
    expect(err[0]).toMatch(/^sched-bench: .*missing/);
    expect(readFileSync(html, 'utf8')).toBe('<html>1</html>');
  });
});
