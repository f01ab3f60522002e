// Approach C as the Approach interface sees it: fit = analyse metadata, meta-train the embedding
// network, adapt prototypes to the target support; score = distance to the normal prototypes.
import { createHash } from 'node:crypto';
import { createRng } from '../common';
import type { ClipFeatures, FitSet, Progress, ScoreResult, SerialisedState } from '../types';
import { parseCConfig, TRAINING_FIELDS, configuredTasks, type CConfig, type ScoreMode, type SourcePrototypes, type TargetPrototypes } from './config';
import { buildTaskIndex } from './episodes';
import { embedRows, initMlp, mlpSizes, checkWeights, type MlpWeights } from './net';
import { classKey, joinPrototypes, kindPrototypes, kindStats, leaveOneOutScores, looNearest, scoreRows, selectKind, type DomainStats, type KindStats, type OwnedRows, type PrototypeKind, type PrototypeRows, type PrototypeSet } from './prototypes';
import { analyseTasks, readTaskLabels, type TaskAnalysis } from './tasks';
import { metaTrain, type LossPoint, type TrainCheckpoint } from './train';

export const STATE_VERSION = 1;
export const CHECKPOINT_KIND = 'approach-c-checkpoint';

export interface CState {
  config: CConfig;
  machineType: string;
  section: string;
  /** per-dimension standardisation of the frozen features, from all source and target normals */
  mean: Float32Array;
  std: Float32Array;
  weights: MlpWeights;
  prototypes: PrototypeSet;
  /** leave-one-out nearest-distance statistics per kind, for the 'min-z' score */
  stats: DomainStats;
  /** source normals held out of meta-training; the source statistics come from these */
  calibrationClipIds: number[];
  /** embedded normals the network did not train on (calibration clips; target support when trainOnTarget is off): honest training scores */
  honest: OwnedRows;
  /** the tasks the network learned from (eligible ones), in config order */
  usedTasks: string[];
  analysis: TaskAnalysis;
  training: { episodes: number; resumedFrom: number; seconds: number; curve: LossPoint[]; clips: number };
  counts: { sourceNormals: number; targetNormals: number; cleanMachineIgnored: number; augmentedIgnored: number };
  warnings: string[];
}

/** Extras beyond the Approach interface: resume a killed run, and receive checkpoints to persist. */
export interface CFitOptions {
  /** a checkpoint from onCheckpoint (same clips, features and training settings) */
  resumeFrom?: SerialisedState;
  /** called every config.checkpointEvery episodes and on cancellation; persist it to resume later */
  onCheckpoint?: (checkpoint: SerialisedState) => void | Promise<void>;
}

interface Pool {
  clips: ClipFeatures[];
  dim: number;
  x: Float32Array;
  cleanMachine: number;
  augmented: number;
}

function where(set: Pick<FitSet, 'machineType' | 'section'>): string {
  return `approach C fit (${set.machineType}/section ${set.section})`;
}

function checkEmbedding(c: ClipFeatures, dim: number | null, at: string): Float32Array {
  const e = c.embedding;
  if (!(e instanceof Float32Array)) throw new Error(`${at}: clip '${c.name}' (id ${c.clipId}) has no field 'embedding' (Float32Array)`);
  if (e.length === 0) throw new Error(`${at}: clip '${c.name}' (id ${c.clipId}): field 'embedding' is empty`);
  if (dim !== null && e.length !== dim) throw new Error(`${at}: clip '${c.name}' (id ${c.clipId}): field 'embedding' has ${e.length} dims, expected ${dim}`);
  for (let i = 0; i < e.length; i++) if (!Number.isFinite(e[i])) throw new Error(`${at}: clip '${c.name}' (id ${c.clipId}): field 'embedding' value ${i} is not finite`);
  return e;
}

