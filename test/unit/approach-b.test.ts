// Approach B: a hand-computed 2-D case, leave-one-out against brute force, determinism,
// state round trip, degraded fit sets and clear errors.
import { describe, expect, it } from 'vitest';
import {
  approachB, AUGMENTED_ATTR, AUGMENTED_FROM_ATTR, augmentedAttributes, type BState,
} from '../../src/main/approaches/b';
import { fitStandardiser } from '../../src/main/approaches/b/bank';
import { createRng } from '../../src/main/approaches/common';
import type { ClipFeatures, FitSet, Progress } from '../../src/main/approaches/types';

const noop: Progress = () => {};

function clip(id: number, role: ClipFeatures['role'], v: ArrayLike<number>, attributes: Record<string, string> = {}): ClipFeatures {
  return { clipId: id, name: `clip${id}.wav`, section: '00', domain: null, role, attributes, embedding: Float32Array.from(v) };
}
function fitSet(normals: ClipFeatures[]): FitSet {
  return { machineType: 'valve', section: '00', normals, noise: [] };
}
const cfg = (c: Record<string, unknown> = {}) => approachB.parseConfig(c);

// ---------------------------------------------------------------------------------------------
// Hand-built case, drawable on paper:
//   source s0 (0,0), s1 (1,0), s2 (3,0)      target t0 (0,10), t1 (0,14), t2 (0,20)
// MemMixup (lambda 0.9, K_s = all) adds 0.9 t + 0.1 s: for t0 (0,9) (0.1,9) (0.3,9);
// for t1 (0,12.6) (0.1,12.6) (0.3,12.6); for t2 (0,18) (0.1,18) (0.3,18).
// Leave-one-out, k = 1:
//   source: s0 -> s1 = 1, s1 -> s0 = 1, s2 -> s1 = 2: mean 4/3, sample std sqrt(1/3)
//   target with MemMixup (own entry and own mixups left out):
//     t0 -> (0,12.6) = 2.6, t1 -> t0 or (0,18) = 4, t2 -> t1 = 6: mean 4.2, std sqrt(2.92)
//   target without MemMixup: t0 -> t1 = 4, t1 -> t0 = 4, t2 -> t1 = 6: mean 14/3, std 2/sqrt(3)
// Queries: q1 (0,8.5), q2 (0,21), q3 (4.5,0), q4 (0,22.5).
// ---------------------------------------------------------------------------------------------
const S = [[0, 0], [1, 0], [3, 0]];
const T = [[0, 10], [0, 14], [0, 20]];
const handSet = fitSet([...S.map((v, i) => clip(1 + i, 'source_normal', v)), ...T.map((v, j) => clip(11 + j, 'target_normal', v))]);
const Q = [[0, 8.5], [0, 21], [4.5, 0], [0, 22.5]].map((v, i) => clip(100 + i, 'test', v));

const SQ3 = Math.sqrt(3);
const srcZ = (d: number) => (d - 4 / 3) * SQ3; // (d - 4/3) / sqrt(1/3)
const tgtZ = (d: number) => (d - 4.2) / Math.sqrt(2.92);
const tgtZnoMix = (d: number) => ((d - 14 / 3) * SQ3) / 2;
const D = 5; // decimals: float32 embeddings, float64 statistics

