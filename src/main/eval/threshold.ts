// Decision thresholds: the DCASE baseline's gamma rule (0.9 quantile of a gamma distribution
// fitted to training-normal scores), an empirical quantile, and a site-noise calibration.
// The gamma special functions live here because nothing else needs them; all are pure.
import { quantileSorted } from '../../shared/metrics';

export interface GammaParams {
  shape: number;
  loc: number;
  scale: number;
}

// ---------------------------------------------------------------- special functions

const LN_SQRT_2PI = 0.9189385332046728; // ln(sqrt(2 pi))
const LOG_XMAX = Math.log(Number.MAX_VALUE);

/** lgamma(a) - Stirling's approximation, by its asymptotic series (a >= 10: error < 1e-17). */
function stirlingSeries(a: number): number {
  const r = 1 / a;
  const r2 = r * r;
  return r * (1 / 12 - r2 * (1 / 360 - r2 * (1 / 1260 - r2 * (1 / 1680 - r2 * (1 / 1188 - r2 * (691 / 360360 - r2 / 156))))));
}

/** ln Gamma(a) for a > 0: Stirling series above 10, upward recurrence below. */
export function lgamma(a: number): number {
  if (!(a > 0)) throw new RangeError(`lgamma: argument must be positive, got ${a}`);
  if (a >= 10) return (a - 0.5) * Math.log(a) - a + LN_SQRT_2PI + stirlingSeries(a);
  let prod = 1;
  let z = a;
  while (z < 10) prod *= z++;
  return (z - 0.5) * Math.log(z) - z + LN_SQRT_2PI + stirlingSeries(z) - Math.log(prod);
}

/** ln(1 + t) - t for |t| <= 0.1, by its series (no cancellation near t = 0). */
function log1pmx(t: number): number {
  // -t^2/2 + t^3/3 - ... ; |t| <= 0.1 needs at most ~16 terms
  let term = t;
  let sum = 0;
  for (let k = 2; k < 60; k++) {
    term *= -t;
    const add = term / k;
    sum += add;
    if (Math.abs(add) <= 1e-17 * Math.abs(sum)) break;
  }
  return sum;
}

/** ln(x^a e^-x / Gamma(a)), stable for large a (no cancellation of a ln x against lgamma). */
function logGammaKernel(a: number, x: number): number {
  if (a < 10) return a * Math.log(x) - x - lgamma(a);
  const t = (x - a) / a;
  // near the mode a ln(1 + t) - a t cancels: use the series; far from it 1 + t would lose x's digits
  const body = Math.abs(t) <= 0.1 ? a * log1pmx(t) : a * Math.log(x / a) - (x - a);
  return body + 0.5 * Math.log(a) - LN_SQRT_2PI - stirlingSeries(a);
}

interface IncGamma {
  p: number;
  q: number;
  /** x^a e^-x / Gamma(a), i.e. x times the standard gamma density */
  kernel: number;
}

/** Regularised incomplete gammas P(a, x) and Q(a, x): series below x = a + 1, continued fraction above. */
function incompleteGamma(a: number, x: number): IncGamma {
  if (!(a > 0)) throw new RangeError(`incomplete gamma: shape must be positive, got ${a}`);
  if (Number.isNaN(x)) throw new RangeError('incomplete gamma: x is NaN');
  if (x <= 0) return { p: 0, q: 1, kernel: 0 };
  if (x === Infinity) return { p: 1, q: 0, kernel: 0 };
  const kernel = Math.exp(logGammaKernel(a, x));
  // series and fraction both need O(sqrt(a)) steps near the mode
  const maxIter = 1000 + Math.ceil(50 * Math.sqrt(a));
  if (x < a + 1) {
    // P = kernel / a * sum_n x^n / ((a+1)...(a+n))
    let term = 1;
    let sum = 1;
    for (let n = 1; n < maxIter; n++) {
      term *= x / (a + n);
      sum += term;
      if (term <= sum * 1e-17) {
        const p = Math.min(1, (kernel / a) * sum);
        return { p, q: 1 - p, kernel };
      }
    }
    throw new Error(`incomplete gamma: series did not converge for a=${a}, x=${x}`);
  }
  // Q = kernel / (x+1-a - 1(1-a)/(x+3-a - 2(2-a)/(x+5-a - ...))), modified Lentz
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let n = 1; n < maxIter; n++) {
    const an = -n * (n - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) <= 1e-16) {
      const q = Math.min(1, kernel * h);
      return { p: 1 - q, q, kernel };
    }
  }
  throw new Error(`incomplete gamma: continued fraction did not converge for a=${a}, x=${x}`);
}

