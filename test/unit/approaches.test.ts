// One integration test over every registered approach: fit on a small synthetic set, score, round-trip the state.
import { afterAll, describe, expect, it } from 'vitest';
import { listApproaches, getApproach, APPROACHES } from '../../src/main/approaches/registry';
import { createRng, type Rng } from '../../src/main/approaches/common/rng';
import { releaseOpsSessions } from '../../src/main/approaches/common/ort-ops';
import type { ApproachId, ClipFeatures, FeatureRequest, FitSet, PatchTokens } from '../../src/main/approaches/types';
import type { Role } from '../../src/shared/domain';

afterAll(() => releaseOpsSessions());

/** Per-approach config overrides that keep this test quick (e.g. fewer training steps); defaults otherwise. */
const QUICK: Partial<Record<ApproachId, Record<string, unknown>>> = { C: { episodes: 150 } };

const GRID = { freq: 4, time: 10 }, PATCH_DIM = 16, EMB_DIM = 48;

/** A synthetic machine: prototypes per domain, so that every feature kind can be drawn normal or anomalous. */
function machine(seed: number) {
  const r = createRng(seed);
  const vec = (n: number) => Float32Array.from({ length: n }, () => r.normal());
  const proto = { source: vec(EMB_DIM), target: vec(EMB_DIM) };
  const rows = { source: vec(GRID.freq * PATCH_DIM), target: vec(GRID.freq * PATCH_DIM) };
  return { proto, rows };
}

function features(
  req: FeatureRequest, m: ReturnType<typeof machine>, domain: 'source' | 'target', anomalous: boolean, r: Rng, speed: number, mic: number,
): Pick<ClipFeatures, 'patches' | 'embedding'> {
  if (req.kind === 'embedding') {
    // anomaly: a large shift along a few dimensions, as a fault adds energy in some bands
    // operating conditions shift a few dimensions, so metadata tasks (C) have something to learn
    const e = m.proto[domain].map((v, j) => v + 0.15 * r.normal() + (j === 1 ? 0.5 * speed : 0) + (j === 2 ? 0.5 * mic : 0) + (anomalous && j % 8 === 0 ? 3 : 0));
    return { embedding: e };
  }
  const layers = req.layers.length ? req.layers : [0];
  const data = layers.map(() => {
    const a = new Float32Array(GRID.freq * GRID.time * PATCH_DIM);
    for (let f = 0; f < GRID.freq; f++) {
      for (let t = 0; t < GRID.time; t++) {
        const bad = anomalous && f === 1 && t >= 3 && t < 6;
        for (let j = 0; j < PATCH_DIM; j++) {
          a[(f * GRID.time + t) * PATCH_DIM + j] = bad ? 1.5 * r.normal() : m.rows[domain][f * PATCH_DIM + j] + 0.2 * r.normal();
        }
      }
    }
    return a;
  });
  const patches: PatchTokens = { layers: layers.slice(), dim: PATCH_DIM, grid: { ...GRID }, data };
  return { patches };
}

function dataset(req: FeatureRequest, seed: number) {
  const m = machine(seed);
  const r = createRng(seed + 1);
  let id = 1;
  const clip = (role: Role, domain: 'source' | 'target', anomalous: boolean): ClipFeatures => {
    const i = id++;
    const speed = i % 2, mic = Math.floor(i / 2) % 2;
    const attributes = { speed_level: String(1 + speed), noise_id: String(1 + (i % 3)), mic_position_id: String(1 + mic) };
    return {
      clipId: i, name: `section_00_${domain}_${role}_${String(i).padStart(4, '0')}.wav`, section: '00',
      domain: role === 'test' ? null : domain, role, attributes, ...features(req, m, domain, anomalous, r, speed, mic),
    };
  };
  // DCASE-like proportions, small: many source normals (C meta-learns on >= 50), a few target ones
  const normals = [
    ...Array.from({ length: 60 }, () => clip('source_normal', 'source', false)),
    ...Array.from({ length: 8 }, () => clip('target_normal', 'target', false)),
  ];
  const fit: FitSet = { machineType: 'synthetic', section: '00', normals, noise: [] };
  const normalTests = Array.from({ length: 6 }, () => clip('test', 'target', false));
  const anomalyTests = Array.from({ length: 6 }, () => clip('test', 'target', true));
  return { fit, normalTests, anomalyTests };
}

describe('approach registry', () => {
  it('lists A and resolves ids, naming unknown ones', () => {
    expect(listApproaches().map((a) => a.id)).toContain('A');
    for (const a of listApproaches()) expect(getApproach(a.id)).toBe(a);
    expect(() => getApproach('Z')).toThrow(/unknown approach 'Z' \(registered: A/);
    expect(Object.entries(APPROACHES).every(([id, a]) => a!.id === id)).toBe(true);
  });
});

describe.each(listApproaches().map((a) => [a.id, a] as const))('approach %s', (id, approach) => {
  it('has consistent defaults and rejects a bad config naming the field', () => {
    expect(approach.parseConfig({})).toEqual(approach.parseConfig(approach.defaults));
    expect(() => approach.parseConfig({ notAField: 1 })).toThrow(/notAField/);
  });

  it('fits, ranks planted anomalies above normals, and scores identically after a serialise round-trip', async () => {
    const config = approach.parseConfig(QUICK[id] ?? {});
    const req = approach.featureRequest(config);
    const { fit, normalTests, anomalyTests } = dataset(req, 42);
    // as the evaluation does: an approach that names its training subset is fitted on that subset only
    if (approach.trainingSubset) {
      const wanted = new Set(approach.trainingSubset(fit, config));
      expect(wanted.size).toBeGreaterThan(0);
      fit.normals = fit.normals.filter((c) => wanted.has(c.clipId));
      fit.noise = fit.noise.filter((c) => wanted.has(c.clipId));
    }
    const state = await approach.fit(fit, config, () => {});
    const res = await approach.score(state, [...normalTests, ...anomalyTests]);
    expect(res).toHaveLength(normalTests.length + anomalyTests.length);
    for (const r of res) expect(Number.isFinite(r.score)).toBe(true);
    const worstNormal = Math.max(...res.slice(0, normalTests.length).map((r) => r.score));
    const weakestAnomaly = Math.min(...res.slice(normalTests.length).map((r) => r.score));
    expect(weakestAnomaly).toBeGreaterThan(worstNormal);
    for (const r of res) {
      if (!r.map) continue;
      expect(r.map.values.length).toBe(r.map.geometry.freq * r.map.geometry.time);
    }

    const honest = approach.trainingScores?.(state) ?? null;
    if (honest) {
      for (const v of honest) expect(Number.isFinite(v)).toBe(true);
      // out-of-bank training normals score like normals, below the planted anomalies
      expect(Math.max(...honest)).toBeLessThan(weakestAnomaly);
    }

    const s = approach.serialise(state);
    for (const [k, b] of Object.entries(s.blobs)) expect(b, `blob ${k}`).toBeInstanceOf(Float32Array);
    const back = approach.deserialise({ json: JSON.parse(JSON.stringify(s.json)), blobs: s.blobs });
    const again = await approach.score(back, [...normalTests, ...anomalyTests]);
    expect(again.map((r) => r.score)).toEqual(res.map((r) => r.score));
    expect(approach.trainingScores?.(back) ?? null).toEqual(honest);
  });
});
