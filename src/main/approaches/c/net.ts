// The embedding network: an MLP over frozen, standardised features, with the prototypical loss
// of an episode and its analytic gradient (hand-written backprop, checked numerically in tests).
// Why not tfjs: tfjs-core's Node build registers no gradients, and its gradient modules are ESM
// files with extension-less imports that Node's loader refuses, so tf.grad fails outside a bundler.
import { createRng } from '../common';

export type Vec = Float32Array | Float64Array;

/**
 * Weights of an MLP sizes[0] -> ... -> sizes[L]; w[l] is sizes[l] x sizes[l+1] row-major.
 * ReLU between layers, none after the last. Float32 in states and training (so a checkpoint
 * holds the exact weights); Float64 allowed for gradient checks.
 */
export interface MlpWeights<A extends Vec = Float32Array> {
  sizes: number[];
  w: A[];
  b: A[];
}

/** One episode as the network sees it: support rows first, then query rows. */
export interface EpisodeBatch {
  /** (nSupport + nQuery) x dim, standardised */
  x: Vec;
  dim: number;
  nSupport: number;
  supportClass: Int32Array;
  queryClass: Int32Array;
  nClasses: number;
}

export function mlpSizes(inDim: number, hidden: number[], embedDim: number): number[] {
  return [inDim, ...hidden, embedDim];
}

/** He-normal weights (sqrt(2 / fan_in) before a ReLU, sqrt(1 / fan_in) for the linear output), zero biases; seeded. */
export function initMlp(sizes: number[], seed: number): MlpWeights {
  if (sizes.length < 2 || sizes.some((s) => !Number.isInteger(s) || s < 1)) throw new Error(`initMlp: sizes must be >= 2 positive integers, got [${sizes.join(', ')}]`);
  const rng = createRng((seed ^ 0x5eed1e55) >>> 0);
  const w: Float32Array[] = [];
  const b: Float32Array[] = [];
  for (let l = 0; l + 1 < sizes.length; l++) {
    const std = Math.sqrt((l + 2 < sizes.length ? 2 : 1) / sizes[l]);
    const m = new Float32Array(sizes[l] * sizes[l + 1]);
    for (let i = 0; i < m.length; i++) m[i] = rng.normal() * std;
    w.push(m);
    b.push(new Float32Array(sizes[l + 1]));
  }
  return { sizes: [...sizes], w, b };
}

/** Float64 view of weights: the same object when it already is Float64, else a widened copy (kernels stay monomorphic). */
export function asFloat64(m: MlpWeights<Vec>): MlpWeights<Float64Array> {
  if (m.w.every((a) => a instanceof Float64Array) && m.b.every((a) => a instanceof Float64Array)) return m as MlpWeights<Float64Array>;
  return { sizes: [...m.sizes], w: m.w.map((a) => Float64Array.from(a)), b: m.b.map((a) => Float64Array.from(a)) };
}

const f64 = (x: Vec): Float64Array => (x instanceof Float64Array ? x : Float64Array.from(x));

export function cloneWeights<A extends Vec>(m: MlpWeights<A>): MlpWeights<A> {
  return { sizes: [...m.sizes], w: m.w.map((a) => a.slice() as A), b: m.b.map((a) => a.slice() as A) };
}

/** Checks that a weights object is complete and consistent; names the bad part. */
export function checkWeights(m: MlpWeights<Vec>, where: string): void {
  const L = m.sizes.length - 1;
  if (L < 1) throw new Error(`${where}: network needs at least one layer, sizes = [${m.sizes.join(', ')}]`);
  if (m.w.length !== L || m.b.length !== L) throw new Error(`${where}: ${L} layers expected, got ${m.w.length} weight and ${m.b.length} bias arrays`);
  for (let l = 0; l < L; l++) {
    if (m.w[l]?.length !== m.sizes[l] * m.sizes[l + 1]) throw new Error(`${where}: weight ${l} must hold ${m.sizes[l]} x ${m.sizes[l + 1]} values, got ${m.w[l]?.length}`);
    if (m.b[l]?.length !== m.sizes[l + 1]) throw new Error(`${where}: bias ${l} must hold ${m.sizes[l + 1]} values, got ${m.b[l]?.length}`);
  }
}

// ---------- dense kernels (row-major; float64 accumulation; i-k-j order keeps the inner loop contiguous) ----------

