// models/manifest.json and user model manifests: schema, loading, sha256 checks, one registry.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { ANALYSIS_RATE } from '../../shared/domain';
import { appRoot } from '../paths';

export const MANIFEST_FORMAT = 'hark-models/1';

const LayerKey = z.string().regex(/^\d+$/, 'must be a layer index');
const Int = z.number().int();

const FileSchema = z.strictObject({
  role: z.literal('model'),
  /** relative to the manifest's folder, or absolute (user-supplied models) */
  path: z.string().min(1),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits'),
  bytes: Int.min(0),
});

const InputSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('waveform'),
    /** ONNX input name; absent for DSP encoders */
    name: z.string().min(1).optional(),
    sample_rate: z.literal(ANALYSIS_RATE),
    /** fixed length the model takes; clips are padded with zeros / cut to it. 0 = any length (DSP) */
    samples: Int.min(0),
  }),
  z.strictObject({
    type: z.literal('fbank'),
    name: z.string().min(1),
    preset: z.enum(['ast', 'beats']),
    frames: Int.min(16),
    bins: z.literal(128),
  }),
]);

const GeometrySchema = z.strictObject({
  freq: Int.min(1),
  time: Int.min(1),
  timeStepS: z.number().positive(),
  timeSpanS: z.number().positive(),
  melStep: z.number().positive(),
  melSpan: z.number().positive(),
  melBins: Int.min(1),
});

const PatchesSchema = z.strictObject({
  dim: Int.min(1),
  grid: z.strictObject({ freq: Int.min(1), time: Int.min(1) }),
  /** order of the model's own token axis; Hark always hands out frequency-major tokens */
  token_order: z.enum(['freq-major', 'time-major']),
  /** leading non-patch tokens to drop (AST: CLS + distillation = 2) */
  skip_tokens: Int.min(0),
  /** ONNX output name of each patch layer, keyed by layer index */
  outputs: z.record(LayerKey, z.string().min(1)),
  geometry: GeometrySchema,
  mel_axis: z.strictObject({
    bins: Int.min(1),
    fmin_hz: z.number().min(0),
    fmax_hz: z.number().positive(),
    scale: z.enum(['kaldi', 'slaney', 'htk']),
  }),
});

const EmbeddingSchema = z.strictObject({
  /**
   * graph: the model outputs the pooled embedding itself (outputs + dims per layer);
   * time-mean-keep-freq: Hark averages a patch layer's tokens over time, keeping the frequency rows;
   * dsp: computed by a DSP encoder (dim).
   */
  pooling: z.enum(['graph', 'time-mean-keep-freq', 'dsp']),
  layers: z.array(Int.min(0)),
  default_layer: Int.min(0).optional(),
  outputs: z.record(LayerKey, z.string().min(1)).optional(),
  dims: z.record(LayerKey, Int.min(1)).optional(),
  dim: Int.min(1).optional(),
});

