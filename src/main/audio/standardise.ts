// Any decoded recording to the analysis format: 16 kHz mono, cut into clips of at most 10 s.
//
// Resampling: libsamplerate (Secret Rabbit Code) through @alexanderolsen/libsamplerate-js, converter
// SRC_SINC_BEST_QUALITY by default (band-limited sinc, 97 dB SNR, 97 % of the new Nyquist kept).
// Slicing rules (also in README.md):
//   - a recording of at most maxSingleClipS (default 12.5 s) is ONE clip, not cut and not padded:
//     DCASE test clips of 6-12 s are scored as one clip each;
//   - longer recordings are cut into clipS (10 s) clips every hopS (10 s); the part after the last
//     whole clip is dropped when shorter than minTailS (2.5 s), otherwise it becomes one more clip
//     aligned to the end of the recording (so it overlaps the previous clip, and no audio is padded).
import { createRequire } from 'node:module';
import { ANALYSIS_RATE, CLIP_SECONDS } from '../../shared/domain';
import type { DecodedAudio } from './decode';
import { toMono } from './decode';

type LibSampleRate = typeof import('@alexanderolsen/libsamplerate-js');
type Src = Awaited<ReturnType<LibSampleRate['create']>>;

// The package is a webpack UMD bundle: Node's ESM loader cannot see its named exports.
const lsr = createRequire(import.meta.url)('@alexanderolsen/libsamplerate-js') as LibSampleRate;

export type ResampleQuality = 'best' | 'medium' | 'fastest';
const CONVERTER: Record<ResampleQuality, Src['converterType']> = {
  best: lsr.ConverterType.SRC_SINC_BEST_QUALITY,
  medium: lsr.ConverterType.SRC_SINC_MEDIUM_QUALITY,
  fastest: lsr.ConverterType.SRC_SINC_FASTEST,
};

// One wasm instance per thread, made once (its factory is synchronous; only the wrapper is async).
// Only its streaming `full` call is used: `simple` would leave end_of_input set in the shared C state.
const engine: Src = await lsr.create(1, ANALYSIS_RATE, ANALYSIS_RATE, { converterType: CONVERTER.best });

/** libsamplerate's limits on the conversion ratio (SRC_MAX_RATIO) */
const MAX_RATIO = 256;
/** the wasm in/out buffers hold 1,008,000 floats; stay well below */
const BUFFER_FLOATS = 900_000;

/**
 * Band-limited resampling of a mono signal. Output length is ceil(n * toRate / fromRate) and sample k
 * sits at time k / toRate exactly (libsamplerate has no group delay at the output).
 */
export function resample(x: Float32Array, fromRate: number, toRate: number, quality: ResampleQuality = 'best'): Float32Array {
  for (const [name, r] of [['fromRate', fromRate], ['toRate', toRate]] as const) {
    if (!Number.isInteger(r) || r <= 0) throw new RangeError(`resample: ${name} must be a positive integer number of Hz, got ${r}`);
  }
  const ratio = toRate / fromRate;
  if (ratio > MAX_RATIO || ratio < 1 / MAX_RATIO) throw new RangeError(`resample: ratio ${toRate}/${fromRate} is beyond libsamplerate's limit of 1/${MAX_RATIO}..${MAX_RATIO}`);
  if (!Object.hasOwn(CONVERTER, quality)) throw new RangeError(`resample: unknown quality '${quality}'`);
  if (fromRate === toRate) return x.slice();
  const outLen = Math.ceil((x.length * toRate) / fromRate);
  const out = new Float32Array(outLen);
  if (outLen === 0) return out;

  // each setter re-creates the C converter: a fresh state for every call
  engine.converterType = CONVERTER[quality];
  engine.outputSampleRate = toRate;
  engine.inputSampleRate = fromRate;
  const chunk = Math.max(1, Math.floor(BUFFER_FLOATS / Math.max(1, ratio)) - 64);
  let written = 0;
  const push = (y: Float32Array) => {
    const n = Math.min(y.length, outLen - written);
    out.set(n === y.length ? y : y.subarray(0, n), written);
    written += n;
  };
  for (let s = 0; s < x.length && written < outLen; s += chunk) push(engine.full(x.subarray(s, Math.min(x.length, s + chunk))));
  // the converter holds back half its filter length: flush it with silence
  const zeros = new Float32Array(Math.min(chunk, 8192));
  for (let guard = 0; written < outLen; guard++) {
    if (guard > 64 + Math.ceil(outLen / zeros.length)) throw new Error(`resample: libsamplerate stopped producing output at ${written} of ${outLen} samples`);
    push(engine.full(zeros));
  }
  return out;
}

export interface SliceOptions {
  /** clip length in seconds (default 10) */
  clipS?: number;
  /** distance between clip starts in seconds (default clipS) */
  hopS?: number;
  /** a remainder shorter than this is dropped, a longer one becomes an end-aligned clip (default 2.5) */
  minTailS?: number;
  /** recordings up to this length are kept whole as one clip (default 12.5; never below clipS) */
  maxSingleClipS?: number;
}

export interface Slice {
  offsetS: number;
  samples: Float32Array;
}

export const SLICE_DEFAULTS = { clipS: CLIP_SECONDS, minTailS: 2.5, maxSingleClipS: 12.5 } as const;

