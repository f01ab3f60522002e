// The standardised audio of one stored clip: decode its file, mono, 16 kHz, cut at its offset.
import type { ClipRecord } from '../../shared/domain';
import { ANALYSIS_RATE } from '../../shared/domain';
import { decodeFile, toMono } from '../audio/decode';
import { resample } from '../audio/standardise';
import { readWavRange } from '../audio/wav-range';

export async function loadClipAudio(clip: Pick<ClipRecord, 'path' | 'offsetS' | 'durationS'>, channel?: number): Promise<Float32Array> {
  const decoded = await decodeFile(clip.path);
  let mono = toMono(decoded, channel);
  if (decoded.sampleRate !== ANALYSIS_RATE) mono = resample(mono, decoded.sampleRate, ANALYSIS_RATE);
  const start = Math.round(clip.offsetS * ANALYSIS_RATE);
  const end = Math.min(mono.length, start + Math.round(clip.durationS * ANALYSIS_RATE));
  return mono.slice(start, end);
}

/** Seconds of context read on each side of a clip, so resampling a range matches the whole file's away from the ends. */
const CONTEXT_S = 0.5;

/**
 * The clip's standardised audio for display (waveform, spectrogram): from a WAV file only its range
 * is read (with context for the resampler), so a clip of a 2 h recording costs a 10 s read. Equal to
 * loadClipAudio for 16 kHz files; for other rates within resampler rounding. Features are never made
 * from this: they come from loadClipAudio, as import and `hark score` cut them.
 */
export async function loadClipAudioForDisplay(clip: Pick<ClipRecord, 'path' | 'offsetS' | 'durationS'>): Promise<Float32Array> {
  const from = Math.max(0, clip.offsetS - CONTEXT_S);
  const r = await readWavRange(clip.path, from, clip.offsetS - from + clip.durationS + CONTEXT_S).catch(() => null);
  if (!r) return loadClipAudio(clip);
  let mono = toMono(r.audio);
  if (r.sampleRate !== ANALYSIS_RATE) mono = resample(mono, r.sampleRate, ANALYSIS_RATE);
  // where the clip starts inside the range, counted at 16 kHz as loadClipAudio counts it
  const lead = Math.round(clip.offsetS * ANALYSIS_RATE) - Math.round((r.startFrame * ANALYSIS_RATE) / r.sampleRate);
  const wholeLength = Math.round((r.totalFrames * ANALYSIS_RATE) / r.sampleRate);
  const end = Math.min(wholeLength, Math.round(clip.offsetS * ANALYSIS_RATE) + Math.round(clip.durationS * ANALYSIS_RATE));
  return mono.slice(lead, Math.max(lead, lead + end - Math.round(clip.offsetS * ANALYSIS_RATE)));
}
