import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeFile, toMono } from '../../../src/main/audio/decode';
import { AST_GRID, astInput, displaySpectrogram, fbank, kaldiMelBanks, normaliseFbank, type FbankPreset } from '../../../src/main/audio/fbank';
import { htkMelBanks, logmel, logmelStats } from '../../../src/main/audio/logmel';
import { HTK_MEL_128_N1024_16K, KALDI_MEL_128_N512_16K, type MelTable } from '../../../src/main/audio/mel-tables';
import { readNpy } from '../../../src/main/audio/npy';
import type { Features, SparseMel } from '../../../src/main/audio/spectral';
import { FIXTURES, HAS_DATA, MANIFEST, NO_DATA, signalPath, type SignalRef } from './paths';

const TOL = 1e-4;
const LOG_EPS32 = Math.log(1.1920928955078125e-7);

/** max |a - b| over every reference row (frames 0, step, 2 step, ..., last) and the full-frame checksums */
function compare(f: Features | { data: Float32Array; frames: number; bins: number }, refName: string): { rows: number; stats: number } {
  const rows = readNpy(path.join(FIXTURES, 'ref', `${refName}.rows.npy`));
  const stats = readNpy(path.join(FIXTURES, 'ref', `${refName}.stats.npy`));
  const idx: number[] = [];
  for (let i = 0; i < f.frames; i += MANIFEST.rowStep) idx.push(i);
  if (idx[idx.length - 1] !== f.frames - 1) idx.push(f.frames - 1);
  expect(rows.shape).toEqual([idx.length, f.bins]);
  let rowErr = 0;
  idx.forEach((fr, r) => {
    for (let b = 0; b < f.bins; b++) rowErr = Math.max(rowErr, Math.abs(f.data[fr * f.bins + b] - rows.data[r * f.bins + b]));
  });
  // per-bin means over all frames, then per-frame means over bins: every frame takes part
  expect(stats.shape).toEqual([f.bins + f.frames]);
  let statErr = 0;
  for (let b = 0; b < f.bins; b++) {
    let s = 0;
    for (let t = 0; t < f.frames; t++) s += f.data[t * f.bins + b];
    statErr = Math.max(statErr, Math.abs(s / f.frames - stats.data[b]));
  }
  for (let t = 0; t < f.frames; t++) {
    let s = 0;
    for (let b = 0; b < f.bins; b++) s += f.data[t * f.bins + b];
    statErr = Math.max(statErr, Math.abs(s / f.bins - stats.data[f.bins + t]));
  }
  return { rows: rowErr, stats: statErr };
}

const signals = Object.entries(MANIFEST.signals);
const synthetic = signals.filter(([, s]) => !s.real);
const real = signals.filter(([, s]) => s.real);

async function wave(s: SignalRef): Promise<Float32Array> {
  const w = toMono(await decodeFile(signalPath(s)));
  expect(w.length).toBe(s.samples);
  return w;
}

function checkSignal(name: string, s: SignalRef) {
  it.each(['ast', 'beats'] as FbankPreset[])(`fbank ${name} %s equals torchaudio kaldi.fbank within 1e-4`, async (preset) => {
    const f = fbank(await wave(s), preset);
    const ref = s.features[`fbank_${preset}`];
    expect(f.frames).toBe(ref.frames);
    expect(f.bins).toBe(128);
    const err = compare(f, `${name}.fbank_${preset}`);
    expect(err.rows).toBeLessThanOrEqual(TOL);
    expect(err.stats).toBeLessThanOrEqual(TOL);
  });

  it(`logmel ${name} equals torchaudio MelSpectrogram + log within 1e-4`, async () => {
    const w = await wave(s);
    const f = logmel(w);
    expect(f.frames).toBe(s.features.logmel.frames);
    const err = compare(f, `${name}.logmel`);
    expect(err.rows).toBeLessThanOrEqual(TOL);
    expect(err.stats).toBeLessThanOrEqual(TOL);
    const stats = logmelStats(w);
    const ref = readNpy(path.join(FIXTURES, 'ref', `${name}.logmel_stats.npy`));
    expect(stats.length).toBe(256);
    let e = 0;
    for (let i = 0; i < 256; i++) e = Math.max(e, Math.abs(stats[i] - ref.data[i]));
    expect(e).toBeLessThanOrEqual(TOL);
  });
}

