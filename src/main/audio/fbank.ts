// Kaldi-compatible log mel filterbank, equal to torchaudio.compliance.kaldi.fbank as the AST
// (HF ASTFeatureExtractor) and BEATs (BEATs.preprocess) front ends call it, to 1e-4 max abs.
// Float64 throughout with torchaudio's own float32 mel weights (mel-tables.ts); two frames per FFT.
import type { GridGeometry } from '../approaches/types';
import { ANALYSIS_RATE } from '../../shared/domain';
import { KALDI_MEL_128_N512_16K } from './mel-tables';
import { applyMel, hannSymmetric, melFromTable, PairPowerSpectrum, sparseMel } from './spectral';
import type { Features, SparseMel } from './spectral';

export type { Features } from './spectral';

export type FbankPreset = 'ast' | 'beats';
export const FBANK_PRESETS: readonly FbankPreset[] = ['ast', 'beats'];

const FRAME_LENGTH = 400; // 25 ms at 16 kHz
const FRAME_SHIFT = 160; // 10 ms
const FFT_SIZE = 512; // frame length rounded up to a power of two
const MEL_BINS = 128;
const PREEMPHASIS = 0.97;
/** torch.finfo(torch.float32).eps: the log floor kaldi.fbank uses for float32 input */
const LOG_FLOOR = 1.1920928955078125e-7;

/** (x - mean) / (2 * std) with the published dataset statistics of each model */
export const FBANK_NORM: Record<FbankPreset, { mean: number; std: number }> = {
  ast: { mean: -4.2677393, std: 4.5689974 },
  beats: { mean: 15.41663, std: 6.55582 },
};

/** The AST model input: 1024 frames x 128 mel bins. */
export const AST_FRAMES = 1024;
export const AST_BINS = MEL_BINS;

/**
 * The AST patch grid (16 x 16 patches, stride 10) on the fbank's frames and mel bins: 12 x 101.
 * Cell (f, t) covers frames 10t .. 10t+15 (t * 0.1 s for 0.16 s) and mel bins 10f .. 10f+15; the
 * conv leaves mel bins 126-127 and frames 1016-1023 outside every cell.
 */
export const AST_GRID: GridGeometry = {
  freq: 12,
  time: 101,
  timeStepS: 10 * (FRAME_SHIFT / ANALYSIS_RATE),
  timeSpanS: 16 * (FRAME_SHIFT / ANALYSIS_RATE),
  melStep: 10,
  melSpan: 16,
  melBins: MEL_BINS,
};

interface Engine {
  /** the window times the input scale (2^15 for BEATs) */
  scaledWindow: Float64Array;
  mel: SparseMel;
  spec: PairPowerSpectrum;
  energies: Float64Array;
}

const engines = new Map<FbankPreset, Engine>();

function engine(preset: FbankPreset): Engine {
  let e = engines.get(preset);
  if (!e) {
    const hann = hannSymmetric(FRAME_LENGTH);
    // BEATs uses Kaldi's default "povey" window (hann^0.85) on 16-bit-scaled samples
    const window = preset === 'ast' ? hann : hann.map((v) => v ** 0.85);
    const scale = preset === 'ast' ? 1 : 2 ** 15;
    e = {
      scaledWindow: window.map((v) => v * scale),
      // torchaudio's float32 weights; kaldiMelBanks(128, 512, 16000, 20, 0) is the exact form (tests compare)
      mel: melFromTable(KALDI_MEL_128_N512_16K),
      spec: new PairPowerSpectrum(FFT_SIZE),
      energies: new Float64Array(MEL_BINS),
    };
    engines.set(preset, e);
  }
  return e;
}

const kaldiMel = (f: number) => 1127 * Math.log(1 + f / 700);

/** Kaldi's triangular filters: equally spaced on the mel scale between lowFreq and highFreq (<= 0: offset from Nyquist). */
export function kaldiMelBanks(bins: number, fftSize: number, rate: number, lowFreq: number, highFreq: number): SparseMel {
  const nyquist = rate / 2;
  const high = highFreq <= 0 ? highFreq + nyquist : highFreq;
  const melLow = kaldiMel(lowFreq);
  const delta = (kaldiMel(high) - melLow) / (bins + 1);
  const binWidth = rate / fftSize;
  // the Nyquist bin (fftSize / 2) always has weight 0 in Kaldi
  return sparseMel(bins, fftSize / 2, (m, k) => {
    const left = melLow + m * delta;
    const center = melLow + (m + 1) * delta;
    const right = melLow + (m + 2) * delta;
    const mel = kaldiMel(binWidth * k);
    return Math.max(0, Math.min((mel - left) / (center - left), (right - mel) / (right - center)));
  });
}

function frameCount(n: number): number {
  return n < FRAME_LENGTH ? 0 : 1 + Math.floor((n - FRAME_LENGTH) / FRAME_SHIFT);
}

