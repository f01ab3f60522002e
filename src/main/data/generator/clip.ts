// One clip from its spec: machine sound through the microphone path, plus site background
// at the requested SNR. Pure: the same spec always gives the same samples.
import { ANALYSIS_RATE, CLIP_SAMPLES } from '../../../shared/domain';
import { addInto, peakAbs, rms, scaleInPlace } from './dsp';
import { familyOf } from './machines';
import { db, type AnomalyDraw, type Condition, type MachineFamily } from './machines/model';
import { deriveSeed, Rng } from './rng';
import { applyMicPath, applyMicToBackground, drawSite, micOf, NOISE_IDS, renderNoise, type NoiseId, type Site } from './site';

export const SPEED_LEVELS = [1, 2, 3, 4, 5, 6] as const;
export const LOAD_LEVELS = [1, 2, 3, 4] as const;

/** RMS of a unit's machine sound at nominal speed and load, seen by the near-field microphone (-26 dBFS) */
export const REFERENCE_RMS = 0.05;
/** no sample may exceed this (-1 dBFS): clips that would are turned down as a whole */
export const PEAK_CEILING = db(-1);
/** audio rendered before the clip and dropped, so filters, reverb and schedules are already running at 0 s */
const PRE_ROLL = Math.round(0.3 * ANALYSIS_RATE);

export interface ClipSpec {
  machine: string;
  /** dataset seed: with machine and section it fixes the unit (its frequencies) and the site */
  seed: number;
  /** section number 0..99 (one unit of the machine type) */
  section: number;
  /** this clip's own randomness */
  clipSeed: number;
  /** null for noise-only clips (machine off) */
  speedLevel: number | null;
  loadLevel: number | null;
  noiseId: NoiseId;
  micPosition: number;
  /** background level: SNR in dB of the unit at nominal speed and load, as this microphone hears it */
  snrDb: number;
  anomaly: AnomalyDraw | null;
  /** false: the machine is off and the clip is site background only */
  machineOn: boolean;
}

/** shaft speed relative to nominal at a speed level (levels 1..6 span about 0.83..1.18) */
export function speedFactor(level: number): number {
  return 1 + 0.07 * (level - 3.5);
}

/** load fraction at a load level (levels 1..4 span 0..1) */
export function loadFraction(level: number): number {
  return (level - 1) / 3;
}

interface SectionModel {
  family: MachineFamily<unknown>;
  unit: unknown;
  site: Site;
  /** gain that brings the unit's nominal sound to unit RMS */
  calibration: number;
  /** RMS of the calibrated nominal sound after each microphone's path, by mic id */
  atMic: Map<number, number>;
}

const models = new Map<string, SectionModel>();
const MAX_MODELS = 256;

/** the unit, its site and its level calibration: derived from (seed, machine, section) only, memoised */
export function sectionModel(machine: string, seed: number, section: number): SectionModel {
  const key = `${seed}|${machine}|${section}`;
  const hit = models.get(key);
  if (hit) return hit;
  const family = familyOf(machine);
  const unit = family.unit(new Rng(deriveSeed(seed, machine, section, 'unit')));
  const site = drawSite(new Rng(deriveSeed(seed, machine, section, 'site')));
  const probe = new Float32Array(CLIP_SAMPLES);
  family.render({ out: probe, sr: ANALYSIS_RATE, cond: { speed: 1, load: 0.5 }, anomaly: null, rng: new Rng(deriveSeed(seed, machine, section, 'calibration')) }, unit);
  const level = rms(probe);
  if (!(level > 0) || !Number.isFinite(level)) throw new Error(`generator: ${machine} section ${section} rendered silence or non-finite audio at calibration`);
  const atMic = new Map<number, number>();
  for (const mic of site.mics) {
    const x = probe.map((v) => (v / level) * REFERENCE_RMS);
    applyMicPath(x, mic, ANALYSIS_RATE);
    atMic.set(mic.id, rms(x));
  }
  const model: SectionModel = { family, unit, site, calibration: 1 / level, atMic };
  if (models.size >= MAX_MODELS) models.delete(models.keys().next().value as string);
  models.set(key, model);
  return model;
}