/** Source and target normals in ascending clipId order (by role, never by domain); clean-machine and augmented copies are left out. */
function collectPool(set: FitSet): Pool {
  if (!set || typeof set !== 'object') throw new Error('approach C fit: the fit set is missing');
  const at = where(set);
  if (!Array.isArray(set.normals)) throw new Error(`${at}: field 'normals' must be an array of clips`);
  let cleanMachine = 0;
  let augmented = 0;
  const seen = new Set<number>();
  const clips: ClipFeatures[] = [];
  for (const c of set.normals) {
    if (c.role === 'clean_machine') {
      cleanMachine++;
      continue;
    }
    if (c.role !== 'source_normal' && c.role !== 'target_normal') throw new Error(`${at}: clip '${c.name}' (id ${c.clipId}) has role '${c.role}', which is not a normal training role`);
    // noise-augmented copies share their origin's metadata; in one episode they would leak support into query
    if (c.attributes?.augmented !== undefined) {
      augmented++;
      continue;
    }
    if (seen.has(c.clipId)) throw new Error(`${at}: clip id ${c.clipId} ('${c.name}') appears twice among the normals`);
    seen.add(c.clipId);
    clips.push(c);
  }
  clips.sort((a, b) => a.clipId - b.clipId);
  if (clips.length === 0) throw new Error(`${at}: no source or target normal clips to learn from`);
  const dim = checkEmbedding(clips[0], null, at).length;
  const x = new Float32Array(clips.length * dim);
  clips.forEach((c, i) => x.set(checkEmbedding(c, dim, at), i * dim));
  return { clips, dim, x, cleanMachine, augmented };
}

/** Mean and standard deviation per dimension (float64 sums); a constant dimension gets std 1 so it stays 0. */
export function featureStats(x: Float32Array, rows: number, dim: number): { mean: Float32Array; std: Float32Array } {
  const m = new Float64Array(dim);
  const v = new Float64Array(dim);
  for (let r = 0; r < rows; r++) for (let j = 0; j < dim; j++) m[j] += x[r * dim + j];
  for (let j = 0; j < dim; j++) m[j] /= rows;
  for (let r = 0; r < rows; r++) for (let j = 0; j < dim; j++) v[j] += (x[r * dim + j] - m[j]) ** 2;
  const mean = new Float32Array(dim);
  const std = new Float32Array(dim);
  for (let j = 0; j < dim; j++) {
    const s = Math.sqrt(v[j] / rows);
    mean[j] = m[j];
    std[j] = s > 1e-8 * (1 + Math.abs(m[j])) ? s : 1;
  }
  return { mean, std };
}

export function standardise(x: Float32Array, rows: number, mean: Float32Array, std: Float32Array): Float32Array {
  const dim = mean.length;
  const out = new Float32Array(rows * dim);
  for (let r = 0; r < rows; r++) for (let j = 0; j < dim; j++) out[r * dim + j] = (x[r * dim + j] - mean[j]) / std[j];
  return out;
}

function fingerprint(config: CConfig, x: Float32Array, dim: number, tasks: { task: string; classes: string[]; members: Int32Array[] }[]): string {
  const h = createHash('sha256');
  const settings: Record<string, unknown> = {};
  for (const f of TRAINING_FIELDS) settings[f] = config[f];
  h.update(JSON.stringify({ settings, dim, tasks: tasks.map((t) => ({ task: t.task, classes: t.classes, members: t.members.map((m) => Array.from(m)) })) }));
  h.update(new Uint8Array(x.buffer, x.byteOffset, x.byteLength));
  return h.digest('hex');
}

// ---------- checkpoints ----------

function weightBlobs(w: MlpWeights): Record<string, Float32Array> {
  const blobs: Record<string, Float32Array> = {};
  w.w.forEach((a, l) => (blobs[`w${l}`] = a));
  w.b.forEach((a, l) => (blobs[`b${l}`] = a));
  return blobs;
}

function weightsFromBlobs(sizes: unknown, blobs: Record<string, Float32Array>, at: string): MlpWeights {
  if (!Array.isArray(sizes) || sizes.length < 2 || !sizes.every((s) => Number.isInteger(s) && s > 0)) throw new Error(`${at}: json.sizes must list the layer widths`);
  const w: Float32Array[] = [];
  const b: Float32Array[] = [];
  for (let l = 0; l + 1 < sizes.length; l++) {
    if (!(blobs?.[`w${l}`] instanceof Float32Array)) throw new Error(`${at}: blob 'w${l}' is missing`);
    if (!(blobs?.[`b${l}`] instanceof Float32Array)) throw new Error(`${at}: blob 'b${l}' is missing`);
    w.push(blobs[`w${l}`].slice());
    b.push(blobs[`b${l}`].slice());
  }
  const m = { sizes: sizes as number[], w, b };
  checkWeights(m, at);
  return m;
}

