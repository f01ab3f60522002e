import { describe, expect, it } from 'vitest';
import { jlMinDim, kCenterGreedy, kCenterGreedyAsync, sparseRandomProjection } from '../../src/main/approaches/common/coreset';
import { createRng } from '../../src/main/approaches/common/rng';

function randn(n: number, seed: number): Float32Array {
  const r = createRng(seed);
  return Float32Array.from({ length: n }, () => r.normal());
}

/** Covering radius: the largest distance from any point to its nearest chosen center (exact, naive). */
function radius(x: Float32Array, n: number, d: number, centers: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < n; i++) {
    let best = Infinity;
    for (let c = 0; c < centers.length; c++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += (x[i * d + j] - x[centers[c] * d + j]) ** 2;
      best = Math.min(best, s);
    }
    worst = Math.max(worst, Math.sqrt(best));
  }
  return worst;
}

function* combinations(n: number, m: number, from = 0, acc: number[] = []): Generator<number[]> {
  if (acc.length === m) {
    yield acc.slice();
    return;
  }
  for (let i = from; i < n; i++) {
    acc.push(i);
    yield* combinations(n, m, i + 1, acc);
    acc.pop();
  }
}

describe('kCenterGreedy', () => {
  it('follows the hand-computed greedy sequence on points 0, 1, 3, 7, 8 of a line', () => {
    const x = Float32Array.of(0, 1, 3, 7, 8);
    // from 0: farthest is 8; then min distances 1, 3, 1 -> 3; then 1 and 7 tie at 1 -> lower index (point 1)
    expect(Array.from(kCenterGreedy(x, 5, 1, 4, { start: 0, projectDim: null }))).toEqual([0, 4, 2, 1]);
    expect(Array.from(kCenterGreedy(x, 5, 1, 2, { start: 3, projectDim: null }))).toEqual([3, 0]);
  });

  it('covers within twice the optimal radius (brute-forced optimum, every start)', () => {
    for (const seed of [1, 2, 3]) {
      const n = 12, d = 2, m = 3;
      const x = randn(n * d, seed);
      let opt = Infinity;
      for (const c of combinations(n, m)) opt = Math.min(opt, radius(x, n, d, c));
      for (let start = 0; start < n; start++) {
        const sel = kCenterGreedy(x, n, d, m, { start, projectDim: null });
        expect(new Set(sel).size).toBe(m);
        expect(radius(x, n, d, sel)).toBeLessThanOrEqual(2 * opt + 1e-9);
      }
    }
  });

  it('is deterministic under a seed and uses the seed for the start', () => {
    const x = randn(300 * 16, 4);
    const a = kCenterGreedy(x, 300, 16, 20, { seed: 7 });
    expect(Array.from(kCenterGreedy(x, 300, 16, 20, { seed: 7 }))).toEqual(Array.from(a));
    const starts = new Set([1, 2, 3, 4, 5, 6].map((s) => kCenterGreedy(x, 300, 16, 1, { seed: s })[0]));
    expect(starts.size).toBeGreaterThan(1);
  });

  it('cosine metric ignores row scale', () => {
    const n = 40, d = 6;
    const x = randn(n * d, 5);
    const scaled = x.map((v, i) => v * (1 + Math.floor(i / d)));
    const a = kCenterGreedy(x, n, d, 8, { metric: 'cosine', start: 0, projectDim: null });
    const b = kCenterGreedy(scaled, n, d, 8, { metric: 'cosine', start: 0, projectDim: null });
    expect(Array.from(b)).toEqual(Array.from(a));
  });

  it('on a random projection (PatchCore default) still covers far better than random sampling', () => {
    // clustered 768-dim data: 20 tight clusters; a good coreset of 20 hits every cluster
    const n = 1000, d = 768, clusters = 20;
    const r = createRng(9);
    const centers = randn(clusters * d, 10).map((v) => v * 10);
    const x = new Float32Array(n * d);
    for (let i = 0; i < n; i++) {
      const c = i % clusters;
      for (let j = 0; j < d; j++) x[i * d + j] = centers[c * d + j] + 0.1 * r.normal();
    }
    const sel = kCenterGreedy(x, n, d, clusters, { seed: 1 });
    expect(new Set(Array.from(sel, (i) => i % clusters)).size).toBe(clusters);
    const rand = Array.from({ length: clusters }, () => r.int(n));
    expect(radius(x, n, d, sel)).toBeLessThan(0.5 * radius(x, n, d, rand));
  });

  it('returns every index when m >= n and rejects bad arguments', () => {
    expect(Array.from(kCenterGreedy(new Float32Array(6), 3, 2, 5))).toEqual([0, 1, 2]);
    expect(() => kCenterGreedy(new Float32Array(6), 3, 2, 0)).toThrow(/m must be a positive integer/);
    expect(() => kCenterGreedy(new Float32Array(5), 3, 2, 1)).toThrow(/points has length 5, expected 3 x 2/);
    expect(() => kCenterGreedy(new Float32Array(6), 3, 2, 1, { start: 3 })).toThrow(/start must be an index in \[0, 3\)/);
  });
});

describe('sparseRandomProjection', () => {
  it('preserves pairwise squared distances on average (JL), deterministically', () => {
    const n = 60, d = 768, p = jlMinDim(n);
    expect(p).toBe(Math.ceil((4 * Math.log(60)) / (0.81 / 2 - 0.729 / 3)));
    const x = randn(n * d, 11);
    const y = sparseRandomProjection(x, n, d, p, 3);
    expect(Array.from(sparseRandomProjection(x, n, d, p, 3))).toEqual(Array.from(y));
    let ratio = 0, pairs = 0;
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        let a = 0, b = 0;
        for (let t = 0; t < d; t++) a += (x[i * d + t] - x[j * d + t]) ** 2;
        for (let t = 0; t < p; t++) b += (y[i * p + t] - y[j * p + t]) ** 2;
        ratio += b / a;
        pairs++;
      }
    }
    expect(ratio / pairs).toBeGreaterThan(0.85);
    expect(ratio / pairs).toBeLessThan(1.15);
  });
});

describe('kCenterGreedyAsync (ONNX Runtime matrix-vector product)', () => {
  it('picks the same centers as the TypeScript path', async () => {
    const x = Float32Array.of(0, 1, 3, 7, 8);
    expect(Array.from(await kCenterGreedyAsync(x, 5, 1, 4, { start: 0, projectDim: null, backend: 'ort' }))).toEqual([0, 4, 2, 1]);
    const n = 800, d = 300;
    const y = randn(n * d, 21);
    for (const metric of ['cosine', 'euclidean'] as const) {
      const a = kCenterGreedy(y, n, d, 60, { seed: 3, metric });
      const b = await kCenterGreedyAsync(y, n, d, 60, { seed: 3, metric, backend: 'ort' });
      expect(Array.from(b)).toEqual(Array.from(a));
    }
    expect(Array.from(await kCenterGreedyAsync(y, n, d, 10, { seed: 3, backend: 'ts' }))).toEqual(Array.from(kCenterGreedy(y, n, d, 10, { seed: 3 })));
  });
});
