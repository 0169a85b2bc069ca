/**
 * The statistics behind the metrics. Pure functions; the SQL that aggregates a run returns counts,
 * and these turn counts into rates and intervals, so both database modes share one arithmetic.
 */

/** z for a two-sided 95% interval. */
export const Z95 = 1.959963984540054;

/**
 * Wilson score interval for a proportion (successes out of n), 95% by default. Unlike the normal
 * approximation it stays inside [0, 1] and is honest at 0/n and n/n and for small samples, which is
 * what a run of 30 answers is. [0, 1] when n is 0: nothing is known.
 */
export function wilsonInterval(successes: number, n: number, z = Z95): [number, number] {
  if (!Number.isFinite(n) || n <= 0) return [0, 1];
  const k = Math.min(Math.max(successes, 0), n);
  const p = k / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denom;
  // At 0/n and n/n the bound is exactly 0 or 1; floating point would leave it a hair inside.
  return [k === 0 ? 0 : Math.max(0, centre - half), k === n ? 1 : Math.min(1, centre + half)];
}

/** Two intervals share a point: a change between them is within the noise of the samples. */
export const intervalsOverlap = (a: [number, number], b: [number, number]): boolean => a[0] <= b[1] && b[0] <= a[1];

/**
 * Share of voice: the brand's mentions over all tracked brands' mentions (brand + competitors),
 * each counted once per answer. 0 when no tracked brand is mentioned at all.
 */
export function shareOfVoice(brandMentions: number, allTrackedMentions: number): number {
  return allTrackedMentions > 0 ? brandMentions / allTrackedMentions : 0;
}

/** Linear-interpolation percentile (PostgreSQL's percentile_cont), p in [0, 1]; null for no values. */
export function percentile(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const v = [...values].sort((a, b) => a - b);
  const at = (v.length - 1) * Math.min(Math.max(p, 0), 1);
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return v[lo] + (v[hi] - v[lo]) * (at - lo);
}

export const ratio = (num: number, den: number): number | null => (den > 0 ? num / den : null);

/** Rounded for the wire: 4 decimals for rates, enough to tell 0.1% steps apart. */
export const round = (x: number | null, digits = 4): number | null => (x === null || !Number.isFinite(x) ? null : Math.round(x * 10 ** digits) / 10 ** digits);
