// Site-noise augmentation for approach B: exact SNR mixing, site SNR estimate, click-free loops.
import { describe, expect, it } from 'vitest';
import {
  AUGMENTED_ATTR, AUGMENTED_FROM_ATTR, augmentedAttributes, buildNoiseBed, estimateSiteSnr, mixAtSnr, planNoiseAugmentation,
} from '../../src/main/approaches/b';
import { acPower } from '../../src/main/approaches/b/noise';
import { createRng } from '../../src/main/approaches/common';

const FS = 16000;
const sine = (n: number, f: number, amp: number, phase = 0) => Float32Array.from({ length: n }, (_, i) => amp * Math.sin((2 * Math.PI * f * i) / FS + phase));
const gauss = (n: number, sd: number, seed: number) => {
  const r = createRng(seed);
  return Float32Array.from({ length: n }, () => sd * r.normal());
};
const snrOf = (clean: Float32Array, mixed: Float32Array) => {
  const d = mixed.map((v, i) => v - clean[i]);
  return 10 * Math.log10(acPower(clean) / acPower(d));
};
const maxStep = (x: Float32Array) => {
  let m = 0;
  for (let i = 1; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - x[i - 1]));
  return m;
};

describe('mixAtSnr', () => {
  it('hits the requested SNR exactly for longer and looped shorter noise', () => {
    const clean = sine(FS * 2, 440, 0.3);
    for (const [noise, snr] of [[gauss(FS * 5, 0.1, 1), 5], [gauss(5000, 0.02, 2), -3], [gauss(FS * 2, 1, 3), 20]] as const) {
      const out = mixAtSnr(clean, noise, snr, createRng(9));
      expect(out.length).toBe(clean.length);
      expect(snrOf(clean, out)).toBeCloseTo(snr, 3);
    }
  });

  it('is deterministic under the seed and varies with it', () => {
    const clean = sine(8000, 200, 0.5);
    const noise = gauss(30000, 0.1, 4);
    expect(mixAtSnr(clean, noise, 0, createRng(1))).toEqual(mixAtSnr(clean, noise, 0, createRng(1)));
    expect(mixAtSnr(clean, noise, 0, createRng(1))).not.toEqual(mixAtSnr(clean, noise, 0, createRng(2)));
  });

  it('loops a short noise without clicks at the seams', () => {
    // 100 Hz tone cut at a non-integer number of periods: a plain wrap would jump by up to 2x amplitude
    const noise = sine(1237, 100, 1, 0.3);
    const clean = gauss(FS, 1, 5);
    const out = mixAtSnr(clean, noise, 0, createRng(3));
    const seg = out.map((v, i) => v - clean[i]);
    const gain = Math.sqrt(acPower(clean) / acPower(noise));
    expect(maxStep(seg)).toBeLessThan(2 * maxStep(noise) * gain);
  });

  it('rejects silent, empty or non-finite input by name', () => {
    const r = createRng(0);
    expect(() => mixAtSnr(new Float32Array(100), gauss(100, 1, 1), 0, r)).toThrow(/clean signal is silent/);
    expect(() => mixAtSnr(gauss(100, 1, 1), new Float32Array(100).fill(0.5), 0, r)).toThrow(/noise segment is silent/);
    expect(() => mixAtSnr(gauss(100, 1, 1), new Float32Array(0), 0, r)).toThrow(/noise signal is empty/);
    expect(() => mixAtSnr(gauss(100, 1, 1), gauss(100, 1, 2), NaN, r)).toThrow(/snrDb must be a finite number/);
    expect(() => mixAtSnr(Float32Array.of(1, NaN, 0), gauss(100, 1, 2), 0, r)).toThrow(/clean: sample 1 is not finite/);
  });
});