/** Regularised lower incomplete gamma P(a, x) = scipy.special.gammainc. */
export function gammaP(a: number, x: number): number {
  return incompleteGamma(a, x).p;
}

/** Regularised upper incomplete gamma Q(a, x) = scipy.special.gammaincc. */
export function gammaQ(a: number, x: number): number {
  return incompleteGamma(a, x).q;
}

/** Standard normal quantile, Abramowitz-Stegun 26.2.23 (|error| < 4.5e-4): a starting point only. */
function roughNormalQuantile(p: number): number {
  const pp = p < 0.5 ? p : 1 - p;
  const t = Math.sqrt(-2 * Math.log(pp));
  const z = t - (2.515517 + t * (0.802853 + t * 0.010328)) / (1 + t * (1.432788 + t * (0.189269 + t * 0.001308)));
  return p < 0.5 ? -z : z;
}

/**
 * Inverse of P(a, .) = scipy.special.gammaincinv. Newton on ln(tail) against ln x, with a
 * bracket: the lower tail P is nearly linear in ln x, the upper tail Q is concave, so the
 * iteration converges from any start; the smaller tail is used so the target keeps full precision.
 */
export function gammaIncInv(a: number, q: number): number {
  if (!(a > 0)) throw new RangeError(`gammaIncInv: shape must be positive, got ${a}`);
  if (!(q >= 0 && q <= 1)) throw new RangeError(`gammaIncInv: probability must be in [0, 1], got ${q}`);
  if (q === 0) return 0;
  if (q === 1) return Infinity;
  const lower = q <= 0.5;
  const target = lower ? q : 1 - q;
  const lnTarget = Math.log(target);
  // h(u) = ln tail(e^u) - ln target: increasing in u for the lower tail, decreasing for the upper
  const h = (u: number): { h: number; slope: number } => {
    const g = incompleteGamma(a, Math.exp(u));
    const tail = lower ? g.p : g.q;
    if (tail === 0) return { h: -Infinity, slope: NaN };
    return { h: Math.log(tail) - lnTarget, slope: (lower ? 1 : -1) * (g.kernel / tail) };
  };

  // starting points: lower-tail power law, Wilson-Hilferty, upper-tail exponential; keep the best
  const starts: number[] = [(Math.log(q) + lgamma(a + 1)) / a];
  // deep lower tail with a small shape: the power law is exact there, and x underflows to 0
  if (lower && starts[0] < Math.log(Number.MIN_VALUE)) return 0;
  const z = roughNormalQuantile(q);
  const wh = 1 - 1 / (9 * a) + z / (3 * Math.sqrt(a));
  if (wh > 0) starts.push(Math.log(a) + 3 * Math.log(wh));
  if (!lower) {
    let x = Math.max(1, -Math.log(target) - lgamma(a));
    for (let k = 0; k < 3; k++) x = Math.max(1e-3, -Math.log(target) - lgamma(a) + (a - 1) * Math.log(x));
    starts.push(Math.log(x));
  }
  let u = starts[0];
  let cur = h(u);
  for (const s of starts.slice(1)) {
    const c = h(s);
    if (Math.abs(c.h) < Math.abs(cur.h)) {
      u = s;
      cur = c;
    }
  }

  let lo = -Infinity; // u below the root
  let hi = Infinity; // u above the root
  for (let iter = 0; iter < 200; iter++) {
    if (cur.h === 0) return Math.exp(u);
    const below = lower ? cur.h < 0 : cur.h > 0;
    if (below) lo = u;
    else hi = u;
    let next = Number.isFinite(cur.h) && Number.isFinite(cur.slope) && cur.slope !== 0 ? u - cur.h / cur.slope : NaN;
    if (!(next > lo && next < hi)) {
      // Newton left the bracket (or the tail underflowed): bisect in ln x, or step out by e^2
      next = Number.isFinite(lo) && Number.isFinite(hi) ? 0.5 * (lo + hi) : Number.isFinite(lo) ? lo + 2 : hi - 2;
    }
    if (Math.abs(next - u) <= 4e-16 * Math.max(1, Math.abs(u)) || (Number.isFinite(hi - lo) && hi - lo <= 4e-16 * Math.max(1, Math.abs(u)))) {
      return Math.exp(next);
    }
    u = next;
    cur = h(u);
  }
  throw new Error(`gammaIncInv: no convergence for a=${a}, q=${q}`);
}

