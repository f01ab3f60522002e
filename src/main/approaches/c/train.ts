// Reptile meta-training over metadata episodes: progress with the loss, cancellation between
// episodes, and checkpoints from which a killed run resumes to bit-identical weights.
import type { Progress } from '../types';
import { sampleEpisode, episodeRng, type EpisodeShape, type TaskIndex } from './episodes';
import { adaptOnEpisode, checkWeights, cloneWeights, type EpisodeBatch, type MlpWeights } from './net';

/** Standardised training rows and the tasks episodes are drawn from. */
export interface TrainData {
  x: Float32Array;
  rows: number;
  dim: number;
  tasks: TaskIndex[];
  /** identifies data + training config; a checkpoint resumes only into the same fingerprint */
  fingerprint: string;
}

export interface TrainSettings extends EpisodeShape {
  episodes: number;
  innerSteps: number;
  innerLr: number;
  maxGradNorm: number;
  metaStepStart: number;
  metaStepEnd: number;
  temperature: number;
  seed: number;
  reportEvery: number;
  checkpointEvery: number;
}

export interface LossPoint {
  /** episodes done when the point was taken */
  episode: number;
  /** mean episode loss (before the inner steps) over the episodes since the previous point */
  loss: number;
}

/** Everything a run needs to continue: the PRNG needs no state, each episode seeds its own. */
export interface TrainCheckpoint {
  fingerprint: string;
  episodesDone: number;
  weights: MlpWeights;
  curve: LossPoint[];
  /** losses of the episodes since the last curve point, so the next point comes out the same */
  pending: { sum: number; n: number };
}

export interface TrainHooks {
  progress?: Progress;
  signal?: AbortSignal;
  resumeFrom?: TrainCheckpoint;
  /** called every checkpointEvery episodes and once more on cancellation, before the run throws */
  onCheckpoint?: (cp: TrainCheckpoint) => void | Promise<void>;
}

export interface TrainResult {
  weights: MlpWeights;
  curve: LossPoint[];
  episodes: number;
  /** episodes taken from a checkpoint (0 for a fresh run) */
  resumedFrom: number;
  seconds: number;
}

export const TRAIN_STAGE = 'meta-train';

/** Reptile's outer step size for episode e of n: linear from start to end. */
export function metaStepAt(e: number, n: number, start: number, end: number): number {
  return start + ((end - start) * e) / n;
}

/** Reptile's outer update in place: W <- W + eps * (W' - W). */
export function reptileStep(meta: MlpWeights, adapted: MlpWeights, eps: number): void {
  for (let l = 0; l < meta.w.length; l++) {
    const w = meta.w[l], wa = adapted.w[l], b = meta.b[l], ba = adapted.b[l];
    for (let i = 0; i < w.length; i++) w[i] += eps * (wa[i] - w[i]);
    for (let i = 0; i < b.length; i++) b[i] += eps * (ba[i] - b[i]);
  }
}

/** Gathers an episode's support then query rows into one matrix. */
export function episodeBatch(data: TrainData, support: Int32Array, supportClass: Int32Array, query: Int32Array, queryClass: Int32Array, nClasses: number): EpisodeBatch {
  const n = support.length + query.length;
  const x = new Float32Array(n * data.dim);
  let o = 0;
  for (const rows of [support, query]) {
    for (const r of rows) {
      x.set(data.x.subarray(r * data.dim, (r + 1) * data.dim), o);
      o += data.dim;
    }
  }
  return { x, dim: data.dim, nSupport: support.length, supportClass, queryClass, nClasses };
}

function cancelError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('approach C training cancelled');
}

const yieldToLoop = (): Promise<void> => new Promise((r) => setImmediate(r));

/**
 * Meta-trains `init` (or the checkpoint's weights) for settings.episodes episodes. Each episode:
 * draw a task and an n-way k-shot problem, run innerSteps SGD steps from the meta weights, then
 * move the meta weights toward the result by the annealed step: W += eps * (W' - W).
 */
export async function metaTrain(data: TrainData, init: MlpWeights, s: TrainSettings, hooks: TrainHooks = {}): Promise<TrainResult> {
  const t0 = performance.now();
  if (data.x.length !== data.rows * data.dim) throw new Error(`metaTrain: x has length ${data.x.length}, expected ${data.rows} x ${data.dim}`);
  if (init.sizes[0] !== data.dim) throw new Error(`metaTrain: network takes ${init.sizes[0]} dims, data has ${data.dim}`);
  let meta = cloneWeights(init);
  let curve: LossPoint[] = [];
  let start = 0;
  let lossSum = 0;
  let lossN = 0;
  const cp = hooks.resumeFrom;
  if (cp) {
    if (cp.fingerprint !== data.fingerprint) {
      throw new Error('resumeFrom: the checkpoint was made from different training clips, features or training settings; it cannot be resumed here');
    }
    if (!(Number.isInteger(cp.episodesDone) && cp.episodesDone >= 0 && cp.episodesDone <= s.episodes)) {
      throw new Error(`resumeFrom: episodesDone = ${cp.episodesDone} is outside 0..${s.episodes}`);
    }
    checkWeights(cp.weights, 'resumeFrom');
    if (cp.weights.sizes.join(',') !== init.sizes.join(',')) throw new Error(`resumeFrom: network sizes [${cp.weights.sizes.join(', ')}] differ from [${init.sizes.join(', ')}]`);
    meta = cloneWeights(cp.weights);
    curve = cp.curve.map((p) => ({ ...p }));
    start = cp.episodesDone;
    lossSum = cp.pending.sum;
    lossN = cp.pending.n;
  }
  const snapshot = (done: number): TrainCheckpoint => ({
    fingerprint: data.fingerprint,
    episodesDone: done,
    weights: cloneWeights(meta),
    curve: curve.map((p) => ({ ...p })),
    pending: { sum: lossSum, n: lossN },
  });
  for (let e = start; e < s.episodes; e++) {
    if (hooks.signal?.aborted) {
      if (hooks.onCheckpoint) await hooks.onCheckpoint(snapshot(e));
      throw cancelError(hooks.signal);
    }
    const ep = sampleEpisode(data.tasks, s, episodeRng(s.seed, e));
    const batch = episodeBatch(data, ep.support, ep.supportClass, ep.query, ep.queryClass, ep.classes.length);
    const adapted = adaptOnEpisode(meta, batch, s.innerSteps, s.innerLr, s.temperature, s.maxGradNorm);
    reptileStep(meta, adapted.weights, metaStepAt(e, s.episodes, s.metaStepStart, s.metaStepEnd));
    lossSum += adapted.loss;
    lossN++;
    const done = e + 1;
    if (done % s.reportEvery === 0 || done === s.episodes) {
      const loss = lossSum / lossN;
      curve.push({ episode: done, loss });
      lossSum = 0;
      lossN = 0;
      hooks.progress?.({ stage: TRAIN_STAGE, done, total: s.episodes, info: { episode: done, loss } });
      await yieldToLoop(); // lets a cancel request reach the signal
    }
    if (hooks.onCheckpoint && done % s.checkpointEvery === 0 && done < s.episodes) await hooks.onCheckpoint(snapshot(done));
  }
  return { weights: meta, curve, episodes: s.episodes, resumedFrom: start, seconds: (performance.now() - t0) / 1000 };
}
