// Signal primitives for the synthesiser: in-place operations on whole typed arrays, O(n) each,
// no allocation inside sample loops. Filters keep their state in float64 locals for accuracy.
import type { Rng } from './rng';

/** Normalised biquad coefficients (a0 = 1): y = b0 x + b1 x1 + b2 x2 - a1 y1 - a2 y2. */
export interface Biquad {
  b0: number;
  b1: number;
  b2: number;
  a1: number;
  a2: number;
}

// Designs follow R. Bristow-Johnson's "Audio EQ Cookbook" (bilinear transform with pre-warping).
function rbj(fc: number, q: number, sr: number): { cw: number; alpha: number } {
  const f = Math.min(Math.max(fc, 1), sr * 0.49); // keep the design stable whatever a model asks for
  const w = (2 * Math.PI * f) / sr;
  return { cw: Math.cos(w), alpha: Math.sin(w) / (2 * q) };
}

function norm(b0: number, b1: number, b2: number, a0: number, a1: number, a2: number): Biquad {
  return { b0: b0 / a0, b1: b1 / a0, b2: b2 / a0, a1: a1 / a0, a2: a2 / a0 };
}

export function lowpass(fc: number, q: number, sr: number): Biquad {
  const { cw, alpha } = rbj(fc, q, sr);
  return norm((1 - cw) / 2, 1 - cw, (1 - cw) / 2, 1 + alpha, -2 * cw, 1 - alpha);
}

export function highpass(fc: number, q: number, sr: number): Biquad {
  const { cw, alpha } = rbj(fc, q, sr);
  return norm((1 + cw) / 2, -(1 + cw), (1 + cw) / 2, 1 + alpha, -2 * cw, 1 - alpha);
}

/** band-pass with 0 dB gain at the centre frequency */
export function bandpass(fc: number, q: number, sr: number): Biquad {
  const { cw, alpha } = rbj(fc, q, sr);
  return norm(alpha, 0, -alpha, 1 + alpha, -2 * cw, 1 - alpha);
}

export function peaking(fc: number, q: number, gainDb: number, sr: number): Biquad {
  const { cw, alpha } = rbj(fc, q, sr);
  const A = Math.pow(10, gainDb / 40);
  return norm(1 + alpha * A, -2 * cw, 1 - alpha * A, 1 + alpha / A, -2 * cw, 1 - alpha / A);
}

/** |H(e^jw)| of a biquad at frequency f */
export function biquadGain(c: Biquad, f: number, sr: number): number {
  const w = (2 * Math.PI * f) / sr;
  const c1 = Math.cos(w),
    s1 = Math.sin(w),
    c2 = Math.cos(2 * w),
    s2 = Math.sin(2 * w);
  const nr = c.b0 + c.b1 * c1 + c.b2 * c2,
    ni = -(c.b1 * s1 + c.b2 * s2);
  const dr = 1 + c.a1 * c1 + c.a2 * c2,
    di = -(c.a1 * s1 + c.a2 * s2);
  return Math.sqrt((nr * nr + ni * ni) / (dr * dr + di * di));
}

/** filters x in place (transposed direct form II) */
export function filterInPlace(x: Float32Array, c: Biquad): Float32Array {
  const { b0, b1, b2, a1, a2 } = c;
  let z1 = 0,
    z2 = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    const y = b0 * v + z1;
    z1 = b1 * v - a1 * y + z2;
    z2 = b2 * v - a2 * y;
    x[i] = y;
  }
  return x;
}

/** adds g * filter(x) to out, leaving x untouched */
export function addFiltered(out: Float32Array, x: Float32Array, c: Biquad, g = 1): void {
  const { b0, b1, b2, a1, a2 } = c;
  let z1 = 0,
    z2 = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    const y = b0 * v + z1;
    z1 = b1 * v - a1 * y + z2;
    z2 = b2 * v - a2 * y;
    out[i] += g * y;
  }
}

