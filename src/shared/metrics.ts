// Detection metrics with the DCASE Task 2 evaluator's semantics (sklearn roc_curve /
// roc_auc_score, scipy hmean): ROC points, AUC, McClish-standardised pAUC, per-domain
// section figures, official score and stratified bootstrap intervals (ALGORITHMS.md, Metrics).
// Pure: no Node, no DOM. Labels: 1 = anomaly (positive class), 0 = normal.
import type { Domain } from './domain';
import { createRandom } from './random';

/** Bad input to a metric: names the function, the field and the reason. */
export class MetricError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MetricError';
  }
}

export interface RocCurve {
  /** false-positive rate, ascending from 0 to 1 */
  fpr: Float64Array;
  /** true-positive rate, ascending from 0 to 1 */
  tpr: Float64Array;
  /** score threshold of each point (score >= threshold is called anomalous); thresholds[0] = +Infinity */
  thresholds: Float64Array;
}

// ---------------------------------------------------------------- input checks

/** Scores of each class, each sorted ascending. */
interface Classes {
  normals: Float64Array;
  anomalies: Float64Array;
}

function splitClasses(fn: string, labels: ArrayLike<number>, scores: ArrayLike<number>): Classes {
  if (labels.length !== scores.length) {
    throw new MetricError(`${fn}: labels and scores differ in length (${labels.length} labels, ${scores.length} scores)`);
  }
  let nA = 0;
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i];
    if (y === 1) nA++;
    else if (y !== 0) throw new MetricError(`${fn}: label at index ${i} is ${y}; expected 0 (normal) or 1 (anomaly)`);
    const s = scores[i];
    if (!Number.isFinite(s)) throw new MetricError(`${fn}: score at index ${i} is ${s}; scores must be finite numbers`);
  }
  const nN = labels.length - nA;
  if (nA === 0 || nN === 0) {
    throw new MetricError(
      `${fn}: needs both classes, got ${nN} normal and ${nA} anomalous clip(s); ROC AUC is not defined with one class`,
    );
  }
  const normals = new Float64Array(nN);
  const anomalies = new Float64Array(nA);
  for (let i = 0, a = 0, n = 0; i < labels.length; i++) {
    if (labels[i] === 1) anomalies[a++] = scores[i];
    else normals[n++] = scores[i];
  }
  // numeric typed-array sort: O(n log n) without a comparator; -0 and +0 compare equal below
  normals.sort();
  anomalies.sort();
  return { normals, anomalies };
}

function checkMaxFpr(fn: string, maxFpr: number): void {
  if (!(maxFpr > 0 && maxFpr <= 1)) throw new MetricError(`${fn}: maxFpr must be in (0, 1], got ${maxFpr}`);
}

// ---------------------------------------------------------------- the curve walk

/** Cumulative counts at each distinct threshold, highest score first (sklearn's _binary_clf_curve). */
interface CurvePoints {
  fp: Float64Array;
  tp: Float64Array;
  /** the threshold (score value) of each point */
  thr: Float64Array;
  /** number of points; arrays may be longer (reused buffers) */
  m: number;
  /** totals: normals N and anomalies P (weighted) */
  N: number;
  P: number;
}

function curveBuffers(size: number): Pick<CurvePoints, 'fp' | 'tp' | 'thr'> {
  return { fp: new Float64Array(size), tp: new Float64Array(size), thr: new Float64Array(size) };
}

/**
 * Walks both ascending arrays from the top down, one point per distinct score, with optional
 * integer multiplicities (bootstrap resamples: a value of weight 0 is not in the resample).
 * Plain loops into typed arrays: no per-point callback, no boxed doubles.
 */
