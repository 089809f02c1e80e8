import type { MixPart } from './workload.js';

/**
 * A seeded uniform source in [0, 1) (mulberry32): the same seed gives the same sequence, so a mix's
 * draws are reproducible in tests and between runs.
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Draws parts in proportion to their weights (which need not sum to 100). */
export function weightedPicker<T extends Pick<MixPart, 'weight'>>(parts: readonly T[], random: () => number): () => T {
  if (parts.length === 0) throw new RangeError('a mix needs at least one part');
  const total = parts.reduce((sum, part) => sum + part.weight, 0);
  if (!(total > 0)) throw new RangeError('a mix needs a weight > 0');
  const bounds: number[] = [];
  let cumulative = 0;
  for (const part of parts) {
    cumulative += part.weight / total;
    bounds.push(cumulative);
  }
  return () => {
    const draw = random();
    for (let i = 0; i < bounds.length - 1; i++) if (draw < bounds[i]!) return parts[i]!;
    return parts[parts.length - 1]!;
  };
}
