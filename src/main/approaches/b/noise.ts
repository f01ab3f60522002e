// Site-noise augmentation for B's banks: pure waveform functions the fit job calls before
// encoding. Flow: snr = estimateSiteSnr(siteNormals, noiseClips).snrDb (or the configured
// noiseSnrDb) -> planNoiseAugmentation(normals, noiseClips, ...) -> the caller encodes each
// item's samples and passes them to fit() as extra normals with the origin's role and
// attributes augmentedAttributes(origin.attributes, origin.clipId). B links them to their origin
// (for leave-one-out) through attributes.augmentedFrom.
import type { Attributes } from '../../../shared/domain';
import { createRng, shuffled, type Rng } from '../common';

export type { Rng };

export const AUGMENTED_ATTR = 'augmented';
export const AUGMENTED_FROM_ATTR = 'augmentedFrom';
export const AUGMENTED_NOISE = 'noise';

/** Power about the mean (DC removed): DC carries no sound and the mel front end ignores it. */
export function acPower(x: Float32Array, start = 0, end = x.length): number {
  const n = end - start;
  if (n <= 0) return 0;
  let s = 0;
  let s2 = 0;
  for (let i = start; i < end; i++) {
    const v = x[i];
    s += v;
    s2 += v * v;
  }
  const m = s / n;
  return Math.max(0, s2 / n - m * m);
}

function checkFinite(x: Float32Array, what: string): void {
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i])) throw new Error(`${what}: sample ${i} is not finite`);
  }
}

/**
 * Noise segment of exactly `length` samples starting at a random offset; a shorter noise is
 * looped with equal-power crossfades at the seams so the loop adds no clicks.
 */
function noiseSegment(noise: Float32Array, length: number, rng: Rng, fade: number): Float32Array {
  const out = new Float32Array(length);
  if (noise.length >= length) {
    const off = Math.floor(rng.next() * (noise.length - length + 1));
    out.set(noise.subarray(off, off + length));
    return out;
  }
  const f = Math.max(0, Math.min(fade, Math.floor(noise.length / 2)));
  // start so the first piece is at least f long: every seam then has a full tail to fade out
  let pos = Math.floor(rng.next() * (noise.length - f + 1));
  let w = 0;
  while (w < length && pos < noise.length) out[w++] = noise[pos++];
  while (w < length) {
    // overlap the new repetition's first f samples with the last f written ones
    for (let j = 0; j < f; j++) {
      const th = ((j + 0.5) / f) * (Math.PI / 2);
      out[w - f + j] = out[w - f + j] * Math.cos(th) + noise[j] * Math.sin(th);
    }
    for (let j = f; j < noise.length && w < length; j++) out[w++] = noise[j];
  }
  return out;
}

/**
 * clean + g * noise with g chosen so that 10 log10(P(clean) / P(g * noise)) = snrDb exactly,
 * powers taken about the mean over the clean clip's length. The noise is cut at a random offset
 * (or looped with crossfades when shorter) and its DC removed. Returns a new array.
 */
export function mixAtSnr(clean: Float32Array, noise: Float32Array, snrDb: number, rng: Rng): Float32Array {
  if (!Number.isFinite(snrDb)) throw new Error(`mixAtSnr: snrDb must be a finite number, got ${snrDb}`);
  if (clean.length === 0) throw new Error('mixAtSnr: clean signal is empty');
  if (noise.length === 0) throw new Error('mixAtSnr: noise signal is empty');
  checkFinite(clean, 'mixAtSnr: clean');
  checkFinite(noise, 'mixAtSnr: noise');
  const pc = acPower(clean);
  if (!(pc > 0)) throw new Error('mixAtSnr: clean signal is silent (zero power): an SNR relative to it is undefined');
  const seg = noiseSegment(noise, clean.length, rng, 160);
  let mean = 0;
  for (let i = 0; i < seg.length; i++) mean += seg[i];
  mean /= seg.length;
  const pn = acPower(seg);
  if (!(pn > 0)) throw new Error('mixAtSnr: noise segment is silent (zero power)');
  const g = Math.sqrt(pc / (pn * Math.pow(10, snrDb / 10)));
  const out = new Float32Array(clean.length);
  for (let i = 0; i < clean.length; i++) out[i] = clean[i] + g * (seg[i] - mean);
  return out;
}

/**
 * Concatenates noise-only clips in a shuffled order with equal-power crossfades of `fade`
 * samples: one long, click-free bed from many short site-noise segments.
 */
export function buildNoiseBed(noise: Float32Array[], rng: Rng, fade = 160): Float32Array {
  const clips = noise.filter((c) => c.length > 0);
  if (clips.length === 0) throw new Error('buildNoiseBed: no non-empty noise-only clips');
  const order = shuffled(
    clips.map((_, i) => i),
    rng,
  );
  const minLen = Math.min(...clips.map((c) => c.length));
  const f = Math.min(fade, Math.floor(minLen / 2));
  const total = clips.reduce((a, c) => a + c.length, 0) - f * (clips.length - 1);
  const bed = new Float32Array(total);
  let w = 0;
  order.forEach((ci, n) => {
    const c = clips[ci];
    let start = 0;
    if (n > 0 && f > 0) {
      for (let j = 0; j < f; j++) {
        const th = ((j + 0.5) / f) * (Math.PI / 2);
        bed[w - f + j] = bed[w - f + j] * Math.cos(th) + c[j] * Math.sin(th);
      }
      start = f;
    }
    bed.set(c.subarray(start), w);
    w += c.length - start;
  });
  return bed;
}