export function checkpointToState(cp: TrainCheckpoint): SerialisedState {
  return {
    json: { kind: CHECKPOINT_KIND, version: STATE_VERSION, fingerprint: cp.fingerprint, episodesDone: cp.episodesDone, sizes: cp.weights.sizes, curve: cp.curve, pending: cp.pending },
    blobs: weightBlobs(cp.weights),
  };
}

export function checkpointFromState(s: SerialisedState): TrainCheckpoint {
  const at = 'resumeFrom';
  const j = s?.json as Record<string, unknown> | undefined;
  if (!j || j.kind !== CHECKPOINT_KIND) throw new Error(`${at}: not an approach C checkpoint (json.kind must be '${CHECKPOINT_KIND}')`);
  if (j.version !== STATE_VERSION) throw new Error(`${at}: checkpoint version ${String(j.version)} is not supported (expected ${STATE_VERSION})`);
  if (typeof j.fingerprint !== 'string') throw new Error(`${at}: json.fingerprint is missing`);
  if (!Number.isInteger(j.episodesDone)) throw new Error(`${at}: json.episodesDone must be an integer`);
  const curve = j.curve as LossPoint[];
  if (!Array.isArray(curve) || !curve.every((p) => Number.isInteger(p?.episode) && typeof p?.loss === 'number')) throw new Error(`${at}: json.curve must be a list of {episode, loss}`);
  const pending = j.pending as { sum: number; n: number };
  if (!pending || typeof pending.sum !== 'number' || !Number.isInteger(pending.n)) throw new Error(`${at}: json.pending must be {sum, n}`);
  return { fingerprint: j.fingerprint, episodesDone: j.episodesDone as number, weights: weightsFromBlobs(j.sizes, s.blobs, at), curve, pending };
}

// ---------- fit ----------

function prototypeRows(clips: ClipFeatures[], emb: Float32Array, dim: number, tasks: string[]): PrototypeRows {
  const { labels } = readTaskLabels(tasks, clips);
  return { emb, keys: clips.map((_, i) => classKey(tasks, labels.map((l) => l[i]))), names: clips.map((c) => c.name) };
}

function gatherRows(x: Float32Array, dim: number, rows: number[]): Float32Array {
  const out = new Float32Array(rows.length * dim);
  rows.forEach((r, i) => out.set(x.subarray(r * dim, (r + 1) * dim), i * dim));
  return out;
}

/** Rows of a PrototypeRows picked as OwnedRows of one kind. */
function owned(rows: PrototypeRows, pick: number[], kind: PrototypeKind, dim: number): OwnedRows {
  return { emb: gatherRows(rows.emb, dim, pick), kind: pick.map(() => kind), keys: pick.map((i) => rows.keys[i]), names: pick.map((i) => rows.names[i]) };
}

function selectOwned(rows: OwnedRows, kind: PrototypeKind, dim: number): OwnedRows {
  const pick = rows.kind.flatMap((k, i) => (k === kind ? [i] : []));
  return { emb: gatherRows(rows.emb, dim, pick), kind: pick.map(() => kind), keys: pick.map((i) => rows.keys[i]), names: pick.map((i) => rows.names[i]) };
}

function joinOwned(a: OwnedRows, b: OwnedRows): OwnedRows {
  const emb = new Float32Array(a.emb.length + b.emb.length);
  emb.set(a.emb);
  emb.set(b.emb, a.emb.length);
  return { emb, kind: [...a.kind, ...b.kind], keys: [...a.keys, ...b.keys], names: [...a.names, ...b.names] };
}

/**
 * Leave-one-out scores of the normals the network did not train on, for decision thresholds;
 * null with fewer than 3 (the caller then scores held-out clips itself).
 */
export function trainingScoresC(state: CState): number[] | null {
  if (state.honest.kind.length < 3) return null;
  const r = leaveOneOutScores(state.honest, state.prototypes, state.config, state.config.score, state.config.temperature, state.stats);
  const v = r.map((x) => x.score).filter((x) => Number.isFinite(x));
  return v.length >= 3 ? v : null;
}

/** One kind's prototypes and its leave-one-out distance statistics. */
function kindPart(rows: PrototypeRows, dim: number, kind: PrototypeKind, mode: CConfig['targetPrototypes'] | CConfig['sourcePrototypes'], statRows?: number[]): { prototypes: PrototypeSet; stats?: KindStats } {
  const prototypes = kindPrototypes(rows, dim, kind, mode);
  if (prototypes.kind.length === 0) return { prototypes };
  const loo = looNearest(rows, dim, mode);
  return { prototypes, stats: kindStats(statRows ? Float64Array.from(statRows, (i) => loo[i]) : loo) };
}

