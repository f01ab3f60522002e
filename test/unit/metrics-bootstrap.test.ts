// Seeded PRNG and stratified bootstrap against the Python mirror in
// test/fixtures/metrics/make_fixtures.py (same generator, same resampling, sklearn per replicate).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MetricError, auc, bootstrapCi, bootstrapReplicates } from '../../src/shared/metrics';
import { createRandom } from '../../src/shared/random';

interface BootCase {
  name: string;
  labels: number[];
  scores: number[];
  metric: 'auc' | 'pauc';
  maxFpr: number | null;
  n: number;
  seed: number;
  alpha: number;
  estimate: number;
  replicates: number[];
  lower: number;
  upper: number;
}
const fx = JSON.parse(readFileSync(new URL('../fixtures/metrics/bootstrap.json', import.meta.url), 'utf8')) as {
  rngSeed: number;
  rngFirst: number[];
  rngBigSeed: { seed: number; first: number[] };
  cases: BootCase[];
};

describe('createRandom', () => {
  it('matches the Python mirror bit for bit', () => {
    const r = createRandom(fx.rngSeed);
    expect(fx.rngFirst.map(() => r.nextUint32())).toEqual(fx.rngFirst);
    const big = createRandom(fx.rngBigSeed.seed);
    expect(fx.rngBigSeed.first.map(() => big.nextUint32())).toEqual(fx.rngBigSeed.first);
  });
  it('is deterministic per seed and differs between seeds', () => {
    const a = createRandom(7);
    const b = createRandom(7);
    const c = createRandom(8);
    const sa = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(sa);
    expect(Array.from({ length: 5 }, () => c.next())).not.toEqual(sa);
  });
  it('next is in [0, 1) with mean 1/2; int covers its range evenly; normal has unit variance', () => {
    const r = createRandom(1);
    const m = 200_000;
    let sum = 0;
    let sum2 = 0;
    const hist = new Uint32Array(10);
    let outside = 0;
    for (let i = 0; i < m; i++) {
      const u = r.next();
      if (!(u >= 0 && u < 1)) outside++;
      sum += u;
      hist[r.int(10)]++;
      const z = r.normal();
      sum2 += z * z;
    }
    expect(outside).toBe(0);
    expect(sum / m).toBeCloseTo(0.5, 2);
    for (const h of hist) expect(Math.abs(h - m / 10)).toBeLessThan(5 * Math.sqrt(m / 10));
    expect(sum2 / m).toBeCloseTo(1, 1);
  });
  it('rejects bad seeds and ranges', () => {
    expect(() => createRandom(0.5)).toThrow(/safe integer/);
    expect(() => createRandom(NaN)).toThrow(/safe integer/);
    expect(() => createRandom(1).int(0)).toThrow(/\[1, 2\^32\]/);
  });
});

describe('bootstrap against the sklearn mirror', () => {
  for (const c of fx.cases) {
    it(`${c.name}: every replicate, the estimate and the percentile interval`, () => {
      const opts = { n: c.n, seed: c.seed, alpha: c.alpha, ...(c.maxFpr !== null ? { maxFpr: c.maxFpr } : {}) };
      const reps = bootstrapReplicates(c.labels, c.scores, c.metric, opts);
      expect(reps.length).toBe(c.replicates.length);
      reps.forEach((v, i) => expect(Math.abs(v - c.replicates[i]), `replicate ${i}`).toBeLessThanOrEqual(1e-9));
      const ci = bootstrapCi(c.labels, c.scores, c.metric, opts);
      expect(Math.abs(ci.estimate - c.estimate)).toBeLessThanOrEqual(1e-9);
      expect(Math.abs(ci.lower - c.lower)).toBeLessThanOrEqual(1e-9);
      expect(Math.abs(ci.upper - c.upper)).toBeLessThanOrEqual(1e-9);
      expect(ci).toMatchObject({ n: c.n, seed: c.seed, alpha: c.alpha });
    });
  }
});

describe('bootstrapCi properties', () => {
  const c = fx.cases[0];
  it('same seed, same interval; another seed, another interval', () => {
    const a = bootstrapCi(c.labels, c.scores, 'auc', { n: 300, seed: 5 });
    expect(bootstrapCi(c.labels, c.scores, 'auc', { n: 300, seed: 5 })).toEqual(a);
    expect(bootstrapCi(c.labels, c.scores, 'auc', { n: 300, seed: 6 })).not.toEqual(a);
    expect(a.lower).toBeLessThanOrEqual(a.estimate);
    expect(a.upper).toBeGreaterThanOrEqual(a.estimate);
  });
  it('a custom metric sees stratified resamples of the original sizes and agrees with the built-in path', () => {
    const nA = c.labels.filter((y) => y === 1).length;
    const seen: number[] = [];
    const custom = bootstrapReplicates(c.labels, c.scores, (y, s) => {
      seen.push(y.reduce((a, v) => a + v, 0));
      expect(s.length).toBe(c.labels.length);
      return auc(y, s);
    }, { n: 50, seed: 3 });
    expect(new Set(seen)).toEqual(new Set([nA]));
    const builtin = bootstrapReplicates(c.labels, c.scores, 'auc', { n: 50, seed: 3 });
    custom.forEach((v, i) => expect(Math.abs(v - builtin[i])).toBeLessThanOrEqual(1e-12));
  });
  it('narrows as the sample grows', () => {
    const make = (n: number) => {
      const r = createRandom(11);
      const y: number[] = [];
      const s: number[] = [];
      for (let i = 0; i < n; i++) {
        const a = i % 4 === 0 ? 1 : 0;
        y.push(a);
        s.push(r.normal() + a);
      }
      return { y, s };
    };
    const small = make(80);
    const large = make(2000);
    const w = (d: { y: number[]; s: number[] }) => {
      const ci = bootstrapCi(d.y, d.s, 'auc', { n: 400, seed: 1 });
      return ci.upper - ci.lower;
    };
    expect(w(large)).toBeLessThan(w(small) / 3);
  });
  it('is fast: 1000 replicates of AUC and pAUC over 10,000 clips', () => {
    const r = createRandom(2);
    const n = 10_000;
    const y = new Uint8Array(n);
    const s = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      y[i] = i % 5 === 0 ? 1 : 0;
      s[i] = r.normal() + y[i];
    }
    const t0 = performance.now();
    bootstrapCi(y, s, 'auc');
    bootstrapCi(y, s, 'pauc');
    expect(performance.now() - t0).toBeLessThan(5000);
  });
  it('errors clearly', () => {
    expect(() => bootstrapCi([0, 0], [1, 2], 'auc')).toThrow(/bootstrap: needs both classes/);
    expect(() => bootstrapCi([0, 1], [1, 2], 'auc', { n: 0 })).toThrow(/n must be a positive integer/);
    expect(() => bootstrapCi([0, 1], [1, 2], 'auc', { alpha: 1 })).toThrow(/alpha must be in \(0, 1\)/);
    expect(() => bootstrapCi([0, 1], [1, 2], 'pauc', { maxFpr: 0 })).toThrow(MetricError);
    expect(() => bootstrapCi([0, 1], [1, 2], 'roc' as never)).toThrow(/metric must be/);
  });
});
