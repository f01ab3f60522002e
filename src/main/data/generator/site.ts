// The site around a machine: background noise types and microphone positions. A site is
// drawn once per section (its hum frequency, its talkers, its impact sounds, its mic
// placements) and then varies from clip to clip within that character.
import {
  addFiltered,
  addGate,
  addParallel3,
  addImpulse,
  addInto,
  addTable,
  bandpass,
  brownInPlace,
  CONTROL_RATE,
  controlKnots,
  controlNoise,
  knotAt,
  cycles,
  filterInPlace,
  highpass,
  lowpass,
  multiplyInPlace,
  noise,
  normaliseRms,
  peaking,
  pinkInPlace,
  reverbInPlace,
  addEchoes,
  gateShape,
  dbShape,
  wavetable,
} from './dsp';
import type { Rng } from './rng';
import { db, spread } from './machines/model';

export const NOISE_TYPES = [
  { id: 'A', name: 'factory_hum', description: 'mains hum and its harmonics, floor rumble, a distant machine' },
  { id: 'B', name: 'pink', description: 'steady pink noise with slow level drift' },
  { id: 'C', name: 'babble', description: 'several people talking at a distance' },
  { id: 'D', name: 'hvac', description: 'ventilation: low airflow roar, blower tone, diffuser hiss' },
  { id: 'E', name: 'impulsive', description: 'tool clanks, thuds and rattles over a quiet bed' },
  { id: 'F', name: 'forklift', description: 'a combustion engine changing revs, sometimes a reversing beeper' },
] as const;
export type NoiseId = (typeof NOISE_TYPES)[number]['id'];
export const NOISE_IDS: readonly NoiseId[] = NOISE_TYPES.map((t) => t.id);

export const MIC_POSITIONS = [
  { id: 1, description: 'near field, on axis: flat, dry' },
  { id: 2, description: 'about 1 m to the side: mild high cut, one floor reflection' },
  { id: 3, description: 'about 3 m away: strong high cut, reflections and room reverberation' },
  { id: 4, description: 'behind a guard: low cut, a panel resonance, a close reflection' },
] as const;
export const MIC_IDS: readonly number[] = MIC_POSITIONS.map((m) => m.id);

export interface MicTransfer {
  id: number;
  gainDb: number;
  highpassHz: number;
  lowpassHz: number;
  peak: { hz: number; q: number; db: number } | null;
  echoes: { delayMs: number; gain: number }[];
  reverbMix: number;
  rt60: number;
}

interface Talker {
  pitchHz: number;
  formants: [number, number, number];
  level: number;
}

export interface Site {
  mainsHz: number;
  humTable: Float32Array;
  machineryHz: number;
  talkers: Talker[];
  blowerHz: number;
  blowerTable: Float32Array;
  impactRate: number;
  clankHz: number;
  thudHz: number;
  rattleHz: number;
  engineHz: number;
  engineTable: Float32Array;
  beeperHz: number;
  mics: MicTransfer[];
}

const MIC_TEMPLATES: readonly Omit<MicTransfer, 'id'>[] = [
  { gainDb: 0, highpassHz: 30, lowpassHz: 7500, peak: null, echoes: [], reverbMix: 0, rt60: 0.3 },
  { gainDb: -4, highpassHz: 50, lowpassHz: 5500, peak: null, echoes: [{ delayMs: 1.6, gain: 0.45 }], reverbMix: 0.08, rt60: 0.4 },
  {
    gainDb: -9,
    highpassHz: 40,
    lowpassHz: 3200,
    peak: null,
    echoes: [
      { delayMs: 4.5, gain: 0.5 },
      { delayMs: 9.5, gain: 0.3 },
    ],
    reverbMix: 0.3,
    rt60: 0.7,
  },
  { gainDb: -6, highpassHz: 160, lowpassHz: 4500, peak: { hz: 750, q: 1.5, db: 6 }, echoes: [{ delayMs: 0.9, gain: 0.6 }], reverbMix: 0.12, rt60: 0.3 },
];