function check(spec: ClipSpec): void {
  const bad = (field: string, why: string) => new Error(`clip spec: ${field} ${why}`);
  for (const f of ['seed', 'clipSeed'] as const) {
    if (!Number.isInteger(spec[f]) || spec[f] < 0 || spec[f] > 0xffffffff) throw bad(f, `must be an integer 0..4294967295, got ${spec[f]}`);
  }
  if (!Number.isInteger(spec.section) || spec.section < 0 || spec.section > 99) throw bad('section', `must be an integer 0..99, got ${spec.section}`);
  if (!NOISE_IDS.includes(spec.noiseId)) throw bad('noiseId', `must be one of ${NOISE_IDS.join(', ')}, got ${spec.noiseId}`);
  if (!Number.isFinite(spec.snrDb)) throw bad('snrDb', `must be a finite number of dB, got ${spec.snrDb}`);
  if (spec.machineOn) {
    if (spec.speedLevel === null || !(SPEED_LEVELS as readonly number[]).includes(spec.speedLevel)) throw bad('speedLevel', `must be one of ${SPEED_LEVELS.join(', ')}, got ${spec.speedLevel}`);
    if (spec.loadLevel === null || !(LOAD_LEVELS as readonly number[]).includes(spec.loadLevel)) throw bad('loadLevel', `must be one of ${LOAD_LEVELS.join(', ')}, got ${spec.loadLevel}`);
  }
  if (spec.anomaly) {
    const kinds = familyOf(spec.machine).anomalies.map((a) => a.kind);
    if (!kinds.includes(spec.anomaly.kind)) throw bad('anomaly.kind', `'${spec.anomaly.kind}' is not an anomaly of ${spec.machine}; known: ${kinds.join(', ')}`);
    if (!(spec.anomaly.intensity >= 0) || !Number.isFinite(spec.anomaly.intensity)) throw bad('anomaly.intensity', `must be a finite number >= 0, got ${spec.anomaly.intensity}`);
  }
}

/** 10 s at 16 kHz, mono, in [-PEAK_CEILING, PEAK_CEILING] */
export function synthesizeClip(spec: ClipSpec): Float32Array {
  check(spec);
  const sr = ANALYSIS_RATE;
  const n = CLIP_SAMPLES + PRE_ROLL;
  const model = sectionModel(spec.machine, spec.seed, spec.section);
  const mic = micOf(model.site, spec.micPosition);
  const mix = new Float32Array(n);
  if (spec.machineOn) {
    const cond: Condition = { speed: speedFactor(spec.speedLevel as number), load: loadFraction(spec.loadLevel as number) };
    const machine = new Float32Array(n);
    model.family.render({ out: machine, sr, cond, anomaly: spec.anomaly, rng: new Rng(deriveSeed(spec.clipSeed, 'machine')) }, model.unit);
    scaleInPlace(machine, model.calibration * REFERENCE_RMS);
    applyMicPath(machine, mic, sr);
    addInto(mix, machine);
  }
  // separate stream: the background of a clip does not depend on what the machine drew
  const bg = renderNoise(spec.noiseId, model.site, n, sr, new Rng(deriveSeed(spec.clipSeed, 'background')));
  applyMicToBackground(bg, mic, sr);
  addInto(mix, bg, (model.atMic.get(mic.id) as number) / db(spec.snrDb));
  const out = mix.slice(PRE_ROLL);
  const peak = peakAbs(out);
  if (!Number.isFinite(peak) || !Number.isFinite(rms(out))) throw new Error(`generator: ${spec.machine} section ${spec.section} produced non-finite samples (clip seed ${spec.clipSeed})`);
  if (peak > PEAK_CEILING) scaleInPlace(out, PEAK_CEILING / peak);
  return out;
}
