// What each import said about each file: errors, warnings, conversions.
import type { Db } from './db';

export interface ImportLogEntry {
  at: string;
  package: string;
  path: string;
  level: 'error' | 'warning' | 'info';
  message: string;
}

export class ImportLogRepo {
  constructor(private db: Db) {}

  add(entries: ImportLogEntry[]): void {
    const stmt = this.db.prepare('INSERT INTO import_log (at, package, path, level, message) VALUES (?, ?, ?, ?, ?)');
    this.db.transaction(() => {
      for (const e of entries) stmt.run(e.at, e.package, e.path, e.level, e.message);
    })();
  }

  recent(limit = 500): ImportLogEntry[] {
    return this.db.prepare('SELECT at, package, path, level, message FROM import_log ORDER BY id DESC LIMIT ?').all(limit) as ImportLogEntry[];
  }
}
