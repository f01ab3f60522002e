// Each anomaly kind changes what a listener (and a vibration analyst) would expect it to change.
// Measurements here are independent of the synthesiser's DSP: band limiting by FFT (fft.js),
// single lines by Goertzel, and the defect frequencies from the textbook formulas written out.
import FFT from 'fft.js';
import { describe, expect, it } from 'vitest';
import { sectionModel, speedFactor, loadFraction, synthesizeClip, type ClipSpec } from '../../src/main/data/generator/clip';
import type { BearingUnit } from '../../src/main/data/generator/machines/bearing';
import type { CompressorUnit } from '../../src/main/data/generator/machines/compressor';
import type { FanUnit } from '../../src/main/data/generator/machines/fan';
import type { GearboxUnit } from '../../src/main/data/generator/machines/gearbox';
import type { MotorUnit } from '../../src/main/data/generator/machines/motor';
import type { PumpUnit } from '../../src/main/data/generator/machines/pump';
import type { ValveUnit } from '../../src/main/data/generator/machines/valve';
import { MACHINE_TYPES, anomalyKinds } from '../../src/main/data/generator';

const SR = 16000;
const SEED = 11;
const SPEED_LEVEL = 3;
const LOAD_LEVEL = 3;
const SPEED = speedFactor(SPEED_LEVEL);
const LOAD = loadFraction(LOAD_LEVEL);
const DEBUG = process.env.HARK_GEN_DEBUG === '1';

function spec(machine: string, kind: string | null, clipSeed = 5, intensity = 0.8): ClipSpec {
  return {
    machine,
    seed: SEED,
    section: 0,
    clipSeed,
    speedLevel: SPEED_LEVEL,
    loadLevel: LOAD_LEVEL,
    noiseId: 'B',
    micPosition: 1,
    snrDb: 40, // background far below the machine: measure the machine
    anomaly: kind ? { kind, intensity } : null,
    machineOn: true,
  };
}

function unitOf<U>(machine: string): U {
  return sectionModel(machine, SEED, 0).unit as U;
}

const N_FFT = 1 << 18; // >= 160000 samples

/** x band-limited to [lo, hi] Hz by zeroing FFT bins (a brick-wall filter, zero phase) */
function band(x: Float32Array, lo: number, hi: number): Float64Array {
  const f = new FFT(N_FFT);
  const input = new Float64Array(N_FFT);
  input.set(x);
  const spec = f.createComplexArray() as number[];
  f.realTransform(spec, input);
  f.completeSpectrum(spec);
  for (let k = 0; k < N_FFT; k++) {
    const hz = ((k <= N_FFT / 2 ? k : N_FFT - k) * SR) / N_FFT;
    if (hz < lo || hz > hi) spec[2 * k] = spec[2 * k + 1] = 0;
  }
  const back = f.createComplexArray() as number[];
  f.inverseTransform(back, spec);
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = back[2 * i];
  return out;
}

function kurtosis(x: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) m += x[i];
  m /= x.length;
  let v = 0,
    k = 0;
  for (let i = 0; i < x.length; i++) {
    const d = (x[i] - m) ** 2;
    v += d;
    k += d * d;
  }
  v /= x.length;
  return k / x.length / (v * v);
}

function energyDb(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return 10 * Math.log10(s / x.length + 1e-30);
}

/** periodogram |X(f)|^2 of x (zero-padded to a power of two) with its bin spacing */
function spectrum(x: ArrayLike<number>, rate: number): { p: Float64Array; df: number } {
  let n = 1;
  while (n < x.length) n <<= 1;
  const f = new FFT(n);
  const input = new Float64Array(n);
  for (let i = 0; i < x.length; i++) input[i] = x[i];
  const out = f.createComplexArray() as number[];
  f.realTransform(out, input);
  const p = new Float64Array(n / 2 + 1);
  for (let k = 0; k <= n / 2; k++) p[k] = out[2 * k] ** 2 + out[2 * k + 1] ** 2;
  return { p, df: rate / n };
}

/** strongest bin within +-tol (relative) of f */
function peakNear(s: { p: Float64Array; df: number }, f: number, tol = 0.02): number {
  let m = 0;
  for (let k = Math.floor((f * (1 - tol)) / s.df); k <= Math.ceil((f * (1 + tol)) / s.df); k++) if (k >= 0 && k < s.p.length) m = Math.max(m, s.p[k]);
  return m;
}

