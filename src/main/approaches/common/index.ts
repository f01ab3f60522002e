// Nearest-neighbour search, coreset sampling and score statistics shared by approaches A, B and C.
export { cosineMaxSim, euclideanKnn, DEFAULT_TILE_FLOATS } from './knn';
export type { ChunkOptions, CosineOptions, KnnOptions, KnnResult, MaxSimResult } from './knn';
export { kCenterGreedy, kCenterGreedyAsync, jlMinDim, sparseRandomProjection } from './coreset';
export type { KCenterOptions } from './coreset';
export { topQuantileMean, zScoreStats, leaveOneOutZStats, zScore } from './stats';
export type { ZStats } from './stats';
export { normaliseRows, rowSqNorms } from './rows';
export { createRng, shuffled } from './rng';
export type { Rng } from './rng';
export { configureOps, opsSettings, opsBackendInfo, releaseOpsSessions, opsModelDir } from './ort-ops';
export type { OpsBackend } from './ort-ops';
