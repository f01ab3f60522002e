// ROC / AUC / pAUC / section figures / official score against sklearn and scipy fixtures
// (test/fixtures/metrics/make_fixtures.py) and hand-computed cases.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  MetricError,
  arithmeticMean,
  auc,
  domainAucs,
  harmonicMean,
  officialScore,
  pauc,
  quantileSorted,
  rocCurve,
  scoreSummary,
  type ScoredClip,
} from '../../src/shared/metrics';

interface RocCase {
  name: string;
  labels: number[];
  scores: number[];
  auc: number;
  pauc: Record<string, number>;
  roc: { fpr: number[]; tpr: number[]; thresholdsAfterFirst: number[] };
}
interface RocFixture {
  cases: RocCase[];
  domain: { clips: ScoredClip[]; auc_source: number; auc_target: number; pauc_source: number; pauc_target: number; pauc: number };
  hmean: { values: number[]; official: number; arithmetic: number }[];
}
const fx = JSON.parse(readFileSync(new URL('../fixtures/metrics/roc.json', import.meta.url), 'utf8')) as RocFixture;

const TOL = 1e-9;
const close = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i]), `index ${i}: ${a[i]} vs ${b[i]}`).toBeLessThanOrEqual(TOL);
};

describe('against sklearn (fixtures)', () => {
  it('has the cases the brief asks for', () => {
    expect(fx.cases.length).toBeGreaterThanOrEqual(20);
    expect(Math.max(...fx.cases.map((c) => c.labels.length))).toBe(2000);
  });
  for (const c of fx.cases) {
    describe(c.name, () => {
      it('auc = roc_auc_score', () => {
        expect(Math.abs(auc(c.labels, c.scores) - c.auc)).toBeLessThanOrEqual(TOL);
      });
      it('pauc = roc_auc_score(max_fpr) for 0.05, 0.1, 0.3', () => {
        for (const [p, v] of Object.entries(c.pauc)) {
          expect(Math.abs(pauc(c.labels, c.scores, Number(p)) - v), `max_fpr ${p}`).toBeLessThanOrEqual(TOL);
        }
      });
      it('rocCurve = roc_curve (drop_intermediate)', () => {
        const r = rocCurve(c.labels, c.scores);
        close(r.fpr, c.roc.fpr);
        close(r.tpr, c.roc.tpr);
        expect(r.thresholds[0]).toBe(Infinity);
        // === so that the -0 / +0 of a tied pair count as the same threshold
        const t = Array.from(r.thresholds.subarray(1));
        expect(t.length).toBe(c.roc.thresholdsAfterFirst.length);
        t.forEach((v, i) => expect(v === c.roc.thresholdsAfterFirst[i], `threshold ${i}: ${v}`).toBe(true));
      });
    });
  }
  it('default maxFpr is 0.1', () => {
    const c = fx.cases[5];
    expect(pauc(c.labels, c.scores)).toBe(pauc(c.labels, c.scores, 0.1));
  });
  it('accepts typed arrays', () => {
    const c = fx.cases[7];
    expect(Math.abs(auc(Uint8Array.from(c.labels), Float32Array.from(c.scores)) - auc(c.labels, Array.from(Float32Array.from(c.scores))))).toBe(0);
  });
});

