// Single-stage gearbox: gear-mesh frequency (input teeth x input shaft rate) and its
// harmonics, weak sidebands at both shaft rates from normal run-out, shaft lines, and
// mesh-modulated noise ringing the casing.
import { addFiltered, addImpulse, addInto, addPartial, addTable, bandpass, controlNoise, crossings, cycles, filterInPlace, lowpass, modulateInPlace, noise, normaliseRms, pinkInPlace, pulseTable, wavetable } from '../dsp';
import type { Rng } from '../rng';
import { family, spread, type RenderContext } from './model';

export interface GearboxUnit {
  inputHz: number;
  inputTeeth: number;
  outputTeeth: number;
  meshTable: Float32Array;
  /** mesh harmonics 2..5 only, for wear */
  upperTable: Float32Array;
  casingHz: number;
  casingQ: number;
  faultAt: number;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

function unit(rng: Rng): GearboxUnit {
  const z1 = rng.int(17, 31);
  let z2 = rng.int(33, 61);
  while (gcd(z1, z2) !== 1) z2++; // a hunting tooth pair, as gear designers choose
  const harm = [1, 2, 3, 4, 5].map((k) => ({ k: k * z1, amp: Math.pow(0.5, k - 1) * spread(rng, 0.25), phase: rng.range(0, 2 * Math.PI) }));
  return {
    inputHz: rng.range(15, 30),
    inputTeeth: z1,
    outputTeeth: z2,
    meshTable: wavetable(harm),
    upperTable: wavetable(harm.slice(1)),
    casingHz: rng.range(2000, 3500),
    casingQ: rng.range(12, 20),
    faultAt: rng.uniform(),
  };
}

function render(ctx: RenderContext, u: GearboxUnit): void {
  const { out, sr, cond, anomaly, rng } = ctx;
  const n = out.length;
  const r = cond.speed * spread(rng, 0.008);
  const cyc = cycles(n, sr, u.inputHz * r, controlNoise(rng, n, sr, 0.4), 0.003);
  const ratio = u.inputTeeth / u.outputTeeth; // output turns per input turn
  const i = anomaly?.intensity ?? 0;
  const kind = anomaly?.kind;

  const meshAmp = 0.45 * Math.pow(r, 1.5) * (0.5 + cond.load) * spread(rng, 0.08);
  const mesh = new Float32Array(n);
  addTable(mesh, cyc, 1, u.meshTable, meshAmp);
  if (kind === 'wear') addTable(mesh, cyc, 1, u.upperTable, meshAmp * 3 * i); // worn profiles: more mesh harmonics
  modulateInPlace(mesh, cyc, 1, 0.05, u.faultAt);
  modulateInPlace(mesh, cyc, ratio, 0.04);
  if (kind === 'tooth_fault') {
    // a chipped input tooth: the mesh changes for one tooth's passage each input turn
    modulateInPlace(mesh, cyc, 1, Math.min(3, 2.5 * i), -u.faultAt, pulseTable(0.5 / u.inputTeeth));
  } else if (kind === 'eccentricity') {
    modulateInPlace(mesh, cyc, ratio, Math.min(0.95, 1.3 * i), 0.25);
  } else if (kind === 'wear') {
    const rough = controlNoise(rng, n, sr, 30);
    for (let k = 0; k < n; k++) mesh[k] *= 1 + 0.5 * i * rough[k];
  }
  addInto(out, mesh);
  addPartial(out, cyc, 1, 0.08 * r * r, u.faultAt);
  addPartial(out, cyc, ratio, 0.06 * r * r * (kind === 'eccentricity' ? 1 + 4 * i : 1));

  const bed = pinkInPlace(noise(rng, n));
  filterInPlace(bed, lowpass(3000, 0.7, sr));
  normaliseRms(bed, 0.4 * Math.pow(r, 1.5) * (kind === 'wear' ? 1 + 0.7 * i : 1) * spread(rng, 0.06));
  addInto(out, bed);
  const casing = filterInPlace(noise(rng, n), bandpass(u.casingHz, 4, sr));
  normaliseRms(casing, 0.1 * r * (0.5 + cond.load));
  modulateInPlace(casing, cyc, u.inputTeeth, 0.3);
  addInto(out, casing);

  if (kind === 'tooth_fault') {
    const exc = new Float32Array(n);
    const strike = (u.casingQ / Math.sin((2 * Math.PI * u.casingHz) / sr)) * 0.4 * r * (0.5 + cond.load);
    for (const p of crossings(cyc, 1, -u.faultAt)) addImpulse(exc, p, strike * 10 * i * spread(rng, 0.15));
    addFiltered(out, exc, bandpass(u.casingHz, u.casingQ, sr));
  }
}

export const gearbox = family<GearboxUnit>({
  type: 'gearbox',
  description: 'single-stage gearbox: gear-mesh harmonics with shaft-rate sidebands and casing resonance',
  anomalies: [
    { kind: 'tooth_fault', description: 'chipped or cracked tooth: a knock once per input-shaft turn and rich shaft-rate sidebands on the mesh tone' },
    { kind: 'wear', description: 'worn teeth: stronger upper mesh harmonics, rougher and noisier mesh' },
    { kind: 'eccentricity', description: 'eccentric output gear: the mesh tone swells and fades once per output turn' },
  ],
  unit,
  render,
});
