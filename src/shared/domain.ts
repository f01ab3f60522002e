// Core vocabulary shared by main and renderer. Pure types and constants: no Node, no DOM.

export const DOMAINS = ['source', 'target'] as const;
export type Domain = (typeof DOMAINS)[number];

export const SPLITS = ['train', 'test', 'supplemental'] as const;
export type Split = (typeof SPLITS)[number];

export const LABELS = ['normal', 'anomaly'] as const;
export type Label = (typeof LABELS)[number];

/** What a clip is for in the customer's data package (FORM.md). */
export const ROLES = ['target_normal', 'source_normal', 'noise_only', 'clean_machine', 'verification', 'test'] as const;
export type Role = (typeof ROLES)[number];

/** Verification verdicts an engineer gives in the labeling grid. */
export const VERDICTS = ['normal', 'anomaly', 'unsure'] as const;
export type Verdict = (typeof VERDICTS)[number];

/** Attribute values as parsed from DCASE names, attributes_00.csv or manifest columns. */
export type Attributes = Record<string, string>;

/** The analysis format every clip is standardised to. */
export const ANALYSIS_RATE = 16_000;
export const CLIP_SECONDS = 10;
export const CLIP_SAMPLES = ANALYSIS_RATE * CLIP_SECONDS;

export interface ClipRecord {
  id: number;
  machineType: string;
  section: string; // two digits as in DCASE, e.g. "00"
  domain: Domain | null; // null when unknown (evaluation-set names)
  split: Split;
  label: Label | null; // null when unknown
  role: Role;
  path: string; // absolute path of the source file
  sha256: string;
  sampleRate: number; // of the source file
  channels: number; // of the source file
  durationS: number; // of this clip after standardisation
  offsetS: number; // where this clip starts in the source file (slicing)
  attributes: Attributes;
  sourcePackage: string;
  name: string; // file name shown to users and written to submission files
}

/** Where each cell of an encoder's token grid lies in the clip, for mapping a map onto the spectrogram. */
export interface GridGeometry {
  freq: number;
  time: number;
  /** start time (s) of time step t is t * timeStepS; each cell spans timeSpanS */
  timeStepS: number;
  timeSpanS: number;
  /** first mel bin of frequency row f is f * melStep; each cell spans melSpan bins of melBins */
  melStep: number;
  melSpan: number;
  melBins: number;
  /** the encoder's own mel axis, when it is not the display's (AST fbank: 128 kaldi bins, 20 Hz-8 kHz) */
  melAxis?: { fminHz: number; fmaxHz: number; scale: 'kaldi' | 'slaney' | 'htk' };
}