export function drawSite(rng: Rng): Site {
  const mainsHz = rng.pick([50, 60]);
  const blowerHz = rng.range(80, 160);
  return {
    mainsHz,
    humTable: wavetable([2, 3, 4, 6].map((k, j) => ({ k, amp: [1, 0.3, 0.4, 0.2][j] * spread(rng, 0.3), phase: rng.range(0, 2 * Math.PI) }))),
    machineryHz: rng.range(180, 520),
    talkers: Array.from({ length: rng.int(5, 7) }, () => ({
      pitchHz: rng.chance(0.5) ? rng.range(95, 140) : rng.range(170, 240),
      formants: [rng.range(300, 800), rng.range(900, 2200), rng.range(2400, 3200)] as [number, number, number],
      level: spread(rng, 0.4),
    })),
    blowerHz,
    blowerTable: wavetable([1, 2, 3].map((k) => ({ k, amp: Math.pow(0.4, k - 1), phase: rng.range(0, 2 * Math.PI) }))),
    impactRate: rng.range(0.6, 1.6),
    clankHz: rng.range(1800, 3500),
    thudHz: rng.range(180, 400),
    rattleHz: rng.range(800, 1500),
    engineHz: rng.range(25, 40),
    engineTable: wavetable(Array.from({ length: 8 }, (_, j) => ({ k: j + 1, amp: Math.pow(j + 1, -1) * spread(rng, 0.3), phase: rng.range(0, 2 * Math.PI) }))),
    beeperHz: rng.range(1000, 1250),
    mics: MIC_TEMPLATES.map((t, j) => ({
      id: j + 1,
      gainDb: t.gainDb + rng.range(-1, 1),
      highpassHz: t.highpassHz * rng.range(0.85, 1.15),
      lowpassHz: t.lowpassHz * rng.range(0.85, 1.15),
      peak: t.peak ? { ...t.peak, hz: t.peak.hz * rng.range(0.8, 1.2) } : null,
      echoes: t.echoes.map((e) => ({ delayMs: e.delayMs * rng.range(0.8, 1.2), gain: e.gain * rng.range(0.85, 1.1) })),
      reverbMix: t.reverbMix,
      rt60: t.rt60 * rng.range(0.85, 1.15),
    })),
  };
}

function factoryHum(site: Site, n: number, sr: number, rng: Rng): Float32Array {
  const out = new Float32Array(n);
  addTable(out, cycles(n, sr, site.mainsHz, controlNoise(rng, n, sr, 0.1), 0.0005), 1, site.humTable, 0.5 * spread(rng, 0.15));
  const rumble = filterInPlace(brownInPlace(noise(rng, n), 30, sr), lowpass(300, 0.7, sr));
  addInto(out, normaliseRms(rumble, 0.8));
  const far = new Float32Array(n);
  const mc = cycles(n, sr, site.machineryHz, controlNoise(rng, n, sr, 0.2), 0.01);
  addTable(far, mc, 1, site.blowerTable, 0.35);
  multiplyInPlace(far, controlNoise(rng, n, sr, 0.3, dbShape(3)));
  addInto(out, far);
  addInto(out, normaliseRms(pinkInPlace(noise(rng, n)), 0.2));
  return out;
}

function pink(site: Site, n: number, sr: number, rng: Rng): Float32Array {
  const out = pinkInPlace(noise(rng, n));
  multiplyInPlace(out, controlNoise(rng, n, sr, 0.2, dbShape(1.5)));
  return out;
}

function babble(site: Site, n: number, sr: number, rng: Rng): Float32Array {
  const out = new Float32Array(n);
  const dur = n / sr;
  const voice = new Float32Array(n);
  for (const t of site.talkers) {
    // voiced pulses with intonation (stepped pulse by pulse, not sample by sample), three formants, in syllables
    voice.fill(0);
    const intonation = controlKnots(rng, Math.ceil(dur * CONTROL_RATE) + 2, 2);
    for (let tt = rng.uniform() / t.pitchHz; tt < dur; tt += 1 / (t.pitchHz * (1 + 0.08 * knotAt(intonation, tt)))) addImpulse(voice, tt * sr, t.level);
    const formants = [bandpass(t.formants[0], 5, sr), bandpass(t.formants[1], 7, sr), bandpass(t.formants[2], 9, sr)] as const;
    addParallel3(out, voice, formants, [1, 0.6, 0.25], controlNoise(rng, n, sr, 4, gateShape(0.2, 4)));
  }
  normaliseRms(out, 1);
  // breath and far-away voices: speech-shaped noise under the talkers
  const crowd = filterInPlace(pinkInPlace(noise(rng, n)), bandpass(700, 0.6, sr));
  multiplyInPlace(crowd, controlNoise(rng, n, sr, 3, dbShape(4)));
  addInto(out, normaliseRms(crowd, 0.35));
  filterInPlace(out, lowpass(4000, 0.7, sr));
  reverbInPlace(out, sr, 0.6, 0.35); // talkers are across the hall, not at the mic
  return out;
}

function hvac(site: Site, n: number, sr: number, rng: Rng): Float32Array {
  const out = filterInPlace(pinkInPlace(noise(rng, n)), lowpass(700, 0.7, sr));
  normaliseRms(out, 1);
  addTable(out, cycles(n, sr, site.blowerHz, controlNoise(rng, n, sr, 0.2), 0.004), 1, site.blowerTable, 0.25 * spread(rng, 0.2));
  const hiss = filterInPlace(noise(rng, n), bandpass(2500, 0.7, sr));
  addInto(out, normaliseRms(hiss, 0.12));
  multiplyInPlace(out, controlNoise(rng, n, sr, 0.15, dbShape(1)));
  return out;
}