function curve(
  normals: Float64Array,
  wN: Uint32Array | null,
  anomalies: Float64Array,
  wA: Uint32Array | null,
  buf: Pick<CurvePoints, 'fp' | 'tp' | 'thr'> = curveBuffers(normals.length + anomalies.length),
): CurvePoints {
  const { fp: fpOut, tp: tpOut, thr } = buf;
  let i = normals.length - 1;
  let j = anomalies.length - 1;
  let fp = 0;
  let tp = 0;
  let m = 0;
  while (i >= 0 || j >= 0) {
    const v = i < 0 ? anomalies[j] : j < 0 ? normals[i] : normals[i] > anomalies[j] ? normals[i] : anomalies[j];
    const fp0 = fp;
    const tp0 = tp;
    if (wN === null) {
      while (i >= 0 && normals[i] === v) {
        fp++;
        i--;
      }
    } else {
      while (i >= 0 && normals[i] === v) fp += wN[i--];
    }
    if (wA === null) {
      while (j >= 0 && anomalies[j] === v) {
        tp++;
        j--;
      }
    } else {
      while (j >= 0 && anomalies[j] === v) tp += wA[j--];
    }
    if (fp !== fp0 || tp !== tp0) {
      fpOut[m] = fp;
      tpOut[m] = tp;
      thr[m] = v;
      m++;
    }
  }
  return { fp: fpOut, tp: tpOut, thr, m, N: fp, P: tp };
}

/** Full AUC: trapezoid over integer counts (exact rational until the final division). */
function aucOf(c: CurvePoints): number {
  const { fp, tp, m } = c;
  let area2 = 0; // twice the area in count units
  let fp0 = 0;
  let tp0 = 0;
  for (let k = 0; k < m; k++) {
    area2 += (fp[k] - fp0) * (tp[k] + tp0);
    fp0 = fp[k];
    tp0 = tp[k];
  }
  return area2 / 2 / (c.N * c.P);
}

/** sklearn roc_auc_score(max_fpr): partial area up to maxFpr, interpolated, McClish-standardised. */
function paucOf(c: CurvePoints, maxFpr: number): number {
  if (maxFpr === 1) return aucOf(c);
  const { fp, tp, m, N, P } = c;
  let area = 0;
  let x0 = 0;
  let y0 = 0;
  for (let k = 0; k < m; k++) {
    const x = fp[k] / N;
    const y = tp[k] / P;
    if (x <= maxFpr) {
      area += ((x - x0) * (y + y0)) / 2;
      x0 = x;
      y0 = y;
      continue;
    }
    // first point past maxFpr: close the area with the interpolated point (np.interp)
    const yp = y0 + ((y - y0) * (maxFpr - x0)) / (x - x0);
    area += ((maxFpr - x0) * (yp + y0)) / 2;
    break;
  }
  const minArea = 0.5 * maxFpr * maxFpr;
  return 0.5 * (1 + (area - minArea) / (maxFpr - minArea));
}

// ---------------------------------------------------------------- public metrics

/**
 * sklearn.metrics.roc_curve(labels, scores) with drop_intermediate=True: one point per
 * distinct score, collinear intermediate points dropped, (0, 0) at threshold +Infinity first.
 */
export function rocCurve(labels: ArrayLike<number>, scores: ArrayLike<number>): RocCurve {
  const { normals, anomalies } = splitClasses('rocCurve', labels, scores);
  const { fp: fps, tp: tps, thr, m, N, P } = curve(normals, null, anomalies, null);
  let keep: number[];
  if (m > 2) {
    // drop a point when both counts change linearly through it (second difference zero)
    keep = [0];
    for (let k = 1; k < m - 1; k++) {
      if (fps[k + 1] - 2 * fps[k] + fps[k - 1] !== 0 || tps[k + 1] - 2 * tps[k] + tps[k - 1] !== 0) keep.push(k);
    }
    keep.push(m - 1);
  } else {
    keep = m === 2 ? [0, 1] : [0];
  }
  const fpr = new Float64Array(keep.length + 1);
  const tpr = new Float64Array(keep.length + 1);
  const thresholds = new Float64Array(keep.length + 1);
  thresholds[0] = Infinity;
  keep.forEach((k, o) => {
    fpr[o + 1] = fps[k] / N;
    tpr[o + 1] = tps[k] / P;
    thresholds[o + 1] = thr[k];
  });
  return { fpr, tpr, thresholds };
}

