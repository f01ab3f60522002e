// Exact nearest-neighbour search as chunked matrix products: ONNX Runtime (MLAS) when available, blocked TypeScript otherwise.
import type * as OrtTypes from 'onnxruntime-node';
import { checkMatrix, dotTile, normaliseRows, rowSqNorms, sqDistTile } from './rows';
import { opsSession, type OpsBackend, type Ort } from './ort-ops';

/** Largest similarity / distance block held at once: 16 Mi floats = 64 MB. */
export const DEFAULT_TILE_FLOATS = 16 * 1024 * 1024;
const MAX_QUERY_CHUNK = 4096;
// TypeScript tiles stay small enough for the cache (the ORT tiles are large so MLAS runs at full speed)
const TS_QUERY_BLOCK = 32;
const TS_KEY_BLOCK = 256;

export interface ChunkOptions {
  /** rows of queries / keys per product; default: queries up to 4096, keys so that the block is <= tileFloats */
  chunk?: { queries?: number; keys?: number };
  tileFloats?: number;
  /** 'auto' (default: the configured backend), or force one path */
  backend?: OpsBackend;
}

export interface CosineOptions extends ChunkOptions {
  /** keys already have unit rows (e.g. a fitted bank): skip their normalisation copy */
  keysAreUnit?: boolean;
  queriesAreUnit?: boolean;
}

export interface MaxSimResult {
  /** max cosine similarity of each query to the keys */
  sim: Float32Array;
  /** index of the first key attaining it */
  index: Int32Array;
  backend: 'ort' | 'ts';
}

export interface KnnOptions extends ChunkOptions {
  /** per query, a key index to skip (leave-one-out); a negative entry skips nothing */
  exclude?: Int32Array;
}

export interface KnnResult {
  /** nq x k Euclidean distances (not squared), ascending per row */
  dist: Float32Array;
  /** nq x k key indices; ties keep the lower index first */
  index: Int32Array;
  backend: 'ort' | 'ts';
}

function chunks(nq: number, nk: number, o: ChunkOptions): { qc: number; kc: number } {
  const tile = o.tileFloats ?? DEFAULT_TILE_FLOATS;
  const qc = Math.max(1, Math.min(o.chunk?.queries ?? MAX_QUERY_CHUNK, nq || 1));
  const kc = Math.max(1, Math.min(o.chunk?.keys ?? Math.floor(tile / qc), nk || 1));
  return { qc, kc };
}

/**
 * Exact max cosine similarity of each query row to a bank of key rows, and its arg max.
 * Rows are normalised here (zero rows get similarity 0); blocks of at most tileFloats are
 * reduced one at a time and maxima merged across key blocks, so memory stays bounded.
 */
