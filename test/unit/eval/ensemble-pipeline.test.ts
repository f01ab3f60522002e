// The rank-averaged ensemble through the real pipeline: fitted, stored, reported and exported as one
// detector whose scores are the mean of its members' ranks against their verification-clip scores,
// and whose .hark-detector file scores recordings exactly as the project stored them.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDataset } from '../../../src/main/data/generator';
import { listDcase } from '../../../src/main/data/import/dcase';
import { importListing } from '../../../src/main/data/import/importer';
import { exportDetector, PortableDetector } from '../../../src/main/eval/detector-export';
import { openContainer } from '../../../src/main/eval/portable/container';
import { ENSEMBLE, loadDetectorState, RankMap, type EnsembleState } from '../../../src/main/eval/ensemble';
import { runEvaluation } from '../../../src/main/eval/run';
import type { SectionResult } from '../../../src/main/eval/evaluate';
import { clipAnomaly, listRuns, modelsInfo } from '../../../src/main/eval/queries';
import { checkConsistency } from '../../../src/main/store/consistency';
import { Store } from '../../../src/main/store/store';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'hark-ensemble-'));
let store: Store;
let ens: SectionResult;
let a: SectionResult;
let b: SectionResult;
let verificationIds: Set<number>;

describe('rank-averaged ensemble in the pipeline', () => {
  beforeAll(async () => {
    await generateDataset({ out: path.join(work, 'data'), scale: 0.004, seed: 11, machines: ['fan'], sections: 1 });
    store = Store.create(path.join(work, 'project'));
    await importListing(store, listDcase(path.join(work, 'data')));
    // before any verification clips: the ensemble has nothing to rank against and says so
    await expect(runEvaluation(store, { approach: 'ensemble', ensembleMembers: ['A', 'B'] })).rejects.toThrow(
      /the ensemble ranks each member's scores against its scores on the section's verification clips, and there are none/,
    );
    const test = store.clips.list({ machineType: 'fan', role: 'test' }, 'name', false, 0, 1000).rows;
    const ver = test.filter((_, i) => i % 2 === 0).map((c) => c.id);
    verificationIds = new Set(ver);
    store.db.prepare(`UPDATE clips SET role = 'verification' WHERE id IN (${ver.join(',')})`).run();
    ens = (await runEvaluation(store, { approach: 'ensemble', ensembleMembers: ['A', 'B'], outDir: path.join(work, 'out') })).results[0];
    a = (await runEvaluation(store, { approach: 'A' })).results[0];
    b = (await runEvaluation(store, { approach: 'B' })).results[0];
  }, 240_000);

  afterAll(() => {
    store?.close();
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('scores each clip by the mean of its members\' ranks against their verification-clip scores', () => {
    expect(ens.approach).toBe(ENSEMBLE);
    expect(ens.members).toEqual(['A', 'B']);
    expect(ens.why.join(' ')).toMatch(/ensemble A\+B chosen by the user/);
    const ref = (r: SectionResult) => new RankMap(r.scores.filter((s) => verificationIds.has(s.clipId)).map((s) => s.score));
    const mapA = ref(a);
    const mapB = ref(b);
    expect(ens.scores.map((s) => s.clipId)).toEqual(a.scores.map((s) => s.clipId));
    ens.scores.forEach((s, i) => {
      const want = (mapA.rank(a.scores[i].score) + mapB.rank(b.scores[i].score)) / 2;
      expect(Math.abs(s.score - want)).toBeLessThanOrEqual(1e-12);
    });
    // the members' own scores and ranks are kept per clip for the engineer
    const stored = store.results.scores(ens.runId);
    expect(stored[0].parts).toMatchObject({ A: expect.any(Number), B: expect.any(Number), 'rank A': expect.any(Number), 'rank B': expect.any(Number) });
    // A's anomaly map comes with the ensemble's run, and the Inspector gets the members' parts
    expect(store.results.map(ens.runId, ens.scores[0].clipId)).not.toBeNull();
    const anomaly = clipAnomaly(store, ens.scores[0].clipId, ens.runId)!;
    expect(anomaly.approach).toBe('ensemble');
    expect(anomaly.parts).toMatchObject({ A: a.scores[0].score, B: b.scores[0].score });
  });

  it('is named with its members in report.json, report.html and the submission files', () => {
    const rep = JSON.parse(fs.readFileSync(path.join(work, 'out', 'report.json'), 'utf8')) as { approach: string; sections: { approach: string; members?: string[] }[] };
    expect(rep.approach).toBe('ensemble');
    expect(rep.sections[0]).toMatchObject({ approach: 'ensemble', members: ['A', 'B'] });
    expect(fs.readFileSync(path.join(work, 'out', 'report.html'), 'utf8')).toContain('ensemble A+B');
    const sub = fs.readFileSync(path.join(work, 'out', 'anomaly_score_fan_section_00_test.csv'), 'utf8').trim().split('\n');
    expect(sub).toHaveLength(ens.scores.length);
  });

  it('sets its threshold at the mean rank of the members\' own thresholds', () => {
    const ref = (r: SectionResult) => new RankMap(r.scores.filter((s) => verificationIds.has(s.clipId)).map((s) => s.score));
    const want = (ref(a).rank(a.threshold.value) + ref(b).rank(b.threshold.value)) / 2;
    expect(ens.threshold.value).toBeCloseTo(want, 12);
    expect(ens.threshold.method).toMatch(/^mean rank of the members' thresholds \(A: .*; B: .*\)$/);
    for (const s of ens.scores) expect(s.decision).toBe(s.score > ens.threshold.value ? 1 : 0);
  });

  it('is stored as one detector that loads, lists with its members, and passes the consistency check', async () => {
    const det = store.results.detector(ens.detectorId)!;
    expect(det.approach).toBe(ENSEMBLE);
    const st = loadDetectorState(det.approach, { json: det.stateJson, blobs: det.blobs }) as EnsembleState;
    expect(st.members.map((m) => m.approach)).toEqual(['A', 'B']);
    expect(st.members[0].reference).toHaveLength(verificationIds.size);
    expect(Object.keys(det.blobs).every((k) => /^m[01]\//.test(k))).toBe(true);
    const run = listRuns(store).find((r) => r.runId === ens.runId)!;
    expect(run).toMatchObject({ approach: 'ensemble', members: ['A', 'B'] });
    expect((await modelsInfo(store)).detectors.find((d) => d.id === ens.detectorId)).toMatchObject({ approach: 'ensemble', members: ['A', 'B'] });
    const rep = checkConsistency(store.db, { loadDetector: (d) => void loadDetectorState(d.approach, { json: d.json as Record<string, unknown>, blobs: d.blobs }) });
    expect(rep.problems).toEqual([]);
  });

  it('exports as one .hark-detector that scores recordings as the project stored them', async () => {
    const out = path.join(work, 'ens.hark-detector');
    const sum = await exportDetector(store, { runId: ens.runId }, out);
    expect(sum.approach).toBe('ensemble');
    expect(sum.members).toEqual(['A', 'B']);
    expect(sum.encoders.map((e) => e.id)).toEqual([a.config.encoder, 'logmel_stats']);
    expect(sum.verified).not.toBeNull();
    const c = await openContainer(out);
    expect(c.header.encoder).toBeUndefined();
    expect(c.header.encoders).toHaveLength(2);
    // only member 0 (A) has model files; they live under its own folder
    const models = c.header.entries.filter((e) => e.kind === 'model').map((e) => e.name);
    expect(models.length).toBeGreaterThan(0);
    expect(models.every((n) => n.startsWith('model/m0/'))).toBe(true);
    const det = await PortableDetector.open(out);
    try {
      for (const s of store.results.scores(ens.runId).slice(0, 6)) {
        const clip = store.clips.get(s.clipId)!;
        const r = await det.scoreFile(clip.path, clip.name);
        expect(Math.abs(r.score - s.score)).toBeLessThanOrEqual(1e-6);
        expect(r.slices[0].parts).toMatchObject({ 'rank A': expect.any(Number), 'rank B': expect.any(Number) });
      }
    } finally {
      await det.close();
    }
  }, 120_000);

  it('a file whose ensemble header is inconsistent is refused by field', async () => {
    const src = path.join(work, 'ens.hark-detector');
    const buf = fs.readFileSync(src);
    const len = buf.readUInt32LE(12);
    const header = JSON.parse(buf.subarray(48, 48 + len).toString('utf8')) as Record<string, unknown>;
    const { sha256Hex } = await import('../../../src/main/eval/portable/container');
    const write = (name: string, h: Record<string, unknown>) => {
      const hb = Buffer.from(JSON.stringify(h), 'utf8');
      const prefix = Buffer.from(buf.subarray(0, 48));
      prefix.writeUInt32LE(hb.length, 12);
      Buffer.from(sha256Hex(hb), 'hex').copy(prefix, 16);
      const pad = Buffer.alloc(((48 + hb.length + 7) & ~7) - 48 - hb.length);
      const dest = path.join(work, name);
      fs.writeFileSync(dest, Buffer.concat([prefix, hb, pad, buf.subarray((48 + len + 7) & ~7)]));
      return dest;
    };
    const encoders = header.encoders as Record<string, unknown>[];
    await expect(PortableDetector.open(write('no-encoders.hark-detector', { ...header, encoders: undefined }))).rejects.toThrow(/field 'encoders'.*an ensemble needs field 'encoders'/);
    await expect(PortableDetector.open(write('both.hark-detector', { ...header, encoder: encoders[0] }))).rejects.toThrow(/an ensemble names its members' encoders in field 'encoders', not 'encoder'/);
    await expect(PortableDetector.open(write('swapped.hark-detector', { ...header, encoders: [encoders[1], encoders[0]] }))).rejects.toThrow(/member 0 \(A\) asks for features .*the header says/);
  });
});
