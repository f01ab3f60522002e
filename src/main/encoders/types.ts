// The one interface every encoder (ONNX network or DSP) implements, as approaches and jobs see it.
import type { GridGeometry, PatchTokens } from '../approaches/types';

export type EncoderKind = 'patch' | 'embedding' | 'both';

/** The mel axis a patch grid's frequency rows refer to, so an overlay can map rows to Hz. */
export interface MelAxis {
  bins: number;
  fminHz: number;
  fmaxHz: number;
  /** 'kaldi' = 1127 ln(1 + f/700) (AST/BEATs fbank), 'slaney' = librosa's default (openWakeWord) */
  scale: 'kaldi' | 'slaney' | 'htk';
}

export interface Encoder {
  readonly id: string;
  readonly version: string;
  /** changes whenever the encoder's numbers can change (version + model file hashes): the cache key */
  readonly fingerprint: string;
  readonly kind: EncoderKind;
  /** patch layers, in manifest order; empty for embedding-only encoders */
  readonly layers: number[];
  /** the patch layers to use when a caller names none */
  readonly defaultLayers: number[];
  /** patch token grid (frequency-major in PatchTokens) */
  readonly grid?: { freq: number; time: number };
  readonly geometry?: GridGeometry;
  readonly melAxis?: MelAxis;
  /** patch token dim; for embedding-only encoders the embedding dim */
  readonly dim: number;
  /** layers embed() accepts; empty when embed() takes no layer (DSP encoders) */
  readonly embeddingLayers: number[];
  readonly defaultEmbeddingLayer?: number;
  readonly licenceRestricted: boolean;
  /** length of embed(wave, layer) */
  embeddingDim(layer?: number): number;
  /** layer-wise patch tokens of one clip (16 kHz mono; padded with zeros / cut to the model's fixed length) */
  encodePatches(wave16k: Float32Array, layers?: number[]): Promise<PatchTokens>;
  /** pooled clip embedding of one layer (default layer when omitted) */
  embed(wave16k: Float32Array, layer?: number): Promise<Float32Array>;
  dispose(): Promise<void>;
}

export interface LoadEncoderOptions {
  /** folder holding the shipped manifest.json (default: <app root>/models) */
  modelsDir?: string;
  /** manifests of user-supplied models (paths outside models/), each with its own entries */
  userManifests?: string[];
  /** ONNX Runtime intra-op threads; default 1, since jobs parallelise across workers */
  intraOpThreads?: number;
  /** false when the project switched off models whose licence is restricted (e.g. non-commercial) */
  allowLicenceRestricted?: boolean;
}
