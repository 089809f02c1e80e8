import { describe, expect, it } from 'vitest';
import { WORKFLOW_TYPES } from '../../workflows/names.js';
import { RunMetrics, WorkflowTypeCounts } from '../../src/metrics/run-metrics.js';
import { verifyAgainstServer, verifyWorkflowTypes, verifiedWorkflowTypes, type LaunchedWorkflowType } from '../../src/metrics/verification.js';
import { formatVerification } from '../../src/report/summary.js';
import { launchedWorkflowTypes } from '../../src/run/end-of-run.js';
import { SchedulerService } from '../../src/scheduler/scheduler-service.js';
import { systemClock } from '../../src/shared/clock.js';
import type { WorkflowLauncher, WorkloadCalls } from '../../src/shared/launcher.js';
import { launchShapesOf, workflowTypesOf, type Workload } from '../../src/workloads/workload.js';
import { workloadUnits } from '../../src/workloads/workload-units.js';
import { FakeLauncher } from '../helpers/fake-launcher.js';
import { makeStats } from '../helpers/run-stats.js';

const launched = (overrides: Partial<LaunchedWorkflowType> & { workflowType: string }): LaunchedWorkflowType => ({
  started: 0, completed: 0, failuresByKind: {}, inFlight: 0, ...overrides,
});

describe('RunMetrics counts per workflow type', () => {
  it('counts starts, completions and failures after the start per type; a refused start is no execution', () => {
    const metrics = new RunMetrics();
    metrics.recordStarted('warmup', 1, 'A');
    metrics.recordStarted('measured', 1, 'A');
    metrics.recordStarted('measured', 1, 'B');
    metrics.recordCompleted('warmup', 5, 'A');
    metrics.recordFailure('measured', 'workflow_failed', 'B');
    metrics.recordFailure('measured', 'start_rejected'); // never started: no type
    expect(metrics.byWorkflowType.get('A')).toMatchObject({ started: 2, completed: 1, failed: 0, inFlight: 1 });
    expect(metrics.byWorkflowType.get('B')).toMatchObject({ started: 1, completed: 0, failed: 1, inFlight: 0, failuresByKind: { workflow_failed: 1 } });
    expect(metrics.all).toMatchObject({ started: 3, completed: 1, failed: 2 });
  });

  it('the scheduler names each launch\'s type: an echo run\'s per-type counts are its totals', async () => {
    const launcher = new FakeLauncher({ clock: systemClock, failStarts: new Map([[2, 'start_rejected']]), failResults: new Map([[5, 'workflow_failed']]) });
    const scheduler = new SchedulerService({ launcher, concurrency: 3, reportInterval: 60 });
    const stats = await scheduler.run({ totalWorkflows: 10, workload: { kind: 'echo' } });
    expect(scheduler.metrics.byWorkflowType.get(WORKFLOW_TYPES.echo)).toMatchObject({ started: 9, completed: 8, failed: 1, inFlight: 0 });
    // Against a server that agrees, the rows are those of the whole-run check (echo's output as before).
    const types = launchedWorkflowTypes({ kind: 'echo' }, scheduler.workflowTypeCounts());
    const server = { [WORKFLOW_TYPES.echo]: { Completed: 8, Failed: 1 } };
    const perType = verifyWorkflowTypes(types, server, true);
    const whole = verifyAgainstServer(stats, { Completed: 8, Failed: 1 }, true);
    expect(perType.matches).toBe(true);
    expect(perType.rows.map(({ what, tool, server: count, matches }) => ({ what, tool, server: count, matches }))).toEqual(whole.rows);
    expect(formatVerification('r1', perType)).toBe(formatVerification('r1', whole));
    expect(perType.serverCounts).toEqual({ Completed: 8, Failed: 1 });
  });

  it('a mix counts each part\'s launches under its own type', async () => {
    const launcher = Object.assign(new FakeLauncher({ clock: systemClock }), {
      startWorkflow(this: FakeLauncher, _type: string) { return this.startEchoWorkflow(); },
    });
    const scheduler = new SchedulerService({ launcher, concurrency: 4, reportInterval: 60 });
    const workload: Workload = { kind: 'mix', seed: 1, parts: [{ weight: 1, workload: { kind: 'echo' } }, { weight: 1, workload: { kind: 'custom', workflowType: 'Mine', args: [] } }] };
    await scheduler.run({ totalWorkflows: 200, workload });
    const echo = scheduler.metrics.byWorkflowType.get(WORKFLOW_TYPES.echo)!;
    const mine = scheduler.metrics.byWorkflowType.get('Mine')!;
    expect(echo.started + mine.started).toBe(200);
    expect(echo.started).toBeGreaterThan(50);
    expect(mine.started).toBeGreaterThan(50);
    expect(echo.completed).toBe(echo.started);
  });
});

