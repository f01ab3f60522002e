// Approach B core: fit source / target memory banks with MemMixup, leave-one-out domain
// statistics on the training normals, and scoring by min(z_s, z_t).
//
// Statistics, precisely. The paper's code (GenRepASD, run_genrep_dcase2023.py) z-scores each
// bank's k-NN distance with the mean and population std over ALL clips being scored (test
// clips of both domains, normal and anomalous): transductive. The seed instead estimates them
// on the training normals, with a leave-one-out option. Hark's default 'loo-train':
//   - source stats: over every original source normal i, d_s(i) = k-NN distance to the source
//     bank without i's own entry and its noise-augmented copies;
//   - target stats: over every original target normal j, d_t(j) = k-NN distance to the target
//     bank without j's entry, j's noisy copies and every MemMixup row made from j;
//   - mean and sample std (ddof 1) of those values; each domain's statistics come only from
//     its own normals (in-domain), so z_X measures "how unusual for a normal of domain X".
// A bank with fewer than MIN_STATS_CLIPS originals (or zero spread) borrows the other bank's
// statistics, which reduces to the paper's un-normalised min(d_s, d_t) up to one affine map;
// the state records it as a warning.
import type { ClipFeatures, FitSet, Progress, ScoreResult } from '../types';
import { euclideanKnn, zScoreStats } from '../common';
import type { BConfig } from './config';
import { applyStandardiser, collectNormals, fitStandardiser, mixupRows, type Standardiser } from './bank';
import { bankDistance, bankDistanceExcluding } from './distance';

/** Fewest originals from which a bank's own leave-one-out statistics are estimated. */
export const MIN_STATS_CLIPS = 3;

export interface BankStats {
  mean: number;
  std: number;
  /** number of leave-one-out distances they come from */
  n: number;
  ddof: number;
  /** whose leave-one-out distances: differs from the bank when borrowed */
  from: 'source' | 'target';
}

export interface SourceBank {
  clipIds: number[];
  names: string[];
  nOrig: number;
  /** (nOrig + nAug) x dim, standardised when configured */
  rows: Float32Array;
  /** original index of every row */
  origin: Int32Array;
}

export interface TargetBank {
  clipIds: number[];
  names: string[];
  nOrig: number;
  /** originals then noisy copies, (nOrig + nAug) x dim */
  base: Float32Array;
  baseOrigin: Int32Array;
  /** MemMixup pairs: row m = lambda * target[mixTarget[m]] + (1 - lambda) * source[mixSource[m]] */
  mixTarget: Int32Array;
  mixSource: Int32Array;
  /** derived: base rows then MemMixup rows */
  rows: Float32Array;
  /** derived: target original each row belongs to */
  origin: Int32Array;
  /** derived: source original a MemMixup row was made from, -1 for base rows */
  mixFrom: Int32Array;
}

export interface BState {
  config: BConfig;
  machineType: string;
  section: string;
  dim: number;
  standardiser: Standardiser | null;
  source: SourceBank;
  target: TargetBank;
  /** effective K_s (0 when MemMixup did not run) */
  ks: number;
  stats: { source: BankStats | null; target: BankStats | null };
  /**
   * Leave-one-out distances and scores of the original training normals (source originals then
   * target originals), for threshold calibration; score is null under 'transductive-test'.
   */
  train: { d_s: Float32Array; d_t: Float32Array; score: Float32Array | null };
  warnings: string[];
}

function rowsOf(x: Float32Array, dim: number): number {
  return x.length / dim;
}

