// Project consistency: the promises the store's writers make (a file lands with its clips, a
// detector whole, a run with its scores and maps), checked after a crash or on demand.
import type { Db } from './db';

export type ProblemKind =
  | 'integrity'
  | 'foreign_key'
  | 'clip_without_file'
  | 'file_without_hash'
  | 'file_without_clips'
  | 'incomplete_detector'
  | 'detector_unreadable'
  | 'blob_size'
  | 'run_interrupted'
  | 'scores_of_unfinished_run'
  | 'finished_run_without_scores'
  | 'map_without_score'
  | 'map_size'
  | 'embedding_size';

export interface ConsistencyProblem {
  kind: ProblemKind;
  /** 'error': a broken promise; 'interrupted': a run a stopped process left behind (repairInterrupted clears it) */
  severity: 'error' | 'interrupted';
  message: string;
  /** how many rows are affected */
  count: number;
  /** a few of their ids, for the message and for tests */
  ids: (number | string)[];
}

export interface ConsistencyReport {
  /** no errors (interrupted runs may remain) */
  ok: boolean;
  problems: ConsistencyProblem[];
}

export interface CheckOptions {
  /** run PRAGMA integrity_check first (reads every page; about 1 s per GB) */
  integrity?: boolean;
  /** loads a complete detector as its approach would and throws when it cannot (e.g. approach.deserialise) */
  loadDetector?: (d: { id: number; approach: string; json: unknown; blobs: Record<string, Float32Array> }) => void;
}

const SAMPLE = 5;

function ids(db: Db, sql: string, ...params: unknown[]): (number | string)[] {
  return (db.prepare(sql).raw().all(...params) as [number | string][]).map((r) => r[0]);
}

function f32(b: Buffer): Float32Array {
  const out = new Float32Array(b.byteLength / 4);
  new Uint8Array(out.buffer).set(b);
  return out;
}

