/** The programmatic API of sched-bench. Importing it installs no signal or exit handlers. */
export { runLoad, startLoad, LoadRun, type LoadEvent, type LoadResult, type LoadRunOptions, type LoadSeams } from './run/load-run.js';
export type { LoadSpec } from './run/load-spec.js';
export { runSchedules, startSchedules, SchedulesRun, type SchedulesEvent, type SchedulesRunResult } from './run/schedules-run.js';
export type { SchedulesSpec } from './run/schedules-spec.js';
export { RunSession, type SessionEvent, type SessionSpec } from './run/session.js';
export { runCapacity, type CapacityEvent, type CapacityRunOptions, type CapacityRunResult, type CapacitySpec } from './run/capacity-run.js';
export { parseSlo } from './capacity/slo.js';
export { parseExpectation, expectationMet, type Expectation } from './capacity/expectation.js';
export type { CapacityAnswer, CapacityResult, CapacityStep, StepMeasurement } from './capacity/types.js';
export { formatCapacitySummary } from './report/capacity.js';
export { capacitySpecFrom, capacitySpecOf, loadSpecFrom, schedulesSpecFrom } from './cli/run-specs.js';
export type { RunConfig } from './cli/options.js';
export { SchedulerService, emptyRunStats, type SchedulerOptions } from './scheduler/scheduler-service.js';
export { systemClock } from './shared/clock.js';
export type {
  BatchRunOptions,
  Clock,
  InfiniteRunOptions,
  IntervalReport,
  LaunchCountsSnapshot,
  LoadModel,
  LoadModelKind,
  RunMode,
  RunStats,
  SchedulerSink,
  Stage,
  StopReason,
  WorkflowLauncher,
  Workload,
} from './scheduler/types.js';
export type { AcceptedUpdate, WorkloadCalls } from './shared/launcher.js';
export { OPERATIONS, OPERATION_NAMES, type OperationName } from './shared/operations.js';
export { WORKLOAD_NAMES, type WorkloadName } from './workloads/workload.js';
export {
  TemporalService,
  newRunId,
  ECHO_WORKFLOW_TYPE,
  type LaunchTarget,
  type TemporalServiceOptions,
  type WorkflowCountsByStatus,
} from './temporal/temporal-service.js';
export { EchoWorker } from './temporal/echo-worker.js';
export { startDevServer, findTemporalCli, SpawnedDevServer, type DevServer } from './temporal/dev-server.js';
export { RunMetrics } from './metrics/run-metrics.js';
export { LatencyHistogram, type LatencySummary } from './metrics/latency-histogram.js';
export { ArrivalSchedule, concurrencyAt } from './scheduler/load-model.js';
export { formatFinalLine, formatIntervalLine, formatStartLine } from './report/lines.js';
export { ConnectionError, EnvironmentError, LaunchError, UsageError, type FailureKind } from './errors.js';
export type { EchoWorkflowInput } from '../workflows/echo.js';
export {
  splitLoad, sliceSpecOf, exactShares, integerShares, LoadSplitError, SliceSpecError, PROCESS_FIELDS,
  type SliceSpec, type SplittableLoad,
} from './agents/slices.js';
export { aggregateInterval, HeartbeatTally } from './agents/progress.js';
export { outcomesOf, type DistributedOutcomes, type FinishedSlice, type UnfinishedSlice, type SliceCounts } from './agents/outcomes.js';
export {
  runAgent, sliceBody, loadSpecOfSlice, heartbeatOf,
  type AgentSide, type AgentSpec, type AgentEvent, type AgentRunOptions, type AgentControlService,
} from './run/agent-run.js';
export {
  startDistributedLoad, AgentWaitError, coordinatorWorkflowId, defaultHeartbeatTimeout,
  type DistributedSpec, type DistributedRun, type DistributedResult, type DistributedEvent, type DistributedSeams, type ControlService,
} from './run/distributed-run.js';
export { judgeThresholds, type ThresholdSubject } from './run/load-result.js';
export type { LoadSlice, SliceHeartbeat, CoordinatorInput, CoordinatorResult, SliceOutcome } from '../workflows/coordinator-types.js';
