// The worker's workflows: the bundle's entry (src/temporal/workflow-bundle.ts). Deterministic code only.
export { EchoWorkflow } from './echo.js';
export { ChildWorkflow, ContinueAsNewWorkflow, ParentWorkflow, QueryWorkflow, SignalWorkflow, TimerWorkflow, UpdateWorkflow } from './workloads.js';
export { CoordinatorWorkflow } from './coordinator.js';
