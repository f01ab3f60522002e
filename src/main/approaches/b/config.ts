// Approach B configuration: schema, defaults and a parser whose errors name the field.
import { z } from 'zod';

/** How the two bank distances are put on one scale before min(z_s, z_t). */
export const NORMALISATIONS = ['loo-train', 'transductive-test', 'none'] as const;
export type Normalisation = (typeof NORMALISATIONS)[number];

export const BConfigSchema = z
  .object({
    /** embedding encoder name as known to encoders/ ('logmel_stats' as in the seed) */
    encoder: z.string().trim().min(1, 'must name an encoder').default('logmel_stats'),
    /** encoder layer for pretrained encoders; absent for DSP encoders */
    layer: z.number().int().min(0).optional(),
    /** k nearest bank entries; the bank distance is the mean of their Euclidean distances */
    k: z.number().int().min(1).max(64).default(1),
    /** per-dimension z-scoring of embeddings, fitted on the training normals */
    standardise: z.boolean().default(false),
    /** MemMixup: add lambda * t + (1 - lambda) * s to the target bank */
    memMixup: z.boolean().default(true),
    mixupLambda: z.number().gt(0).lt(1).default(0.9),
    /** K_s: how many nearest source embeddings each target is mixed with ('all' = every source) */
    mixupSources: z.union([z.literal('all'), z.number().int().min(1)]).default('all'),
    /**
     * 'loo-train': z statistics from the training normals, leave-one-out (default; no test data).
     * 'transductive-test': mean / std over the clips being scored (the paper's variant).
     * 'none': score = min(d_s, d_t) without normalisation (the paper's ablation).
     */
    normalisation: z.enum(NORMALISATIONS).default('loo-train'),
    /** use noise-augmented normals (attributes.augmented = 'noise') passed in by the fit job */
    noiseAugment: z.boolean().default(false),
    /** augmented copies per normal clip the fit job should make when noiseAugment is on */
    noiseCopies: z.number().int().min(1).max(16).default(1),
    /** SNR (dB) for the mix; null = estimate the site SNR from noise-only vs normal clips */
    noiseSnrDb: z.number().min(-30).max(60).nullable().default(null),
    /** seed for the noise offsets chosen by planNoiseAugmentation */
    seed: z.number().int().min(0).max(0xffffffff).default(0),
  })
  .strict();

export type BConfig = z.infer<typeof BConfigSchema>;

export const B_DEFAULTS: BConfig = BConfigSchema.parse({});

/** Validates and fills a partial config; throws an Error naming the offending field. */
export function parseBConfig(input: unknown): BConfig {
  const r = BConfigSchema.safeParse(input ?? {});
  if (r.success) return r.data;
  const msgs = r.error.issues.map((i) => {
    const field = i.path.length ? i.path.join('.') : '(config)';
    return `field '${field}': ${i.message}`;
  });
  throw new Error(`approach B config: ${msgs.join('; ')}`);
}
