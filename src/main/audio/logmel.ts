// Log mel spectrogram equal to torchaudio.transforms.MelSpectrogram(sample_rate=16000, n_fft=1024,
// hop_length=512, n_mels=128) (periodic Hann, center=True with reflect padding, power 2, HTK mel,
// no filter normalisation) followed by log(x + 1e-8), to 1e-4 max abs.
import { ANALYSIS_RATE } from '../../shared/domain';
import { HTK_MEL_128_N1024_16K } from './mel-tables';
import { applyMel, hannPeriodic, melFromTable, PairPowerSpectrum, sparseMel } from './spectral';
import type { Features, SparseMel } from './spectral';

export type { Features } from './spectral';

const N_FFT = 1024;
const HOP = 512;
const MEL_BINS = 128;
/** added before the log so silent bands stay finite (log(1e-8) = -18.42) */
export const LOGMEL_FLOOR = 1e-8;

const htkMel = (f: number) => 2595 * Math.log10(1 + f / 700);
const htkHz = (m: number) => 700 * (10 ** (m / 2595) - 1);

/** torchaudio.functional.melscale_fbanks(n_freqs, f_min, f_max, n_mels, rate, norm=None, mel_scale='htk') */
export function htkMelBanks(bins: number, fftSize: number, rate: number, fMin = 0, fMax = rate / 2): SparseMel {
  const nFreqs = fftSize / 2 + 1;
  const mMin = htkMel(fMin);
  const mMax = htkMel(fMax);
  const fPts = Array.from({ length: bins + 2 }, (_, i) => htkHz(mMin + ((mMax - mMin) * i) / (bins + 1)));
  const freq = (k: number) => ((rate / 2) * k) / (nFreqs - 1); // linspace(0, rate // 2, n_freqs)
  return sparseMel(bins, nFreqs, (m, k) => {
    const f = freq(k);
    const down = (f - fPts[m]) / (fPts[m + 1] - fPts[m]);
    const up = (fPts[m + 2] - f) / (fPts[m + 2] - fPts[m + 1]);
    return Math.max(0, Math.min(down, up));
  });
}

let cached: { window: Float64Array; mel: SparseMel; spec: PairPowerSpectrum; energies: Float64Array } | null = null;

function engine() {
  cached ??= {
    window: hannPeriodic(N_FFT),
    // torchaudio's float32 weights; htkMelBanks(128, 1024, 16000) is the exact form (tests compare)
    mel: melFromTable(HTK_MEL_128_N1024_16K),
    spec: new PairPowerSpectrum(N_FFT),
    energies: new Float64Array(MEL_BINS),
  };
  return cached;
}

/** Reflect index j into 0..n-1 without repeating the edge sample (numpy/torch 'reflect'). */
function reflect(j: number, n: number): number {
  if (j < 0) return -j;
  if (j >= n) return 2 * (n - 1) - j;
  return j;
}

/** Frame f (centred on sample f * HOP, reflect-padded at the edges), windowed, into one lane of the FFT input. */
function prepareFrame(wave: Float32Array, f: number, window: Float64Array, input: Float64Array, lane: 0 | 1): void {
  const n = wave.length;
  const start = f * HOP - N_FFT / 2;
  if (start >= 0 && start + N_FFT <= n) {
    for (let i = 0; i < N_FFT; i++) input[2 * i + lane] = wave[start + i] * window[i];
  } else {
    for (let i = 0; i < N_FFT; i++) input[2 * i + lane] = wave[reflect(start + i, n)] * window[i];
  }
}

function logMel(mel: SparseMel, power: Float64Array, energies: Float64Array, data: Float32Array, f: number): void {
  applyMel(mel, power, energies);
  const row = f * MEL_BINS;
  for (let m = 0; m < MEL_BINS; m++) data[row + m] = Math.log(energies[m] + LOGMEL_FLOOR);
}

/**
 * Log mel spectrogram of a 16 kHz mono waveform: frames x 128 with frames = 1 + floor(n / 512).
 * Needs more than 512 samples (reflect padding of half a window, as torch.stft).
 */
export function logmel(wave: Float32Array): Features {
  const n = wave.length;
  if (n <= N_FFT / 2) throw new RangeError(`logmel: the signal has ${n} samples; at least ${N_FFT / 2 + 1} (${((N_FFT / 2 + 1) / ANALYSIS_RATE * 1000).toFixed(1)} ms) are needed`);
  const e = engine();
  const frames = 1 + Math.floor(n / HOP);
  const data = new Float32Array(frames * MEL_BINS);
  const input = e.spec.input;
  for (let f = 0; f < frames; f += 2) {
    prepareFrame(wave, f, e.window, input, 0);
    if (f + 1 < frames) prepareFrame(wave, f + 1, e.window, input, 1);
    else for (let i = 0; i < N_FFT; i++) input[2 * i + 1] = 0; // a lone last frame: lane 1 silent
    e.spec.compute();
    logMel(e.mel, e.spec.powerA, e.energies, data, f);
    if (f + 1 < frames) logMel(e.mel, e.spec.powerB, e.energies, data, f + 1);
  }
  return { data, frames, bins: MEL_BINS, frameShiftS: HOP / ANALYSIS_RATE, frameLengthS: N_FFT / ANALYSIS_RATE };
}

/** Per-band mean over time, then per-band population standard deviation (divide by frames): 256 values. */
export function logmelStats(wave: Float32Array): Float32Array {
  const f = logmel(wave);
  const out = new Float32Array(2 * f.bins);
  const mean = new Float64Array(f.bins);
  for (let t = 0; t < f.frames; t++) for (let b = 0; b < f.bins; b++) mean[b] += f.data[t * f.bins + b];
  for (let b = 0; b < f.bins; b++) mean[b] /= f.frames;
  const sq = new Float64Array(f.bins);
  for (let t = 0; t < f.frames; t++) {
    for (let b = 0; b < f.bins; b++) {
      const d = f.data[t * f.bins + b] - mean[b];
      sq[b] += d * d;
    }
  }
  for (let b = 0; b < f.bins; b++) {
    out[b] = mean[b];
    out[f.bins + b] = Math.sqrt(sq[b] / f.frames);
  }
  return out;
}
