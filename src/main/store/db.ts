// Opening a project store: WAL, foreign keys, migrations in one transaction, newer schema refused.
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { HarkError } from '../../shared/rpc';
import { MIGRATIONS, SCHEMA_VERSION, type Migration } from './migrations';

export type Db = Database.Database;

export const STORE_FILE = 'project.sqlite';

export function storePath(projectDir: string): string {
  return path.join(projectDir, STORE_FILE);
}

export function schemaVersionOf(db: Db): number {
  const has = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get();
  if (!has) return 0;
  const row = db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null };
  return row.v ?? 0;
}

/** Apply every migration above the store's version, all in one transaction. */
export function migrate(db: Db, migrations: Migration[] = MIGRATIONS): { from: number; to: number } {
  const latest = migrations.length ? migrations[migrations.length - 1].version : 0;
  const from = schemaVersionOf(db);
  if (from > latest) {
    throw new HarkError(
      'conflict',
      `this project was written by a newer Hark (store schema ${from}; this Hark knows up to ${latest}); update Hark to open it`,
    );
  }
  if (from === latest) return { from, to: from };
  db.transaction(() => {
    db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`);
    const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
    for (const m of migrations) {
      if (m.version <= from) continue;
      db.exec(m.sql);
      record.run(m.version, m.name, new Date().toISOString());
    }
  })();
  return { from, to: latest };
}

export interface OpenOptions {
  create?: boolean;
  readonly?: boolean;
  migrations?: Migration[];
}

export function openDb(projectDir: string, opts: OpenOptions = {}): Db {
  const file = storePath(projectDir);
  if (!fs.existsSync(file)) {
    if (!opts.create) throw new HarkError('not_found', `no Hark project at ${projectDir} (missing ${STORE_FILE})`);
    fs.mkdirSync(projectDir, { recursive: true });
  }
  const fresh = !fs.existsSync(file);
  let db: Db;
  try {
    db = new Database(file, { readonly: opts.readonly ?? false });
  } catch (e) {
    throw new HarkError('bad_input', `cannot open ${file}: ${(e as Error).message}`);
  }
  try {
    // 16 KiB pages for new stores: embedding blobs of 1-2.5 MB write about twice as fast (bench/README.md)
    if (fresh) db.pragma('page_size = 16384');
    db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    db.pragma('synchronous = NORMAL'); // safe with WAL: a crash loses at most the last commits, never integrity
    db.pragma('busy_timeout = 5000');
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new HarkError('bad_input', `${file} is damaged: ${String(check)}`);
    if (!opts.readonly) migrate(db, opts.migrations);
    else if (schemaVersionOf(db) > SCHEMA_VERSION) migrate(db, opts.migrations); // throws the newer-schema message
  } catch (e) {
    db.close();
    if (e instanceof HarkError) throw e;
    throw new HarkError('bad_input', `cannot open ${file}: ${(e as Error).message}`);
  }
  return db;
}