const EntrySchema = z
  .strictObject({
    id: z.string().regex(/^[a-z0-9][a-z0-9_.-]*$/, 'must be lowercase letters, digits, _ . -'),
    version: z.string().min(1),
    title: z.string().min(1),
    description: z.string().optional(),
    runtime: z.enum(['onnx', 'dsp']),
    kind: z.enum(['patch', 'embedding', 'both']),
    files: z.array(FileSchema),
    licence: z.strictObject({
      name: z.string().min(1),
      licence_restricted: z.boolean(),
      notes: z.string().optional(),
      url: z.string().optional(),
    }),
    provenance: z.strictObject({
      generator: z.string().optional(),
      source: z.string().min(1),
      source_sha256: z.record(z.string(), z.string()).optional(),
      upstream: z.array(z.string()).optional(),
    }),
    input: InputSchema,
    layers: z.array(Int.min(0)),
    default_layers: z.array(Int.min(0)),
    patches: PatchesSchema.optional(),
    embedding: EmbeddingSchema.optional(),
    /** DSP encoder implemented in Hark */
    dsp: z.enum(['logmel_stats']).optional(),
    /** a model the user must export (no files shipped): how to install it */
    install: z.strictObject({ tool: z.string().min(1), command: z.string().min(1), note: z.string().optional() }).optional(),
  })
  .superRefine((e, ctx) => {
    const bad = (p: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path: p, message });
    const hasPatches = e.kind !== 'embedding';
    const hasEmbedding = e.kind !== 'patch';
    if (hasPatches && !e.patches) bad(['patches'], `kind '${e.kind}' needs a patches block`);
    if (!hasPatches && e.patches) bad(['patches'], "kind 'embedding' must not have a patches block");
    if (hasEmbedding && !e.embedding) bad(['embedding'], `kind '${e.kind}' needs an embedding block`);
    if (new Set(e.layers).size !== e.layers.length) bad(['layers'], 'has duplicates');
    for (const l of e.default_layers) if (!e.layers.includes(l)) bad(['default_layers'], `layer ${l} is not in layers`);
    if (hasPatches && e.layers.length === 0) bad(['layers'], 'a patch encoder needs at least one layer');
    if (hasPatches && e.default_layers.length === 0) bad(['default_layers'], 'must name at least one layer');
    if (e.runtime === 'onnx') {
      if (!e.input.name) bad(['input', 'name'], 'an ONNX encoder must name its input');
      if (e.install ? e.files.length !== 0 : e.files.length !== 1)
        bad(['files'], e.install ? 'an install template ships no files' : 'an ONNX encoder needs exactly one model file');
      if (e.dsp) bad(['dsp'], "only for runtime 'dsp'");
      if (e.input.type === 'waveform' && e.input.samples === 0) bad(['input', 'samples'], 'an ONNX encoder needs a fixed length');
    } else {
      if (!e.dsp) bad(['dsp'], "runtime 'dsp' must name its DSP encoder");
      if (e.files.length) bad(['files'], 'a DSP encoder has no files');
      if (e.embedding?.pooling !== 'dsp' || !e.embedding.dim) bad(['embedding'], "a DSP encoder needs pooling 'dsp' and a dim");
    }
    const p = e.patches;
    if (p) {
      const keys = Object.keys(p.outputs).map(Number).sort((a, b) => a - b);
      const want = [...e.layers].sort((a, b) => a - b);
      if (keys.join(',') !== want.join(',')) bad(['patches', 'outputs'], `must map exactly the layers [${want.join(', ')}]`);
      if (p.geometry.freq !== p.grid.freq || p.geometry.time !== p.grid.time)
        bad(['patches', 'geometry'], 'freq/time must equal the grid');
    }
    const m = e.embedding;
    if (m) {
      if (m.default_layer !== undefined && !m.layers.includes(m.default_layer))
        bad(['embedding', 'default_layer'], `layer ${m.default_layer} is not in embedding.layers`);
      if (m.pooling === 'graph') {
        for (const l of m.layers) {
          if (!m.outputs?.[String(l)]) bad(['embedding', 'outputs'], `needs an output for layer ${l}`);
          if (!m.dims?.[String(l)]) bad(['embedding', 'dims'], `needs a dim for layer ${l}`);
        }
      }
      if (m.pooling === 'time-mean-keep-freq') {
        if (!p) bad(['embedding', 'pooling'], 'time-mean-keep-freq needs patch layers');
        for (const l of m.layers) if (!e.layers.includes(l)) bad(['embedding', 'layers'], `layer ${l} is not a patch layer`);
      }
      if (m.pooling !== 'dsp' && m.layers.length && m.default_layer === undefined)
        bad(['embedding', 'default_layer'], 'must be given when there are embedding layers');
    }
  });

const ManifestSchema = z.strictObject({
  format: z.literal(MANIFEST_FORMAT),
  encoders: z.array(EntrySchema),
});

export type ManifestEntry = z.infer<typeof EntrySchema>;
export type Manifest = z.infer<typeof ManifestSchema>;

/** An entry with its files resolved to absolute paths. */
export interface ResolvedEntry {
  entry: ManifestEntry;
  manifestPath: string;
  source: 'shipped' | 'user';
  files: { role: 'model'; path: string; sha256: string; bytes: number }[];
  /** false for install templates (AST, BEATs) until the user exports the model */
  installed: boolean;
}