/** Kaldi's frame processing into lane 0 (real) or 1 (imaginary) of the FFT input. */
function prepareFrame(wave: Float32Array, off: number, e: Engine, lane: 0 | 1): void {
  const w = e.scaledWindow;
  const input = e.spec.input;
  let sum = 0;
  for (let i = off, end = off + FRAME_LENGTH; i < end; i++) sum += wave[i];
  // DC removal then pre-emphasis in one step: (x_i - m) - p (x_{i-1} - m) = x_i - p x_{i-1} - (1 - p) m;
  // the first sample is pre-emphasised against itself, as Kaldi does
  const dc = (1 - PREEMPHASIS) * (sum / FRAME_LENGTH);
  let prev = wave[off];
  for (let i = 0; i < FRAME_LENGTH; i++) {
    const x = wave[off + i];
    input[2 * i + lane] = (x - PREEMPHASIS * prev - dc) * w[i];
    prev = x;
  }
}

function logMel(e: Engine, power: Float64Array, data: Float32Array, f: number): void {
  applyMel(e.mel, power, e.energies);
  const row = f * MEL_BINS;
  for (let m = 0; m < MEL_BINS; m++) data[row + m] = Math.log(Math.max(e.energies[m], LOG_FLOOR));
}

/**
 * Log mel filterbank of a 16 kHz mono waveform (samples in [-1, 1)): frames x 128, natural log of power,
 * snip_edges framing (a 10 s clip gives 998 frames; under 25 ms gives 0).
 */
export function fbank(wave: Float32Array, preset: FbankPreset): Features {
  if (!FBANK_PRESETS.includes(preset)) throw new RangeError(`fbank: unknown preset '${preset}' (expected ${FBANK_PRESETS.join(' or ')})`);
  const e = engine(preset);
  const frames = frameCount(wave.length);
  const data = new Float32Array(frames * MEL_BINS);
  const input = e.spec.input; // entries 2 * (400..511) stay zero: the zero padding
  for (let f = 0; f < frames; f += 2) {
    prepareFrame(wave, f * FRAME_SHIFT, e, 0);
    if (f + 1 < frames) prepareFrame(wave, (f + 1) * FRAME_SHIFT, e, 1);
    else for (let i = 0; i < FRAME_LENGTH; i++) input[2 * i + 1] = 0;
    e.spec.compute();
    logMel(e, e.spec.powerA, data, f);
    if (f + 1 < frames) logMel(e, e.spec.powerB, data, f + 1);
  }
  return { data, frames, bins: MEL_BINS, frameShiftS: FRAME_SHIFT / ANALYSIS_RATE, frameLengthS: FRAME_LENGTH / ANALYSIS_RATE };
}

/** The model's input normalisation: (x - mean) / (2 * std). Returns new Features. */
export function normaliseFbank(f: Features, preset: FbankPreset): Features {
  const norm = FBANK_NORM[preset];
  if (!norm) throw new RangeError(`normaliseFbank: unknown preset '${preset}'`);
  const k = 1 / (2 * norm.std);
  const data = new Float32Array(f.data.length);
  for (let i = 0; i < data.length; i++) data[i] = (f.data[i] - norm.mean) * k;
  return { ...f, data };
}

/**
 * The AST model input (1024 x 128, row-major): fbank padded with zeros / cut to 1024 frames, then
 * normalised, in that order as ASTFeatureExtractor does (padded frames become 4.2677393 / 9.1379948).
 */
export function astInput(wave: Float32Array): Float32Array {
  const f = fbank(wave, 'ast');
  const padded: Features = { ...f, data: new Float32Array(AST_FRAMES * AST_BINS), frames: AST_FRAMES };
  padded.data.set(f.data.subarray(0, Math.min(f.frames, AST_FRAMES) * AST_BINS));
  return normaliseFbank(padded, 'ast').data;
}

/** Display range of the spectrogram: at most this many dB below its maximum. */
export const DISPLAY_RANGE_DB = 80;

export interface DisplaySpectrogram extends Features {
  /** colour scale: max - 80 dB (in natural-log power units) or the true minimum, whichever is higher */
  min: number;
  max: number;
}

/**
 * Spectrogram for display on exactly the AST grid: the AST fbank (ln power, same frames, same 128 mel
 * bins, 10 ms shift), so an anomaly map on AST_GRID overlays without resampling.
 */
export function displaySpectrogram(wave: Float32Array): DisplaySpectrogram {
  const f = fbank(wave, 'ast');
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < f.data.length; i++) {
    const v = f.data[i];
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (f.data.length === 0) return { ...f, min: 0, max: 0 };
  const floor = max - (DISPLAY_RANGE_DB / 10) * Math.LN10; // dB of power to natural log
  return { ...f, min: Math.max(min, floor), max };
}
