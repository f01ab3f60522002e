// The synthesiser's primitives against independent references: textbook filter formulas,
// measured responses, the normal distribution, Schroeder's decay law, and two WAV readers.
import FFT from 'fft.js';
import wavefile from 'wavefile';
import { describe, expect, it } from 'vitest';
import { decodeBuffer } from '../../src/main/audio/decode';
import { addEchoes, bandpass, biquadGain, controlNoise, crossings, cycles, filterInPlace, highpass, lowpass, peaking, pinkInPlace, reverbInPlace } from '../../src/main/data/generator/dsp';
import { deriveSeed, Rng } from '../../src/main/data/generator/rng';
import { encodeWavPcm16 } from '../../src/main/data/generator/wav';

const SR = 16000;

/** second-order Butterworth by the bilinear transform, K = tan(pi fc / fs) (the textbook derivation, not RBJ's) */
function butter2(fc: number, kind: 'low' | 'high') {
  const K = Math.tan((Math.PI * fc) / SR);
  const n = 1 / (1 + Math.SQRT2 * K + K * K);
  const a1 = 2 * (K * K - 1) * n;
  const a2 = (1 - Math.SQRT2 * K + K * K) * n;
  return kind === 'low' ? { b0: K * K * n, b1: 2 * K * K * n, b2: K * K * n, a1, a2 } : { b0: n, b1: -2 * n, b2: n, a1, a2 };
}

/** steady-state gain of a filter on a sinusoid, measured by running it */
function measuredGain(run: (x: Float32Array) => Float32Array, f: number): number {
  const n = 32000;
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = Math.sin((2 * Math.PI * f * i) / SR);
  const y = run(x);
  let sx = 0,
    sy = 0;
  for (let i = n / 2; i < n; i++) {
    sx += Math.sin((2 * Math.PI * f * i) / SR) ** 2;
    sy += y[i] * y[i];
  }
  return Math.sqrt(sy / sx);
}

/** standard normal CDF via erf (Abramowitz & Stegun 7.1.26, |error| < 1.5e-7) */
function phi(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-z * z);
  return x >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

