// What a dataset holds before any audio is made: counts per section, the domain knobs of
// each section, and one planned clip (name, attributes, spec) per file. Pure and cheap.
import type { Domain, Label, Role, Split } from '../../../shared/domain';
import { LOAD_LEVELS, SPEED_LEVELS, type ClipSpec } from './clip';
import { familyOf } from './machines';
import { deriveSeed, Rng } from './rng';
import { MIC_IDS, NOISE_IDS, type NoiseId } from './site';

/** DCASE 2025 Task 2 development set, per section */
export const DCASE2025_COUNTS = { sourceTrain: 990, targetTrain: 10, supplemental: 100, testPerCell: 50 } as const;

export interface SectionCounts {
  sourceTrain: number;
  targetTrain: number;
  /** noise-only clips */
  supplemental: number;
  /** test clips per domain x label (source/target x normal/anomaly) */
  testPerCell: number;
}

/** few-shot floor: DCASE 2021 gave 3 target normals per section */
export const MIN_TARGET_TRAIN = 3;
/** enough test clips per domain x label that AUC and pAUC are defined */
export const MIN_TEST_PER_CELL = 4;
export const MAX_SCALE = 10;

/** DCASE 2025 counts times `scale`, rounded up, with the target-normal and test floors */
export function scaledCounts(scale: number): SectionCounts {
  if (!(scale > 0 && scale <= MAX_SCALE)) throw new Error(`scale must be in (0, ${MAX_SCALE}], got ${scale}`);
  // 990 * 0.1 is 99.00000000000001 in binary floating point: round up only past a real fraction
  const up = (x: number) => Math.ceil(x * scale - 1e-9);
  return {
    sourceTrain: Math.max(1, up(DCASE2025_COUNTS.sourceTrain)),
    targetTrain: Math.max(MIN_TARGET_TRAIN, up(DCASE2025_COUNTS.targetTrain)),
    supplemental: Math.max(1, up(DCASE2025_COUNTS.supplemental)),
    testPerCell: Math.max(MIN_TEST_PER_CELL, up(DCASE2025_COUNTS.testPerCell)),
  };
}

export function clipsPerSection(c: SectionCounts): number {
  return c.sourceTrain + c.targetTrain + c.supplemental + 4 * c.testPerCell;
}

/** the values a domain's clips are drawn from */
export interface DomainKnobs {
  speedLevels: number[];
  loadLevels: number[];
  noiseIds: NoiseId[];
  micPositions: number[];
  /** SNR range in dB (uniform) */
  snrDb: [number, number];
}

export interface SectionKnobs {
  source: DomainKnobs;
  target: DomainKnobs;
  /** anomaly kinds in the order test clips cycle through them */
  anomalyKinds: string[];
}

export const SOURCE_SNR_DB: [number, number] = [6, 15];
export const TARGET_SNR_DB: [number, number] = [3, 12];

/**
 * Source and target of one section: disjoint speed levels, noise types and mic positions,
 * overlapping load levels, and a lower SNR at the target site (the seed's domain shift knobs).
 */
export function sectionKnobs(seed: number, machine: string, section: number): SectionKnobs {
  const rng = new Rng(deriveSeed(seed, machine, section, 'knobs'));
  const speeds = rng.shuffled(SPEED_LEVELS);
  const loads = rng.shuffled(LOAD_LEVELS);
  const noises = rng.shuffled(NOISE_IDS);
  const mics = rng.shuffled(MIC_IDS);
  const sorted = <T extends number | string>(a: T[]) => a.slice().sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
  const kinds = familyOf(machine).anomalies.map((a) => a.kind);
  const shift = rng.int(0, kinds.length - 1);
  return {
    source: { speedLevels: sorted(speeds.slice(0, 3)), loadLevels: sorted(loads.slice(0, 2)), noiseIds: sorted(noises.slice(0, 3)), micPositions: sorted(mics.slice(0, 2)), snrDb: SOURCE_SNR_DB },
    target: { speedLevels: sorted(speeds.slice(3, 5)), loadLevels: sorted([loads[rng.int(0, 1)], loads[2]]), noiseIds: sorted(noises.slice(3, 5)), micPositions: sorted(mics.slice(2, 4)), snrDb: TARGET_SNR_DB },
    anomalyKinds: kinds.map((_, j) => kinds[(j + shift) % kinds.length]),
  };
}

export interface PlannedClip {
  /** path relative to the dataset root, with forward slashes */
  relPath: string;
  fileName: string;
  machine: string;
  /** two digits */
  section: string;
  split: Split;
  domain: Domain | null;
  label: Label | null;
  role: Role;
  index: number;
  /** attribute name/value pairs in file-name order */
  attributes: [string, string][];
  spec: ClipSpec;
}

export function sectionId(section: number): string {
  return String(section).padStart(2, '0');
}

