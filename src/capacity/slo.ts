import { UsageError } from '../errors.js';
import { latencyMetricParts, parseThreshold, type Threshold } from '../metrics/thresholds.js';

/** The count metrics that grow with the load, so an upper bound on them can be an SLO. */
const LOAD_BOUND_COUNTS = ['failed.rate', 'failed.count'];

/**
 * Refuses thresholds that cannot serve as an SLO. The search assumes a step passes at low rates and
 * fails past some rate; only an upper bound (< or <=) on what grows with the load (a latency, failures)
 * behaves so. `throughput>50` fails at low rates and passes at high ones; schedule counts are not
 * measured by a load step at all.
 */
export function checkSlo(slo: readonly Threshold[]): void {
  if (slo.length === 0) throw new UsageError('the SLO is empty: give at least one threshold, such as e2e.p99<2s');
  for (const threshold of slo) {
    const growsWithLoad = latencyMetricParts(threshold.metric) !== undefined || LOAD_BOUND_COUNTS.includes(threshold.metric);
    const upperBound = threshold.operator === '<' || threshold.operator === '<=';
    if (growsWithLoad && upperBound) continue;
    throw new UsageError(
      `bad SLO "${threshold.expression}": an SLO bounds from above (< or <=) what grows with the load: ` +
        `a latency such as e2e.p99, or ${LOAD_BOUND_COUNTS.join(', ')}`,
    );
  }
}

/**
 * Parses an SLO such as `e2e.p99<2s,failed.rate<0.1%`: thresholds in the --threshold grammar,
 * separated by `,` or `;` (no limit contains either: numbers are plain decimals). Empty parts are
 * ignored; a UsageError names the bad part.
 */
export function parseSlo(text: string): Threshold[] {
  const slo = text.split(/[,;]/).filter((part) => part.trim() !== '').map(parseThreshold);
  checkSlo(slo);
  return slo;
}