describe('launchShapesOf: the types the units start, with their shapes', () => {
  const stubCalls = {} as WorkloadCalls;
  const launcher: WorkflowLauncher = {
    startEchoWorkflow: async () => 'x', startWorkflow: async () => 'x', awaitWorkflowResult: async () => undefined, calls: stubCalls,
  };
  it.each<Workload>([
    { kind: 'echo' }, { kind: 'custom', workflowType: 'Mine', args: [] }, { kind: 'signal', signals: 3, withStart: true },
    { kind: 'update', updates: 2, withStart: false }, { kind: 'query', queries: 4 }, { kind: 'child', children: 5 },
    { kind: 'timer', durationMs: 100 }, { kind: 'continue-as-new', iterations: 7 },
  ])('%j', (workload) => {
    const [unit] = workloadUnits(workload, launcher, { clock: systemClock }).units;
    // The unit starts the type the verification expects, and the watch knows it (children too).
    expect([...launchShapesOf(workload).keys()]).toEqual([unit!.workflowType]);
    expect(workflowTypesOf(workload)[0]).toBe(unit!.workflowType);
  });

  it('a mix has every part\'s type', () => {
    const workload: Workload = { kind: 'mix', seed: 1, parts: [{ weight: 1, workload: { kind: 'echo' } }, { weight: 1, workload: { kind: 'child', children: 2 } }] };
    expect([...launchShapesOf(workload).keys()]).toEqual([WORKFLOW_TYPES.echo, WORKFLOW_TYPES.child]);
    expect(workflowTypesOf(workload)).toEqual([WORKFLOW_TYPES.echo, WORKFLOW_TYPES.child, WORKFLOW_TYPES.childLeaf]);
  });
});