describe('approach B on a hand-computed 2-D case', () => {
  it('leave-one-out statistics match the hand computation', async () => {
    const st = await approachB.fit(handSet, cfg(), noop);
    expect(st.ks).toBe(3);
    expect(st.target.rows.length / 2).toBe(3 + 9);
    expect(st.stats.source!.mean).toBeCloseTo(4 / 3, 12);
    expect(st.stats.source!.std).toBeCloseTo(Math.sqrt(1 / 3), 12);
    expect(st.stats.target!.mean).toBeCloseTo(4.2, D);
    expect(st.stats.target!.std).toBeCloseTo(Math.sqrt(2.92), D);
    expect(Array.from(st.train.d_s.subarray(0, 3))).toEqual([1, 1, 2]);
    const dt = Array.from(st.train.d_t.subarray(3, 6));
    [2.6, 4, 6].forEach((v, i) => expect(dt[i]).toBeCloseTo(v, D));
    expect(st.warnings).toEqual([]);
  });

  it('exact d and z parts; MemMixup reverses the ranking of q1 and q2', async () => {
    const withMix = await approachB.score(await approachB.fit(handSet, cfg(), noop), Q);
    const p1 = withMix[0].parts!;
    expect(p1.d_s).toBeCloseTo(8.5, D);
    expect(p1.d_t).toBeCloseTo(0.5, D); // mixup row (0, 9)
    expect(p1.z_s).toBeCloseTo(srcZ(8.5), D);
    expect(p1.z_t).toBeCloseTo(tgtZ(0.5), D);
    expect(withMix[0].score).toBeCloseTo(tgtZ(0.5), D);
    expect(withMix[1].parts!.d_t).toBeCloseTo(1, D);
    expect(withMix[1].score).toBeCloseTo(tgtZ(1), D);
    expect(withMix[0].score).toBeLessThan(withMix[1].score);
    // the nearest normal behind the winning entry: q1's mixup row (0, 9) was made from t0 (clip 11)
    expect(p1.nn_t).toBe(11);
    expect(p1.nn_s).toBe(1);

    const noMix = await approachB.score(await approachB.fit(handSet, cfg({ memMixup: false }), noop), Q);
    expect(noMix[0].parts!.d_t).toBeCloseTo(1.5, D); // t0
    expect(noMix[0].score).toBeCloseTo(tgtZnoMix(1.5), D);
    expect(noMix[1].score).toBeCloseTo(tgtZnoMix(1), D);
    expect(noMix[0].score).toBeGreaterThan(noMix[1].score);
  });

  it('domain normalisation reverses the ranking of q3 and q4 against min(d_s, d_t)', async () => {
    const norm = await approachB.score(await approachB.fit(handSet, cfg(), noop), Q);
    const dt3 = Math.sqrt(4.2 ** 2 + 81); // q3 to mixup row (0.3, 9)
    expect(norm[2].parts!.d_s).toBeCloseTo(1.5, D);
    expect(norm[2].parts!.d_t).toBeCloseTo(dt3, D);
    expect(norm[2].parts!.z_s).toBeCloseTo(SQ3 / 6, D);
    expect(norm[2].parts!.z_t).toBeCloseTo(tgtZ(dt3), D);
    expect(norm[2].score).toBeCloseTo(SQ3 / 6, D);
    expect(norm[3].parts!.d_s).toBeCloseTo(22.5, D);
    expect(norm[3].parts!.d_t).toBeCloseTo(2.5, D);
    expect(norm[3].score).toBeCloseTo(tgtZ(2.5), D);
    expect(norm[2].score).toBeGreaterThan(norm[3].score);

    const raw = await approachB.score(await approachB.fit(handSet, cfg({ normalisation: 'none' }), noop), Q);
    expect(raw[2].score).toBeCloseTo(1.5, D);
    expect(raw[3].score).toBeCloseTo(2.5, D);
    expect(raw[2].score).toBeLessThan(raw[3].score);
    expect(raw[2].parts!.z_s).toBeUndefined();
  });

  it('transductive-test uses the batch population statistics and is flagged in the state', async () => {
    const st = await approachB.fit(handSet, cfg({ normalisation: 'transductive-test' }), noop);
    const r = await approachB.score(st, Q);
    const ds = r.map((x) => x.parts!.d_s);
    const m = ds.reduce((a, b) => a + b) / 4;
    const sd = Math.sqrt(ds.reduce((a, b) => a + (b - m) ** 2, 0) / 4);
    r.forEach((x, i) => expect(x.parts!.z_s).toBeCloseTo((ds[i] - m) / sd, 10));
    expect(st.warnings.some((w) => w.includes('transductive'))).toBe(true);
    const ser = approachB.serialise(st);
    expect(ser.json.transductive).toBe(true);
    expect(ser.json.normalisation).toBe('transductive-test');
    await expect(approachB.score(st, Q.slice(0, 1))).rejects.toThrow(/at least 2 clips/);
  });

  it('never reads a test clip domain, role or label', async () => {
    const st = await approachB.fit(handSet, cfg(), noop);
    const blind = Q.map((c) => {
      const o = { ...c } as Record<string, unknown>;
      for (const f of ['domain', 'role']) {
        Object.defineProperty(o, f, { get: () => { throw new Error(`read ${f}`); }, enumerable: true });
      }
      return o as unknown as ClipFeatures;
    });
    expect(await approachB.score(st, blind)).toEqual(await approachB.score(st, Q));
  });
});