/**
 * out (n x m) = a (n x k) . w (k x m) + bias. Four output rows per pass share each load of w;
 * rows of a that are 0 (after ReLU, about half) cost nothing in the one-row tail.
 */
export function affine(a: Float64Array, n: number, k: number, w: Float64Array, bias: Float64Array, m: number, out: Float64Array): void {
  for (let i = 0; i < n; i++) out.set(bias, i * m);
  let i = 0;
  for (; i + 3 < n; i += 4) {
    const a0 = i * k, a1 = a0 + k, a2 = a1 + k, a3 = a2 + k;
    const o0 = i * m, o1 = o0 + m, o2 = o1 + m, o3 = o2 + m;
    for (let p = 0; p < k; p++) {
      const v0 = a[a0 + p], v1 = a[a1 + p], v2 = a[a2 + p], v3 = a[a3 + p];
      const wp = p * m;
      for (let j = 0; j < m; j++) {
        const x = w[wp + j];
        out[o0 + j] += v0 * x;
        out[o1 + j] += v1 * x;
        out[o2 + j] += v2 * x;
        out[o3 + j] += v3 * x;
      }
    }
  }
  for (; i < n; i++) {
    const ai = i * k, o = i * m;
    for (let p = 0; p < k; p++) {
      const v = a[ai + p];
      if (v === 0) continue;
      const wp = p * m;
      for (let j = 0; j < m; j++) out[o + j] += v * w[wp + j];
    }
  }
}

/** out (k x m) = a^T (k x n) . g (n x m): the weight gradient of an affine layer, four rows of out per pass. */
export function gemmTN(a: Float64Array, n: number, k: number, g: Float64Array, m: number, out: Float64Array): void {
  out.fill(0);
  let p = 0;
  for (; p + 3 < k; p += 4) {
    const o0 = p * m, o1 = o0 + m, o2 = o1 + m, o3 = o2 + m;
    for (let i = 0; i < n; i++) {
      const ai = i * k + p;
      const v0 = a[ai], v1 = a[ai + 1], v2 = a[ai + 2], v3 = a[ai + 3];
      if (v0 === 0 && v1 === 0 && v2 === 0 && v3 === 0) continue;
      const gi = i * m;
      for (let j = 0; j < m; j++) {
        const x = g[gi + j];
        out[o0 + j] += v0 * x;
        out[o1 + j] += v1 * x;
        out[o2 + j] += v2 * x;
        out[o3 + j] += v3 * x;
      }
    }
  }
  for (; p < k; p++) {
    const op = p * m;
    for (let i = 0; i < n; i++) {
      const v = a[i * k + p];
      if (v === 0) continue;
      const gi = i * m;
      for (let j = 0; j < m; j++) out[op + j] += v * g[gi + j];
    }
  }
}

/** out (n x k) = g (n x m) . w^T (m x k), masked where the layer's ReLU output was 0. */
function gemmNTMasked(g: Float64Array, n: number, m: number, w: Float64Array, k: number, act: Float64Array, out: Float64Array): void {
  for (let i = 0; i < n; i++) {
    const gi = i * m;
    const oi = i * k;
    for (let p = 0; p < k; p++) {
      if (act[oi + p] <= 0) {
        out[oi + p] = 0;
        continue;
      }
      const wp = p * m;
      let s = 0;
      for (let j = 0; j < m; j++) s += g[gi + j] * w[wp + j];
      out[oi + p] = s;
    }
  }
}

/** Activations of every layer for `rows` input rows: acts[0] is the input, acts[L] the embedding. */
function forwardAll(m: MlpWeights<Float64Array>, x: Float64Array, rows: number): Float64Array[] {
  const acts: Float64Array[] = [x];
  const L = m.sizes.length - 1;
  for (let l = 0; l < L; l++) {
    const out = new Float64Array(rows * m.sizes[l + 1]);
    affine(acts[l], rows, m.sizes[l], m.w[l], m.b[l], m.sizes[l + 1], out);
    if (l + 1 < L) for (let i = 0; i < out.length; i++) if (out[i] < 0) out[i] = 0;
    acts.push(out);
  }
  return acts;
}

/** Embeddings of `rows` standardised feature rows (rows x sizes[0]) -> rows x sizes[L]. */
export function embedRows(m: MlpWeights<Vec>, x: Vec, rows: number): Float32Array {
  const inDim = m.sizes[0];
  if (x.length !== rows * inDim) throw new Error(`embedRows: x has length ${x.length}, expected ${rows} x ${inDim}`);
  const acts = forwardAll(asFloat64(m), f64(x), rows);
  return Float32Array.from(acts[acts.length - 1]);
}

