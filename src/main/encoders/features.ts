// Features for approaches, through the embedding cache: a clip is never encoded twice.
// Audio of a sliced file is decoded once for all of its clips.
import type { ClipRecord } from '../../shared/domain';
import type { FeatureRequest, PatchTokens } from '../approaches/types';
import { loadClipAudio } from '../data/clip-audio';
import { throwIfCancelled } from '../jobs/manager';
import type { Store } from '../store/store';
import type { Encoder } from './types';

export interface ClipFeatureData {
  patches?: PatchTokens;
  embedding?: Float32Array;
}

export interface FeatureStats {
  encoded: number;
  cached: number;
  encodeMs: number;
}

/** The encoder's grid geometry with its mel axis, so a map can be placed on the display spectrogram in Hz. */
function geometryOf(enc: Encoder): PatchTokens['geometry'] {
  if (!enc.geometry) return undefined;
  const m = enc.melAxis;
  return m ? { ...enc.geometry, melAxis: { fminHz: m.fminHz, fmaxHz: m.fmaxHz, scale: m.scale } } : enc.geometry;
}

export type Progress = (p: { stage?: string; done: number; total: number }) => void;

export class FeatureService {
  readonly stats: FeatureStats = { encoded: 0, cached: 0, encodeMs: 0 };

  constructor(
    private store: Store,
    private encoders: (id: string) => Promise<Encoder>,
  ) {}

  private key(clip: ClipRecord, enc: Encoder, layer: number, kind: 'patches' | 'embedding') {
    return { sha256: clip.sha256, offsetS: clip.offsetS, encoderId: enc.id, encoderVersion: enc.fingerprint, layer, kind };
  }

  /** Features of each clip, in order; reads the cache first and stores what it computes. */
  async forClips(clips: ClipRecord[], req: FeatureRequest, progress?: Progress, signal?: AbortSignal): Promise<ClipFeatureData[]> {
    const enc = await this.encoders(req.encoder);
    const out: ClipFeatureData[] = [];
    const total = clips.length;
    progress?.({ stage: `features (${enc.id})`, done: 0, total });
    for (let i = 0; i < clips.length; i++) {
      throwIfCancelled(signal);
      out.push(await this.one(clips[i], enc, req));
      progress?.({ stage: `features (${enc.id})`, done: i + 1, total });
    }
    return out;
  }

  private async one(clip: ClipRecord, enc: Encoder, req: FeatureRequest): Promise<ClipFeatureData> {
    const cache = this.store.embeddings;
    if (req.kind === 'embedding') {
      const layer = req.layer ?? enc.defaultEmbeddingLayer ?? -1;
      const k = this.key(clip, enc, layer, 'embedding');
      const hit = cache.get(k);
      if (hit) {
        this.stats.cached++;
        return { embedding: hit.data };
      }
      const wave = await this.audio(clip);
      const t0 = performance.now();
      const e = await enc.embed(wave, req.layer ?? enc.defaultEmbeddingLayer);
      this.stats.encodeMs += performance.now() - t0;
      this.stats.encoded++;
      cache.put(k, { shape: [e.length], data: e });
      return { embedding: e };
    }
    const layers = req.layers.length ? req.layers : enc.defaultLayers;
    const hits = layers.map((l) => cache.get(this.key(clip, enc, l, 'patches')));
    if (hits.every((h) => h !== null)) {
      this.stats.cached++;
      const grid = enc.grid!;
      return { patches: { layers, dim: hits[0]!.shape[1], grid, data: hits.map((h) => h!.data), geometry: geometryOf(enc) } };
    }
    const wave = await this.audio(clip);
    const t0 = performance.now();
    const p = await enc.encodePatches(wave, layers);
    this.stats.encodeMs += performance.now() - t0;
    this.stats.encoded++;
    this.store.tx(() => {
      p.layers.forEach((l, i) => cache.put(this.key(clip, enc, l, 'patches'), { shape: [p.grid.freq * p.grid.time, p.dim], data: p.data[i] }));
    });
    return { patches: { ...p, geometry: p.geometry ?? geometryOf(enc) } };
  }

  /** The clip's standardised 16 kHz mono audio (the file decoded once for all its clips). */
  waveform(clip: ClipRecord): Promise<Float32Array> {
    return this.audio(clip);
  }

  /** Features of a waveform that is not a stored clip (e.g. a noise-augmented copy); never cached. */
  async encodeWave(wave: Float32Array, req: FeatureRequest): Promise<ClipFeatureData> {
    const enc = await this.encoders(req.encoder);
    if (req.kind === 'embedding') return { embedding: await enc.embed(wave, req.layer ?? enc.defaultEmbeddingLayer) };
    const p = await enc.encodePatches(wave, req.layers.length ? req.layers : enc.defaultLayers);
    return { patches: { ...p, geometry: p.geometry ?? geometryOf(enc) } };
  }

  private lastFile: { path: string; wave: Float32Array } | null = null;

  /** The clip's 16 kHz mono audio; the whole standardised file is kept for its sibling clips. */
  private async audio(clip: ClipRecord): Promise<Float32Array> {
    if (this.lastFile?.path !== clip.path) {
      this.lastFile = { path: clip.path, wave: await loadClipAudio({ path: clip.path, offsetS: 0, durationS: Number.MAX_SAFE_INTEGER / 16_000 }) };
    }
    const start = Math.round(clip.offsetS * 16_000);
    return this.lastFile.wave.slice(start, start + Math.round(clip.durationS * 16_000));
  }
}
