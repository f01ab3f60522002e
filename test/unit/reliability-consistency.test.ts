// The project consistency check finds each broken promise of the store's writers (so a clean
// report after a crash means something), and repairInterrupted clears what a stopped process left.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listManifest } from '../../src/main/data/import/manifest';
import { importListing } from '../../src/main/data/import/importer';
import { checkConsistency, repairInterrupted, type ProblemKind } from '../../src/main/store/consistency';
import { Store } from '../../src/main/store/store';
import { goodWav } from '../fixtures/bad/make';
import { copyProject } from '../reliability/crash';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'hark-rel-consistency-'));
const base = path.join(work, 'base');
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

beforeAll(async () => {
  const pkg = path.join(work, 'pkg');
  fs.mkdirSync(pkg);
  for (let i = 0; i < 4; i++) fs.writeFileSync(path.join(pkg, `c${i}.wav`), goodWav(0.5, i + 1));
  fs.writeFileSync(path.join(pkg, 'm.csv'), 'path,machine_type,role\nc0.wav,fan,target_normal\nc1.wav,fan,target_normal\nc2.wav,fan,test\nc3.wav,fan,test\n');
  const s = Store.create(base);
  await importListing(s, listManifest(path.join(pkg, 'm.csv')));
  const [a, b, c, d] = s.clips.list({}, 'id', false, 0, 10).rows.map((r) => r.id);
  s.tx(() => {
    const det = s.results.saveDetector({ approach: 'A', machineType: 'fan', section: '00', config: {}, stateJson: {}, blobs: { keys: new Float32Array([1, 2, 3, 4]) } });
    const run = s.results.startRun('eval', 'A', det, { machineType: 'fan', section: '00' });
    s.results.saveScores(run, [
      { clipId: c, score: 0.1 },
      { clipId: d, score: 0.9 },
    ]);
    s.results.saveMap(run, c, { freq: 2, time: 3, timeStepS: 1, timeSpanS: 1, melStep: 1, melSpan: 1, melBins: 2 }, new Float32Array(6));
    s.results.finishRun(run, 'done', {});
  });
  s.embeddings.put({ sha256: 'a'.repeat(64), offsetS: 0, encoderId: 'e', encoderVersion: '1', layer: 0, kind: 'embedding' }, { shape: [4], data: new Float32Array(4) });
  s.labels.set([a, b], 'normal', 't', '2026-01-01T00:00:00Z');
  s.close();
});

/** A copy of the healthy store with one promise broken behind the writers' backs. */
function broken(name: string, sql: string): Store {
  const dir = path.join(work, name);
  copyProject(base, dir);
  const s = Store.open(dir);
  s.db.pragma('foreign_keys = OFF');
  s.db.exec(sql);
  s.db.pragma('foreign_keys = ON');
  return s;
}

describe('checkConsistency', () => {
  it('passes a healthy store, integrity check included', () => {
    const s = Store.open(base, { readonly: true });
    expect(checkConsistency(s.db, { integrity: true })).toEqual({ ok: true, problems: [] });
    s.close();
  });

  const cases: [ProblemKind, string, 'error' | 'interrupted'][] = [
    ['foreign_key', "INSERT INTO verification_labels (clip_id, verdict, who, at) VALUES (999, 'normal', 'x', 'now')", 'error'],
    ['clip_without_file', 'DELETE FROM files WHERE id = 1', 'error'],
    ['file_without_hash', "UPDATE files SET sha256 = 'zz' || substr(sha256, 3) WHERE id = 2", 'error'],
    ['file_without_clips', "INSERT INTO files (path, sha256, size_bytes, sample_rate, channels, duration_s, format, source_package, imported_at) VALUES ('/x.wav', '" + 'b'.repeat(64) + "', 1, 16000, 1, 1, 'wav', 'p', 'now')", 'error'],
    ['incomplete_detector', "INSERT INTO detectors (approach, machine_type, section, config, state_json, complete, created_at) VALUES ('A', 'fan', '00', '{}', '{}', 0, 'now')", 'error'],
    ['blob_size', "UPDATE detector_blobs SET data = x'000102'", 'error'],
    ['run_interrupted', "INSERT INTO runs (kind, state, started_at) VALUES ('eval', 'running', 'now')", 'interrupted'],
    ['scores_of_unfinished_run', "UPDATE runs SET state = 'failed'", 'error'],
    ['finished_run_without_scores', 'DELETE FROM scores; DELETE FROM anomaly_maps', 'error'],
    ['map_without_score', 'DELETE FROM scores WHERE score < 0.5', 'error'],
    ['map_size', "UPDATE anomaly_maps SET data = x'0000000000000000'", 'error'],
    ['embedding_size', "UPDATE embeddings SET shape = '[5]'", 'error'],
  ];
  for (const [kind, sql, severity] of cases) {
    it(`finds ${kind}`, () => {
      const s = broken(kind, sql);
      try {
        const rep = checkConsistency(s.db, { integrity: true });
        const found = rep.problems.filter((p) => p.kind === kind);
        expect(found, JSON.stringify(rep.problems)).toHaveLength(1);
        expect(found[0].severity).toBe(severity);
        expect(found[0].count).toBeGreaterThan(0);
        expect(found[0].message.length).toBeGreaterThan(20);
        expect(rep.ok).toBe(severity !== 'error');
      } finally {
        s.close();
      }
    });
  }

  it('finds a detector its approach cannot load', () => {
    const s = Store.open(base, { readonly: true });
    const rep = checkConsistency(s.db, {
      loadDetector: (d) => {
        if (!d.blobs.owner) throw new Error("blob 'owner' is missing");
      },
    });
    s.close();
    expect(rep.ok).toBe(false);
    expect(rep.problems.map((p) => [p.kind, p.message])).toEqual([['detector_unreadable', expect.stringMatching(/1 detector\(s\) cannot be loaded: 1: blob 'owner' is missing/)]]);
  });
});

describe('repairInterrupted', () => {
  it('marks runs left running as failed without their partial scores, and drops half-written detectors', () => {
    const s = broken(
      'repair',
      `INSERT INTO runs (id, kind, state, started_at) VALUES (50, 'eval', 'running', 'now');
       INSERT INTO scores (run_id, clip_id, score) SELECT 50, id, 0.5 FROM clips;
       INSERT INTO detectors (approach, machine_type, section, config, state_json, complete, created_at) VALUES ('A', 'fan', '00', '{}', '{}', 0, 'now')`,
    );
    try {
      expect(checkConsistency(s.db).problems.map((p) => p.kind).sort()).toEqual(['incomplete_detector', 'run_interrupted']);
      expect(repairInterrupted(s.db, '2026-01-01T00:00:00Z')).toEqual({ runs: 1, detectors: 1 });
      expect(checkConsistency(s.db)).toEqual({ ok: true, problems: [] });
      expect(s.results.run(50)).toMatchObject({ state: 'failed', finishedAt: '2026-01-01T00:00:00Z', report: { error: expect.stringMatching(/interrupted/) } });
      expect(s.results.scores(50)).toEqual([]);
      expect(repairInterrupted(s.db)).toEqual({ runs: 0, detectors: 0 });
    } finally {
      s.close();
    }
  });
});
