import { afterAll, describe, expect, it } from 'vitest';
import { approachA } from '../../src/main/approaches/a';
import { parseAConfig, type AConfig } from '../../src/main/approaches/a/config';
import type { AState } from '../../src/main/approaches/a/state';
import { cosineMaxSim } from '../../src/main/approaches/common/knn';
import { createRng, type Rng } from '../../src/main/approaches/common/rng';
import { releaseOpsSessions } from '../../src/main/approaches/common/ort-ops';
import { topQuantileMean } from '../../src/main/approaches/common/stats';
import type { ClipFeatures, FitSet, PatchTokens, ScoreResult } from '../../src/main/approaches/types';
import type { Role } from '../../src/shared/domain';

afterAll(() => releaseOpsSessions());

const FREQ = 6, TIME = 20, DIM = 32, LAYERS = [0, 3];
const noop = () => {};

/** Per layer and frequency row, a prototype direction of the "machine"; one set per domain. */
function prototypes(seed: number): Float32Array[] {
  const r = createRng(seed);
  return LAYERS.map(() => Float32Array.from({ length: FREQ * DIM }, () => r.normal()));
}

/** Normal tokens: the row prototype plus noise; `defect` cells get an unrelated random vector. */
function tokens(protos: Float32Array[], r: Rng, defect: (f: number, t: number) => boolean = () => false, noise = 0.3): PatchTokens {
  const data = protos.map((p) => {
    const a = new Float32Array(FREQ * TIME * DIM);
    for (let f = 0; f < FREQ; f++) {
      for (let t = 0; t < TIME; t++) {
        const o = (f * TIME + t) * DIM;
        const bad = defect(f, t);
        for (let j = 0; j < DIM; j++) a[o + j] = bad ? 1.5 * r.normal() : p[f * DIM + j] + noise * r.normal();
      }
    }
    return a;
  });
  return { layers: LAYERS.slice(), dim: DIM, grid: { freq: FREQ, time: TIME }, data };
}

let nextId = 1;
function clip(role: Role, patches: PatchTokens, name?: string): ClipFeatures {
  const id = nextId++;
  const domain = role === 'source_normal' ? 'source' : role === 'target_normal' ? 'target' : null;
  return { clipId: id, name: name ?? `clip_${id}.wav`, section: '00', domain, role, attributes: {}, patches };
}

function fitSet(normals: ClipFeatures[]): FitSet {
  return { machineType: 'pump', section: '00', normals, noise: [] };
}

/** The paper's setting (target-only support, training-free fbank patches); Hark's defaults are measured elsewhere. */
const PAPER = { supportDomain: 'target', encoder: 'fbank_patch' } as const;
const cfg = (c: Partial<AConfig> = {}): AConfig => parseAConfig({ ...PAPER, layers: LAYERS, ...c });

function argmax(a: ArrayLike<number>): number {
  let b = 0;
  for (let i = 1; i < a.length; i++) if (a[i] > a[b]) b = i;
  return b;
}