describe('features against torchaudio: synthetic signals (committed fixtures)', () => {
  for (const [name, s] of synthetic) checkSignal(name, s);

  it.each(['synth_a', 'synth_c'])('astInput %s equals ASTFeatureExtractor (pad or cut to 1024, then normalise)', async (name) => {
    const x = astInput(await wave(MANIFEST.signals[name]));
    expect(x.length).toBe(1024 * 128);
    const err = compare({ data: x, frames: 1024, bins: 128 }, `${name}.ast_input`);
    expect(err.rows).toBeLessThanOrEqual(TOL);
    expect(err.stats).toBeLessThanOrEqual(TOL);
  });
});

describe.skipIf(!HAS_DATA)('features against torchaudio: real clips (../shared/data)', () => {
  for (const [name, s] of real) checkSignal(name, s);
});
it.skipIf(HAS_DATA)('features against torchaudio: real clips', () => console.warn(NO_DATA));

describe('fbank: hand-checkable properties', () => {
  it('frames: snip_edges, 25 ms / 10 ms', () => {
    expect(fbank(new Float32Array(399), 'ast').frames).toBe(0);
    expect(fbank(new Float32Array(400), 'ast').frames).toBe(1);
    expect(fbank(new Float32Array(559), 'ast').frames).toBe(1);
    expect(fbank(new Float32Array(560), 'ast').frames).toBe(2);
    const f = fbank(new Float32Array(160000), 'beats');
    expect(f).toMatchObject({ frames: 998, bins: 128, frameShiftS: 0.01, frameLengthS: 0.025 });
  });

  it('silence and a constant (DC is removed per frame) sit on the log floor (float32 epsilon)', () => {
    for (const x of [new Float32Array(1600), new Float32Array(1600).fill(0.3)]) {
      const f = fbank(x, 'ast');
      for (const v of f.data) expect(v).toBeCloseTo(LOG_EPS32, 5);
    }
  });

  it('a 1 kHz tone peaks in the mel band around 1 kHz; BEATs = AST + ln(2^30) there', () => {
    const x = Float32Array.from({ length: 16000 }, (_, i) => 0.1 * Math.sin((2 * Math.PI * 1000 * i) / 16000));
    const a = fbank(x, 'ast');
    const mel = (f: number) => 1127 * Math.log(1 + f / 700);
    const band = Math.round((mel(1000) - mel(20)) / ((mel(8000) - mel(20)) / 129)) - 1; // centre nearest 1 kHz
    const row = a.data.subarray(50 * 128, 51 * 128);
    const peak = row.indexOf(Math.max(...row));
    expect(Math.abs(peak - band)).toBeLessThanOrEqual(1);
    // the povey window differs from hanning, so compare the peaks only roughly; the scale is exact
    const b = fbank(x, 'beats');
    expect(b.data[50 * 128 + peak] - row[peak]).toBeCloseTo(30 * Math.LN2, 0);
  });

  it('normaliseFbank uses each model’s statistics', () => {
    const f: Features = { data: new Float32Array([-4.2677393, 0, 15.41663]), frames: 1, bins: 3, frameShiftS: 0.01, frameLengthS: 0.025 };
    expect(Array.from(normaliseFbank(f, 'ast').data)).toEqual([0, 4.2677393 / 9.1379948, (15.41663 + 4.2677393) / 9.1379948].map((v) => expect.closeTo(v, 6)));
    expect(Array.from(normaliseFbank(f, 'beats').data)).toEqual([(-4.2677393 - 15.41663) / 13.11164, -15.41663 / 13.11164, 0].map((v) => expect.closeTo(v, 6)));
    expect(() => fbank(new Float32Array(400), 'vggish' as FbankPreset)).toThrow(/unknown preset/);
  });

  it('astInput pads short clips with normalised zeros and cuts long ones at 1024 frames', () => {
    const short = astInput(new Float32Array(16000).map((_, i) => Math.sin(i)));
    const padValue = 4.2677393 / (2 * 4.5689974);
    for (let i = 98 * 128; i < 1024 * 128; i += 97) expect(short[i]).toBeCloseTo(padValue, 6);
    const long = Float32Array.from({ length: 16000 * 12 }, (_, i) => Math.sin(i * 0.01) * 0.1);
    const x = astInput(long);
    const full = normaliseFbank(fbank(long, 'ast'), 'ast');
    expect(full.frames).toBe(1198);
    expect(x).toEqual(full.data.subarray(0, 1024 * 128));
  });

  it('displaySpectrogram lies on the AST grid with an 80 dB colour range', () => {
    const x = Float32Array.from({ length: 160000 }, (_, i) => (i > 80000 ? 0.2 * Math.sin(i * 0.3) : 0));
    const d = displaySpectrogram(x);
    const f = fbank(x, 'ast');
    expect(d.data).toEqual(f.data);
    expect([d.frames, d.bins, d.frameShiftS]).toEqual([998, 128, 0.01]);
    expect(d.max).toBe(f.data.reduce((a, b) => Math.max(a, b), -Infinity));
    expect(d.min).toBeCloseTo(d.max - 8 * Math.LN10, 5); // the silent half is deeper than 80 dB below
    // AST's 16 x 16 patches at stride 10 on 128 x 1024: floor((128 - 16) / 10) + 1 = 12 rows reaching mel bin 125,
    // floor((1024 - 16) / 10) + 1 = 101 columns reaching frame 1015 (the conv drops the remainder)
    expect((AST_GRID.freq - 1) * AST_GRID.melStep + AST_GRID.melSpan).toBe(126);
    expect((AST_GRID.time - 1) * (AST_GRID.timeStepS / d.frameShiftS) + AST_GRID.timeSpanS / d.frameShiftS).toBeCloseTo(1016, 9);
    expect(AST_GRID.melBins).toBe(d.bins);
  });
});

