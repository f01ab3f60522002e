// Centrifugal pump: vane-pass harmonics of the impeller, shaft lines, and flow noise that
// pulses at the vane-pass rate and grows with load (flow rate).
import { addFiltered, addImpulse, addInto, addPartial, addTable, controlNoise, cycles, filterInPlace, highpass, lowpass, modulateInPlace, multiplyInPlace, noise, normaliseRms, peaking, pinkInPlace, gateShape, wavetable } from '../dsp';
import type { Rng } from '../rng';
import { family, spread, type RenderContext } from './model';

export interface PumpUnit {
  shaftHz: number;
  vanes: number;
  vaneTable: Float32Array;
  flowHz: number;
  squealHz: number;
  phase: number;
}

function unit(rng: Rng): PumpUnit {
  const vanes = rng.pick([5, 6, 7]);
  return {
    shaftHz: rng.range(24, 48),
    vanes,
    vaneTable: wavetable([1, 2, 3, 4].map((k) => ({ k: k * vanes, amp: Math.pow(0.5, k - 1) * spread(rng, 0.25), phase: rng.range(0, 2 * Math.PI) }))),
    flowHz: rng.range(300, 900),
    squealHz: rng.range(2500, 4500),
    phase: rng.uniform(),
  };
}

function render(ctx: RenderContext, u: PumpUnit): void {
  const { out, sr, cond, anomaly, rng } = ctx;
  const n = out.length;
  const r = cond.speed * spread(rng, 0.008);
  const cyc = cycles(n, sr, u.shaftHz * r, controlNoise(rng, n, sr, 0.4), 0.003);
  const i = anomaly?.intensity ?? 0;
  const kind = anomaly?.kind;

  const tonalAmp = 0.3 * r * r * (0.6 + 0.8 * cond.load) * spread(rng, 0.08);
  const vane = new Float32Array(n);
  addTable(vane, cyc, 1, u.vaneTable, kind === 'cavitation' ? tonalAmp * (1 - 0.3 * Math.min(1, i)) : tonalAmp);
  if (kind === 'impeller_damage') modulateInPlace(vane, cyc, 1, Math.min(0.9, 0.7 * i), u.phase); // vane-pass sidebands at the shaft rate
  addInto(out, vane);
  addPartial(out, cyc, 1, tonalAmp * (kind === 'impeller_damage' ? 0.15 + 1.6 * i : 0.15), u.phase);
  addPartial(out, cyc, 2, tonalAmp * 0.08, 2 * u.phase);

  const flow = pinkInPlace(noise(rng, n));
  filterInPlace(flow, lowpass(2200, 0.7, sr));
  filterInPlace(flow, peaking(u.flowHz, 1, 6, sr));
  normaliseRms(flow, 0.7 * r * r * (0.5 + cond.load) * (kind === 'cavitation' ? 1 + 0.3 * i : 1) * spread(rng, 0.06));
  modulateInPlace(flow, cyc, u.vanes, 0.12);
  if (kind === 'impeller_damage') modulateInPlace(flow, cyc, 1, Math.min(0.85, 0.8 * i), u.phase); // unbalanced flow: recirculation surges once per turn
  addInto(out, flow);

  if (kind === 'cavitation') {
    // vapour bubbles collapsing: crackle in bursts, densest at the vane passage (thinned Poisson process)
    const exc = new Float32Array(n);
    const gate = controlNoise(rng, n, sr, 1.2, gateShape(-0.2, 2.5));
    const maxRate = 400 + 1800 * i;
    const amp = 0.25 * r * r;
    for (let t = rng.exponential(1 / maxRate); t * sr < n; t += rng.exponential(1 / maxRate)) {
      const k = Math.floor(t * sr);
      const ph = u.vanes * cyc[k];
      const density = gate[k] * 0.5 * (1 + Math.cos(2 * Math.PI * (ph - Math.floor(ph))));
      if (rng.uniform() < density) addImpulse(exc, t * sr, amp * rng.exponential(1) * (rng.uniform() < 0.5 ? -1 : 1));
    }
    filterInPlace(exc, highpass(1500, 0.7, sr));
    addFiltered(out, exc, lowpass(7000, 0.7, sr), 4 * Math.sqrt(i));
  } else if (kind === 'seal_squeal') {
    // dry mechanical seal: a wandering high whistle that comes and goes
    const sq = cycles(n, sr, u.squealHz, controlNoise(rng, n, sr, 0.8), 0.02);
    const env = controlNoise(rng, n, sr, 0.7, gateShape(-0.4, 4));
    const s = new Float32Array(n);
    addPartial(s, sq, 1, 1);
    addPartial(s, sq, 2, 0.3);
    multiplyInPlace(s, env);
    addInto(out, s, tonalAmp * 0.6 * i);
  }
}

export const pump = family<PumpUnit>({
  type: 'pump',
  description: 'centrifugal pump: vane-pass harmonics, shaft lines and pulsing flow noise',
  anomalies: [
    { kind: 'cavitation', description: 'cavitation: bursts of broadband crackle like gravel in the pipe, vane tone weakens' },
    { kind: 'impeller_damage', description: 'impeller damage or fouling: a strong shaft-rate line and shaft-rate sidebands on the vane tone' },
    { kind: 'seal_squeal', description: 'dry seal: an intermittent high-pitched squeal that wanders in pitch' },
  ],
  unit,
  render,
});
