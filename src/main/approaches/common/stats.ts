// Small statistics shared by the approaches: tail-mean aggregation and z-score normalisation.

/** Mean of the top ceil(q * n) values (q in (0, 1]): the clip score of a patch anomaly map. */
export function topQuantileMean(values: ArrayLike<number>, q: number): number {
  const n = values.length;
  if (n === 0) throw new Error('topQuantileMean: values is empty');
  if (!(q > 0 && q <= 1)) throw new Error(`topQuantileMean: q must be in (0, 1], got ${q}`);
  // the small epsilon keeps q * n = 7.000000000000001 (0.07 * 100) from rounding up to 8
  const k = Math.min(n, Math.max(1, Math.ceil(q * n - 1e-9)));
  const sorted = Float64Array.from(values as ArrayLike<number>);
  for (let i = 0; i < n; i++) if (Number.isNaN(sorted[i])) throw new Error(`topQuantileMean: values[${i}] is NaN`);
  sorted.sort();
  let s = 0;
  for (let i = n - k; i < n; i++) s += sorted[i];
  return s / k;
}

export interface ZStats {
  mean: number;
  std: number;
  n: number;
}

/** Mean and standard deviation (divisor n - ddof; two-pass for accuracy). */
export function zScoreStats(values: ArrayLike<number>, ddof = 0): ZStats {
  const n = values.length;
  if (n - ddof < 1) throw new Error(`zScoreStats: need more than ddof=${ddof} values, got ${n}`);
  let s = 0;
  for (let i = 0; i < n; i++) s += values[i];
  const mean = s / n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (values[i] - mean) ** 2;
  return { mean, std: Math.sqrt(ss / (n - ddof)), n };
}

/**
 * For each i, mean and std of all values except i, in O(n) by downdating the sums;
 * used to z-score a training value without letting it shape its own scale.
 */
export function leaveOneOutZStats(values: ArrayLike<number>, ddof = 0): { mean: Float64Array; std: Float64Array } {
  const n = values.length;
  if (n - 1 - ddof < 1) throw new Error(`leaveOneOutZStats: need more than ${ddof + 1} values, got ${n}`);
  const all = zScoreStats(values, 0);
  const ssAll = all.std * all.std * n;
  const mean = new Float64Array(n);
  const std = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const d = values[i] - all.mean;
    mean[i] = all.mean - d / (n - 1);
    // removing x_i from a set with mean mu lowers the sum of squares by (x_i - mu)^2 * n / (n - 1)
    const ss = Math.max(0, ssAll - (d * d * n) / (n - 1));
    std[i] = Math.sqrt(ss / (n - 1 - ddof));
  }
  return { mean, std };
}

/** (x - mean) / std, with std floored so a constant reference set does not divide by zero. */
export function zScore(x: number, s: { mean: number; std: number }, minStd = 1e-9): number {
  return (x - s.mean) / Math.max(s.std, minStd);
}
