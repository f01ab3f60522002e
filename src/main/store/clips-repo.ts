// Files and clips: insertion by the importer, paged queries for the grid, metadata edits.
import type { ClipFacets, ClipFilter, ClipRow, CLIP_SORT_KEYS } from '../../shared/api';
import type { Attributes, ClipRecord, Domain, Label, Role, Split, Verdict } from '../../shared/domain';
import type { Db } from './db';

export interface NewFile {
  path: string;
  sha256: string;
  sizeBytes: number;
  sampleRate: number;
  channels: number;
  durationS: number;
  format: string;
  sourcePackage: string;
}

export interface NewClip {
  name: string;
  machineType: string;
  section: string;
  domain: Domain | null;
  split: Split;
  label: Label | null;
  role: Role;
  offsetS: number;
  durationS: number;
  attributes: Attributes;
  stats?: Record<string, number>;
  conversions?: Record<string, unknown>;
}

interface ClipDbRow {
  id: number;
  name: string;
  machine_type: string;
  section: string;
  domain: Domain | null;
  split: Split;
  label: Label | null;
  role: Role;
  offset_s: number;
  duration_s: number;
  attributes: string;
  path: string;
  sha256: string;
  sample_rate: number;
  channels: number;
  source_package: string;
  verdict: Verdict | null;
  verdict_by: string | null;
  verdict_at: string | null;
  score: number | null;
}

const SORT_SQL: Record<(typeof CLIP_SORT_KEYS)[number], string> = {
  id: 'c.id',
  name: 'c.name',
  machineType: 'c.machine_type',
  section: 'c.section',
  domain: 'c.domain',
  split: 'c.split',
  label: 'c.label',
  role: 'c.role',
  score: 's.score',
};

function toRow(r: ClipDbRow): ClipRow {
  return {
    id: r.id,
    name: r.name,
    machineType: r.machine_type,
    section: r.section,
    domain: r.domain,
    split: r.split,
    label: r.label,
    role: r.role,
    path: r.path,
    sha256: r.sha256,
    sampleRate: r.sample_rate,
    channels: r.channels,
    durationS: r.duration_s,
    offsetS: r.offset_s,
    attributes: JSON.parse(r.attributes) as Attributes,
    sourcePackage: r.source_package,
    verdict: r.verdict,
    verdictBy: r.verdict_by,
    verdictAt: r.verdict_at,
    score: r.score,
  };
}

export class ClipsRepo {
  constructor(private db: Db) {}

  fileByPath(path: string): { id: number; sha256: string } | null {
    return (this.db.prepare('SELECT id, sha256 FROM files WHERE path = ?').get(path) as { id: number; sha256: string } | undefined) ?? null;
  }

  /**
   * Re-import of unchanged audio: the package's role, domain, split and label (which Hark does not let
   * anyone edit) replace the stored ones; machine type, section and attributes are only compared
   * (moving clips between sections re-homes their runs; attributes may carry the engineer's edits).
   * Returns what changed and what differs but was kept, for the import's report.
   */
  refreshFromPackage(
    fileId: number,
    pkg: { machineType: string; section: string; domain: string | null; split: string; label: string | null; role: string; attributes: Record<string, string> },
  ): { changed: string[]; kept: string[]; clips: number } {
    const rows = this.db.prepare('SELECT id, machine_type, section, domain, split, label, role, attributes FROM clips WHERE file_id = ? ORDER BY offset_s').all(fileId) as {
      id: number;
      machine_type: string;
      section: string;
      domain: string | null;
      split: string;
      label: string | null;
      role: string;
      attributes: string;
    }[];
    if (rows.length === 0) return { changed: [], kept: [], clips: 0 };
    const r = rows[0];
    const q = (v: string | null) => (v === null ? 'none' : `'${v}'`);
    const changed: string[] = [];
    for (const [field, now, was] of [
      ['role', pkg.role, r.role],
      ['domain', pkg.domain, r.domain],
      ['split', pkg.split, r.split],
      ['label', pkg.label, r.label],
    ] as const) {
      if (now !== was) changed.push(`${field} ${q(was)} -> ${q(now)}`);
    }
    if (changed.length) {
      this.db.prepare('UPDATE clips SET role = ?, domain = ?, split = ?, label = ? WHERE file_id = ?').run(pkg.role, pkg.domain, pkg.split, pkg.label, fileId);
    }
    const kept: string[] = [];
    if (pkg.machineType !== r.machine_type || pkg.section !== r.section) kept.push(`machine type/section ${r.machine_type}/${r.section} (the package says ${pkg.machineType}/${pkg.section})`);
    const attrs = JSON.parse(r.attributes) as Record<string, string>;
    for (const k of Object.keys(pkg.attributes).sort()) {
      if (attrs[k] !== pkg.attributes[k]) kept.push(`attribute ${k} ${q(attrs[k] ?? null)} (the package says ${q(pkg.attributes[k])})`);
    }
    return { changed, kept, clips: rows.length };
  }

