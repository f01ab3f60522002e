// Shared pieces of the short-time spectral front ends: the Features type, windows, sparse mel
// filterbanks and a reusable power-spectrum kernel (fft.js, preallocated buffers).
import FFT from 'fft.js';
import type { MelTable } from './mel-tables';

/** A time-frequency feature matrix: frames x bins, row-major (frame f, bin b at f * bins + b). */
export interface Features {
  data: Float32Array;
  frames: number;
  bins: number;
  frameShiftS: number;
  frameLengthS: number;
}

/** Triangular filters stored as one contiguous run of weights each: mel m covers FFT bins first[m] .. first[m] + len[m] - 1. */
export interface SparseMel {
  bins: number;
  first: Int32Array;
  len: Int32Array;
  /** start of mel m's weights in `weights` */
  offset: Int32Array;
  weights: Float64Array;
}

/** Builds a SparseMel from a dense weight function w(mel, fftBin), keeping the nonzero span of each filter. */
export function sparseMel(bins: number, fftBins: number, w: (m: number, k: number) => number): SparseMel {
  const first = new Int32Array(bins);
  const len = new Int32Array(bins);
  const offset = new Int32Array(bins);
  const all: number[] = [];
  for (let m = 0; m < bins; m++) {
    let lo = -1;
    let hi = -1;
    for (let k = 0; k < fftBins; k++) {
      if (w(m, k) > 0) {
        if (lo < 0) lo = k;
        hi = k;
      }
    }
    offset[m] = all.length;
    if (lo < 0) continue; // an all-zero filter: its energy is 0
    first[m] = lo;
    len[m] = hi - lo + 1;
    for (let k = lo; k <= hi; k++) all.push(w(m, k));
  }
  return { bins, first, len, offset, weights: Float64Array.from(all) };
}

/** A SparseMel from a generated table (torchaudio's exact float32 weights, see mel-tables.ts). */
export function melFromTable(t: MelTable): SparseMel {
  const bins = t.filters.length;
  const first = new Int32Array(bins);
  const len = new Int32Array(bins);
  const offset = new Int32Array(bins);
  const all: number[] = [];
  t.filters.forEach(([k0, w], m) => {
    first[m] = k0;
    len[m] = w.length;
    offset[m] = all.length;
    all.push(...w.map((v) => Math.fround(v)));
  });
  return { bins, first, len, offset, weights: Float64Array.from(all) };
}

/** out[m] = sum_k weights(m, k) * power[k] */
export function applyMel(mel: SparseMel, power: Float64Array, out: Float64Array): void {
  const { first, len, offset, weights } = mel;
  for (let m = 0; m < mel.bins; m++) {
    let e = 0;
    const k0 = first[m];
    const o = offset[m];
    for (let j = 0, n = len[m]; j < n; j++) e += weights[o + j] * power[k0 + j];
    out[m] = e;
  }
}

/**
 * Power spectra |X_k|^2, k = 0..n/2, of two zero-padded real frames at once: one complex FFT of
 * a + i b, split by conjugate symmetry (twice as fast as two fft.js realTransform calls).
 * Owns its FFT and scratch buffers; no allocation per call.
 */
export class PairPowerSpectrum {
  readonly n: number;
  /** interleaved input: frame a at [2i], frame b at [2i + 1]; entries past the frame length must stay zero */
  readonly input: Float64Array;
  readonly powerA: Float64Array;
  readonly powerB: Float64Array;
  private readonly fft: FFT;
  private readonly spectrum: Float64Array;

  constructor(n: number) {
    this.n = n;
    this.fft = new FFT(n);
    this.input = new Float64Array(2 * n);
    this.spectrum = new Float64Array(2 * n);
    this.powerA = new Float64Array(n / 2 + 1);
    this.powerB = new Float64Array(n / 2 + 1);
  }

  compute(): void {
    this.fft.transform(this.spectrum, this.input);
    const s = this.spectrum;
    const pa = this.powerA;
    const pb = this.powerB;
    const n = this.n;
    for (let k = 0, h = n / 2; k <= h; k++) {
      const j = k === 0 ? 0 : n - k;
      const zr = s[2 * k];
      const zi = s[2 * k + 1];
      const yr = s[2 * j];
      const yi = s[2 * j + 1];
      // A_k = (Z_k + conj Z_{n-k}) / 2, B_k = (Z_k - conj Z_{n-k}) / 2i
      const ar = zr + yr;
      const ai = zi - yi;
      const br = zi + yi;
      const bi = zr - yr;
      pa[k] = 0.25 * (ar * ar + ai * ai);
      pb[k] = 0.25 * (br * br + bi * bi);
    }
  }
}

/** Symmetric Hann window of length n (torch.hann_window(n, periodic=False)). */
export function hannSymmetric(n: number): Float64Array {
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) w[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (n - 1));
  return w;
}

/** Periodic Hann window of length n (torch.hann_window(n), the STFT default). */
export function hannPeriodic(n: number): Float64Array {
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) w[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / n);
  return w;
}
