// DSP encoders (no network) behind the Encoder interface: logmel_stats.
import type { PatchTokens } from '../approaches/types';
import { logmelStats } from '../audio/logmel';
import type { ResolvedEntry } from './manifest';
import { checkWave } from './tokens';
import type { Encoder } from './types';

const DSP = {
  /** per-band mean then std of the 128-band log-mel over the clip's own frames (no padding: stats are length-free) */
  logmel_stats: (wave: Float32Array) => logmelStats(wave),
} as const;

export class DspEncoder implements Encoder {
  readonly id: string;
  readonly version: string;
  readonly fingerprint: string;
  readonly kind = 'embedding' as const;
  readonly layers: number[] = [];
  readonly defaultLayers: number[] = [];
  readonly dim: number;
  readonly embeddingLayers: number[] = [];
  readonly defaultEmbeddingLayer = undefined;
  readonly licenceRestricted: boolean;
  private readonly fn: (wave: Float32Array) => Float32Array;
  private disposed = false;

  constructor(r: ResolvedEntry) {
    const e = r.entry;
    if (e.runtime !== 'dsp' || !e.dsp || !e.embedding?.dim) throw new Error(`encoder '${e.id}' is not a DSP encoder`);
    this.id = e.id;
    this.version = e.version;
    this.fingerprint = `${e.id}@${e.version}`;
    this.dim = e.embedding.dim;
    this.licenceRestricted = e.licence.licence_restricted;
    this.fn = DSP[e.dsp];
  }

  embeddingDim(layer?: number): number {
    this.checkLayer(layer);
    return this.dim;
  }

  private checkLayer(layer: number | undefined): void {
    if (layer !== undefined) throw new Error(`encoder '${this.id}' has no layers (asked for layer ${layer})`);
  }

  async encodePatches(): Promise<PatchTokens> {
    throw new Error(`encoder '${this.id}' gives no patch tokens (kind 'embedding')`);
  }

  async embed(wave16k: Float32Array, layer?: number): Promise<Float32Array> {
    if (this.disposed) throw new Error(`encoder '${this.id}' was disposed`);
    this.checkLayer(layer);
    checkWave(wave16k, this.id);
    const v = this.fn(wave16k);
    if (v.length !== this.dim) throw new Error(`encoder '${this.id}' produced ${v.length} values, the manifest says ${this.dim}`);
    return v;
  }

  async dispose(): Promise<void> {
    this.disposed = true;
  }
}
