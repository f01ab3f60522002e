// ONNX encoders (fbank_patch, oww_speech, user AST / BEATs exports) behind the Encoder interface.
import { InferenceSession, Tensor } from 'onnxruntime-node';
import type { GridGeometry, PatchTokens } from '../approaches/types';
import { prepareInput } from './input';
import type { ManifestEntry, ResolvedEntry } from './manifest';
import { timeMeanKeepFreq, toFreqMajor } from './tokens';
import type { Encoder, EncoderKind, MelAxis } from './types';

export class OnnxEncoder implements Encoder {
  readonly id: string;
  readonly version: string;
  readonly fingerprint: string;
  readonly kind: EncoderKind;
  readonly layers: number[];
  readonly defaultLayers: number[];
  readonly grid?: { freq: number; time: number };
  readonly geometry?: GridGeometry;
  readonly melAxis?: MelAxis;
  readonly dim: number;
  readonly embeddingLayers: number[];
  readonly defaultEmbeddingLayer?: number;
  readonly licenceRestricted: boolean;
  /** shape of the graph's input tensor */
  readonly inputDims: number[];

  private session: InferenceSession | null;
  private readonly entry: ManifestEntry;
  private readonly file: string;

  private constructor(r: ResolvedEntry, session: InferenceSession) {
    const e = r.entry;
    this.entry = e;
    this.file = r.files[0].path;
    this.session = session;
    this.id = e.id;
    this.version = e.version;
    this.fingerprint = `${e.id}@${e.version}#${r.files.map((f) => f.sha256.slice(0, 16)).join('+')}`;
    this.kind = e.kind;
    this.layers = e.patches ? [...e.layers] : [];
    this.defaultLayers = e.patches ? [...e.default_layers] : [];
    if (e.patches) {
      this.grid = { ...e.patches.grid };
      this.geometry = { ...e.patches.geometry };
      const m = e.patches.mel_axis;
      this.melAxis = { bins: m.bins, fminHz: m.fmin_hz, fmaxHz: m.fmax_hz, scale: m.scale };
    }
    this.dim = e.patches?.dim ?? this.embeddingDimOf(e.embedding?.default_layer);
    this.embeddingLayers = e.embedding ? [...e.embedding.layers] : [];
    this.defaultEmbeddingLayer = e.embedding?.default_layer;
    this.licenceRestricted = e.licence.licence_restricted;
    this.inputDims = e.input.type === 'waveform' ? [1, e.input.samples] : [1, e.input.frames, e.input.bins];
  }

  /** Creates the session once and checks the graph against the manifest entry. */
  static async create(r: ResolvedEntry, intraOpThreads = 1): Promise<OnnxEncoder> {
    if (!Number.isInteger(intraOpThreads) || intraOpThreads < 1) {
      throw new Error(`encoder '${r.entry.id}': intraOpThreads must be a positive integer, got ${intraOpThreads}`);
    }
    const file = r.files[0]?.path;
    if (!file) throw new Error(`encoder '${r.entry.id}' has no model file in ${r.manifestPath}`);
    let session: InferenceSession;
    try {
      session = await InferenceSession.create(file, {
        intraOpNumThreads: intraOpThreads,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        graphOptimizationLevel: 'all',
        logSeverityLevel: 3,
      });
    } catch (err) {
      throw new Error(`model file ${file} of encoder '${r.entry.id}': ONNX Runtime cannot load it (${(err as Error).message})`);
    }
    const enc = new OnnxEncoder(r, session);
    try {
      enc.checkGraph(session);
    } catch (err) {
      await session.release();
      throw err;
    }
    return enc;
  }

  private checkGraph(s: InferenceSession): void {
    const e = this.entry;
    const where = `model file ${this.file} of encoder '${e.id}'`;
    const inputName = e.input.name as string;
    if (!s.inputNames.includes(inputName)) {
      throw new Error(`${where}: has no input '${inputName}' (inputs: ${s.inputNames.join(', ')})`);
    }
    const meta = s.inputMetadata.find((m) => m.name === inputName);
    if (meta && meta.isTensor) {
      const shape = meta.shape;
      const ok = shape.length === this.inputDims.length && shape.every((d, i) => typeof d !== 'number' || d === this.inputDims[i]);
      if (!ok) throw new Error(`${where}: input '${inputName}' has shape [${shape.join(', ')}], the manifest implies [${this.inputDims.join(', ')}]`);
    }
    const wanted = [...Object.values(e.patches?.outputs ?? {}), ...Object.values(e.embedding?.outputs ?? {})];
    for (const name of wanted) {
      if (!s.outputNames.includes(name)) throw new Error(`${where}: has no output '${name}' named in its manifest entry`);
    }
  }

  private live(): InferenceSession {
    if (!this.session) throw new Error(`encoder '${this.id}' was disposed`);
    return this.session;
  }

