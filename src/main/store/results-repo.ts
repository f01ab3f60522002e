// Fitted detectors, runs, scores and anomaly maps. A detector is written whole in one
// transaction (complete = 1 at the end), so a crash never leaves a half-written detector usable.
import type { Db } from './db';

export interface DetectorRow {
  id: number;
  approach: string;
  machineType: string;
  section: string;
  config: Record<string, unknown>;
  stateJson: Record<string, unknown>;
  createdAt: string;
}

export interface RunRow {
  id: number;
  kind: string;
  approach: string | null;
  detectorId: number | null;
  params: Record<string, unknown>;
  state: 'running' | 'done' | 'failed' | 'cancelled';
  report: unknown;
  startedAt: string;
  finishedAt: string | null;
}

const f32 = (b: Buffer): Float32Array => {
  const out = new Float32Array(b.byteLength / 4);
  new Uint8Array(out.buffer).set(b);
  return out;
};
const blob = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

export class ResultsRepo {
  constructor(private db: Db) {}

  saveDetector(d: { approach: string; machineType: string; section: string; config: unknown; stateJson: unknown; blobs: Record<string, Float32Array> }): number {
    return this.db.transaction(() => {
      const id = Number(
        this.db
          .prepare('INSERT INTO detectors (approach, machine_type, section, config, state_json, complete, created_at) VALUES (?, ?, ?, ?, ?, 0, ?)')
          .run(d.approach, d.machineType, d.section, JSON.stringify(d.config), JSON.stringify(d.stateJson), new Date().toISOString()).lastInsertRowid,
      );
      const put = this.db.prepare('INSERT INTO detector_blobs (detector_id, name, data) VALUES (?, ?, ?)');
      for (const [name, a] of Object.entries(d.blobs)) put.run(id, name, blob(a));
      this.db.prepare('UPDATE detectors SET complete = 1 WHERE id = ?').run(id);
      return id;
    })();
  }

  detector(id: number): (DetectorRow & { blobs: Record<string, Float32Array> }) | null {
    const r = this.db.prepare('SELECT * FROM detectors WHERE id = ? AND complete = 1').get(id) as
      | { id: number; approach: string; machine_type: string; section: string; config: string; state_json: string; created_at: string }
      | undefined;
    if (!r) return null;
    const blobs: Record<string, Float32Array> = {};
    for (const b of this.db.prepare('SELECT name, data FROM detector_blobs WHERE detector_id = ?').all(id) as { name: string; data: Buffer }[]) blobs[b.name] = f32(b.data);
    return { id: r.id, approach: r.approach, machineType: r.machine_type, section: r.section, config: JSON.parse(r.config), stateJson: JSON.parse(r.state_json), createdAt: r.created_at, blobs };
  }

  detectors(): DetectorRow[] {
    return (this.db.prepare('SELECT id, approach, machine_type, section, config, state_json, created_at FROM detectors WHERE complete = 1 ORDER BY id DESC').all() as {
      id: number;
      approach: string;
      machine_type: string;
      section: string;
      config: string;
      state_json: string;
      created_at: string;
    }[]).map((r) => ({ id: r.id, approach: r.approach, machineType: r.machine_type, section: r.section, config: JSON.parse(r.config), stateJson: {}, createdAt: r.created_at }));
  }

  startRun(kind: string, approach: string | null, detectorId: number | null, params: unknown): number {
    return Number(
      this.db
        .prepare("INSERT INTO runs (kind, approach, detector_id, params, state, started_at) VALUES (?, ?, ?, ?, 'running', ?)")
        .run(kind, approach, detectorId, JSON.stringify(params ?? {}), new Date().toISOString()).lastInsertRowid,
    );
  }

  finishRun(id: number, state: RunRow['state'], report: unknown): void {
    this.db.prepare('UPDATE runs SET state = ?, report = ?, finished_at = ? WHERE id = ?').run(state, report === undefined ? null : JSON.stringify(report), new Date().toISOString(), id);
  }

  run(id: number): RunRow | null {
    const r = this.db.prepare('SELECT * FROM runs WHERE id = ?').get(id) as
      | { id: number; kind: string; approach: string | null; detector_id: number | null; params: string; state: RunRow['state']; report: string | null; started_at: string; finished_at: string | null }
      | undefined;
    return r
      ? { id: r.id, kind: r.kind, approach: r.approach, detectorId: r.detector_id, params: JSON.parse(r.params), state: r.state, report: r.report ? JSON.parse(r.report) : null, startedAt: r.started_at, finishedAt: r.finished_at }
      : null;
  }

