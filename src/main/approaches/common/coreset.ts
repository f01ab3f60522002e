// Greedy k-center coreset (Gonzalez; as PatchCore subsamples its memory bank), on a seeded sparse random projection.
import { createRng } from './rng';
import { opsSession, type OpsBackend } from './ort-ops';
import { checkMatrix, normaliseRows } from './rows';

export interface KCenterOptions {
  /** seeds the start point and the projection; default 0 */
  seed?: number;
  /** 'cosine' normalises rows first (then Euclidean on the unit sphere ranks as cosine distance); default 'euclidean' */
  metric?: 'cosine' | 'euclidean';
  /**
   * Dimension of the random projection the distances are computed in (as PatchCore does for speed).
   * undefined: the Johnson-Lindenstrauss bound for n points at eps = 0.9 (sklearn's rule, PatchCore's
   * setting), used only when smaller than dim; null: no projection, exact distances.
   */
  projectDim?: number | null;
  /** first center; default a seeded random point */
  start?: number;
}

/** sklearn.random_projection.johnson_lindenstrauss_min_dim(n, eps). */
export function jlMinDim(n: number, eps = 0.9): number {
  return Math.ceil((4 * Math.log(n)) / (eps ** 2 / 2 - eps ** 3 / 3));
}

/**
 * Sparse random projection (Li, Hastie, Church 2006): each output column sums ~sqrt(dim) signed input
 * coordinates scaled by sqrt(1 / (density * p)), preserving squared distances in expectation.
 */
export function sparseRandomProjection(points: Float32Array, n: number, dim: number, p: number, seed: number): Float32Array {
  checkMatrix('sparseRandomProjection', 'points', points, n, dim);
  if (!Number.isInteger(p) || p < 1) throw new Error(`sparseRandomProjection: p must be a positive integer, got ${p}`);
  const rng = createRng(seed ^ 0x5bd1e995);
  const density = 1 / Math.sqrt(dim);
  const scale = Math.sqrt(1 / (density * p));
  // per input coordinate, the output columns it feeds and the sign: a row-major walk over points
  const cols: number[][] = Array.from({ length: dim }, () => []);
  for (let c = 0; c < p; c++) {
    for (let x = 0; x < dim; x++) if (rng.next() < density) cols[x].push(rng.next() < 0.5 ? -(c + 1) : c + 1);
  }
  const out = new Float32Array(n * p);
  const acc = new Float64Array(p);
  for (let i = 0; i < n; i++) {
    acc.fill(0);
    const o = i * dim;
    for (let x = 0; x < dim; x++) {
      const v = points[o + x];
      if (v === 0) continue;
      const cx = cols[x];
      for (let t = 0; t < cx.length; t++) {
        const s = cx[t];
        if (s > 0) acc[s - 1] += v;
        else acc[-s - 1] -= v;
      }
    }
    for (let c = 0; c < p; c++) out[i * p + c] = acc[c] * scale;
  }
  return out;
}

interface Prepared {
  /** points as searched: unit rows for cosine, then projected */
  x: Float32Array;
  d: number;
  norm2: Float64Array;
  start: number;
}

function prepare(fn: string, points: Float32Array, n: number, dim: number, m: number, opts: KCenterOptions): Prepared | null {
  checkMatrix(fn, 'points', points, n, dim);
  if (!Number.isInteger(m) || m < 1) throw new Error(`${fn}: m must be a positive integer, got ${m}`);
  if (n === 0) throw new Error(`${fn}: points is empty`);
  const metric = opts.metric ?? 'euclidean';
  if (metric !== 'cosine' && metric !== 'euclidean') throw new Error(`${fn}: metric must be 'cosine' or 'euclidean', got ${String(metric)}`);
  if (m >= n) return null;
  const seed = opts.seed ?? 0;
  const start = opts.start ?? createRng(seed).int(n);
  if (!Number.isInteger(start) || start < 0 || start >= n) throw new Error(`${fn}: start must be an index in [0, ${n}), got ${start}`);
  let x = metric === 'cosine' ? normaliseRows(points, n, dim) : points;
  let d = dim;
  const p = opts.projectDim === undefined ? jlMinDim(n) : opts.projectDim;
  if (p !== null) {
    if (!Number.isInteger(p) || p < 1) throw new Error(`${fn}: projectDim must be a positive integer or null, got ${p}`);
    if (p < dim) {
      x = sparseRandomProjection(x, n, dim, p, seed);
      d = p;
    }
  }
  const norm2 = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += x[i * d + j] * x[i * d + j];
    norm2[i] = s;
  }
  return { x, d, norm2, start };
}

