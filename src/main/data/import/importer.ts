// The import pipeline: hash, decode, standardise, and store in batches, one transaction each,
// so a cancelled or killed import keeps every batch that finished and never half a file.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { HarkError } from '../../../shared/rpc';
import { decodeFile } from '../../audio/decode';
import { standardise } from '../../audio/standardise';
import type { NewClip, NewFile } from '../../store/clips-repo';
import type { Store } from '../../store/store';
import type { ImportEntry, ImportListing, ImportProblem } from './entries';

export interface ImportOptions {
  signal?: AbortSignal;
  onProgress?: (p: { stage: string; done: number; total: number }) => void;
  /** files per transaction */
  batchSize?: number;
  /** slicing of long recordings */
  clipS?: number;
  hopS?: number;
}

export interface ImportSummary {
  files: number;
  imported: number;
  unchanged: number;
  /** unchanged files whose role, domain, split or label the package corrected */
  metadataUpdated: number;
  failed: number;
  clipsAdded: number;
  problems: ImportProblem[];
  cancelled: boolean;
}

export async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  await new Promise<void>((resolve, reject) => {
    fs.createReadStream(file, { highWaterMark: 1 << 20 })
      .on('data', (c) => h.update(c))
      .on('end', () => resolve())
      .on('error', reject);
  });
  return h.digest('hex');
}

/** Shorter audio gives no whole feature frame (log-mel needs 513 samples) and is no machine sound to judge. */
export const MIN_CLIP_S = 0.1;

/** A clear reason when a listed path is no readable regular file; checked before anything opens it (a FIFO would block). */
async function checkReadable(file: string): Promise<void> {
  let st: fs.Stats;
  try {
    st = await fs.promises.stat(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new HarkError('bad_input', `${file}: ${code === 'ENOENT' ? 'file not found' : `cannot read the file (${code ?? String(e)})`}`);
  }
  if (!st.isFile()) throw new HarkError('bad_input', `${file}: not a regular file (${st.isDirectory() ? 'a folder' : 'a special file'} named like audio)`);
  try {
    await fs.promises.access(file, fs.constants.R_OK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new HarkError('bad_input', `${file}: cannot read the file (${code === 'EACCES' || code === 'EPERM' ? 'permission denied' : (code ?? String(e))})`);
  }
}

function clipName(file: string, offsetS: number, many: boolean): string {
  const base = path.basename(file);
  return many ? `${base}@${offsetS.toFixed(offsetS % 1 === 0 ? 0 : 2)}s` : base;
}

async function prepare(entry: ImportEntry, sha256: string, opts: ImportOptions): Promise<{ file: NewFile; clips: NewClip[]; warnings: string[] }> {
  const decoded = await decodeFile(entry.path);
  const std = standardise(decoded, { clipS: opts.clipS, hopS: opts.hopS });
  if (std.clips.length === 0) throw new HarkError('bad_input', `${entry.path}: no audio after standardisation (too short?)`);
  const shortest = Math.min(...std.clips.map((c) => c.samples.length)) / 16_000;
  if (shortest < MIN_CLIP_S) throw new HarkError('bad_input', `${entry.path}: too short: ${shortest.toFixed(3)} s of audio; a clip needs at least ${MIN_CLIP_S} s`);
  const many = std.clips.length > 1;
  const fmt = decoded.format;
  const file: NewFile = {
    path: entry.path,
    sha256,
    sizeBytes: fs.statSync(entry.path).size,
    sampleRate: decoded.sampleRate,
    channels: decoded.channels,
    durationS: decoded.frames / decoded.sampleRate,
    format: `${fmt.container}/${fmt.codec}${fmt.bitsPerSample}${fmt.extensible ? '/extensible' : ''}`,
    sourcePackage: entry.sourcePackage,
  };
  const clips: NewClip[] = std.clips.map((c) => ({
    name: clipName(entry.path, c.offsetS, many),
    machineType: entry.machineType,
    section: entry.section,
    domain: entry.domain,
    split: entry.split,
    label: entry.label,
    role: entry.role,
    offsetS: c.offsetS,
    durationS: c.samples.length / 16_000,
    attributes: entry.attributes,
    stats: { ...c.stats },
    conversions: { ...std.conversions },
  }));
  return { file, clips, warnings: decoded.warnings ?? [] };
}

export async function importListing(store: Store, listing: ImportListing, opts: ImportOptions = {}): Promise<ImportSummary> {
  const batchSize = opts.batchSize ?? 32;
  const total = listing.entries.length;
  const problems: ImportProblem[] = [...listing.problems];
  const summary: ImportSummary = { files: total, imported: 0, unchanged: 0, metadataUpdated: 0, failed: 0, clipsAdded: 0, problems, cancelled: false };
  const now = () => new Date().toISOString();
  const pkg = listing.entries[0]?.sourcePackage ?? 'import';
  let batch: { file: NewFile; clips: NewClip[] }[] = [];

  const flush = () => {
    if (batch.length === 0) return;
    const at = now();
    const items = batch;
    batch = [];
    store.tx(() => {
      for (const it of items) summary.clipsAdded += store.clips.upsertFile(it.file, it.clips, at).inserted;
    });
    summary.imported += items.length;
  };

  opts.onProgress?.({ stage: 'importing', done: 0, total });
  try {
    for (let i = 0; i < total; i++) {
      if (opts.signal?.aborted) {
        summary.cancelled = true;
        break;
      }
      const entry = listing.entries[i];
      try {
        await checkReadable(entry.path);
        const sha = await sha256File(entry.path);
        const known = store.clips.fileByPath(entry.path);
        if (known && known.sha256 === sha) {
          summary.unchanged++;
          // the audio is the same; the package's description of it may have been corrected since
          const r = store.tx(() => store.clips.refreshFromPackage(known.id, entry));
          if (r.changed.length) {
            summary.metadataUpdated++;
            problems.push({ path: entry.path, level: 'warning', message: `${entry.path}: audio unchanged; updated from the package: ${r.changed.join(', ')} (${r.clips} clip(s))` });
          }
          if (r.kept.length) {
            problems.push({ path: entry.path, level: 'warning', message: `${entry.path}: audio unchanged; kept the project's ${r.kept.join(', ')}${r.kept.some((k) => k.startsWith('attribute')) ? '; attributes can be changed in the Clips grid if the package is right' : ''}` });
          }
        } else {
          const item = await prepare(entry, sha, opts);
          for (const w of item.warnings) problems.push({ path: entry.path, level: 'warning', message: `${entry.path}: ${w}` });
          batch.push(item);
          if (batch.length >= batchSize) flush();
        }
      } catch (e) {
        summary.failed++;
        const msg = e instanceof Error ? e.message : String(e);
        problems.push({ path: entry.path, level: 'error', message: msg.includes(entry.path) ? msg : `${entry.path}: ${msg}` });
      }
      opts.onProgress?.({ stage: 'importing', done: i + 1, total });
    }
    flush();
  } finally {
    if (problems.length) store.importLog.add(problems.map((p) => ({ at: now(), package: pkg, path: p.path, level: p.level, message: p.message })));
  }
  return summary;
}