describe('approach A config', () => {
  it('fills defaults and names the bad field', () => {
    const d = parseAConfig({});
    expect(d).toMatchObject({ encoder: 'oww_speech', layers: null, q: 0.05, supportDomain: 'both', supportClips: 10, maxKeysPerLayer: 960, mapLayers: [], geometry: null });
    // 'auto' keys per encoder, by measurement: a coreset for oww_speech, all keys for fbank_patch; explicit values win
    expect(parseAConfig({ encoder: 'fbank_patch' }).maxKeysPerLayer).toBeNull();
    expect(parseAConfig({ maxKeysPerLayer: null }).maxKeysPerLayer).toBeNull();
    expect(parseAConfig({ encoder: 'fbank_patch', maxKeysPerLayer: 500 }).maxKeysPerLayer).toBe(500);
    expect(parseAConfig(parseAConfig({})).maxKeysPerLayer).toBe(960); // a stored config parses to itself
    expect(approachA.defaults).toEqual(d);
    expect(() => parseAConfig({ q: 0 })).toThrow(/field 'q'/);
    expect(() => parseAConfig({ q: 1.5 })).toThrow(/field 'q'/);
    expect(() => parseAConfig({ supportDomain: 'all' })).toThrow(/field 'supportDomain'/);
    expect(() => parseAConfig({ layers: [] })).toThrow(/field 'layers'/);
    expect(() => parseAConfig({ layers: [1, 1] })).toThrow(/field 'layers'.*repeat/);
    expect(() => parseAConfig({ maxKeysPerLayer: 0 })).toThrow(/field 'maxKeysPerLayer'/);
    expect(() => parseAConfig({ supportClips: 2.5 })).toThrow(/field 'supportClips'/);
    expect(() => parseAConfig({ layers: [1], mapLayers: [2] })).toThrow(/field 'mapLayers'.*2 not in layers/);
    expect(() => parseAConfig({ k: 3 })).toThrow(/approach A config: field '\(config\)'.*k/);
  });

  it('asks the encoder for its patch tokens (no layers = the encoder defaults)', () => {
    expect(approachA.featureRequest(cfg({ encoder: 'ast' }))).toEqual({ kind: 'patches', encoder: 'ast', layers: LAYERS });
    expect(approachA.featureRequest(parseAConfig(PAPER))).toEqual({ kind: 'patches', encoder: 'fbank_patch', layers: [] });
  });

  it('with layers null scores every layer the tokens carry, and checks mapLayers against them', async () => {
    const protos = prototypes(20);
    const r = createRng(21);
    const set = fitSet([clip('target_normal', tokens(protos, r))]);
    const s = await approachA.fit(set, parseAConfig(PAPER), noop);
    expect(s.layers).toEqual(LAYERS);
    expect(s.memories[0].banks.map((b) => b.layer)).toEqual(LAYERS);
    await expect(approachA.fit(set, parseAConfig({ ...PAPER, mapLayers: [7] }), noop)).rejects.toThrow(/field 'mapLayers': layer\(s\) 7 not in layers \[0, 3\]/);
  });

  it('reads only the support clips it needs (trainingSubset)', () => {
    const protos = prototypes(22);
    const r = createRng(23);
    const normals = [
      ...Array.from({ length: 12 }, () => clip('target_normal', tokens(protos, r))),
      ...Array.from({ length: 4 }, () => clip('source_normal', tokens(protos, r))),
    ];
    const ids = normals.map((c) => c.clipId);
    const set = fitSet([...normals].reverse());
    expect(approachA.trainingSubset!(set, cfg())).toEqual(ids.slice(0, 10));
    expect(approachA.trainingSubset!(set, cfg({ supportClips: 3, supportDomain: 'both' }))).toEqual([...ids.slice(12, 15), ...ids.slice(0, 3)]);
    expect(approachA.trainingSubset!(set, cfg({ supportClips: null, supportDomain: 'source' }))).toEqual(ids.slice(12));
  });
});

