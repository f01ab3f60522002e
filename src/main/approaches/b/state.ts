// B's fitted state <-> SerialisedState. MemMixup rows are not stored: they are rebuilt from the
// stored (target, source) index pairs, bit-identically, so a 990 x 10 bank of 6144-dim BEATs
// embeddings costs 25 MB instead of 270 MB.
import { z } from 'zod';
import type { SerialisedState } from '../types';
import { NORMALISATIONS, parseBConfig } from './config';
import { assembleTarget, type BState } from './model';

export const B_STATE_FORMAT = 'hark.approach-b';
export const B_STATE_VERSION = 1;
/** Float32 holds every integer below 2^24 exactly: the bound for indices stored in blobs. */
const MAX_F32_INT = 1 << 24;

const StatsSchema = z
  .object({
    mean: z.number(),
    std: z.number().positive(),
    n: z.number().int().min(1),
    ddof: z.number().int().min(0),
    from: z.enum(['source', 'target']),
  })
  .nullable();

const BankMetaSchema = z.object({
  clipIds: z.array(z.number().int()),
  names: z.array(z.string()),
});

const StateJsonSchema = z.object({
  format: z.literal(B_STATE_FORMAT),
  version: z.literal(B_STATE_VERSION),
  config: z.record(z.string(), z.unknown()),
  /** copied out of config so every report can flag a transductive state without parsing it */
  normalisation: z.enum(NORMALISATIONS),
  transductive: z.boolean(),
  machineType: z.string(),
  section: z.string(),
  dim: z.number().int().min(1),
  ks: z.number().int().min(0),
  source: BankMetaSchema,
  target: BankMetaSchema,
  counts: z.object({
    sourceNormals: z.number().int().min(0),
    sourceAugmented: z.number().int().min(0),
    targetNormals: z.number().int().min(0),
    targetAugmented: z.number().int().min(0),
    memMixupRows: z.number().int().min(0),
  }),
  stats: z.object({ source: StatsSchema, target: StatsSchema }),
  hasTrainScore: z.boolean(),
  warnings: z.array(z.string()),
});
export type BStateJson = z.infer<typeof StateJsonSchema>;

function indexBlob(a: Int32Array): Float32Array {
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) {
    if (a[i] < 0 || a[i] >= MAX_F32_INT) throw new Error(`approach B serialise: index ${a[i]} cannot be stored exactly`);
    out[i] = a[i];
  }
  return out;
}

export function serialiseB(s: BState): SerialisedState {
  const { dim } = s;
  const json: BStateJson = {
    format: B_STATE_FORMAT,
    version: B_STATE_VERSION,
    config: { ...s.config },
    normalisation: s.config.normalisation,
    transductive: s.config.normalisation === 'transductive-test',
    machineType: s.machineType,
    section: s.section,
    dim,
    ks: s.ks,
    source: { clipIds: s.source.clipIds, names: s.source.names },
    target: { clipIds: s.target.clipIds, names: s.target.names },
    counts: {
      sourceNormals: s.source.nOrig,
      sourceAugmented: s.source.rows.length / dim - s.source.nOrig,
      targetNormals: s.target.nOrig,
      targetAugmented: s.target.base.length / dim - s.target.nOrig,
      memMixupRows: s.target.mixTarget.length,
    },
    stats: s.stats,
    hasTrainScore: s.train.score !== null,
    warnings: s.warnings,
  };
  const blobs: Record<string, Float32Array> = {
    'source.rows': s.source.rows,
    'source.origin': indexBlob(s.source.origin),
    'target.base': s.target.base,
    'target.baseOrigin': indexBlob(s.target.baseOrigin),
    'mix.target': indexBlob(s.target.mixTarget),
    'mix.source': indexBlob(s.target.mixSource),
    'train.d_s': s.train.d_s,
    'train.d_t': s.train.d_t,
  };
  if (s.train.score) blobs['train.score'] = s.train.score;
  if (s.standardiser) {
    blobs['standardiser.mean'] = s.standardiser.mean;
    blobs['standardiser.std'] = s.standardiser.std;
  }
  return { json: json as unknown as Record<string, unknown>, blobs };
}

