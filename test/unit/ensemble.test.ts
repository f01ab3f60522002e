// The rank-averaged ensemble: rank maps against numpy/scipy references (test/fixtures/ensemble,
// made by make_fixtures.py), and the validation choice among A, B, C and their ensemble.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RankMap, rankAverage, combineResults, ensembleState, deserialiseEnsemble } from '../../src/main/eval/ensemble';
import { chooseAmong, pairedBootstrap, validationFigure } from '../../src/main/eval/validate';
import { createRandom } from '../../src/shared/random';

const fx = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, '..', 'fixtures', 'ensemble', 'ranks.json'), 'utf8')) as {
  cases: { name: string; reference: number[]; queries: number[]; ranks: number[] }[];
  average: { a: number[]; b: number[]; mean_rank: number[] };
};

describe('rank map', () => {
  for (const c of fx.cases) {
    it(`equals the numpy/scipy reference (${c.name}: ${c.reference.length} reference scores, ${c.queries.length} queries)`, () => {
      const m = new RankMap(c.reference);
      c.queries.forEach((q, i) => expect(Math.abs(m.rank(q) - c.ranks[i])).toBeLessThanOrEqual(1e-12));
    });
  }

  it('hand-computed: mid-ranks for ties, linear between values, linear beyond the ends', () => {
    const m = new RankMap([3, 1, 2, 2, 5]);
    // sorted 1 2 2 3 5 -> positions 0, 0.375 (mid of 1/4 and 2/4), 0.75, 1
    expect(m.rank(1)).toBe(0);
    expect(m.rank(2)).toBeCloseTo(0.375, 15);
    expect(m.rank(4)).toBeCloseTo(0.875, 15);
    expect(m.rank(7)).toBeCloseTo(1.5, 15); // (7 - 5) / (5 - 1) beyond the top
    expect(m.rank(0)).toBeCloseTo(-0.25, 15);
  });

  it('keeps every ordering: strictly increasing over and beyond the reference', () => {
    const rng = createRandom(5);
    const ref = Array.from({ length: 50 }, () => Math.round(rng.normal() * 4) / 4);
    const m = new RankMap(ref);
    let prev = -Infinity;
    for (let x = -6; x <= 6; x += 0.01) {
      const r = m.rank(x);
      expect(r).toBeGreaterThan(prev);
      prev = r;
    }
  });

  it('refuses references it cannot rank against', () => {
    expect(() => new RankMap([])).toThrow(/at least two different scores, got none/);
    expect(() => new RankMap([1])).toThrow(/got one/);
    expect(() => new RankMap([2, 2, 2])).toThrow(/got 3 equal ones/);
    expect(() => new RankMap([1, Number.NaN])).toThrow(/must be finite/);
  });

  it('averages the members\' ranks (reference: scipy)', () => {
    const { a, b, mean_rank } = fx.average;
    const got = rankAverage([new RankMap(a), new RankMap(b)], [a, b]);
    got.forEach((v, i) => expect(Math.abs(v - mean_rank[i])).toBeLessThanOrEqual(1e-12));
    expect(() => rankAverage([new RankMap(a)], [a, b])).toThrow(/1 rank maps for 2 members/);
    expect(() => rankAverage([new RankMap(a), new RankMap(b)], [a, b.slice(1)])).toThrow(/different numbers of clips/);
  });
});

/** A verification set where A separates the source domain only and B the target domain only. */
function complementary(seed: number) {
  const rng = createRandom(seed);
  const clips: { domain: 'source' | 'target'; label: 'normal' | 'anomaly' }[] = [];
  const a: number[] = [];
  const b: number[] = [];
  for (const domain of ['source', 'target'] as const) {
    for (let i = 0; i < 40; i++) {
      const label = i < 30 ? 'normal' : 'anomaly';
      clips.push({ domain, label });
      const shift = label === 'anomaly' ? 1.6 : 0;
      a.push(rng.normal() + (domain === 'source' ? shift : 0) + (domain === 'target' ? 0.3 : 0));
      b.push(rng.normal() + (domain === 'target' ? shift : 0));
    }
  }
  return { clips, a, b };
}

