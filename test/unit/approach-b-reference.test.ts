// Approach B against an independent numpy brute force (test/fixtures/approach-b/make_reference.py).
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { approachB } from '../../src/main/approaches/b';
import type { ClipFeatures, FitSet } from '../../src/main/approaches/types';

interface Case {
  k: number;
  memMixup: boolean;
  mixupSources: number | 'all';
  mixupLambda: number;
  d_s: number[];
  d_t: number[];
  transductive: { z_s: number[]; z_t: number[]; score: number[] };
  looTrain: {
    stats: { source: [number, number]; target: [number, number] };
    z_s: number[];
    z_t: number[];
    score: number[];
    train_d_s: number[];
    train_d_t: number[];
    train_score: number[];
  };
  none: { score: number[] };
}
interface Ref { dim: number; source: number[][]; target: number[][]; test: number[][]; cases: Case[] }

const ref: Ref = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../fixtures/approach-b/reference.json'), 'utf8'));

const noop = () => {};
function clip(id: number, role: ClipFeatures['role'], v: number[]): ClipFeatures {
  return { clipId: id, name: `c${id}.wav`, section: '00', domain: null, role, attributes: {}, embedding: Float32Array.from(v) };
}
const set: FitSet = {
  machineType: 'ref',
  section: '00',
  normals: [...ref.source.map((v, i) => clip(i, 'source_normal', v)), ...ref.target.map((v, j) => clip(100 + j, 'target_normal', v))],
  noise: [],
};
const tests = ref.test.map((v, i) => clip(1000 + i, 'test', v));

function close(actual: ArrayLike<number>, expected: number[], what: string, tol = 2e-5): void {
  expect(actual.length, what).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i];
    // written as !(<=) so a NaN or missing value fails too
    if (!(Math.abs(actual[i] - e) <= tol * Math.max(1, Math.abs(e)))) {
      throw new Error(`${what}[${i}]: got ${actual[i]}, expected ${e}`);
    }
  }
}

describe('approach B vs numpy brute force', () => {
  for (const c of ref.cases) {
    const base = { k: c.k, memMixup: c.memMixup, mixupSources: c.mixupSources, mixupLambda: c.mixupLambda };
    const tag = `k=${c.k} memMixup=${c.memMixup} K_s=${c.mixupSources}`;

    it(`loo-train: distances, z, scores and training LOO (${tag})`, async () => {
      const cfg = approachB.parseConfig({ ...base, normalisation: 'loo-train' });
      const st = await approachB.fit(set, cfg, noop);
      const res = await approachB.score(st, tests);
      close(res.map((r) => r.parts!.d_s), c.d_s, 'd_s');
      close(res.map((r) => r.parts!.d_t), c.d_t, 'd_t');
      close(res.map((r) => r.parts!.z_s), c.looTrain.z_s, 'z_s');
      close(res.map((r) => r.parts!.z_t), c.looTrain.z_t, 'z_t');
      close(res.map((r) => r.score), c.looTrain.score, 'score');
      close([st.stats.source!.mean, st.stats.source!.std], c.looTrain.stats.source, 'source stats');
      close([st.stats.target!.mean, st.stats.target!.std], c.looTrain.stats.target, 'target stats');
      close(st.train.d_s, c.looTrain.train_d_s, 'train d_s');
      close(st.train.d_t, c.looTrain.train_d_t, 'train d_t');
      close(st.train.score!, c.looTrain.train_score, 'train score');
    });

    it(`transductive-test reproduces the paper's batch statistics (${tag})`, async () => {
      const st = await approachB.fit(set, approachB.parseConfig({ ...base, normalisation: 'transductive-test' }), noop);
      const res = await approachB.score(st, tests);
      close(res.map((r) => r.parts!.z_s), c.transductive.z_s, 'z_s');
      close(res.map((r) => r.parts!.z_t), c.transductive.z_t, 'z_t');
      close(res.map((r) => r.score), c.transductive.score, 'score');
      expect(st.train.score).toBeNull();
    });

    it(`none: min(d_s, d_t) (${tag})`, async () => {
      const st = await approachB.fit(set, approachB.parseConfig({ ...base, normalisation: 'none' }), noop);
      const res = await approachB.score(st, tests);
      close(res.map((r) => r.score), c.none.score, 'score');
    });
  }
});