/** Checks every invariant; read-only, safe while another connection writes (it sees one snapshot). */
export function checkConsistency(db: Db, opts: CheckOptions = {}): ConsistencyReport {
  const problems: ConsistencyProblem[] = [];
  const add = (kind: ProblemKind, severity: ConsistencyProblem['severity'], found: (number | string)[], what: (n: number, sample: string) => string) => {
    if (found.length === 0) return;
    const sample = found.slice(0, SAMPLE).join(', ') + (found.length > SAMPLE ? ', ...' : '');
    problems.push({ kind, severity, message: what(found.length, sample), count: found.length, ids: found.slice(0, SAMPLE) });
  };
  // one snapshot for all queries, so a concurrent writer cannot make the checks disagree
  db.transaction(() => {
    if (opts.integrity) {
      const res = db.pragma('integrity_check', { simple: false }) as { integrity_check: string }[];
      const bad = res.map((r) => r.integrity_check).filter((m) => m !== 'ok');
      add('integrity', 'error', bad, (n, s) => `SQLite integrity check failed (${n} message(s)): ${s}`);
    }

    const fk = db.pragma('foreign_key_check') as { table: string; rowid: number; parent: string }[];
    const byPair = new Map<string, number[]>();
    for (const r of fk) {
      const k = `${r.table} -> ${r.parent}`;
      byPair.set(k, [...(byPair.get(k) ?? []), r.rowid]);
    }
    for (const [pair, rows] of byPair) add('foreign_key', 'error', rows, (n, s) => `${n} row(s) of ${pair.split(' -> ')[0]} refer to a missing ${pair.split(' -> ')[1]} row (rowids ${s})`);

    add('clip_without_file', 'error', ids(db, 'SELECT c.id FROM clips c LEFT JOIN files f ON f.id = c.file_id WHERE f.id IS NULL ORDER BY c.id'), (n, s) => `${n} clip(s) without their file row (clip ids ${s})`);
    add(
      'file_without_hash',
      'error',
      ids(db, "SELECT id FROM files WHERE sha256 IS NULL OR length(sha256) != 64 OR sha256 GLOB '*[^0-9a-f]*' ORDER BY id"),
      (n, s) => `${n} file(s) without a valid sha256 content hash (file ids ${s})`,
    );
    add('file_without_clips', 'error', ids(db, 'SELECT f.id FROM files f WHERE NOT EXISTS (SELECT 1 FROM clips c WHERE c.file_id = f.id) ORDER BY f.id'), (n, s) => `${n} file(s) stored without any clip; the import writes both in one transaction (file ids ${s})`);

    add('incomplete_detector', 'error', ids(db, 'SELECT id FROM detectors WHERE complete = 0 ORDER BY id'), (n, s) => `${n} half-written detector(s) (complete = 0; ids ${s})`);
    add('blob_size', 'error', ids(db, "SELECT detector_id || ':' || name FROM detector_blobs WHERE length(data) % 4 != 0"), (n, s) => `${n} detector blob(s) whose size is not a whole number of float32 values (${s})`);
    if (db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'checkpoint_blobs'").get()) {
      add('blob_size', 'error', ids(db, "SELECT key || ':' || name FROM checkpoint_blobs WHERE length(data) % 4 != 0"), (n, s) => `${n} training checkpoint blob(s) whose size is not a whole number of float32 values (${s})`);
    }
    if (opts.loadDetector) {
      const bad: number[] = [];
      const reasons: string[] = [];
      const rows = db.prepare('SELECT id, approach, state_json FROM detectors WHERE complete = 1 ORDER BY id').all() as { id: number; approach: string; state_json: string }[];
      const blobsOf = db.prepare('SELECT name, data FROM detector_blobs WHERE detector_id = ?');
      for (const r of rows) {
        const blobs: Record<string, Float32Array> = {};
        for (const b of blobsOf.all(r.id) as { name: string; data: Buffer }[]) blobs[b.name] = f32(b.data);
        try {
          opts.loadDetector({ id: r.id, approach: r.approach, json: JSON.parse(r.state_json), blobs });
        } catch (e) {
          bad.push(r.id);
          reasons.push(`${r.id}: ${(e as Error).message}`);
        }
      }
      add('detector_unreadable', 'error', bad, (n) => `${n} detector(s) cannot be loaded: ${reasons.slice(0, 2).join('; ')}`);
    }

    add('run_interrupted', 'interrupted', ids(db, "SELECT id FROM runs WHERE state = 'running' ORDER BY id"), (n, s) => `${n} run(s) still marked running: interrupted, unless a job is running now (run ids ${s})`);
    add(
      'scores_of_unfinished_run',
      'error',
      ids(db, "SELECT DISTINCT s.run_id FROM scores s JOIN runs r ON r.id = s.run_id WHERE r.state IN ('failed', 'cancelled') ORDER BY s.run_id"),
      (n, s) => `${n} failed or cancelled run(s) still hold scores (run ids ${s})`,
    );
    add(
      'finished_run_without_scores',
      'error',
      ids(db, "SELECT r.id FROM runs r WHERE r.kind = 'eval' AND r.state = 'done' AND NOT EXISTS (SELECT 1 FROM scores s WHERE s.run_id = r.id) ORDER BY r.id"),
      (n, s) => `${n} finished evaluation run(s) without any score (run ids ${s})`,
    );
    add(
      'map_without_score',
      'error',
      ids(db, "SELECT m.run_id || ':' || m.clip_id FROM anomaly_maps m WHERE NOT EXISTS (SELECT 1 FROM scores s WHERE s.run_id = m.run_id AND s.clip_id = m.clip_id)"),
      (n, s) => `${n} anomaly map(s) without the score of their run and clip (run:clip ${s})`,
    );
    add(
      'map_size',
      'error',
      ids(
        db,
        `SELECT run_id || ':' || clip_id FROM anomaly_maps
         WHERE length(data) != 4 * json_extract(geometry, '$.freq') * json_extract(geometry, '$.time')
            OR (layers IS NOT NULL AND length(layers) != length(data) * json_array_length(geometry, '$.layers'))`,
      ),
      (n, s) => `${n} anomaly map(s) whose size disagrees with their geometry (run:clip ${s})`,
    );

    const badEmb: string[] = [];
    for (const r of db.prepare('SELECT sha256, offset_s, encoder_id, layer, kind, shape, length(data) AS n FROM embeddings').iterate() as Iterable<{ sha256: string; offset_s: number; encoder_id: string; layer: number; kind: string; shape: string; n: number }>) {
      const shape = JSON.parse(r.shape) as unknown;
      const values = Array.isArray(shape) && shape.every((d) => Number.isInteger(d) && d >= 0) ? (shape as number[]).reduce((a, b) => a * b, 1) : -1;
      if (values * 4 !== r.n) badEmb.push(`${r.sha256.slice(0, 12)}@${r.offset_s}/${r.encoder_id}/${r.kind}${r.layer}`);
    }
    add('embedding_size', 'error', badEmb, (n, s) => `${n} cached embedding(s) whose size disagrees with their shape (${s})`);
  })();
  return { ok: problems.every((p) => p.severity !== 'error'), problems };
}

/**
 * Clears what a stopped process left behind: runs still marked running become 'failed' (their
 * partial scores and maps removed) and half-written detectors are deleted. Call only when no job
 * of any process writes to this project (e.g. at start-up before jobs run).
 */
export function repairInterrupted(db: Db, now = new Date().toISOString()): { runs: number; detectors: number } {
  return db.transaction(() => {
    const runs = ids(db, "SELECT id FROM runs WHERE state = 'running'") as number[];
    const report = JSON.stringify({ error: 'interrupted: the process stopped before the run finished' });
    for (const id of runs) {
      db.prepare('DELETE FROM anomaly_maps WHERE run_id = ?').run(id);
      db.prepare('DELETE FROM scores WHERE run_id = ?').run(id);
      db.prepare("UPDATE runs SET state = 'failed', report = ?, finished_at = ? WHERE id = ?").run(report, now, id);
    }
    const detectors = db.prepare('DELETE FROM detectors WHERE complete = 0').run().changes;
    return { runs: runs.length, detectors };
  })();
}
