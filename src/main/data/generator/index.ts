// Synthetic machine-sound packages in the DCASE layout: public surface of the generator.
export { generateDataset, planDataset, GENERATOR_VERSION, DEFAULT_SEED, DEFAULT_SEVERITY, MAX_SECTIONS, type GenerateOptions, type GeneratorSummary } from './generate';
export { synthesizeClip, speedFactor, loadFraction, SPEED_LEVELS, LOAD_LEVELS, REFERENCE_RMS, PEAK_CEILING, type ClipSpec } from './clip';
export { MACHINE_TYPES, FAMILIES, anomalyKinds, familyOf } from './machines';
export { DCASE2025_COUNTS, MIN_TARGET_TRAIN, MIN_TEST_PER_CELL, MAX_SCALE, scaledCounts, clipsPerSection, sectionKnobs, planSection, attributeTail, type SectionCounts, type DomainKnobs, type SectionKnobs, type PlannedClip } from './plan';
export { NOISE_TYPES, NOISE_IDS, MIC_POSITIONS, MIC_IDS, type NoiseId } from './site';
export { encodeWavPcm16 } from './wav';
export { bearingDefectFrequencies } from './machines/bearing';
export { motorRates } from './machines/motor';