describe('logmel: hand-checkable properties', () => {
  it('frames = 1 + floor(n / 512) (centred) and at least 513 samples', () => {
    expect(logmel(new Float32Array(160000)).frames).toBe(313);
    expect(logmel(new Float32Array(513)).frames).toBe(2);
    expect(() => logmel(new Float32Array(512))).toThrow(/at least 513/);
  });

  it('silence gives log(1e-8); logmelStats = per-band mean, then population std', () => {
    const f = logmel(new Float32Array(4000));
    for (const v of f.data) expect(v).toBeCloseTo(Math.log(1e-8), 5);
    const x = Float32Array.from({ length: 32000 }, (_, i) => (i < 16000 ? 0 : 0.5 * Math.sin(i * 0.2)));
    const g = logmel(x);
    const s = logmelStats(x);
    const b = 40;
    const col = Array.from({ length: g.frames }, (_, t) => g.data[t * 128 + b]);
    const mean = col.reduce((p, q) => p + q, 0) / col.length;
    const std = Math.sqrt(col.reduce((p, q) => p + (q - mean) ** 2, 0) / col.length);
    expect(s[b]).toBeCloseTo(mean, 4);
    expect(s[128 + b]).toBeCloseTo(std, 4);
  });
});

describe('shipped mel tables are the analytic triangles in float32', () => {
  function check(table: MelTable, exact: SparseMel) {
    expect(table.filters).toHaveLength(128);
    let maxErr = 0;
    for (let m = 0; m < 128; m++) {
      const [k0, w] = table.filters[m];
      const dense = new Map<number, number>();
      for (let j = 0; j < exact.len[m]; j++) dense.set(exact.first[m] + j, exact.weights[exact.offset[m] + j]);
      for (let j = 0; j < w.length; j++) {
        maxErr = Math.max(maxErr, Math.abs(w[j] - (dense.get(k0 + j) ?? 0)));
        dense.delete(k0 + j);
      }
      for (const v of dense.values()) maxErr = Math.max(maxErr, v); // exact weights the table lacks
    }
    expect(maxErr).toBeLessThan(2e-5);
    expect(maxErr).toBeGreaterThan(0); // it really is torchaudio's float32 version, not a copy of ours
  }
  it('Kaldi 128 x 257 (low 20 Hz, high Nyquist)', () => check(KALDI_MEL_128_N512_16K, kaldiMelBanks(128, 512, 16000, 20, 0)));
  it('HTK 128 x 513 (0-8000 Hz, no norm)', () => check(HTK_MEL_128_N1024_16K, htkMelBanks(128, 1024, 16000)));
});
