// Approach A, training-free patch memory (Wu et al., Interspeech 2025): support tokens as keys, 1 - max cosine as anomaly.
import type { Approach, ClipFeatures, FitSet, Progress, ScoreResult } from '../types';
import { topQuantileMean, zScore, zScoreStats } from '../common/stats';
import { layerMap, meanMap, ownerMaxima, tokenGeometry, uniformGeometry, type LayerMaxima } from './anomaly-map';
import { A_DEFAULTS, checkMapLayers, parseAConfig, type AConfig } from './config';
import { buildDomainMemory, selectSupport, type DomainMemory } from './memory';
import { A_STATE_VERSION, deserialiseA, serialiseA, type AState, type DomainState } from './state';

export type { AConfig } from './config';
export type { AState } from './state';

function fitWhere(set: FitSet): string {
  return `approach A fit (${set.machineType}/section ${set.section})`;
}

/**
 * Score of a clip against a bank with support clip `j` left out, averaged over j: the same bank size
 * the leave-one-out statistics saw, so z-scores of new clips are calibrated against them.
 */
function expectedLooScore(maxima: LayerMaxima[], supportCount: number, q: number): number {
  let s = 0;
  for (let j = 0; j < supportCount; j++) s += topQuantileMean(meanMap(maxima, j), q);
  return s / supportCount;
}

async function fitA(set: FitSet, config: AConfig, progress: Progress, signal?: AbortSignal): Promise<AState> {
  const where = fitWhere(set);
  const support = selectSupport(set, config);
  const first = [...support.values()][0][0];
  if (!first.patches) throw new Error(`${where}: clip '${first.name}' (id ${first.clipId}) has no field 'patches' (patch tokens)`);
  const grid = { ...first.patches.grid };
  // null layers: whatever the encoder delivered as its defaults, in the order delivered
  const layers = config.layers ?? first.patches.layers.slice();
  checkMapLayers(config, layers);
  for (const clips of support.values()) {
    for (const c of clips) {
      const g = c.patches?.grid;
      if (g && (g.freq !== grid.freq || g.time !== grid.time)) {
        throw new Error(`${where}: clip '${c.name}' (id ${c.clipId}) has a ${g.freq} x ${g.time} token grid, clip '${first.name}' ${grid.freq} x ${grid.time}`);
      }
    }
  }
  const geometry = config.geometry ?? tokenGeometry(first.patches) ?? uniformGeometry(grid);
  if (geometry.freq !== grid.freq || geometry.time !== grid.time) {
    throw new Error(`${where}: field 'geometry' describes a ${geometry.freq} x ${geometry.time} grid, the tokens are ${grid.freq} x ${grid.time}`);
  }
  const mems: DomainMemory[] = [];
  for (const [domain, clips] of support) mems.push(await buildDomainMemory(domain, clips, layers, config, where, progress, signal));

  const memories: DomainState[] = [];
  for (const mem of mems) {
    const clips = support.get(mem.domain)!;
    let stats: DomainState['stats'] = null;
    if (clips.length >= 2) {
      // each support clip against its domain's bank without its own keys: an honest normal-score sample
      const looScores: number[] = [];
      for (let i = 0; i < clips.length; i++) {
        signal?.throwIfAborted();
        const map = meanMap(await ownerMaxima(clips[i], mem.banks, where), i);
        if (!map.every(Number.isFinite)) {
          throw new Error(`${where}: field 'maxKeysPerLayer' (${config.maxKeysPerLayer}) leaves no ${mem.domain} keys outside clip '${clips[i].name}' for leave-one-out`);
        }
        looScores.push(topQuantileMean(map, config.q));
        progress({ stage: `leave-one-out ${mem.domain}`, done: i + 1, total: clips.length });
      }
      const s = zScoreStats(looScores, 1);
      stats = { looScores, mean: s.mean, std: s.std };
    }
    let crossScores: number[] | null = null;
    if (config.supportDomain === 'both') {
      const other = mems.find((m) => m !== mem)!;
      crossScores = [];
      for (const c of clips) {
        signal?.throwIfAborted();
        crossScores.push(expectedLooScore(await ownerMaxima(c, other.banks, where), other.clipIds.length, config.q));
      }
    }
    memories.push({ ...mem, stats, crossScores });
  }
  return { version: A_STATE_VERSION, config, layers, grid, geometry, memories };
}

