// Memory-bank inputs for B: validated normal embeddings split by domain (from the role),
// noise-augmented copies linked to their origin, per-dimension standardisation and MemMixup rows.
import type { ClipFeatures, FitSet } from '../types';
import { AUGMENTED_ATTR, AUGMENTED_FROM_ATTR, AUGMENTED_NOISE } from './noise';

/** Embeddings of one domain: originals first, then augmented copies (each linked to an original). */
export interface DomainRows {
  /** clipIds of the original clips, ascending (the canonical bank order) */
  clipIds: number[];
  names: string[];
  /** nOrig x dim */
  orig: Float32Array;
  /** nAug x dim */
  aug: Float32Array;
  /** for each augmented row, the index of its original */
  augOrigin: Int32Array;
}

export interface CollectedNormals {
  dim: number;
  source: DomainRows;
  target: DomainRows;
  /** normals left out, with the reason, for the state's warnings */
  ignored: { cleanMachine: number; augmentedUnused: number };
}

const ORIGINAL_ROLES = { source_normal: 'source', target_normal: 'target' } as const;

function label(set: FitSet): string {
  return `${set.machineType}/section ${set.section}`;
}

function checkEmbedding(c: ClipFeatures, dim: number | null, where: string): Float32Array {
  const e = c.embedding;
  if (!(e instanceof Float32Array)) throw new Error(`${where}: clip '${c.name}' (id ${c.clipId}) has no field 'embedding' (Float32Array)`);
  if (e.length === 0) throw new Error(`${where}: clip '${c.name}' (id ${c.clipId}): field 'embedding' is empty`);
  if (dim !== null && e.length !== dim) {
    throw new Error(`${where}: clip '${c.name}' (id ${c.clipId}): field 'embedding' has ${e.length} dims, expected ${dim} like the other normals`);
  }
  for (let i = 0; i < e.length; i++) {
    if (!Number.isFinite(e[i])) throw new Error(`${where}: clip '${c.name}' (id ${c.clipId}): field 'embedding' value ${i} is not finite`);
  }
  return e;
}

function stack(rows: Float32Array[], dim: number): Float32Array {
  const out = new Float32Array(rows.length * dim);
  rows.forEach((r, i) => out.set(r, i * dim));
  return out;
}

/**
 * Splits FitSet.normals into source and target rows by role (never by a domain field), in
 * ascending clipId order so the fit does not depend on the order clips were handed in.
 */
export function collectNormals(set: FitSet, useAugmented: boolean): CollectedNormals {
  const where = `approach B fit (${label(set)})`;
  const originals: Record<'source' | 'target', ClipFeatures[]> = { source: [], target: [] };
  const augmented: ClipFeatures[] = [];
  const ignored = { cleanMachine: 0, augmentedUnused: 0 };
  const seen = new Set<number>();
  for (const c of set.normals) {
    if (c.role === 'clean_machine') {
      ignored.cleanMachine++;
      continue;
    }
    const dom = (ORIGINAL_ROLES as Record<string, 'source' | 'target' | undefined>)[c.role];
    if (!dom) throw new Error(`${where}: clip '${c.name}' (id ${c.clipId}) has role '${c.role}', which is not a normal training role`);
    if (c.attributes?.[AUGMENTED_ATTR] !== undefined) {
      if (c.attributes[AUGMENTED_ATTR] !== AUGMENTED_NOISE) {
        throw new Error(`${where}: clip '${c.name}': attributes.${AUGMENTED_ATTR} = '${c.attributes[AUGMENTED_ATTR]}' is not a known augmentation ('${AUGMENTED_NOISE}')`);
      }
      if (useAugmented) augmented.push(c);
      else ignored.augmentedUnused++;
      continue;
    }
    if (seen.has(c.clipId)) throw new Error(`${where}: clip id ${c.clipId} ('${c.name}') appears twice among the normals`);
    seen.add(c.clipId);
    originals[dom].push(c);
  }
  const all = [...originals.source, ...originals.target, ...augmented];
  if (originals.source.length + originals.target.length === 0) {
    throw new Error(`${where}: no source_normal or target_normal clips: B needs at least one normal memory bank`);
  }
  const dim = checkEmbedding(all[0], null, where).length;
  for (const c of all) checkEmbedding(c, dim, where);

  const byId = (a: ClipFeatures, b: ClipFeatures) => a.clipId - b.clipId;
  const index = new Map<number, { dom: 'source' | 'target'; i: number }>();
  const doms = {} as Record<'source' | 'target', DomainRows>;
  for (const dom of ['source', 'target'] as const) {
    const o = originals[dom].sort(byId);
    o.forEach((c, i) => index.set(c.clipId, { dom, i }));
    doms[dom] = {
      clipIds: o.map((c) => c.clipId),
      names: o.map((c) => c.name),
      orig: stack(o.map((c) => c.embedding as Float32Array), dim),
      aug: new Float32Array(0),
      augOrigin: new Int32Array(0),
    };
  }
  const augBy: Record<'source' | 'target', { origin: number; id: number; e: Float32Array }[]> = { source: [], target: [] };
  for (const c of augmented) {
    const from = c.attributes[AUGMENTED_FROM_ATTR];
    const originId = from !== undefined && /^\d+$/.test(from) ? Number(from) : NaN;
    const hit = index.get(originId);
    if (!hit) {
      throw new Error(`${where}: augmented clip '${c.name}': attributes.${AUGMENTED_FROM_ATTR} = '${from ?? ''}' does not name the clip id of an original normal in this fit set`);
    }
    const dom = ORIGINAL_ROLES[c.role as keyof typeof ORIGINAL_ROLES];
    if (hit.dom !== dom) throw new Error(`${where}: augmented clip '${c.name}' has role '${c.role}' but its origin (id ${originId}) is ${hit.dom}`);
    augBy[dom].push({ origin: hit.i, id: c.clipId, e: c.embedding as Float32Array });
  }
  for (const dom of ['source', 'target'] as const) {
    const a = augBy[dom].sort((x, y) => x.origin - y.origin || x.id - y.id);
    doms[dom].aug = stack(a.map((x) => x.e), dim);
    doms[dom].augOrigin = Int32Array.from(a.map((x) => x.origin));
  }
  return { dim, source: doms.source, target: doms.target, ignored };
}

