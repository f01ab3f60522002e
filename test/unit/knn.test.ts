import { afterAll, describe, expect, it } from 'vitest';
import { cosineMaxSim, euclideanKnn } from '../../src/main/approaches/common/knn';
import { createRng } from '../../src/main/approaches/common/rng';
import { opsBackendInfo, releaseOpsSessions } from '../../src/main/approaches/common/ort-ops';

afterAll(() => releaseOpsSessions());

function randn(n: number, seed: number): Float32Array {
  const r = createRng(seed);
  return Float32Array.from({ length: n }, () => r.normal());
}

/** Naive reference: every pair, double precision, written independently of the blocked kernels. */
function naiveCosineMax(q: Float32Array, nq: number, k: Float32Array, nk: number, d: number) {
  const sim: number[] = [];
  const idx: number[] = [];
  for (let i = 0; i < nq; i++) {
    let best = -Infinity;
    let bi = -1;
    for (let j = 0; j < nk; j++) {
      let dot = 0, a = 0, b = 0;
      for (let x = 0; x < d; x++) {
        dot += q[i * d + x] * k[j * d + x];
        a += q[i * d + x] ** 2;
        b += k[j * d + x] ** 2;
      }
      const s = a > 0 && b > 0 ? dot / Math.sqrt(a * b) : 0;
      if (s > best) { best = s; bi = j; }
    }
    sim.push(best);
    idx.push(bi);
  }
  return { sim, idx };
}

function naiveKnn(q: Float32Array, nq: number, k: Float32Array, nk: number, d: number, kk: number, ex?: Int32Array) {
  const dist: number[][] = [];
  const idx: number[][] = [];
  for (let i = 0; i < nq; i++) {
    const all: [number, number][] = [];
    for (let j = 0; j < nk; j++) {
      if (ex && ex[i] === j) continue;
      let s = 0;
      for (let x = 0; x < d; x++) s += (q[i * d + x] - k[j * d + x]) ** 2;
      all.push([Math.sqrt(s), j]);
    }
    all.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    dist.push(all.slice(0, kk).map((e) => e[0]));
    idx.push(all.slice(0, kk).map((e) => e[1]));
  }
  return { dist, idx };
}

const BACKENDS = ['ort', 'ts'] as const;

describe('cosineMaxSim', () => {
  it.each(BACKENDS)('hand-computed 3-dim case (%s)', async (backend) => {
    const q = Float32Array.of(1, 0, 0, 1, 1, 0, 0, 0, 2, 0, 0, 0);
    const k = Float32Array.of(2, 0, 0, 0, 1, 1, 1, 1, 1);
    const r = await cosineMaxSim(q, 4, k, 3, 3, { backend });
    expect(r.backend).toBe(backend);
    // q0 = e1 matches k0 exactly; q1 = (1,1,0)/sqrt2 . (1,1,1)/sqrt3 = 2/sqrt6; q2 = e3 . (0,1,1)/sqrt2 = 1/sqrt2
    expect(Array.from(r.index)).toEqual([0, 2, 1, 0]);
    expect(r.sim[0]).toBeCloseTo(1, 6);
    expect(r.sim[1]).toBeCloseTo(2 / Math.sqrt(6), 6);
    expect(r.sim[2]).toBeCloseTo(1 / Math.SQRT2, 6);
    // a zero query has cosine 0 to everything: first key wins
    expect(r.sim[3]).toBe(0);
  });

  it.each(BACKENDS)('exact nearest key among near-duplicates (%s)', async (backend) => {
    const d = 16;
    const keys = randn(50 * d, 1);
    // query = key 37 plus a tiny perturbation: key 37 must win
    const q = keys.slice(37 * d, 38 * d);
    q[3] += 1e-3;
    const r = await cosineMaxSim(q, 1, keys, 50, d, { backend });
    expect(r.index[0]).toBe(37);
    expect(r.sim[0]).toBeGreaterThan(0.99999);
  });

  it('ONNX Runtime path equals the TypeScript path and a naive reference (768 dims, odd chunk boundaries)', async () => {
    const d = 768, nq = 77, nk = 301;
    const q = randn(nq * d, 2);
    const k = randn(nk * d, 3);
    const ref = naiveCosineMax(q, nq, k, nk, d);
    for (const chunk of [undefined, { queries: 10, keys: 64 }, { queries: 77, keys: 7 }, { queries: 1, keys: 300 }]) {
      const a = await cosineMaxSim(q, nq, k, nk, d, { backend: 'ort', chunk });
      const b = await cosineMaxSim(q, nq, k, nk, d, { backend: 'ts', chunk });
      expect(a.backend).toBe('ort');
      for (let i = 0; i < nq; i++) {
        expect(Math.abs(a.sim[i] - b.sim[i])).toBeLessThan(1e-5);
        expect(Math.abs(a.sim[i] - ref.sim[i])).toBeLessThan(1e-5);
      }
      expect(Array.from(a.index)).toEqual(ref.idx);
      expect(Array.from(b.index)).toEqual(ref.idx);
    }
  });

  it('bounded tiles: tileFloats smaller than one query row of keys still merges correctly', async () => {
    const d = 5, nq = 33, nk = 129;
    const q = randn(nq * d, 4);
    const k = randn(nk * d, 5);
    const ref = naiveCosineMax(q, nq, k, nk, d);
    const a = await cosineMaxSim(q, nq, k, nk, d, { backend: 'ort', tileFloats: 100 });
    expect(Array.from(a.index)).toEqual(ref.idx);
  });

  it('ties keep the lowest key index across key chunks', async () => {
    const k = Float32Array.of(0, 1, 1, 0, 2, 0, 3, 0); // keys 1, 2, 3 all point along e1
    for (const backend of BACKENDS) {
      const r = await cosineMaxSim(Float32Array.of(5, 0), 1, k, 4, 2, { backend, chunk: { keys: 1 } });
      expect(r.index[0]).toBe(1);
    }
  });

  it('rejects bad shapes with a message naming the argument', async () => {
    await expect(cosineMaxSim(new Float32Array(5), 2, new Float32Array(6), 2, 3)).rejects.toThrow(/queries has length 5, expected 2 x 3/);
    await expect(cosineMaxSim(new Float32Array(6), 2, new Float32Array(0), 0, 3)).rejects.toThrow(/keys is empty/);
  });

  it('uses ONNX Runtime by default here', async () => {
    const r = await cosineMaxSim(new Float32Array(4).fill(1), 2, new Float32Array(4).fill(1), 2, 2);
    expect(r.backend, String(opsBackendInfo().ortError)).toBe('ort');
  });
});

