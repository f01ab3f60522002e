// The graph input of an encoder for one clip, per its manifest `input` block.
import { CLIP_SAMPLES } from '../../shared/domain';
import { astInput, AST_FRAMES, fbank, normaliseFbank } from '../audio/fbank';
import type { ManifestEntry } from './manifest';
import { checkWave, fitFrames, fitLength } from './tokens';

/**
 * Waveform graphs get the clip padded with zeros / cut to their fixed length. Fbank graphs get
 * the clip fitted to 10 s first, then the preset's normalised fbank: AST's padded / cut to
 * 1024 frames as ASTFeatureExtractor does, BEATs' 998 frames as BEATs.preprocess gives them.
 */
export function prepareInput(input: ManifestEntry['input'], wave16k: Float32Array, who: string): Float32Array {
  checkWave(wave16k, who);
  if (input.type === 'waveform') return input.samples > 0 ? fitLength(wave16k, input.samples) : wave16k;
  const clip = fitLength(wave16k, CLIP_SAMPLES);
  if (input.preset === 'ast') {
    if (input.frames !== AST_FRAMES) throw new Error(`encoder '${who}': the AST fbank input has ${AST_FRAMES} frames, the manifest says ${input.frames}`);
    return astInput(clip);
  }
  const f = normaliseFbank(fbank(clip, input.preset), input.preset);
  return fitFrames(f.data, f.bins, input.frames);
}