describe('generator dsp: filters', () => {
  it('lowpass and highpass at Q = 1/sqrt(2) are the bilinear Butterworth filters', () => {
    for (const fc of [100, 1000, 5000]) {
      for (const [mine, ref] of [
        [lowpass(fc, Math.SQRT1_2, SR), butter2(fc, 'low')],
        [highpass(fc, Math.SQRT1_2, SR), butter2(fc, 'high')],
      ] as const) {
        for (const k of ['b0', 'b1', 'b2', 'a1', 'a2'] as const) expect(mine[k]).toBeCloseTo(ref[k], 12);
      }
    }
    // scipy.signal.butter(2, 1000, fs=16000) gives b0 = 0.029954582208..., a1 = -1.454243586251..., a2 = 0.574061915084...
    const l = lowpass(1000, Math.SQRT1_2, SR);
    expect(l.b0).toBeCloseTo(0.029954582208, 11);
    expect(l.a1).toBeCloseTo(-1.454243586251, 11);
    expect(l.a2).toBeCloseTo(0.574061915084, 11);
  });

  it('band-pass has unit gain at its centre, peaking has its dB there, and the formula matches the running filter', () => {
    const bp = bandpass(2500, 8, SR);
    const pk = peaking(750, 1.5, 6, SR);
    expect(biquadGain(bp, 2500, SR)).toBeCloseTo(1, 9);
    expect(20 * Math.log10(biquadGain(pk, 750, SR))).toBeCloseTo(6, 9);
    for (const c of [bp, pk, lowpass(1200, 0.7, SR), highpass(300, 2, SR)]) {
      for (const f of [120, 700, 2500, 2700, 6000]) {
        expect(measuredGain((x) => filterInPlace(x, c), f)).toBeCloseTo(biquadGain(c, f, SR), 3);
      }
    }
  });

  it('pink shaping falls 3 dB per octave (Welch average, 100 Hz to 5 kHz)', () => {
    const n = 1 << 19;
    const x = pinkInPlace(new Rng(3).fillNormal(new Float32Array(n)));
    const seg = 4096;
    const fft = new FFT(seg);
    const psd = new Float64Array(seg / 2 + 1);
    const out = fft.createComplexArray() as number[];
    const frame = new Float64Array(seg);
    for (let s = 0; s + seg <= n; s += seg / 2) {
      for (let i = 0; i < seg; i++) frame[i] = x[s + i] * (0.5 - 0.5 * Math.cos((2 * Math.PI * i) / seg));
      fft.realTransform(out, frame);
      for (let k = 0; k <= seg / 2; k++) psd[k] += out[2 * k] ** 2 + out[2 * k + 1] ** 2;
    }
    // least-squares slope of dB against octaves over the band
    let sx = 0,
      sy = 0,
      sxx = 0,
      sxy = 0,
      m = 0;
    for (let k = 1; k <= seg / 2; k++) {
      const f = (k * SR) / seg;
      if (f < 100 || f > 5000) continue;
      const ox = Math.log2(f);
      const dy = 10 * Math.log10(psd[k]);
      sx += ox;
      sy += dy;
      sxx += ox * ox;
      sxy += ox * dy;
      m++;
    }
    const slope = (m * sxy - sx * sy) / (m * sxx - sx * sx);
    expect(slope).toBeGreaterThan(-3.3);
    expect(slope).toBeLessThan(-2.7);
  });

  it('reverb decays 60 dB in about rt60 (Schroeder backward integration)', () => {
    const n = SR * 3;
    for (const rt60 of [0.3, 0.7]) {
      const x = new Float32Array(n);
      x[0] = 1;
      reverbInPlace(x, SR, rt60, 1);
      const edc = new Float64Array(n);
      let acc = 0;
      for (let i = n - 1; i >= 0; i--) edc[i] = acc += x[i] * x[i];
      // time from -5 dB to -35 dB, doubled (T30), as room acousticians measure it
      const at = (db: number) => edc.findIndex((e) => 10 * Math.log10(e / edc[0]) <= db) / SR;
      const t30 = 2 * (at(-35) - at(-5));
      expect(t30).toBeGreaterThan(rt60 * 0.8);
      expect(t30).toBeLessThan(rt60 * 1.2);
    }
  });

  it('echoes add delayed copies with their gains (and the reflection of a reflection)', () => {
    const x = new Float32Array(100);
    x[3] = 1;
    addEchoes(x, [
      { delay: 10, gain: 0.5 },
      { delay: 25, gain: 0.3 },
    ]);
    expect(x[3]).toBe(1);
    expect(x[13]).toBeCloseTo(0.5, 7);
    expect(x[28]).toBeCloseTo(0.3, 7);
    expect(x[38]).toBeCloseTo(0.15, 7);
    expect(x.reduce((s, v) => s + v, 0)).toBeCloseTo(1 + 0.5 + 0.3 + 0.15, 6);
  });
});

