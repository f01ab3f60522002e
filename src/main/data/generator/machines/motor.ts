// Induction motor on a variable-frequency drive: magnetic hum at twice the supply frequency
// (and its even harmonics), rotor lines at the slipping shaft rate, rotor-slot harmonics,
// cooling-fan noise and a faint PWM carrier whine.
import { addInto, addPartial, addTable, bandpass, controlNoise, cycles, filterInPlace, highpass, lowpass, modulateInPlace, noise, normaliseRms, pinkInPlace, wavetable } from '../dsp';
import type { Rng } from '../rng';
import { family, spread, type RenderContext } from './model';

export interface MotorUnit {
  lineHz: number;
  polePairs: number;
  rotorBars: number;
  /** slip at full load */
  slip: number;
  fanBlades: number;
  /** harmonics of the electrical phase: 2, 4, 6 x supply */
  humTable: Float32Array;
  carrierHz: number;
  phase: number;
}

function unit(rng: Rng): MotorUnit {
  return {
    lineHz: rng.pick([50, 60]),
    polePairs: rng.pick([1, 2]),
    rotorBars: rng.int(26, 46),
    slip: rng.range(0.02, 0.045),
    fanBlades: rng.int(7, 11),
    humTable: wavetable([2, 4, 6].map((k, j) => ({ k, amp: [1, 0.35, 0.15][j] * spread(rng, 0.2), phase: rng.range(0, 2 * Math.PI) }))),
    carrierHz: rng.range(3000, 5500),
    phase: rng.uniform(),
  };
}

/** electrical supply, slip and shaft rate at a condition */
export function motorRates(u: Pick<MotorUnit, 'lineHz' | 'polePairs' | 'slip'>, speed: number, load: number): { supplyHz: number; slip: number; shaftHz: number } {
  const supplyHz = u.lineHz * speed;
  const slip = u.slip * (0.3 + 0.7 * load);
  return { supplyHz, slip, shaftHz: (supplyHz / u.polePairs) * (1 - slip) };
}

function render(ctx: RenderContext, u: MotorUnit): void {
  const { out, sr, cond, anomaly, rng } = ctx;
  const n = out.length;
  const r = cond.speed * spread(rng, 0.004);
  const i = anomaly?.intensity ?? 0;
  const kind = anomaly?.kind;
  const rates = motorRates(u, r, cond.load);
  const slip = kind === 'broken_rotor_bar' ? rates.slip * (1 + 0.4 * i) : rates.slip;
  const cycE = cycles(n, sr, rates.supplyHz, controlNoise(rng, n, sr, 0.3), 0.001);
  const rotor = (1 - slip) / u.polePairs; // shaft turns per electrical cycle

  const magnetic = new Float32Array(n);
  const humAmp = 0.4 * (0.7 + 0.6 * cond.load) * spread(rng, 0.08) * (kind === 'winding_hum' ? 1 + 2.5 * i : 1);
  addTable(magnetic, cycE, 1, u.humTable, humAmp);
  if (kind === 'winding_hum') {
    // saturation / inter-turn fault: the hum turns harsh, rich in harmonics of 2x supply
    const buzz = wavetable(Array.from({ length: 12 }, (_, k) => ({ k: 2 * (k + 2), amp: 1 / (k + 2) })));
    addTable(magnetic, cycE, 1, buzz, 0.4 * humAmp * i);
  }
  const slots = 0.09 * (0.6 + 0.8 * cond.load) * spread(rng, 0.1);
  addPartial(magnetic, cycE, u.rotorBars * rotor - 2, slots, u.phase);
  addPartial(magnetic, cycE, u.rotorBars * rotor + 2, slots * 0.7, 1 - u.phase);

  const mech = new Float32Array(n);
  const shaftAmp = 0.06 * r * r * spread(rng, 0.1);
  addPartial(mech, cycE, rotor, shaftAmp * (kind === 'broken_rotor_bar' ? 1 + 1.5 * i : 1), u.phase);
  addPartial(mech, cycE, 2 * rotor, shaftAmp * (kind === 'misalignment' ? 0.4 + 7 * i : 0.4), 2 * u.phase);
  if (kind === 'misalignment') addPartial(mech, cycE, 3 * rotor, shaftAmp * 3 * i, 3 * u.phase);
  addPartial(mech, cycE, u.fanBlades * rotor, 0.08 * r * r, u.phase);

  if (kind === 'broken_rotor_bar') {
    // torque pulsates at the pole-pass frequency 2 s f: a slow beat on the rotor and magnetic lines
    const depth = Math.min(0.95, 0.9 * i);
    modulateInPlace(magnetic, cycE, 2 * slip, depth * 0.6, u.phase);
    modulateInPlace(mech, cycE, 2 * slip, depth, u.phase);
  }
  addInto(out, magnetic);
  addInto(out, mech);

  const air = pinkInPlace(noise(rng, n));
  filterInPlace(air, highpass(250, 0.7, sr));
  filterInPlace(air, lowpass(4500, 0.7, sr));
  normaliseRms(air, 0.35 * Math.pow(r, 2.5) * spread(rng, 0.06));
  if (kind === 'misalignment') modulateInPlace(air, cycE, 2 * rotor, Math.min(0.8, 0.5 * i));
  if (kind === 'broken_rotor_bar') modulateInPlace(air, cycE, 2 * slip, Math.min(0.6, 0.3 * i), u.phase);
  addInto(out, air);

  // PWM carrier with its sidebands at +-2x supply (the drive's whine)
  const carrier = cycles(n, sr, u.carrierHz);
  const pwm = new Float32Array(n);
  addPartial(pwm, carrier, 1, 0.012);
  const side = filterInPlace(noise(rng, n), bandpass(u.carrierHz, 40, sr));
  addInto(pwm, normaliseRms(side, 0.006));
  addInto(out, pwm);
}

export const motor = family<MotorUnit>({
  type: 'motor',
  description: 'induction motor on a drive: 2x supply hum, rotor and slot harmonics, cooling-fan noise',
  anomalies: [
    { kind: 'broken_rotor_bar', description: 'broken rotor bar: a slow beating of the hum and shaft line at the pole-pass rate, more slip' },
    { kind: 'winding_hum', description: 'winding fault: a much louder, harsher magnetic hum rich in harmonics' },
    { kind: 'misalignment', description: 'shaft misalignment: strong 2x and 3x shaft lines, cooling air pulsing at 2x' },
  ],
  unit,
  render,
});
