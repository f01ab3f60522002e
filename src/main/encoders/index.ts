// Entry point of encoders/: find an encoder by id in the shipped and user manifests and load it.
import { DspEncoder } from './dsp-encoder';
import { loadModelRegistry, verifyEntryFiles } from './manifest';
import type { ModelRegistry, ResolvedEntry } from './manifest';
import { OnnxEncoder } from './onnx-encoder';
import type { Encoder, EncoderKind, LoadEncoderOptions } from './types';

export type { Encoder, EncoderKind, LoadEncoderOptions, MelAxis } from './types';
export { defaultModelsDir, loadModelRegistry, ModelRegistry, readManifest, verifyEntryFiles } from './manifest';
export type { Manifest, ManifestEntry, ResolvedEntry } from './manifest';

/** What a Models view or `hark models` lists about an encoder, without loading it. */
export interface EncoderSummary {
  id: string;
  version: string;
  title: string;
  description?: string;
  kind: EncoderKind;
  runtime: 'onnx' | 'dsp';
  source: 'shipped' | 'user';
  /** false for install templates (AST, BEATs) until the user exports the model */
  installed: boolean;
  install?: string;
  licence: string;
  licenceRestricted: boolean;
  layers: number[];
  defaultLayers: number[];
  embeddingLayers: number[];
  defaultEmbeddingLayer?: number;
  grid?: { freq: number; time: number };
  manifestPath: string;
  files: { path: string; bytes: number; sha256: string }[];
}

export function summarise(r: ResolvedEntry): EncoderSummary {
  const e = r.entry;
  return {
    id: e.id,
    version: e.version,
    title: e.title,
    description: e.description,
    kind: e.kind,
    runtime: e.runtime,
    source: r.source,
    installed: r.installed,
    install: e.install?.command,
    licence: e.licence.name,
    licenceRestricted: e.licence.licence_restricted,
    layers: e.patches ? [...e.layers] : [],
    defaultLayers: e.patches ? [...e.default_layers] : [],
    embeddingLayers: e.embedding ? [...e.embedding.layers] : [],
    defaultEmbeddingLayer: e.embedding?.default_layer,
    grid: e.patches ? { ...e.patches.grid } : undefined,
    manifestPath: r.manifestPath,
    files: r.files.map((f) => ({ path: f.path, bytes: f.bytes, sha256: f.sha256 })),
  };
}

export async function listEncoders(opts: Pick<LoadEncoderOptions, 'modelsDir' | 'userManifests'> = {}): Promise<EncoderSummary[]> {
  return (await loadModelRegistry(opts)).list().map(summarise);
}

/**
 * Loads encoder `id`: checks the licence switch and the model files' sha256, then creates the
 * ONNX session once (intra-op threads default 1). The caller owns the encoder and disposes it.
 */
export async function loadEncoder(id: string, opts: LoadEncoderOptions & { registry?: ModelRegistry } = {}): Promise<Encoder> {
  const registry = opts.registry ?? (await loadModelRegistry(opts));
  const r = registry.resolve(id);
  if (r.entry.licence.licence_restricted && opts.allowLicenceRestricted === false) {
    throw new Error(
      `encoder '${id}' has a restricted licence (${r.entry.licence.name}) and this project does not allow restricted models`,
    );
  }
  if (r.entry.runtime === 'dsp') return new DspEncoder(r);
  await verifyEntryFiles(r);
  return OnnxEncoder.create(r, opts.intraOpThreads ?? 1);
}