export async function cosineMaxSim(
  queries: Float32Array, nq: number, keys: Float32Array, nk: number, dim: number,
  opts: CosineOptions = {},
): Promise<MaxSimResult> {
  checkMatrix('cosineMaxSim', 'queries', queries, nq, dim);
  checkMatrix('cosineMaxSim', 'keys', keys, nk, dim);
  if (nk < 1) throw new Error('cosineMaxSim: keys is empty');
  const q = opts.queriesAreUnit ? queries : normaliseRows(queries, nq, dim);
  const k = opts.keysAreUnit ? keys : normaliseRows(keys, nk, dim);
  const sim = new Float32Array(nq).fill(-Infinity);
  const index = new Int32Array(nq).fill(-1);
  if (nq === 0) return { sim, index, backend: 'ts' };
  const { qc, kc } = chunks(nq, nk, opts);
  const ops = await opsSession('cosine_top1', opts.backend);
  if (ops) {
    for (let q0 = 0; q0 < nq; q0 += qc) {
      const q1 = Math.min(nq, q0 + qc);
      const Q = new ops.ort.Tensor('float32', q.subarray(q0 * dim, q1 * dim), [q1 - q0, dim]);
      for (let k0 = 0; k0 < nk; k0 += kc) {
        const k1 = Math.min(nk, k0 + kc);
        const K = new ops.ort.Tensor('float32', k.subarray(k0 * dim, k1 * dim), [k1 - k0, dim]);
        const out = await ops.session.run({ Q, K });
        const mx = out.max.data as Float32Array;
        const am = out.argmax.data as BigInt64Array;
        // strict > keeps the earlier key on ties, matching ArgMax's first-index rule across blocks
        for (let i = 0; i < q1 - q0; i++) {
          if (mx[i] > sim[q0 + i]) {
            sim[q0 + i] = mx[i];
            index[q0 + i] = k0 + Number(am[i]);
          }
        }
        disposeAll(out);
      }
    }
    return { sim, index, backend: 'ort' };
  }
  const tile = new Float64Array(TS_QUERY_BLOCK * TS_KEY_BLOCK);
  for (let q0 = 0; q0 < nq; q0 += TS_QUERY_BLOCK) {
    const q1 = Math.min(nq, q0 + TS_QUERY_BLOCK);
    for (let k0 = 0; k0 < nk; k0 += TS_KEY_BLOCK) {
      const k1 = Math.min(nk, k0 + TS_KEY_BLOCK);
      const kn = k1 - k0;
      dotTile(q, q0, q1, k, k0, k1, dim, tile);
      for (let i = q0; i < q1; i++) {
        const to = (i - q0) * kn;
        let best = sim[i];
        let bi = index[i];
        for (let j = 0; j < kn; j++) {
          const s = tile[to + j];
          if (s > best) {
            best = s;
            bi = k0 + j;
          }
        }
        sim[i] = best;
        index[i] = bi;
      }
    }
  }
  // float64 accumulation can exceed 1 by an ulp; similarities of unit rows live in [-1, 1]
  for (let i = 0; i < nq; i++) sim[i] = Math.min(1, Math.max(-1, sim[i]));
  return { sim, index, backend: 'ts' };
}

/**
 * Exact k nearest keys of each query by Euclidean distance (ascending; ties by lower index),
 * optionally skipping one key per query (leave-one-out). Distances are clamped at 0 before
 * the square root, since |q|^2 + |k|^2 - 2 q.k can come out a hair below zero.
 */
