// Approach C: metadata-driven meta-learning for fast domain adaptation (Chen, Bondi, Das,
// arXiv 2204.01905). Metadata tasks and eligibility in tasks.ts, episodes in episodes.ts, the
// embedding MLP in net.ts, Reptile in train.ts, prototypes and scores in prototypes.ts.
import type { Approach, FeatureRequest, FitSet, Progress } from '../types';
import { C_DEFAULTS, parseCConfig, type CConfig } from './config';
import { deserialiseC, fitC, scoreC, serialiseC, trainingScoresC, type CFitOptions, type CState } from './model';

/** fit takes an optional fifth argument (CFitOptions) for checkpoints and resume. */
export const approachC: Approach<CConfig, CState> & {
  fit(set: FitSet, config: CConfig, progress: Progress, signal?: AbortSignal, options?: CFitOptions): Promise<CState>;
} = {
  id: 'C',
  title: 'Metadata meta-learning: prototypes + Reptile',
  defaults: C_DEFAULTS,
  parseConfig: parseCConfig,
  featureRequest(config: CConfig): FeatureRequest {
    return config.layer === undefined
      ? { kind: 'embedding', encoder: config.encoder }
      : { kind: 'embedding', encoder: config.encoder, layer: config.layer };
  },
  fit: fitC,
  score: scoreC,
  serialise: serialiseC,
  deserialise: deserialiseC,
  trainingScores: trainingScoresC,
};

export { C_DEFAULTS, C_TASKS, CConfigSchema, SCORE_MODES, SOURCE_PROTOTYPES, TARGET_PROTOTYPES, configuredTasks, parseCConfig } from './config';
export type { CConfig, CTask, ScoreMode, SourcePrototypes, TargetPrototypes } from './config';
export { analyseTasks, explainTasks, eligibilityRule, readTaskLabel, readTaskLabels, DEFAULT_TASK_OPTIONS } from './tasks';
export type { TaskAnalysis, TaskAnalysisOptions, TaskClip, TaskReport, TaskValue } from './tasks';
export { adaptC, trainingScoresC, checkpointFromState, checkpointToState, deserialiseC, embedClips, fitC, scoreC, serialiseC, CHECKPOINT_KIND, STATE_VERSION } from './model';
export type { AdaptOptions, CFitOptions, CState } from './model';
export { TRAIN_STAGE } from './train';
export type { LossPoint } from './train';
