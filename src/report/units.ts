/** A duration in human units, chosen per value: 850µs, 12.3ms, 1.23s, 2m03s, 1h02m. */
export function formatMillis(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms < 1) return `${Math.round(ms * 1000)}µs`;
  if (ms < 1000) return `${threeDigits(ms)}ms`;
  if (ms < 60_000) return `${threeDigits(ms / 1000)}s`;
  const totalSeconds = Math.round(ms / 1000);
  if (totalSeconds < 3600) return `${Math.floor(totalSeconds / 60)}m${pad2(totalSeconds % 60)}s`;
  const totalMinutes = Math.round(totalSeconds / 60);
  return `${Math.floor(totalMinutes / 60)}h${pad2(totalMinutes % 60)}m`;
}

/** Three significant digits, without trailing zeros beyond them: 1.23, 12.3, 123. */
function threeDigits(value: number): string {
  if (value >= 100) return value.toFixed(0);
  if (value >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

function pad2(value: number): string {
  return String(value).padStart(2, '0');
}

/** A plain number for tables: integers as they are, fractions to two decimals. */
export function formatNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}