// ---------------------------------------------------------------------------------------------
// Leave-one-out against brute force, with noise-augmented copies and K_s < all
// ---------------------------------------------------------------------------------------------
function randomSet(seed: number, ns: number, nt: number, dim: number, augEvery: number): { set: FitSet; S: number[][]; T: number[][] } {
  const rng = createRng(seed);
  const vec = (mu: number, sd: number) => Array.from({ length: dim }, () => Math.fround(mu + sd * rng.normal()));
  const S = Array.from({ length: ns }, () => vec(0, 1));
  const T = Array.from({ length: nt }, () => vec(1.5, 1.4));
  const normals: ClipFeatures[] = [];
  S.forEach((v, i) => normals.push(clip(10 + i, 'source_normal', v)));
  T.forEach((v, j) => normals.push(clip(500 + j, 'target_normal', v)));
  let augId = 9000;
  const addAug = (role: ClipFeatures['role'], origin: number, v: number[]) => {
    for (let c = 0; c < 2; c++) {
      normals.push(clip(augId++, role, v.map((x) => x + 0.05 * rng.normal()), augmentedAttributes({}, origin)));
    }
  };
  S.forEach((v, i) => { if (i % augEvery === 0) addAug('source_normal', 10 + i, v); });
  T.forEach((v, j) => addAug('target_normal', 500 + j, v));
  return { set: fitSet(normals), S, T };
}

const dist = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return Math.sqrt(s);
};
const kMean = (q: ArrayLike<number>, rows: ArrayLike<number>[], k: number) =>
  rows.map((r) => dist(q, r)).sort((a, b) => a - b).slice(0, k).reduce((a, b) => a + b) / k;

describe('approach B leave-one-out equals brute force', () => {
  it('with noisy copies, K_s = 6, k = 2', async () => {
    const { set, S, T } = randomSet(3, 24, 4, 5, 3);
    const k = 2;
    const st = await approachB.fit(set, cfg({ k, mixupSources: 6, noiseAugment: true }), noop);
    const aug = set.normals.filter((c) => c.attributes[AUGMENTED_ATTR]);
    const augOf = (id: number) => aug.filter((c) => c.attributes[AUGMENTED_FROM_ATTR] === String(id)).map((c) => c.embedding!);
    // brute-force banks built from the definition
    const mix: { owner: number; src: number; row: number[] }[] = [];
    T.forEach((t, j) => {
      const order = S.map((s, i) => ({ i, d: dist(t, s) })).sort((a, b) => a.d - b.d).slice(0, 6);
      for (const { i } of order) mix.push({ owner: j, src: i, row: t.map((x, c) => 0.9 * x + 0.1 * S[i][c]) });
    });
    const looS = S.map((s, i) => kMean(s, [...S.filter((_, x) => x !== i), ...S.flatMap((_, x) => (x === i ? [] : augOf(10 + x)))], k));
    const looT = T.map((t, j) =>
      kMean(t, [...T.filter((_, x) => x !== j), ...T.flatMap((_, x) => (x === j ? [] : augOf(500 + x))), ...mix.filter((m) => m.owner !== j).map((m) => m.row)], k),
    );
    const sToT = S.map((s, i) => kMean(s, [...T, ...T.flatMap((_, x) => augOf(500 + x)), ...mix.filter((m) => m.src !== i).map((m) => m.row)], k));
    looS.forEach((v, i) => expect(st.train.d_s[i]).toBeCloseTo(v, 5));
    looT.forEach((v, j) => expect(st.train.d_t[S.length + j]).toBeCloseTo(v, 5));
    sToT.forEach((v, i) => expect(st.train.d_t[i]).toBeCloseTo(v, 5));
    const ms = looS.reduce((a, b) => a + b) / looS.length;
    const ss = Math.sqrt(looS.reduce((a, b) => a + (b - ms) ** 2, 0) / (looS.length - 1));
    expect(st.stats.source!.mean).toBeCloseTo(ms, 6);
    expect(st.stats.source!.std).toBeCloseTo(ss, 6);
    const mt = looT.reduce((a, b) => a + b) / looT.length;
    const sdT = Math.sqrt(looT.reduce((a, b) => a + (b - mt) ** 2, 0) / (looT.length - 1));
    expect(st.stats.target!.mean).toBeCloseTo(mt, 6);
    expect(st.stats.target!.std).toBeCloseTo(sdT, 6);
    // banks hold originals plus their noisy copies
    expect(st.source.rows.length / 5).toBe(24 + 2 * 8);
    expect(st.target.rows.length / 5).toBe(4 + 2 * 4 + 4 * 6);
  });

  it('ignores augmented normals when noiseAugment is off, and says so', async () => {
    const { set } = randomSet(4, 12, 3, 4, 2);
    const st = await approachB.fit(set, cfg(), noop);
    expect(st.source.rows.length / 4).toBe(12);
    expect(st.warnings.join(' ')).toMatch(/noise-augmented normals ignored/);
  });
});

