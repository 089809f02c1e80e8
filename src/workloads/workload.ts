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

/** The workflow types a run of this workload starts (children included), as the workers must know them. */
export function workflowTypesOf(workload: Workload): string[] {
  const typesOf = (part: Exclude<Workload, { kind: 'mix' }>): string[] => {
    switch (part.kind) {
      case 'custom': return [part.workflowType];
      case 'echo': return [WORKFLOW_TYPES.echo];
      case 'signal': return [WORKFLOW_TYPES.signal];
      case 'update': return [WORKFLOW_TYPES.update];
      case 'query': return [WORKFLOW_TYPES.query];
      case 'child': return [WORKFLOW_TYPES.child, WORKFLOW_TYPES.childLeaf];
      case 'timer': return [WORKFLOW_TYPES.timer];
      case 'continue-as-new': return [WORKFLOW_TYPES.continueAsNew];
    }
  };
  const parts = workload.kind === 'mix' ? workload.parts.map((part) => part.workload) : [workload];
  return [...new Set(parts.flatMap(typesOf))];
}