/** Gamma inverse CDF with loc and scale = scipy.stats.gamma.ppf(q, shape, loc, scale). */
export function gammaPpf(q: number, g: GammaParams): number {
  checkParams('gammaPpf', g);
  if (!(q > 0 && q < 1)) throw new RangeError(`gammaPpf: quantile must be in (0, 1), got ${q}`);
  return gammaIncInv(g.shape, q) * g.scale + g.loc;
}

/** Gamma CDF with loc and scale = scipy.stats.gamma.cdf(x, shape, loc, scale). */
export function gammaCdf(x: number, g: GammaParams): number {
  checkParams('gammaCdf', g);
  return gammaP(g.shape, (x - g.loc) / g.scale);
}

function checkParams(fn: string, g: GammaParams): void {
  if (!(g.shape > 0) || !(g.scale > 0) || !Number.isFinite(g.loc) || !Number.isFinite(g.shape) || !Number.isFinite(g.scale)) {
    throw new RangeError(`${fn}: gamma parameters must have shape > 0, scale > 0 and a finite loc, got ${JSON.stringify(g)}`);
  }
}

// ---------------------------------------------------------------- fitting

/** Pairwise summation: error O(log n) ulps instead of O(n), as numpy's sum. */
function pairwiseSum(x: Float64Array, from: number, to: number): number {
  const n = to - from;
  if (n <= 128) {
    let s = 0;
    for (let i = from; i < to; i++) s += x[i];
    return s;
  }
  const mid = from + ((n >> 1) & ~7);
  return pairwiseSum(x, from, mid) + pairwiseSum(x, mid, to);
}

const mean = (x: Float64Array): number => pairwiseSum(x, 0, x.length) / x.length;

function checkScores(fn: string, field: string, scores: ArrayLike<number>, min: number): Float64Array {
  if (scores.length < min) throw new Error(`${fn}: ${field} needs at least ${min} scores, got ${scores.length}`);
  const x = Float64Array.from(scores);
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i])) throw new Error(`${fn}: ${field}[${i}] is ${x[i]}; scores must be finite numbers`);
  }
  return x;
}

/** scipy rv_continuous._penalized_nnlf for the gamma family: -log likelihood, out-of-support points penalised. */
function penalizedNnlf(theta: Float64Array, x: Float64Array, work: Float64Array): number {
  const a = theta[0];
  const loc = theta[1];
  const scale = theta[2];
  if (!(a > 0) || scale <= 0) return Infinity;
  const lg = lgamma(a);
  const am1 = a - 1;
  let bad = 0;
  let m = 0;
  for (let i = 0; i < x.length; i++) {
    const z = (x[i] - loc) / scale;
    if (!(z >= 0 && z <= Infinity)) {
      bad++;
      continue;
    }
    // scipy.special.xlogy: 0 * log(0) is 0
    const lp = (am1 === 0 ? 0 : am1 * Math.log(z)) - z - lg;
    if (Number.isFinite(lp)) work[m++] = lp;
    else bad++;
  }
  const nll = -pairwiseSum(work, 0, m) + (bad > 0 ? bad * LOG_XMAX * 100 : 0);
  return nll + x.length * Math.log(scale);
}

class MaxFunctionCalls extends Error {}

/**
 * scipy.optimize.fmin as scipy.stats' generic fit calls it: Nelder-Mead, xtol = ftol = 1e-4,
 * 200 iterations / calls per parameter, scipy's initial simplex and step order.
 */
