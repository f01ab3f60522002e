// Benchmark of the encoders as the app runs them: clips per second of fbank_patch, oww_speech and
// logmel_stats at 1 and 2 intra-op threads, cold (decode + graph input + network + cache write,
// through FeatureService) and cached (read back from the store's embedding cache), against a raw
// ONNX Runtime session on the same model, same options and same clips in the same run.
// Run: npx tsx bench/encoders.ts [--quick] [--clips N] [--reps R]
// Uses the real DCASE valve clips in ../shared/data when present, else 10 s synthetic WAVs.
// Timings interleave raw / cold / cached per repetition so load from other jobs on the shared
// machine hits all three alike; each figure is the median over repetitions.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import wavefile from 'wavefile';
import type { FeatureRequest } from '../src/main/approaches/types';
import { loadClipAudio } from '../src/main/data/clip-audio';
import { listDcase } from '../src/main/data/import/dcase';
import { importListing } from '../src/main/data/import/importer';
import { loadEncoder, loadModelRegistry, type Encoder } from '../src/main/encoders';
import { FeatureService } from '../src/main/encoders/features';
import { OnnxEncoder } from '../src/main/encoders/onnx-encoder';
import { Store } from '../src/main/store/store';
import type { ClipRecord } from '../src/shared/domain';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..');
const VALVE = path.resolve(repoRoot, '..', 'shared', 'data', 'dcase2023-valve-test');
const QUICK = process.argv.includes('--quick');
const argNum = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(name);
  if (i < 0) return dflt;
  const v = Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v < 1) throw new Error(`${name} must be a positive integer, got ${process.argv[i + 1]}`);
  return v;
};
const N_CLIPS = argNum('--clips', QUICK ? 12 : 40);
const REPS = argNum('--reps', QUICK ? 2 : 5);

interface Case {
  name: string;
  encoder: string;
  req: FeatureRequest;
}

// approach A's request (patch tokens of the default layers) and B/C's (one clip embedding)
const CASES: Case[] = [
  { name: 'fbank_patch/patches', encoder: 'fbank_patch', req: { kind: 'patches', encoder: 'fbank_patch', layers: [] } },
  { name: 'oww_speech/patches', encoder: 'oww_speech', req: { kind: 'patches', encoder: 'oww_speech', layers: [] } },
  { name: 'oww_speech/embedding', encoder: 'oww_speech', req: { kind: 'embedding', encoder: 'oww_speech' } },
  { name: 'logmel_stats/embedding', encoder: 'logmel_stats', req: { kind: 'embedding', encoder: 'logmel_stats' } },
];