/** strongest line within +-tol of f, in dB over the median bin of the surrounding 10-30 % on both sides */
function lineProminenceDb(x: ArrayLike<number>, f: number, rate: number, tol = 0.03): number {
  const s = spectrum(x, rate);
  const ref: number[] = [];
  for (const sign of [-1, 1]) {
    for (let k = Math.floor((f * (1 + sign * 0.1)) / s.df); sign > 0 ? k <= (f * 1.3) / s.df : k >= (f * 0.7) / s.df; k += sign) ref.push(s.p[k]);
  }
  ref.sort((a, b) => a - b);
  return 10 * Math.log10(peakNear(s, f, tol) / ref[ref.length >> 1]);
}

/** squared envelope of x in [lo, hi] Hz, block-averaged to 1 kHz, mean removed: what an envelope analyser looks at */
function envelope(x: Float32Array, lo: number, hi: number): { env: Float64Array; rate: number } {
  const b = band(x, lo, hi);
  const hop = 16;
  const env = new Float64Array(Math.floor(b.length / hop));
  for (let k = 0; k < env.length; k++) {
    let s = 0;
    for (let j = 0; j < hop; j++) s += b[k * hop + j] ** 2;
    env[k] = s / hop;
  }
  let m = 0;
  for (const v of env) m += v;
  m /= env.length;
  for (let k = 0; k < env.length; k++) env[k] -= m;
  return { env, rate: SR / hop };
}

function envelopeLineDb(x: Float32Array, lo: number, hi: number, f: number, tol = 0.03): number {
  const { env, rate } = envelope(x, lo, hi);
  return lineProminenceDb(env, f, rate, tol);
}

function log(name: string, normal: number, anomalous: number): void {
  if (DEBUG) console.log(`${name}: normal ${normal.toFixed(2)} anomaly ${anomalous.toFixed(2)}`);
}

/** measure on a normal clip and on the anomalous clip of the same seed and condition */
function compare(machine: string, kind: string, measure: (x: Float32Array) => number): { normal: number; anomaly: number } {
  const normal = measure(synthesizeClip(spec(machine, null)));
  const anomaly = measure(synthesizeClip(spec(machine, kind)));
  log(`${machine}/${kind}`, normal, anomaly);
  return { normal, anomaly };
}