describe('generator dsp: randomness and timing', () => {
  it('fillNormal is standard normal: moments, tails and a Kolmogorov-Smirnov test', () => {
    const n = 400_000;
    const x = new Rng(12345).fillNormal(new Float32Array(n));
    let m = 0;
    for (const v of x) m += v;
    m /= n;
    let v2 = 0,
      v4 = 0,
      tail = 0;
    for (const v of x) {
      v2 += (v - m) ** 2;
      v4 += (v - m) ** 4;
      if (Math.abs(v) > 3) tail++;
    }
    v2 /= n;
    expect(Math.abs(m)).toBeLessThan(0.01);
    expect(Math.abs(v2 - 1)).toBeLessThan(0.01); // 4.5 standard errors at n = 400k
    expect(v4 / n / (v2 * v2)).toBeCloseTo(3, 1);
    expect(tail / n).toBeCloseTo(2 * (1 - phi(3)), 3); // 0.0027
    const sorted = Float64Array.from(x).sort();
    let d = 0;
    for (let i = 0; i < n; i++) d = Math.max(d, Math.abs((i + 1) / n - phi(sorted[i])), Math.abs(i / n - phi(sorted[i])));
    expect(d).toBeLessThan(1.95 / Math.sqrt(n)); // KS critical value at alpha = 0.001
  });

  it('the same seed gives the same stream, other seeds and keys do not', () => {
    const a = new Rng(7),
      b = new Rng(7),
      c = new Rng(8);
    const sa = Array.from({ length: 20 }, () => a.u32());
    expect(Array.from({ length: 20 }, () => b.u32())).toEqual(sa);
    expect(Array.from({ length: 20 }, () => c.u32())).not.toEqual(sa);
    expect(new Rng(7).fillNormal(new Float32Array(1000))).toEqual(new Rng(7).fillNormal(new Float32Array(1000)));
    const keys = [deriveSeed(1, 'fan', 0, 'train', 'source', 'normal', 12), deriveSeed(1, 'fan', 0, 'train', 'source', 'normal', 21), deriveSeed(1, 'fan', 0, 'train', 'target', 'normal', 12), deriveSeed(2, 'fan', 0, 'train', 'source', 'normal', 12), deriveSeed('a1', 2), deriveSeed('a', 12)];
    expect(new Set(keys).size).toBe(keys.length);
    // integer-only hashing: these values must not change across platforms or releases (they fix every dataset)
    expect(deriveSeed('hark')).toBe(GOLDEN_HARK);
  });

  it('control noise has zero mean and unit deviation', () => {
    const x = controlNoise(new Rng(1), SR * 10, SR, 2);
    let m = 0,
      v = 0;
    for (const s of x) m += s;
    m /= x.length;
    for (const s of x) v += (s - m) ** 2;
    expect(Math.abs(m)).toBeLessThan(0.05);
    expect(Math.sqrt(v / x.length)).toBeGreaterThan(0.9);
    expect(Math.sqrt(v / x.length)).toBeLessThan(1.1);
  });

  it('crossings of a steady shaft fall exactly one period apart', () => {
    const f = 37.3;
    const cyc = cycles(SR * 2, SR, f);
    const p = crossings(cyc, 3, 0.25);
    expect(p.length).toBe(Math.floor(3 * f * 2 + 0.25));
    for (let k = 0; k < p.length; k++) expect(p[k]).toBeCloseTo(((k + 1 - 0.25) / (3 * f)) * SR - 1, 6);
  });
});

describe('generator wav', () => {
  it('writes canonical 16-bit mono PCM that wavefile and Hark decode to the same samples', async () => {
    const x = new Float32Array(1000);
    for (let i = 0; i < x.length; i++) x[i] = 0.9 * Math.sin(i / 7) + (i === 10 ? 0.5 : 0);
    x[20] = 1.5; // clamps
    x[21] = -1.5;
    const bytes = encodeWavPcm16(x, SR);
    expect(bytes.length).toBe(44 + 2 * x.length);
    const w = new wavefile.WaveFile(bytes);
    const fmt = w.fmt as { audioFormat: number; numChannels: number; sampleRate: number; bitsPerSample: number };
    expect([fmt.audioFormat, fmt.numChannels, fmt.sampleRate, fmt.bitsPerSample]).toEqual([1, 1, SR, 16]);
    const samples = w.getSamples(false, Int16Array) as unknown as Int16Array;
    for (let i = 0; i < x.length; i++) expect(samples[i]).toBe(Math.max(-32768, Math.min(32767, Math.round(x[i] * 32767))));
    const d = await decodeBuffer(bytes, 'mem.wav');
    expect(d.sampleRate).toBe(SR);
    expect(d.channels).toBe(1);
    for (let i = 0; i < x.length; i += 37) expect(d.channelData[0][i]).toBeCloseTo(samples[i] / 32768, 7);
  });

  it('refuses a bad sample rate', () => {
    expect(() => encodeWavPcm16(new Float32Array(4), 0)).toThrow(/sampleRate/);
  });
});

/** pinned from the first release of the generator: a change here silently changes every dataset */
const GOLDEN_HARK = 490221334;