const median = (v: number[]): number => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Wall and process CPU seconds of one call (CPU counts every thread, ONNX Runtime's too). */
async function timed(fn: () => Promise<void> | void): Promise<{ wallS: number; cpuS: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await fn();
  const c = process.cpuUsage(c0);
  return { wallS: (performance.now() - t0) / 1000, cpuS: (c.user + c.system) / 1e6 };
}

function syntheticPackage(dir: string, n: number): string {
  let s = 987654321;
  for (let i = 0; i < n; i++) {
    const x = new Float64Array(160_000);
    const f0 = 80 + 7 * i;
    for (let k = 0; k < x.length; k++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      const t = k / 16_000;
      x[k] = Math.round(32767 * (0.2 * Math.sin(2 * Math.PI * f0 * t) + 0.05 * Math.sin(2 * Math.PI * 3.1 * f0 * t) + 0.05 * (s / 2 ** 32 - 0.5)));
    }
    const w = new wavefile.WaveFile();
    w.fromScratch(1, 16_000, '16', x);
    const file = path.join(dir, 'pump', 'test', `section_00_source_test_normal_${String(i).padStart(4, '0')}.wav`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, w.toBuffer());
  }
  return dir;
}

interface Stage {
  /** milliseconds per clip */
  ms: number;
}

interface Row {
  case: string;
  encoder: string;
  threads: number | null;
  clips: number;
  reps: number;
  /** raw ONNX Runtime session.run on prepared inputs (null for DSP encoders: no network) */
  rawOrt: { clipsPerS: number; cpuSPerClip: number } | null;
  /** raw ORT with intra-op spinning off (threads > 1 only): what a loaded machine gets back */
  rawOrtNoSpin?: { clipsPerS: number };
  /** the DSP function itself on decoded audio (DSP encoders only) */
  rawDsp?: { clipsPerS: number };
  cold: { clipsPerS: number; cpuSPerClip: number };
  cached: { clipsPerS: number; cpuSPerClip: number };
  /** cold app clips/s over raw ORT clips/s: the goal is >= 0.95 */
  ratioColdToRawOrt: number | null;
  /** the same in process CPU time, for one thread only: robust to other jobs stealing the cores */
  ratioColdToRawOrtCpu: number | null;
  /** Encoder wrapper (encodeFeatures / embedFeatures on a prepared input) over raw ORT: wrapper overhead only */
  ratioWrapperToRawOrt: number | null;
  /** where one cold clip's time goes, each measured alone on the same clips */
  breakdownMsPerClip: {
    decode: Stage;
    prepareInput: Stage;
    network: Stage;
    wrapperExtra: Stage;
    cacheWrite: Stage;
    sum: number;
    coldMeasured: number;
  };
  bytesPerClip: number;
}

function outputsOf(enc: Encoder, req: FeatureRequest, manifestEntry: { patches?: { outputs: Record<string, string> }; embedding?: { pooling: string; outputs?: Record<string, string> } }): string[] {
  if (req.kind === 'patches') {
    const layers = req.layers.length ? req.layers : enc.defaultLayers;
    return [...new Set(layers.map((l) => manifestEntry.patches!.outputs[String(l)]))];
  }
  const layer = req.layer ?? enc.defaultEmbeddingLayer!;
  const e = manifestEntry.embedding!;
  if (e.pooling === 'graph') return [e.outputs![String(layer)]];
  return [manifestEntry.patches!.outputs[String(layer)]];
}

async function benchCase(store: Store, clips: ClipRecord[], waves: Float32Array[], c: Case, threads: number | null): Promise<Row> {
  const registry = await loadModelRegistry();
  const resolved = registry.resolve(c.encoder);
  const enc = await loadEncoder(c.encoder, { registry, intraOpThreads: threads ?? 1 });
  const n = clips.length;
  try {
    const isOnnx = enc instanceof OnnxEncoder;
    // graph inputs prepared once, outside every timing but prepareInput's own
    const inputs = isOnnx ? waves.map((w) => enc.prepare(w)) : [];
    let raw: InferenceSession | null = null;
    let rawNoSpin: InferenceSession | null = null;
    let outNames: string[] = [];
    if (isOnnx) {
      // the options OnnxEncoder.create uses
      const opts: InferenceSession.SessionOptions = { intraOpNumThreads: threads ?? 1, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all', logSeverityLevel: 3 };
      raw = await InferenceSession.create(resolved.files[0].path, opts);
      if ((threads ?? 1) > 1) rawNoSpin = await InferenceSession.create(resolved.files[0].path, { ...opts, extra: { session: { intra_op: { allow_spinning: '0' } } } });
      outNames = outputsOf(enc, c.req, resolved.entry);
    }
    const feeds = isOnnx ? inputs.map((x) => ({ [resolved.entry.input.name as string]: new Tensor('float32', x, enc.inputDims) })) : [];
    const runRaw = async () => {
      for (const f of feeds) await raw!.run(f, outNames);
    };
    const runNoSpin = async () => {
      for (const f of feeds) await rawNoSpin!.run(f, outNames);
    };
    const runWrapper = async () => {
      const e = enc as OnnxEncoder;
      if (c.req.kind === 'patches') for (const x of inputs) await e.encodeFeatures(x, c.req.layers.length ? c.req.layers : undefined);
      else for (const x of inputs) await e.embedFeatures(x, c.req.layer);
    };
    const runDsp = async () => {
      for (const w of waves) await enc.embed(w);
    };
    const feats = new FeatureService(store, async () => enc);
    const clear = () => void store.embeddings.clear(enc.id); // outside the timings: deleting megabytes of blobs is not encoding
    const cold = async () => {
      const before = feats.stats.encoded;
      await feats.forClips(clips, c.req);
      if (feats.stats.encoded - before !== n) throw new Error(`${c.name}: cold pass encoded ${feats.stats.encoded - before} of ${n} clips`);
    };
    const cached = async () => {
      const before = feats.stats.cached;
      await feats.forClips(clips, c.req);
      if (feats.stats.cached - before !== n) throw new Error(`${c.name}: cached pass hit ${feats.stats.cached - before} of ${n} clips`);
    };

    // warm-up: ORT arenas, JIT, SQLite page cache
    if (isOnnx) {
      await runRaw();
      await runWrapper();
      if (rawNoSpin) await runNoSpin();
    } else await runDsp();
    clear();
    await cold();
    await cached();

    const T = { noSpin: [] as number[], raw: [] as number[], rawCpu: [] as number[], wrap: [] as number[], dsp: [] as number[], cold: [] as number[], coldCpu: [] as number[], cached: [] as number[], cachedCpu: [] as number[] };
    for (let r = 0; r < REPS; r++) {
      if (isOnnx) {
        const a = await timed(runRaw);
        T.raw.push(a.wallS);
        T.rawCpu.push(a.cpuS);
        T.wrap.push((await timed(runWrapper)).wallS);
        if (rawNoSpin) T.noSpin.push((await timed(runNoSpin)).wallS);
      } else T.dsp.push((await timed(runDsp)).wallS);
      clear();
      const b = await timed(cold);
      T.cold.push(b.wallS);
      T.coldCpu.push(b.cpuS);
      const d = await timed(cached);
      T.cached.push(d.wallS);
      T.cachedCpu.push(d.cpuS);
    }

    // breakdown of the cold path, stage by stage on the same clips
    const decodeS = median(await reps(async () => {
      for (const clip of clips) await loadClipAudio({ path: clip.path, offsetS: 0, durationS: Number.MAX_SAFE_INTEGER / 16_000 });
    }));
    const prepareS = isOnnx ? median(await reps(() => void waves.forEach((w) => enc.prepare(w)))) : 0;
    const networkS = isOnnx ? median(T.raw) : median(T.dsp);
    const wrapperExtraS = isOnnx ? Math.max(0, median(T.wrap) - median(T.raw)) : 0;
    // what the cold pass stored, written again alone
    const rows = store.db
      .prepare('SELECT sha256, offset_s AS offsetS, encoder_id AS encoderId, encoder_version AS encoderVersion, layer, kind, shape, data FROM embeddings WHERE encoder_id = ?')
      .all(enc.id) as { sha256: string; offsetS: number; encoderId: string; encoderVersion: string; layer: number; kind: 'patches' | 'embedding'; shape: string; data: Buffer }[];
    const values = rows.map((r) => ({ key: { sha256: r.sha256, offsetS: r.offsetS, encoderId: r.encoderId, encoderVersion: r.encoderVersion, layer: r.layer, kind: r.kind }, v: { shape: JSON.parse(r.shape) as number[], data: new Float32Array(r.data.buffer.slice(r.data.byteOffset, r.data.byteOffset + r.data.byteLength)) } }));
    const bytesPerClip = values.reduce((a, x) => a + x.v.data.byteLength, 0) / n;
    const perClipTx = values.length / n; // FeatureService writes one clip's layers per transaction
    const writeAll = () => {
      for (let i = 0; i < values.length; i += perClipTx) {
        store.tx(() => {
          for (const x of values.slice(i, i + perClipTx)) store.embeddings.put(x.key, x.v);
        });
      }
    };
    const writes: number[] = [];
    for (let r = 0; r < REPS; r++) {
      clear();
      writes.push((await timed(writeAll)).wallS);
    }
    const writeS = median(writes);
    const ms = (s: number) => (s / n) * 1000;
    const bd = {
      decode: { ms: ms(decodeS) },
      prepareInput: { ms: ms(prepareS) },
      network: { ms: ms(networkS) },
      wrapperExtra: { ms: ms(wrapperExtraS) },
      cacheWrite: { ms: ms(writeS) },
      sum: ms(decodeS + prepareS + networkS + wrapperExtraS + writeS),
      coldMeasured: ms(median(T.cold)),
    };
    const perS = (s: number) => n / s;
    await raw?.release();
    await rawNoSpin?.release();
    return {
      case: c.name,
      encoder: c.encoder,
      threads,
      clips: n,
      reps: REPS,
      rawOrt: isOnnx ? { clipsPerS: perS(median(T.raw)), cpuSPerClip: median(T.rawCpu) / n } : null,
      rawOrtNoSpin: rawNoSpin ? { clipsPerS: perS(median(T.noSpin)) } : undefined,
      rawDsp: isOnnx ? undefined : { clipsPerS: perS(median(T.dsp)) },
      cold: { clipsPerS: perS(median(T.cold)), cpuSPerClip: median(T.coldCpu) / n },
      cached: { clipsPerS: perS(median(T.cached)), cpuSPerClip: median(T.cachedCpu) / n },
      ratioColdToRawOrt: isOnnx ? median(T.raw) / median(T.cold) : null,
      ratioColdToRawOrtCpu: isOnnx && threads === 1 ? median(T.rawCpu) / median(T.coldCpu) : null,
      ratioWrapperToRawOrt: isOnnx ? median(T.raw) / median(T.wrap) : null,
      breakdownMsPerClip: bd,
      bytesPerClip,
    };
  } finally {
    await enc.dispose();
  }
}

async function reps(fn: () => Promise<void> | void): Promise<number[]> {
  await fn();
  const out: number[] = [];
  for (let r = 0; r < REPS; r++) out.push((await timed(fn)).wallS);
  return out;
}

/**
 * The cache write on its own in a bare WAL database at several SQLite page sizes (the store uses
 * the default 4096): what a larger page would save on multi-megabyte patch blobs.
 */
async function pageSizeStudy(dir: string, n: number, blobBytes: number, blobsPerClip: number) {
  const blob = Buffer.alloc(blobBytes);
  for (let i = 0; i < blob.length; i += 4) blob.writeFloatLE(Math.sin(i), i);
  const out: { pageSize: number; writeMsPerClip: number; readMsPerClip: number }[] = [];
  for (const pageSize of [4096, 16384, 65536]) {
    const file = path.join(dir, `page-${pageSize}.sqlite`);
    const db = new Database(file);
    db.pragma(`page_size = ${pageSize}`);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec('CREATE TABLE e (sha256 TEXT, layer INTEGER, shape TEXT, data BLOB, PRIMARY KEY (sha256, layer))');
    const put = db.prepare('INSERT OR REPLACE INTO e VALUES (?, ?, ?, ?)');
    const get = db.prepare('SELECT shape, data FROM e WHERE sha256 = ? AND layer = ?');
    const write = () => {
      for (let i = 0; i < n; i++) {
        db.transaction(() => {
          for (let l = 0; l < blobsPerClip; l++) put.run(`c${i}`, l, '[1]', blob);
        })();
      }
    };
    const read = () => {
      for (let i = 0; i < n; i++) for (let l = 0; l < blobsPerClip; l++) get.get(`c${i}`, l);
    };
    const writes: number[] = [];
    for (let r = 0; r < REPS; r++) {
      db.exec('DELETE FROM e');
      writes.push((await timed(write)).wallS);
    }
    out.push({ pageSize, writeMsPerClip: (median(writes) / n) * 1000, readMsPerClip: (median(await reps(read)) / n) * 1000 });
    db.close();
  }
  return { blobBytes, blobsPerClip, clips: n, results: out };
}

async function main(): Promise<void> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hark-bench-enc-'));
  try {
    const real = fs.existsSync(VALVE);
    const root = real ? VALVE : syntheticPackage(path.join(tmp, 'pkg'), N_CLIPS);
    const listing = listDcase(root);
    // every other clip: both domains, normal and anomalous
    const entries = listing.entries.filter((_, i) => i % Math.max(1, Math.floor(listing.entries.length / N_CLIPS)) === 0).slice(0, N_CLIPS);
    const store = Store.create(path.join(tmp, 'project'), 'bench');
    const imp = await importListing(store, { entries, problems: [] });
    if (imp.failed) throw new Error(`bench import failed: ${imp.problems.map((p) => p.message).join('; ')}`);
    const clips = store.clips.list({}, 'name', false, 0, 1_000_000).rows;
    const waves = await Promise.all(clips.map((c) => loadClipAudio(c)));
    console.log(`encoders bench: ${clips.length} ${real ? 'real DCASE valve' : 'synthetic'} clips of ${(waves[0].length / 16_000).toFixed(1)} s, ${REPS} reps, load ${os.loadavg().map((v) => v.toFixed(1)).join(' ')} on ${os.cpus().length} cores`);

    const rows: Row[] = [];
    for (const c of CASES) {
      const threadsList = c.encoder === 'logmel_stats' ? [null] : [1, 2];
      for (const t of threadsList) {
        const r = await benchCase(store, clips, waves, c, t);
        rows.push(r);
        const b = r.breakdownMsPerClip;
        console.log(
          `${c.name.padEnd(24)} threads ${String(t ?? '-').padEnd(2)}` +
            ` raw ${r.rawOrt ? r.rawOrt.clipsPerS.toFixed(1) : (r.rawDsp?.clipsPerS.toFixed(1) ?? '-')}/s` +
            (r.rawOrtNoSpin ? ` (no spin ${r.rawOrtNoSpin.clipsPerS.toFixed(1)}/s)` : '') +
            `  cold ${r.cold.clipsPerS.toFixed(1)}/s  cached ${r.cached.clipsPerS.toFixed(1)}/s` +
            (r.ratioColdToRawOrt !== null ? `  cold/raw ${(r.ratioColdToRawOrt * 100).toFixed(0)}%${r.ratioColdToRawOrtCpu !== null ? ` (cpu ${(r.ratioColdToRawOrtCpu * 100).toFixed(0)}%)` : ''}  wrapper/raw ${(r.ratioWrapperToRawOrt! * 100).toFixed(0)}%` : '') +
            `  ms/clip: decode ${b.decode.ms.toFixed(2)} prepare ${b.prepareInput.ms.toFixed(2)} net ${b.network.ms.toFixed(2)} wrap+ ${b.wrapperExtra.ms.toFixed(2)} write ${b.cacheWrite.ms.toFixed(2)} = ${b.sum.toFixed(2)} (cold ${b.coldMeasured.toFixed(2)})`,
        );
      }
    }
    store.close();
    const fb = rows.find((r) => r.case === 'fbank_patch/patches')!;
    const study = await pageSizeStudy(tmp, clips.length, fb.bytesPerClip / 2, 2);
    console.log(`cache write of ${(fb.bytesPerClip / 1e6).toFixed(2)} MB per clip by page size: ${study.results.map((r) => `${r.pageSize}: write ${r.writeMsPerClip.toFixed(2)} ms, read ${r.readMsPerClip.toFixed(2)} ms`).join('; ')}`);
    const result = {
      name: 'encoders',
      date: new Date().toISOString(),
      machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model.trim(), node: process.version, loadavg: os.loadavg() },
      setup: { clips: clips.length, source: real ? 'dcase2023-valve-test (real, 10 s, 16 kHz)' : 'synthetic 10 s WAVs', reps: REPS, quick: QUICK },
      results: rows,
      cacheWriteByPageSize: study,
    };
    const outDir = path.join(repoRoot, 'bench', 'results');
    fs.mkdirSync(outDir, { recursive: true });
    fs.writeFileSync(path.join(outDir, 'encoders.json'), JSON.stringify(result, null, 1) + '\n');
    console.log('wrote bench/results/encoders.json');
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
  process.exit(1);
});
