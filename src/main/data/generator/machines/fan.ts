// Industrial fan: blade-pass harmonics over broadband turbulence (fan laws: tone ~ speed^2,
// broadband sound pressure ~ speed^2.5), turbulence pulsing at the blade-pass rate.
import { scaleInPlace, addPartial, addTable, bandpass, controlNoise, cycles, filterInPlace, lowpass, modulateInPlace, noise, normaliseRms, peaking, pinkInPlace, pulseTable, gateShape, tableEnvelope, wavetable, addInto, multiplyInPlace } from '../dsp';
import type { Rng } from '../rng';
import { family, spread, type RenderContext } from './model';

export interface FanUnit {
  shaftHz: number;
  blades: number;
  bladeTable: Float32Array;
  turbulenceHz: number;
  turbulenceQ: number;
  housingHz: number;
  rubHz: number;
  damagedBladeAt: number;
  imbalancePhase: number;
}

function unit(rng: Rng): FanUnit {
  const blades = rng.pick([5, 6, 7, 8, 9, 11]);
  const harmonics = [1, 2, 3, 4, 5, 6].map((k) => ({ k: k * blades, amp: Math.exp(-0.55 * (k - 1)) * spread(rng, 0.25), phase: rng.range(0, 2 * Math.PI) }));
  return {
    shaftHz: rng.range(17, 27),
    blades,
    bladeTable: wavetable(harmonics),
    turbulenceHz: rng.range(450, 1100),
    turbulenceQ: rng.range(0.5, 0.9),
    housingHz: rng.range(1400, 2600),
    rubHz: rng.range(3000, 5200),
    damagedBladeAt: rng.uniform(),
    imbalancePhase: rng.uniform(),
  };
}

function render(ctx: RenderContext, u: FanUnit): void {
  const { out, sr, cond, anomaly, rng } = ctx;
  const n = out.length;
  const r = cond.speed * spread(rng, 0.008);
  const cyc = cycles(n, sr, u.shaftHz * r, controlNoise(rng, n, sr, 0.4), 0.004);
  const i = anomaly?.intensity ?? 0;
  const kind = anomaly?.kind;

  const tonalAmp = 0.35 * r * r * (0.8 + 0.4 * cond.load) * spread(rng, 0.08);
  const tonal = new Float32Array(n);
  addTable(tonal, cyc, 1, u.bladeTable, tonalAmp);
  addPartial(tonal, cyc, 1, 0.03 * tonalAmp, u.imbalancePhase); // residual imbalance of a healthy rotor

  const turb = pinkInPlace(noise(rng, n));
  filterInPlace(turb, peaking(u.turbulenceHz * r, u.turbulenceQ, 8, sr));
  filterInPlace(turb, peaking(u.housingHz, 4, 4, sr));
  filterInPlace(turb, lowpass(6000, 0.7, sr));
  normaliseRms(turb, 0.8 * Math.pow(r, 2.5) * (0.7 + 0.6 * cond.load) * spread(rng, 0.06));
  modulateInPlace(turb, cyc, u.blades, 0.2);

  if (kind === 'blade_damage') {
    // one blade differs: a once-per-revolution change of the blade-pass pressure pulse
    const win = pulseTable(0.35 / u.blades);
    modulateInPlace(tonal, cyc, 1, 2.5 * i, -u.damagedBladeAt, win);
    modulateInPlace(turb, cyc, 1, 2 * i, -u.damagedBladeAt, win);
    scaleInPlace(turb, 1 + 0.4 * i); // the torn profile sheds extra turbulence
  }
  addInto(out, tonal);
  addInto(out, turb);

  if (kind === 'imbalance') {
    addPartial(out, cyc, 1, tonalAmp * 1.2 * i, u.imbalancePhase);
    for (let k = 2; k <= 5; k++) addPartial(out, cyc, k, (tonalAmp * 0.3 * i) / k, u.imbalancePhase * k); // the frame rattles along
    modulateInPlace(out, cyc, 1, Math.min(0.95, 0.5 * i), u.imbalancePhase); // the whole sound wobbles once per turn
  } else if (kind === 'rub') {
    // blade tip or shaft seal touching once per turn, on and off
    const scrape = filterInPlace(noise(rng, n), bandpass(u.rubHz, 2.5, sr));
    const gate = controlNoise(rng, n, sr, 1.5, gateShape(-0.3, 3));
    const contact = tableEnvelope(cyc, 1, pulseTable(0.07), -u.damagedBladeAt);
    multiplyInPlace(scrape, contact);
    multiplyInPlace(scrape, gate);
    normaliseRms(scrape, 0.8 * Math.pow(r, 2.5) * 0.5 * i);
    addInto(out, scrape);
  }
}

export const fan = family<FanUnit>({
  type: 'fan',
  description: 'industrial fan: blade-pass harmonics and broadband turbulence',
  anomalies: [
    { kind: 'imbalance', description: 'rotor imbalance: a strong once-per-turn component and a once-per-turn wobble of the whole sound' },
    { kind: 'blade_damage', description: 'a damaged blade: the blade-pass pulse changes once per turn (sidebands around the blade tones)' },
    { kind: 'rub', description: 'blade tip or seal rub: intermittent high-pitched scraping once per turn' },
  ],
  unit,
  render,
});