/** Per-dimension mean and std (population) for standardising embeddings. */
export interface Standardiser {
  mean: Float32Array;
  std: Float32Array;
}

/**
 * Fits mean / std per dimension over the given row blocks. A dimension whose std is below
 * 1e-6 of the largest gets std 1: it is (near) constant in training and dividing would only
 * amplify rounding noise.
 */
export function fitStandardiser(blocks: Float32Array[], dim: number): Standardiser {
  const sum = new Float64Array(dim);
  const sum2 = new Float64Array(dim);
  let n = 0;
  for (const b of blocks) {
    const rows = b.length / dim;
    for (let r = 0; r < rows; r++) {
      const o = r * dim;
      for (let j = 0; j < dim; j++) sum[j] += b[o + j];
    }
    n += rows;
  }
  if (n === 0) throw new Error('fitStandardiser: no rows');
  const mean = new Float64Array(dim);
  for (let j = 0; j < dim; j++) mean[j] = sum[j] / n;
  // second pass about the mean: no cancellation for embeddings with a large offset
  for (const b of blocks) {
    const rows = b.length / dim;
    for (let r = 0; r < rows; r++) {
      const o = r * dim;
      for (let j = 0; j < dim; j++) {
        const d = b[o + j] - mean[j];
        sum2[j] += d * d;
      }
    }
  }
  const std = new Float64Array(dim);
  let maxStd = 0;
  for (let j = 0; j < dim; j++) {
    std[j] = Math.sqrt(sum2[j] / n);
    if (std[j] > maxStd) maxStd = std[j];
  }
  for (let j = 0; j < dim; j++) if (!(std[j] > 1e-6 * maxStd)) std[j] = 1;
  return { mean: Float32Array.from(mean), std: Float32Array.from(std) };
}

/** (x - mean) / std row-wise into a new array. */
export function applyStandardiser(x: Float32Array, dim: number, s: Standardiser | null): Float32Array {
  if (!s) return x;
  const out = new Float32Array(x.length);
  const rows = x.length / dim;
  for (let r = 0; r < rows; r++) {
    const o = r * dim;
    for (let j = 0; j < dim; j++) out[o + j] = (x[o + j] - s.mean[j]) / s.std[j];
  }
  return out;
}

/**
 * MemMixup rows: row m = lambda * target[mixTarget[m]] + (1 - lambda) * source[mixSource[m]].
 * Written as a function of the index pairs so a stored state rebuilds the bank bit-identically.
 */
export function mixupRows(
  target: Float32Array,
  source: Float32Array,
  dim: number,
  mixTarget: Int32Array,
  mixSource: Int32Array,
  lambda: number,
): Float32Array {
  const m = mixTarget.length;
  const out = new Float32Array(m * dim);
  const mu = 1 - lambda;
  for (let r = 0; r < m; r++) {
    const t = mixTarget[r] * dim;
    const s = mixSource[r] * dim;
    const o = r * dim;
    for (let j = 0; j < dim; j++) out[o + j] = lambda * target[t + j] + mu * source[s + j];
  }
  return out;
}