function checkBatch(batch: EpisodeBatch, inDim: number): number {
  const nQuery = batch.queryClass.length;
  if (batch.dim !== inDim) throw new Error(`episode: features have ${batch.dim} dims, the network takes ${inDim}`);
  if (batch.supportClass.length !== batch.nSupport) throw new Error(`episode: ${batch.supportClass.length} support classes for ${batch.nSupport} support rows`);
  if (batch.x.length !== (batch.nSupport + nQuery) * batch.dim) {
    throw new Error(`episode: x has length ${batch.x.length}, expected (${batch.nSupport} + ${nQuery}) x ${batch.dim}`);
  }
  if (nQuery === 0) throw new Error('episode: no query rows');
  const seen = new Uint8Array(batch.nClasses);
  for (const c of batch.supportClass) {
    if (!(c >= 0 && c < batch.nClasses)) throw new Error(`episode: support class index ${c} outside 0..${batch.nClasses - 1}`);
    seen[c] = 1;
  }
  for (const c of batch.queryClass) if (!(c >= 0 && c < batch.nClasses)) throw new Error(`episode: query class index ${c} outside 0..${batch.nClasses - 1}`);
  const empty = seen.indexOf(0);
  if (empty >= 0) throw new Error(`episode: class ${empty} has no support clip`);
  return nQuery;
}

export interface LossResult {
  loss: number;
  /** share of queries whose nearest prototype is their own class */
  accuracy: number;
}

/**
 * Prototypical loss of an episode: prototypes = class means of the support embeddings,
 * logits = -||z_q - p_c||^2 / T, loss = mean cross-entropy over the queries. With `grads`,
 * also dL/dw and dL/db (float64, same layout as the weights) by backpropagation.
 */
export function protoLoss(weights: MlpWeights<Vec>, batch: EpisodeBatch, temperature: number, grads?: MlpWeights<Float64Array>): LossResult {
  const nQ = checkBatch(batch, weights.sizes[0]);
  const m = asFloat64(weights);
  const nS = batch.nSupport;
  const n = nS + nQ;
  const C = batch.nClasses;
  const L = m.sizes.length - 1;
  const e = m.sizes[L];
  const acts = forwardAll(m, f64(batch.x), n);
  const z = acts[L];

  const counts = new Float64Array(C);
  const protos = new Float64Array(C * e);
  for (let i = 0; i < nS; i++) {
    const c = batch.supportClass[i];
    counts[c]++;
    for (let j = 0; j < e; j++) protos[c * e + j] += z[i * e + j];
  }
  for (let c = 0; c < C; c++) for (let j = 0; j < e; j++) protos[c * e + j] /= counts[c];

  // g[q, c] = dL/dlogit = (softmax - onehot) / nQ
  const g = new Float64Array(nQ * C);
  let loss = 0;
  let correct = 0;
  for (let q = 0; q < nQ; q++) {
    const zo = (nS + q) * e;
    let best = -Infinity;
    let arg = 0;
    for (let c = 0; c < C; c++) {
      let d2 = 0;
      for (let j = 0; j < e; j++) {
        const d = z[zo + j] - protos[c * e + j];
        d2 += d * d;
      }
      const l = -d2 / temperature;
      g[q * C + c] = l;
      if (l > best) {
        best = l;
        arg = c;
      }
    }
    let s = 0;
    for (let c = 0; c < C; c++) s += Math.exp(g[q * C + c] - best);
    const lse = best + Math.log(s);
    const y = batch.queryClass[q];
    loss += lse - g[q * C + y];
    if (arg === y) correct++;
    for (let c = 0; c < C; c++) g[q * C + c] = (Math.exp(g[q * C + c] - lse) - (c === y ? 1 : 0)) / nQ;
  }
  const result = { loss: loss / nQ, accuracy: correct / nQ };
  if (!grads) return result;

  // d logit / d z_q = -2 (z_q - p_c) / T and d logit / d p_c = +2 (z_q - p_c) / T
  let dz = new Float64Array(n * e);
  const dp = new Float64Array(C * e);
  const k = 2 / temperature;
  for (let q = 0; q < nQ; q++) {
    const zo = (nS + q) * e;
    for (let c = 0; c < C; c++) {
      const gk = g[q * C + c] * k;
      if (gk === 0) continue;
      for (let j = 0; j < e; j++) {
        const d = (z[zo + j] - protos[c * e + j]) * gk;
        dz[zo + j] -= d;
        dp[c * e + j] += d;
      }
    }
  }
  // each support row shares its class prototype's gradient equally
  for (let i = 0; i < nS; i++) {
    const c = batch.supportClass[i];
    const inv = 1 / counts[c];
    for (let j = 0; j < e; j++) dz[i * e + j] = dp[c * e + j] * inv;
  }
  for (let l = L - 1; l >= 0; l--) {
    const kIn = m.sizes[l];
    const mOut = m.sizes[l + 1];
    if (grads.w[l].length !== kIn * mOut || grads.b[l].length !== mOut) throw new Error(`protoLoss: grads layer ${l} has the wrong size`);
    gemmTN(acts[l], n, kIn, dz, mOut, grads.w[l]);
    const gb = grads.b[l];
    gb.fill(0);
    for (let i = 0; i < n; i++) for (let j = 0; j < mOut; j++) gb[j] += dz[i * mOut + j];
    if (l > 0) {
      const prev = new Float64Array(n * kIn);
      gemmNTMasked(dz, n, mOut, m.w[l], kIn, acts[l], prev);
      dz = prev;
    }
  }
  return result;
}

