// FeatureService and the embedding cache: a clip is never encoded twice; other layers, kinds and
// encoder versions are misses; clearing is per encoder; a cancelled pass keeps what it finished.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PatchTokens } from '../../src/main/approaches/types';
import { listDcase } from '../../src/main/data/import/dcase';
import { importListing } from '../../src/main/data/import/importer';
import { listManifest } from '../../src/main/data/import/manifest';
import { loadEncoder } from '../../src/main/encoders';
import { FeatureService, type ClipFeatureData } from '../../src/main/encoders/features';
import type { Encoder } from '../../src/main/encoders/types';
import { Store } from '../../src/main/store/store';
import type { ClipRecord } from '../../src/shared/domain';
import { HarkError } from '../../src/shared/rpc';
import { tmpDir, tone, writeWav } from '../helpers/tmp';

/** Delegates to a real encoder, counts every network / DSP call, and can pose as another version. */
class Counting implements Encoder {
  patchCalls = 0;
  embedCalls = 0;
  constructor(
    private inner: Encoder,
    readonly fingerprint = inner.fingerprint,
  ) {}
  get id() { return this.inner.id; }
  get version() { return this.inner.version; }
  get kind() { return this.inner.kind; }
  get layers() { return this.inner.layers; }
  get defaultLayers() { return this.inner.defaultLayers; }
  get grid() { return this.inner.grid; }
  get geometry() { return this.inner.geometry; }
  get melAxis() { return this.inner.melAxis; }
  get dim() { return this.inner.dim; }
  get embeddingLayers() { return this.inner.embeddingLayers; }
  get defaultEmbeddingLayer() { return this.inner.defaultEmbeddingLayer; }
  get licenceRestricted() { return this.inner.licenceRestricted; }
  embeddingDim(layer?: number) { return this.inner.embeddingDim(layer); }
  encodePatches(wave: Float32Array, layers?: number[]): Promise<PatchTokens> {
    this.patchCalls++;
    return this.inner.encodePatches(wave, layers);
  }
  embed(wave: Float32Array, layer?: number): Promise<Float32Array> {
    this.embedCalls++;
    return this.inner.embed(wave, layer);
  }
  async dispose() {}
}

const N = 4;
let fbank: Encoder;
let logmel: Encoder;

beforeAll(async () => {
  fbank = await loadEncoder('fbank_patch');
  logmel = await loadEncoder('logmel_stats');
});
afterAll(async () => {
  await fbank?.dispose();
  await logmel?.dispose();
});

/** A project with N one-file clips of distinct 2 s tones, plus one 12 s file sliced into several clips. */
async function project(): Promise<{ store: Store; root: string; clips: ClipRecord[] }> {
  const root = tmpDir('hark-feat-pkg-');
  for (let i = 0; i < N; i++) {
    writeWav(path.join(root, 'fan', 'train', `section_00_source_train_normal_${String(i).padStart(4, '0')}.wav`), [tone(2, 16_000, 300 + 150 * i, i + 1)]);
  }
  const store = Store.create(tmpDir('hark-feat-proj-'));
  const s = await importListing(store, listDcase(root));
  expect(s).toMatchObject({ imported: N, failed: 0 });
  return { store, root, clips: store.clips.list({}, 'name', false, 0, 100).rows };
}

const patches = (layers: number[] = []) => ({ kind: 'patches' as const, encoder: 'fbank_patch', layers });
const rowsOf = (store: Store) => (store.db.prepare('SELECT COUNT(*) AS n FROM embeddings').get() as { n: number }).n;

function expectSamePatches(a: ClipFeatureData[], b: ClipFeatureData[]): void {
  expect(b).toHaveLength(a.length);
  for (let i = 0; i < a.length; i++) {
    const pa = a[i].patches!;
    const pb = b[i].patches!;
    expect(pb.layers).toEqual(pa.layers);
    expect(pb.grid).toEqual(pa.grid);
    expect(pb.dim).toBe(pa.dim);
    expect(pb.geometry).toEqual(pa.geometry);
    pa.data.forEach((d, l) => expect(Buffer.from(pb.data[l].buffer, pb.data[l].byteOffset, pb.data[l].byteLength).equals(Buffer.from(d.buffer, d.byteOffset, d.byteLength))).toBe(true));
  }
}

