// Project-level key/value facts (name, creation time, per-project settings such as KPI thresholds).
import type { Db } from './db';

export class ProjectRepo {
  constructor(private db: Db) {}

  get(key: string): string | null {
    const row = this.db.prepare('SELECT value FROM project WHERE key = ?').get(key) as { value: string } | undefined;
    return row ? row.value : null;
  }

  set(key: string, value: string): void {
    this.db.prepare('INSERT INTO project (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  getJson<T>(key: string, fallback: T): T {
    const v = this.get(key);
    if (v === null) return fallback;
    try {
      return JSON.parse(v) as T;
    } catch {
      return fallback;
    }
  }

  setJson(key: string, value: unknown): void {
    this.set(key, JSON.stringify(value));
  }
}