describe('estimateSiteSnr', () => {
  it('recovers the machine-to-noise ratio exactly for orthogonal signals', () => {
    // 10 s: a 500 Hz machine tone (amplitude 0.4) and a 130 Hz noise tone (0.1), both whole periods,
    // so P(normal) = 0.4^2/2 + 0.1^2/2 exactly and SNR = 20 log10(4)
    const n = FS * 10;
    const noiseTone = sine(n, 130, 0.1);
    const normal = sine(n, 500, 0.4).map((v, i) => v + noiseTone[i]);
    const r = estimateSiteSnr([normal, normal], [noiseTone.subarray(0, FS * 2), noiseTone.subarray(FS * 5, FS * 7)]);
    expect(r.snrDb).toBeCloseTo(20 * Math.log10(4), 4);
    expect(r.noisePowerDb).toBeCloseTo(10 * Math.log10(0.005), 4);
    expect(r.normalPowerDb).toBeCloseTo(10 * Math.log10(0.085), 4);
    expect(r.machinePowerDb).toBeCloseTo(10 * Math.log10(0.08), 4);
  });

  it('uses the median normal clip power', () => {
    const n = FS;
    const noise = sine(n, 160, 0.1);
    const clips = [0.2, 0.4, 3.0].map((a) => sine(n, 400, a).map((v, i) => v + noise[i]));
    expect(estimateSiteSnr(clips, [noise]).snrDb).toBeCloseTo(20 * Math.log10(4), 4);
  });

  it('refuses noise that is louder than the normals', () => {
    expect(() => estimateSiteSnr([sine(FS, 300, 0.1)], [sine(FS, 300, 0.2)])).toThrow(/not louder than the noise-only clips/);
    expect(() => estimateSiteSnr([], [sine(FS, 300, 0.2)])).toThrow(/no normal clips/);
    expect(() => estimateSiteSnr([sine(FS, 300, 0.2)], [])).toThrow(/no noise-only clips/);
  });
});

describe('noise bed and augmentation plan', () => {
  it('concatenates with equal-power crossfades of the stated length', () => {
    const a = Float32Array.from({ length: 1000 }, () => 1);
    const b = Float32Array.from({ length: 800 }, () => 1);
    const bed = buildNoiseBed([a, b], createRng(0), 100);
    expect(bed.length).toBe(1000 + 800 - 100);
    // outside the overlap the samples are copied; inside, cos + sin of a constant peaks at sqrt(2)
    expect(bed[0]).toBe(1);
    expect(bed[bed.length - 1]).toBe(1);
    expect(Math.max(...bed)).toBeGreaterThan(1.4);
    expect(Math.max(...bed)).toBeLessThanOrEqual(Math.SQRT2 + 1e-6);
  });

  it('plans copies per clip at the given SNR, deterministically, with linkable attributes', () => {
    const normals = [1, 2, 3].map((id) => ({ clipId: id, samples: sine(FS, 300 + 50 * id, 0.3) }));
    const noise = [gauss(7000, 0.05, 1), gauss(9000, 0.05, 2), gauss(4000, 0.05, 3)];
    const items = planNoiseAugmentation(normals, noise, { snrDb: 6, copies: 2, seed: 11 });
    expect(items.map((i) => [i.originClipId, i.copy])).toEqual([[1, 0], [1, 1], [2, 0], [2, 1], [3, 0], [3, 1]]);
    items.forEach((it) => expect(snrOf(normals[it.originClipId - 1].samples, it.samples)).toBeCloseTo(6, 3));
    expect(items[0].samples).not.toEqual(items[1].samples);
    expect(planNoiseAugmentation(normals, noise, { snrDb: 6, copies: 2, seed: 11 })).toEqual(items);
    expect(augmentedAttributes({ pat: '00' }, 42)).toEqual({ pat: '00', [AUGMENTED_ATTR]: 'noise', [AUGMENTED_FROM_ATTR]: '42' });
    expect(() => planNoiseAugmentation(normals, noise, { snrDb: 6, copies: 0, seed: 1 })).toThrow(/copies must be an integer >= 1/);
  });
});
