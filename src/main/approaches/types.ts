// The one interface every approach (A, B, C, ...) implements. Pure: arrays in, arrays out.
// Store, files and encoders are reached by the caller (backend / jobs), never from here.
import type { Attributes, Domain, GridGeometry, Role } from '../../shared/domain';

export type { GridGeometry };

export type ApproachId = 'A' | 'B' | 'C';

/** Progress callback: done of total in a named stage. Cheap to call often. */
export type Progress = (p: { stage: string; done: number; total: number; info?: Record<string, number> }) => void;

/** Layer-wise patch tokens of one clip from a patch encoder. */
export interface PatchTokens {
  /** encoder layer index for each entry of `data` */
  layers: number[];
  dim: number;
  /** token grid, frequency-major: token index = f * grid.time + t */
  grid: { freq: number; time: number };
  /** one Float32Array per layer, (grid.freq * grid.time) x dim, row-major */
  data: Float32Array[];
  /** where the grid lies on the spectrogram, when the encoder knows it */
  geometry?: GridGeometry;
}

/** What an approach needs from the encoders for one clip. */
export type FeatureRequest =
  | { kind: 'patches'; encoder: string; layers: number[] }
  | { kind: 'embedding'; encoder: string; layer?: number };

/** One clip with its features, as handed to fit / score. */
export interface ClipFeatures {
  clipId: number;
  name: string;
  section: string;
  /** null when unknown; an approach must never read the domain of a test clip */
  domain: Domain | null;
  role: Role;
  attributes: Attributes;
  patches?: PatchTokens;
  embedding?: Float32Array;
}

export interface FitSet {
  machineType: string;
  section: string;
  /** normal training clips: roles target_normal, source_normal (and clean_machine) */
  normals: ClipFeatures[];
  /** site noise-only clips, for approaches that use them */
  noise: ClipFeatures[];
}

export interface AnomalyMap {
  geometry: GridGeometry;
  /** per-cell anomaly, frequency-major, length freq * time: mean over the chosen layers */
  values: Float32Array;
  /** optional per-layer maps, same layout, keyed by layer index */
  perLayer?: Record<number, Float32Array>;
}

export interface ScoreResult {
  score: number;
  map?: AnomalyMap;
  /** approach-specific parts of the score, for reports (e.g. z_s, z_t) */
  parts?: Record<string, number>;
}

/** A fitted state as stored: JSON metadata plus named typed-array blobs. */
export interface SerialisedState {
  json: Record<string, unknown>;
  blobs: Record<string, Float32Array>;
}

export interface FitResume {
  resumeFrom?: SerialisedState;
  onCheckpoint?: (checkpoint: SerialisedState) => void;
}

export interface Approach<Config = Record<string, unknown>, State = unknown> {
  id: ApproachId;
  title: string;
  defaults: Config;
  /** validates and fills a partial config; throws an Error naming the field on bad input */
  parseConfig(input: unknown): Config;
  featureRequest(config: Config): FeatureRequest;
  /** `resume` is for approaches that train in steps (C): a checkpoint to continue from, and where to send new ones */
  fit(set: FitSet, config: Config, progress: Progress, signal?: AbortSignal, resume?: FitResume): Promise<State>;
  score(state: State, clips: ClipFeatures[], progress?: Progress): Promise<ScoreResult[]>;
  serialise(state: State): SerialisedState;
  deserialise(s: SerialisedState): State;
  /**
   * Optional: the clipIds among the set's normals and noise that fit() will read, so the caller
   * encodes only those (A reads a few support clips, not 990 source normals). Default: all.
   */
  trainingSubset?(set: FitSet, config: Config): number[];
  /**
   * Optional: honest (out-of-bank, e.g. leave-one-out) scores of training normals from a fitted
   * state, for decision thresholds. Null when the approach cannot give them.
   */
  trainingScores?(state: State): number[] | null;
}