/**
 * out += env * (g0 f0(x) + g1 f1(x) + g2 f2(x)): three parallel biquads (formants, resonant
 * modes) and a gain envelope in one pass over x, instead of three passes and a multiply.
 */
export function addParallel3(out: Float32Array, x: Float32Array, f: readonly [Biquad, Biquad, Biquad], g: readonly [number, number, number], env?: Float32Array): void {
  const [pb0, pb1, pb2, pa1, pa2] = [f[0].b0, f[0].b1, f[0].b2, f[0].a1, f[0].a2];
  const [qb0, qb1, qb2, qa1, qa2] = [f[1].b0, f[1].b1, f[1].b2, f[1].a1, f[1].a2];
  const [rb0, rb1, rb2, ra1, ra2] = [f[2].b0, f[2].b1, f[2].b2, f[2].a1, f[2].a2];
  const [g0, g1, g2] = g;
  let p1 = 0,
    p2 = 0,
    q1 = 0,
    q2 = 0,
    r1 = 0,
    r2 = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    const yp = pb0 * v + p1;
    p1 = pb1 * v - pa1 * yp + p2;
    p2 = pb2 * v - pa2 * yp;
    const yq = qb0 * v + q1;
    q1 = qb1 * v - qa1 * yq + q2;
    q2 = qb2 * v - qa2 * yq;
    const yr = rb0 * v + r1;
    r1 = rb1 * v - ra1 * yr + r2;
    r2 = rb2 * v - ra2 * yr;
    const y = g0 * yp + g1 * yq + g2 * yr;
    out[i] += env ? env[i] * y : y;
  }
}

// Pink (-3 dB/octave) shaping: a 3-pole / 3-zero fit whose slope stays within ~0.3 dB of
// ideal from about 10 Hz to Nyquist at audio rates (J. O. Smith, Spectral Audio Signal Processing).
const PINK_B = [0.049922035, -0.095993537, 0.050612699, -0.004408786];
const PINK_A = [-2.494956002, 2.017265875, -0.5221894];

export function pinkInPlace(x: Float32Array): Float32Array {
  const [b0, b1, b2, b3] = PINK_B;
  const [a1, a2, a3] = PINK_A;
  let x1 = 0,
    x2 = 0,
    x3 = 0,
    y1 = 0,
    y2 = 0,
    y3 = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    const y = b0 * v + b1 * x1 + b2 * x2 + b3 * x3 - a1 * y1 - a2 * y2 - a3 * y3;
    x3 = x2;
    x2 = x1;
    x1 = v;
    y3 = y2;
    y2 = y1;
    y1 = y;
    x[i] = y;
  }
  return x;
}

/** leaky integrator: white in, brown (-6 dB/octave above the corner) out */
export function brownInPlace(x: Float32Array, cornerHz: number, sr: number): Float32Array {
  const p = Math.exp((-2 * Math.PI * cornerHz) / sr);
  let y = 0;
  for (let i = 0; i < x.length; i++) {
    y = p * y + (1 - p) * x[i];
    x[i] = y;
  }
  return x;
}

export function rms(x: Float32Array, from = 0, to = x.length): number {
  let s = 0;
  for (let i = from; i < to; i++) s += x[i] * x[i];
  return to > from ? Math.sqrt(s / (to - from)) : 0;
}

export function peakAbs(x: Float32Array): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) {
    const a = Math.abs(x[i]);
    if (a > m) m = a;
  }
  return m;
}

export function scaleInPlace(x: Float32Array, g: number): Float32Array {
  for (let i = 0; i < x.length; i++) x[i] *= g;
  return x;
}

/** scales x to the given RMS (no-op for silence) */
export function normaliseRms(x: Float32Array, target = 1): Float32Array {
  const r = rms(x);
  return r > 0 ? scaleInPlace(x, target / r) : x;
}

export function addInto(out: Float32Array, x: Float32Array, g = 1): void {
  for (let i = 0; i < out.length; i++) out[i] += g * x[i];
}

export function multiplyInPlace(x: Float32Array, env: Float32Array): Float32Array {
  for (let i = 0; i < x.length; i++) x[i] *= env[i];
  return x;
}