  runs(kind?: string): RunRow[] {
    const rows = (kind ? this.db.prepare('SELECT id FROM runs WHERE kind = ? ORDER BY id DESC').all(kind) : this.db.prepare('SELECT id FROM runs ORDER BY id DESC').all()) as { id: number }[];
    return rows.map((r) => this.run(r.id)!);
  }

  saveScores(runId: number, rows: { clipId: number; score: number; parts?: Record<string, number> }[]): void {
    const put = this.db.prepare('INSERT OR REPLACE INTO scores (run_id, clip_id, score, parts) VALUES (?, ?, ?, ?)');
    this.db.transaction(() => {
      for (const r of rows) put.run(runId, r.clipId, r.score, r.parts ? JSON.stringify(r.parts) : null);
    })();
  }

  scores(runId: number): { clipId: number; score: number; parts: Record<string, number> | null }[] {
    return (this.db.prepare('SELECT clip_id, score, parts FROM scores WHERE run_id = ? ORDER BY clip_id').all(runId) as { clip_id: number; score: number; parts: string | null }[]).map((r) => ({
      clipId: r.clip_id,
      score: r.score,
      parts: r.parts ? JSON.parse(r.parts) : null,
    }));
  }

  saveMap(runId: number, clipId: number, geometry: unknown, values: Float32Array, perLayer?: Record<number, Float32Array>): void {
    let layers: Buffer | null = null;
    if (perLayer && Object.keys(perLayer).length) {
      // layer blobs concatenated in the order of the geometry's `layers` list
      const keys = Object.keys(perLayer).map(Number).sort((a, b) => a - b);
      const all = new Float32Array(keys.length * values.length);
      keys.forEach((k, i) => all.set(perLayer[k], i * values.length));
      layers = blob(all);
      geometry = { ...(geometry as object), layers: keys };
    }
    this.db.prepare('INSERT OR REPLACE INTO anomaly_maps (run_id, clip_id, geometry, data, layers) VALUES (?, ?, ?, ?, ?)').run(runId, clipId, JSON.stringify(geometry), blob(values), layers);
  }

  map(runId: number, clipId: number): { geometry: Record<string, unknown>; values: Float32Array; perLayer: Record<number, Float32Array> } | null {
    const r = this.db.prepare('SELECT geometry, data, layers FROM anomaly_maps WHERE run_id = ? AND clip_id = ?').get(runId, clipId) as { geometry: string; data: Buffer; layers: Buffer | null } | undefined;
    if (!r) return null;
    const geometry = JSON.parse(r.geometry) as Record<string, unknown> & { layers?: number[] };
    const values = f32(r.data);
    const perLayer: Record<number, Float32Array> = {};
    if (r.layers && geometry.layers) {
      const all = f32(r.layers);
      geometry.layers.forEach((k, i) => (perLayer[k] = all.slice(i * values.length, (i + 1) * values.length)));
    }
    return { geometry, values, perLayer };
  }

  /** Replaces the checkpoint under key, whole, in one transaction. */
  saveCheckpoint(key: string, state: { json: Record<string, unknown>; blobs: Record<string, Float32Array> }): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM checkpoints WHERE key = ?').run(key);
      this.db.prepare('INSERT INTO checkpoints (key, state_json, saved_at) VALUES (?, ?, ?)').run(key, JSON.stringify(state.json), new Date().toISOString());
      const put = this.db.prepare('INSERT INTO checkpoint_blobs (key, name, data) VALUES (?, ?, ?)');
      for (const [name, a] of Object.entries(state.blobs)) put.run(key, name, blob(a));
    })();
  }

  checkpoint(key: string): { json: Record<string, unknown>; blobs: Record<string, Float32Array> } | null {
    const r = this.db.prepare('SELECT state_json FROM checkpoints WHERE key = ?').get(key) as { state_json: string } | undefined;
    if (!r) return null;
    const blobs: Record<string, Float32Array> = {};
    for (const b of this.db.prepare('SELECT name, data FROM checkpoint_blobs WHERE key = ?').all(key) as { name: string; data: Buffer }[]) blobs[b.name] = f32(b.data);
    return { json: JSON.parse(r.state_json) as Record<string, unknown>, blobs };
  }

  clearCheckpoint(key: string): void {
    this.db.prepare('DELETE FROM checkpoints WHERE key = ?').run(key);
  }

  /** The newest finished run of a kind that has a map for this clip. */
  latestMapRun(clipId: number): number | null {
    const r = this.db.prepare("SELECT m.run_id FROM anomaly_maps m JOIN runs r ON r.id = m.run_id WHERE m.clip_id = ? AND r.state = 'done' ORDER BY m.run_id DESC LIMIT 1").get(clipId) as { run_id: number } | undefined;
    return r ? r.run_id : null;
  }
}