export async function euclideanKnn(
  queries: Float32Array, nq: number, keys: Float32Array, nk: number, dim: number, k: number,
  opts: KnnOptions = {},
): Promise<KnnResult> {
  checkMatrix('euclideanKnn', 'queries', queries, nq, dim);
  checkMatrix('euclideanKnn', 'keys', keys, nk, dim);
  const ex = opts.exclude;
  if (ex !== undefined && (!(ex instanceof Int32Array) || ex.length !== nq)) {
    throw new Error(`euclideanKnn: exclude must be an Int32Array of length nq = ${nq}`);
  }
  const avail = nk - (ex ? 1 : 0);
  if (!Number.isInteger(k) || k < 1 || k > avail) {
    throw new Error(`euclideanKnn: k must be an integer in [1, ${avail}] (${nk} keys${ex ? ', one excluded' : ''}), got ${k}`);
  }
  const dist = new Float32Array(nq * k);
  const index = new Int32Array(nq * k);
  // best[i*k ..] holds squared distances (or squared minus |q|^2 on the ORT path) while merging
  const best = new Float64Array(nq * k).fill(Infinity);
  index.fill(-1);
  if (nq === 0) return { dist, index, backend: 'ts' };
  const { qc, kc } = chunks(nq, nk, opts);
  const ops = await opsSession('sqdist_topk', opts.backend);
  if (ops) {
    const kn2 = rowSqNorms(keys, nk, dim);
    for (let q0 = 0; q0 < nq; q0 += qc) {
      const q1 = Math.min(nq, q0 + qc);
      const Q = new ops.ort.Tensor('float32', queries.subarray(q0 * dim, q1 * dim), [q1 - q0, dim]);
      for (let k0 = 0; k0 < nk; k0 += kc) {
        const k1 = Math.min(nk, k0 + kc);
        // one extra candidate per block covers the excluded key
        const kk = Math.min(k + (ex ? 1 : 0), k1 - k0);
        const out = await ops.session.run({
          Q,
          K: new ops.ort.Tensor('float32', keys.subarray(k0 * dim, k1 * dim), [k1 - k0, dim]),
          KN: new ops.ort.Tensor('float32', kn2.subarray(k0, k1), [k1 - k0]),
          k: new ops.ort.Tensor('int64', BigInt64Array.of(BigInt(kk)), [1]),
        });
        const val = out.val.data as Float32Array;
        const idx = out.idx.data as BigInt64Array;
        for (let i = q0; i < q1; i++) {
          const skip = ex ? ex[i] : -1;
          const ro = (i - q0) * kk;
          for (let c = 0; c < kk; c++) {
            const j = k0 + Number(idx[ro + c]);
            if (j === skip) continue;
            // candidates arrive ascending: once one misses the list, the rest of the row do too
            if (!insertSorted(best, index, i * k, k, val[ro + c], j)) break;
          }
        }
        disposeAll(out);
      }
    }
    // the expansion loses ~sqrt(eps) * |x| near zero: recompute the k winners directly and re-sort them
    refineWinners(queries, nq, keys, dim, k, index, dist);
    return { dist, index, backend: 'ort' };
  }
  const tile = new Float64Array(TS_QUERY_BLOCK * TS_KEY_BLOCK);
  for (let q0 = 0; q0 < nq; q0 += TS_QUERY_BLOCK) {
    const q1 = Math.min(nq, q0 + TS_QUERY_BLOCK);
    for (let k0 = 0; k0 < nk; k0 += TS_KEY_BLOCK) {
      const k1 = Math.min(nk, k0 + TS_KEY_BLOCK);
      const kn = k1 - k0;
      sqDistTile(queries, q0, q1, keys, k0, k1, dim, tile);
      for (let i = q0; i < q1; i++) {
        const skip = ex ? ex[i] : -1;
        const to = (i - q0) * kn;
        for (let j = 0; j < kn; j++) if (k0 + j !== skip) insertSorted(best, index, i * k, k, tile[to + j], k0 + j);
      }
    }
  }
  for (let i = 0; i < nq * k; i++) dist[i] = Math.sqrt(Math.max(0, best[i]));
  return { dist, index, backend: 'ts' };
}

/** Exact distances of the chosen keys, summed directly, then ascending (ties by lower index). */
function refineWinners(q: Float32Array, nq: number, keys: Float32Array, dim: number, k: number, index: Int32Array, dist: Float32Array): void {
  const d = new Float64Array(k);
  const order = Array.from({ length: k }, (_, c) => c);
  const idx = new Int32Array(k);
  for (let i = 0; i < nq; i++) {
    const qo = i * dim;
    for (let c = 0; c < k; c++) {
      const ko = index[i * k + c] * dim;
      let s = 0;
      for (let x = 0; x < dim; x++) {
        const e = q[qo + x] - keys[ko + x];
        s += e * e;
      }
      d[c] = Math.sqrt(s);
      idx[c] = index[i * k + c];
    }
    order.sort((a, b) => d[a] - d[b] || idx[a] - idx[b]);
    for (let c = 0; c < k; c++) {
      dist[i * k + c] = d[order[c]];
      index[i * k + c] = idx[order[c]];
    }
    for (let c = 0; c < k; c++) order[c] = c;
  }
}

/**
 * Inserts (v, j) into the ascending list best[o .. o+k) if it beats the last entry; equal values
 * go after existing ones, so keys scanned in index order keep the lower index first. Returns whether it went in.
 */
function insertSorted(best: Float64Array, index: Int32Array, o: number, k: number, v: number, j: number): boolean {
  if (!(v < best[o + k - 1])) return false;
  let p = o + k - 1;
  while (p > o && best[p - 1] > v) {
    best[p] = best[p - 1];
    index[p] = index[p - 1];
    p--;
  }
  best[p] = v;
  index[p] = j;
  return true;
}

function disposeAll(out: OrtTypes.InferenceSession.OnnxValueMapType): void {
  for (const t of Object.values(out)) (t as { dispose?: () => void }).dispose?.();
}

export type { Ort };