/** sklearn roc_auc_score(labels, scores): area under the full ROC curve, ties as half. */
export function auc(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  const { normals, anomalies } = splitClasses('auc', labels, scores);
  return aucOf(curve(normals, null, anomalies, null));
}

/** sklearn roc_auc_score(labels, scores, max_fpr): McClish-standardised partial AUC (0.5 = random). */
export function pauc(labels: ArrayLike<number>, scores: ArrayLike<number>, maxFpr = 0.1): number {
  checkMaxFpr('pauc', maxFpr);
  const { normals, anomalies } = splitClasses('pauc', labels, scores);
  return paucOf(curve(normals, null, anomalies, null), maxFpr);
}

// ---------------------------------------------------------------- section figures

export interface ScoredClip {
  /** null when the domain is unknown: such clips count only in the all-clips pAUC */
  domain: Domain | null;
  label: 0 | 1;
  score: number;
}

export interface SectionMetrics {
  /** AUC over source normals + all anomalies; null when the section has no source normals or no anomalies */
  aucSource: number | null;
  aucTarget: number | null;
  /** pAUC (maxFpr) over every clip of the section: the DCASE figure */
  pauc: number | null;
  /** pAUC over the same clips as aucSource / aucTarget (for a per-domain KPI gate) */
  paucSource: number | null;
  paucTarget: number | null;
  counts: { sourceNormal: number; targetNormal: number; unknownNormal: number; sourceAnomaly: number; targetAnomaly: number; unknownAnomaly: number };
}

/**
 * DCASE per-section figures (ALGORITHMS.md, Metrics). A figure whose clip set lacks a class
 * is null rather than an error, so a section with labels for one domain still reports the other.
 */
export function domainAucs(clips: readonly ScoredClip[], maxFpr = 0.1): SectionMetrics {
  checkMaxFpr('domainAucs', maxFpr);
  const counts = { sourceNormal: 0, targetNormal: 0, unknownNormal: 0, sourceAnomaly: 0, targetAnomaly: 0, unknownAnomaly: 0 };
  clips.forEach((c, i) => {
    if (c.label !== 0 && c.label !== 1) throw new MetricError(`domainAucs: clip ${i} has label ${String(c.label)}; expected 0 or 1`);
    if (c.domain !== 'source' && c.domain !== 'target' && c.domain !== null) {
      throw new MetricError(`domainAucs: clip ${i} has domain ${String(c.domain)}; expected 'source', 'target' or null`);
    }
    if (!Number.isFinite(c.score)) throw new MetricError(`domainAucs: clip ${i} has score ${c.score}; scores must be finite numbers`);
    const key = `${c.domain ?? 'unknown'}${c.label === 1 ? 'Anomaly' : 'Normal'}` as const;
    counts[key]++;
  });
  const anomalies = clips.filter((c) => c.label === 1);
  const subset = (d: Domain): { y: number[]; s: number[] } | null => {
    const normals = clips.filter((c) => c.label === 0 && c.domain === d);
    if (normals.length === 0 || anomalies.length === 0) return null;
    const all = [...normals, ...anomalies];
    return { y: all.map((c) => c.label), s: all.map((c) => c.score) };
  };
  const src = subset('source');
  const tgt = subset('target');
  const hasBoth = anomalies.length > 0 && anomalies.length < clips.length;
  return {
    aucSource: src ? auc(src.y, src.s) : null,
    aucTarget: tgt ? auc(tgt.y, tgt.s) : null,
    pauc: hasBoth ? pauc(clips.map((c) => c.label), clips.map((c) => c.score), maxFpr) : null,
    paucSource: src ? pauc(src.y, src.s, maxFpr) : null,
    paucTarget: tgt ? pauc(tgt.y, tgt.s, maxFpr) : null,
    counts,
  };
}