// ---------------------------------------------------------------------------------------------
// Determinism and state round trip
// ---------------------------------------------------------------------------------------------
describe('approach B state', () => {
  it('is deterministic and independent of the order the normals come in', async () => {
    const { set } = randomSet(5, 30, 5, 8, 4);
    const c = cfg({ standardise: true, noiseAugment: true, k: 2 });
    const a = approachB.serialise(await approachB.fit(set, c, noop));
    const b = approachB.serialise(await approachB.fit(set, c, noop));
    const shuffled = { ...set, normals: [...set.normals].reverse() };
    const r = approachB.serialise(await approachB.fit(shuffled, c, noop));
    for (const x of [b, r]) {
      expect(x.json).toEqual(a.json);
      expect(Object.keys(x.blobs).sort()).toEqual(Object.keys(a.blobs).sort());
      for (const key of Object.keys(a.blobs)) expect(x.blobs[key], key).toEqual(a.blobs[key]);
    }
  });

  it('round-trips through JSON text and copied blobs with bit-identical scores', async () => {
    const { set } = randomSet(6, 40, 6, 8, 5);
    for (const extra of [{ standardise: true, noiseAugment: true, k: 3 }, { normalisation: 'transductive-test' }, { memMixup: false }]) {
      const st = await approachB.fit(set, cfg(extra), noop);
      const ser = approachB.serialise(st);
      // mixup rows are rebuilt from index pairs, not stored
      expect(ser.blobs['target.base'].length).toBe(st.target.rows.length - st.target.mixTarget.length * 8);
      const stored = {
        json: JSON.parse(JSON.stringify(ser.json)),
        blobs: Object.fromEntries(Object.entries(ser.blobs).map(([k, v]) => [k, new Float32Array(v)])),
      };
      const back: BState = approachB.deserialise(stored);
      expect(back.target.rows).toEqual(st.target.rows);
      expect(back.stats).toEqual(st.stats);
      expect(back.train).toEqual(st.train);
      const queries = randomSet(7, 10, 2, 8, 99).set.normals.map((c, i) => ({ ...c, clipId: 5000 + i, role: 'test' as const }));
      expect(await approachB.score(back, queries)).toEqual(await approachB.score(st, queries));
    }
  });

  it('refuses a corrupt state with a message naming the field or blob', async () => {
    const ser = approachB.serialise(await approachB.fit(handSet, cfg(), noop));
    expect(() => approachB.deserialise({ ...ser, json: { ...ser.json, format: 'other' } })).toThrow(/field 'format'/);
    expect(() => approachB.deserialise({ ...ser, json: { ...ser.json, config: { ...(ser.json.config as object), k: 0 } } })).toThrow(/field 'k'/);
    const short = { ...ser.blobs, 'source.rows': ser.blobs['source.rows'].subarray(1) };
    expect(() => approachB.deserialise({ ...ser, blobs: short })).toThrow(/blob 'source.rows' has length 5, expected 6/);
    const badIdx = { ...ser.blobs, 'mix.source': Float32Array.from(ser.blobs['mix.source']).fill(7, 0, 1) };
    expect(() => approachB.deserialise({ ...ser, blobs: badIdx })).toThrow(/blob 'mix.source' entry 0 = 7/);
    const { 'train.d_t': _gone, ...missing } = ser.blobs;
    void _gone;
    expect(() => approachB.deserialise({ ...ser, blobs: missing })).toThrow(/blob 'train.d_t' is missing/);
  });
});