describe('approach A scoring', () => {
  it('hand-computed 1 x 2 grid, two layers', async () => {
    const sup: PatchTokens = {
      layers: [0, 1], dim: 3, grid: { freq: 1, time: 2 },
      data: [Float32Array.of(1, 0, 0, 0, 1, 0), Float32Array.of(0, 0, 1, 0, 0, 1)],
    };
    const qry: PatchTokens = {
      layers: [0, 1], dim: 3, grid: { freq: 1, time: 2 },
      data: [Float32Array.of(1, 1, 0, 0, 0, 5), Float32Array.of(3, 0, 4, 0, 1, 0)],
    };
    const config = parseAConfig({ ...PAPER, layers: [0, 1], q: 0.5, mapLayers: [0, 1] });
    const state = await approachA.fit(fitSet([clip('target_normal', sup)]), config, noop);
    const [r] = await approachA.score(state, [clip('test', qry)]);
    // layer 0: (1,1,0) -> 1 - 1/sqrt2; (0,0,5) -> 1 - 0.  layer 1: (3,0,4)/5 -> 1 - 4/5; (0,1,0) -> 1 - 0
    const l0 = [1 - Math.SQRT1_2, 1];
    const l1 = [0.2, 1];
    const mean = [(l0[0] + l1[0]) / 2, 1];
    expect(Array.from(r.map!.perLayer![0])).toEqual(l0.map((v) => expect.closeTo(v, 6)));
    expect(Array.from(r.map!.perLayer![1])).toEqual(l1.map((v) => expect.closeTo(v, 6)));
    expect(Array.from(r.map!.values)).toEqual(mean.map((v) => expect.closeTo(v, 6)));
    expect(r.score).toBeCloseTo(1, 6); // q n = 1: the largest cell
    const all = await approachA.score({ ...state, config: { ...state.config, q: 1 } }, [clip('test', qry)]);
    expect(all[0].score).toBeCloseTo((mean[0] + mean[1]) / 2, 6);
    expect(r.parts).toEqual({ raw_target: r.score });
  });

  it('maps peak where a defect was planted, in time and in frequency, and anomalies outrank normals', async () => {
    const protos = prototypes(1);
    const r = createRng(2);
    const support = [0, 1, 2, 3].map(() => clip('target_normal', tokens(protos, r)));
    const state = await approachA.fit(fitSet(support), cfg(), noop);
    const normals = [0, 1, 2].map(() => clip('test', tokens(protos, r)));
    const cell = clip('test', tokens(protos, r, (f, t) => f === 4 && t === 13));
    const column = clip('test', tokens(protos, r, (_f, t) => t === 7));
    const row = clip('test', tokens(protos, r, (f) => f === 1));
    const res = await approachA.score(state, [...normals, cell, column, row]);
    expect(argmax(res[3].map!.values)).toBe(4 * TIME + 13);
    const timeProfile = (m: Float32Array) => Array.from({ length: TIME }, (_, t) => Array.from({ length: FREQ }, (__, f) => m[f * TIME + t]).reduce((a, b) => a + b));
    const freqProfile = (m: Float32Array) => Array.from({ length: FREQ }, (_, f) => m.subarray(f * TIME, (f + 1) * TIME).reduce((a, b) => a + b));
    expect(argmax(timeProfile(res[4].map!.values))).toBe(7);
    expect(argmax(freqProfile(res[5].map!.values))).toBe(1);
    const worstNormal = Math.max(...res.slice(0, 3).map((x) => x.score));
    for (const a of res.slice(3)) expect(a.score).toBeGreaterThan(worstNormal);
    // the clip score is the top-q mean of the returned map
    for (const x of res) expect(x.score).toBeCloseTo(topQuantileMean(x.map!.values, 0.05), 6);
    expect(res[0].map!.geometry).toEqual({ freq: FREQ, time: TIME, timeStepS: 0.5, timeSpanS: 0.5, melStep: 128 / FREQ, melSpan: 128 / FREQ, melBins: 128 });
  });

  it('the map equals 1 - max cosine to the whole bank (independent cosineMaxSim per layer), mean over layers', async () => {
    const protos = prototypes(30);
    const r = createRng(31);
    const support = [0, 1, 2].map(() => clip('target_normal', tokens(protos, r)));
    const state = await approachA.fit(fitSet(support), cfg({ mapLayers: LAYERS }), noop);
    const q = clip('test', tokens(protos, r, (f, t) => f === 5 && t === 0));
    const [res] = await approachA.score(state, [q]);
    const T = FREQ * TIME;
    const want = new Float64Array(T);
    for (let li = 0; li < LAYERS.length; li++) {
      const keys = new Float32Array(3 * T * DIM);
      support.forEach((c, i) => keys.set(c.patches!.data[li], i * T * DIM));
      const { sim } = await cosineMaxSim(q.patches!.data[li], T, keys, 3 * T, DIM, { backend: 'ts' });
      for (let i = 0; i < T; i++) {
        expect(res.map!.perLayer![LAYERS[li]][i]).toBeCloseTo(1 - sim[i], 5);
        want[i] += (1 - sim[i]) / LAYERS.length;
      }
    }
    for (let i = 0; i < T; i++) expect(res.map!.values[i]).toBeCloseTo(want[i], 5);
  });

  it('gives identical results for identical inputs and never reads a test clip domain', async () => {
    const protos = prototypes(3);
    const mk = () => {
      const r = createRng(4);
      return { support: [0, 1, 2].map((i) => clip('target_normal', tokens(protos, r), `s${i}.wav`)), q: clip('test', tokens(protos, r, (f, t) => f === 2 && t > 15)) };
    };
    const a = mk(), b = mk();
    const config = cfg({ maxKeysPerLayer: 100 });
    const ra = await approachA.score(await approachA.fit(fitSet(a.support), config, noop), [a.q]);
    const rb = await approachA.score(await approachA.fit(fitSet(b.support), config, noop), [{ ...b.q, domain: 'source' }]);
    expect(rb[0].score).toBe(ra[0].score);
    expect(Array.from(rb[0].map!.values)).toEqual(Array.from(ra[0].map!.values));
  });

  it('coreset banks keep maxKeysPerLayer k-center keys; scores can only rise and still rank the defect', async () => {
    const protos = prototypes(5);
    const r = createRng(6);
    const support = [0, 1, 2, 3, 4].map(() => clip('target_normal', tokens(protos, r)));
    const full = await approachA.fit(fitSet(support), cfg(), noop);
    const small = await approachA.fit(fitSet(support), cfg({ maxKeysPerLayer: 120 }), noop);
    expect(full.memories[0].banks.map((b) => b.n)).toEqual([600, 600]);
    expect(small.memories[0].banks.map((b) => b.n)).toEqual([120, 120]);
    // k-center keys cover the full bank better than a random 120: worst max-cosine of any full key to the kept keys
    const fb = full.memories[0].banks[0], sb = small.memories[0].banks[0];
    const rr = createRng(1);
    const pick = new Set<number>();
    while (pick.size < 120) pick.add(rr.int(600));
    const rand = new Float32Array(120 * DIM);
    [...pick].forEach((k, i) => rand.set(fb.keys.subarray(k * DIM, (k + 1) * DIM), i * DIM));
    const worst = async (keys: Float32Array) => Math.min(...(await cosineMaxSim(fb.keys, 600, keys, 120, DIM)).sim);
    expect(await worst(sb.keys)).toBeGreaterThan(await worst(rand));
    const q = [clip('test', tokens(protos, r)), clip('test', tokens(protos, r, (f, t) => f === 3 && t < 4))];
    const sf = await approachA.score(full, q);
    const ss = await approachA.score(small, q);
    for (let i = 0; i < 2; i++) {
      for (let c = 0; c < FREQ * TIME; c++) expect(ss[i].map!.values[c]).toBeGreaterThanOrEqual(sf[i].map!.values[c] - 1e-6);
    }
    expect(ss[1].score).toBeGreaterThan(ss[0].score);
  });

  it('serialise / deserialise round-trips without loss (through JSON text)', async () => {
    const protos = prototypes(7);
    const r = createRng(8);
    const normals = [
      ...[0, 1, 2].map(() => clip('target_normal', tokens(protos, r))),
      ...[0, 1, 2].map(() => clip('source_normal', tokens(prototypes(9), r))),
    ];
    const state = await approachA.fit(fitSet(normals), cfg({ supportDomain: 'both', maxKeysPerLayer: 90, mapLayers: [3] }), noop);
    const s = approachA.serialise(state);
    const back = approachA.deserialise({ json: JSON.parse(JSON.stringify(s.json)), blobs: s.blobs });
    expect(back).toEqual(state);
    const q = [clip('test', tokens(protos, r, (f) => f === 0))];
    const [a, b] = [await approachA.score(state, q), await approachA.score(back, q)];
    expect(b).toEqual(a);
    expect(() => approachA.deserialise({ json: s.json, blobs: { ...s.blobs, 'keys/target/3': new Float32Array(5) } })).toThrow(/blob 'keys\/target\/3' must hold 90 x 32 floats, got 5/);
    expect(() => approachA.deserialise({ json: { ...s.json, version: 2 }, blobs: s.blobs })).toThrow(/approach A state: field 'version'/);
  });
});