/** control points are this many per second */
export const CONTROL_RATE = 100;

/**
 * Control points (CONTROL_RATE per second) of a slow random signal with unit standard
 * deviation and roughly `cutoffHz` bandwidth, each mapped through `shape` when given.
 */
export function controlKnots(rng: Rng, m: number, cutoffHz: number, shape?: (v: number) => number): Float64Array {
  const knots = new Float64Array(m);
  const p = Math.exp((-2 * Math.PI * cutoffHz) / CONTROL_RATE);
  const g = Math.sqrt(1 - p * p);
  // start the two-pole smoother in its stationary state so the clip has no onset transient
  let y1 = rng.normal(),
    y2 = y1;
  for (let k = 0; k < m; k++) {
    y1 = p * y1 + g * rng.normal();
    y2 = p * y2 + g * y1;
    knots[k] = y2;
  }
  let mean = 0;
  for (let k = 0; k < m; k++) mean += knots[k];
  mean /= m;
  let v = 0;
  for (let k = 0; k < m; k++) v += (knots[k] - mean) ** 2;
  const sd = Math.sqrt(v / m) || 1;
  for (let k = 0; k < m; k++) knots[k] = shape ? shape((knots[k] - mean) / sd) : (knots[k] - mean) / sd;
  return knots;
}

/** linear interpolation of control knots at time t seconds */
export function knotAt(knots: Float64Array, t: number): number {
  const x = Math.min(Math.max(t * CONTROL_RATE, 0), knots.length - 1.000001);
  const k = Math.floor(x);
  return knots[k] + (x - k) * (knots[k + 1] - knots[k]);
}

/**
 * The same slow signal at the sample rate: control points interpolated (a sample-rate IIR
 * at 0.3 Hz is both slow and numerically fragile). `shape` (a gate curve, a dB-to-gain law)
 * is applied per control point so no sample pays for a transcendental call.
 */
export function controlNoise(rng: Rng, n: number, sr: number, cutoffHz: number, shape?: (v: number) => number): Float32Array {
  const hop = sr / CONTROL_RATE;
  const knots = controlKnots(rng, Math.ceil(n / hop) + 2, cutoffHz, shape);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const t = i / hop;
    const k = Math.floor(t);
    const f = t - k;
    out[i] = (1 - f) * knots[k] + f * knots[k + 1];
  }
  return out;
}

/** a logistic gate curve for controlNoise: 0 well below threshold, 1 well above */
export const gateShape =
  (threshold: number, steepness: number) =>
  (v: number): number =>
    1 / (1 + Math.exp(-steepness * (v - threshold)));

/** a level wander for controlNoise: gain = 10^(depthDb * v / 20) */
export const dbShape =
  (depthDb: number) =>
  (v: number): number =>
    Math.pow(10, (depthDb * v) / 20);

/**
 * Running phase in cycles of a shaft or supply whose frequency is f0 * (1 + depth * wander(t)).
 * Every partial of that source is then a multiple of this one phase, so harmonics stay locked.
 */
export function cycles(n: number, sr: number, f0: number, wander?: Float32Array, depth = 0): Float64Array {
  const out = new Float64Array(n);
  let c = 0;
  const k = f0 / sr;
  if (!wander || depth === 0) {
    for (let i = 0; i < n; i++) out[i] = c += k;
  } else {
    for (let i = 0; i < n; i++) out[i] = c += k * (1 + depth * wander[i]);
  }
  return out;
}

const TABLE_SIZE = 4096;
const SINE = new Float32Array(TABLE_SIZE + 1);
for (let i = 0; i <= TABLE_SIZE; i++) SINE[i] = Math.sin((2 * Math.PI * i) / TABLE_SIZE);

/** one period of sum_k amp_k sin(2 pi k t + phase_k), with a guard point for interpolation */
export function wavetable(harmonics: readonly { k: number; amp: number; phase?: number }[]): Float32Array {
  const t = new Float32Array(TABLE_SIZE + 1);
  for (const h of harmonics) {
    const ph = h.phase ?? 0;
    for (let i = 0; i <= TABLE_SIZE; i++) t[i] += h.amp * Math.sin((2 * Math.PI * h.k * i) / TABLE_SIZE + ph);
  }
  return t;
}

