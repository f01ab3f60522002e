// Embedding cache keyed by content: (file hash, clip offset, encoder id, version, layer, kind).
// A clip is never encoded twice, also across re-imports and projects that share files.
import type { Db } from './db';

export interface EmbeddingKey {
  sha256: string;
  offsetS: number;
  encoderId: string;
  encoderVersion: string;
  layer: number;
  kind: 'patches' | 'embedding';
}

export interface CachedArray {
  shape: number[];
  data: Float32Array;
}

function toBlob(a: Float32Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

function fromBlob(b: Buffer): Float32Array {
  // copy into an aligned buffer: SQLite blobs are not 4-byte aligned
  const out = new Float32Array(b.byteLength / 4);
  new Uint8Array(out.buffer).set(b);
  return out;
}

export class EmbeddingsRepo {
  constructor(private db: Db) {}

  get(k: EmbeddingKey): CachedArray | null {
    const r = this.db
      .prepare('SELECT shape, data FROM embeddings WHERE sha256 = ? AND offset_s = ? AND encoder_id = ? AND encoder_version = ? AND layer = ? AND kind = ?')
      .get(k.sha256, k.offsetS, k.encoderId, k.encoderVersion, k.layer, k.kind) as { shape: string; data: Buffer } | undefined;
    return r ? { shape: JSON.parse(r.shape) as number[], data: fromBlob(r.data) } : null;
  }

  put(k: EmbeddingKey, v: CachedArray): void {
    this.db
      .prepare(
        `INSERT OR REPLACE INTO embeddings (sha256, offset_s, encoder_id, encoder_version, layer, kind, shape, data, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(k.sha256, k.offsetS, k.encoderId, k.encoderVersion, k.layer, k.kind, JSON.stringify(v.shape), toBlob(v.data), new Date().toISOString());
  }

  clear(encoderId?: string): number {
    const r = encoderId ? this.db.prepare('DELETE FROM embeddings WHERE encoder_id = ?').run(encoderId) : this.db.prepare('DELETE FROM embeddings').run();
    return r.changes;
  }

  stats(): { encoderId: string; encoderVersion: string; kind: string; entries: number; bytes: number }[] {
    return this.db
      .prepare('SELECT encoder_id AS encoderId, encoder_version AS encoderVersion, kind, COUNT(*) AS entries, SUM(length(data)) AS bytes FROM embeddings GROUP BY encoder_id, encoder_version, kind')
      .all() as { encoderId: string; encoderVersion: string; kind: string; entries: number; bytes: number }[];
  }
}