describe("approach A with supportDomain 'both'", () => {
  // the source machine sounds different and noisier than the target one: raw target-bank scores of source normals are high
  const build = () => {
    const pt = prototypes(10), ps = prototypes(11);
    const r = createRng(12);
    const normals = [
      ...[0, 1, 2, 3].map(() => clip('target_normal', tokens(pt, r, undefined, 0.2))),
      ...[0, 1, 2, 3, 4].map(() => clip('source_normal', tokens(ps, r, undefined, 0.6))),
    ];
    const tests = [
      clip('test', tokens(pt, r, undefined, 0.2)),
      clip('test', tokens(ps, r, undefined, 0.6)),
      clip('test', tokens(pt, r, (f, t) => f === 2 && t > 14, 0.2)),
      clip('test', tokens(ps, r, (f, t) => f === 4 && t < 6, 0.6)),
    ];
    return { normals, tests };
  };

  it('per-domain leave-one-out z-scores, min over domains, rank both domains correctly where target-only fails', async () => {
    const { normals, tests } = build();
    const onlyT = await approachA.score(await approachA.fit(fitSet(normals), cfg(), noop), tests);
    expect(onlyT[1].score).toBeGreaterThan(onlyT[2].score); // the failure the measured hints describe
    const both = await approachA.fit(fitSet(normals), cfg({ supportDomain: 'both' }), noop);
    const res = await approachA.score(both, tests);
    const worstNormal = Math.max(res[0].score, res[1].score);
    expect(res[2].score).toBeGreaterThan(worstNormal);
    expect(res[3].score).toBeGreaterThan(worstNormal);
    for (const x of res) {
      expect(x.score).toBe(Math.min(x.parts!.z_source, x.parts!.z_target));
      const m = both.memories.find((mm) => mm.domain === 'source')!.stats!;
      expect(x.parts!.z_source).toBeCloseTo((x.parts!.raw_source - m.mean) / m.std, 9);
    }
    // raw parts are size-matched to the leave-one-out statistics: mean over j of the score without support clip j
    const tgt = normals.filter((c) => c.role === 'target_normal');
    let want = 0;
    for (let j = 0; j < tgt.length; j++) {
      const [r] = await approachA.score(await approachA.fit(fitSet(tgt.filter((_, i) => i !== j)), cfg(), noop), [tests[2]]);
      want += r.score / tgt.length;
    }
    expect(res[2].parts!.raw_target).toBeCloseTo(want, 9);
  });

  it('leave-one-out scores equal scoring each support clip against a bank fitted without it', async () => {
    const { normals } = build();
    const both = await approachA.fit(fitSet(normals), cfg({ supportDomain: 'both' }), noop);
    const tgt = normals.filter((c) => c.role === 'target_normal');
    const mem = both.memories.find((m) => m.domain === 'target')!;
    expect(mem.clipIds).toEqual(tgt.map((c) => c.clipId));
    for (let i = 0; i < tgt.length; i++) {
      const others = tgt.filter((_, j) => j !== i);
      const [r]: ScoreResult[] = await approachA.score(await approachA.fit(fitSet(others), cfg(), noop), [tgt[i]]);
      expect(mem.stats!.looScores[i]).toBeCloseTo(r.score, 9);
    }
    // the honest training scores on score()'s scale: min over domains of the z-scores
    const src = both.memories.find((m) => m.domain === 'source')!;
    const src0 = normals.filter((c) => c.role === 'source_normal')[0];
    // the cross score is size-matched: the mean over j of the score against the target bank without clip j
    let cross = 0;
    for (let j = 0; j < tgt.length; j++) {
      const [r]: ScoreResult[] = await approachA.score(await approachA.fit(fitSet(tgt.filter((_, i) => i !== j)), cfg(), noop), [src0]);
      cross += r.score / tgt.length;
    }
    expect(src.crossScores![0]).toBeCloseTo(cross, 9);
    const ts = approachA.trainingScores!(both)!;
    expect(ts).toHaveLength(9);
    expect(ts[0]).toBeCloseTo(Math.min((src.stats!.looScores[0] - src.stats!.mean) / src.stats!.std, (cross - mem.stats!.mean) / mem.stats!.std), 9);
    const tgtOnly = await approachA.fit(fitSet(tgt), cfg(), noop);
    expect(approachA.trainingScores!(tgtOnly)).toEqual(tgtOnly.memories[0].stats!.looScores);
    const ls = mem.stats!.looScores;
    const mean = ls.reduce((a, b) => a + b) / ls.length;
    expect(mem.stats!.mean).toBeCloseTo(mean, 12);
    expect(mem.stats!.std).toBeCloseTo(Math.sqrt(ls.reduce((a, b) => a + (b - mean) ** 2, 0) / (ls.length - 1)), 12);
  });
});