  private async run(input: Float32Array, outputs: string[]): Promise<Record<string, Float32Array>> {
    const n = this.inputDims.reduce((a, b) => a * b, 1);
    if (input.length !== n) throw new Error(`encoder '${this.id}': input has ${input.length} values, the graph takes ${n}`);
    const feeds = { [this.entry.input.name as string]: new Tensor('float32', input, this.inputDims) };
    const res = await this.live().run(feeds, outputs);
    const out: Record<string, Float32Array> = {};
    for (const name of outputs) {
      const t = res[name];
      if (!t || t.type !== 'float32') throw new Error(`model file ${this.file}: output '${name}' is missing or not float32`);
      const d = t.data as Float32Array;
      // callers keep and store these arrays: never hand out a view into a larger buffer
      out[name] = d.byteOffset === 0 && d.byteLength === d.buffer.byteLength ? d : d.slice();
    }
    return out;
  }

  /** The graph input for one clip (fbank or fixed-length waveform), per the manifest. */
  prepare(wave16k: Float32Array): Float32Array {
    return prepareInput(this.entry.input, wave16k, this.id);
  }

  /** Raw graph outputs by name for one clip (diagnostics and reference tests, e.g. oww_speech's windows_19). */
  async outputs(wave16k: Float32Array, names: string[]): Promise<Record<string, Float32Array>> {
    const known = this.live().outputNames;
    for (const n of names) if (!known.includes(n)) throw new Error(`model file ${this.file} has no output '${n}'`);
    return this.run(this.prepare(wave16k), names);
  }

  private resolveLayers(layers: number[] | undefined): number[] {
    if (!this.entry.patches) throw new Error(`encoder '${this.id}' gives no patch tokens (kind '${this.kind}')`);
    const chosen = layers ?? this.defaultLayers;
    if (chosen.length === 0) throw new Error(`encoder '${this.id}': no layers requested`);
    for (const l of chosen) {
      if (!this.layers.includes(l)) throw new Error(`encoder '${this.id}' has no patch layer ${l}; layers: ${this.layers.join(', ')}`);
    }
    return chosen;
  }

  async encodePatches(wave16k: Float32Array, layers?: number[]): Promise<PatchTokens> {
    const chosen = this.resolveLayers(layers);
    return this.encodeFeatures(this.prepare(wave16k), chosen);
  }

  /** Patch tokens from an already prepared graph input (tests, and callers that cache features). */
  async encodeFeatures(input: Float32Array, layers?: number[]): Promise<PatchTokens> {
    const chosen = this.resolveLayers(layers);
    const p = this.entry.patches!;
    const names = chosen.map((l) => p.outputs[String(l)]);
    const res = await this.run(input, [...new Set(names)]);
    const data = chosen.map((l, i) => {
      try {
        return toFreqMajor(res[names[i]], p.grid, p.dim, p.skip_tokens, p.token_order);
      } catch (err) {
        throw new Error(`model file ${this.file}: output '${names[i]}' (layer ${l}): ${(err as Error).message}`);
      }
    });
    return { layers: [...chosen], dim: p.dim, grid: { ...p.grid }, data };
  }

  private embeddingDimOf(layer: number | undefined): number {
    const m = this.entry.embedding;
    if (!m || layer === undefined) return 0;
    if (m.pooling === 'graph') return m.dims![String(layer)];
    return this.entry.patches!.grid.freq * this.entry.patches!.dim;
  }

  embeddingDim(layer?: number): number {
    return this.embeddingDimOf(this.resolveEmbeddingLayer(layer));
  }

  private resolveEmbeddingLayer(layer: number | undefined): number {
    const m = this.entry.embedding;
    if (!m) throw new Error(`encoder '${this.id}' gives no clip embedding (kind '${this.kind}')`);
    const l = layer ?? m.default_layer;
    if (l === undefined || !m.layers.includes(l)) {
      throw new Error(`encoder '${this.id}' has no embedding layer ${l}; layers: ${m.layers.join(', ')}`);
    }
    return l;
  }

  async embed(wave16k: Float32Array, layer?: number): Promise<Float32Array> {
    const l = this.resolveEmbeddingLayer(layer);
    return this.embedFeatures(this.prepare(wave16k), l);
  }

  /** Clip embedding from an already prepared graph input. */
  async embedFeatures(input: Float32Array, layer?: number): Promise<Float32Array> {
    const l = this.resolveEmbeddingLayer(layer);
    const m = this.entry.embedding!;
    if (m.pooling === 'graph') {
      const name = m.outputs![String(l)];
      const v = (await this.run(input, [name]))[name];
      const want = m.dims![String(l)];
      if (v.length !== want) throw new Error(`model file ${this.file}: output '${name}' has ${v.length} values, the manifest says ${want}`);
      return v;
    }
    const tokens = await this.encodeFeatures(input, [l]);
    return timeMeanKeepFreq(tokens.data[0], tokens.grid, tokens.dim);
  }

  async dispose(): Promise<void> {
    const s = this.session;
    this.session = null;
    if (s) await s.release();
  }
}