/**
 * out += amp * env * table(ratio * cyc + offset): one table read per sample whatever the number
 * of harmonics in the table. `env` (optional) is a per-sample gain.
 */
export function addTable(out: Float32Array, cyc: Float64Array, ratio: number, table: Float32Array, amp: number, offset = 0, env?: Float32Array): void {
  const n = out.length;
  for (let i = 0; i < n; i++) {
    const p = ratio * cyc[i] + offset;
    const t = (p - Math.floor(p)) * TABLE_SIZE;
    const j = t | 0;
    const v = table[j] + (t - j) * (table[j + 1] - table[j]);
    out[i] += (env ? env[i] * amp : amp) * v;
  }
}

/** out += amp * env * sin(2 pi (ratio * cyc + offset)) */
export function addPartial(out: Float32Array, cyc: Float64Array, ratio: number, amp: number, offset = 0, env?: Float32Array): void {
  addTable(out, cyc, ratio, SINE, amp, offset, env);
}

/** x *= 1 + depth * table(ratio * cyc + offset): amplitude modulation locked to a shaft */
export function modulateInPlace(x: Float32Array, cyc: Float64Array, ratio: number, depth: number, offset = 0, table: Float32Array = SINE): void {
  for (let i = 0; i < x.length; i++) {
    const p = ratio * cyc[i] + offset;
    const t = (p - Math.floor(p)) * TABLE_SIZE;
    const j = t | 0;
    x[i] *= 1 + depth * (table[j] + (t - j) * (table[j + 1] - table[j]));
  }
}

/** a band-limited unit impulse at fractional sample position `pos` (linear split between two samples) */
export function addImpulse(out: Float32Array, pos: number, amp: number): void {
  const i = Math.floor(pos);
  const f = pos - i;
  if (i >= 0 && i < out.length) out[i] += amp * (1 - f);
  if (i + 1 >= 0 && i + 1 < out.length) out[i + 1] += amp * f;
}

/** a gate that is 1 between on and off (seconds) with raised-cosine ramps of `ramp` seconds, added to env */
export function addGate(env: Float32Array, sr: number, on: number, off: number, ramp: number, amp = 1): void {
  if (off <= on) return;
  const r = Math.max(ramp, 1 / sr);
  const a = Math.max(0, Math.floor((on - r) * sr));
  const b = Math.min(env.length, Math.ceil((off + r) * sr));
  for (let i = a; i < b; i++) {
    const t = i / sr;
    let g: number;
    if (t < on) g = 0.5 * (1 + Math.cos((Math.PI * (on - t)) / r));
    else if (t > off) g = 0.5 * (1 + Math.cos((Math.PI * (t - off)) / r));
    else g = 1;
    env[i] += amp * g;
  }
}

/** early reflections: each (delay, gain) adds a delayed copy (a feed-forward comb), applied in turn, in place */
export function addEchoes(x: Float32Array, echoes: readonly { delay: number; gain: number }[]): void {
  for (const { delay, gain } of echoes) {
    // walk backwards so each sample reads the input before this reflection was added
    for (let i = x.length - 1; i >= delay; i--) x[i] += gain * x[i - delay];
  }
}

// Schroeder reverberator: four parallel feedback combs, two series all-passes, in one pass.
const COMB_MS = [29.7, 37.1, 41.1, 43.7] as const;
const ALLPASS_MS = [5.0, 1.7] as const;
const ALLPASS_G = 0.7;

