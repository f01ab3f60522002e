// Approach A configuration: schema, defaults and a parser whose errors name the field.
import { z } from 'zod';

export const SUPPORT_DOMAINS = ['target', 'source', 'both'] as const;
export type SupportDomain = (typeof SUPPORT_DOMAINS)[number];

const GeometrySchema = z
  .object({
    freq: z.number().int().min(1),
    time: z.number().int().min(1),
    timeStepS: z.number().positive(),
    timeSpanS: z.number().positive(),
    melStep: z.number().positive(),
    melSpan: z.number().positive(),
    melBins: z.number().int().min(1),
    melAxis: z.object({ fminHz: z.number(), fmaxHz: z.number(), scale: z.enum(['kaldi', 'slaney', 'htk']) }).strict().optional(),
  })
  .strict();

const layerList = z
  .array(z.number().int().min(0))
  .refine((a) => new Set(a).size === a.length, 'layers must not repeat');

export const AConfigSchema = z
  .object({
    /**
     * patch encoder id as in models/manifest.json. Default oww_speech with 'both' by measurement
     * (bench/results/quality-variants.json: generator 82.1 official vs 34.8-58.8 for fbank_patch; real
     * valve all variants 45-49, at chance). Projects that switch off licence-restricted models fall back
     * to fbank_patch layer 0 (AST geometry, no learning); 'ast' once the user installs it.
     */
    encoder: z.string().trim().min(1, 'must name an encoder').default('oww_speech'),
    /** encoder layers whose anomaly maps are averaged; null = the encoder's default layers (fixed at fit) */
    layers: layerList.min(1, 'must list at least one layer').nullable().default(null),
    /** clip score = mean of the top q fraction of the mean anomaly map */
    q: z.number().gt(0).max(1).default(0.05),
    /**
     * 'target' (the paper): one bank from target normals, raw score.
     * 'source': the same from source normals.
     * 'both': a bank per domain, each clip score z-normalised with leave-one-out statistics over that
     *   domain's support clips, final = min over domains (as B), for test sets that mix domains.
     */
    supportDomain: z.enum(SUPPORT_DOMAINS).default('both'),
    /** N support clips per domain (lowest clipIds first); null = every normal of the domain */
    supportClips: z.number().int().min(1).nullable().default(10),
    /**
     * greedy k-center coreset per layer (and domain) down to this many keys; null = keep all.
     * 'auto' (default) = the measured setting for the encoder: 960 for oww_speech (1/10 of 10 support
     * clips' keys: +1.2 and +1.8 official on the generator at scale 0.3 and 1.0, +0.5 on real valve,
     * 2-5x faster), all keys for the others (fbank_patch layer 0: -1.0 and -0.3 with a coreset);
     * bench/results/quality-variants.json. The parsed config holds the resolved number or null.
     */
    maxKeysPerLayer: z.union([z.number().int().min(1), z.null(), z.literal('auto')]).default('auto'),
    /** seed of the coreset start point and projection */
    seed: z.number().int().min(0).max(0xffffffff).default(0),
    /** layers whose own maps are returned in AnomalyMap.perLayer (each must be in layers) */
    mapLayers: layerList.default([]),
    /** where the token grid lies on the spectrogram; null = from the patch tokens, else a uniform tiling */
    geometry: GeometrySchema.nullable().default(null),
  })
  .strict();

export type AConfig = Omit<z.infer<typeof AConfigSchema>, 'maxKeysPerLayer'> & { maxKeysPerLayer: number | null };

/** maxKeysPerLayer 'auto' per encoder, by measurement (see the field's comment). */
export const AUTO_MAX_KEYS: Record<string, number | null> = { oww_speech: 960 };
export type AGeometry = z.infer<typeof GeometrySchema>;

/** Validates and fills a partial config; throws an Error naming the offending field. */
export function parseAConfig(input: unknown): AConfig {
  const r = AConfigSchema.safeParse(input ?? {});
  if (!r.success) {
    const msgs = r.error.issues.map((i) => `field '${i.path.length ? i.path.join('.') : '(config)'}': ${i.message}`);
    throw new Error(`approach A config: ${msgs.join('; ')}`);
  }
  checkMapLayers(r.data, r.data.layers);
  const maxKeysPerLayer = r.data.maxKeysPerLayer === 'auto' ? (AUTO_MAX_KEYS[r.data.encoder] ?? null) : r.data.maxKeysPerLayer;
  return { ...r.data, maxKeysPerLayer };
}

/** mapLayers must be among the layers scored (checked at parse time, or at fit once null layers are resolved). */
export function checkMapLayers(c: Pick<AConfig, 'mapLayers'>, layers: number[] | null): void {
  if (layers === null) return;
  const stray = c.mapLayers.filter((l) => !layers.includes(l));
  if (stray.length) throw new Error(`approach A config: field 'mapLayers': layer(s) ${stray.join(', ')} not in layers [${layers.join(', ')}]`);
}

export const A_DEFAULTS: AConfig = parseAConfig({});