describe('hand-computed cases', () => {
  it('perfect, inverted and tied rankings', () => {
    expect(auc([0, 0, 1, 1], [1, 2, 3, 4])).toBe(1);
    expect(auc([0, 0, 1, 1], [4, 3, 2, 1])).toBe(0);
    expect(auc([0, 1], [5, 5])).toBe(0.5);
    expect(pauc([0, 0, 1, 1], [1, 2, 3, 4])).toBe(1);
    // tied: the curve is the diagonal, partial area p^2/2 = the McClish minimum -> 0.5
    expect(pauc([0, 1, 0, 1], [1, 1, 1, 1], 0.1)).toBeCloseTo(0.5, 15);
    // inverted: partial area 0, below the diagonal's p^2/2: (1 + (0 - 0.005) / 0.095) / 2
    expect(pauc([0, 0, 1, 1], [4, 3, 2, 1], 0.1)).toBeCloseTo(0.5 * (1 - 0.005 / 0.095), 15);
  });
  it('counts half for a tie between classes (Mann-Whitney)', () => {
    // anomaly 3 beats normals 1, 2 and ties normal 3: (2 + 0.5) / 3 ; anomaly 4 beats all: 3/3
    expect(auc([0, 0, 0, 1, 1], [1, 2, 3, 3, 4])).toBeCloseTo((2.5 + 3) / 6, 15);
  });
  it('pAUC interpolates at maxFpr through a tied block', () => {
    // 10 normals, 1 anomaly tied with 2 normals at the top: the first point is (0.2, 1),
    // the curve below maxFpr 0.1 is the straight line from (0, 0): tpr(0.1) = 0.5, A = 0.025
    const y = [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    const s = [9, 9, 9, 1, 1, 1, 1, 1, 1, 1, 1];
    const a = 0.025;
    expect(pauc(y, s, 0.1)).toBeCloseTo(0.5 * (1 + (a - 0.005) / (0.1 - 0.005)), 14);
  });
  it('maxFpr = 1 is the full AUC', () => {
    const c = fx.cases[6];
    expect(pauc(c.labels, c.scores, 1)).toBe(auc(c.labels, c.scores));
  });
  it('ROC points for a small case', () => {
    const r = rocCurve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]);
    expect(Array.from(r.fpr)).toEqual([0, 0, 0.5, 0.5, 1]);
    expect(Array.from(r.tpr)).toEqual([0, 0.5, 0.5, 1, 1]);
    expect(Array.from(r.thresholds)).toEqual([Infinity, 0.8, 0.4, 0.35, 0.1]);
  });
});

describe('bad input', () => {
  it('one class missing', () => {
    expect(() => auc([0, 0, 0], [1, 2, 3])).toThrow(MetricError);
    expect(() => auc([0, 0, 0], [1, 2, 3])).toThrow(/both classes, got 3 normal and 0 anomalous/);
    expect(() => pauc([1, 1], [1, 2])).toThrow(/got 0 normal and 2 anomalous/);
    expect(() => rocCurve([], [])).toThrow(MetricError);
  });
  it('NaN and infinite scores', () => {
    expect(() => auc([0, 1], [0.5, NaN])).toThrow(/score at index 1 is NaN/);
    expect(() => pauc([0, 1], [Infinity, 0])).toThrow(/score at index 0 is Infinity/);
  });
  it('labels that are not 0/1, length mismatch, bad maxFpr', () => {
    expect(() => auc([0, 2], [1, 2])).toThrow(/label at index 1 is 2/);
    expect(() => auc([0, 1, 1], [1, 2])).toThrow(/differ in length \(3 labels, 2 scores\)/);
    expect(() => pauc([0, 1], [1, 2], 0)).toThrow(/maxFpr must be in \(0, 1\]/);
    expect(() => pauc([0, 1], [1, 2], 1.5)).toThrow(MetricError);
  });
});

describe('domainAucs', () => {
  it('matches sklearn on subsets: domain normals + all anomalies; pAUC over all clips', () => {
    const d = domainAucs(fx.domain.clips);
    expect(Math.abs(d.aucSource! - fx.domain.auc_source)).toBeLessThanOrEqual(TOL);
    expect(Math.abs(d.aucTarget! - fx.domain.auc_target)).toBeLessThanOrEqual(TOL);
    expect(Math.abs(d.pauc! - fx.domain.pauc)).toBeLessThanOrEqual(TOL);
    expect(Math.abs(d.paucSource! - fx.domain.pauc_source)).toBeLessThanOrEqual(TOL);
    expect(Math.abs(d.paucTarget! - fx.domain.pauc_target)).toBeLessThanOrEqual(TOL);
    expect(d.counts).toEqual({ sourceNormal: 50, targetNormal: 50, unknownNormal: 0, sourceAnomaly: 50, targetAnomaly: 50, unknownAnomaly: 0 });
  });
  it('a target anomaly counts in AUC(source)', () => {
    const clips: ScoredClip[] = [
      { domain: 'source', label: 0, score: 1 },
      { domain: 'target', label: 0, score: 5 },
      { domain: 'target', label: 1, score: 3 },
    ];
    const d = domainAucs(clips);
    expect(d.aucSource).toBe(1);
    expect(d.aucTarget).toBe(0);
  });
  it('null, not an error, for a figure whose clip set lacks a class', () => {
    const d = domainAucs([
      { domain: 'source', label: 0, score: 1 },
      { domain: 'source', label: 1, score: 2 },
    ]);
    expect(d.aucSource).toBe(1);
    expect(d.aucTarget).toBeNull();
    expect(d.paucTarget).toBeNull();
    expect(domainAucs([{ domain: 'source', label: 0, score: 1 }]).pauc).toBeNull();
    expect(domainAucs([]).aucSource).toBeNull();
  });
  it('unknown-domain clips count only where the domain does not matter', () => {
    const d = domainAucs([
      { domain: null, label: 0, score: 9 },
      { domain: 'source', label: 0, score: 1 },
      { domain: null, label: 1, score: 2 },
    ]);
    expect(d.aucSource).toBe(1);
    expect(d.pauc).toBeLessThan(1);
    expect(d.counts.unknownNormal).toBe(1);
    expect(d.counts.unknownAnomaly).toBe(1);
  });
  it('rejects bad clips with the clip index', () => {
    expect(() => domainAucs([{ domain: 'source', label: 0, score: NaN }])).toThrow(/clip 0 has score NaN/);
    expect(() => domainAucs([{ domain: 'lab' as never, label: 0, score: 1 }])).toThrow(/clip 0 has domain lab/);
  });
});

