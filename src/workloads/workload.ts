import { WORKFLOW_TYPES } from '../../workflows/names.js';
import { OPERATION_NAMES, type OperationName } from '../shared/operations.js';

/** What each launch starts; one launch is one "workflow" for the counts, whatever it does. */
export type Workload =
  /** The built-in EchoWorkflow (default). */
  | { kind: 'echo'; message?: string; count?: number; activityDelayMs?: number; localActivities?: boolean }
  /** A workflow type of the user's (--workflow-type), hosted by the user's workers. */
  | { kind: 'custom'; workflowType: string; args: unknown[] }
  /** Start, then `signals` signals; the workflow completes after the last. withStart: the first rides on the start. */
  | { kind: 'signal'; signals: number; withStart: boolean }
  /** Start, then `updates` updates one after another; withStart: the first rides on the start. */
  | { kind: 'update'; updates: number; withStart: boolean }
  /** Start, `queries` queries one after another, then a signal that completes it. */
  | { kind: 'query'; queries: number }
  /** A parent starting `children` children at once and waiting for them. */
  | { kind: 'child'; children: number }
  /** One durable timer of `durationMs`. */
  | { kind: 'timer'; durationMs: number }
  /** Continues-as-new `iterations` times. */
  | { kind: 'continue-as-new'; iterations: number }
  /** Each launch is one of `parts`, drawn by weight (seeded: the same seed draws the same sequence). */
  | { kind: 'mix'; parts: readonly MixPart[]; seed: number };

export interface MixPart {
  workload: Exclude<Workload, { kind: 'mix' }>;
  weight: number;
}

/** The names `--workload` takes. */
export const WORKLOAD_NAMES = [
  'echo', 'signal', 'signal-with-start', 'update', 'update-with-start', 'query', 'child', 'timer', 'continue-as-new', 'mix',
] as const;
export type WorkloadName = (typeof WORKLOAD_NAMES)[number];

/** The `--workload` name a workload is run under (custom workflow types run under echo's name: `custom`). */
export function workloadName(workload: Workload): WorkloadName | 'custom' {
  switch (workload.kind) {
    case 'signal': return workload.withStart ? 'signal-with-start' : 'signal';
    case 'update': return workload.withStart ? 'update-with-start' : 'update';
    default: return workload.kind;
  }
}

/** The operation latencies a run of this workload measures (for thresholds checked before the run). */
export function operationsMeasuredBy(workload: Workload, options: { wait: boolean; historySample?: number }): OperationName[] {
  const measured = new Set<OperationName>();
  const add = (part: Exclude<Workload, { kind: 'mix' }>) => {
    for (const operation of ownOperations(part, options.wait)) measured.add(operation);
    // History is read only once the result arrived.
    if (options.wait && (options.historySample ?? 0) > 0 && part.kind !== 'custom') {
      measured.add('workflow_task.schedule_to_start');
      if (part.kind === 'echo' && !part.localActivities) measured.add('activity_task.schedule_to_start');
    }
  };
  if (workload.kind === 'mix') workload.parts.forEach((part) => add(part.workload));
  else add(workload);
  return OPERATION_NAMES.filter((name) => measured.has(name));
}

function ownOperations(workload: Exclude<Workload, { kind: 'mix' }>, wait: boolean): OperationName[] {
  switch (workload.kind) {
    case 'signal': return wait ? ['signal.sent', 'signal.handled'] : ['signal.sent'];
    case 'update': return ['update.accepted', 'update.completed'];
    case 'query': return ['query.answered'];
    case 'child': return wait ? ['child.completed'] : [];
    case 'timer': return wait ? ['timer.lag'] : [];
    case 'continue-as-new': return wait ? ['continue_as_new.iteration'] : [];
    default: return [];
  }
}

/** What one launch leaves on the server besides its own execution: a chain's ContinuedAsNew runs, a parent's children. */
export interface LaunchShape {
  continuedAsNew?: number;
  children?: { workflowType: string; count: number };
}

/** The workflow types a workload launches, each with what one launch of it leaves on the server. */
export function launchShapesOf(workload: Workload): Map<string, LaunchShape> {
  const shapes = new Map<string, LaunchShape>();
  const add = (part: Exclude<Workload, { kind: 'mix' }>) => {
    switch (part.kind) {
      case 'echo': return shapes.set(WORKFLOW_TYPES.echo, {});
      case 'custom': return shapes.set(part.workflowType, {});
      case 'signal': return shapes.set(WORKFLOW_TYPES.signal, {});
      case 'update': return shapes.set(WORKFLOW_TYPES.update, {});
      case 'query': return shapes.set(WORKFLOW_TYPES.query, {});
      case 'timer': return shapes.set(WORKFLOW_TYPES.timer, {});
      case 'child': return shapes.set(WORKFLOW_TYPES.child, { children: { workflowType: WORKFLOW_TYPES.childLeaf, count: part.children } });
      case 'continue-as-new': return shapes.set(WORKFLOW_TYPES.continueAsNew, { continuedAsNew: part.iterations });
    }
  };
  if (workload.kind === 'mix') workload.parts.forEach((part) => add(part.workload));
  else add(workload);
  return shapes;
}

/** The workflow types a run of this workload starts (children included), as the workers must know them. */
export function workflowTypesOf(workload: Workload): string[] {
  return [...new Set([...launchShapesOf(workload)].flatMap(([type, shape]) => [type, ...(shape.children ? [shape.children.workflowType] : [])]))];
}
