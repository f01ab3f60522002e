import Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { migrate, openDb, schemaVersionOf, storePath } from '../../../src/main/store/db';
import { MIGRATIONS, SCHEMA_VERSION } from '../../../src/main/store/migrations';
import { Store } from '../../../src/main/store/store';

const dirs: string[] = [];
const tmp = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'hark-store-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const file = (p: string) => ({ path: p, sha256: 'a'.repeat(64), sizeBytes: 10, sampleRate: 16000, channels: 1, durationS: 10, format: 'wav/pcm16', sourcePackage: 'pkg' });
const clip = (name: string) => ({
  name,
  machineType: 'fan',
  section: '00',
  domain: 'source' as const,
  split: 'train' as const,
  label: 'normal' as const,
  role: 'source_normal' as const,
  offsetS: 0,
  durationS: 10,
  attributes: { speed_level: '2' },
});

describe('project store', () => {
  it('creates a store on an empty folder with WAL, foreign keys and every migration recorded', () => {
    const dir = tmp();
    const s = Store.create(dir, 'Plant 7');
    expect(s.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(s.db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(schemaVersionOf(s.db)).toBe(SCHEMA_VERSION);
    const rows = s.db.prepare('SELECT version FROM schema_migrations ORDER BY version').all() as { version: number }[];
    expect(rows.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
    for (const t of ['machine_types', 'sections', 'clips', 'files', 'embeddings', 'detectors', 'runs', 'scores', 'anomaly_maps', 'verification_labels']) {
      expect(s.db.prepare("SELECT name FROM sqlite_master WHERE type='table' AND name=?").get(t)).toBeTruthy();
    }
    expect(s.info()).toMatchObject({ name: 'Plant 7', clipCount: 0, schemaVersion: SCHEMA_VERSION });
    s.close();
  });

  it('refuses to create over an existing project and to open a folder without one', () => {
    const dir = tmp();
    Store.create(dir).close();
    expect(() => Store.create(dir)).toThrow(/already exists/);
    expect(() => Store.open(tmp())).toThrow(/no Hark project/);
  });

  it('upgrades an older store in one transaction and keeps its data', () => {
    const dir = tmp();
    // an "older" Hark: only migration 1, plus a row of data
    const older = [MIGRATIONS[0]];
    const db0 = openDb(dir, { create: true, migrations: older });
    db0.prepare("INSERT INTO project (key, value) VALUES ('name', 'old')").run();
    db0.close();
    const newer = [...MIGRATIONS, { version: SCHEMA_VERSION + 1, name: 'add notes', sql: 'CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT);' }];
    const db1 = openDb(dir, { migrations: newer });
    expect(schemaVersionOf(db1)).toBe(SCHEMA_VERSION + 1);
    expect(db1.prepare("SELECT value FROM project WHERE key='name'").get()).toEqual({ value: 'old' });
    db1.close();
  });

  it('rolls back a failing migration completely', () => {
    const dir = tmp();
    openDb(dir, { create: true }).close();
    const broken = [
      ...MIGRATIONS,
      { version: SCHEMA_VERSION + 1, name: 'good', sql: 'CREATE TABLE a (x);' },
      { version: SCHEMA_VERSION + 2, name: 'bad', sql: 'CREATE TABLE oops (;' },
    ];
    expect(() => openDb(dir, { migrations: broken })).toThrow();
    const db = new Database(storePath(dir));
    expect(schemaVersionOf(db)).toBe(SCHEMA_VERSION);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name='a'").get()).toBeUndefined();
    db.close();
  });

  it('refuses a store written by a newer schema with a clear message', () => {
    const dir = tmp();
    const db = openDb(dir, { create: true });
    db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(SCHEMA_VERSION + 5, 'future', 'x');
    db.close();
    expect(() => Store.open(dir)).toThrow(/newer Hark.*update Hark/);
  });

  it('refuses a damaged file with a clear error', () => {
    const dir = tmp();
    fs.writeFileSync(storePath(dir), 'this is not a database at all'.repeat(100));
    expect(() => Store.open(dir)).toThrow(/project\.sqlite/);
  });

  it('stores clips idempotently and keeps label history', () => {
    const s = Store.create(tmp());
    s.tx(() => s.clips.upsertFile(file('/a.wav'), [clip('a.wav')], 't0'));
    s.tx(() => s.clips.upsertFile(file('/a.wav'), [clip('a.wav')], 't1')); // same path + hash: no new row
    expect(s.clips.count()).toBe(1);
    const [row] = s.clips.list({}, 'name', false, 0, 10).rows;
    expect(row).toMatchObject({ name: 'a.wav', machineType: 'fan', attributes: { speed_level: '2' }, verdict: null });
    const prev = s.labels.set([row.id], 'anomaly', 'kim', '2026-01-01');
    expect(prev).toEqual([{ clipId: row.id, verdict: null }]);
    s.labels.set([row.id], 'normal', 'lee', '2026-01-02');
    expect(s.labels.history(row.id).map((h) => h.verdict)).toEqual(['anomaly', 'normal']);
    expect(s.clips.list({ verdict: 'normal' }, 'name', false, 0, 10).total).toBe(1);
    expect(s.clips.list({ verdict: 'none' }, 'name', false, 0, 10).total).toBe(0);
    s.clips.setAttribute([row.id], 'mic_position_id', 'B');
    expect(s.clips.get(row.id)?.attributes).toEqual({ speed_level: '2', mic_position_id: 'B' });
    s.close();
  });

  it('enforces constraints: a bad role never lands and nothing else is lost', () => {
    const s = Store.create(tmp());
    s.tx(() => s.clips.upsertFile(file('/a.wav'), [clip('a.wav')], 't0'));
    expect(() => s.tx(() => s.clips.upsertFile({ ...file('/b.wav'), sha256: 'b'.repeat(64) }, [{ ...clip('b.wav'), role: 'bogus' as never }], 't1'))).toThrow();
    expect(s.clips.count()).toBe(1);
    expect(s.clips.fileByPath('/b.wav')).toBeNull();
    s.close();
  });

  it('migrate() on an up-to-date store is a no-op', () => {
    const s = Store.create(tmp());
    expect(migrate(s.db)).toEqual({ from: SCHEMA_VERSION, to: SCHEMA_VERSION });
    s.close();
  });
});

describe('opening a project after a crash', () => {
  it('clears runs left running and half-written detectors, keeping finished work', async () => {
    const { createBackend } = await import('../../../src/main/backend');
    const dir = tmp();
    const s = Store.create(dir);
    const done = s.results.saveDetector({ approach: 'B', machineType: 'fan', section: '00', config: {}, stateJson: {}, blobs: { x: new Float32Array([1, 2]) } });
    s.db.prepare("INSERT INTO detectors (approach, machine_type, section, config, state_json, complete, created_at) VALUES ('A', 'fan', '00', '{}', '{}', 0, 'x')").run();
    const stuck = s.results.startRun('eval', 'B', done, {});
    s.close();
    const h = createBackend({ host: 'cli', homeDir: tmp() });
    h.openProject(dir);
    const st = h.store();
    expect(st.results.run(stuck)?.state).toBe('failed');
    expect(st.results.detectors().map((d) => d.id)).toEqual([done]);
    expect(st.db.prepare('SELECT COUNT(*) AS n FROM detectors WHERE complete = 0').get()).toEqual({ n: 0 });
    h.close();
  });
});