/** Zeroed float64 gradient buffers shaped like the network. */
export function gradBuffers(sizes: number[]): MlpWeights<Float64Array> {
  const w: Float64Array[] = [];
  const b: Float64Array[] = [];
  for (let l = 0; l + 1 < sizes.length; l++) {
    w.push(new Float64Array(sizes[l] * sizes[l + 1]));
    b.push(new Float64Array(sizes[l + 1]));
  }
  return { sizes: [...sizes], w, b };
}

/** Global L2 norm of a gradient. */
export function gradNorm(g: MlpWeights<Float64Array>): number {
  let q = 0;
  for (const a of [...g.w, ...g.b]) for (let i = 0; i < a.length; i++) q += a[i] * a[i];
  return Math.sqrt(q);
}

/** Scale that brings the gradient's global norm down to maxNorm (1 when already within). */
function clipFactor(g: MlpWeights<Float64Array>, maxNorm: number): number {
  if (maxNorm === Infinity) return 1;
  const n = gradNorm(g);
  return n > maxNorm ? maxNorm / n : 1;
}

/**
 * Reptile's inner loop: `steps` plain SGD steps on one episode, starting from `m`, each
 * gradient clipped to a global L2 norm of maxGradNorm (rare large steps would otherwise diverge). Returns the
 * adapted weights (float32, like the meta weights) and the loss before the first step.
 */
export function adaptOnEpisode(m: MlpWeights, batch: EpisodeBatch, steps: number, lr: number, temperature: number, maxGradNorm = Infinity): { weights: MlpWeights; loss: number; accuracy: number } {
  // float64 within the episode; the result is rounded to float32 like the meta weights
  const fast: MlpWeights<Float64Array> = { sizes: [...m.sizes], w: m.w.map((a) => Float64Array.from(a)), b: m.b.map((a) => Float64Array.from(a)) };
  const ep: EpisodeBatch = { ...batch, x: f64(batch.x) };
  const grads = gradBuffers(m.sizes);
  let first: LossResult | null = null;
  for (let s = 0; s < steps; s++) {
    const r = protoLoss(fast, ep, temperature, grads);
    if (!Number.isFinite(r.loss)) throw new Error(`approach C training: episode loss is ${r.loss} at inner step ${s + 1}; lower innerLr or raise temperature`);
    first ??= r;
    const step = lr * clipFactor(grads, maxGradNorm);
    for (let l = 0; l < fast.w.length; l++) {
      const w = fast.w[l], gw = grads.w[l], b = fast.b[l], gb = grads.b[l];
      for (let i = 0; i < w.length; i++) w[i] -= step * gw[i];
      for (let i = 0; i < b.length; i++) b[i] -= step * gb[i];
    }
  }
  if (!first) throw new Error('approach C training: innerSteps must be at least 1');
  const out: MlpWeights = { sizes: [...m.sizes], w: fast.w.map((a) => Float32Array.from(a)), b: fast.b.map((a) => Float32Array.from(a)) };
  for (const a of [...out.w, ...out.b]) {
    for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) throw new Error('approach C training: weights became non-finite; lower innerLr or raise temperature');
  }
  return { weights: out, loss: first.loss, accuracy: first.accuracy };
}