// ---------------------------------------------------------------------------------------------
// Degraded fit sets and errors
// ---------------------------------------------------------------------------------------------
describe('approach B with missing domains and bad input', () => {
  it('without target normals: source bank only, score = z_s, with a warning', async () => {
    const st = await approachB.fit(fitSet(S.map((v, i) => clip(1 + i, 'source_normal', v))), cfg(), noop);
    expect(st.warnings.join(' ')).toMatch(/no target_normal clips: source bank only/);
    const r = await approachB.score(st, Q);
    r.forEach((x) => {
      expect(x.parts!.d_t).toBeUndefined();
      expect(x.score).toBe(x.parts!.z_s);
    });
    expect(r[2].score).toBeCloseTo(SQ3 / 6, D);
  });

  it('without source normals: target bank only, no MemMixup', async () => {
    const st = await approachB.fit(fitSet(T.map((v, j) => clip(11 + j, 'target_normal', v))), cfg(), noop);
    expect(st.ks).toBe(0);
    expect(st.warnings.join(' ')).toMatch(/no source_normal clips/);
    const r = await approachB.score(st, Q);
    expect(r[3].score).toBeCloseTo(tgtZnoMix(2.5), D);
  });

  it('with one target normal the target bank borrows the source statistics', async () => {
    const st = await approachB.fit(fitSet([...S.map((v, i) => clip(1 + i, 'source_normal', v)), clip(11, 'target_normal', T[0])]), cfg(), noop);
    expect(st.stats.target).toEqual(st.stats.source);
    expect(st.warnings.join(' ')).toMatch(/target bank: 1 target normals are too few/);
    const r = await approachB.score(st, Q);
    expect(r[0].parts!.z_t).toBeCloseTo(srcZ(0.5), D);
  });

  it('refuses what cannot work, naming the reason', async () => {
    await expect(approachB.fit(fitSet([clip(1, 'clean_machine', [0, 0])]), cfg(), noop)).rejects.toThrow(/no source_normal or target_normal clips/);
    await expect(approachB.fit(fitSet(S.slice(0, 2).map((v, i) => clip(1 + i, 'source_normal', v))), cfg(), noop)).rejects.toThrow(/cannot estimate leave-one-out statistics/);
    await expect(approachB.fit(fitSet([clip(1, 'source_normal', [0, 0]), clip(2, 'source_normal', [0, 0, 1])]), cfg(), noop)).rejects.toThrow(/clip 'clip2.wav' \(id 2\): field 'embedding' has 3 dims, expected 2/);
    const noEmb = { ...clip(3, 'source_normal', [1, 1]), embedding: undefined };
    await expect(approachB.fit(fitSet([clip(1, 'source_normal', [0, 0]), noEmb]), cfg(), noop)).rejects.toThrow(/clip 'clip3.wav' \(id 3\) has no field 'embedding'/);
    await expect(approachB.fit(fitSet([clip(1, 'source_normal', [0, NaN])]), cfg(), noop)).rejects.toThrow(/value 1 is not finite/);
    await expect(approachB.fit(fitSet([clip(1, 'test', [0, 0])]), cfg(), noop)).rejects.toThrow(/role 'test', which is not a normal training role/);
    const orphan = clip(50, 'source_normal', [1, 1], augmentedAttributes({}, 77));
    await expect(approachB.fit(fitSet([...handSet.normals, orphan]), cfg({ noiseAugment: true }), noop)).rejects.toThrow(/augmentedFrom = '77' does not name/);
    await expect(approachB.fit(fitSet(S.map((v, i) => clip(1 + i, 'source_normal', v))), cfg({ k: 4 }), noop)).rejects.toThrow(/k = 4 but the source bank has only 3 entries/);
    const dup = [...handSet.normals, clip(1, 'source_normal', [5, 5])];
    await expect(approachB.fit(fitSet(dup), cfg(), noop)).rejects.toThrow(/clip id 1 .* appears twice/);
    const st = await approachB.fit(handSet, cfg(), noop);
    await expect(approachB.score(st, [clip(9, 'test', [1, 2, 3])])).rejects.toThrow(/clip 'clip9.wav' \(id 9\): field 'embedding' has 3 dims, the fitted banks have 2/);
  });

  it('stops at an aborted signal', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(approachB.fit(handSet, cfg(), noop, ac.signal)).rejects.toThrow();
  });
});

