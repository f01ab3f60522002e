// Seeded randomness for the generator: the same seed and key always give the same stream
// (keys are hashed and bits drawn with 32-bit integer arithmetic only); Math.random is never used.
import { createRandom, type Random } from '../../../shared/random';

/** 32-bit finaliser of MurmurHash3: spreads every input bit over the whole word. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * A 32-bit seed from a key such as (seed, 'fan', 0, 'train', 'source', 'normal', 12).
 * Parts are joined with a separator that cannot occur in them, so ('a1', 2) != ('a', 12).
 */
export function deriveSeed(...parts: readonly (string | number)[]): number {
  const text = parts.map((p) => (typeof p === 'number' ? `#${p}` : `$${p}`)).join('\u0001');
  let h1 = 0x9e3779b9;
  let h2 = 0x85ebca6b;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193); // FNV-1a step
    h2 = Math.imul(h2 + c, 0x27d4eb2d) ^ (h2 >>> 15);
  }
  return fmix32((h1 ^ fmix32(h2 ^ text.length)) >>> 0);
}

/**
 * The generator's stream: the project's xoshiro128** (src/shared/random) for bits, plus the
 * draws a synthesiser needs (ranges, picks, shuffles, and a fast block Gaussian fill).
 */
export class Rng {
  private readonly bits: Random;
  private spare = 0;
  private hasSpare = false;

  constructor(seed: number) {
    this.bits = createRandom(seed >>> 0);
  }

  u32(): number {
    return this.bits.nextUint32();
  }

  /** uniform in [0, 1) */
  uniform(): number {
    return this.u32() / 4294967296;
  }

  /** uniform in [lo, hi) */
  range(lo: number, hi: number): number {
    return lo + (hi - lo) * this.uniform();
  }

  /** integer uniform in [lo, hi] (both ends included) */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.uniform() * (hi - lo + 1));
  }

  /** standard normal (Marsaglia's polar method: no trigonometry, one value kept for the next call) */
  normal(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spare;
    }
    let u: number, v: number, s: number;
    do {
      u = 2 * this.uniform() - 1;
      v = 2 * this.uniform() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const m = Math.sqrt((-2 * Math.log(s)) / s);
    this.spare = v * m;
    this.hasSpare = true;
    return u * m;
  }

  /** exponential with the given mean */
  exponential(mean: number): number {
    return -mean * Math.log(1 - this.uniform());
  }

  chance(p: number): boolean {
    return this.uniform() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('Rng.pick: empty list');
    return items[Math.floor(this.uniform() * items.length)];
  }

  /** a shuffled copy (Fisher-Yates) */
  shuffled<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(this.uniform() * (i + 1));
      const t = out[i];
      out[i] = out[j];
      out[j] = t;
    }
    return out;
  }

  /**
   * Fills `out` with standard normal samples times `std`. Bulk noise is the synthesiser's hot
   * loop, so this runs its own inline sfc32 stream (seeded from four draws of this one, so still
   * fixed by the seed) through Marsaglia and Tsang's ziggurat: one table compare per sample on
   * ~99% of draws, exact normal tails via the slow paths.
   */
  fillNormal(out: Float32Array, std = 1): Float32Array {
    const state = new Int32Array([this.u32(), this.u32(), this.u32(), this.u32() | 1]);
    const bits = new Int32Array(512);
    let j = bits.length;
    const word = (): number => {
      if (j === bits.length) {
        sfc32Block(state, bits);
        j = 0;
      }
      return bits[j++];
    };
    const unit = () => ((word() >>> 0) + 0.5) / 4294967296; // (0, 1): logs stay finite
    for (let k = 0; k < out.length; k++) {
      if (j > bits.length - 2) {
        sfc32Block(state, bits);
        j = 0;
      }
      const i = bits[j++] & ZIG_MASK;
      const u = bits[j++] / 2147483648; // signed, [-1, 1)
      let x = u * ZIG_X[i];
      if (Math.abs(x) >= ZIG_X[i + 1]) x = zigSlow(i, u, x, unit); // outside the layer's rectangle: ~1% of draws
      out[k] = x * std;
    }
    return out;
  }
}

/** fills `bits` from the sfc32 state (a, b, c, d), advancing it */
function sfc32Block(state: Int32Array, bits: Int32Array): void {
  let a = state[0],
    b = state[1],
    c = state[2],
    d = state[3];
  for (let k = 0; k < bits.length; k++) {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (((c << 21) | (c >>> 11)) + t) | 0;
    bits[k] = t;
  }
  state[0] = a;
  state[1] = b;
  state[2] = c;
  state[3] = d;
}

/** the ziggurat's rare paths: the tail beyond R for the base layer, the wedge test otherwise, then a fresh draw */
function zigSlow(i: number, u: number, x: number, unit: () => number): number {
  for (;;) {
    if (i === 0) {
      // the tail beyond R (Marsaglia 1964)
      let ex: number, ey: number;
      do {
        ex = -Math.log(unit()) / ZIG_R;
        ey = -Math.log(unit());
      } while (2 * ey < ex * ex);
      return u < 0 ? -(ZIG_R + ex) : ZIG_R + ex;
    }
    const y = ZIG_F[i] + unit() * (ZIG_F[i + 1] - ZIG_F[i]);
    if (y < Math.exp(-0.5 * x * x)) return x;
    i = Math.floor(unit() * ZIG_LAYERS) & ZIG_MASK;
    u = 2 * unit() - 1;
    x = u * ZIG_X[i];
    if (Math.abs(x) < ZIG_X[i + 1]) return x;
  }
}

// Ziggurat tables for the normal density f(x) = exp(-x^2/2): 128 layers of equal area V,
// the base layer holding the tail beyond R (constants from Marsaglia & Tsang, 2000).
const ZIG_LAYERS = 128;
const ZIG_MASK = ZIG_LAYERS - 1;
const ZIG_R = 3.442619855899;
const ZIG_V = 9.91256303526217e-3;
/** ZIG_X[i] is the outer edge of layer i (ZIG_X[0] the base layer's virtual width), decreasing to ZIG_X[128] = 0 */
const ZIG_X = new Float64Array(ZIG_LAYERS + 1);
/** ZIG_F[i] = f(ZIG_X[i]) */
const ZIG_F = new Float64Array(ZIG_LAYERS + 1);
{
  const f = (x: number) => Math.exp(-0.5 * x * x);
  ZIG_X[0] = ZIG_V / f(ZIG_R);
  ZIG_X[1] = ZIG_R;
  for (let i = 1; i < ZIG_LAYERS - 1; i++) ZIG_X[i + 1] = Math.sqrt(-2 * Math.log(ZIG_V / ZIG_X[i] + f(ZIG_X[i])));
  ZIG_X[ZIG_LAYERS] = 0;
  for (let i = 0; i <= ZIG_LAYERS; i++) ZIG_F[i] = f(ZIG_X[i]);
}
