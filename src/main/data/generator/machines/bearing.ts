// Rolling-element bearing on a driven shaft: shaft harmonics, broadband running noise and a
// weakly excited structural resonance. Defects strike once per defect period and ring that
// resonance, so they show up as impulsiveness and as a defect-rate line in the envelope spectrum.
import { addFiltered, addImpulse, addInto, addTable, bandpass, controlNoise, crossings, cycles, filterInPlace, lowpass, modulateInPlace, noise, normaliseRms, pinkInPlace, wavetable } from '../dsp';
import type { Rng } from '../rng';
import { family, spread, type RenderContext } from './model';

export interface BearingUnit {
  shaftHz: number;
  balls: number;
  /** ball diameter over pitch diameter */
  ballRatio: number;
  contactDeg: number;
  resonanceHz: number;
  resonanceQ: number;
  resonance2Hz: number;
  frameHz: number;
  shaftTable: Float32Array;
  loadZoneAt: number;
}

export interface DefectFrequencies {
  /** outer-race ball pass */
  bpfo: number;
  /** inner-race ball pass */
  bpfi: number;
  /** ball spin */
  bsf: number;
  /** cage (fundamental train) */
  ftf: number;
}

/** the textbook kinematic defect frequencies of a bearing turning at shaftHz (outer race fixed) */
export function bearingDefectFrequencies(u: Pick<BearingUnit, 'balls' | 'ballRatio' | 'contactDeg'>, shaftHz: number): DefectFrequencies {
  const c = u.ballRatio * Math.cos((u.contactDeg * Math.PI) / 180);
  return {
    bpfo: (u.balls / 2) * shaftHz * (1 - c),
    bpfi: (u.balls / 2) * shaftHz * (1 + c),
    bsf: (shaftHz / (2 * u.ballRatio)) * (1 - c * c),
    ftf: (shaftHz / 2) * (1 - c),
  };
}

function unit(rng: Rng): BearingUnit {
  return {
    shaftHz: rng.range(20, 34),
    balls: rng.int(7, 13),
    ballRatio: rng.range(0.18, 0.3),
    contactDeg: rng.pick([0, 0, 10, 15]),
    resonanceHz: rng.range(2400, 4200),
    resonanceQ: rng.range(12, 22),
    resonance2Hz: rng.range(5000, 6500),
    frameHz: rng.range(900, 1500),
    shaftTable: wavetable([1, 2, 3, 4].map((k) => ({ k, amp: Math.pow(0.55, k - 1) * spread(rng, 0.3), phase: rng.range(0, 2 * Math.PI) }))),
    loadZoneAt: rng.uniform(),
  };
}

function render(ctx: RenderContext, u: BearingUnit): void {
  const { out, sr, cond, anomaly, rng } = ctx;
  const n = out.length;
  const r = cond.speed * spread(rng, 0.008);
  const shaft = u.shaftHz * r;
  const cyc = cycles(n, sr, shaft, controlNoise(rng, n, sr, 0.4), 0.003);
  const fr = bearingDefectFrequencies(u, shaft);
  const i = anomaly?.intensity ?? 0;
  const kind = anomaly?.kind;

  addTable(out, cyc, 1, u.shaftTable, 0.3 * r * r * (0.8 + 0.4 * cond.load) * spread(rng, 0.1));

  const running = pinkInPlace(noise(rng, n));
  filterInPlace(running, lowpass(2500, 0.7, sr));
  normaliseRms(running, 0.55 * Math.pow(r, 1.5) * (0.8 + 0.4 * cond.load) * spread(rng, 0.06));
  addInto(out, running);

  // rolling contact keeps the resonance faintly alive, modulated by the cage rotation
  const rolling = filterInPlace(noise(rng, n), bandpass(u.resonanceHz, u.resonanceQ / 3, sr));
  normaliseRms(rolling, 0.1 * r * (0.7 + 0.6 * cond.load));
  modulateInPlace(rolling, cyc, fr.ftf / shaft, 0.15);
  addInto(out, rolling);

  if (!kind) return;
  const exc = new Float32Array(n);
  // a unit strike rings the resonance at about unit peak: a bandpass's impulse response peaks near sin(w)/Q
  const w = (2 * Math.PI * u.resonanceHz) / sr;
  const strike = (u.resonanceQ / Math.sin(w)) * 0.35 * r * (0.7 + 0.6 * cond.load);
  const lz = u.loadZoneAt;
  if (kind === 'outer_race') {
    for (const p of crossings(cyc, fr.bpfo / shaft, rng.uniform())) {
      addImpulse(exc, p + rng.normal() * 0.01 * (sr / fr.bpfo), strike * 4 * i * spread(rng, 0.12)); // ~1% slip
    }
  } else if (kind === 'inner_race') {
    for (const p of crossings(cyc, fr.bpfi / shaft, rng.uniform())) {
      const pos = p + rng.normal() * 0.01 * (sr / fr.bpfi);
      const zone = Math.cos(2 * Math.PI * (cyc[Math.min(n - 1, Math.max(0, Math.round(pos)))] - lz)); // the defect passes the load zone once per turn
      addImpulse(exc, pos, strike * 7 * i * (0.15 + 0.85 * Math.pow(Math.max(0, zone), 1.5)) * spread(rng, 0.12));
    }
  } else if (kind === 'ball') {
    const cage = fr.ftf / shaft;
    for (const p of crossings(cyc, (2 * fr.bsf) / shaft, rng.uniform())) {
      const c = cyc[Math.min(n - 1, Math.round(p))];
      addImpulse(exc, p, strike * 4.5 * i * (0.55 + 0.45 * Math.cos(2 * Math.PI * cage * c)) * rng.range(0.4, 1));
    }
  }
  addFiltered(out, exc, bandpass(u.resonanceHz, u.resonanceQ, sr));
  addFiltered(out, exc, bandpass(u.resonance2Hz, u.resonanceQ * 1.5, sr), 0.35);
  addFiltered(out, exc, bandpass(u.frameHz, 6, sr), 0.5 * (6 / u.resonanceQ)); // the frame mode carries the ticking to distant mics
}

export const bearing = family<BearingUnit>({
  type: 'bearing',
  description: 'rolling-element bearing: shaft harmonics, running noise and a structural resonance',
  anomalies: [
    { kind: 'outer_race', description: 'outer-race defect: even ticking at the outer-race ball-pass rate, ringing the housing resonance' },
    { kind: 'inner_race', description: 'inner-race defect: ticking at the inner-race ball-pass rate, louder once per turn in the load zone' },
    { kind: 'ball', description: 'rolling-element defect: irregular ticking at twice the ball-spin rate, swelling at the cage rate' },
  ],
  unit,
  render,
});