function fail(msg: string): never {
  throw new Error(`approach B state: ${msg}`);
}

function blob(s: SerialisedState, name: string, length: number | null): Float32Array {
  const b = s.blobs[name];
  if (!(b instanceof Float32Array)) fail(`blob '${name}' is missing`);
  if (length !== null && b.length !== length) fail(`blob '${name}' has length ${b.length}, expected ${length}`);
  return b;
}

function indices(s: SerialisedState, name: string, length: number, bound: number): Int32Array {
  const b = blob(s, name, length);
  const out = new Int32Array(length);
  for (let i = 0; i < length; i++) {
    const v = b[i];
    if (!Number.isInteger(v) || v < 0 || v >= bound) fail(`blob '${name}' entry ${i} = ${v} is not an index below ${bound}`);
    out[i] = v;
  }
  return out;
}

export function deserialiseB(s: SerialisedState): BState {
  const r = StateJsonSchema.safeParse(s?.json);
  if (!r.success) {
    const i = r.error.issues[0];
    fail(`json field '${i.path.join('.') || '(root)'}': ${i.message}`);
  }
  const j = r.data;
  const config = parseBConfig(j.config);
  if (config.normalisation !== j.normalisation) fail(`json field 'normalisation' (${j.normalisation}) disagrees with config.normalisation (${config.normalisation})`);
  if (j.transductive !== (config.normalisation === 'transductive-test')) fail(`json field 'transductive' disagrees with config.normalisation`);
  const { dim, counts: c } = j;
  const nsO = j.source.clipIds.length;
  const ntO = j.target.clipIds.length;
  if (j.source.names.length !== nsO || c.sourceNormals !== nsO) fail(`source clipIds / names / counts disagree`);
  if (j.target.names.length !== ntO || c.targetNormals !== ntO) fail(`target clipIds / names / counts disagree`);
  if (c.memMixupRows !== ntO * j.ks) fail(`counts.memMixupRows ${c.memMixupRows} != ${ntO} targets x ks ${j.ks}`);
  const nS = nsO + c.sourceAugmented;
  const nTB = ntO + c.targetAugmented;
  const sRows = blob(s, 'source.rows', nS * dim);
  const source = { clipIds: j.source.clipIds, names: j.source.names, nOrig: nsO, rows: sRows, origin: indices(s, 'source.origin', nS, Math.max(nsO, 1)) };
  const target = assembleTarget(
    {
      clipIds: j.target.clipIds,
      names: j.target.names,
      nOrig: ntO,
      base: blob(s, 'target.base', nTB * dim),
      baseOrigin: indices(s, 'target.baseOrigin', nTB, Math.max(ntO, 1)),
      mixTarget: indices(s, 'mix.target', c.memMixupRows, Math.max(ntO, 1)),
      mixSource: indices(s, 'mix.source', c.memMixupRows, Math.max(nsO, 1)),
    },
    sRows, dim, config.mixupLambda,
  );
  let standardiser = null;
  if (config.standardise) {
    standardiser = { mean: blob(s, 'standardiser.mean', dim), std: blob(s, 'standardiser.std', dim) };
    for (const v of standardiser.std) if (!(v > 0)) fail(`blob 'standardiser.std' has a non-positive entry`);
  }
  const nO = nsO + ntO;
  return {
    config,
    machineType: j.machineType,
    section: j.section,
    dim,
    standardiser,
    source,
    target,
    ks: j.ks,
    stats: j.stats,
    train: {
      d_s: blob(s, 'train.d_s', nO),
      d_t: blob(s, 'train.d_t', nO),
      score: j.hasTrainScore ? blob(s, 'train.score', nO) : null,
    },
    warnings: j.warnings,
  };
}