function concatRows(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

function range(n: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  return out;
}

function concatInt(a: Int32Array, b: Int32Array): Int32Array {
  const out = new Int32Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** Fills the derived fields of a target bank from its stored parts (fit and deserialise share it). */
export function assembleTarget(
  t: Omit<TargetBank, 'rows' | 'origin' | 'mixFrom'>, sourceOrig: Float32Array, dim: number, lambda: number,
): TargetBank {
  const mix = mixupRows(t.base, sourceOrig, dim, t.mixTarget, t.mixSource, lambda);
  const nBase = rowsOf(t.base, dim);
  const mixFrom = new Int32Array(nBase + t.mixTarget.length).fill(-1);
  mixFrom.set(t.mixSource, nBase);
  return { ...t, rows: concatRows(t.base, mix), origin: concatInt(t.baseOrigin, t.mixTarget), mixFrom };
}

/** Largest number of entries sharing one value of `owner` (the size of the largest exclusion group). */
function maxGroup(owner: Int32Array, nOwners: number): number {
  if (nOwners === 0) return 0;
  const c = new Int32Array(nOwners);
  let m = 0;
  for (let i = 0; i < owner.length; i++) {
    const o = owner[i];
    if (o >= 0 && ++c[o] > m) m = c[o];
  }
  return m;
}

function ownStats(loo: Float64Array, from: 'source' | 'target'): BankStats | null {
  if (loo.length < MIN_STATS_CLIPS) return null;
  for (const v of loo) if (!Number.isFinite(v)) return null;
  const s = zScoreStats(loo, 1);
  if (!(s.std > 0)) return null;
  return { mean: s.mean, std: s.std, n: s.n, ddof: 1, from };
}

function z(d: number, s: { mean: number; std: number }): number {
  return (d - s.mean) / s.std;
}

/** The final score and its parts from the two bank distances (NaN = bank absent). */
function combine(
  ds: number, dt: number, mode: BConfig['normalisation'],
  st: { source: { mean: number; std: number } | null; target: { mean: number; std: number } | null },
): { score: number; parts: Record<string, number> } {
  const parts: Record<string, number> = {};
  const cands: number[] = [];
  if (!Number.isNaN(ds)) parts.d_s = ds;
  if (!Number.isNaN(dt)) parts.d_t = dt;
  if (mode === 'none') {
    if (!Number.isNaN(ds)) cands.push(ds);
    if (!Number.isNaN(dt)) cands.push(dt);
  } else {
    if (!Number.isNaN(ds) && st.source) cands.push((parts.z_s = z(ds, st.source)));
    if (!Number.isNaN(dt) && st.target) cands.push((parts.z_t = z(dt, st.target)));
  }
  return { score: Math.min(...cands), parts };
}

export async function fitB(set: FitSet, config: BConfig, progress: Progress, signal?: AbortSignal): Promise<BState> {
  const where = `approach B fit (${set.machineType}/section ${set.section})`;
  const col = collectNormals(set, config.noiseAugment);
  const { dim } = col;
  const warnings: string[] = [];
  const k = config.k;
  if (col.ignored.cleanMachine) warnings.push(`${col.ignored.cleanMachine} clean_machine clips not used: B's banks hold field recordings (source_normal / target_normal) only`);
  if (col.ignored.augmentedUnused) warnings.push(`${col.ignored.augmentedUnused} noise-augmented normals ignored because noiseAugment is off`);
  if (config.noiseAugment && col.source.augOrigin.length + col.target.augOrigin.length === 0) {
    warnings.push('noiseAugment is on but no noise-augmented normals were passed: banks hold the original clips only');
  }
  const nsO = col.source.clipIds.length;
  const ntO = col.target.clipIds.length;
  if (ntO === 0) warnings.push('no target_normal clips: source bank only (score = z_s), no MemMixup');
  if (nsO === 0) warnings.push('no source_normal clips: target bank only (score = z_t), no MemMixup');
  if (config.normalisation === 'transductive-test') {
    warnings.push("normalisation 'transductive-test': z statistics come from the clips being scored (the paper's variant), so a clip's score depends on the batch it is scored with");
  }
  signal?.throwIfAborted();

  progress({ stage: 'standardise', done: 0, total: 1 });
  const standardiser = config.standardise ? fitStandardiser([col.source.orig, col.target.orig], dim) : null;
  const s0 = applyStandardiser(col.source.orig, dim, standardiser);
  const sAug = applyStandardiser(col.source.aug, dim, standardiser);
  const t0 = applyStandardiser(col.target.orig, dim, standardiser);
  const tAug = applyStandardiser(col.target.aug, dim, standardiser);
  progress({ stage: 'standardise', done: 1, total: 1 });

  const source: SourceBank = {
    clipIds: col.source.clipIds,
    names: col.source.names,
    nOrig: nsO,
    rows: concatRows(s0, sAug),
    origin: concatInt(range(nsO), col.source.augOrigin),
  };

  // MemMixup: each target original with its K_s nearest source originals
  let ks = 0;
  let mixTarget = new Int32Array(0);
  let mixSource = new Int32Array(0);
  if (config.memMixup && nsO > 0 && ntO > 0) {
    ks = config.mixupSources === 'all' ? nsO : Math.min(config.mixupSources, nsO);
    if (config.mixupSources !== 'all' && config.mixupSources > nsO) warnings.push(`mixupSources ${config.mixupSources} > ${nsO} source normals: mixed with all of them`);
    progress({ stage: 'memmixup', done: 0, total: ntO });
    const nn = await euclideanKnn(t0, ntO, s0, nsO, dim, ks);
    mixTarget = new Int32Array(ntO * ks);
    mixSource = new Int32Array(ntO * ks);
    for (let j = 0; j < ntO; j++) {
      for (let r = 0; r < ks; r++) {
        mixTarget[j * ks + r] = j;
        mixSource[j * ks + r] = nn.index[j * ks + r];
      }
    }
    progress({ stage: 'memmixup', done: ntO, total: ntO });
  }
  const target = assembleTarget(
    {
      clipIds: col.target.clipIds,
      names: col.target.names,
      nOrig: ntO,
      base: concatRows(t0, tAug),
      baseOrigin: concatInt(range(ntO), col.target.augOrigin),
      mixTarget,
      mixSource,
    },
    s0, dim, config.mixupLambda,
  );
  const nS = rowsOf(source.rows, dim);
  const nT = rowsOf(target.rows, dim);
  if (nS > 0 && nS < k) throw new Error(`${where}: k = ${k} but the source bank has only ${nS} entries`);
  if (nT > 0 && nT < k) throw new Error(`${where}: k = ${k} but the target bank has only ${nT} entries`);
  signal?.throwIfAborted();

  // leave-one-out distances of the originals to their own bank
  progress({ stage: 'leave-one-out', done: 0, total: 2 });
  const sGroup = maxGroup(source.origin, nsO);
  const looS = await bankDistanceExcluding(s0, nsO, source.rows, nS, dim, k, sGroup, (q, e) => source.origin[e] === q);
  progress({ stage: 'leave-one-out', done: 1, total: 2 });
  signal?.throwIfAborted();
  const tGroup = maxGroup(target.origin, ntO);
  const looT = await bankDistanceExcluding(t0, ntO, target.rows, nT, dim, k, tGroup, (q, e) => target.origin[e] === q);
  progress({ stage: 'leave-one-out', done: 2, total: 2 });
  signal?.throwIfAborted();

  let sStats = nsO > 0 ? ownStats(looS.d, 'source') : null;
  let tStats = ntO > 0 ? ownStats(looT.d, 'target') : null;
  if (nsO > 0 && !sStats && tStats) {
    sStats = { ...tStats };
    warnings.push(`source bank: ${nsO} source normals are too few (or too alike) for leave-one-out statistics (need ${MIN_STATS_CLIPS}, k = ${k}): using the target bank's`);
  }
  if (ntO > 0 && !tStats && sStats && sStats.from === 'source') {
    tStats = { ...sStats };
    warnings.push(`target bank: ${ntO} target normals are too few (or too alike) for leave-one-out statistics (need ${MIN_STATS_CLIPS}, k = ${k}): using the source bank's, i.e. min(d_s, d_t) on one scale`);
  }
  if (config.normalisation === 'loo-train' && !sStats && !tStats) {
    throw new Error(
      `${where}: cannot estimate leave-one-out statistics: need at least ${MIN_STATS_CLIPS} normals with distinct embeddings in one domain (k = ${k}), ` +
        `got ${nsO} source and ${ntO} target; use normalisation 'none' or add normals`,
    );
  }

  // training-normal scores: each original scored against both banks without any entry made from it
  progress({ stage: 'train-scores', done: 0, total: 2 });
  const sMix = maxGroup(target.mixFrom, nsO);
  const sToT = await bankDistanceExcluding(s0, nsO, target.rows, nT, dim, k, sMix, (q, e) => target.mixFrom[e] === q);
  progress({ stage: 'train-scores', done: 1, total: 2 });
  const tToS = await bankDistance(t0, ntO, source.rows, nS, dim, k);
  progress({ stage: 'train-scores', done: 2, total: 2 });
  const nO = nsO + ntO;
  const trainDs = new Float64Array(nO);
  const trainDt = new Float64Array(nO);
  trainDs.set(looS.d, 0);
  trainDs.set(tToS.d, nsO);
  trainDt.set(sToT.d, 0);
  trainDt.set(looT.d, nsO);
  let trainScore: Float32Array | null = null;
  if (config.normalisation !== 'transductive-test') {
    trainScore = new Float32Array(nO);
    for (let i = 0; i < nO; i++) trainScore[i] = combine(trainDs[i], trainDt[i], config.normalisation, { source: sStats, target: tStats }).score;
  }

  return {
    config,
    machineType: set.machineType,
    section: set.section,
    dim,
    standardiser,
    source,
    target,
    ks,
    stats: { source: sStats, target: tStats },
    train: { d_s: Float32Array.from(trainDs), d_t: Float32Array.from(trainDt), score: trainScore },
    warnings,
  };
}

function queryMatrix(state: BState, clips: ClipFeatures[]): Float32Array {
  const { dim } = state;
  const q = new Float32Array(clips.length * dim);
  clips.forEach((c, i) => {
    const e = c.embedding;
    if (!(e instanceof Float32Array)) throw new Error(`approach B score: clip '${c.name}' (id ${c.clipId}) has no field 'embedding' (Float32Array)`);
    if (e.length !== dim) throw new Error(`approach B score: clip '${c.name}' (id ${c.clipId}): field 'embedding' has ${e.length} dims, the fitted banks have ${dim} (encoder '${state.config.encoder}')`);
    for (let j = 0; j < dim; j++) {
      if (!Number.isFinite(e[j])) throw new Error(`approach B score: clip '${c.name}' (id ${c.clipId}): field 'embedding' value ${j} is not finite`);
    }
    q.set(e, i * dim);
  });
  return applyStandardiser(q, dim, state.standardiser);
}

/** Scores clips by their embeddings only (never their domain, role or label). */
export async function scoreB(state: BState, clips: ClipFeatures[], progress?: Progress): Promise<ScoreResult[]> {
  const n = clips.length;
  if (n === 0) return [];
  const { dim, config } = state;
  const q = queryMatrix(state, clips);
  const nS = rowsOf(state.source.rows, dim);
  const nT = rowsOf(state.target.rows, dim);
  progress?.({ stage: 'score', done: 0, total: 2 });
  const hs = await bankDistance(q, n, state.source.rows, nS, dim, config.k);
  progress?.({ stage: 'score', done: 1, total: 2 });
  const ht = await bankDistance(q, n, state.target.rows, nT, dim, config.k);
  progress?.({ stage: 'score', done: 2, total: 2 });

  let st: { source: { mean: number; std: number } | null; target: { mean: number; std: number } | null } = state.stats;
  if (config.normalisation === 'transductive-test') {
    // the paper's statistics: population mean / std of each bank distance over this batch
    const batch = (d: Float64Array, bank: string) => {
      if (n < 2) throw new Error(`approach B score: normalisation 'transductive-test' needs at least 2 clips in the batch, got ${n}`);
      const s = zScoreStats(d, 0);
      if (!(s.std > 0)) throw new Error(`approach B score: normalisation 'transductive-test': all ${n} clips have the same ${bank}-bank distance`);
      return s;
    };
    st = { source: nS > 0 ? batch(hs.d, 'source') : null, target: nT > 0 ? batch(ht.d, 'target') : null };
  }
  const out: ScoreResult[] = [];
  for (let i = 0; i < n; i++) {
    const r = combine(hs.d[i], ht.d[i], config.normalisation, st);
    // nearest normal clip behind the winning entries, for "sounds most like ..." in reports
    if (hs.nn[i] >= 0) r.parts.nn_s = state.source.clipIds[state.source.origin[hs.nn[i]]];
    if (ht.nn[i] >= 0) r.parts.nn_t = state.target.clipIds[state.target.origin[ht.nn[i]]];
    out.push(r);
  }
  return out;
}
