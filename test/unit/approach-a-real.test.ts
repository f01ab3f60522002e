// Approach A on real DCASE 2023 valve clips through the shipped fbank_patch encoder: exact self-match,
// the encoder's geometry on the map, and calibrated per-domain z-scores with supportDomain 'both'.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approachA } from '../../src/main/approaches/a';
import { releaseOpsSessions } from '../../src/main/approaches/common/ort-ops';
import type { ClipFeatures, GridGeometry } from '../../src/main/approaches/types';
import { loadClipAudio } from '../../src/main/data/clip-audio';
import { loadEncoder } from '../../src/main/encoders';

const repoRoot = path.resolve(__dirname, '..', '..');
const valveDir = path.join(path.resolve(repoRoot, '..', 'shared', 'data'), 'dcase2023-valve-test', 'valve', 'test');
const present = fs.existsSync(valveDir);
if (!present) console.warn(`approach-a-real: skipped, ${valveDir} is absent (real recordings live in ../shared/data)`);

afterAll(() => releaseOpsSessions());

describe.skipIf(!present)('approach A on real valve clips (fbank_patch)', () => {
  // per domain: every 5th normal is support (10), and 15 of the others are held out
  const support: ClipFeatures[] = [];
  const heldOut: { clip: ClipFeatures; domain: 'source' | 'target' }[] = [];
  let geometry: GridGeometry | undefined;

  beforeAll(async () => {
    const enc = await loadEncoder('fbank_patch');
    geometry = enc.geometry;
    const files = fs.readdirSync(valveDir).filter((f) => f.endsWith('.wav')).sort();
    let id = 0;
    for (const domain of ['source', 'target'] as const) {
      const normals = files.filter((f) => f.includes(`_${domain}_test_normal_`));
      for (let i = 0; i < normals.length; i++) {
        const isSupport = i % 5 === 2;
        if (!isSupport && (i % 5 !== 0 || heldOut.filter((h) => h.domain === domain).length >= 15)) continue;
        const wave = await loadClipAudio({ path: path.join(valveDir, normals[i]), offsetS: 0, durationS: 10 });
        const patches = await enc.encodePatches(wave, [1]);
        const c: ClipFeatures = { clipId: ++id, name: normals[i], section: '00', domain: isSupport ? domain : null, role: isSupport ? `${domain}_normal` : 'test', attributes: {}, patches };
        if (isSupport) support.push(c);
        else heldOut.push({ clip: c, domain });
      }
    }
    await enc.dispose();
  }, 120_000);

  it('scores a support clip 0 against its own bank and carries the encoder geometry', async () => {
    const config = approachA.parseConfig({ encoder: 'fbank_patch', layers: [1], geometry, supportClips: 3 });
    const set = { machineType: 'valve', section: '00', normals: support, noise: [] };
    const state = await approachA.fit(set, config, () => {});
    const own = support.find((c) => c.clipId === state.memories[0].clipIds[0])!;
    const [r] = await approachA.score(state, [{ ...own, role: 'test', domain: null }]);
    expect(r.score).toBeLessThan(1e-5);
    expect(r.map!.geometry).toEqual(geometry);
    expect(r.map!.geometry).toMatchObject({ freq: 12, time: 101, timeStepS: 0.1, melStep: 10 });
  });

  it("'both': held-out normals get z ~ (0, 1) in their own domain from leave-one-out statistics", async () => {
    const config = approachA.parseConfig({ encoder: 'fbank_patch', layers: [1], supportDomain: 'both', supportClips: 10 });
    const state = await approachA.fit({ machineType: 'valve', section: '00', normals: support, noise: [] }, config, () => {});
    expect(state.memories.map((m) => m.clipIds.length)).toEqual([10, 10]);
    const res = await approachA.score(state, heldOut.map((h) => h.clip));
    for (const d of ['source', 'target'] as const) {
      const z = heldOut.map((h, i) => (h.domain === d ? res[i].parts![`z_${d}`] : NaN)).filter((v) => !Number.isNaN(v));
      const mean = z.reduce((a, b) => a + b) / z.length;
      const sd = Math.sqrt(z.reduce((a, b) => a + (b - mean) ** 2, 0) / (z.length - 1));
      expect(Math.abs(mean), `${d} mean z`).toBeLessThan(0.6);
      expect(sd, `${d} sd z`).toBeGreaterThan(0.4);
      expect(sd, `${d} sd z`).toBeLessThan(1.6);
    }
    const honest = approachA.trainingScores!(state)!;
    expect(honest).toHaveLength(20);
    for (const v of honest) expect(Number.isFinite(v)).toBe(true);
  });
});
