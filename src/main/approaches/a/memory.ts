// Approach A memory: support clips per domain and, per layer, a bank of unit-norm patch-token keys.
import type { Domain } from '../../../shared/domain';
import { kCenterGreedyAsync } from '../common/coreset';
import { normaliseRows } from '../common/rows';
import type { ClipFeatures, FitSet, PatchTokens, Progress } from '../types';
import type { AConfig } from './config';

/** Keys of one encoder layer: unit rows, and the support clip (index into clipIds) each came from. */
export interface LayerBank {
  layer: number;
  dim: number;
  /** number of keys */
  n: number;
  /** n x dim, unit L2 rows */
  keys: Float32Array;
  /** n, index of the support clip each key came from (for leave-one-out) */
  owner: Int32Array;
}

export interface DomainMemory {
  domain: Domain;
  clipIds: number[];
  clipNames: string[];
  /** one bank per scored layer, in the state's layer order */
  banks: LayerBank[];
}

// noise-augmented copies (made by B's fit job) are not real support clips
const AUGMENTED_ATTR = 'augmented';

const ROLE_DOMAIN: Partial<Record<ClipFeatures['role'], Domain>> = { target_normal: 'target', source_normal: 'source' };

/** The domain of a training normal, from its role (the role is what the customer's package declares). */
export function supportDomainOf(c: ClipFeatures): Domain | null {
  return ROLE_DOMAIN[c.role] ?? null;
}

/** Looks up one layer of a clip's tokens, with errors naming the clip and what is missing. */
export function layerTokens(c: ClipFeatures, layer: number, where: string): { data: Float32Array; dim: number; tokens: number } {
  const p: PatchTokens | undefined = c.patches;
  if (!p) throw new Error(`${where}: clip '${c.name}' (id ${c.clipId}) has no field 'patches' (patch tokens)`);
  const li = p.layers.indexOf(layer);
  if (li < 0) throw new Error(`${where}: clip '${c.name}' (id ${c.clipId}): patches lack layer ${layer} (have ${p.layers.join(', ')})`);
  const tokens = p.grid.freq * p.grid.time;
  const data = p.data[li];
  if (!(data instanceof Float32Array) || data.length !== tokens * p.dim) {
    throw new Error(`${where}: clip '${c.name}' (id ${c.clipId}): patches.data[${li}] must be a Float32Array of ${tokens} x ${p.dim}, got length ${data?.length}`);
  }
  // a NaN would silently lose every max comparison; cheap next to the product that follows
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) {
      throw new Error(`${where}: clip '${c.name}' (id ${c.clipId}): layer ${layer} token ${Math.floor(i / p.dim)} value ${i % p.dim} is ${data[i]} (not finite)`);
    }
  }
  return { data, dim: p.dim, tokens };
}

/** Picks the support clips of each domain the config asks for, lowest clipIds first. */
export function selectSupport(set: FitSet, config: AConfig): Map<Domain, ClipFeatures[]> {
  const where = `approach A fit (${set.machineType}/section ${set.section})`;
  const domains: Domain[] = config.supportDomain === 'both' ? ['source', 'target'] : [config.supportDomain];
  const out = new Map<Domain, ClipFeatures[]>();
  for (const d of domains) {
    const all = set.normals
      .filter((c) => supportDomainOf(c) === d && !c.attributes?.[AUGMENTED_ATTR])
      .sort((a, b) => a.clipId - b.clipId);
    const need = config.supportDomain === 'both' ? 2 : 1;
    if (all.length < need) {
      throw new Error(
        `${where}: supportDomain '${config.supportDomain}' needs at least ${need} ${d}-domain normal clip(s) (role ${d}_normal), found ${all.length}` +
          (config.supportDomain === 'both' ? ' (leave-one-out statistics need two)' : ''),
      );
    }
    out.set(d, config.supportClips === null ? all : all.slice(0, config.supportClips));
  }
  return out;
}

/**
 * Builds the per-layer key banks of one domain: every support token, unit-normalised, optionally
 * reduced to maxKeysPerLayer by greedy k-center on cosine distance (not random sampling).
 */
export async function buildDomainMemory(
  domain: Domain, clips: ClipFeatures[], layers: number[], config: AConfig, where: string,
  progress: Progress, signal?: AbortSignal,
): Promise<DomainMemory> {
  const banks: LayerBank[] = [];
  let grid: PatchTokens['grid'] | null = null;
  for (const c of clips) {
    const g = c.patches?.grid;
    if (g && grid && (g.freq !== grid.freq || g.time !== grid.time)) {
      throw new Error(`${where}: clip '${c.name}' (id ${c.clipId}) has a ${g.freq} x ${g.time} token grid, others ${grid.freq} x ${grid.time}`);
    }
    grid ??= g ?? null;
  }
  for (let li = 0; li < layers.length; li++) {
    const layer = layers[li];
    signal?.throwIfAborted();
    const parts = clips.map((c) => layerTokens(c, layer, where));
    const dim = parts[0].dim;
    parts.forEach((p, i) => {
      if (p.dim !== dim) throw new Error(`${where}: clip '${clips[i].name}' (id ${clips[i].clipId}): layer ${layer} has dim ${p.dim}, others ${dim}`);
    });
    const total = parts.reduce((s, p) => s + p.tokens, 0);
    let keys = new Float32Array(total * dim);
    let owner = new Int32Array(total);
    let o = 0;
    parts.forEach((p, i) => {
      keys.set(normaliseRows(p.data, p.tokens, dim), o * dim);
      owner.fill(i, o, o + p.tokens);
      o += p.tokens;
    });
    let n = total;
    if (config.maxKeysPerLayer !== null && total > config.maxKeysPerLayer) {
      const m = config.maxKeysPerLayer;
      // sorted so keys stay grouped by clip; the order never changes a max
      const sel = (await kCenterGreedyAsync(keys, total, dim, m, { seed: config.seed + layer, metric: 'cosine' })).sort();
      const k2 = new Float32Array(m * dim);
      const o2 = new Int32Array(m);
      sel.forEach((s, i) => {
        k2.set(keys.subarray(s * dim, (s + 1) * dim), i * dim);
        o2[i] = owner[s];
      });
      keys = k2;
      owner = o2;
      n = m;
    }
    banks.push({ layer, dim, n, keys, owner });
    progress({ stage: `bank ${domain}`, done: li + 1, total: layers.length, info: { layer, keys: n } });
  }
  return { domain, clipIds: clips.map((c) => c.clipId), clipNames: clips.map((c) => c.name), banks };
}