describe('approach B per-dimension standardisation', () => {
  it('fits population mean / std on the original normals and leaves constant dims unscaled', () => {
    const st = fitStandardiser([Float32Array.of(0, 5, 2, 5), Float32Array.of(4, 5)], 2);
    expect(Array.from(st.mean)).toEqual([2, 5]);
    expect(st.std[0]).toBeCloseTo(Math.sqrt(8 / 3), 6); // (4 + 0 + 4) / 3
    expect(st.std[1]).toBe(1); // constant: dividing would only amplify rounding noise
  });

  it('equals B without standardisation on embeddings standardised by hand', async () => {
    const full = randomSet(8, 20, 4, 3, 99).set;
    const set = fitSet(full.normals.filter((c) => !c.attributes[AUGMENTED_ATTR]));
    const rows = set.normals.map((c) => Array.from(c.embedding!));
    const mean = [0, 1, 2].map((j) => rows.reduce((a, r) => a + r[j], 0) / rows.length);
    const sd = [0, 1, 2].map((j) => Math.sqrt(rows.reduce((a, r) => a + (r[j] - mean[j]) ** 2, 0) / rows.length));
    const byHand = fitSet(set.normals.map((c) => ({ ...c, embedding: Float32Array.from(c.embedding!, (v, j) => (v - mean[j]) / sd[j]) })));
    const q = [clip(900, 'test', [0.3, -1, 2]), clip(901, 'test', [1.5, 1.5, 1.5])];
    const qHand = q.map((c) => ({ ...c, embedding: Float32Array.from(c.embedding!, (v, j) => (v - mean[j]) / sd[j]) }));
    const a = await approachB.score(await approachB.fit(set, cfg({ standardise: true }), noop), q);
    const b = await approachB.score(await approachB.fit(byHand, cfg(), noop), qHand);
    a.forEach((r, i) => {
      expect(r.score).toBeCloseTo(b[i].score, 4);
      expect(r.parts!.d_t).toBeCloseTo(b[i].parts!.d_t, 4);
    });
  });
});

describe('approach B config', () => {
  it('has the documented defaults and feature request', () => {
    expect(approachB.defaults).toMatchObject({
      encoder: 'logmel_stats', k: 1, memMixup: true, mixupLambda: 0.9, mixupSources: 'all',
      normalisation: 'loo-train', noiseAugment: false,
    });
    expect(approachB.featureRequest(approachB.defaults)).toEqual({ kind: 'embedding', encoder: 'logmel_stats' });
    expect(approachB.featureRequest(cfg({ encoder: 'oww-speech', layer: 2 }))).toEqual({ kind: 'embedding', encoder: 'oww-speech', layer: 2 });
  });

  it('names the field in parse errors', () => {
    expect(() => cfg({ k: 0 })).toThrow(/field 'k'/);
    expect(() => cfg({ mixupLambda: 1 })).toThrow(/field 'mixupLambda'/);
    expect(() => cfg({ normalisation: 'test-stats' })).toThrow(/field 'normalisation'/);
    expect(() => cfg({ mixupSources: 'some' })).toThrow(/field 'mixupSources'/);
    expect(() => cfg({ kk: 1 })).toThrow(/kk/);
  });
});
