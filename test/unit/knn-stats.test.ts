import { describe, expect, it } from 'vitest';
import { leaveOneOutZStats, topQuantileMean, zScore, zScoreStats } from '../../src/main/approaches/common/stats';

describe('topQuantileMean', () => {
  it('averages the top ceil(q n) values', () => {
    const v = Float32Array.of(3, 9, 1, 10, 5, 2, 8, 4, 7, 6);
    expect(topQuantileMean(v, 0.25)).toBeCloseTo((10 + 9 + 8) / 3, 12); // q n = 2.5 -> 3 values
    expect(topQuantileMean(v, 0.1)).toBe(10);
    expect(topQuantileMean(v, 0.01)).toBe(10); // q n = 0.1 -> at least one value
    expect(topQuantileMean(v, 1)).toBeCloseTo(5.5, 12);
    expect(topQuantileMean([1, 2, 3, 4, 5, 6, 7], 0.3)).toBeCloseTo((7 + 6 + 5) / 3, 12); // 2.1 -> 3
  });

  it('does not round an exact q n up through floating point (0.07 * 100 = 7.000000000000001)', () => {
    const v = Float64Array.from({ length: 100 }, (_, i) => i);
    expect(topQuantileMean(v, 0.07)).toBeCloseTo((99 + 93) / 2, 12); // 7 values, not 8
  });

  it('matches the default clip-score case: 1212 patches, q = 0.05 -> 61 values', () => {
    const v = Float64Array.from({ length: 1212 }, (_, i) => (i * 7919) % 1212);
    // values are a permutation of 0..1211: the top 61 are 1151..1211
    expect(topQuantileMean(v, 0.05)).toBeCloseTo((1151 + 1211) / 2, 9);
  });

  it('rejects bad input', () => {
    expect(() => topQuantileMean([], 0.5)).toThrow(/empty/);
    expect(() => topQuantileMean([1], 0)).toThrow(/q must be in \(0, 1\]/);
    expect(() => topQuantileMean([1], 1.5)).toThrow(/q must be in/);
    expect(() => topQuantileMean([1, NaN], 0.5)).toThrow(/values\[1\] is NaN/);
  });
});

describe('z-score statistics', () => {
  it('mean and std with ddof 0 and 1 (hand-computed)', () => {
    const s0 = zScoreStats([2, 4, 4, 4, 5, 5, 7, 9]);
    expect(s0.mean).toBe(5);
    expect(s0.std).toBe(2); // the textbook population-std example
    const s1 = zScoreStats([1, 2, 3, 4], 1);
    expect(s1.std).toBeCloseTo(Math.sqrt(5 / 3), 12);
    expect(zScore(9, s0)).toBe(2);
    expect(zScore(3, { mean: 3, std: 0 })).toBe(0);
    expect(() => zScoreStats([1], 1)).toThrow(/need more than ddof=1/);
  });

  it('leave-one-out statistics equal recomputing without each value', () => {
    const v = [0.3, 1.7, -2.2, 5.1, 0.9, 0.91, 3.3];
    for (const ddof of [0, 1]) {
      const loo = leaveOneOutZStats(v, ddof);
      v.forEach((_, i) => {
        const s = zScoreStats(v.filter((__, j) => j !== i), ddof);
        expect(loo.mean[i]).toBeCloseTo(s.mean, 12);
        expect(loo.std[i]).toBeCloseTo(s.std, 12);
      });
    }
    expect(() => leaveOneOutZStats([1, 2], 1)).toThrow(/need more than 2 values/);
  });
});
