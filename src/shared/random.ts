// Seeded pseudo-random numbers for reproducible statistics (bootstrap intervals, sampling).
// xoshiro128** (Blackman & Vigna) seeded through splitmix32: fast, 2^128 - 1 period, and
// simple enough that test/fixtures/metrics/make_fixtures.py mirrors it bit for bit.
// Pure: no Node, no DOM.

export interface Random {
  /** uniform integer in [0, 2^32) */
  nextUint32(): number;
  /** uniform double in [0, 1) with 53 random bits */
  next(): number;
  /** uniform integer in [0, n); exact (u32 * n) >> 32 for n <= 2^21, n must be a positive integer <= 2^32 */
  int(n: number): number;
  /** standard normal deviate (Box-Muller) */
  normal(): number;
}

const TWO_32 = 4294967296;

/** A generator whose whole sequence is fixed by `seed` (any safe integer, negative allowed). */
export function createRandom(seed: number): Random {
  if (!Number.isSafeInteger(seed)) throw new Error(`createRandom: seed must be a safe integer, got ${seed}`);
  const lo = seed >>> 0;
  const hi = Math.floor(seed / TWO_32) >>> 0;

  let sm = lo;
  const splitmix32 = (): number => {
    sm = (sm + 0x9e3779b9) >>> 0;
    let z = sm;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  // state in a typed array: uint32 values above 2^30 held in closure variables would be boxed per write
  const st = new Uint32Array(4);
  st[0] = splitmix32();
  st[1] = splitmix32() ^ hi;
  st[2] = splitmix32();
  st[3] = splitmix32();
  // the all-zero state is the one fixed point of xoshiro
  if ((st[0] | st[1] | st[2] | st[3]) === 0) st[0] = 1;

  const nextUint32 = (): number => {
    const s1 = st[1];
    const x = Math.imul(s1, 5);
    const result = Math.imul((x << 7) | (x >>> 25), 9) >>> 0;
    const t = s1 << 9;
    st[2] ^= st[0];
    st[3] ^= s1;
    st[1] ^= st[2];
    st[0] ^= st[3];
    st[2] ^= t;
    const s3 = st[3];
    st[3] = (s3 << 11) | (s3 >>> 21);
    return result;
  };

  const next = (): number => {
    const a = nextUint32() >>> 5; // 27 bits
    const b = nextUint32() >>> 6; // 26 bits
    return (a * 67108864 + b) / 9007199254740992;
  };

  const int = (n: number): number => {
    if (!Number.isInteger(n) || n < 1 || n > TWO_32) throw new Error(`Random.int: n must be an integer in [1, 2^32], got ${n}`);
    // u32 * n < 2^53 for n <= 2^21, so the product and the floor are exact (the Python mirror relies on it)
    return Math.floor((nextUint32() * n) / TWO_32);
  };

  const normal = (): number => {
    const u = 1 - next(); // (0, 1]: keeps the log finite
    const v = next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };

  return { nextUint32, next, int, normal };
}