// ---------------------------------------------------------------- means and the official score

function checkValues(fn: string, values: readonly number[]): void {
  if (values.length === 0) throw new MetricError(`${fn}: needs at least one value`);
  values.forEach((v, i) => {
    if (!Number.isFinite(v)) throw new MetricError(`${fn}: value at index ${i} is ${v}; expected a finite number`);
  });
}

export function arithmeticMean(values: readonly number[]): number {
  checkValues('arithmeticMean', values);
  let s = 0;
  for (const v of values) s += v;
  return s / values.length;
}

/** Harmonic mean of non-negative values (0 if any value is 0, as its limit). */
export function harmonicMean(values: readonly number[]): number {
  checkValues('harmonicMean', values);
  let s = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < 0) throw new MetricError(`harmonicMean: value at index ${i} is ${v}; the harmonic mean needs non-negative values`);
    if (v === 0) return 0;
    s += 1 / v;
  }
  return values.length / s;
}

/** DCASE official score: harmonic mean of every AUC(source), AUC(target) and pAUC, each clamped below at machine epsilon. */
export function officialScore(values: readonly number[]): number {
  checkValues('officialScore', values);
  return harmonicMean(values.map((v) => Math.max(v, Number.EPSILON)));
}

export interface ScoreSummary {
  /** harmonic mean of all AUC(source), AUC(target) and pAUC figures (eps-clamped) */
  official: number;
  hmeanAucSource: number | null;
  hmeanAucTarget: number | null;
  hmeanPauc: number | null;
  /** arithmetic mean of all AUC(source) and AUC(target) figures */
  ameanAuc: number | null;
  /** how many figures entered `official`; null figures are left out */
  figures: number;
}

/** Summary over sections (machine types x sections) as the DCASE evaluator reports it. */
export function scoreSummary(sections: readonly Pick<SectionMetrics, 'aucSource' | 'aucTarget' | 'pauc'>[]): ScoreSummary {
  const pick = (k: 'aucSource' | 'aucTarget' | 'pauc') => sections.map((s) => s[k]).filter((v): v is number => v !== null);
  const src = pick('aucSource');
  const tgt = pick('aucTarget');
  const pa = pick('pauc');
  const all = [...src, ...tgt, ...pa];
  if (all.length === 0) throw new MetricError('scoreSummary: no section has a computable AUC or pAUC');
  const h = (v: number[]) => (v.length ? officialScore(v) : null);
  return {
    official: officialScore(all),
    hmeanAucSource: h(src),
    hmeanAucTarget: h(tgt),
    hmeanPauc: h(pa),
    ameanAuc: src.length + tgt.length ? arithmeticMean([...src, ...tgt]) : null,
    figures: all.length,
  };
}

// ---------------------------------------------------------------- quantiles and bootstrap

/** numpy.quantile(sorted, q) with the default 'linear' method; `sorted` must be ascending. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) throw new MetricError('quantile: needs at least one value');
  if (!(q >= 0 && q <= 1)) throw new MetricError(`quantile: q must be in [0, 1], got ${q}`);
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  const t = h - lo;
  const a = sorted[lo];
  const b = sorted[hi];
  // numpy's _lerp: interpolate from the nearer end so q = 1 returns b exactly
  return t >= 0.5 ? b - (b - a) * (1 - t) : a + (b - a) * t;
}

export type BootstrapMetric = 'auc' | 'pauc' | ((labels: Uint8Array, scores: Float64Array) => number);

export interface BootstrapOptions {
  /** replicates (default 1000) */
  n?: number;
  /** two-sided level: the interval covers 1 - alpha (default 0.05) */
  alpha?: number;
  /** PRNG seed (default 0): the same seed gives the same interval */
  seed?: number;
  /** for 'pauc' (default 0.1) */
  maxFpr?: number;
}