describe('euclideanKnn', () => {
  it.each(BACKENDS)('hand-computed 2-dim case (%s)', async (backend) => {
    const keys = Float32Array.of(0, 0, 3, 4, 1, 1, -2, 0);
    const r = await euclideanKnn(Float32Array.of(0, 0, 3, 3), 2, keys, 4, 2, 3, { backend });
    // from (0,0): 0 (k0), sqrt2 (k2), 2 (k3); from (3,3): 1 (k1), 2*sqrt2 (k2), 3*sqrt2 (k0)
    expect(Array.from(r.index)).toEqual([0, 2, 3, 1, 2, 0]);
    const want = [0, Math.SQRT2, 2, 1, 2 * Math.SQRT2, 3 * Math.SQRT2];
    want.forEach((w, i) => expect(r.dist[i]).toBeCloseTo(w, 5));
  });

  it('ONNX Runtime path equals the TypeScript path and a naive reference across chunk boundaries', async () => {
    const d = 37, nq = 45, nk = 203, k = 5;
    const q = randn(nq * d, 6);
    const keys = randn(nk * d, 7);
    const ref = naiveKnn(q, nq, keys, nk, d, k);
    for (const chunk of [undefined, { queries: 8, keys: 16 }, { queries: 45, keys: 3 }]) {
      for (const backend of BACKENDS) {
        const r = await euclideanKnn(q, nq, keys, nk, d, k, { backend, chunk });
        expect(r.backend).toBe(backend);
        expect(Array.from(r.index)).toEqual(ref.idx.flat());
        ref.dist.flat().forEach((w, i) => expect(Math.abs(r.dist[i] - w)).toBeLessThan(1e-5 * Math.max(1, w)));
      }
    }
  });

  it('leave-one-out exclude skips the given key (also when it falls in another chunk)', async () => {
    const d = 8, n = 61, k = 3;
    const x = randn(n * d, 8);
    const ex = Int32Array.from({ length: n }, (_, i) => (i % 10 === 9 ? -1 : i));
    const ref = naiveKnn(x, n, x, n, d, k, ex);
    for (const backend of BACKENDS) {
      for (const chunk of [undefined, { queries: 7, keys: 2 }, { queries: 16, keys: 13 }]) {
        const r = await euclideanKnn(x, n, x, n, d, k, { backend, chunk, exclude: ex });
        expect(Array.from(r.index)).toEqual(ref.idx.flat());
        for (let i = 0; i < n; i++) {
          if (ex[i] >= 0) expect(Array.from(r.index.subarray(i * k, i * k + k))).not.toContain(i);
          else {
            expect(r.index[i * k]).toBe(i); // not excluded: a point is its own nearest key at distance 0
            expect(r.dist[i * k]).toBe(0);
          }
        }
      }
    }
  });

  it('clamps the expansion at 0 for identical points and keeps ties by lower index', async () => {
    const p = Float32Array.of(1000.5, -2000.25, 3000.125);
    const keys = new Float32Array([...p, ...p, ...p]);
    for (const backend of BACKENDS) {
      const r = await euclideanKnn(p, 1, keys, 3, 3, 3, { backend, chunk: { keys: 2 } });
      expect(Array.from(r.index)).toEqual([0, 1, 2]);
      for (const v of r.dist) {
        expect(Number.isNaN(v)).toBe(false);
        expect(v).toBeGreaterThanOrEqual(0);
      }
    }
  });

  it('rejects k larger than the bank and malformed exclude', async () => {
    const x = new Float32Array(6);
    await expect(euclideanKnn(x, 3, x, 3, 2, 4)).rejects.toThrow(/k must be an integer in \[1, 3\]/);
    await expect(euclideanKnn(x, 3, x, 3, 2, 3, { exclude: new Int32Array(3) })).rejects.toThrow(/\[1, 2\].*one excluded/);
    await expect(euclideanKnn(x, 3, x, 3, 2, 1, { exclude: new Int32Array(2) })).rejects.toThrow(/exclude must be an Int32Array of length nq = 3/);
  });
});
