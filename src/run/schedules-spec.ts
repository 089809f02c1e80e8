import type { Threshold } from '../metrics/thresholds.js';
import type { LoadModel } from '../shared/run-stats.js';
import type { Workload } from '../scheduler/types.js';
import type { FireSpec, OverlapPolicyName } from '../shared/schedule-types.js';
import type { EchoWorkflowInput } from '../../workflows/echo.js';
import type { SessionSpec } from './session.js';

/** The server's smallest catch-up window; it silently raises shorter ones. */
export const MIN_CATCHUP_WINDOW_SECONDS = 10;

/** Everything a Temporal Schedules benchmark does, every default decided. Times in seconds unless named `…Ms`. */
export interface SchedulesSpec extends SessionSpec {
  /** Generated when absent. */
  runId?: string;
  /** How many schedules, each firing `fire`, inside the same window. */
  schedules: number;
  fire: FireSpec;
  /** The window: this many fires per schedule, or this long (at least one of the two). */
  fires?: number;
  duration?: number;
  jitter: number;
  overlap: OverlapPolicyName;
  /** Unset: the server's default. At least MIN_CATCHUP_WINDOW_SECONDS. */
  catchupWindow?: number;
  /** A schedule with the same id already there: fail, or reuse it when its spec is the same. */
  onConflict: 'fail' | 'reuse';
  /** What each fired EchoWorkflow gets. */
  input: EchoWorkflowInput;
  reportInterval: number;
  /** A load started directly beside the schedules, so fire lag is measured on a busy cluster. */
  directLoad?: { loadModel: LoadModel; wait: boolean; workload: Workload };
  thresholds: readonly Threshold[];
}