describe('approach A input errors', () => {
  const protos = prototypes(13);
  const r = createRng(14);
  it('names the missing support, layer, grid and geometry problems', async () => {
    const t = clip('target_normal', tokens(protos, r), 'a.wav');
    await expect(approachA.fit(fitSet([clip('source_normal', tokens(protos, r))]), cfg(), noop)).rejects.toThrow(/needs at least 1 target-domain normal clip\(s\) \(role target_normal\), found 0/);
    await expect(approachA.fit(fitSet([t]), cfg({ supportDomain: 'both' }), noop)).rejects.toThrow(/needs at least 2 source-domain/);
    const t2 = clip('target_normal', tokens(protos, r), 'a2.wav');
    await expect(approachA.fit(fitSet([t, t2]), cfg({ maxKeysPerLayer: 1 }), noop)).rejects.toThrow(/field 'maxKeysPerLayer' \(1\) leaves no target keys outside clip 'a2?.wav' for leave-one-out/);
    const one = await approachA.fit(fitSet([t]), cfg(), noop);
    expect(one.memories[0].stats).toBeNull();
    expect(approachA.trainingScores!(one)).toBeNull();
    await expect(approachA.fit(fitSet([t]), cfg({ layers: [0, 5] }), noop)).rejects.toThrow(/clip 'a.wav' \(id \d+\): patches lack layer 5 \(have 0, 3\)/);
    await expect(approachA.fit(fitSet([{ ...t, patches: undefined }]), cfg(), noop)).rejects.toThrow(/clip 'a.wav' .* no field 'patches'/);
    const geometry = { freq: 2, time: 2, timeStepS: 1, timeSpanS: 1, melStep: 1, melSpan: 1, melBins: 2 };
    await expect(approachA.fit(fitSet([t]), cfg({ geometry }), noop)).rejects.toThrow(/field 'geometry' describes a 2 x 2 grid, the tokens are 6 x 20/);
    const state: AState = await approachA.fit(fitSet([t]), cfg(), noop);
    const odd: PatchTokens = { ...tokens(protos, r), grid: { freq: 3, time: 40 } };
    await expect(approachA.score(state, [clip('test', odd, 'b.wav')])).rejects.toThrow(/clip 'b.wav' .* 3 x 40 token grid, the fitted support 6 x 20/);
    const bad = tokens(protos, r);
    bad.data[1][5 * DIM + 2] = NaN;
    await expect(approachA.score(state, [clip('test', bad, 'nan.wav')])).rejects.toThrow(/clip 'nan.wav' .* layer 3 token 5 value 2 is NaN \(not finite\)/);
    const ac = new AbortController();
    ac.abort();
    await expect(approachA.fit(fitSet([t]), cfg(), noop, ac.signal)).rejects.toThrow(/abort/i);
  });

  it('uses the geometry from the config or the tokens when given', async () => {
    const t = clip('target_normal', tokens(protos, r));
    const geometry = { freq: FREQ, time: TIME, timeStepS: 0.1, timeSpanS: 0.16, melStep: 10, melSpan: 16, melBins: 128 };
    const s1 = await approachA.fit(fitSet([t]), cfg({ geometry }), noop);
    expect((await approachA.score(s1, [t]))[0].map!.geometry).toEqual(geometry);
    const withGeo = { ...t, patches: { ...t.patches!, geometry } as PatchTokens };
    const s2 = await approachA.fit(fitSet([withGeo]), cfg(), noop);
    expect(s2.geometry).toEqual(geometry);
  });
});
