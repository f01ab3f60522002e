// Approach B: generic-representation memory banks with MemMixup and domain normalisation
// (GenRep, ICASSP 2025). Numeric parts live in bank.ts / distance.ts / model.ts; waveform-level
// noise augmentation the fit job runs before encoding is in noise.ts.
import type { Approach, FeatureRequest } from '../types';
import { B_DEFAULTS, parseBConfig, type BConfig } from './config';
import { fitB, scoreB, type BState } from './model';
import { deserialiseB, serialiseB } from './state';

export const approachB: Approach<BConfig, BState> = {
  id: 'B',
  title: 'Memory banks + MemMixup + domain normalisation (GenRep)',
  defaults: B_DEFAULTS,
  parseConfig: parseBConfig,
  featureRequest(config: BConfig): FeatureRequest {
    return config.layer === undefined
      ? { kind: 'embedding', encoder: config.encoder }
      : { kind: 'embedding', encoder: config.encoder, layer: config.layer };
  },
  fit: fitB,
  score: scoreB,
  serialise: serialiseB,
  deserialise: deserialiseB,
  trainingScores(state: BState): number[] | null {
    // leave-one-out scores of the training normals (own entry, its copies and mixup rows left out)
    return state.train.score ? Array.from(state.train.score) : null;
  },
};

export { B_DEFAULTS, BConfigSchema, NORMALISATIONS, parseBConfig } from './config';
export type { BConfig, Normalisation } from './config';
export { fitB, scoreB, MIN_STATS_CLIPS } from './model';
export type { BState, BankStats } from './model';
export { serialiseB, deserialiseB, B_STATE_FORMAT, B_STATE_VERSION } from './state';
export {
  AUGMENTED_ATTR, AUGMENTED_FROM_ATTR, AUGMENTED_NOISE,
  augmentedAttributes, buildNoiseBed, estimateSiteSnr, mixAtSnr, planNoiseAugmentation,
} from './noise';
export type { NoiseAugmentItem, SiteSnr } from './noise';