function nelderMead(f: (p: Float64Array) => number, x0: Float64Array): Float64Array {
  const N = x0.length;
  const maxfun = 200 * N;
  const maxiter = 200 * N;
  const xatol = 1e-4;
  const fatol = 1e-4;
  let calls = 0;
  const fn = (p: Float64Array): number => {
    if (calls >= maxfun) throw new MaxFunctionCalls();
    calls++;
    return f(p);
  };
  let sim: Float64Array[] = [Float64Array.from(x0)];
  for (let k = 0; k < N; k++) {
    const y = Float64Array.from(x0);
    y[k] = y[k] !== 0 ? (1 + 0.05) * y[k] : 0.00025;
    sim.push(y);
  }
  let fsim = sim.map((p) => fn(p));
  // stable argsort, as numpy's for N + 1 = 4 entries
  const sortSimplex = () => {
    const order = fsim.map((_, i) => i).sort((i, j) => (fsim[i] < fsim[j] ? -1 : fsim[i] > fsim[j] ? 1 : i - j));
    sim = order.map((i) => sim[i]);
    fsim = order.map((i) => fsim[i]);
  };
  sortSimplex();
  const combine = (ca: number, xbar: Float64Array, cb: number, p: Float64Array) => {
    const out = new Float64Array(N);
    for (let k = 0; k < N; k++) out[k] = ca * xbar[k] + cb * p[k];
    return out;
  };
  let iterations = 1;
  while (calls < maxfun && iterations < maxiter) {
    try {
      let xspread = 0;
      let fspread = 0;
      for (let j = 1; j <= N; j++) {
        for (let k = 0; k < N; k++) xspread = Math.max(xspread, Math.abs(sim[j][k] - sim[0][k]));
        const d = Math.abs(fsim[0] - fsim[j]);
        fspread = Number.isNaN(d) || Number.isNaN(fspread) ? NaN : Math.max(fspread, d);
      }
      if (xspread <= xatol && fspread <= fatol) break;
      const xbar = new Float64Array(N);
      for (let j = 0; j < N; j++) for (let k = 0; k < N; k++) xbar[k] += sim[j][k];
      for (let k = 0; k < N; k++) xbar[k] /= N;
      const worst = sim[N];
      const xr = combine(2, xbar, -1, worst);
      const fxr = fn(xr);
      let shrink = false;
      if (fxr < fsim[0]) {
        const xe = combine(3, xbar, -2, worst);
        const fxe = fn(xe);
        if (fxe < fxr) {
          sim[N] = xe;
          fsim[N] = fxe;
        } else {
          sim[N] = xr;
          fsim[N] = fxr;
        }
      } else if (fxr < fsim[N - 1]) {
        sim[N] = xr;
        fsim[N] = fxr;
      } else if (fxr < fsim[N]) {
        const xc = combine(1.5, xbar, -0.5, worst);
        const fxc = fn(xc);
        if (fxc <= fxr) {
          sim[N] = xc;
          fsim[N] = fxc;
        } else shrink = true;
      } else {
        const xcc = combine(0.5, xbar, 0.5, worst);
        const fxcc = fn(xcc);
        if (fxcc < fsim[N]) {
          sim[N] = xcc;
          fsim[N] = fxcc;
        } else shrink = true;
      }
      if (shrink) {
        for (let j = 1; j <= N; j++) {
          const p = new Float64Array(N);
          for (let k = 0; k < N; k++) p[k] = sim[0][k] + 0.5 * (sim[j][k] - sim[0][k]);
          sim[j] = p;
          fsim[j] = fn(p);
        }
      }
      iterations++;
    } catch (e) {
      if (!(e instanceof MaxFunctionCalls)) throw e;
    } finally {
      sortSimplex();
    }
  }
  return sim[0];
}

/** scipy gamma._fitstart: shape from the sample skewness, loc and scale from the first two moments. */
function fitStart(x: Float64Array): Float64Array {
  const n = x.length;
  const mu = mean(x);
  const d2 = new Float64Array(n);
  const d3 = new Float64Array(n);
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const d = x[i] - mu;
    d2[i] = d * d;
    d3[i] = d * d * d;
    if (x[i] < min) min = x[i];
    if (x[i] > max) max = x[i];
  }
  const m2 = mean(d2);
  const m3 = mean(d3);
  const skew = m3 / Math.pow(m2, 1.5);
  const a = 4 / (1e-8 + skew * skew);
  let scale = Math.sqrt(m2 / a);
  let loc = mu - scale * a;
  if (!Number.isFinite(loc)) loc = 0;
  if (!(Number.isFinite(scale) && scale > 0)) scale = 1;
  // moment estimates that leave data below the support: restart just under the minimum
  if (!(loc < min)) {
    loc = min - (max - min) * 0.1;
    scale = 1;
  }
  return Float64Array.of(a, loc, scale);
}

/** log(a) - digamma(a), by its asymptotic series above 10 so that large shapes keep full precision. */
function logMinusDigamma(a: number): number {
  let z = a;
  let acc = 0;
  while (z < 10) acc += 1 / z++;
  const r = 1 / z;
  const r2 = r * r;
  const series = r / 2 + r2 * (1 / 12 - r2 * (1 / 120 - r2 * (1 / 252 - r2 * (1 / 240 - r2 * (1 / 132 - r2 * (691 / 32760 - r2 / 12))))));
  return Math.log(a / z) + series + acc;
}

