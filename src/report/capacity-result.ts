import type { CapacityAnswer, CapacityResult, CapacityStep, GeneratorCheck, SearchPhase, StepVerdict } from '../capacity/types.js';
import type { ServerHealthSnapshot } from '../metrics/server-health.js';
import type { Workload } from '../scheduler/types.js';
import { VERSION } from '../version.js';
import { serverHealthResult, thresholdRecords, workloadResult, type LatencyResult, type ResultHeader, type RunResult, type ServerHealthResult, type WorkloadResult } from './result.js';

/**
 * The `--json` document of `sched-bench capacity` (schema: src/report/capacity-result.schema.json), and
 * its NDJSON records. Every step keeps its encoded HDR histograms, so two searches can be compared (or a
 * step re-read) exactly. Rates are wf/s, latencies ms, times s unless named otherwise.
 */
export const CAPACITY_SCHEMA_VERSION = 1;

/** One judged step as the JSON result carries it. */
export interface CapacityStepResult {
  index: number;
  phase: SearchPhase;
  targetRate: number;
  achievedRate: number;
  verdict: StepVerdict;
  /** Seconds after the search began, and how long the step took (warm-up and drain included). */
  startedAtSeconds: number;
  elapsedSeconds: number;
  /** The measured window (warm-up excluded). */
  measuredSeconds: number;
  /** unfinished: still running when the drain gave up; heldByCap: arrivals the in-flight cap held back. */
  counts: { intendedArrivals: number; launched: number; started: number; completed: number; failed: number; unfinished: number; heldByCap: number };
  completedPerSecond: number;
  generator: GeneratorCheck;
  thresholds: RunResult['thresholds'];
  /** Verdict fail: what broke the step (threshold expressions, then other reasons); empty otherwise. */
  brokenBy: string[];
  /** By latency group (start, e2e, start_lateness, the workload's operations): summary and encoded histogram. */
  latency: Record<string, LatencyResult>;
  cutShort: boolean;
}

/** What is known about the capacity (CapacityAnswer with absent values as null). */
export interface CapacityAnswerResult {
  kind: CapacityAnswer['kind'];
  capacity: number | null;
  lastPassingRate: number | null;
  lastPassingAchievedRate: number | null;
  firstFailingRate: number | null;
  limitedBy: string[];
  interpolatedRate: number | null;
  withinPrecision: boolean;
  clientLimitedRate: number | null;
}

/** `interrupted`: a signal stopped the search. */
export interface CapacityRunDocument extends ResultHeader {
  schemaVersion: typeof CAPACITY_SCHEMA_VERSION;
  command: 'capacity';
  workload: WorkloadResult;
  settings: {
    startRate: number;
    growthFactor: number;
    precision: number;
    maxRate: number;
    maxDurationSeconds: number | null;
    stepDurationSeconds: number;
    warmupSeconds: number;
    /** The SLO's thresholds, as expressions (`e2e.p99<2s`). */
    slo: string[];
    maxStartLatenessMs: number;
    launchedTolerance: number;
  };
  steps: CapacityStepResult[];
  answer: CapacityAnswerResult;
  /** `--expect`: the expression and whether the capacity met it; null without one. */
  expectation: { expression: string; met: boolean } | null;
  stopReason: CapacityResult['stopReason'];
  /** stopReason "error": why, in one line. */
  error: string | null;
  elapsedSeconds: number;
  serverHealth: ServerHealthResult;
}

/** What the capacity document is made of: the run layer's result and what the CLI decided. */
export interface CapacityDocumentInput extends CapacityResult {
  runId: string;
  startedAt: Date;
  endedAt: Date;
  server: CapacityRunDocument['server'];
  serverHealth: ServerHealthSnapshot;
  workload: Workload;
  config: Record<string, unknown>;
  interrupted: boolean;
  exitCode: number;
  expectation?: { expression: string; met: boolean };
  /** stopReason "error": the error's first line. */
  errorText?: string;
}

const orNull = (value: number | undefined): number | null => value ?? null;

/** A step's latencies: each group's summary joined with its encoded histogram. */
function stepLatency(step: CapacityStep): Record<string, LatencyResult> {
  const { latency, histograms } = step.measurement;
  const groups: Record<string, LatencyResult> = {};
  for (const [group, summary] of Object.entries(latency)) {
    const encoded = histograms[group];
    if (summary && encoded !== undefined) groups[group] = { unit: 'ms', ...summary, encoded };
  }
  return groups;
}

