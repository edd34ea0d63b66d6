/** The median of `values` (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/**
 * The p-th percentile (0 to 100) by the nearest-rank method: the smallest value such that at
 * least p% of the values are at or below it. Used where the lab times things itself (the
 * fsync ceiling); load generators report their own percentiles.
 */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  if (p < 0 || p > 100) throw new RangeError(`percentile ${p} is outside 0..100`);
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] as number;
}

/** `value / base`, or null when there is no base to compare with. */
export function ratio(value: number, base: number | undefined): number | null {
  return base && Number.isFinite(base) && base > 0 ? value / base : null;
}

/** A measured value as a band: its samples' range, and at least ±`noise` (a share) of it. */
export function bandAround(
  value: number,
  samples: readonly number[],
  noise: number,
): { value: number; low: number; high: number } {
  const low = Math.min(...samples, value * (1 - noise));
  return { value, low, high: Math.max(...samples, value * (1 + noise)) };
}
