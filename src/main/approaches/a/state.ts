// Approach A fitted state and its lossless {json, blobs} form for the store.
import { z } from 'zod';
import { DOMAINS } from '../../../shared/domain';
import type { GridGeometry, SerialisedState } from '../types';
import { parseAConfig, type AConfig } from './config';
import type { DomainMemory } from './memory';

export const A_STATE_VERSION = 1;

/** Leave-one-out clip scores of one domain's support clips and their statistics. */
export interface DomainStats {
  /** raw score of each support clip against its domain's bank without its own keys */
  looScores: number[];
  mean: number;
  /** sample standard deviation (n - 1) */
  std: number;
}

export interface DomainState extends DomainMemory {
  /** null when the domain has a single support clip (nothing to leave one out against) */
  stats: DomainStats | null;
  /** 'both' only: raw score of each of this domain's support clips against the other domain's full bank */
  crossScores: number[] | null;
}

export interface AState {
  version: typeof A_STATE_VERSION;
  /** the config as given */
  config: AConfig;
  /** the layers scored (config.layers, or the encoder's defaults as delivered at fit) */
  layers: number[];
  grid: { freq: number; time: number };
  geometry: GridGeometry;
  memories: DomainState[];
}

const blobKey = (kind: 'keys' | 'owner', domain: string, layer: number) => `${kind}/${domain}/${layer}`;

export function serialiseA(s: AState): SerialisedState {
  const blobs: Record<string, Float32Array> = {};
  const memories = s.memories.map((m) => {
    for (const b of m.banks) {
      blobs[blobKey('keys', m.domain, b.layer)] = b.keys;
      // clip indices are small integers, exact in float32
      blobs[blobKey('owner', m.domain, b.layer)] = Float32Array.from(b.owner);
    }
    return {
      domain: m.domain,
      clipIds: m.clipIds,
      clipNames: m.clipNames,
      stats: m.stats,
      crossScores: m.crossScores,
      banks: m.banks.map((b) => ({ layer: b.layer, dim: b.dim, n: b.n })),
    };
  });
  return {
    json: { version: s.version, config: s.config, layers: s.layers, grid: s.grid, geometry: s.geometry, memories },
    blobs,
  };
}

const int = z.number().int();
const StateJson = z.object({
  version: z.literal(A_STATE_VERSION),
  config: z.record(z.string(), z.unknown()),
  layers: z.array(int.min(0)).min(1),
  grid: z.object({ freq: int.min(1), time: int.min(1) }),
  geometry: z.object({
    freq: int, time: int, timeStepS: z.number(), timeSpanS: z.number(), melStep: z.number(), melSpan: z.number(), melBins: int,
    melAxis: z.object({ fminHz: z.number(), fmaxHz: z.number(), scale: z.enum(['kaldi', 'slaney', 'htk']) }).optional(),
  }),
  memories: z
    .array(
      z.object({
        domain: z.enum(DOMAINS),
        clipIds: z.array(int),
        clipNames: z.array(z.string()),
        stats: z.object({ looScores: z.array(z.number()), mean: z.number(), std: z.number() }).nullable(),
        crossScores: z.array(z.number()).nullable(),
        banks: z.array(z.object({ layer: int.min(0), dim: int.min(1), n: int.min(1) })),
      }),
    )
    .min(1),
});

export function deserialiseA(s: SerialisedState): AState {
  const r = StateJson.safeParse(s.json);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new Error(`approach A state: field '${i.path.join('.') || '(json)'}': ${i.message}`);
  }
  const j = r.data;
  const config = parseAConfig(j.config);
  const memories = j.memories.map((m, mi) => {
    if (m.banks.map((b) => b.layer).join() !== j.layers.join()) {
      throw new Error(`approach A state: field 'memories.${mi}.banks' must hold layers [${j.layers.join(', ')}]`);
    }
    return {
      domain: m.domain,
      clipIds: m.clipIds,
      clipNames: m.clipNames,
      stats: m.stats,
      crossScores: m.crossScores,
      banks: m.banks.map((b) => {
        const keys = s.blobs[blobKey('keys', m.domain, b.layer)];
        const ownerF = s.blobs[blobKey('owner', m.domain, b.layer)];
        if (!(keys instanceof Float32Array) || keys.length !== b.n * b.dim) {
          throw new Error(`approach A state: blob '${blobKey('keys', m.domain, b.layer)}' must hold ${b.n} x ${b.dim} floats, got ${keys?.length ?? 'none'}`);
        }
        if (!(ownerF instanceof Float32Array) || ownerF.length !== b.n) {
          throw new Error(`approach A state: blob '${blobKey('owner', m.domain, b.layer)}' must hold ${b.n} values, got ${ownerF?.length ?? 'none'}`);
        }
        return { layer: b.layer, dim: b.dim, n: b.n, keys, owner: Int32Array.from(ownerF) };
      }),
    };
  });
  return { version: A_STATE_VERSION, config, layers: j.layers, grid: j.grid, geometry: j.geometry, memories };
}
