// Approach C numerics: the prototypical loss and its backprop against PyTorch autograd and against
// finite differences, the inner SGD loop and Reptile step, and the prototype scores.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRng } from '../../src/main/approaches/common';
import { adaptOnEpisode, embedRows, gradBuffers, gradNorm, initMlp, protoLoss, type EpisodeBatch, type MlpWeights } from '../../src/main/approaches/c/net';
import { joinPrototypes, kindPrototypes, kindStats, leaveOneOutScores, looNearest, scoreRows, type PrototypeSet } from '../../src/main/approaches/c/prototypes';
import { metaStepAt, reptileStep } from '../../src/main/approaches/c/train';

const ref = JSON.parse(fs.readFileSync(path.resolve(__dirname, '..', 'fixtures', 'approach-c', 'reference.json'), 'utf8'));

function refWeights<A extends Float32Array | Float64Array>(make: (v: number[]) => A, w = ref.network.w as number[][], b = ref.network.b as number[][]): MlpWeights<A> {
  return { sizes: ref.network.sizes, w: w.map(make), b: b.map(make) };
}

function refBatch(): EpisodeBatch {
  const e = ref.episode;
  return {
    x: Float64Array.from(e.x),
    dim: ref.network.sizes[0],
    nSupport: e.supportClass.length,
    supportClass: Int32Array.from(e.supportClass),
    queryClass: Int32Array.from(e.queryClass),
    nClasses: e.nClasses,
  };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('prototypical loss against PyTorch (float64 autograd)', () => {
  it('matches loss, accuracy and every weight and bias gradient', () => {
    const m = refWeights((v) => Float64Array.from(v));
    const g = gradBuffers(m.sizes);
    const r = protoLoss(m, refBatch(), ref.episode.temperature, g);
    expect(r.loss).toBeCloseTo(ref.loss, 12);
    expect(r.accuracy).toBe(ref.accuracy);
    for (let l = 0; l < m.w.length; l++) {
      expect(maxAbsDiff(g.w[l], ref.grads.w[l]), `dW${l}`).toBeLessThan(1e-12);
      expect(maxAbsDiff(g.b[l], ref.grads.b[l]), `db${l}`).toBeLessThan(1e-12);
    }
  });

  it('runs the inner SGD loop and the Reptile step as PyTorch does (float32 weights)', () => {
    const m = refWeights((v) => Float32Array.from(v));
    const r = adaptOnEpisode(m, refBatch(), ref.inner.steps, ref.inner.lr, ref.episode.temperature);
    expect(r.loss).toBeCloseTo(ref.inner.firstLoss, 5);
    for (let l = 0; l < m.w.length; l++) {
      expect(maxAbsDiff(r.weights.w[l], ref.inner.adapted.w[l]), `adapted W${l}`).toBeLessThan(2e-6);
      expect(maxAbsDiff(r.weights.b[l], ref.inner.adapted.b[l]), `adapted b${l}`).toBeLessThan(2e-6);
    }
    // Reptile from float32-rounded start and adapted weights, as the trainer does it
    const adapted = refWeights((v) => Float32Array.from(v), ref.inner.adapted.w, ref.inner.adapted.b);
    reptileStep(m, adapted, ref.reptile.eps);
    for (let l = 0; l < m.w.length; l++) {
      expect(maxAbsDiff(m.w[l], ref.reptile.w[l]), `meta W${l}`).toBeLessThan(1e-6);
      expect(maxAbsDiff(m.b[l], ref.reptile.b[l]), `meta b${l}`).toBeLessThan(1e-6);
    }
  });
});

describe('inner-loop gradient clipping', () => {
  it('caps one SGD step at lr x maxGradNorm in global L2 norm, and leaves small gradients alone', () => {
    const m = refWeights((v) => Float32Array.from(v));
    const g = gradBuffers(m.sizes);
    protoLoss(m, refBatch(), ref.episode.temperature, g);
    const norm = gradNorm(g);
    const stepNorm = (clip: number) => {
      const r = adaptOnEpisode(m, refBatch(), 1, 0.1, ref.episode.temperature, clip);
      let q = 0;
      r.weights.w.forEach((w, l) => w.forEach((v, i) => (q += (v - m.w[l][i]) ** 2)));
      r.weights.b.forEach((b, l) => b.forEach((v, i) => (q += (v - m.b[l][i]) ** 2)));
      return Math.sqrt(q);
    };
    expect(stepNorm(norm / 4)).toBeCloseTo(0.1 * (norm / 4), 5);
    expect(stepNorm(norm * 2)).toBeCloseTo(0.1 * norm, 5);
    expect(stepNorm(Infinity)).toBeCloseTo(0.1 * norm, 5);
  });
});

describe('gradient check by central differences', () => {
  it('agrees with backprop on a random tiny network, two hidden layers, uneven shots', () => {
    const rng = createRng(11);
    const sizes = [7, 6, 5, 4];
    const m: MlpWeights<Float64Array> = { sizes, w: [], b: [] };
    for (let l = 0; l + 1 < sizes.length; l++) {
      m.w.push(Float64Array.from({ length: sizes[l] * sizes[l + 1] }, () => rng.normal() * 0.7));
      m.b.push(Float64Array.from({ length: sizes[l + 1] }, () => rng.normal() * 0.3));
    }
    const supportClass = Int32Array.from([0, 0, 0, 1, 2, 2]);
    const queryClass = Int32Array.from([2, 0, 1, 1, 2, 0, 2]);
    const batch: EpisodeBatch = { x: Float64Array.from({ length: 13 * 7 }, () => rng.normal()), dim: 7, nSupport: 6, supportClass, queryClass, nClasses: 3 };
    const T = 2.3;
    const g = gradBuffers(sizes);
    protoLoss(m, batch, T, g);
    let checked = 0;
    let worst = 0;
    for (const part of ['w', 'b'] as const) {
      for (let l = 0; l < m.w.length; l++) {
        const a = m[part][l];
        for (let i = 0; i < a.length; i++) {
          const v = a[i];
          const h = 1e-6;
          a[i] = v + h;
          const lp = protoLoss(m, batch, T).loss;
          a[i] = v - h;
          const lm = protoLoss(m, batch, T).loss;
          a[i] = v;
          const fd = (lp - lm) / (2 * h);
          worst = Math.max(worst, Math.abs(fd - g[part][l][i]) / (1e-4 + Math.abs(fd)));
          checked++;
        }
      }
    }
    expect(checked).toBe(7 * 6 + 6 + 6 * 5 + 5 + 5 * 4 + 4);
    expect(worst).toBeLessThan(1e-5);
  });

  it('detects a wrong gradient (the check can fail): a flipped sign on one weight is caught', () => {
    const m = refWeights((v) => Float64Array.from(v));
    const g = gradBuffers(m.sizes);
    protoLoss(m, refBatch(), ref.episode.temperature, g);
    const i = 3;
    const v = m.w[0][i];
    m.w[0][i] = v + 1e-6;
    const lp = protoLoss(m, refBatch(), ref.episode.temperature).loss;
    m.w[0][i] = v - 1e-6;
    const lm = protoLoss(m, refBatch(), ref.episode.temperature).loss;
    const fd = (lp - lm) / 2e-6;
    expect(Math.abs(fd)).toBeGreaterThan(1e-3);
    expect(Math.abs(fd - -g.w[0][i])).toBeGreaterThan(1e-3);
    expect(Math.abs(fd - g.w[0][i])).toBeLessThan(1e-7);
  });
});

describe('network basics', () => {
  it('initialises deterministically from the seed, He-scaled', () => {
    const a = initMlp([256, 128, 64], 5);
    const b = initMlp([256, 128, 64], 5);
    const c = initMlp([256, 128, 64], 6);
    expect(a.w[0]).toEqual(b.w[0]);
    expect(a.w[0]).not.toEqual(c.w[0]);
    const v = a.w[0].reduce((s, x) => s + x * x, 0) / a.w[0].length;
    expect(v).toBeGreaterThan((2 / 256) * 0.9);
    expect(v).toBeLessThan((2 / 256) * 1.1);
    expect(a.b.every((x) => x.every((y) => y === 0))).toBe(true);
  });

  it('embeds rows with ReLU between layers and none after the last (hand-computed)', () => {
    const m: MlpWeights = { sizes: [2, 2, 1], w: [Float32Array.from([1, -1, 2, 1]), Float32Array.from([1, 1])], b: [Float32Array.from([0, -1]), Float32Array.from([-5])] };
    // row (1, 1): hidden = relu([1 + 2, -1 + 1 - 1]) = [3, 0]; out = 3 - 5 = -2
    // row (2, -1): hidden = relu([2 - 2, -2 - 1 - 1]) = [0, 0]; out = -5
    expect(Array.from(embedRows(m, Float32Array.from([1, 1, 2, -1]), 2))).toEqual([-2, -5]);
  });

  it('rejects an inconsistent episode naming the problem', () => {
    const m = refWeights((v) => Float64Array.from(v));
    expect(() => protoLoss(m, { ...refBatch(), dim: 5 }, 1)).toThrow(/6/);
    expect(() => protoLoss(m, { ...refBatch(), supportClass: Int32Array.from([0, 0, 0, 0, 0, 0]) }, 1)).toThrow(/class 1 has no support clip/);
    expect(() => protoLoss(m, { ...refBatch(), queryClass: Int32Array.from([0, 1, 1, 2, 3]) }, 1)).toThrow(/query class index 3/);
  });

  it('anneals the Reptile step linearly', () => {
    expect(metaStepAt(0, 100, 1, 0)).toBe(1);
    expect(metaStepAt(50, 100, 1, 0)).toBe(0.5);
    expect(metaStepAt(75, 100, 0.8, 0.2)).toBeCloseTo(0.35, 12);
  });
});

describe('prototype scores against NumPy', () => {
  const s = ref.scoring;
  const protos: PrototypeSet = { dim: s.dim, data: Float32Array.from(s.prototypes), kind: s.kind, label: s.kind.map((_: string, i: number) => `p${i}`), size: s.kind.map(() => 1) };
  const q = Float32Array.from(s.queries);
  const n = s.queries.length / s.dim;

  it('nearest, lse, per-kind distances and min-z', () => {
    for (const mode of ['nearest', 'lse', 'min-z'] as const) {
      const r = scoreRows(q, n, protos, mode, s.temperature, s.stats);
      const want = mode === 'nearest' ? s.nearest : mode === 'lse' ? s.lse : s.minZ;
      // float32 inputs: compare at float32 precision
      r.forEach((x, i) => {
        expect(x.score).toBeCloseTo(want[i], 5);
        expect(x.nearest).toBeCloseTo(s.nearest[i], 5);
        expect(x.lse).toBeCloseTo(s.lse[i], 5);
        expect(x.dTarget).toBeCloseTo(s.dTarget[i], 5);
        expect(x.dSource).toBeCloseTo(s.dSource[i], 5);
        expect(x.minZ).toBeCloseTo(s.minZ[i], 5);
      });
    }
  });

  it('lse stays finite when every prototype is far (shifted log-sum-exp)', () => {
    const far = Float32Array.from({ length: s.dim }, () => 1e3);
    const r = scoreRows(far, 1, protos, 'lse', 0.01);
    expect(Number.isFinite(r[0].lse)).toBe(true);
    expect(r[0].lse).toBeGreaterThan(1e7);
  });

  it("refuses 'min-z' without the statistics of a kind present", () => {
    expect(() => scoreRows(q, n, protos, 'min-z', 1, { target: s.stats.target })).toThrow(/source distance statistics/);
  });

  it('leave-one-out nearest distances and their statistics match a brute-force rebuild', () => {
    const L = ref.loo;
    const rows = { emb: Float32Array.from(L.rows), keys: L.keys as string[], names: (L.keys as string[]).map((_, i) => `r${i}`) };
    for (const mode of ['clips', 'classes', 'mean'] as const) {
      const got = looNearest(rows, L.dim, mode);
      got.forEach((d, i) => expect(d, `${mode} row ${i}`).toBeCloseTo(L.nearest[mode][i], 5));
      const st = kindStats(got)!;
      expect(st.mean).toBeCloseTo(L.stats[mode].mean, 5);
      expect(st.std).toBeCloseTo(L.stats[mode].std, 5);
      expect(st.n).toBe(L.stats[mode].n);
    }
  });

  it('builds one prototype per clip, per metadata class (sorted) or one mean', () => {
    const emb = Float32Array.from([0, 0, 2, 2, 4, 4, 10, 10]);
    const rows = { emb, keys: ['b', 'a', 'b', 'a'], names: ['w', 'x', 'y', 'z'] };
    const clips = kindPrototypes(rows, 2, 'target', 'clips');
    expect(clips.label).toEqual(['w', 'x', 'y', 'z']);
    const classes = kindPrototypes(rows, 2, 'source', 'classes');
    expect(classes.label).toEqual(['a', 'b']);
    expect(Array.from(classes.data)).toEqual([6, 6, 2, 2]);
    expect(classes.size).toEqual([2, 2]);
    const mean = kindPrototypes(rows, 2, 'target', 'mean');
    expect(Array.from(mean.data)).toEqual([4, 4]);
    expect(kindPrototypes(rows, 2, 'source', 'none').kind).toEqual([]);
  });

  it('leave-one-out training scores equal scoring each row against prototypes rebuilt without it', () => {
    const rng = createRng(4);
    const dim = 3;
    const mk = (n: number, keys: string[]) => ({ emb: Float32Array.from({ length: n * dim }, () => rng.normal()), keys, names: keys.map((_, i) => `clip${keys.length}-${i}`) });
    const target = mk(4, ['t', 't', 't', 'u']);
    const source = mk(7, ['a', 'b', 'a', 'c', 'b', 'a', 'b']);
    const stats = { target: { mean: 1, std: 0.5, n: 4 }, source: { mean: 1.2, std: 0.6, n: 7 } };
    const drop = (r: typeof target, i: number) => ({ emb: Float32Array.from([...r.emb.slice(0, i * dim), ...r.emb.slice((i + 1) * dim)]), keys: r.keys.filter((_, j) => j !== i), names: r.names.filter((_, j) => j !== i) });
    for (const tp of ['clips', 'classes', 'mean'] as const) {
      for (const sp of ['clips', 'classes', 'none'] as const) {
        const modes = { targetPrototypes: tp, sourcePrototypes: sp };
        const build = (t: typeof target, s: typeof source) => joinPrototypes(kindPrototypes(t, dim, 'target', tp), kindPrototypes(s, dim, 'source', sp));
        const protos = build(target, source);
        const rows = {
          emb: Float32Array.from([...target.emb, ...source.emb]),
          kind: [...target.keys.map(() => 'target' as const), ...source.keys.map(() => 'source' as const)],
          keys: [...target.keys, ...source.keys],
          names: [...target.names, ...source.names],
        };
        for (const mode of ['nearest', 'lse', 'min-z'] as const) {
          const got = leaveOneOutScores(rows, protos, modes, mode, 1.5, stats);
          rows.kind.forEach((k, i) => {
            const own = k === 'target' ? i : i - target.keys.length;
            const without = k === 'target' ? build(drop(target, own), source) : build(target, drop(source, own));
            const want = scoreRows(rows.emb.slice(i * dim, (i + 1) * dim), 1, without, mode, 1.5, stats)[0];
            expect(got[i].score, `${tp}+${sp} ${mode} row ${i}`).toBeCloseTo(want.score, 5);
          });
        }
      }
    }
  });
});