export function sliceClips(x: Float32Array, rate: number, opts: SliceOptions = {}): Slice[] {
  if (!(rate > 0) || !Number.isFinite(rate)) throw new RangeError(`sliceClips: rate must be positive, got ${rate}`);
  const clipS = opts.clipS ?? SLICE_DEFAULTS.clipS;
  const hopS = opts.hopS ?? clipS;
  const minTailS = opts.minTailS ?? SLICE_DEFAULTS.minTailS;
  const maxSingleS = Math.max(opts.maxSingleClipS ?? SLICE_DEFAULTS.maxSingleClipS, clipS);
  if (!(clipS > 0) || !Number.isFinite(clipS)) throw new RangeError(`sliceClips: clipS must be a positive number of seconds, got ${clipS}`);
  if (!(hopS > 0) || !Number.isFinite(hopS)) throw new RangeError(`sliceClips: hopS must be a positive number of seconds, got ${hopS}`);
  if (!(minTailS >= 0) || minTailS > clipS) throw new RangeError(`sliceClips: minTailS must be between 0 and clipS (${clipS} s), got ${minTailS}`);
  if (!Number.isFinite(maxSingleS)) throw new RangeError(`sliceClips: maxSingleClipS must be finite, got ${maxSingleS}`);

  const n = x.length;
  if (n === 0) return [];
  if (n <= Math.round(maxSingleS * rate)) return [{ offsetS: 0, samples: x.slice() }];
  const clip = Math.round(clipS * rate);
  const hop = Math.max(1, Math.round(hopS * rate));
  const starts: number[] = [];
  for (let s = 0; s + clip <= n; s += hop) starts.push(s);
  const covered = starts[starts.length - 1] + clip;
  if (n - covered > 0 && n - covered >= Math.round(minTailS * rate)) starts.push(n - clip);
  return starts.map((s) => ({ offsetS: s / rate, samples: x.slice(s, s + clip) }));
}

export interface ClipStats {
  /** max |x| */
  peak: number;
  /** 20 log10(rms), 0 dBFS = a full-scale square wave; floored at -200 for digital silence */
  rmsDbfs: number;
  /** share of samples with |x| >= 0.999 */
  clippedFraction: number;
  /** share of 25 ms frames (non-overlapping, the last may be shorter) whose rms is below -60 dBFS */
  silentFraction: number;
  /** mean of x */
  dcOffset: number;
}

export const CLIP_LEVEL = 0.999;
export const SILENCE_DBFS = -60;
export const DBFS_FLOOR = -200;

export function clipStats(x: Float32Array, rate: number = ANALYSIS_RATE): ClipStats {
  if (x.length === 0) throw new RangeError('clipStats: the clip is empty');
  const frame = Math.max(1, Math.round(0.025 * rate));
  const silentMs = 10 ** (SILENCE_DBFS / 10); // compare mean squares, no sqrt per frame
  let peak = 0;
  let sum = 0;
  let sumSq = 0;
  let clipped = 0;
  let silent = 0;
  let frames = 0;
  for (let f0 = 0; f0 < x.length; f0 += frame) {
    const f1 = Math.min(x.length, f0 + frame);
    let fSq = 0;
    for (let i = f0; i < f1; i++) {
      const v = x[i];
      const a = Math.abs(v);
      if (a > peak) peak = a;
      if (a >= CLIP_LEVEL) clipped++;
      sum += v;
      fSq += v * v;
    }
    sumSq += fSq;
    if (fSq / (f1 - f0) < silentMs) silent++;
    frames++;
  }
  const rms = Math.sqrt(sumSq / x.length);
  return {
    peak,
    rmsDbfs: rms > 0 ? Math.max(DBFS_FLOOR, 20 * Math.log10(rms)) : DBFS_FLOOR,
    clippedFraction: clipped / x.length,
    silentFraction: silent / frames,
    dcOffset: sum / x.length,
  };
}

export interface StandardiseOptions extends SliceOptions {
  /** take this channel instead of the mean of all channels */
  channel?: number;
  quality?: ResampleQuality;
}

export interface StandardClip extends Slice {
  stats: ClipStats;
}

export interface Standardised {
  clips: StandardClip[];
  conversions: {
    /** the source rate when it was not 16 kHz */
    resampledFrom: number | null;
    /** the source channel count when channels were averaged */
    mixedFromChannels: number | null;
    /** the channel taken when one was picked from a multi-channel file */
    pickedChannel: number | null;
    /** true unless the whole recording became exactly one clip */
    sliced: boolean;
  };
}

/** Decoded audio to 16 kHz mono clips with their level statistics. */
export function standardise(a: DecodedAudio, opts: StandardiseOptions = {}): Standardised {
  const mono = toMono(a, opts.channel);
  const resampled = a.sampleRate !== ANALYSIS_RATE;
  const x = resampled ? resample(mono, a.sampleRate, ANALYSIS_RATE, opts.quality) : mono;
  const slices = sliceClips(x, ANALYSIS_RATE, opts);
  return {
    clips: slices.map((s) => ({ ...s, stats: clipStats(s.samples) })),
    conversions: {
      resampledFrom: resampled ? a.sampleRate : null,
      mixedFromChannels: a.channels > 1 && opts.channel === undefined ? a.channels : null,
      pickedChannel: a.channels > 1 && opts.channel !== undefined ? opts.channel : null,
      sliced: slices.length !== 1 || slices[0].samples.length !== x.length,
    },
  };
}