export function attributeTail(attrs: readonly [string, string][]): string {
  return attrs.map(([k, v]) => `${k}_${v}`).join('_');
}

const ATTR_KEYS = { speed: 'spd', load: 'load', noise: 'noise', mic: 'mic' } as const;

interface PlanArgs {
  seed: number;
  machine: string;
  section: number;
  counts: SectionCounts;
  severity: number;
}

/** every clip of one section, in file order: source train, target train, supplemental, test */
export function planSection({ seed, machine, section, counts, severity }: PlanArgs): PlannedClip[] {
  const knobs = sectionKnobs(seed, machine, section);
  const sec = sectionId(section);
  const out: PlannedClip[] = [];

  const machineClip = (split: 'train' | 'test', domain: Domain, label: Label, index: number): PlannedClip => {
    // the key names the file, so a subset of machines or a smaller scale gives the same clip
    const clipSeed = deriveSeed(seed, machine, section, split, domain, label, index);
    const rng = new Rng(deriveSeed(clipSeed, 'plan'));
    const k = knobs[domain];
    const speedLevel = rng.pick(k.speedLevels);
    const loadLevel = rng.pick(k.loadLevels);
    const noiseId = rng.pick(k.noiseIds);
    const micPosition = rng.pick(k.micPositions);
    const snrDb = Math.round(rng.range(k.snrDb[0], k.snrDb[1]) * 100) / 100;
    const kind = knobs.anomalyKinds[index % knobs.anomalyKinds.length];
    const anomaly = label === 'anomaly' ? { kind, intensity: Math.round(severity * rng.range(0.5, 1.3) * 1000) / 1000 } : null;
    const attributes: [string, string][] = [
      [ATTR_KEYS.speed, String(speedLevel)],
      [ATTR_KEYS.load, String(loadLevel)],
      [ATTR_KEYS.noise, noiseId],
      [ATTR_KEYS.mic, String(micPosition)],
    ];
    const fileName = `section_${sec}_${domain}_${split}_${label}_${String(index).padStart(4, '0')}_${attributeTail(attributes)}.wav`;
    return {
      relPath: `${machine}/${split}/${fileName}`,
      fileName,
      machine,
      section: sec,
      split,
      domain,
      label,
      role: split === 'test' ? 'test' : domain === 'target' ? 'target_normal' : 'source_normal',
      index,
      attributes,
      spec: { machine, seed, section, clipSeed, speedLevel, loadLevel, noiseId, micPosition, snrDb, anomaly, machineOn: true },
    };
  };

  for (let i = 0; i < counts.sourceTrain; i++) out.push(machineClip('train', 'source', 'normal', i));
  for (let i = 0; i < counts.targetTrain; i++) out.push(machineClip('train', 'target', 'normal', i));

  // site background with the machine off: every noise type of the section at every mic position,
  // walked so that even a handful of clips spans both domains' noise types and all mics
  const noises: { noiseId: NoiseId; snr: [number, number] }[] = [];
  for (let j = 0; j < Math.max(knobs.source.noiseIds.length, knobs.target.noiseIds.length); j++) {
    for (const d of ['source', 'target'] as const) if (j < knobs[d].noiseIds.length) noises.push({ noiseId: knobs[d].noiseIds[j], snr: knobs[d].snrDb });
  }
  const allMics = [...knobs.source.micPositions, ...knobs.target.micPositions].sort((x, y) => x - y);
  const combo = (i: number) => {
    const r = i % noises.length;
    const q = Math.floor(i / noises.length);
    return { ...noises[r], mic: allMics[(r + q) % allMics.length] };
  };
  for (let i = 0; i < counts.supplemental; i++) {
    const clipSeed = deriveSeed(seed, machine, section, 'supplemental', 'noise', i);
    const rng = new Rng(deriveSeed(clipSeed, 'plan'));
    const c = combo(i);
    const attributes: [string, string][] = [
      [ATTR_KEYS.noise, c.noiseId],
      [ATTR_KEYS.mic, String(c.mic)],
    ];
    const fileName = `section_${sec}_noise_${String(i).padStart(4, '0')}_${attributeTail(attributes)}.wav`;
    out.push({
      relPath: `${machine}/supplemental/${fileName}`,
      fileName,
      machine,
      section: sec,
      split: 'supplemental',
      domain: null,
      label: null,
      role: 'noise_only',
      index: i,
      attributes,
      spec: { machine, seed, section, clipSeed, speedLevel: null, loadLevel: null, noiseId: c.noiseId, micPosition: c.mic, snrDb: Math.round(rng.range(c.snr[0], c.snr[1]) * 100) / 100, anomaly: null, machineOn: false },
    });
  }

  for (const domain of ['source', 'target'] as const) {
    for (const label of ['normal', 'anomaly'] as const) {
      for (let i = 0; i < counts.testPerCell; i++) out.push(machineClip('test', domain, label, i));
    }
  }
  return out;
}