/** d/da [log(a) - digamma(a)] = 1/a - trigamma(a) (always negative). */
function dLogMinusDigamma(a: number): number {
  let z = a;
  let acc = 0;
  while (z < 10) {
    acc += 1 / (z * z);
    z++;
  }
  const r = 1 / z;
  const r2 = r * r;
  // 1/z - trigamma(z) for z >= 10, expanded so that no cancellation occurs
  const tail = -r2 * (0.5 + r * (1 / 6 - r2 * (1 / 30 - r2 * (1 / 42 - r2 * (1 / 30 - (r2 * 5) / 66)))));
  return 1 / a - 1 / z + tail - acc;
}

/** Exact MLE of shape and scale with loc fixed (scipy.stats.gamma.fit(x, floc=loc)). */
function fitFixedLoc(x: Float64Array, loc: number): GammaParams {
  const n = x.length;
  const d = new Float64Array(n);
  const logs = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    d[i] = x[i] - loc;
    if (!(d[i] > 0)) throw new Error(`fitGamma: score ${x[i]} at index ${i} is not above the fixed loc ${loc}`);
    logs[i] = Math.log(d[i]);
  }
  const xbar = mean(d);
  const s = Math.log(xbar) - mean(logs);
  if (!(s > 0)) throw new Error('fitGamma: the scores are all equal; a gamma distribution cannot be fitted');
  // Choi-Wette starting value (within 1.5 %), then Newton on log(a) - digamma(a) = s
  let a = (3 - s + Math.sqrt((s - 3) * (s - 3) + 24 * s)) / (12 * s);
  for (let it = 0; it < 100; it++) {
    const step = (logMinusDigamma(a) - s) / dLogMinusDigamma(a);
    const next = a - step > 0 ? a - step : a / 2;
    const done = Math.abs(next - a) <= 1e-15 * a;
    a = next;
    if (done) break;
  }
  return { shape: a, loc, scale: xbar / a };
}

export interface FitGammaOptions {
  /**
   * Fix the location (e.g. 0) for the exact maximum-likelihood shape and scale. Left out, the
   * location is free and the fit reproduces scipy.stats.gamma.fit(scores), the DCASE baseline's call.
   */
  loc?: number;
}

/**
 * Fits a gamma distribution to scores. Free loc (default): what scipy.stats.gamma.fit does
 * (checked step by step against scipy 1.10.1): start from the skewness and moments, then
 * Nelder-Mead on the penalised negative log-likelihood with scipy's tolerances. That is an
 * approximate MLE (the free-loc likelihood is unbounded for shape < 1), reproduced on purpose
 * so Hark's decisions match the DCASE baseline's. Fixed loc: the exact MLE.
 */
export function fitGamma(scores: ArrayLike<number>, opts: FitGammaOptions = {}): GammaParams {
  const x = checkScores('fitGamma', 'scores', scores, 3);
  let min = Infinity;
  let max = -Infinity;
  for (const v of x) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (min === max) throw new Error(`fitGamma: all ${x.length} scores equal ${min}; a gamma distribution cannot be fitted`);
  if (opts.loc !== undefined) {
    if (!Number.isFinite(opts.loc)) throw new Error(`fitGamma: loc must be finite, got ${opts.loc}`);
    return fitFixedLoc(x, opts.loc);
  }
  const work = new Float64Array(x.length);
  const best = nelderMead((p) => penalizedNnlf(p, x, work), fitStart(x));
  if (!(best[0] > 0 && best[2] > 0)) throw new Error(`fitGamma: the fit left the parameter range (shape ${best[0]}, scale ${best[2]})`);
  return { shape: best[0], loc: best[1], scale: best[2] };
}

// ---------------------------------------------------------------- thresholds

/**
 * The DCASE baseline's decision threshold: the `quantile` (0.9) point of a gamma distribution
 * fitted to training-normal scores with free loc, as scipy.stats.gamma.fit + gamma.ppf.
 * A score above the threshold is called anomalous.
 */
export function gammaThreshold(trainNormalScores: ArrayLike<number>, quantile = 0.9, opts: FitGammaOptions = {}): number {
  if (!(quantile > 0 && quantile < 1)) throw new Error(`gammaThreshold: quantile must be in (0, 1), got ${quantile}`);
  checkScores('gammaThreshold', 'trainNormalScores', trainNormalScores, 3);
  return gammaPpf(quantile, fitGamma(trainNormalScores, opts));
}

