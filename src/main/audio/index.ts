// The audio engine's public surface: decode, standardise (16 kHz mono clips), features, .npy.
export { AudioDecodeError, decodeBuffer, decodeFile, toMono } from './decode';
export type { AudioFormat, DecodedAudio } from './decode';
export { clipStats, resample, sliceClips, SLICE_DEFAULTS, standardise } from './standardise';
export type { ClipStats, ResampleQuality, Slice, SliceOptions, StandardClip, Standardised, StandardiseOptions } from './standardise';
export { AST_BINS, AST_FRAMES, AST_GRID, astInput, displaySpectrogram, FBANK_NORM, FBANK_PRESETS, fbank, normaliseFbank } from './fbank';
export type { DisplaySpectrogram, FbankPreset } from './fbank';
export { LOGMEL_FLOOR, logmel, logmelStats } from './logmel';
export type { Features } from './spectral';
export { decodeNpy, encodeNpy, readNpy, writeNpy } from './npy';
export type { NpyArray, NpyData } from './npy';
