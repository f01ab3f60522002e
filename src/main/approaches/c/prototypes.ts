// Adaptation and scoring in the learned embedding space: normal prototypes from the target
// support (and the source normals), and a clip's anomaly score read off its prototype distances.
import { zScoreStats } from '../common';
import { sqDistTile } from '../common/rows';
import type { ScoreMode, SourcePrototypes, TargetPrototypes } from './config';

export type PrototypeKind = 'target' | 'source';

/** Normal prototypes in embedding space. */
export interface PrototypeSet {
  dim: number;
  /** count x dim, row-major */
  data: Float32Array;
  kind: PrototypeKind[];
  /** what each prototype stands for: a clip name or a metadata class such as 'speed_level=2|mic_position_id=1' */
  label: string[];
  /** clips averaged into each prototype */
  size: number[];
}

/** Mean and spread of the nearest-prototype distance of a kind's own training normals (leave-one-out). */
export interface KindStats {
  mean: number;
  std: number;
  n: number;
}

export type DomainStats = Partial<Record<PrototypeKind, KindStats>>;

/** Rows of one domain with the metadata class key and name of each row. */
export interface PrototypeRows {
  emb: Float32Array;
  /** metadata class of each row ('' when no task labels are known) */
  keys: string[];
  names: string[];
}

/** The metadata class of a clip: its labels on the tasks C learned from, blank shown as '-'. */
export function classKey(tasks: string[], labels: (string | undefined)[]): string {
  return tasks.map((t, i) => `${t}=${labels[i] ?? '-'}`).join('|');
}

function meanRows(emb: Float32Array, dim: number, rows: number[]): Float32Array {
  const acc = new Float64Array(dim);
  for (const r of rows) for (let j = 0; j < dim; j++) acc[j] += emb[r * dim + j];
  const out = new Float32Array(dim);
  for (let j = 0; j < dim; j++) out[j] = acc[j] / rows.length;
  return out;
}

