// Verification verdicts with full history: labels are the KPI gate's evidence.
import type { Verdict } from '../../shared/domain';
import type { Db } from './db';

export class LabelsRepo {
  constructor(private db: Db) {}

  get(clipId: number): Verdict | null {
    const r = this.db.prepare('SELECT verdict FROM verification_labels WHERE clip_id = ?').get(clipId) as { verdict: Verdict } | undefined;
    return r ? r.verdict : null;
  }

  /** Sets (or clears) verdicts in one transaction and returns the previous ones for undo. */
  set(clipIds: number[], verdict: Verdict | null, who: string, at: string): { clipId: number; verdict: Verdict | null }[] {
    const previous: { clipId: number; verdict: Verdict | null }[] = [];
    const upsert = this.db.prepare(
      `INSERT INTO verification_labels (clip_id, verdict, who, at) VALUES (?, ?, ?, ?)
       ON CONFLICT(clip_id) DO UPDATE SET verdict = excluded.verdict, who = excluded.who, at = excluded.at`,
    );
    const del = this.db.prepare('DELETE FROM verification_labels WHERE clip_id = ?');
    const hist = this.db.prepare('INSERT INTO verification_history (clip_id, verdict, who, at) VALUES (?, ?, ?, ?)');
    this.db.transaction(() => {
      for (const id of clipIds) {
        previous.push({ clipId: id, verdict: this.get(id) });
        if (verdict === null) del.run(id);
        else upsert.run(id, verdict, who, at);
        hist.run(id, verdict, who, at);
      }
    })();
    return previous;
  }

  history(clipId: number): { verdict: Verdict | null; who: string; at: string }[] {
    return this.db.prepare('SELECT verdict, who, at FROM verification_history WHERE clip_id = ? ORDER BY id').all(clipId) as {
      verdict: Verdict | null;
      who: string;
      at: string;
    }[];
  }

  counts(): { verdict: Verdict; n: number }[] {
    return this.db.prepare('SELECT verdict, COUNT(*) AS n FROM verification_labels GROUP BY verdict').all() as { verdict: Verdict; n: number }[];
  }
}
