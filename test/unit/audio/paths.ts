// Where the audio tests find their fixtures and the shared real recordings.
import fs from 'node:fs';
import path from 'node:path';

export const REPO = path.resolve(import.meta.dirname, '..', '..', '..');
export const FIXTURES = path.join(REPO, 'test', 'fixtures', 'audio');
export const DATA = path.resolve(REPO, '..', 'shared', 'data');
export const HAS_DATA = fs.existsSync(DATA);
export const NO_DATA = `skipped: the real recordings folder ${DATA} is absent`;

export interface FeatureRef {
  frames: number;
  bins: number;
  float32SpreadMaxAbs?: number;
}
export interface SignalRef {
  file: string;
  real: boolean;
  samples: number;
  features: Record<string, FeatureRef>;
}
export interface Manifest {
  torchaudio: string;
  rowStep: number;
  signals: Record<string, SignalRef>;
  decode: { file: string; sampleRate: number; channels: number; frames: number; sum: number[]; sumSq: number[]; head: number[][] }[];
  flac: { wav: string; flac: string; bits: number; channels: number }[];
}

export const MANIFEST = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'manifest.json'), 'utf8')) as Manifest;

/** Absolute path of a manifest signal's audio (real ones live in the shared data folder). */
export function signalPath(s: SignalRef): string {
  return s.real ? path.join(DATA, s.file) : path.join(REPO, s.file);
}
