// Solenoid / pneumatic valve on a cycle: open and close clicks in the unit's pattern (each a
// short strike ringing the valve body plus a low thump), flow hiss while open, faint supply hum.
import { addFiltered, addGate, addImpulse, addInto, addPartial, bandpass, cycles, filterInPlace, highpass, lowpass, multiplyInPlace, noise, normaliseRms, pinkInPlace } from '../dsp';
import type { Rng } from '../rng';
import { family, spread, type RenderContext } from './model';

export interface ValveUnit {
  /** cycle length in seconds at nominal speed */
  periodS: number;
  /** open intervals within one cycle, as fractions of the cycle */
  pattern: readonly (readonly [number, number])[];
  clickHz: number;
  clickQ: number;
  thumpHz: number;
  hissHz: number;
  leakHz: number;
  humHz: number;
}

const PATTERNS: readonly (readonly (readonly [number, number])[])[] = [
  [[0.05, 0.42]],
  [[0.05, 0.25]],
  [
    [0.05, 0.2],
    [0.45, 0.6],
  ],
  [
    [0.05, 0.15],
    [0.3, 0.4],
    [0.55, 0.75],
  ],
];

function unit(rng: Rng): ValveUnit {
  return {
    periodS: rng.range(0.9, 1.6),
    pattern: rng.pick(PATTERNS),
    clickHz: rng.range(1500, 3200),
    clickQ: rng.range(6, 12),
    thumpHz: rng.range(180, 360),
    hissHz: rng.range(1800, 3200),
    leakHz: rng.range(4200, 6200),
    humHz: rng.pick([100, 120]),
  };
}

/** one opening of the valve, seconds from the clip start */
interface Actuation {
  open: number;
  close: number;
}

function render(ctx: RenderContext, u: ValveUnit): void {
  const { out, sr, cond, anomaly, rng } = ctx;
  const n = out.length;
  const dur = n / sr;
  const period = (u.periodS / cond.speed) * spread(rng, 0.01);
  const i = anomaly?.intensity ?? 0;
  const kind = anomaly?.kind;

  // the schedule: every cycle of the pattern, starting somewhere before the clip
  const acts: Actuation[] = [];
  for (let start = -rng.uniform() * period; start < dur; start += period) {
    for (const [a, b] of u.pattern) {
      let open = start + a * period + rng.normal() * 0.003 * period;
      let close = start + b * period + rng.normal() * 0.003 * period;
      if (kind === 'irregular_timing') {
        if (rng.chance(0.4 * i)) continue; // a missed actuation
        const sd = 0.14 * period * i;
        open += rng.normal() * sd;
        close = Math.max(open + 0.03, close + rng.normal() * sd);
      }
      acts.push({ open, close });
      if (kind === 'irregular_timing' && rng.chance(0.25 * i)) {
        const t = close + rng.range(0.04, 0.12); // chatter: a spurious re-open
        acts.push({ open: t, close: t + rng.range(0.03, 0.08) });
      }
    }
  }

  const pressure = Math.sqrt(0.3 + cond.load);
  const click = new Float32Array(n);
  const thump = new Float32Array(n);
  const flowEnv = new Float32Array(n);
  const w = (2 * Math.PI * u.clickHz) / sr;
  const strike = (u.clickQ / Math.sin(w)) * 2.5 * pressure;
  for (const a of acts) {
    let open = a.open;
    let ramp = 0.012;
    let slam = 1;
    if (kind === 'sticking') {
      // stick-slip: a few weak jerks, then a late, sluggish opening and a hard close
      const delay = Math.min(0.16 * i * period, 0.7 * (a.close - a.open));
      const jerks = 3 + Math.round(4 * i);
      for (let k = 1; k <= jerks; k++) addImpulse(click, (open + (k * delay) / (jerks + 1) + rng.normal() * 0.002) * sr, strike * rng.range(0.2, 0.45) * Math.min(1, 3 * i));
      open += delay;
      ramp = 0.012 + 0.12 * i;
      slam = 1 + 0.8 * i;
    }
    addImpulse(click, open * sr, strike * spread(rng, 0.1));
    addImpulse(thump, open * sr, strike * 0.5 * spread(rng, 0.1));
    addImpulse(click, a.close * sr, strike * 0.75 * slam * spread(rng, 0.1));
    addImpulse(thump, a.close * sr, strike * 0.9 * slam * spread(rng, 0.1));
    addGate(flowEnv, sr, open, a.close, Math.min(ramp, 0.5 * (a.close - open)));
  }
  addFiltered(out, click, bandpass(u.clickHz, u.clickQ, sr));
  addFiltered(out, click, bandpass(u.clickHz * 2.3, u.clickQ, sr), 0.4);
  addFiltered(out, thump, bandpass(u.thumpHz, 3, sr), 0.7);

  const hiss = filterInPlace(noise(rng, n), bandpass(u.hissHz, 1.2, sr));
  normaliseRms(hiss, 0.12 * pressure * spread(rng, 0.08));
  for (let k = 0; k < n; k++) flowEnv[k] = Math.min(1, flowEnv[k]);
  multiplyInPlace(hiss, flowEnv);
  addInto(out, hiss);

  // the supply keeps running between actuations: faint hum and a soft bed
  const cyc = cycles(n, sr, u.humHz);
  addPartial(out, cyc, 1, 0.04 * spread(rng, 0.1));
  addPartial(out, cyc, 2, 0.015 * spread(rng, 0.1));
  const bed = filterInPlace(pinkInPlace(noise(rng, n)), lowpass(1500, 0.7, sr));
  addInto(out, normaliseRms(bed, 0.03));

  if (kind === 'leak') {
    // gas escaping through the closed seat: a continuous high-pitched hiss
    const leak = filterInPlace(filterInPlace(noise(rng, n), highpass(u.leakHz * 0.75, 0.7, sr)), lowpass(7200, 0.7, sr));
    filterInPlace(leak, bandpass(u.leakHz, 0.8, sr));
    addInto(out, normaliseRms(leak, 0.1 * pressure * i));
  }
}

export const valve = family<ValveUnit>({
  type: 'valve',
  description: 'valve on a duty cycle: open and close clicks in a pattern, flow hiss while open',
  anomalies: [
    { kind: 'leak', description: 'seat leak: a steady high-pitched hiss that goes on while the valve is closed' },
    { kind: 'irregular_timing', description: 'irregular timing: actuations early or late, missed, or chattering' },
    { kind: 'sticking', description: 'sticking: stick-slip jerks and a late, slow opening, then a slam on closing' },
  ],
  unit,
  render,
});
