// oww_speech: the fused openWakeWord graph against openWakeWord's own pipeline (Python reference).
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeFile, toMono } from '../../src/main/audio/decode';
import { loadEncoder } from '../../src/main/encoders';
import type { Encoder } from '../../src/main/encoders';
import type { OnnxEncoder } from '../../src/main/encoders/onnx-encoder';
import { hasSharedData, NO_SHARED_DATA, SHARED_DATA } from '../helpers/tmp';

const REPO = path.resolve(import.meta.dirname, '..', '..');
const MODELS = path.join(REPO, 'models');
const FIXTURES = path.join(REPO, 'test', 'fixtures', 'encoders');

interface Reference {
  clip: string;
  windows_19: number[][];
  pooled: Record<string, number[]>;
  tokens: { layer: number; f: number; t: number; values: number[] }[];
}

function readRef(name: string): Reference {
  return JSON.parse(fs.readFileSync(path.join(FIXTURES, name), 'utf8')) as Reference;
}

/** max |a - b| / max(1, |b|): float32 ORT against the float64 reference, values up to ~60 */
function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  return m;
}

const TOL = 1e-4;

async function checkAgainst(enc: Encoder, wave: Float32Array, ref: Reference): Promise<number> {
  const raw = await (enc as OnnxEncoder).outputs(wave, ['windows_19']);
  let worst = maxRelDiff(raw.windows_19, ref.windows_19.flat());
  for (const [layer, values] of Object.entries(ref.pooled)) {
    const e = await enc.embed(wave, Number(layer));
    expect(e.length).toBe(enc.embeddingDim(Number(layer)));
    worst = Math.max(worst, maxRelDiff(e, values));
  }
  const layers = [...new Set(ref.tokens.map((t) => t.layer))];
  const p = await enc.encodePatches(wave, layers);
  for (const tok of ref.tokens) {
    const li = p.layers.indexOf(tok.layer);
    const at = (tok.f * p.grid.time + tok.t) * p.dim;
    worst = Math.max(worst, maxRelDiff(p.data[li].subarray(at, at + p.dim), tok.values));
  }
  return worst;
}