async function scoreA(state: AState, clips: ClipFeatures[], progress?: Progress): Promise<ScoreResult[]> {
  const { config, grid } = state;
  const where = 'approach A score';
  const zNorm = config.supportDomain === 'both';
  const out: ScoreResult[] = [];
  for (let ci = 0; ci < clips.length; ci++) {
    const clip = clips[ci];
    const g = clip.patches?.grid;
    if (g && (g.freq !== grid.freq || g.time !== grid.time)) {
      throw new Error(`${where}: clip '${clip.name}' (id ${clip.clipId}) has a ${g.freq} x ${g.time} token grid, the fitted support ${grid.freq} x ${grid.time}`);
    }
    const geometry = tokenGeometry(clip.patches) ?? state.geometry;
    const perDomain = [];
    for (const mem of state.memories) {
      const maxima = await ownerMaxima(clip, mem.banks, where);
      const mean = meanMap(maxima);
      // 'both' compares with leave-one-out statistics, so the raw score is the size-matched one
      const raw = zNorm ? expectedLooScore(maxima, mem.clipIds.length, config.q) : topQuantileMean(mean, config.q);
      perDomain.push({ mem, maxima, mean, raw, z: zNorm ? zScore(raw, mem.stats!) : raw });
    }
    // 'both': the domain the clip sits closest to (lowest z) decides the score and the map shown
    let pick = perDomain[0];
    for (const d of perDomain) if (d.z < pick.z) pick = d;
    const parts: Record<string, number> = {};
    for (const d of perDomain) {
      parts[`raw_${d.mem.domain}`] = d.raw;
      if (zNorm) parts[`z_${d.mem.domain}`] = d.z;
    }
    const perLayer: Record<number, Float32Array> = {};
    for (const l of config.mapLayers) perLayer[l] = layerMap(pick.maxima[state.layers.indexOf(l)]);
    out.push({
      score: pick.z,
      map: { geometry, values: pick.mean, ...(config.mapLayers.length ? { perLayer } : {}) },
      parts,
    });
    progress?.({ stage: 'score', done: ci + 1, total: clips.length });
  }
  return out;
}

/**
 * Out-of-bank scores of the support clips on the scale score() reports: leave-one-out raw scores, or
 * with 'both' min(z of the leave-one-out score in the own domain, z of the score against the other).
 */
function trainingScoresA(state: AState): number[] | null {
  if (state.config.supportDomain !== 'both') return state.memories[0].stats?.looScores.slice() ?? null;
  const [a, b] = state.memories;
  const out: number[] = [];
  for (const [own, other] of [[a, b], [b, a]]) {
    own.stats!.looScores.forEach((s, i) => out.push(Math.min(zScore(s, own.stats!), zScore(own.crossScores![i], other.stats!))));
  }
  return out;
}

export const approachA: Approach<AConfig, AState> = {
  id: 'A',
  title: 'A: training-free patch memory',
  defaults: A_DEFAULTS,
  parseConfig: parseAConfig,
  // an empty layer list asks the encoder for its default layers
  featureRequest: (config) => ({ kind: 'patches', encoder: config.encoder, layers: config.layers?.slice() ?? [] }),
  fit: fitA,
  score: scoreA,
  serialise: serialiseA,
  deserialise: deserialiseA,
  trainingSubset: (set, config) => [...selectSupport(set, config).values()].flat().map((c) => c.clipId),
  trainingScores: trainingScoresA,
};
