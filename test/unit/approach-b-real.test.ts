// Approach B on real DCASE 2023 valve clips: the leave-one-out statistics must be calibrated,
// i.e. held-out normal clips of each domain get z-scores with mean ~0 and spread ~1.
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { approachB } from '../../src/main/approaches/b';
import { createRng, shuffled } from '../../src/main/approaches/common';
import type { ClipFeatures } from '../../src/main/approaches/types';
import { decodeFile, toMono } from '../../src/main/audio/decode';
import { logmelStats } from '../../src/main/audio/logmel';

const repoRoot = path.resolve(__dirname, '..', '..');
const dataDir = path.resolve(repoRoot, '..', 'shared', 'data');
const valveDir = path.join(dataDir, 'dcase2023-valve-test', 'valve', 'test');
const present = fs.existsSync(valveDir);
if (!present) console.warn(`approach-b-real: skipped, ${valveDir} is absent (real recordings live in ../shared/data)`);

describe.skipIf(!present)('approach B on real valve clips (logmel_stats)', () => {
  const emb = new Map<string, Float32Array>();
  let source: string[] = [];
  let target: string[] = [];

  beforeAll(async () => {
    const files = fs.readdirSync(valveDir).filter((f) => f.endsWith('.wav')).sort();
    source = files.filter((f) => f.includes('_source_test_normal_'));
    target = files.filter((f) => f.includes('_target_test_normal_'));
    for (const f of [...source, ...target]) emb.set(f, logmelStats(toMono(await decodeFile(path.join(valveDir, f)))));
  });

  it('held-out normals get z ~ (0, 1) in their own domain under loo-train statistics', async () => {
    const z: Record<'s' | 't', number[]> = { s: [], t: [] };
    for (let split = 0; split < 12; split++) {
      const rng = createRng(split);
      const shuffle = (a: string[]) => shuffled(a, rng);
      const s = shuffle(source);
      const t = shuffle(target);
      const mk = (f: string, id: number, role: ClipFeatures['role']): ClipFeatures => ({
        clipId: id, name: f, section: '00', domain: null, role, attributes: {}, embedding: emb.get(f),
      });
      const normals = [...s.slice(0, 25).map((f, i) => mk(f, i, 'source_normal')), ...t.slice(0, 25).map((f, i) => mk(f, 100 + i, 'target_normal'))];
      const st = await approachB.fit({ machineType: 'valve', section: '00', normals, noise: [] }, approachB.parseConfig({}), () => {});
      expect(st.target.mixTarget.length).toBe(25 * 25);
      const held = [...s.slice(25), ...t.slice(25)];
      const r = await approachB.score(st, held.map((f, i) => mk(f, 1000 + i, 'test')));
      r.slice(0, 25).forEach((x) => z.s.push(x.parts!.z_s));
      r.slice(25).forEach((x) => z.t.push(x.parts!.z_t));
    }
    for (const d of ['s', 't'] as const) {
      const v = z[d];
      const m = v.reduce((a, b) => a + b) / v.length;
      const sd = Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / (v.length - 1));
      // measured: mean ~0.00, sd ~1.0-1.1 for both domains; excluding too little (own mixups) drives the target mean far above 0
      expect(Math.abs(m), `mean z_${d}`).toBeLessThan(0.3);
      expect(sd, `sd z_${d}`).toBeGreaterThan(0.75);
      expect(sd, `sd z_${d}`).toBeLessThan(1.35);
    }
  });
});