export interface SiteSnr {
  /** 10 log10(P_machine / P_noise) with P_machine = P_normal - P_noise (uncorrelated sources) */
  snrDb: number;
  /** median over normal clips of their power, dB re full scale 1.0 */
  normalPowerDb: number;
  /** pooled power of all noise-only samples, dB */
  noisePowerDb: number;
  machinePowerDb: number;
  nNormals: number;
  nNoise: number;
}

const db = (p: number) => 10 * Math.log10(p);

/**
 * Site SNR from normal clips (machine + site noise) and noise-only clips of the same site.
 * Power-based: for a machine that is only briefly active (a valve's clicks) the average power
 * hardly exceeds the noise floor and no SNR can be estimated this way; that case throws.
 * Normal power is the median over clips (robust to a few odd clips); noise power is pooled over
 * all noise samples (segments are short and of unequal length).
 */
export function estimateSiteSnr(normals: Float32Array[], noise: Float32Array[]): SiteSnr {
  if (normals.length === 0) throw new Error('estimateSiteSnr: no normal clips given');
  if (noise.length === 0) throw new Error('estimateSiteSnr: no noise-only clips given');
  const pNormals = normals.map((x, i) => {
    if (x.length === 0) throw new Error(`estimateSiteSnr: normal clip ${i} is empty`);
    checkFinite(x, `estimateSiteSnr: normal clip ${i}`);
    return acPower(x);
  });
  pNormals.sort((a, b) => a - b);
  const m = pNormals.length >> 1;
  const pNormal = pNormals.length % 2 ? pNormals[m] : (pNormals[m - 1] + pNormals[m]) / 2;
  let sumP = 0;
  let nS = 0;
  noise.forEach((x, i) => {
    checkFinite(x, `estimateSiteSnr: noise clip ${i}`);
    sumP += acPower(x) * x.length;
    nS += x.length;
  });
  if (nS === 0) throw new Error('estimateSiteSnr: all noise-only clips are empty');
  const pNoise = sumP / nS;
  if (!(pNoise > 0)) throw new Error('estimateSiteSnr: noise-only clips are silent (zero power)');
  const pMachine = pNormal - pNoise;
  if (!(pMachine > 0)) {
    throw new Error(
      `estimateSiteSnr: normal clips (${db(pNormal).toFixed(1)} dB) are not louder than the noise-only clips ` +
        `(${db(pNoise).toFixed(1)} dB): the noise clips do not look noise-only, or the machine is below the noise floor ` +
        `or only briefly active (valves, impacts); set the mixing SNR (noiseSnrDb) explicitly`,
    );
  }
  return {
    snrDb: db(pMachine) - db(pNoise),
    normalPowerDb: db(pNormal),
    noisePowerDb: db(pNoise),
    machinePowerDb: db(pMachine),
    nNormals: normals.length,
    nNoise: noise.length,
  };
}

export interface NoiseAugmentItem {
  originClipId: number;
  copy: number;
  samples: Float32Array;
}

/**
 * For every normal clip, `copies` noisy versions mixed at snrDb from one shuffled site-noise bed;
 * deterministic under `seed`. The caller encodes `samples` and passes the embeddings as normals.
 */
export function planNoiseAugmentation(
  normals: { clipId: number; samples: Float32Array }[],
  noise: Float32Array[],
  opts: { snrDb: number; copies: number; seed: number },
): NoiseAugmentItem[] {
  if (!Number.isInteger(opts.copies) || opts.copies < 1) throw new Error(`planNoiseAugmentation: copies must be an integer >= 1, got ${opts.copies}`);
  const rng = createRng(opts.seed);
  const bed = buildNoiseBed(noise, rng);
  const items: NoiseAugmentItem[] = [];
  for (const c of normals) {
    for (let k = 0; k < opts.copies; k++) {
      let samples: Float32Array;
      try {
        samples = mixAtSnr(c.samples, bed, opts.snrDb, rng);
      } catch (e) {
        throw new Error(`planNoiseAugmentation: clip ${c.clipId}: ${(e as Error).message}`);
      }
      items.push({ originClipId: c.clipId, copy: k, samples });
    }
  }
  return items;
}

/** Attributes for an augmented clip: the origin's, plus the flags B reads to link it back. */
export function augmentedAttributes(origin: Attributes, originClipId: number): Attributes {
  return { ...origin, [AUGMENTED_ATTR]: AUGMENTED_NOISE, [AUGMENTED_FROM_ATTR]: String(originClipId) };
}