describe('means and official score', () => {
  it('matches scipy.stats.hmean(max(v, eps)) and numpy.mean', () => {
    for (const c of fx.hmean) {
      expect(Math.abs(officialScore(c.values) - c.official)).toBeLessThanOrEqual(1e-12);
      expect(Math.abs(arithmeticMean(c.values) - c.arithmetic)).toBeLessThanOrEqual(1e-12);
    }
  });
  it("reproduces the DCASE 2025 baseline's official 56.26 from its three averages", () => {
    expect(officialScore([0.6678, 0.5139, 0.5294])).toBeCloseTo(0.5626, 4);
  });
  it('clamps zero at machine epsilon (officialScore) and returns 0 (harmonicMean)', () => {
    expect(officialScore([0, 1])).toBeCloseTo(2 * Number.EPSILON, 30);
    expect(harmonicMean([0, 1])).toBe(0);
    expect(harmonicMean([1, 2, 4])).toBeCloseTo(3 / 1.75, 15);
  });
  it('errors on empty, negative or NaN input', () => {
    expect(() => officialScore([])).toThrow(/at least one value/);
    expect(() => harmonicMean([1, -1])).toThrow(/index 1 is -1/);
    expect(() => arithmeticMean([1, NaN])).toThrow(/index 1 is NaN/);
  });
  it('scoreSummary: official over the flat list, per-figure harmonic means, mean AUC', () => {
    const s = scoreSummary([
      { aucSource: 0.8, aucTarget: 0.6, pauc: 0.55 },
      { aucSource: 0.9, aucTarget: null, pauc: 0.7 },
    ]);
    expect(s.official).toBeCloseTo(officialScore([0.8, 0.9, 0.6, 0.55, 0.7]), 15);
    expect(s.hmeanAucSource).toBeCloseTo(2 / (1 / 0.8 + 1 / 0.9), 15);
    expect(s.hmeanAucTarget).toBeCloseTo(0.6, 15);
    expect(s.ameanAuc).toBeCloseTo((0.8 + 0.9 + 0.6) / 3, 15);
    expect(s.figures).toBe(5);
    expect(() => scoreSummary([{ aucSource: null, aucTarget: null, pauc: null }])).toThrow(MetricError);
  });
});

describe('quantileSorted (numpy linear)', () => {
  it('interpolates between order statistics', () => {
    const x = [1, 2, 3, 4, 10];
    expect(quantileSorted(x, 0)).toBe(1);
    expect(quantileSorted(x, 1)).toBe(10);
    expect(quantileSorted(x, 0.5)).toBe(3);
    expect(quantileSorted(x, 0.9)).toBeCloseTo(4 + 0.6 * 6, 14);
    expect(quantileSorted([7], 0.3)).toBe(7);
    expect(() => quantileSorted([], 0.5)).toThrow(MetricError);
    expect(() => quantileSorted([1], 1.2)).toThrow(/q must be in \[0, 1\]/);
  });
});

describe('speed', () => {
  it('auc and pauc on 100,000 clips run in O(n log n)', () => {
    const n = 100_000;
    const y = new Uint8Array(n);
    const s = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      y[i] = i % 10 === 0 ? 1 : 0;
      s[i] = Math.sin(i * 12.9898) * 43758.5453 - Math.floor(Math.sin(i * 12.9898) * 43758.5453) + y[i] * 0.3;
    }
    const t0 = performance.now();
    const a = auc(y, s);
    const p = pauc(y, s);
    const ms = performance.now() - t0;
    expect(a).toBeGreaterThan(0.7);
    expect(p).toBeGreaterThan(0.5);
    // an O(n^2) pair count would take minutes here
    expect(ms).toBeLessThan(1000);
  });
});
