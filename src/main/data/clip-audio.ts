// The standardised audio of one stored clip: decode its file, mono, 16 kHz, cut at its offset.
import type { ClipRecord } from '../../shared/domain';
import { ANALYSIS_RATE } from '../../shared/domain';
import { decodeFile, toMono } from '../audio/decode';
import { resample } from '../audio/standardise';

export async function loadClipAudio(clip: Pick<ClipRecord, 'path' | 'offsetS' | 'durationS'>, channel?: number): Promise<Float32Array> {
  const decoded = await decodeFile(clip.path);
  let mono = toMono(decoded, channel);
  if (decoded.sampleRate !== ANALYSIS_RATE) mono = resample(mono, decoded.sampleRate, ANALYSIS_RATE);
  const start = Math.round(clip.offsetS * ANALYSIS_RATE);
  const end = Math.min(mono.length, start + Math.round(clip.durationS * ANALYSIS_RATE));
  return mono.slice(start, end);
}