export function capacityStepResult(step: CapacityStep): CapacityStepResult {
  const { measurement } = step;
  return {
    index: step.index, phase: step.phase, targetRate: step.targetRate, achievedRate: step.achievedRate, verdict: step.verdict,
    startedAtSeconds: step.startedAtMs / 1000, elapsedSeconds: step.elapsedMs / 1000, measuredSeconds: measurement.measuredSeconds,
    counts: {
      intendedArrivals: measurement.intendedArrivals, launched: measurement.launched, started: measurement.started,
      completed: measurement.completed, failed: measurement.failed, unfinished: measurement.unfinished ?? 0, heldByCap: measurement.heldByCap ?? 0,
    },
    completedPerSecond: measurement.completedPerSecond,
    generator: step.generator,
    thresholds: thresholdRecords(step.thresholds),
    brokenBy: step.brokenBy,
    latency: stepLatency(step),
    cutShort: measurement.cutShort === true,
  };
}

export function capacityAnswerResult(answer: CapacityAnswer): CapacityAnswerResult {
  return {
    kind: answer.kind, capacity: orNull(answer.capacity), lastPassingRate: orNull(answer.lastPassingRate),
    lastPassingAchievedRate: orNull(answer.lastPassingAchievedRate), firstFailingRate: orNull(answer.firstFailingRate),
    limitedBy: answer.limitedBy, interpolatedRate: orNull(answer.interpolatedRate), withinPrecision: answer.withinPrecision,
    clientLimitedRate: orNull(answer.clientLimitedRate),
  };
}

/** Assembles the document. Pure: formats nothing for people, writes nothing. */
export function buildCapacityResult(input: CapacityDocumentInput): CapacityRunDocument {
  const { settings } = input;
  return {
    schemaVersion: CAPACITY_SCHEMA_VERSION, tool: { name: 'sched-bench', version: VERSION }, runId: input.runId, command: 'capacity',
    config: input.config, startedAt: input.startedAt.toISOString(), endedAt: input.endedAt.toISOString(),
    interrupted: input.interrupted, exitCode: input.exitCode, server: input.server, workload: workloadResult(input.workload),
    settings: {
      startRate: settings.startRate, growthFactor: settings.growthFactor, precision: settings.precision, maxRate: settings.maxRate,
      maxDurationSeconds: settings.maxDurationMs === undefined ? null : settings.maxDurationMs / 1000,
      stepDurationSeconds: settings.stepDurationMs / 1000, warmupSeconds: settings.warmupMs / 1000,
      slo: settings.slo.map((threshold) => threshold.expression),
      maxStartLatenessMs: settings.maxStartLatenessMs, launchedTolerance: settings.launchedTolerance,
    },
    steps: input.steps.map(capacityStepResult),
    answer: capacityAnswerResult(input.answer),
    expectation: input.expectation ?? null,
    stopReason: input.stopReason,
    error: input.stopReason === 'error' ? (input.errorText ?? 'unknown error') : null,
    elapsedSeconds: input.elapsedMs / 1000,
    serverHealth: serverHealthResult(input.serverHealth, input.endedAt.getTime()),
  };
}

/** The NDJSON record of one judged step (written as each step ends); its histograms are in the JSON result only. */
export function capacityStepRecord(runId: string, step: CapacityStep) {
  const { latency, ...rest } = capacityStepResult(step);
  const summaries = Object.fromEntries(Object.entries(latency).map(([group, { encoded: _encoded, unit: _unit, ...summary }]) => [group, summary]));
  return { type: 'capacity-step' as const, runId, ...rest, latency: summaries };
}

/** The NDJSON record that ends a capacity stream: the answer, why the search stopped, the exit code. */
export function capacityEndRecord(document: Pick<CapacityRunDocument, 'runId' | 'answer' | 'expectation' | 'stopReason' | 'exitCode' | 'elapsedSeconds' | 'settings'>) {
  return {
    type: 'capacity-end' as const, runId: document.runId, answer: document.answer, expectation: document.expectation,
    slo: document.settings.slo, stopReason: document.stopReason, exitCode: document.exitCode, elapsedSeconds: document.elapsedSeconds,
  };
}
