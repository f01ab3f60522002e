// Reciprocating compressor: crank-rate pulsation (a strong low harmonic series), suction and
// discharge valve clicks once per cylinder per turn, gas noise after discharge, motor hum.
import { addFiltered, addImpulse, addInto, addPartial, addTable, bandpass, controlNoise, crossings, cycles, filterInPlace, highpass, lowpass, multiplyInPlace, noise, normaliseRms, pulseTable, tableEnvelope, wavetable } from '../dsp';
import type { Rng } from '../rng';
import { family, spread, type RenderContext } from './model';

export interface CompressorUnit {
  crankHz: number;
  cylinders: number;
  pulsationTable: Float32Array;
  suctionHz: number;
  dischargeHz: number;
  clickQ: number;
  knockHz: number;
  gasHz: number;
  humHz: number;
}

function unit(rng: Rng): CompressorUnit {
  return {
    crankHz: rng.range(12, 22),
    cylinders: rng.pick([1, 2, 2, 3]),
    pulsationTable: wavetable(Array.from({ length: 8 }, (_, j) => ({ k: j + 1, amp: Math.pow(j + 1, -0.8) * spread(rng, 0.3), phase: rng.range(0, 2 * Math.PI) }))),
    suctionHz: rng.range(1700, 2800),
    dischargeHz: rng.range(2600, 4000),
    clickQ: rng.range(7, 14),
    knockHz: rng.range(550, 1100),
    gasHz: rng.range(1200, 2200),
    humHz: rng.pick([100, 120]),
  };
}

function render(ctx: RenderContext, u: CompressorUnit): void {
  const { out, sr, cond, anomaly, rng } = ctx;
  const n = out.length;
  const r = cond.speed * spread(rng, 0.008);
  const cyc = cycles(n, sr, u.crankHz * r, controlNoise(rng, n, sr, 0.5), 0.005);
  const i = anomaly?.intensity ?? 0;
  const kind = anomaly?.kind;

  addTable(out, cyc, 1, u.pulsationTable, 0.45 * r * r * (0.6 + 0.8 * cond.load) * spread(rng, 0.08));
  const hum = cycles(n, sr, u.humHz);
  addPartial(out, hum, 1, 0.06);

  const suction = new Float32Array(n);
  const discharge = new Float32Array(n);
  const knock = new Float32Array(n);
  const unitStrike = (hz: number, q: number) => q / Math.sin((2 * Math.PI * hz) / sr);
  const sAmp = unitStrike(u.suctionHz, u.clickQ) * 1.2 * r;
  const dAmp = unitStrike(u.dischargeHz, u.clickQ) * 1.6 * (0.6 + 0.8 * cond.load) * r * (kind === 'valve_leak' ? 1 - 0.4 * Math.min(1, i) : 1);
  const kAmp = unitStrike(u.knockHz, 5) * 0.9 * r;
  const dischargeAt = 0.3 + 0.1 * cond.load; // higher pressure ratio opens the discharge valve later in the stroke
  const gasEnv = new Float32Array(n);
  for (let c = 0; c < u.cylinders; c++) {
    const off = -c / u.cylinders;
    for (const p of crossings(cyc, 1, off - 0.06)) addImpulse(suction, p, sAmp * spread(rng, 0.15));
    for (const p of crossings(cyc, 1, off - dischargeAt)) {
      const a = dAmp * spread(rng, 0.15);
      addImpulse(discharge, p, a);
      if (kind === 'valve_flutter') {
        // the plate bounces on its seat instead of staying open
        let t = p;
        for (let k = 1; k <= 3 + Math.round(5 * i); k++) {
          t += sr * rng.range(0.005, 0.012);
          addImpulse(discharge, t, a * 1.4 * Math.min(1.2, i) * Math.pow(0.8, k - 1) * rng.range(0.7, 1.1));
        }
      }
    }
    if (kind === 'knock') {
      // a loose rod or pin bearing: a heavy thud at top dead centre, sometimes doubled
      for (const p of crossings(cyc, 1, off - 0.01)) {
        const a = kAmp * 2.2 * i * rng.range(0.6, 1.2);
        addImpulse(knock, p, a);
        if (rng.chance(0.3)) addImpulse(knock, p + sr * rng.range(0.004, 0.008), a * 0.5);
      }
    }
    // gas rushing out during discharge
    const win = tableEnvelope(cyc, 1, pulseTable(0.06), off - dischargeAt - 0.08);
    addInto(gasEnv, win);
  }
  addFiltered(out, suction, bandpass(u.suctionHz, u.clickQ, sr));
  addFiltered(out, discharge, bandpass(u.dischargeHz, u.clickQ, sr));
  addFiltered(out, discharge, bandpass(u.dischargeHz * 0.45, 4, sr), 0.4);
  if (kind === 'knock') {
    addFiltered(out, knock, bandpass(u.knockHz, 5, sr));
    addFiltered(out, knock, lowpass(300, 0.7, sr), 0.02);
  }

  const gas = filterInPlace(noise(rng, n), bandpass(u.gasHz, 1.5, sr));
  normaliseRms(gas, 0.3 * r * (0.5 + cond.load));
  multiplyInPlace(gas, gasEnv);
  addInto(out, gas);

  if (kind === 'valve_leak') {
    // gas blowing back through a leaking valve while the cylinder is compressing
    const leak = filterInPlace(filterInPlace(noise(rng, n), highpass(3000, 0.7, sr)), lowpass(6500, 0.7, sr));
    normaliseRms(leak, 0.35 * i * (0.5 + cond.load));
    const env = new Float32Array(n);
    for (let c = 0; c < u.cylinders; c++) addInto(env, tableEnvelope(cyc, 1, pulseTable(0.09), -c / u.cylinders - dischargeAt / 2));
    multiplyInPlace(leak, env);
    addInto(out, leak);
  }
}

export const compressor = family<CompressorUnit>({
  type: 'compressor',
  description: 'reciprocating compressor: crank-rate pulsation, suction and discharge valve clicks, gas noise',
  anomalies: [
    { kind: 'knock', description: 'knock: a heavy low thud at top dead centre every turn, sometimes doubled' },
    { kind: 'valve_leak', description: 'valve leak: hissing during compression and a weaker discharge click' },
    { kind: 'valve_flutter', description: 'valve flutter: the discharge click turns into a short rattle of bounces' },
  ],
  unit,
  render,
});
