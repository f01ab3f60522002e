// fbank_patch: AST's exact patch geometry on the normalised AST fbank, checked token by token.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { astInput, AST_GRID } from '../../src/main/audio/fbank';
import { loadEncoder } from '../../src/main/encoders';
import type { Encoder } from '../../src/main/encoders';
import { CLIP_SAMPLES } from '../../src/shared/domain';
import { tone } from '../helpers/tmp';

const MODELS = path.resolve(import.meta.dirname, '..', '..', 'models');

/** A machine-like 10 s clip: harmonics, a sweep and noise, so patches differ from each other. */
function clip(seconds = 10, seed = 5): Float32Array {
  const n = Math.round(seconds * 16_000);
  const w = tone(seconds, 16_000, 120, seed);
  for (let i = 0; i < n; i++) {
    const t = i / 16_000;
    w[i] += 0.1 * Math.sin(2 * Math.PI * 360 * t) + 0.05 * Math.sin(2 * Math.PI * (500 + 300 * t) * t);
  }
  return w;
}

/** Patch (f, t) of the 1024 x 128 input, element i*16+j = mel bin 10f+i at frame 10t+j. */
function patch(input: Float32Array, f: number, t: number): Float64Array {
  const out = new Float64Array(256);
  for (let i = 0; i < 16; i++) for (let j = 0; j < 16; j++) out[i * 16 + j] = input[(10 * t + j) * 128 + 10 * f + i];
  return out;
}

/** Mean-removed patch keeping the 2-D DCT-II orders (k1, k2) < 8, by direct cosine sums. */
function dctLowpass(p: Float64Array): Float64Array {
  const mean = p.reduce((a, b) => a + b, 0) / 256;
  const x = p.map((v) => v - mean);
  const c = (k: number, n: number) => (k === 0 ? Math.sqrt(1 / 16) : Math.sqrt(2 / 16)) * Math.cos((Math.PI * (2 * n + 1) * k) / 32);
  const coef = new Float64Array(64);
  for (let k1 = 0; k1 < 8; k1++) {
    for (let k2 = 0; k2 < 8; k2++) {
      if (k1 === 0 && k2 === 0) continue;
      let s = 0;
      for (let i = 0; i < 16; i++) for (let j = 0; j < 16; j++) s += c(k1, i) * c(k2, j) * x[i * 16 + j];
      coef[k1 * 8 + k2] = s;
    }
  }
  const out = new Float64Array(256);
  for (let i = 0; i < 16; i++) {
    for (let j = 0; j < 16; j++) {
      let s = 0;
      for (let k1 = 0; k1 < 8; k1++) for (let k2 = 0; k2 < 8; k2++) s += coef[k1 * 8 + k2] * c(k1, i) * c(k2, j);
      out[i * 16 + j] = s;
    }
  }
  return out;
}