describe('FeatureService over the embedding cache', () => {
  it('encodes each clip once: the second pass is all cache hits with bit-identical tokens', async () => {
    const { store, clips } = await project();
    const enc = new Counting(fbank);
    const fs1 = new FeatureService(store, async () => enc);
    const first = await fs1.forClips(clips, patches());
    expect(enc.patchCalls).toBe(N);
    expect(fs1.stats).toMatchObject({ encoded: N, cached: 0 });
    expect(fs1.stats.encodeMs).toBeGreaterThan(0);
    expect(first[0].patches!.layers).toEqual(fbank.defaultLayers);
    expect(first[0].patches!.data[0]).toHaveLength(12 * 101 * 256);
    expect(rowsOf(store)).toBe(N * fbank.defaultLayers.length);

    const again = await fs1.forClips(clips, patches());
    expect(enc.patchCalls).toBe(N);
    expect(fs1.stats).toMatchObject({ encoded: N, cached: N });
    expectSamePatches(first, again);

    // a new service (another job, another process) on the same store also only reads
    const fs2 = new FeatureService(store, async () => enc);
    expectSamePatches(first, await fs2.forClips(clips, patches(fbank.defaultLayers)));
    expect(fs2.stats).toMatchObject({ encoded: 0, cached: N });
    expect(enc.patchCalls).toBe(N);
    store.close();
  });

  it('a layer not cached yet, another kind and another encoder version are misses; a cached subset is a hit', async () => {
    const { store, clips } = await project();
    const enc = new Counting(fbank);
    const svc = new FeatureService(store, async () => enc);
    await svc.forClips(clips, patches([1, 2]));
    expect(enc.patchCalls).toBe(N);

    await svc.forClips(clips, patches([2]));
    expect(enc.patchCalls).toBe(N); // subset of what is stored

    await svc.forClips(clips, patches([0, 1])); // layer 0 missing: encode (all requested layers at once)
    expect(enc.patchCalls).toBe(2 * N);
    await svc.forClips(clips, patches([0, 1, 2]));
    expect(enc.patchCalls).toBe(2 * N);

    // the pooled embedding of layer 1 is its own cache entry, not derived from cached patches
    const emb = await svc.forClips(clips, { kind: 'embedding', encoder: 'fbank_patch', layer: 1 });
    expect(enc.embedCalls).toBe(N);
    expect(emb[0].embedding).toHaveLength(fbank.embeddingDim(1));
    await svc.forClips(clips, { kind: 'embedding', encoder: 'fbank_patch', layer: 1 });
    expect(enc.embedCalls).toBe(N);
    await svc.forClips(clips, { kind: 'embedding', encoder: 'fbank_patch', layer: 2 });
    expect(enc.embedCalls).toBe(2 * N);

    // a new model file or version changes the fingerprint: nothing of the old one may be served
    const newer = new Counting(fbank, `${fbank.fingerprint}-retrained`);
    const svc2 = new FeatureService(store, async () => newer);
    await svc2.forClips(clips, patches([1, 2]));
    expect(newer.patchCalls).toBe(N);
    expect(svc2.stats).toMatchObject({ encoded: N, cached: 0 });
    await svc2.forClips(clips, patches([1, 2]));
    expect(newer.patchCalls).toBe(N);
    store.close();
  });

  it('keys by content: the same file under another path (a re-import) is not encoded again', async () => {
    const { store, root, clips } = await project();
    const enc = new Counting(logmel);
    const svc = new FeatureService(store, async () => enc);
    const req = { kind: 'embedding' as const, encoder: 'logmel_stats' };
    const before = await svc.forClips(clips, req);
    expect(enc.embedCalls).toBe(N);
    const copy = path.join(root, 'fan', 'test', 'section_00_source_test_normal_0100.wav');
    fs.mkdirSync(path.dirname(copy), { recursive: true });
    fs.copyFileSync(clips[0].path, copy);
    await importListing(store, listDcase(root));
    const moved = store.clips.list({ split: 'test' }, 'name', false, 0, 10).rows;
    expect(moved).toHaveLength(1);
    const after = await svc.forClips(moved, req);
    expect(enc.embedCalls).toBe(N);
    expect(Array.from(after[0].embedding!)).toEqual(Array.from(before[0].embedding!));
    store.close();
  });

  it('slices of one file are separate entries (keyed by offset) and each is encoded once', async () => {
    const root = tmpDir('hark-feat-long-');
    writeWav(path.join(root, 'long.wav'), [tone(25, 16_000, 700, 5)]);
    fs.writeFileSync(path.join(root, 'm.csv'), 'path,machine_type,section,role\nlong.wav,pump,0,source_normal\n');
    const store = Store.create(tmpDir('hark-feat-proj-'));
    await importListing(store, listManifest(path.join(root, 'm.csv')));
    const slices = store.clips.list({}, 'name', false, 0, 100).rows;
    expect(slices.length).toBeGreaterThan(1);
    expect(new Set(slices.map((c) => c.sha256)).size).toBe(1);
    const enc = new Counting(logmel);
    const svc = new FeatureService(store, async () => enc);
    const req = { kind: 'embedding' as const, encoder: 'logmel_stats' };
    const out = await svc.forClips(slices, req);
    expect(enc.embedCalls).toBe(slices.length);
    expect(Array.from(out[0].embedding!)).not.toEqual(Array.from(out[1].embedding!));
    await svc.forClips(slices, req);
    expect(enc.embedCalls).toBe(slices.length);
    store.close();
  });

  it('clears one encoder only (store.embeddings.clear), then that encoder alone is encoded again', async () => {
    const { store, clips } = await project();
    const f = new Counting(fbank);
    const l = new Counting(logmel);
    const svc = new FeatureService(store, async (id) => (id === 'fbank_patch' ? f : l));
    await svc.forClips(clips, patches());
    await svc.forClips(clips, { kind: 'embedding', encoder: 'logmel_stats' });
    const byEncoder = () => Object.fromEntries(store.embeddings.stats().map((s) => [s.encoderId, s.entries]));
    expect(byEncoder()).toEqual({ fbank_patch: N * fbank.defaultLayers.length, logmel_stats: N });
    const bytes = store.embeddings.stats().find((s) => s.encoderId === 'logmel_stats')!.bytes;
    expect(bytes).toBe(N * 256 * 4);

    expect(store.embeddings.clear('fbank_patch')).toBe(N * fbank.defaultLayers.length);
    expect(byEncoder()).toEqual({ logmel_stats: N });
    expect(store.embeddings.clear('no_such_encoder')).toBe(0);

    await svc.forClips(clips, patches());
    await svc.forClips(clips, { kind: 'embedding', encoder: 'logmel_stats' });
    expect(f.patchCalls).toBe(2 * N);
    expect(l.embedCalls).toBe(N);

    expect(store.embeddings.clear()).toBe(N * fbank.defaultLayers.length + N);
    expect(store.embeddings.stats()).toEqual([]);
    store.close();
  });

  it('reports progress per clip and, cancelled midway, keeps every clip it finished', async () => {
    const { store, clips } = await project();
    const enc = new Counting(logmel);
    const svc = new FeatureService(store, async () => enc);
    const abort = new AbortController();
    const seen: { stage?: string; done: number; total: number }[] = [];
    const req = { kind: 'embedding' as const, encoder: 'logmel_stats' };
    const run = svc.forClips(
      clips,
      req,
      (p) => {
        seen.push(p);
        if (p.done === 2) abort.abort(new HarkError('cancelled', 'cancelled by the user'));
      },
      abort.signal,
    );
    await expect(run).rejects.toMatchObject({ code: 'cancelled' });
    expect(seen.map((p) => p.done)).toEqual([0, 1, 2]);
    expect(seen.every((p) => p.stage === 'features (logmel_stats)' && p.total === N)).toBe(true);
    expect(enc.embedCalls).toBe(2);
    expect(rowsOf(store)).toBe(2);

    const rest = new FeatureService(store, async () => enc);
    await rest.forClips(clips, req);
    expect(rest.stats).toMatchObject({ encoded: N - 2, cached: 2 });
    expect(enc.embedCalls).toBe(N);
    store.close();
  });
});