  /** Insert one file and its clips; the caller wraps batches in a transaction. Idempotent by path + hash. */
  upsertFile(file: NewFile, clips: NewClip[], importedAt: string): { fileId: number; inserted: number } {
    const existing = this.fileByPath(file.path);
    if (existing && existing.sha256 === file.sha256) return { fileId: existing.id, inserted: 0 };
    if (existing) this.db.prepare('DELETE FROM files WHERE id = ?').run(existing.id); // content changed: replace
    const fileId = Number(
      this.db
        .prepare(
          `INSERT INTO files (path, sha256, size_bytes, sample_rate, channels, duration_s, format, source_package, imported_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(file.path, file.sha256, file.sizeBytes, file.sampleRate, file.channels, file.durationS, file.format, file.sourcePackage, importedAt)
        .lastInsertRowid,
    );
    const addMt = this.db.prepare('INSERT OR IGNORE INTO machine_types (name) VALUES (?)');
    const addSec = this.db.prepare('INSERT OR IGNORE INTO sections (machine_type, section) VALUES (?, ?)');
    const add = this.db.prepare(
      `INSERT INTO clips (file_id, name, machine_type, section, domain, split, label, role, offset_s, duration_s, attributes, stats, conversions)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    for (const c of clips) {
      addMt.run(c.machineType);
      addSec.run(c.machineType, c.section);
      add.run(
        fileId,
        c.name,
        c.machineType,
        c.section,
        c.domain,
        c.split,
        c.label,
        c.role,
        c.offsetS,
        c.durationS,
        JSON.stringify(c.attributes),
        JSON.stringify(c.stats ?? {}),
        JSON.stringify(c.conversions ?? {}),
      );
    }
    return { fileId, inserted: clips.length };
  }

  count(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM clips').get() as { n: number }).n;
  }

  machineTypes(): string[] {
    return (this.db.prepare('SELECT name FROM machine_types ORDER BY name').all() as { name: string }[]).map((r) => r.name);
  }

  private where(filter: ClipFilter): { sql: string; params: unknown[] } {
    const parts: string[] = [];
    const params: unknown[] = [];
    const eq = (col: string, v: unknown) => {
      if (v !== undefined) {
        parts.push(`${col} = ?`);
        params.push(v);
      }
    };
    eq('c.machine_type', filter.machineType);
    eq('c.section', filter.section);
    eq('c.domain', filter.domain);
    eq('c.split', filter.split);
    eq('c.label', filter.label);
    eq('c.role', filter.role);
    if (filter.verdict === 'none') parts.push('v.verdict IS NULL');
    else eq('v.verdict', filter.verdict);
    if (filter.text) {
      parts.push("c.name LIKE ? ESCAPE '\\'");
      params.push(`%${filter.text.replace(/[\\%_]/g, (m) => '\\' + m)}%`);
    }
    if (filter.scoreMin !== undefined) {
      parts.push('s.score >= ?');
      params.push(filter.scoreMin);
    }
    if (filter.scoreMax !== undefined) {
      parts.push('s.score <= ?');
      params.push(filter.scoreMax);
    }
    return { sql: parts.length ? `WHERE ${parts.join(' AND ')}` : '', params };
  }

  list(filter: ClipFilter, sort: keyof typeof SORT_SQL, desc: boolean, offset: number, limit: number): { total: number; rows: ClipRow[] } {
    const { sql, params } = this.where(filter);
    const from = `FROM clips c JOIN files f ON f.id = c.file_id
      LEFT JOIN verification_labels v ON v.clip_id = c.id
      LEFT JOIN scores s ON s.clip_id = c.id AND s.run_id = ?`;
    const runParam = filter.scoreRun ?? -1;
    const total = (this.db.prepare(`SELECT COUNT(*) AS n ${from} ${sql}`).get(runParam, ...params) as { n: number }).n;
    const order = `${SORT_SQL[sort]} ${desc ? 'DESC' : 'ASC'}, c.id ASC`;
    const rows = this.db
      .prepare(
        `SELECT c.id, c.name, c.machine_type, c.section, c.domain, c.split, c.label, c.role, c.offset_s, c.duration_s, c.attributes,
                f.path, f.sha256, f.sample_rate, f.channels, f.source_package,
                v.verdict, v.who AS verdict_by, v.at AS verdict_at, s.score
         ${from} ${sql} ORDER BY ${order} LIMIT ? OFFSET ?`,
      )
      .all(runParam, ...params, limit, offset) as ClipDbRow[];
    return { total, rows: rows.map(toRow) };
  }

  get(id: number): ClipRow | null {
    const row = this.db
      .prepare(
        `SELECT c.id, c.name, c.machine_type, c.section, c.domain, c.split, c.label, c.role, c.offset_s, c.duration_s, c.attributes,
                f.path, f.sha256, f.sample_rate, f.channels, f.source_package,
                v.verdict, v.who AS verdict_by, v.at AS verdict_at, NULL AS score
         FROM clips c JOIN files f ON f.id = c.file_id LEFT JOIN verification_labels v ON v.clip_id = c.id WHERE c.id = ?`,
      )
      .get(id) as ClipDbRow | undefined;
    return row ? toRow(row) : null;
  }

  /** The clips a run scored, with their score, in one query (a run may hold 20,000 clips). */
  scoredInRun(runId: number): ClipRow[] {
    const rows = this.db
      .prepare(
        `SELECT c.id, c.name, c.machine_type, c.section, c.domain, c.split, c.label, c.role, c.offset_s, c.duration_s, c.attributes,
                f.path, f.sha256, f.sample_rate, f.channels, f.source_package,
                v.verdict, v.who AS verdict_by, v.at AS verdict_at, s.score
         FROM scores s JOIN clips c ON c.id = s.clip_id JOIN files f ON f.id = c.file_id
         LEFT JOIN verification_labels v ON v.clip_id = c.id WHERE s.run_id = ? ORDER BY c.id`,
      )
      .all(runId) as ClipDbRow[];
    return rows.map(toRow);
  }

  /** Clips of one machine type and section, for fitting and scoring. */
  forSection(machineType: string, section: string): ClipRecord[] {
    const { rows } = this.list({ machineType, section }, 'name', false, 0, 1_000_000);
    return rows;
  }

  facets(): ClipFacets {
    const machineTypes = this.machineTypes();
    const sections = (this.db.prepare('SELECT DISTINCT section FROM sections ORDER BY section').all() as { section: string }[]).map((r) => r.section);
    const counts = this.db.prepare('SELECT role, COUNT(*) AS n FROM clips GROUP BY role ORDER BY role').all() as { role: string; n: number }[];
    return { machineTypes, sections, counts };
  }

  existingIds(ids: number[]): number[] {
    const out: number[] = [];
    const q = this.db.prepare('SELECT id FROM clips WHERE id = ?');
    for (const id of ids) if (q.get(id)) out.push(id);
    return out;
  }

  setAttribute(ids: number[], key: string, value: string | null): void {
    const stmt =
      value === null
        ? this.db.prepare('UPDATE clips SET attributes = json_remove(attributes, ?) WHERE id = ?')
        : this.db.prepare('UPDATE clips SET attributes = json_set(attributes, ?, ?) WHERE id = ?');
    const jsonPath = `$."${key}"`;
    this.db.transaction(() => {
      for (const id of ids) {
        if (value === null) stmt.run(jsonPath, id);
        else stmt.run(jsonPath, value, id);
      }
    })();
  }
}

export interface FormClipRow {
  clipId: number;
  machineType: string;
  section: string;
  clip: import('../../shared/form').FormClip;
}

/** Everything the Form check reads, one row per clip. */
export function formClips(db: Db): FormClipRow[] {
  const rows = db
    .prepare(
      `SELECT c.id, c.machine_type, c.section, c.role, c.domain, c.label, c.duration_s, c.attributes, c.stats, c.conversions,
              f.sha256, f.sample_rate, f.channels, v.verdict
       FROM clips c JOIN files f ON f.id = c.file_id LEFT JOIN verification_labels v ON v.clip_id = c.id
       ORDER BY c.machine_type, c.section`,
    )
    .all() as {
    id: number;
    machine_type: string;
    section: string;
    role: Role;
    domain: Domain | null;
    label: Label | null;
    duration_s: number;
    attributes: string;
    stats: string;
    conversions: string;
    sha256: string;
    sample_rate: number;
    channels: number;
    verdict: Verdict | null;
  }[];
  return rows.map((r) => {
    const stats = JSON.parse(r.stats) as { clippedFraction?: number; silentFraction?: number };
    const conv = JSON.parse(r.conversions) as { sliced?: boolean };
    return {
      clipId: r.id,
      machineType: r.machine_type,
      section: r.section,
      clip: {
        role: r.role,
        domain: r.domain,
        label: r.label,
        verdict: r.verdict,
        durationS: r.duration_s,
        attributes: JSON.parse(r.attributes) as Record<string, string>,
        sha256: r.sha256,
        sourceRate: r.sample_rate,
        sourceChannels: r.channels,
        sliced: Boolean(conv.sliced),
        clippedFraction: stats.clippedFraction ?? 0,
        silentFraction: stats.silentFraction ?? 0,
      },
    };
  });
}