describe('verification per workflow type', () => {
  it('a continue-as-new chain is one started workflow with its ContinuedAsNew runs counted apart', () => {
    const chains = launched({ workflowType: 'ContinueAsNewWorkflow', started: 10, completed: 10, continuedAsNew: 3 });
    const verification = verifyWorkflowTypes([chains], { ContinueAsNewWorkflow: { ContinuedAsNew: 30, Completed: 10 } }, true);
    expect(verification.matches).toBe(true);
    expect(verification.rows.map((row) => [row.what, row.tool, row.server])).toEqual([
      ['started', 10, 10], ['continued-as-new', 30, 30], ['completed', 10, 10], ['failed (workflow)', 0, 0], ['running', 0, 0],
    ]);
    const short = verifyWorkflowTypes([chains], { ContinueAsNewWorkflow: { ContinuedAsNew: 29, Completed: 10 } }, true);
    expect(short.rows.filter((row) => !row.matches).map((row) => row.what)).toEqual(['continued-as-new']);
  });

  it('a chain that failed continued as new up to all its iterations: the row is bounded', () => {
    const chains = launched({ workflowType: 'ContinueAsNewWorkflow', started: 10, completed: 9, failuresByKind: { terminated: 1 }, continuedAsNew: 3 });
    const verification = verifyWorkflowTypes([chains], { ContinueAsNewWorkflow: { ContinuedAsNew: 28, Completed: 9, Terminated: 1 } }, true);
    expect(verification.rows.find((row) => row.what === 'continued-as-new')).toMatchObject({ tool: 27, toolMax: 30, server: 28, matches: true });
    expect(verification.matches).toBe(true);
  });

  it('a parent\'s children are counted as their own type, and named in the text', () => {
    const parents = launched({ workflowType: 'ParentWorkflow', started: 4, completed: 4, children: { workflowType: 'ChildWorkflow', count: 3 } });
    expect(verifiedWorkflowTypes([parents])).toEqual(['ParentWorkflow', 'ChildWorkflow']);
    const verification = verifyWorkflowTypes([parents], { ParentWorkflow: { Completed: 4 }, ChildWorkflow: { Completed: 12 } }, true);
    expect(verification.matches).toBe(true);
    expect(verification.serverCounts).toEqual({ Completed: 16 });
    expect(verification.serverCountsByType).toEqual({ ParentWorkflow: { Completed: 4 }, ChildWorkflow: { Completed: 12 } });
    const text = formatVerification('r1', verification);
    expect(text).toMatch(/✓ counts match/);
    expect(text).toMatch(/ParentWorkflow started\s+4\s+4\s+✓/);
    expect(text).toMatch(/ChildWorkflow completed\s+12\s+12\s+✓/);
    const missing = verifyWorkflowTypes([parents], { ParentWorkflow: { Completed: 4 }, ChildWorkflow: { Completed: 11 } }, true);
    expect(missing.matches).toBe(false);
    expect(formatVerification('r1', missing)).toMatch(/ChildWorkflow completed\s+12\s+11\s+✗/);
  });

  it('children of a parent still running are bounded, shown as a range', () => {
    const parents = launched({ workflowType: 'ParentWorkflow', started: 4, completed: 3, inFlight: 1, children: { workflowType: 'ChildWorkflow', count: 2 } });
    const verification = verifyWorkflowTypes([parents], { ParentWorkflow: { Completed: 3, Running: 1 }, ChildWorkflow: { Completed: 7, Running: 1 } }, true);
    expect(verification.matches).toBe(true);
    expect(verification.rows.filter((row) => row.workflowType === 'ChildWorkflow').map((row) => [row.what, row.tool, row.toolMax, row.server])).toEqual([
      ['started', 6, 8, 8], ['completed', 6, 8, 7], ['failed (workflow)', 0, 2, 0], ['running', 0, 2, 1],
    ]);
    expect(formatVerification('r1', verification)).toMatch(/ChildWorkflow started\s+6\.\.8\s+8\s+✓/);
  });

  it('a start-only run checks the starts of each type; a type launched but absent on the server differs', () => {
    const types = [launched({ workflowType: 'EchoWorkflow', started: 5, completed: 5 }), launched({ workflowType: 'SignalWorkflow', started: 3, completed: 3 })];
    const verification = verifyWorkflowTypes(types, { EchoWorkflow: { Running: 2, Completed: 3 } }, false);
    expect(verification.rows.map((row) => [row.workflowType, row.what, row.tool, row.server, row.matches])).toEqual([
      ['EchoWorkflow', 'started', 5, 5, true], ['SignalWorkflow', 'started', 3, 0, false],
    ]);
  });

  it('the rows of echo keep their text whatever else is in the result', () => {
    const stats = makeStats({ started: 100, completed: 100 });
    const whole = verifyAgainstServer(stats, { Completed: 100 }, true);
    const perType = verifyWorkflowTypes([launched({ workflowType: 'EchoWorkflow', started: 100, completed: 100 })], { EchoWorkflow: { Completed: 100 } }, true);
    expect(formatVerification('r1', perType)).toBe(formatVerification('r1', whole));
  });

  it('expects what the tool did after the load: terminated leftovers and stranded workflows closed, the others still running', () => {
    const counts = new Map([['SignalWorkflow', Object.assign(new WorkflowTypeCounts(), { started: 10, completed: 5, failed: 2, failuresByKind: { unknown: 2 } })]]);
    // 3 in flight at the cut-short drain (2 terminated), 2 stranded by failed signals (1 terminated).
    const actions = {
      terminatedInFlight: new Map([['SignalWorkflow', 2]]), stranded: new Map([['SignalWorkflow', 2]]), terminatedStranded: new Map([['SignalWorkflow', 1]]),
    };
    const [launched] = launchedWorkflowTypes({ kind: 'signal', signals: 2, withStart: false }, counts, actions);
    expect(launched).toMatchObject({ workflowType: 'SignalWorkflow', inFlight: 2, terminated: 3 });
    const agrees = verifyWorkflowTypes([launched!], { SignalWorkflow: { Completed: 5, Terminated: 3, Running: 2 } }, true);
    expect(agrees.rows.map(({ what, tool, server }) => [what, tool, server])).toEqual([['started', 10, 10], ['completed', 5, 5], ['failed (workflow)', 3, 3], ['running', 2, 2]]);
    expect(agrees.matches).toBe(true);
    expect(verifyWorkflowTypes([launched!], { SignalWorkflow: { Completed: 5, Running: 5 } }, true).matches).toBe(false);
  });
});