/** Reads and validates one manifest; errors name the file and the offending field. */
export async function readManifest(manifestPath: string): Promise<Manifest> {
  let text: string;
  try {
    text = await fs.readFile(manifestPath, 'utf8');
  } catch (err) {
    throw new Error(`model manifest ${manifestPath}: cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`model manifest ${manifestPath}: not valid JSON (${(err as Error).message})`);
  }
  const r = ManifestSchema.safeParse(json);
  if (!r.success) {
    const issues = r.error.issues.map((i) => `${describePath(json, i.path)}: ${i.message}`);
    throw new Error(`model manifest ${manifestPath}: ${issues.join('; ')}`);
  }
  const ids = new Set<string>();
  for (const e of r.data.encoders) {
    if (ids.has(e.id)) throw new Error(`model manifest ${manifestPath}: encoder id '${e.id}' appears twice`);
    ids.add(e.id);
  }
  return r.data;
}

/** 'encoders[1] (oww_speech).files.0.sha256' rather than a bare index path. */
function describePath(json: unknown, p: PropertyKey[]): string {
  if (p.length === 0) return '(manifest)';
  if (p[0] === 'encoders' && typeof p[1] === 'number') {
    const enc = (json as { encoders?: { id?: unknown }[] }).encoders?.[p[1]];
    const id = typeof enc?.id === 'string' ? ` (${enc.id})` : '';
    const rest = p.slice(2).map(String).join('.');
    return `encoders[${p[1]}]${id}${rest ? '.' + rest : ''}`;
  }
  return p.map(String).join('.');
}

function resolveEntry(entry: ManifestEntry, manifestPath: string, source: 'shipped' | 'user'): ResolvedEntry {
  const dir = path.dirname(manifestPath);
  return {
    entry,
    manifestPath,
    source,
    files: entry.files.map((f) => ({ ...f, path: path.isAbsolute(f.path) ? f.path : path.resolve(dir, f.path) })),
    installed: !entry.install,
  };
}

export function defaultModelsDir(): string {
  return path.join(appRoot(), 'models');
}

/** Shipped entries plus user-supplied ones; one id, one encoder. */
export class ModelRegistry {
  private readonly byId = new Map<string, ResolvedEntry>();

  constructor(entries: ResolvedEntry[]) {
    for (const r of entries) {
      const prev = this.byId.get(r.entry.id);
      if (prev) {
        // a user export may fill in a shipped install template of the same id (AST, BEATs)
        if (prev.installed || r.source !== 'user' || !r.installed)
          throw new Error(
            `encoder id '${r.entry.id}' is defined twice: in ${prev.manifestPath} and in ${r.manifestPath}; rename one of them`,
          );
      }
      this.byId.set(r.entry.id, r);
    }
  }

  ids(): string[] {
    return [...this.byId.keys()];
  }

  list(): ResolvedEntry[] {
    return [...this.byId.values()];
  }

  resolve(id: string): ResolvedEntry {
    const r = this.byId.get(id);
    if (!r) throw new Error(`unknown encoder '${id}'; known encoders: ${this.ids().join(', ') || '(none)'}`);
    return r;
  }
}

export async function loadModelRegistry(opts: { modelsDir?: string; userManifests?: string[] } = {}): Promise<ModelRegistry> {
  const shippedPath = path.join(opts.modelsDir ?? defaultModelsDir(), 'manifest.json');
  const entries = (await readManifest(shippedPath)).encoders.map((e) => resolveEntry(e, shippedPath, 'shipped'));
  for (const user of opts.userManifests ?? []) {
    const abs = path.resolve(user);
    for (const e of (await readManifest(abs)).encoders) entries.push(resolveEntry(e, abs, 'user'));
  }
  return new ModelRegistry(entries);
}

const verified = new Map<string, string>();

/** sha256 of a file, streamed (user models can be hundreds of MB). */
export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Checks presence, size and sha256 of every file of an entry; the error names the file and the fix. */
export async function verifyEntryFiles(r: ResolvedEntry): Promise<void> {
  const { entry } = r;
  if (!r.installed) {
    const note = entry.install?.note ? ` ${entry.install.note}` : '';
    throw new Error(
      `encoder '${entry.id}' is not installed: no model file ships with Hark.${note} ` +
        `Export it with \`${entry.install?.command}\`, then add the manifest.json it writes as a user model manifest.`,
    );
  }
  for (const f of r.files) {
    let st;
    try {
      st = await fs.stat(f.path);
    } catch {
      throw new Error(`model file ${f.path} of encoder '${entry.id}' is missing (listed in ${r.manifestPath})${regenerateHint(entry)}`);
    }
    const key = `${f.path}|${st.size}|${st.mtimeMs}|${f.sha256}`;
    if (verified.has(key)) continue;
    if (st.size !== f.bytes) {
      throw new Error(
        `model file ${f.path} of encoder '${entry.id}' has ${st.size} bytes, the manifest ${r.manifestPath} says ${f.bytes}: ` +
          `the file is truncated or was replaced${regenerateHint(entry)}`,
      );
    }
    const got = await sha256File(f.path);
    if (got !== f.sha256) {
      throw new Error(
        `model file ${f.path} of encoder '${entry.id}' has sha256 ${got}, the manifest ${r.manifestPath} says ${f.sha256}: ` +
          `the file is corrupt or was replaced${regenerateHint(entry)}`,
      );
    }
    verified.set(key, got);
  }
}

function regenerateHint(entry: ManifestEntry): string {
  return entry.provenance.generator ? `; regenerate it with ${entry.provenance.generator}` : '';
}