/** Bitwise equality of two float arrays (vitest's deep equality is slow on 300k elements). */
function sameBits(a: Float32Array, b: Float32Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('fbank_patch encoder', () => {
  let enc: Encoder;
  const wave = clip();
  let input: Float32Array;

  beforeAll(async () => {
    enc = await loadEncoder('fbank_patch', { modelsDir: MODELS });
    input = astInput(wave);
  });
  afterAll(async () => enc.dispose());

  it("has AST's grid: (128-16)/10+1 = 12 rows, (1024-16)/10+1 = 101 columns", () => {
    expect(enc.grid).toEqual({ freq: Math.floor((128 - 16) / 10) + 1, time: Math.floor((1024 - 16) / 10) + 1 });
    expect(enc.geometry).toEqual({ freq: 12, time: 101, timeStepS: 0.1, timeSpanS: 0.16, melStep: 10, melSpan: 16, melBins: 128 });
    expect(enc.geometry).toEqual(AST_GRID); // the audio engine's statement of the same grid
    expect(enc.melAxis).toEqual({ bins: 128, fminHz: 20, fmaxHz: 8000, scale: 'kaldi' });
    expect(enc.layers).toEqual([0, 1, 2]);
    expect(enc.defaultLayers).toEqual([1, 2]);
    expect(enc.dim).toBe(256);
  });

  it('gives 3 layers x 1212 tokens x 256 on a 10 s clip', async () => {
    const p = await enc.encodePatches(wave, [0, 1, 2]);
    expect(p.layers).toEqual([0, 1, 2]);
    expect(p.grid).toEqual({ freq: 12, time: 101 });
    expect(p.dim).toBe(256);
    expect(p.data.map((d) => d.length)).toEqual([1212 * 256, 1212 * 256, 1212 * 256]);
    const d = await enc.encodePatches(wave);
    expect(d.layers).toEqual([1, 2]);
  });

  it('layer 0 tokens are the normalised fbank patches, frequency-major (index f*101 + t)', async () => {
    const p = await enc.encodePatches(wave, [0]);
    for (const [f, t] of [[0, 0], [11, 100], [5, 37], [3, 99], [7, 1]]) {
      const tok = p.data[0].subarray((f * 101 + t) * 256, (f * 101 + t + 1) * 256);
      expect(Array.from(tok)).toEqual(Array.from(patch(input, f, t), Math.fround));
    }
    // hand check of single values: token (2, 50) element (i=3, j=4) is mel bin 23 at frame 504
    expect(p.data[0][(2 * 101 + 50) * 256 + 3 * 16 + 4]).toBe(input[504 * 128 + 23]);
    // the last column reaches into AST's padding: frames 1000..1015 exist only as padded rows
    expect(p.data[0][(0 * 101 + 100) * 256 + 15]).toBe(input[1015 * 128 + 0]);
  });

  it('layer 1 is the mean-removed patch and layer 2 its 8x8 DCT low-pass', async () => {
    const p = await enc.encodePatches(wave, [1, 2]);
    for (const [f, t] of [[0, 0], [11, 100], [6, 42]]) {
      const raw = patch(input, f, t);
      const mean = raw.reduce((a, b) => a + b, 0) / 256;
      const at = (l: number) => p.data[l].subarray((f * 101 + t) * 256, (f * 101 + t + 1) * 256);
      expect(maxAbsDiff(at(0), raw.map((v) => v - mean))).toBeLessThan(1e-6);
      expect(maxAbsDiff(at(1), dctLowpass(raw))).toBeLessThan(1e-5);
      expect(Math.abs(at(1).reduce((a, b) => a + b, 0))).toBeLessThan(1e-4); // no DC left
    }
  });

  it('pools embeddings as the time mean of each frequency row (12 x 256)', async () => {
    expect(enc.embeddingLayers).toEqual([0, 1, 2]);
    expect(enc.embeddingDim(0)).toBe(12 * 256);
    const e = await enc.embed(wave, 0);
    expect(e.length).toBe(3072);
    for (const [f, c] of [[0, 0], [4, 100], [11, 255]]) {
      let s = 0;
      for (let t = 0; t < 101; t++) s += patch(input, f, t)[c];
      expect(e[f * 256 + c]).toBeCloseTo(s / 101, 5);
    }
  });

  it('is deterministic and pads short clips with zeros to 10 s', async () => {
    const a = await enc.encodePatches(wave, [2]);
    const b = await enc.encodePatches(wave, [2]);
    expect(sameBits(a.data[0], b.data[0])).toBe(true);
    const short = clip(6.5, 9);
    const padded = new Float32Array(CLIP_SAMPLES);
    padded.set(short);
    expect(sameBits((await enc.encodePatches(short, [0])).data[0], (await enc.encodePatches(padded, [0])).data[0])).toBe(true);
    expect(sameBits((await enc.encodePatches(short, [0])).data[0], (await enc.encodePatches(clip(6.5, 10), [0])).data[0])).toBe(false);
    const long = new Float32Array(CLIP_SAMPLES + 8000).fill(0.1);
    long.set(wave);
    expect(sameBits((await enc.encodePatches(long, [0])).data[0], (await enc.encodePatches(wave, [0])).data[0])).toBe(true);
  });

  it('names the problem on bad requests', async () => {
    await expect(enc.encodePatches(wave, [3])).rejects.toThrow(/encoder 'fbank_patch' has no patch layer 3; layers: 0, 1, 2/);
    await expect(enc.embed(wave, 9)).rejects.toThrow(/has no embedding layer 9/);
    await expect(enc.encodePatches(new Float32Array(0))).rejects.toThrow(/waveform is empty/);
    const bad = wave.slice();
    bad[1234] = Number.POSITIVE_INFINITY;
    await expect(enc.encodePatches(bad)).rejects.toThrow(/waveform sample 1234 is Infinity/);
  });
});