/**
 * Folds the distances to the newest center c (from dots[i] = x_i . x_c) into the running minima and
 * returns the unchosen point farthest from every center; strict > picks the lowest index among ties.
 */
function updateAndPick(dots: ArrayLike<number>, c: number, norm2: Float64Array, minDist: Float64Array, chosen: Uint8Array): number {
  const cn = norm2[c];
  let far = -1;
  let farD = -Infinity;
  for (let i = 0; i < minDist.length; i++) {
    if (chosen[i]) continue;
    const dd = Math.max(0, norm2[i] + cn - 2 * dots[i]);
    if (dd < minDist[i]) minDist[i] = dd;
    if (minDist[i] > farD) {
      farD = minDist[i];
      far = i;
    }
  }
  return far;
}

function allIndices(n: number): Int32Array {
  return Int32Array.from({ length: n }, (_, i) => i);
}

/**
 * Indices of m points chosen greedily so each new one is the point farthest from those chosen so far
 * (a 2-approximation of the k-center optimum). Selection order is returned; deterministic under a seed.
 * The running min-distance update is one matrix-vector product per pick: |x|^2 + |c|^2 - 2 X c.
 */
export function kCenterGreedy(points: Float32Array, n: number, dim: number, m: number, opts: KCenterOptions = {}): Int32Array {
  const p = prepare('kCenterGreedy', points, n, dim, m, opts);
  if (!p) return allIndices(n);
  const { x, d, norm2 } = p;
  const minDist = new Float64Array(n).fill(Infinity);
  const chosen = new Uint8Array(n);
  const dots = new Float64Array(n);
  const out = new Int32Array(m);
  let c = p.start;
  for (let t = 0; t < m; t++) {
    out[t] = c;
    chosen[c] = 1;
    minDist[c] = 0;
    if (t === m - 1) break;
    const co = c * d;
    for (let i = 0; i < n; i++) {
      if (chosen[i]) continue;
      const io = i * d;
      // four accumulators break the add dependency chain (about 2x faster than one in V8)
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      let j = 0;
      for (; j + 3 < d; j += 4) {
        s0 += x[io + j] * x[co + j];
        s1 += x[io + j + 1] * x[co + j + 1];
        s2 += x[io + j + 2] * x[co + j + 2];
        s3 += x[io + j + 3] * x[co + j + 3];
      }
      for (; j < d; j++) s0 += x[io + j] * x[co + j];
      dots[i] = s0 + s1 + s2 + s3;
    }
    c = updateAndPick(dots, c, norm2, minDist, chosen);
  }
  return out;
}

/**
 * kCenterGreedy with the matrix-vector product on ONNX Runtime (MLAS; about 6x faster for PatchCore-sized
 * banks), falling back to the TypeScript loop when ORT is unavailable. Float32 products can break a
 * near-tie differently from the float64 TypeScript path, so the two may differ in rare picks.
 */
export async function kCenterGreedyAsync(
  points: Float32Array, n: number, dim: number, m: number, opts: KCenterOptions & { backend?: OpsBackend } = {},
): Promise<Int32Array> {
  const ops = await opsSession('gemm_nt', opts.backend);
  if (!ops) return kCenterGreedy(points, n, dim, m, opts);
  const p = prepare('kCenterGreedy', points, n, dim, m, opts);
  if (!p) return allIndices(n);
  const { x, d, norm2 } = p;
  const X = new ops.ort.Tensor('float32', x, [n, d]);
  const minDist = new Float64Array(n).fill(Infinity);
  const chosen = new Uint8Array(n);
  const out = new Int32Array(m);
  let c = p.start;
  for (let t = 0; t < m; t++) {
    out[t] = c;
    chosen[c] = 1;
    minDist[c] = 0;
    if (t === m - 1) break;
    const r = await ops.session.run({ A: X, B: new ops.ort.Tensor('float32', x.subarray(c * d, (c + 1) * d), [1, d]) });
    c = updateAndPick(r.Y.data as Float32Array, c, norm2, minDist, chosen);
  }
  return out;
}