/** x = (1 - mix) * x + mix * reverb(x), decay time rt60 seconds */
export function reverbInPlace(x: Float32Array, sr: number, rt60: number, mix: number): void {
  if (mix <= 0) return;
  const n = x.length;
  const d = COMB_MS.map((ms) => Math.round((ms * sr) / 1000));
  const g = d.map((len) => Math.pow(10, (-3 * len) / (rt60 * sr))); // each comb loses 60 dB in rt60
  const [d0, d1, d2, d3] = d;
  const [g0, g1, g2, g3] = g;
  const c0 = new Float32Array(d0),
    c1 = new Float32Array(d1),
    c2 = new Float32Array(d2),
    c3 = new Float32Array(d3);
  const e0 = Math.round((ALLPASS_MS[0] * sr) / 1000),
    e1 = Math.round((ALLPASS_MS[1] * sr) / 1000);
  const a0 = new Float32Array(e0),
    a1 = new Float32Array(e1);
  let i0 = 0,
    i1 = 0,
    i2 = 0,
    i3 = 0,
    j0 = 0,
    j1 = 0;
  const wet = new Float32Array(n);
  let wetEnergy = 0,
    dryEnergy = 0;
  for (let i = 0; i < n; i++) {
    const v = x[i];
    dryEnergy += v * v;
    const y0 = v + g0 * c0[i0];
    c0[i0] = y0;
    if (++i0 === d0) i0 = 0;
    const y1 = v + g1 * c1[i1];
    c1[i1] = y1;
    if (++i1 === d1) i1 = 0;
    const y2 = v + g2 * c2[i2];
    c2[i2] = y2;
    if (++i2 === d2) i2 = 0;
    const y3 = v + g3 * c3[i3];
    c3[i3] = y3;
    if (++i3 === d3) i3 = 0;
    let w = 0.25 * (y0 + y1 + y2 + y3);
    const p0 = a0[j0];
    const u0 = w + ALLPASS_G * p0;
    a0[j0] = u0;
    w = p0 - ALLPASS_G * u0;
    if (++j0 === e0) j0 = 0;
    const p1 = a1[j1];
    const u1 = w + ALLPASS_G * p1;
    a1[j1] = u1;
    w = p1 - ALLPASS_G * u1;
    if (++j1 === e1) j1 = 0;
    wet[i] = w;
    wetEnergy += w * w;
  }
  // match the wet path's level to the dry one so `mix` reads as an energy share
  const k = wetEnergy > 0 ? mix * Math.sqrt(dryEnergy / wetEnergy) : 0;
  for (let i = 0; i < n; i++) x[i] = (1 - mix) * x[i] + k * wet[i];
}

/** white Gaussian noise of unit RMS, optionally shaped; a fresh buffer */
export function noise(rng: Rng, n: number): Float32Array {
  return rng.fillNormal(new Float32Array(n));
}

/** one period of a periodic Gaussian pulse centred at 0 with standard deviation `width` cycles, peak 1 */
export function pulseTable(width: number): Float32Array {
  const t = new Float32Array(TABLE_SIZE + 1);
  for (let i = 0; i <= TABLE_SIZE; i++) {
    let d = i / TABLE_SIZE;
    if (d > 0.5) d -= 1; // circular distance to the centre
    t[i] = Math.exp((-0.5 * d * d) / (width * width));
  }
  return t;
}

/**
 * Fractional sample positions where ratio * cyc + offset passes an integer: the instants a
 * once-per-cycle event (a defect striking, a valve opening) happens on a wandering shaft.
 */
export function crossings(cyc: Float64Array, ratio: number, offset = 0): number[] {
  const out: number[] = [];
  let prev = ratio * cyc[0] + offset;
  for (let i = 1; i < cyc.length; i++) {
    const cur = ratio * cyc[i] + offset;
    const k = Math.floor(cur);
    if (k > Math.floor(prev)) out.push(i - 1 + (k - prev) / (cur - prev));
    prev = cur;
  }
  return out;
}

/** env[i] = table(ratio * cyc[i] + offset): a shaft-locked envelope as its own buffer */
export function tableEnvelope(cyc: Float64Array, ratio: number, table: Float32Array, offset = 0): Float32Array {
  const env = new Float32Array(cyc.length);
  addTable(env, cyc, ratio, table, 1, offset);
  return env;
}