function impulsive(site: Site, n: number, sr: number, rng: Rng): Float32Array {
  const out = normaliseRms(filterInPlace(pinkInPlace(noise(rng, n)), lowpass(2000, 0.7, sr)), 0.25);
  const clank = new Float32Array(n);
  const thud = new Float32Array(n);
  const rattle = new Float32Array(n);
  for (let t = rng.exponential(1 / site.impactRate); t * sr < n; t += rng.exponential(1 / site.impactRate)) {
    const a = 2 * rng.exponential(1);
    const what = rng.uniform();
    if (what < 0.4) addImpulse(clank, t * sr, a * 25);
    else if (what < 0.7) addImpulse(thud, t * sr, a * 12);
    else {
      const hits = rng.int(3, 6);
      for (let k = 0, tk = t; k < hits; k++, tk += rng.range(0.02, 0.05)) addImpulse(rattle, tk * sr, a * 10 * rng.range(0.4, 1));
    }
  }
  addFiltered(out, clank, bandpass(site.clankHz, 25, sr));
  addFiltered(out, thud, bandpass(site.thudHz, 3, sr));
  addFiltered(out, rattle, bandpass(site.rattleHz, 10, sr));
  return out;
}

function forklift(site: Site, n: number, sr: number, rng: Rng): Float32Array {
  const out = new Float32Array(n);
  const revs = controlNoise(rng, n, sr, 0.25);
  addTable(out, cycles(n, sr, site.engineHz, revs, 0.15), 1, site.engineTable, 0.7);
  const rumble = filterInPlace(brownInPlace(noise(rng, n), 40, sr), lowpass(500, 0.7, sr));
  addInto(out, normaliseRms(rumble, 0.6));
  if (rng.chance(0.5)) {
    // the reversing beeper: square-ish tone, 0.4 s on / 0.4 s off, for a few seconds
    const gate = new Float32Array(n);
    const start = rng.range(0, 6);
    const stop = start + rng.range(2, 4);
    for (let t = start; t < stop; t += 0.8) addGate(gate, sr, t, t + 0.4, 0.005);
    const beep = new Float32Array(n);
    addTable(beep, cycles(n, sr, site.beeperHz), 1, wavetable([1, 3, 5].map((k) => ({ k, amp: 1 / k }))), 0.5);
    multiplyInPlace(beep, gate);
    addInto(out, beep);
  }
  return out;
}

const RENDER: Record<NoiseId, (site: Site, n: number, sr: number, rng: Rng) => Float32Array> = {
  A: factoryHum,
  B: pink,
  C: babble,
  D: hvac,
  E: impulsive,
  F: forklift,
};

/** site background of the given type, at unit RMS */
export function renderNoise(id: NoiseId, site: Site, n: number, sr: number, rng: Rng): Float32Array {
  const r = RENDER[id];
  if (!r) throw new Error(`unknown noise_id '${id}'; known: ${NOISE_IDS.join(', ')}`);
  const x = r(site, n, sr, rng);
  filterInPlace(x, highpass(20, 0.7, sr)); // no DC or infrasound in any background
  return normaliseRms(x, 1);
}

export function micOf(site: Site, id: number): MicTransfer {
  const m = site.mics.find((x) => x.id === id);
  if (!m) throw new Error(`unknown mic_position_id ${id}; known: ${MIC_IDS.join(', ')}`);
  return m;
}

/** the path from the machine to the microphone: level, band limits, a panel resonance, reflections, room */
export function applyMicPath(x: Float32Array, mic: MicTransfer, sr: number): void {
  filterInPlace(x, highpass(mic.highpassHz, 0.7, sr));
  filterInPlace(x, lowpass(mic.lowpassHz, 0.7, sr));
  if (mic.peak) filterInPlace(x, peaking(mic.peak.hz, mic.peak.q, mic.peak.db, sr));
  addEchoes(
    x,
    mic.echoes.map((e) => ({ delay: Math.max(1, Math.round((e.delayMs * sr) / 1000)), gain: e.gain })),
  );
  reverbInPlace(x, sr, mic.rt60, mic.reverbMix);
  const g = db(mic.gainDb);
  for (let i = 0; i < x.length; i++) x[i] *= g;
}

/** background reaches the microphone from everywhere: only the mount's low cut applies */
export function applyMicToBackground(x: Float32Array, mic: MicTransfer, sr: number): void {
  filterInPlace(x, highpass(mic.highpassHz, 0.7, sr));
}