export interface BootstrapInterval {
  estimate: number;
  lower: number;
  upper: number;
  alpha: number;
  n: number;
  seed: number;
}

/**
 * Stratified bootstrap replicates: normals and anomalies are resampled separately (sizes kept),
 * so every replicate has both classes. Built-in metrics run on resample counts over the
 * pre-sorted scores, O(n) per replicate with no re-sorting.
 */
export function bootstrapReplicates(
  labels: ArrayLike<number>,
  scores: ArrayLike<number>,
  metric: BootstrapMetric,
  opts: BootstrapOptions = {},
): Float64Array {
  const n = opts.n ?? 1000;
  const seed = opts.seed ?? 0;
  const maxFpr = opts.maxFpr ?? 0.1;
  if (!Number.isInteger(n) || n < 1) throw new MetricError(`bootstrap: n must be a positive integer, got ${n}`);
  if (!Number.isSafeInteger(seed)) throw new MetricError(`bootstrap: seed must be a safe integer, got ${seed}`);
  if (metric === 'pauc') checkMaxFpr('bootstrap', maxFpr);
  if (metric !== 'auc' && metric !== 'pauc' && typeof metric !== 'function') {
    throw new MetricError(`bootstrap: metric must be 'auc', 'pauc' or a function, got ${String(metric)}`);
  }
  const { normals, anomalies } = splitClasses('bootstrap', labels, scores);
  const nN = normals.length;
  const nA = anomalies.length;
  const wN = new Uint32Array(nN);
  const wA = new Uint32Array(nA);
  const rng = createRandom(seed);
  const out = new Float64Array(n);
  const buf = curveBuffers(nN + nA);
  const y = typeof metric === 'function' ? new Uint8Array(nN + nA).fill(1, nN) : null;
  const s = typeof metric === 'function' ? new Float64Array(nN + nA) : null;
  for (let r = 0; r < n; r++) {
    wN.fill(0);
    wA.fill(0);
    for (let k = 0; k < nN; k++) wN[rng.int(nN)]++;
    for (let k = 0; k < nA; k++) wA[rng.int(nA)]++;
    if (metric === 'auc') out[r] = aucOf(curve(normals, wN, anomalies, wA, buf));
    else if (metric === 'pauc') out[r] = paucOf(curve(normals, wN, anomalies, wA, buf), maxFpr);
    else {
      // materialise the resample for a caller-supplied metric
      let o = 0;
      for (let k = 0; k < nN; k++) for (let c = 0; c < wN[k]; c++) s![o++] = normals[k];
      for (let k = 0; k < nA; k++) for (let c = 0; c < wA[k]; c++) s![o++] = anomalies[k];
      out[r] = metric(y!, s!);
    }
  }
  return out;
}

/** Percentile bootstrap interval of a metric (stratified, seeded, deterministic). */
export function bootstrapCi(
  labels: ArrayLike<number>,
  scores: ArrayLike<number>,
  metric: BootstrapMetric,
  opts: BootstrapOptions = {},
): BootstrapInterval {
  const alpha = opts.alpha ?? 0.05;
  if (!(alpha > 0 && alpha < 1)) throw new MetricError(`bootstrapCi: alpha must be in (0, 1), got ${alpha}`);
  const reps = bootstrapReplicates(labels, scores, metric, opts);
  reps.sort();
  const maxFpr = opts.maxFpr ?? 0.1;
  let estimate: number;
  if (metric === 'auc') estimate = auc(labels, scores);
  else if (metric === 'pauc') estimate = pauc(labels, scores, maxFpr);
  else {
    const y = Uint8Array.from(labels);
    estimate = metric(y, Float64Array.from(scores));
  }
  return {
    estimate,
    lower: quantileSorted(reps, alpha / 2),
    upper: quantileSorted(reps, 1 - alpha / 2),
    alpha,
    n: reps.length,
    seed: opts.seed ?? 0,
  };
}