/** Groups row indices by key; groups sorted by key so the prototype order does not depend on input order. */
function groups(keys: string[]): [string, number[]][] {
  const m = new Map<string, number[]>();
  keys.forEach((k, i) => {
    const g = m.get(k);
    if (g) g.push(i);
    else m.set(k, [i]);
  });
  return [...m].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/** Prototypes of one kind: one per row ('clips'), per metadata class ('classes'), one mean, or none. */
export function kindPrototypes(src: PrototypeRows, dim: number, kind: PrototypeKind, mode: TargetPrototypes | SourcePrototypes): PrototypeSet {
  const n = src.keys.length;
  if (src.emb.length !== n * dim) throw new Error(`prototypes: ${kind} embeddings have length ${src.emb.length}, expected ${n} x ${dim}`);
  if (src.names.length !== n) throw new Error(`prototypes: ${src.names.length} ${kind} names for ${n} rows`);
  const rows: Float32Array[] = [];
  const label: string[] = [];
  const size: number[] = [];
  if (n > 0 && mode === 'clips') {
    for (let i = 0; i < n; i++) {
      rows.push(src.emb.slice(i * dim, (i + 1) * dim));
      label.push(src.names[i]);
      size.push(1);
    }
  } else if (n > 0 && mode === 'mean') {
    rows.push(meanRows(src.emb, dim, Array.from({ length: n }, (_, i) => i)));
    label.push(`all ${kind} normals`);
    size.push(n);
  } else if (n > 0 && mode === 'classes') {
    for (const [key, members] of groups(src.keys)) {
      rows.push(meanRows(src.emb, dim, members));
      label.push(key);
      size.push(members.length);
    }
  }
  const data = new Float32Array(rows.length * dim);
  rows.forEach((r, i) => data.set(r, i * dim));
  return { dim, data, kind: rows.map(() => kind), label, size };
}

/** Concatenation of prototype sets (target first by convention). */
export function joinPrototypes(...parts: PrototypeSet[]): PrototypeSet {
  const dim = parts[0].dim;
  if (parts.some((p) => p.dim !== dim)) throw new Error('prototypes: parts of different dimension');
  const data = new Float32Array(parts.reduce((a, p) => a + p.data.length, 0));
  let o = 0;
  for (const p of parts) {
    data.set(p.data, o);
    o += p.data.length;
  }
  return { dim, data, kind: parts.flatMap((p) => p.kind), label: parts.flatMap((p) => p.label), size: parts.flatMap((p) => p.size) };
}

/** The prototypes of one kind inside a set. */
export function selectKind(p: PrototypeSet, kind: PrototypeKind): PrototypeSet {
  const idx = p.kind.flatMap((k, i) => (k === kind ? [i] : []));
  const data = new Float32Array(idx.length * p.dim);
  idx.forEach((j, i) => data.set(p.data.subarray(j * p.dim, (j + 1) * p.dim), i * p.dim));
  return { dim: p.dim, data, kind: idx.map(() => kind), label: idx.map((j) => p.label[j]), size: idx.map((j) => p.size[j]) };
}

/** Target prototypes (per support clip, per metadata class, or one mean) followed by the source ones. */
export function buildPrototypes(target: PrototypeRows, source: PrototypeRows, dim: number, modes: { targetPrototypes: TargetPrototypes; sourcePrototypes: SourcePrototypes }): PrototypeSet {
  const p = joinPrototypes(kindPrototypes(target, dim, 'target', modes.targetPrototypes), kindPrototypes(source, dim, 'source', modes.sourcePrototypes));
  if (p.kind.length === 0) throw new Error('prototypes: no normal prototype (no target support clip and sourcePrototypes is none)');
  return p;
}

/**
 * For each row, the distance to the nearest prototype of its own kind as it would be without
 * that row: 'clips' -> nearest other row; 'classes' / 'mean' -> the own class mean recomputed
 * without the row, which is n / (n - 1) times as far ((x - (n p - x) / (n - 1)) = n (x - p) / (n - 1)).
 * NaN where no prototype would remain.
 */
export function looNearest(src: PrototypeRows, dim: number, mode: TargetPrototypes | SourcePrototypes): Float64Array {
  const n = src.keys.length;
  const out = new Float64Array(n).fill(NaN);
  if (n === 0 || mode === 'none') return out;
  if (mode === 'clips') {
    const block = Math.max(1, Math.min(n, Math.floor((1 << 20) / n)));
    const tile = new Float64Array(block * n);
    for (let r0 = 0; r0 < n; r0 += block) {
      const r1 = Math.min(n, r0 + block);
      sqDistTile(src.emb, r0, r1, src.emb, 0, n, dim, tile);
      for (let i = r0; i < r1; i++) {
        let best = Infinity;
        for (let j = 0; j < n; j++) if (j !== i && tile[(i - r0) * n + j] < best) best = tile[(i - r0) * n + j];
        if (best < Infinity) out[i] = Math.sqrt(best);
      }
    }
    return out;
  }
  const gs = mode === 'mean' ? [['', Array.from({ length: n }, (_, i) => i)] as [string, number[]]] : groups(src.keys);
  const g = gs.length;
  const protos = new Float32Array(g * dim);
  const own = new Int32Array(n);
  gs.forEach(([, rows], k) => {
    protos.set(meanRows(src.emb, dim, rows), k * dim);
    for (const r of rows) own[r] = k;
  });
  const tile = new Float64Array(g);
  for (let i = 0; i < n; i++) {
    sqDistTile(src.emb, i, i + 1, protos, 0, g, dim, tile);
    let best = Infinity;
    for (let k = 0; k < g; k++) {
      const size = gs[k][1].length;
      if (k !== own[i]) best = Math.min(best, tile[k]);
      else if (size > 1) best = Math.min(best, tile[k] * (size / (size - 1)) ** 2);
    }
    if (best < Infinity) out[i] = Math.sqrt(best);
  }
  return out;
}

/** z-score statistics of a kind from its leave-one-out distances; undefined with fewer than 2 usable rows. */
export function kindStats(looDistances: Float64Array): KindStats | undefined {
  const v = Array.from(looDistances).filter((d) => Number.isFinite(d));
  if (v.length < 2) return undefined;
  const z = zScoreStats(v, 1);
  return { mean: z.mean, std: z.std, n: v.length };
}

export interface PrototypeScore {
  score: number;
  /** Euclidean distance to the nearest prototype */
  nearest: number;
  /** -log of the mean over prototypes of exp(-d^2 / T): an isotropic Gaussian mixture's negative log density, up to a constant */
  lse: number;
  /** nearest distance among target / source prototypes (NaN when there are none of that kind) */
  dTarget: number;
  dSource: number;
  /** min over kinds of (d_kind - mean) / std, with each kind's leave-one-out statistics (NaN without them) */
  minZ: number;
}

const MIN_STD = 1e-9;

/** A clip's scores from its squared distances to every prototype; Infinity entries (left-out prototypes) do not count. */
function scoreDistances(d2: Float64Array, o: number, protos: PrototypeSet, mode: ScoreMode, temperature: number, z: (d: number, k: PrototypeKind) => number): PrototypeScore {
  const m = protos.kind.length;
  let minAll = Infinity, minT = Infinity, minS = Infinity, present = 0;
  for (let j = 0; j < m; j++) {
    const d = d2[o + j];
    if (d === Infinity) continue;
    present++;
    if (d < minAll) minAll = d;
    if (protos.kind[j] === 'target') {
      if (d < minT) minT = d;
    } else if (d < minS) minS = d;
  }
  // log-sum-exp shifted by the largest term (-minAll / T) so nothing underflows
  let s = 0;
  for (let j = 0; j < m; j++) if (d2[o + j] !== Infinity) s += Math.exp(-(d2[o + j] - minAll) / temperature);
  const lse = minAll / temperature - Math.log(s) + Math.log(present);
  const nearest = Math.sqrt(minAll);
  const dTarget = minT === Infinity ? NaN : Math.sqrt(minT);
  const dSource = minS === Infinity ? NaN : Math.sqrt(minS);
  const zs = [z(dTarget, 'target'), z(dSource, 'source')].filter((v) => !Number.isNaN(v));
  const minZ = zs.length ? Math.min(...zs) : NaN;
  return { score: mode === 'nearest' ? nearest : mode === 'lse' ? lse : minZ, nearest, lse, dTarget, dSource, minZ };
}

function zFunction(protos: PrototypeSet, mode: ScoreMode, stats: DomainStats): (d: number, k: PrototypeKind) => number {
  const kinds = new Set(protos.kind);
  if (mode === 'min-z') {
    for (const k of kinds) if (!stats[k]) throw new Error(`scoreRows: score 'min-z' needs the ${k} distance statistics (at least 2 ${k} normals)`);
  }
  return (d, k) => (kinds.has(k) && stats[k] ? (d - stats[k].mean) / Math.max(stats[k].std, MIN_STD) : NaN);
}

/**
 * Scores embedded clips against the prototypes: 'nearest' = distance to the nearest normal
 * prototype, 'lse' = -logsumexp_j(-d_j^2 / T) + log M (a mixture density of the normal data),
 * 'min-z' = min(z_target, z_source) of the per-kind nearest distances (B's domain normalisation).
 */
export function scoreRows(emb: Float32Array, rows: number, protos: PrototypeSet, mode: ScoreMode, temperature: number, stats: DomainStats = {}): PrototypeScore[] {
  const dim = protos.dim;
  const m = protos.kind.length;
  if (emb.length !== rows * dim) throw new Error(`scoreRows: embeddings have length ${emb.length}, expected ${rows} x ${dim}`);
  if (!(temperature > 0)) throw new Error(`scoreRows: temperature must be > 0, got ${temperature}`);
  const z = zFunction(protos, mode, stats);
  const block = Math.max(1, Math.min(rows, Math.floor((1 << 20) / Math.max(1, m))));
  const tile = new Float64Array(block * m);
  const out: PrototypeScore[] = [];
  for (let r0 = 0; r0 < rows; r0 += block) {
    const r1 = Math.min(rows, r0 + block);
    sqDistTile(emb, r0, r1, protos.data, 0, m, dim, tile);
    for (let i = 0; i < r1 - r0; i++) out.push(scoreDistances(tile, i * m, protos, mode, temperature, z));
  }
  return out;
}

/** Embedded normal rows that helped build the prototypes, with what is needed to find their own prototype. */
export interface OwnedRows {
  /** rows x dim */
  emb: Float32Array;
  kind: PrototypeKind[];
  /** metadata class key and clip name of each row */
  keys: string[];
  names: string[];
}

/**
 * Index of the prototype each row helped build, found by label as kindPrototypes names them
 * ('clips': the clip name, 'classes': the class key, 'mean': the one prototype of the kind); -1 when none.
 */
export function ownPrototypeIndex(rows: OwnedRows, protos: PrototypeSet, modes: { targetPrototypes: TargetPrototypes; sourcePrototypes: SourcePrototypes }): Int32Array {
  const byLabel = new Map<string, number>();
  protos.kind.forEach((k, j) => byLabel.set(`${k}\u0000${protos.label[j]}`, j));
  const firstOf = (k: PrototypeKind) => protos.kind.indexOf(k);
  return Int32Array.from(rows.kind, (k, i) => {
    const mode = k === 'target' ? modes.targetPrototypes : modes.sourcePrototypes;
    if (mode === 'none') return -1;
    if (mode === 'mean') return firstOf(k);
    return byLabel.get(`${k}\u0000${mode === 'clips' ? rows.names[i] : rows.keys[i]}`) ?? -1;
  });
}

/**
 * Honest scores of normal rows that helped build the prototypes: each row's own prototype is
 * left out (a clip prototype, or a class of one) or moved to its leave-one-out position (a class
 * mean of n: the distance scales by n / (n - 1)), then the row is scored as a test clip would be.
 */
export function leaveOneOutScores(rows: OwnedRows, protos: PrototypeSet, modes: { targetPrototypes: TargetPrototypes; sourcePrototypes: SourcePrototypes }, scoreMode: ScoreMode, temperature: number, stats: DomainStats = {}): PrototypeScore[] {
  const m = protos.kind.length;
  const dim = protos.dim;
  const n = rows.kind.length;
  if (rows.emb.length !== n * dim) throw new Error(`leaveOneOutScores: embeddings have length ${rows.emb.length}, expected ${n} x ${dim}`);
  const z = zFunction(protos, scoreMode, stats);
  const own = ownPrototypeIndex(rows, protos, modes);
  const d2 = new Float64Array(m);
  const out: PrototypeScore[] = [];
  for (let i = 0; i < n; i++) {
    sqDistTile(rows.emb, i, i + 1, protos.data, 0, m, dim, d2);
    const j = own[i];
    if (j >= 0) {
      const size = protos.size[j];
      d2[j] = size > 1 ? d2[j] * (size / (size - 1)) ** 2 : Infinity;
    }
    out.push(scoreDistances(d2, 0, protos, scoreMode, temperature, z));
  }
  return out;
}