/** Empirical quantile of scores (numpy.quantile, linear interpolation). */
export function quantileThreshold(scores: ArrayLike<number>, q: number): number {
  if (!(q >= 0 && q <= 1)) throw new Error(`quantileThreshold: q must be in [0, 1], got ${q}`);
  const x = checkScores('quantileThreshold', 'scores', scores, 1);
  x.sort();
  return quantileSorted(x, q);
}

export interface NoiseCalibrationOptions {
  /** gamma quantile of the normal scores (default 0.9, the DCASE rule) */
  quantile?: number;
  /** empirical quantile of the noise-only scores (default 0.99: the top noise clip, minus a lone outlier's pull) */
  noiseQuantile?: number;
  /** relative headroom above the noise level (default 0.02: a 2 % score margin) */
  margin?: number;
}

export interface NoiseCalibration {
  threshold: number;
  /** the DCASE gamma threshold of the normal scores alone */
  normalThreshold: number;
  /** the noise level plus margin */
  noiseThreshold: number;
  /** which side set the threshold: 'noise' means site background alone would have crossed the normal threshold */
  binding: 'normal' | 'noise';
  gamma: GammaParams;
}

/**
 * Threshold calibrated with site noise-only clips. A detector trained on machine sound often
 * scores pure background (machine off, other machines, ventilation) as unusual; at a plant
 * that must not raise alarms. So the threshold is the larger of the DCASE gamma threshold of
 * the normal scores and a high quantile of the noise-only scores plus a margin: noise alone
 * stays below it, and normal operation keeps its 10 % gamma-tail false-alarm design. When the
 * noise side binds, the report says so: the detector separates noise poorly and the Form's
 * noise-only item (or a noise-robust bank) is where to work.
 */
export function noiseCalibratedThreshold(
  noiseScores: ArrayLike<number>,
  normalScores: ArrayLike<number>,
  opts: NoiseCalibrationOptions = {},
): NoiseCalibration {
  const quantile = opts.quantile ?? 0.9;
  checkNoiseInputs(noiseScores, opts);
  checkScores('noiseCalibratedThreshold', 'normalScores', normalScores, 3);
  const gamma = fitGamma(normalScores);
  if (!(quantile > 0 && quantile < 1)) throw new Error(`noiseCalibratedThreshold: quantile must be in (0, 1), got ${quantile}`);
  return { ...noiseFloor(noiseScores, gammaPpf(quantile, gamma), opts), gamma };
}

function checkNoiseInputs(noiseScores: ArrayLike<number>, opts: Pick<NoiseCalibrationOptions, 'noiseQuantile' | 'margin'>): { noiseQuantile: number; margin: number } {
  const noiseQuantile = opts.noiseQuantile ?? 0.99;
  const margin = opts.margin ?? 0.02;
  if (!(margin >= 0 && Number.isFinite(margin))) throw new Error(`noiseCalibratedThreshold: margin must be >= 0, got ${margin}`);
  if (!(noiseQuantile >= 0 && noiseQuantile <= 1)) throw new Error(`noiseCalibratedThreshold: noiseQuantile must be in [0, 1], got ${noiseQuantile}`);
  checkScores('noiseCalibratedThreshold', 'noiseScores', noiseScores, 1);
  return { noiseQuantile, margin };
}

/**
 * The noise side of the calibration for a threshold fixed elsewhere (an ensemble's, which has no
 * training scores of its own): the larger of `normalThreshold` and the noise level plus margin.
 */
export function noiseFloor(noiseScores: ArrayLike<number>, normalThreshold: number, opts: Pick<NoiseCalibrationOptions, 'noiseQuantile' | 'margin'> = {}): Omit<NoiseCalibration, 'gamma'> {
  const { noiseQuantile, margin } = checkNoiseInputs(noiseScores, opts);
  const level = quantileThreshold(noiseScores, noiseQuantile);
  // margin relative to the score's magnitude, so it means the same for any score unit
  const noiseThreshold = level + margin * Math.abs(level);
  const binding = noiseThreshold > normalThreshold ? 'noise' : 'normal';
  return { threshold: Math.max(normalThreshold, noiseThreshold), normalThreshold, noiseThreshold, binding };
}