function checkStats(p: PrototypeSet, stats: DomainStats, at: string): void {
  for (const k of new Set(p.kind)) {
    if (!stats[k]) throw new Error(`${at}: score 'min-z' needs leave-one-out statistics of the ${k} normals (at least 2 ${k} normal clips); give more clips or choose score 'nearest'`);
  }
}

/** A seeded choice of `share` of the source rows to hold out of meta-training for calibration (ascending). */
export function calibrationRows(n: number, share: number, seed: number): number[] {
  const k = Math.floor(n * share);
  if (k < 2) return [];
  const order = Array.from({ length: n }, (_, i) => i);
  const rng = createRng((seed ^ 0xca11b8) >>> 0);
  for (let i = 0; i < k; i++) {
    const j = i + rng.int(n - i);
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order.slice(0, k).sort((x, y) => x - y);
}

export async function fitC(set: FitSet, config: CConfig, progress: Progress, signal?: AbortSignal, options: CFitOptions = {}): Promise<CState> {
  const at = where(set);
  const pool = collectPool(set);
  const sourceRows = pool.clips.flatMap((c, i) => (c.role === 'source_normal' ? [i] : []));
  const targetRows = pool.clips.flatMap((c, i) => (c.role === 'target_normal' ? [i] : []));
  const sourceClips = sourceRows.map((r) => pool.clips[r]);
  const tasks = configuredTasks(config);
  // eligibility is judged on the source normals (the Form rule); target conditions join training as classes when they have enough clips
  const analysis = analyseTasks(sourceClips, { tasks, minClipsPerClass: config.minClipsPerClass, maxBlankShare: config.maxBlankShare, minSourceNormals: config.minSourceNormals });
  if (!analysis.eligible) throw new Error(`${at}: ${analysis.verdict}. ${analysis.tasks.map((t) => t.explanation).join('; ')}`);
  if (targetRows.length === 0) throw new Error(`${at}: no target normal clips (role target_normal) to adapt to; C needs 3 to 10 from the site`);
  const warnings: string[] = [];
  if (targetRows.length < 3 || targetRows.length > 10) warnings.push(`${targetRows.length} target normal clip${targetRows.length === 1 ? '' : 's'}; C is designed for a support of 3 to 10`);
  if (pool.cleanMachine > 0) warnings.push(`${pool.cleanMachine} clean-machine clip(s) not used`);
  if (pool.augmented > 0) warnings.push(`${pool.augmented} augmented copy(ies) not used (they would put a clip's twin into the query set)`);

  // source normals held out of training calibrate the source distances honestly (the network pulls its training clips together)
  const calib = calibrationRows(sourceClips.length, config.calibrationShare, config.seed);
  const isCalib = new Uint8Array(sourceClips.length);
  for (const i of calib) isCalib[i] = 1;
  if (calib.length === 0) warnings.push('no source normals held out for calibration; the source distance statistics come from training clips and run low');
  const trainRows = [...sourceRows.filter((_, i) => !isCalib[i]), ...(config.trainOnTarget ? targetRows : [])].sort((a, b) => a - b);
  const trainClips = trainRows.map((r) => pool.clips[r]);

  const { mean, std } = featureStats(pool.x, pool.clips.length, pool.dim);
  const xAll = standardise(pool.x, pool.clips.length, mean, std);
  const x = gatherRows(xAll, pool.dim, trainRows);
  // classes: the values with at least minClipsPerClass training clips (a target condition joins when it has that many)
  const { labels } = readTaskLabels(analysis.eligibleTasks, trainClips);
  const taskIndex = analysis.eligibleTasks.flatMap((t, i) => {
    const counts = new Map<string, number>();
    for (const l of labels[i]) if (l !== undefined) counts.set(l, (counts.get(l) ?? 0) + 1);
    const classes = [...counts].filter(([, n]) => n >= config.minClipsPerClass).map(([v]) => v).sort();
    if (classes.length < 2) {
      warnings.push(`task ${t} left out: fewer than 2 of its values keep ${config.minClipsPerClass} training clips after the calibration hold-out`);
      return [];
    }
    return [buildTaskIndex(t, labels[i], classes)];
  });
  if (taskIndex.length === 0) throw new Error(`${at}: no task keeps 2 values of at least ${config.minClipsPerClass} training clips after holding out ${calib.length} source normals for calibration; lower calibrationShare`);
  const usedTasks = taskIndex.map((t) => t.task);
  const data = { x, rows: trainRows.length, dim: pool.dim, tasks: taskIndex, fingerprint: fingerprint(config, x, pool.dim, taskIndex) };

  const init = initMlp(mlpSizes(pool.dim, config.hidden, config.embedDim), config.seed);
  const trained = await metaTrain(data, init, config, {
    progress,
    signal,
    resumeFrom: options.resumeFrom ? checkpointFromState(options.resumeFrom) : undefined,
    onCheckpoint: options.onCheckpoint ? (cp) => options.onCheckpoint!(checkpointToState(cp)) : undefined,
  });

  progress({ stage: 'adapt', done: 0, total: 1 });
  const e = config.embedDim;
  const emb = embedRows(trained.weights, xAll, pool.clips.length);
  const targetPR = prototypeRows(targetRows.map((r) => pool.clips[r]), gatherRows(emb, e, targetRows), e, usedTasks);
  const sourcePR = prototypeRows(sourceClips, gatherRows(emb, e, sourceRows), e, usedTasks);
  const t = kindPart(targetPR, e, 'target', config.targetPrototypes);
  const src = kindPart(sourcePR, e, 'source', config.sourcePrototypes, calib.length ? calib : undefined);
  const honest = joinOwned(owned(sourcePR, calib, 'source', e), owned(targetPR, config.trainOnTarget ? [] : targetRows.map((_, i) => i), 'target', e));
  const prototypes = joinPrototypes(t.prototypes, src.prototypes);
  if (prototypes.kind.length === 0) throw new Error(`${at}: no normal prototype`);
  const stats: DomainStats = { ...(t.stats && { target: t.stats }), ...(src.stats && { source: src.stats }) };
  if (config.score === 'min-z') checkStats(prototypes, stats, at);
  progress({ stage: 'adapt', done: 1, total: 1 });
  return {
    config,
    machineType: set.machineType,
    section: set.section,
    mean,
    std,
    weights: trained.weights,
    prototypes,
    stats,
    calibrationClipIds: calib.map((i) => sourceClips[i].clipId),
    honest,
    usedTasks,
    analysis,
    training: { episodes: trained.episodes, resumedFrom: trained.resumedFrom, seconds: trained.seconds, curve: trained.curve, clips: trainRows.length },
    counts: { sourceNormals: sourceRows.length, targetNormals: targetRows.length, cleanMachineIgnored: pool.cleanMachine, augmentedIgnored: pool.augmented },
    warnings,
  };
}

// ---------- embedding, adaptation and scoring ----------

/** Standardised features of clips -> learned embeddings (rows x embedDim). Reads nothing but the embedding field. */
export function embedClips(state: CState, clips: ClipFeatures[], at = 'approach C'): Float32Array {
  const dim = state.mean.length;
  const x = new Float32Array(clips.length * dim);
  clips.forEach((c, i) => x.set(checkEmbedding(c, dim, at), i * dim));
  return embedRows(state.weights, standardise(x, clips.length, state.mean, state.std), clips.length);
}

/** Choices for a re-adaptation; unset fields keep the state's. */
export interface AdaptOptions {
  targetPrototypes?: TargetPrototypes;
  sourcePrototypes?: SourcePrototypes;
  score?: ScoreMode;
  /** source normal clips, needed only to rebuild the source prototypes in another mode */
  source?: ClipFeatures[];
}

/**
 * Fast adaptation to a new support without retraining: target prototypes rebuilt from
 * `support` (normal clips of the site; empty = score against the source prototypes alone).
 * Source prototypes are kept, or rebuilt from options.source when that is given.
 */
export function adaptC(state: CState, support: ClipFeatures[], options: AdaptOptions = {}): CState {
  const e = state.config.embedDim;
  const config: CConfig = {
    ...state.config,
    targetPrototypes: options.targetPrototypes ?? state.config.targetPrototypes,
    sourcePrototypes: options.sourcePrototypes ?? state.config.sourcePrototypes,
    score: options.score ?? state.config.score,
  };
  const at = 'approach C adapt';
  const rows = (clips: ClipFeatures[], what: string): PrototypeRows => prototypeRows(clips, embedClips(state, clips, `${at} (${what})`), e, state.usedTasks);
  const targetPR = rows(support, 'support');
  const t = support.length ? kindPart(targetPR, e, 'target', config.targetPrototypes) : { prototypes: kindPrototypes(targetPR, e, 'target', 'none') };
  let honestSource: OwnedRows = selectOwned(state.honest, 'source', e);
  let src: { prototypes: PrototypeSet; stats?: KindStats };
  if (options.source) {
    const calib = new Set(state.calibrationClipIds);
    const statRows = options.source.flatMap((c, i) => (calib.has(c.clipId) ? [i] : []));
    const sourcePR = rows(options.source, 'source');
    src = kindPart(sourcePR, e, 'source', config.sourcePrototypes, statRows.length >= 2 ? statRows : undefined);
    honestSource = owned(sourcePR, statRows, 'source', e);
  } else {
    if (config.sourcePrototypes !== state.config.sourcePrototypes) {
      throw new Error(`${at}: options.source (the source normal clips) is needed to change sourcePrototypes from '${state.config.sourcePrototypes}' to '${config.sourcePrototypes}'`);
    }
    src = { prototypes: selectKind(state.prototypes, 'source'), stats: state.stats.source };
  }
  const prototypes = joinPrototypes(t.prototypes, src.prototypes);
  if (prototypes.kind.length === 0) throw new Error(`${at}: no prototype left (no support clips, and no source prototypes)`);
  const stats: DomainStats = { ...(t.stats && { target: t.stats }), ...(src.stats && { source: src.stats }) };
  if (config.score === 'min-z') checkStats(prototypes, stats, at);
  const counts = { ...state.counts, targetNormals: support.length, ...(options.source ? { sourceNormals: options.source.length } : {}) };
  const honest = joinOwned(honestSource, owned(targetPR, config.trainOnTarget ? [] : support.map((_, i) => i), 'target', e));
  return { ...state, config, prototypes, stats, counts, honest };
}

export async function scoreC(state: CState, clips: ClipFeatures[], progress?: Progress): Promise<ScoreResult[]> {
  progress?.({ stage: 'score', done: 0, total: clips.length });
  const emb = embedClips(state, clips, 'approach C score');
  const scores = scoreRows(emb, clips.length, state.prototypes, state.config.score, state.config.temperature, state.stats);
  progress?.({ stage: 'score', done: clips.length, total: clips.length });
  return scores.map((s) => {
    const parts: Record<string, number> = { nearest: s.nearest, lse: s.lse };
    if (!Number.isNaN(s.minZ)) parts.min_z = s.minZ;
    if (!Number.isNaN(s.dTarget)) parts.d_target = s.dTarget;
    if (!Number.isNaN(s.dSource)) parts.d_source = s.dSource;
    return { score: s.score, parts };
  });
}

// ---------- state serialisation ----------

export function serialiseC(s: CState): SerialisedState {
  return {
    json: {
      version: STATE_VERSION,
      config: s.config,
      machineType: s.machineType,
      section: s.section,
      sizes: s.weights.sizes,
      usedTasks: s.usedTasks,
      prototypes: { count: s.prototypes.kind.length, kind: s.prototypes.kind, label: s.prototypes.label, size: s.prototypes.size },
      stats: s.stats,
      calibrationClipIds: s.calibrationClipIds,
      honest: { kind: s.honest.kind, keys: s.honest.keys, names: s.honest.names },
      analysis: s.analysis,
      training: s.training,
      counts: s.counts,
      warnings: s.warnings,
    },
    blobs: { ...weightBlobs(s.weights), mean: s.mean, std: s.std, prototypes: s.prototypes.data, honest: s.honest.emb },
  };
}

function readStats(v: unknown, at: string): DomainStats {
  if (v === undefined) return {};
  if (!v || typeof v !== 'object') throw new Error(`${at}: json.stats must be an object`);
  const out: DomainStats = {};
  for (const [k, st] of Object.entries(v as Record<string, unknown>)) {
    if (k !== 'target' && k !== 'source') throw new Error(`${at}: json.stats.${k} is not a prototype kind`);
    const o = st as KindStats;
    if (!o || !Number.isFinite(o.mean) || !(o.std >= 0) || !Number.isInteger(o.n)) throw new Error(`${at}: json.stats.${k} must be {mean, std, n}`);
    out[k] = { mean: o.mean, std: o.std, n: o.n };
  }
  return out;
}

function readHonest(v: unknown, emb: Float32Array | undefined, dim: number, at: string): OwnedRows {
  const h = v as { kind?: unknown; keys?: unknown; names?: unknown } | undefined;
  if (!h || !Array.isArray(h.kind) || !Array.isArray(h.keys) || !Array.isArray(h.names)) throw new Error(`${at}: json.honest must hold kind, keys and names lists`);
  const n = h.kind.length;
  if (h.keys.length !== n || h.names.length !== n || !h.kind.every((k) => k === 'target' || k === 'source')) throw new Error(`${at}: json.honest lists must have one 'target' / 'source' kind, key and name per row`);
  if (!(emb instanceof Float32Array) || emb.length !== n * dim) throw new Error(`${at}: blob 'honest' must be a Float32Array of ${n} x ${dim}`);
  return { emb: emb.slice(), kind: h.kind as PrototypeKind[], keys: h.keys.map(String), names: h.names.map(String) };
}

export function deserialiseC(s: SerialisedState): CState {
  const at = 'approach C state';
  const j = s?.json as Record<string, unknown> | undefined;
  if (!j || typeof j !== 'object') throw new Error(`${at}: json is missing`);
  if (j.version !== STATE_VERSION) throw new Error(`${at}: version ${String(j.version)} is not supported (expected ${STATE_VERSION})`);
  const config = parseCConfig(j.config);
  const weights = weightsFromBlobs(j.sizes, s.blobs, at);
  const dim = weights.sizes[0];
  const e = weights.sizes[weights.sizes.length - 1];
  if (e !== config.embedDim) throw new Error(`${at}: network output ${e} differs from config.embedDim ${config.embedDim}`);
  for (const k of ['mean', 'std'] as const) {
    const b = s.blobs[k];
    if (!(b instanceof Float32Array) || b.length !== dim) throw new Error(`${at}: blob '${k}' must be a Float32Array of ${dim}`);
  }
  if (s.blobs.std.some((v) => !(v > 0))) throw new Error(`${at}: blob 'std' has a value that is not > 0`);
  const p = j.prototypes as { count: number; kind: string[]; label: string[]; size: number[] } | undefined;
  if (!p || !Number.isInteger(p.count) || p.count < 1) throw new Error(`${at}: json.prototypes.count must be a positive integer`);
  if (!Array.isArray(p.kind) || p.kind.length !== p.count || !p.kind.every((k) => k === 'target' || k === 'source')) throw new Error(`${at}: json.prototypes.kind must list 'target' or 'source' for each of ${p.count} prototypes`);
  if (!Array.isArray(p.label) || p.label.length !== p.count) throw new Error(`${at}: json.prototypes.label must have ${p.count} entries`);
  if (!Array.isArray(p.size) || p.size.length !== p.count) throw new Error(`${at}: json.prototypes.size must have ${p.count} entries`);
  const pd = s.blobs.prototypes;
  if (!(pd instanceof Float32Array) || pd.length !== p.count * e) throw new Error(`${at}: blob 'prototypes' must be a Float32Array of ${p.count} x ${e}`);
  if (!Array.isArray(j.usedTasks)) throw new Error(`${at}: json.usedTasks must be a list`);
  return {
    config,
    machineType: String(j.machineType ?? ''),
    section: String(j.section ?? ''),
    mean: s.blobs.mean.slice(),
    std: s.blobs.std.slice(),
    weights,
    prototypes: { dim: e, data: pd.slice(), kind: p.kind as ('target' | 'source')[], label: p.label.map(String), size: p.size.map(Number) },
    stats: readStats(j.stats, at),
    calibrationClipIds: Array.isArray(j.calibrationClipIds) ? (j.calibrationClipIds as unknown[]).map(Number) : [],
    honest: readHonest(j.honest, s.blobs.honest, e, at),
    usedTasks: (j.usedTasks as unknown[]).map(String),
    analysis: j.analysis as TaskAnalysis,
    training: j.training as CState['training'],
    counts: j.counts as CState['counts'],
    warnings: Array.isArray(j.warnings) ? (j.warnings as unknown[]).map(String) : [],
  };
}