describe('oww_speech encoder', () => {
  let enc: Encoder;
  let synthetic: Float32Array;

  beforeAll(async () => {
    enc = await loadEncoder('oww_speech', { modelsDir: MODELS });
    synthetic = toMono(await decodeFile(path.join(FIXTURES, 'oww_clip.wav')));
  });
  afterAll(async () => enc.dispose());

  it('declares its grid, geometry and layers', () => {
    expect(enc.kind).toBe('both');
    expect(enc.layers).toEqual([11, 12, 13, 14]);
    expect(enc.grid).toEqual({ freq: 4, time: 240 });
    // 240 steps of 4 frames (40 ms); conv2d_14's receptive field is 40 frames (0.4 s)
    expect(enc.geometry).toEqual({ freq: 4, time: 240, timeStepS: 0.04, timeSpanS: 0.4, melStep: 8, melSpan: 8, melBins: 32 });
    expect(enc.melAxis).toEqual({ bins: 32, fminHz: 60, fmaxHz: 3800, scale: 'slaney' });
    expect(enc.embeddingLayers).toEqual([11, 12, 13, 14, 15, 16, 17, 18, 19]);
    expect(enc.defaultEmbeddingLayer).toBe(19);
    expect([11, 15, 19].map((l) => enc.embeddingDim(l))).toEqual([384, 192, 96]);
    expect(enc.embeddingDim()).toBe(96);
  });

  it('produces the declared shapes on a 10 s clip', async () => {
    const wave = new Float32Array(160_000);
    wave.set(synthetic);
    const p = await enc.encodePatches(wave);
    expect(p.layers).toEqual([11, 12, 13, 14]);
    expect(p.dim).toBe(96);
    expect(p.data.map((d) => d.length)).toEqual([960 * 96, 960 * 96, 960 * 96, 960 * 96]);
    expect((await enc.embed(wave)).length).toBe(96);
    const raw = await (enc as OnnxEncoder).outputs(wave, ['windows_19']);
    expect(raw.windows_19.length).toBe(116 * 96); // openWakeWord's windows: (997 - 76) / 8 + 1
  });

  it("equals openWakeWord's own pipeline on the synthetic fixture clip (padded to 10 s)", async () => {
    const worst = await checkAgainst(enc, synthetic, readRef('oww_reference.synthetic.json'));
    expect(worst).toBeLessThan(TOL);
  });

  it.skipIf(!hasSharedData)(`equals openWakeWord's own pipeline on a real DCASE valve clip ${hasSharedData ? '' : NO_SHARED_DATA}`, async () => {
    const ref = readRef('oww_reference.valve.json');
    const wave = toMono(await decodeFile(path.join(SHARED_DATA, ref.clip)));
    expect(wave.length).toBe(160_000);
    const worst = await checkAgainst(enc, wave, ref);
    expect(worst).toBeLessThan(TOL);
  });

  it('embedding of layer 19 is the mean of the window embeddings', async () => {
    const raw = await (enc as OnnxEncoder).outputs(synthetic, ['windows_19', 'pooled_19']);
    const mean = new Float64Array(96);
    for (let w = 0; w < 116; w++) for (let c = 0; c < 96; c++) mean[c] += raw.windows_19[w * 96 + c] / 116;
    expect(maxRelDiff(raw.pooled_19, mean)).toBeLessThan(1e-5);
  });

  it('is deterministic, and thread count does not change the numbers beyond float rounding', async () => {
    const a = await enc.encodePatches(synthetic, [14]);
    const b = await enc.encodePatches(synthetic, [14]);
    expect(Buffer.from(a.data[0].buffer).equals(Buffer.from(b.data[0].buffer))).toBe(true);
    const two = await loadEncoder('oww_speech', { modelsDir: MODELS, intraOpThreads: 2 });
    const c = await two.encodePatches(synthetic, [14]);
    expect(maxRelDiff(c.data[0], a.data[0])).toBeLessThan(1e-5);
    await two.dispose();
    await expect(loadEncoder('oww_speech', { modelsDir: MODELS, intraOpThreads: 0 })).rejects.toThrow(/intraOpThreads must be a positive integer/);
  });

  it('reacts where the sound changes: a quiet tone burst moves only the tokens at its time', async () => {
    const steady = new Float32Array(160_000);
    for (let i = 0; i < steady.length; i++) steady[i] = synthetic[i % synthetic.length]; // 10 s, no silence
    const knocked = steady.slice();
    // 7.0-7.05 s, far below the clip's strongest band, so the 80 dB floor (set by the clip maximum) stays put
    for (let i = 0; i < 800; i++) knocked[112_000 + i] += 0.05 * Math.sin((2 * Math.PI * 1500 * i) / 16_000);
    const [a, b] = await Promise.all([enc.encodePatches(steady, [11, 14]), enc.encodePatches(knocked, [11, 14])]);
    const moved = (li: number) => {
      const out: number[] = [];
      for (let t = 0; t < 240; t++) {
        let s = 0;
        for (let f = 0; f < 4; f++) for (let c = 0; c < 96; c++) s += (a.data[li][(f * 240 + t) * 96 + c] - b.data[li][(f * 240 + t) * 96 + c]) ** 2;
        if (s > 0) out.push(t);
      }
      return out;
    };
    // the burst touches mel frames 697..704 (512-sample frames, hop 160). Layer 14's step t covers
    // frames 4t .. 4t+39 (t = 165..176); layer 11, cropped by 2 positions onto the same centres,
    // covers 4t+8 .. 4t+31 (t = 167..174)
    const range = (a0: number, b0: number) => Array.from({ length: b0 - a0 + 1 }, (_, i) => a0 + i);
    expect(moved(1)).toEqual(range(165, 176));
    expect(moved(0)).toEqual(range(167, 174));
  });
});