describe('generator anomalies: every family has several kinds, and each does what it says', () => {
  it('every machine type has at least three anomaly kinds with descriptions', () => {
    expect(MACHINE_TYPES.length).toBeGreaterThanOrEqual(7);
    for (const m of MACHINE_TYPES) expect(anomalyKinds(m).length).toBeGreaterThanOrEqual(3);
  });

  describe('fan', () => {
    const u = unitOf<FanUnit>('fan');
    const shaft = u.shaftHz * SPEED;
    it('imbalance adds a once-per-turn modulation (envelope line at the shaft rate)', () => {
      const r = compare('fan', 'imbalance', (x) => envelopeLineDb(x, 200, 4000, shaft));
      expect(r.anomaly - r.normal).toBeGreaterThan(10);
    });
    it('blade damage adds shaft-rate sidebands around the blade-pass line', () => {
      const bpf = u.blades * shaft;
      const side = (x: Float32Array) => {
        const lo = band(x, 20, 2000);
        return 10 * Math.log10((goertzelMax(lo, bpf - shaft) + goertzelMax(lo, bpf + shaft)) / goertzelMax(lo, bpf));
      };
      const r = compare('fan', 'blade_damage', side);
      expect(r.anomaly - r.normal).toBeGreaterThan(6);
    });
    it('rub raises the energy in its scraping band', () => {
      const r = compare('fan', 'rub', (x) => energyDb(band(x, u.rubHz * 0.8, u.rubHz * 1.25)));
      expect(r.anomaly - r.normal).toBeGreaterThan(6);
    });
  });

  describe('bearing', () => {
    const u = unitOf<BearingUnit>('bearing');
    const fr = u.shaftHz * SPEED;
    // textbook kinematics, written out independently of the model's helper
    const cosA = Math.cos((u.contactDeg * Math.PI) / 180);
    const bpfo = (u.balls / 2) * fr * (1 - u.ballRatio * cosA);
    const bpfi = (u.balls / 2) * fr * (1 + u.ballRatio * cosA);
    const bsf = (fr / (2 * u.ballRatio)) * (1 - (u.ballRatio * cosA) ** 2);
    const res = (x: Float32Array) => band(x, u.resonanceHz * 0.85, u.resonanceHz * 1.15);
    it('outer-race defect: impulsive resonance band and an envelope line at BPFO', () => {
      const k = compare('bearing', 'outer_race', (x) => kurtosis(res(x)));
      expect(k.normal).toBeLessThan(3.6);
      expect(k.anomaly).toBeGreaterThan(k.normal + 1.5);
      const e = compare('bearing', 'outer_race', (x) => envelopeLineDb(x, u.resonanceHz * 0.85, u.resonanceHz * 1.15, bpfo));
      expect(e.anomaly).toBeGreaterThan(15);
      expect(e.anomaly - e.normal).toBeGreaterThan(10);
    });
    it('inner-race defect: an envelope line at BPFI', () => {
      const e = compare('bearing', 'inner_race', (x) => envelopeLineDb(x, u.resonanceHz * 0.85, u.resonanceHz * 1.15, bpfi));
      expect(e.anomaly - e.normal).toBeGreaterThan(10);
    });
    it('rolling-element defect: an envelope line at twice the ball-spin frequency', () => {
      const e = compare('bearing', 'ball', (x) => envelopeLineDb(x, u.resonanceHz * 0.85, u.resonanceHz * 1.15, 2 * bsf));
      expect(e.anomaly - e.normal).toBeGreaterThan(8);
    });
  });

  describe('valve', () => {
    const u = unitOf<ValveUnit>('valve');
    const period = u.periodS / SPEED;
    /** the quietest tenth of 50 ms frames in the leak band: what is left while the valve is shut */
    const closedHiss = (x: Float32Array) => {
      const b = band(x, u.leakHz * 0.8, Math.min(7500, u.leakHz * 1.25));
      const frame = 800;
      const e: number[] = [];
      for (let k = 0; k + frame <= b.length; k += frame) e.push(energyDb(b.subarray(k, k + frame)));
      e.sort((a, c) => a - c);
      return e[Math.floor(e.length / 10)];
    };
    it('leak: a hiss that stays while the valve is closed', () => {
      const r = compare('valve', 'leak', closedHiss);
      expect(r.anomaly - r.normal).toBeGreaterThan(10);
    });
    /** how strongly the (30 ms smoothed) loudness envelope repeats after about one cycle (1 = perfectly regular) */
    const regularity = (x: Float32Array) => {
      const { env: raw, rate } = envelope(x, 100, 6000);
      const w = Math.round(0.03 * rate);
      const env = raw.map((_, k) => {
        let s = 0;
        for (let j = Math.max(0, k - w); j <= Math.min(raw.length - 1, k + w); j++) s += raw[j];
        return s;
      });
      let best = -1;
      for (let lag = Math.round(0.95 * period * rate); lag <= Math.round(1.05 * period * rate); lag++) {
        let num = 0,
          d1 = 0,
          d2 = 0;
        for (let k = 0; k + lag < env.length; k++) {
          num += env[k] * env[k + lag];
          d1 += env[k] ** 2;
          d2 += env[k + lag] ** 2;
        }
        best = Math.max(best, num / Math.sqrt(d1 * d2));
      }
      return best;
    };
    it('irregular timing: the cycle no longer repeats itself', () => {
      const r = compare('valve', 'irregular_timing', regularity);
      expect(r.normal).toBeGreaterThan(0.6);
      expect(r.normal - r.anomaly).toBeGreaterThan(0.2);
    });
    it('sticking: extra stick-slip transients before each opening', () => {
      /** count 5 ms frames whose click-band energy jumps 12 dB over the frame before */
      const transients = (x: Float32Array) => {
        const b = band(x, u.clickHz * 0.8, u.clickHz * 1.25);
        const frame = 80;
        let prev = Infinity,
          count = 0;
        for (let k = 0; k + frame <= b.length; k += frame) {
          const e = energyDb(b.subarray(k, k + frame));
          if (e > prev + 12) count++;
          prev = e;
        }
        return count;
      };
      const r = compare('valve', 'sticking', transients);
      expect(r.anomaly).toBeGreaterThan(r.normal * 1.5);
    });
  });

  describe('pump', () => {
    const u = unitOf<PumpUnit>('pump');
    const fr = u.shaftHz * SPEED;
    it('cavitation: bursty broadband crackle (impulsive and louder above 2 kHz)', () => {
      const k = compare('pump', 'cavitation', (x) => kurtosis(band(x, 2000, 7000)));
      expect(k.anomaly).toBeGreaterThan(k.normal + 2);
      const e = compare('pump', 'cavitation', (x) => energyDb(band(x, 2000, 7000)));
      expect(e.anomaly - e.normal).toBeGreaterThan(3);
    });
    it('impeller damage: the flow surges once per turn (envelope line at the shaft rate)', () => {
      const r = compare('pump', 'impeller_damage', (x) => envelopeLineDb(x, 150, 2500, fr));
      expect(r.anomaly - r.normal).toBeGreaterThan(10);
    });
    it('seal squeal: a narrow line appears near the squeal frequency', () => {
      const r = compare('pump', 'seal_squeal', (x) => lineProminenceDb(x, u.squealHz, SR, 0.05));
      expect(r.anomaly - r.normal).toBeGreaterThan(10);
    });
  });

  describe('motor', () => {
    const u = unitOf<MotorUnit>('motor');
    const supply = u.lineHz * SPEED;
    const slip = u.slip * (0.3 + 0.7 * LOAD);
    const shaft = (supply / u.polePairs) * (1 - slip);
    it('broken rotor bar: the sound beats at the pole-pass frequency 2 s f', () => {
      // the fault also raises slip by up to 40 %: search the beat between the healthy and faulty slip
      const pp = 2 * slip * supply * 1.2;
      const r = compare('motor', 'broken_rotor_bar', (x) => envelopeLineDb(x, 60, 3000, pp, 0.25));
      expect(r.anomaly - r.normal).toBeGreaterThan(8);
    });
    it('winding fault: the 2x supply hum and its harmonics rise', () => {
      const r = compare('motor', 'winding_hum', (x) => energyDb(band(x, 2 * supply * 0.97, 2 * supply * 1.03)) );
      expect(r.anomaly - r.normal).toBeGreaterThan(6);
    });
    it('misalignment: the 2x shaft line rises', () => {
      // the drive holds speed tightly: a narrow search keeps the 2x supply hum next door out
      const r = compare('motor', 'misalignment', (x) => 10 * Math.log10(peakNear(spectrum(x, SR), 2 * shaft, 0.006)));
      expect(r.anomaly - r.normal).toBeGreaterThan(10);
    });
  });

  describe('compressor', () => {
    const u = unitOf<CompressorUnit>('compressor');
    it('knock: heavy impulsive energy in the knock band', () => {
      const r = compare('compressor', 'knock', (x) => energyDb(band(x, u.knockHz * 0.85, u.knockHz * 1.15)));
      expect(r.anomaly - r.normal).toBeGreaterThan(6);
    });
    it('valve leak: hiss above 3 kHz', () => {
      // above the discharge-valve ring, where only the leak adds energy
      const r = compare('compressor', 'valve_leak', (x) => energyDb(band(x, Math.max(4500, 1.3 * u.dischargeHz), 7500)));
      expect(r.anomaly - r.normal).toBeGreaterThan(6);
    });
    it('valve flutter: more energy in the discharge-valve band (bounces after each click)', () => {
      const r = compare('compressor', 'valve_flutter', (x) => energyDb(band(x, u.dischargeHz * 0.9, u.dischargeHz * 1.1)));
      expect(r.anomaly - r.normal).toBeGreaterThan(3);
    });
  });

  describe('gearbox', () => {
    const u = unitOf<GearboxUnit>('gearbox');
    const f1 = u.inputHz * SPEED;
    const f2 = (f1 * u.inputTeeth) / u.outputTeeth;
    const gmf = u.inputTeeth * f1;
    it('tooth fault: casing rings once per input turn (envelope line at the input shaft rate)', () => {
      const r = compare('gearbox', 'tooth_fault', (x) => envelopeLineDb(x, u.casingHz * 0.85, u.casingHz * 1.15, f1));
      expect(r.anomaly - r.normal).toBeGreaterThan(10);
    });
    it('wear: the upper mesh harmonics grow against the first', () => {
      const ratio = (x: Float32Array) => {
        const b = band(x, 20, 7000);
        return 10 * Math.log10((goertzelMax(b, 2 * gmf) + goertzelMax(b, 3 * gmf)) / goertzelMax(b, gmf));
      };
      const r = compare('gearbox', 'wear', ratio);
      expect(r.anomaly - r.normal).toBeGreaterThan(4);
    });
    it('eccentricity: the mesh line swells and fades once per output turn (sidebands at the output shaft rate)', () => {
      const r = compare('gearbox', 'eccentricity', (x) => envelopeLineDb(x, gmf * 0.95, gmf * 1.05, f2, 0.03));
      expect(r.anomaly - r.normal).toBeGreaterThan(10);
    });
  });
});

/** strongest line power within +-2 % of f (speeds wander a little around nominal) */
function goertzelMax(x: ArrayLike<number>, f: number): number {
  return peakNear(spectrum(x, SR), f);
}