describe('choice by validation among A, B, C and their ensemble', () => {
  it('picks the ensemble when it beats every single approach, and names its members', () => {
    const { clips, a, b } = complementary(1);
    const fig = (s: number[]) => validationFigure(clips.map((c, i) => ({ domain: c.domain, y: c.label === 'anomaly' ? 1 : 0, score: s[i] })))!;
    const ens = rankAverage([new RankMap(a), new RankMap(b)], [a, b]);
    expect(fig(ens)).toBeGreaterThan(Math.max(fig(a), fig(b)));
    const out = chooseAmong(clips, [
      { id: 'A', scores: a },
      { id: 'B', scores: b },
      { id: 'C', scores: null, error: 'not eligible' },
    ])!;
    expect(out.approach).toBe('ensemble');
    expect(out.members).toEqual(['A', 'B']);
    const why = out.why.join(' | ');
    expect(why).toMatch(/rank-averaged ensemble of A\+B: \d+\.\d/);
    expect(why).toMatch(/C n\/a \(not eligible\)/);
    expect(why).toMatch(/bootstrap 95 % intervals .*A\+B \d+\.\d-\d+\.\d/);
    expect(why).toMatch(/ensemble A\+B chosen/);
  });

  it('keeps the single approach when it is best, and on a tie', () => {
    const { clips, a } = complementary(2);
    const y = clips.map((c) => (c.label === 'anomaly' ? 1 : 0));
    // a perfect A: nothing can beat it, the ensemble at best ties
    const perfect = y.map((v, i) => v * 10 + i * 1e-3);
    const out = chooseAmong(clips, [
      { id: 'A', scores: perfect },
      { id: 'B', scores: a },
    ])!;
    expect(out.approach).toBe('A');
    expect(out.members).toBeUndefined();
    // the same scores twice: the ensemble equals them, the tie goes to the single approach
    const tie = chooseAmong(clips, [
      { id: 'A', scores: a },
      { id: 'B', scores: a.map((v) => 2 * v + 1) },
    ])!;
    expect(tie.approach).toBe('A');
  });

  it('reads the engineer\'s verdict before the package label, and needs both classes', () => {
    const { clips, a, b } = complementary(3);
    expect(chooseAmong(clips.map((c) => ({ ...c, label: 'normal' as const })), [{ id: 'A', scores: a }, { id: 'B', scores: b }])).toBeNull();
    // every clip relabelled by verdict: anomalies become normal and vice versa, so the figures flip
    const flipped = clips.map((c) => ({ ...c, verdict: c.label === 'anomaly' ? 'normal' : 'anomaly' }));
    const out = chooseAmong(flipped, [{ id: 'A', scores: a }, { id: 'B', scores: b }])!;
    expect(out.why[0]).toMatch(/validated on 80 labeled verification clips \(20 normal, 60 anomalous\)/);
  });

  it('paired bootstrap: the same resamples for every candidate, deterministic, intervals around the figure', () => {
    const { clips, a, b } = complementary(4);
    const rows = clips.map((c) => ({ domain: c.domain, y: (c.label === 'anomaly' ? 1 : 0) as 0 | 1 }));
    const r1 = pairedBootstrap(rows, [a, b, a]);
    const r2 = pairedBootstrap(rows, [a, b, a]);
    expect(r1).toEqual(r2);
    expect(r1[0]).toEqual(r1[2]); // identical candidates get identical intervals
    const fa = validationFigure(rows.map((r, i) => ({ ...r, score: a[i] })))!;
    expect(r1[0].lower).toBeLessThanOrEqual(fa);
    expect(r1[0].upper).toBeGreaterThanOrEqual(fa);
    expect(r1[0].wins + r1[1].wins).toBeGreaterThanOrEqual(1 - 1e-12);
  });
});

describe('ensemble state', () => {
  it('refuses fewer than two members, repeated members, and stored states it cannot read', () => {
    expect(() => ensembleState([{ approach: 'A', config: {}, state: {}, reference: [0, 1] }])).toThrow(/at least two members, got 1/);
    expect(() =>
      ensembleState([
        { approach: 'B', config: {}, state: {}, reference: [0, 1] },
        { approach: 'B', config: {}, state: {}, reference: [0, 1] },
      ]),
    ).toThrow(/members repeat: B\+B/);
    const load = (json: Record<string, unknown>) => () => deserialiseEnsemble({ json, blobs: {} });
    expect(load({ kind: 'other' })).toThrow(/field 'kind' is "other"/);
    expect(load({ kind: 'ensemble', combine: 'max' })).toThrow(/field 'combine' is "max"; this Hark knows 'rank-average'/);
    expect(load({ kind: 'ensemble', combine: 'rank-average', members: [{ approach: 'Z', reference: [0, 1], state: {} }] })).toThrow(/member 0 has approach "Z"/);
    expect(load({ kind: 'ensemble', combine: 'rank-average', members: [{ approach: 'A', state: {} }] })).toThrow(/member 0 \(A\) has no numeric 'reference'/);
    expect(load({ kind: 'ensemble', combine: 'rank-average', members: [{ approach: 'B', reference: [0, 1], state: { version: 99 } }] })).toThrow(/member 0 \(B\): /);
  });

  it('combines results: mean rank as the score, each member\'s score and rank as parts, the first map', () => {
    const fake = (approach: 'A' | 'B', reference: number[]) => ({ approach, config: {}, state: null, reference, map: new RankMap(reference), impl: null as never });
    const state = { members: [fake('A', [0, 1, 2, 3]), fake('B', [10, 20, 30])] };
    const map = { geometry: { freq: 1, time: 1 } as never, values: new Float32Array([1]) };
    const out = combineResults(state, [
      [{ score: 1.5, map }, { score: 5 }],
      [{ score: 20 }, { score: 40 }],
    ]);
    expect(out[0].score).toBeCloseTo((0.5 + 0.5) / 2, 15);
    expect(out[1].score).toBeCloseTo((1 + 2 / 3 + (1 + 10 / 20)) / 2, 15);
    expect(out[0].parts).toEqual({ A: 1.5, 'rank A': 0.5, B: 20, 'rank B': 0.5 });
    expect(out[0].map).toBe(map);
    expect(out[1].map).toBeUndefined();
  });
});
