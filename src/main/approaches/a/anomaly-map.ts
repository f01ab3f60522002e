// Approach A anomaly maps: per patch 1 - max cosine similarity to the layer's keys, averaged over layers.
import { CLIP_SECONDS } from '../../../shared/domain';
import { cosineMaxSim } from '../common/knn';
import type { ClipFeatures, GridGeometry, PatchTokens } from '../types';
import { normaliseRows } from '../common/rows';
import { layerTokens, type LayerBank } from './memory';

/** Mel bins of the fbank the patch encoders read (AST and BEATs style fbank, ALGORITHMS.md). */
export const FBANK_MEL_BINS = 128;

/**
 * Where the grid lies when neither the tokens nor the config say: cells tile the clip and the
 * mel axis evenly. An encoder that knows its strides should supply the real geometry instead.
 */
export function uniformGeometry(grid: PatchTokens['grid']): GridGeometry {
  return {
    freq: grid.freq,
    time: grid.time,
    timeStepS: CLIP_SECONDS / grid.time,
    timeSpanS: CLIP_SECONDS / grid.time,
    melStep: FBANK_MEL_BINS / grid.freq,
    melSpan: FBANK_MEL_BINS / grid.freq,
    melBins: FBANK_MEL_BINS,
  };
}

/** Geometry carried on the tokens, if the encoder attached one (PatchTokens may grow a `geometry` field). */
export function tokenGeometry(p: PatchTokens | undefined): GridGeometry | null {
  const g = (p as (PatchTokens & { geometry?: GridGeometry }) | undefined)?.geometry;
  return g && typeof g === 'object' && g.freq === p?.grid.freq && g.time === p?.grid.time ? g : null;
}

/** Per query patch of one layer: best similarity, the support clip it came from, and the best over the other clips. */
export interface LayerMaxima {
  layer: number;
  max1: Float32Array;
  owner1: Int32Array;
  /** best similarity over keys of every support clip except owner1 (-Infinity when only one clip has keys) */
  max2: Float32Array;
}

/** Contiguous runs of keys with one owner (banks are built grouped by support clip). */
function ownerRuns(b: LayerBank): { owner: number; k0: number; k1: number }[] {
  const runs: { owner: number; k0: number; k1: number }[] = [];
  for (let i = 0; i < b.n; i++) {
    const last = runs[runs.length - 1];
    if (last && last.owner === b.owner[i]) last.k1 = i + 1;
    else runs.push({ owner: b.owner[i], k0: i, k1: i + 1 });
  }
  return runs;
}

/**
 * Max cosine similarity of each patch of `clip` to each layer's bank, kept per support clip as the
 * best and the best-of-the-rest: enough to know the map with any one support clip left out,
 * exactly, for the price of the full-bank product (one product per support clip's block of keys).
 */
export async function ownerMaxima(clip: ClipFeatures, banks: LayerBank[], where: string): Promise<LayerMaxima[]> {
  const out: LayerMaxima[] = [];
  let tokens = -1;
  for (const b of banks) {
    const t = layerTokens(clip, b.layer, where);
    if (t.dim !== b.dim) throw new Error(`${where}: clip '${clip.name}' (id ${clip.clipId}): layer ${b.layer} has dim ${t.dim}, the bank ${b.dim}`);
    if (tokens >= 0 && t.tokens !== tokens) throw new Error(`${where}: clip '${clip.name}' (id ${clip.clipId}): layer ${b.layer} has ${t.tokens} tokens, earlier layers ${tokens}`);
    tokens = t.tokens;
    const q = normaliseRows(t.data, t.tokens, t.dim);
    const max1 = new Float32Array(t.tokens).fill(-Infinity);
    const max2 = new Float32Array(t.tokens).fill(-Infinity);
    const owner1 = new Int32Array(t.tokens).fill(-1);
    for (const r of ownerRuns(b)) {
      const { sim } = await cosineMaxSim(q, t.tokens, b.keys.subarray(r.k0 * b.dim, r.k1 * b.dim), r.k1 - r.k0, b.dim, { keysAreUnit: true, queriesAreUnit: true });
      for (let i = 0; i < t.tokens; i++) {
        const s = sim[i];
        if (owner1[i] === r.owner) {
          if (s > max1[i]) max1[i] = s;
        } else if (s > max1[i]) {
          max2[i] = max1[i];
          max1[i] = s;
          owner1[i] = r.owner;
        } else if (s > max2[i]) {
          max2[i] = s;
        }
      }
    }
    out.push({ layer: b.layer, max1, owner1, max2 });
  }
  if (!out.length) throw new Error(`${where}: no layers to score`);
  return out;
}

/** Anomaly of one layer, 1 - max cosine, with support clip `without` left out of the bank (-1: none). */
export function layerMap(m: LayerMaxima, without = -1): Float32Array {
  const out = new Float32Array(m.max1.length);
  for (let i = 0; i < out.length; i++) out[i] = 1 - (m.owner1[i] === without ? m.max2[i] : m.max1[i]);
  return out;
}

/** Mean over layers of the anomaly maps, with support clip `without` left out (-1: the full bank). */
export function meanMap(maxima: LayerMaxima[], without = -1): Float32Array {
  const mean = new Float32Array(maxima[0].max1.length);
  for (const m of maxima) {
    for (let i = 0; i < mean.length; i++) mean[i] += 1 - (m.owner1[i] === without ? m.max2[i] : m.max1[i]);
  }
  for (let i = 0; i < mean.length; i++) mean[i] /= maxima.length;
  return mean;
}
