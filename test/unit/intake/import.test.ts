import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { listDcase } from '../../../src/main/data/import/dcase';
import { importListing } from '../../../src/main/data/import/importer';
import { listManifest } from '../../../src/main/data/import/manifest';
import { formReport } from '../../../src/main/data/form/form-check';
import { Store } from '../../../src/main/store/store';
import { hasSharedData, NO_SHARED_DATA, SHARED_DATA, tmpDir, tone, writeWav } from '../../helpers/tmp';

if (!hasSharedData) console.log(NO_SHARED_DATA);

const ROOT = path.resolve(import.meta.dirname, '..', '..', '..');

function dcaseTree(n: number, seconds = 1): string {
  const root = tmpDir('hark-dcase-');
  for (let i = 0; i < n; i++) {
    const id = String(i).padStart(4, '0');
    const dom = i % 4 === 0 ? 'target' : 'source';
    writeWav(path.join(root, 'pump', 'train', `section_00_${dom}_train_normal_${id}_spd_${i % 3}_mic_${i % 2}.wav`), [tone(seconds, 16000, 200 + i, i + 1)]);
  }
  return root;
}

describe('import', () => {
  it('imports a DCASE tree, is idempotent, and keeps going past a corrupt file', async () => {
    const root = dcaseTree(6);
    fs.writeFileSync(path.join(root, 'pump', 'train', 'section_00_source_train_normal_0100_spd_1_mic_0.wav'), Buffer.from('RIFF\x24\x00\x00\x00WAVEfmt garbage'));
    writeWav(path.join(root, 'pump', 'test', 'section_00_target_test_anomaly_0001_spd_1_mic_0.wav'), [tone(1, 16000, 900, 77)]);
    const store = Store.create(tmpDir());
    const listing = listDcase(root);
    expect(listing.entries).toHaveLength(8);
    const first = await importListing(store, listing, { batchSize: 3 });
    expect(first).toMatchObject({ files: 8, imported: 7, failed: 1, clipsAdded: 7, cancelled: false });
    expect(first.problems[0].message).toContain('section_00_source_train_normal_0100');
    const again = await importListing(store, listDcase(root));
    expect(again).toMatchObject({ imported: 0, unchanged: 7, failed: 1, clipsAdded: 0 });
    expect(store.clips.count()).toBe(7);
    const rows = store.clips.list({}, 'name', false, 0, 100).rows;
    expect(rows.filter((r) => r.role === 'target_normal')).toHaveLength(2);
    expect(rows.find((r) => r.split === 'test')).toMatchObject({ label: 'anomaly', domain: 'target', role: 'test', attributes: { spd: '1', mic: '0' } });
    expect(store.importLog.recent().some((l) => l.level === 'error')).toBe(true);
    store.close();
  });

  it('converts rate and channels and slices long recordings', async () => {
    const dir = tmpDir('hark-manifest-');
    writeWav(path.join(dir, 'a', 'long.wav'), [tone(25, 44100, 300, 3), tone(25, 44100, 300, 4)], 44100, '24');
    writeWav(path.join(dir, 'quiet.wav'), [tone(10, 16000, 100, 9)]);
    fs.writeFileSync(
      path.join(dir, 'manifest.csv'),
      'path,machine_type,section,role,speed_level,operating_condition\n' +
        'a/long.wav,motor,1,source_normal,3,"{""mic_position_id"": ""B"", ""load_level"": 2}"\n' +
        'quiet.wav,motor,1,target_normal,,\n',
    );
    const store = Store.create(tmpDir());
    const s = await importListing(store, listManifest(path.join(dir, 'manifest.csv')));
    expect(s).toMatchObject({ imported: 2, failed: 0 });
    const rows = store.clips.list({ role: 'source_normal' }, 'name', false, 0, 100).rows;
    expect(rows.length).toBeGreaterThanOrEqual(2);
    expect(rows[0]).toMatchObject({ machineType: 'motor', section: '01', domain: 'source', sampleRate: 44100, channels: 2, attributes: { speed_level: '3', mic_position_id: 'B', load_level: '2' } });
    expect(rows.map((r) => r.offsetS)).toEqual([...rows.map((r) => r.offsetS)].sort((a, b) => a - b));
    const rep = formReport(store).sections[0];
    expect(rep.conversions).toMatchObject({ resampled: rows.length, fromRates: [44100], downmixed: rows.length, fromChannels: [2] });
    expect(rep.conversions.sliced).toBe(rows.length);
    store.close();
  });

  it('re-import of unchanged audio takes the corrected role/label from the package and keeps the engineer\'s attributes and verdicts', async () => {
    const dir = tmpDir('hark-reimport-');
    writeWav(path.join(dir, 'a.wav'), [tone(1, 16000, 300, 1)]);
    writeWav(path.join(dir, 'b.wav'), [tone(1, 16000, 500, 2)]);
    const manifest = (roleA: string, labelB: string, speedB: string) =>
      fs.writeFileSync(path.join(dir, 'm.csv'), `path,machine_type,role,label,speed\na.wav,fan,${roleA},,1\nb.wav,fan,verification,${labelB},${speedB}\n`);
    manifest('test', 'normal', '2');
    const store = Store.create(tmpDir());
    await importListing(store, listManifest(path.join(dir, 'm.csv')));
    const byName = () => Object.fromEntries(store.clips.list({}, 'name', false, 0, 10).rows.map((r) => [r.name, r]));
    const b0 = byName()['b.wav'];
    store.labels.set([b0.id], 'anomaly', 'engineer', new Date().toISOString());
    store.clips.setAttribute([b0.id], 'speed', '3'); // the engineer's correction in the grid
    // the customer corrects the manifest: a.wav is a target normal, b.wav's label was wrong, and its speed is 4
    manifest('target_normal', 'anomaly', '4');
    const again = await importListing(store, listManifest(path.join(dir, 'm.csv')));
    expect(again).toMatchObject({ imported: 0, unchanged: 2, metadataUpdated: 2, failed: 0 });
    const now = byName();
    expect(now['a.wav'].role).toBe('target_normal');
    expect(now['b.wav']).toMatchObject({ id: b0.id, label: 'anomaly', verdict: 'anomaly', attributes: { speed: '3' } });
    const msgs = again.problems.map((p) => p.message);
    expect(msgs).toContainEqual(expect.stringMatching(/a\.wav: audio unchanged; updated from the package: role 'test' -> 'target_normal', domain none -> 'target', split 'test' -> 'train', label none -> 'normal' \(1 clip\(s\)\)/));
    expect(msgs).toContainEqual(expect.stringMatching(/b\.wav: audio unchanged; kept the project's attribute speed '3' \(the package says '4'\); attributes can be changed in the Clips grid/));
    // a third import with nothing new says nothing
    const third = await importListing(store, listManifest(path.join(dir, 'm.csv')));
    expect(third.metadataUpdated).toBe(0);
    expect(third.problems.filter((p) => p.message.includes('updated from the package'))).toHaveLength(0);
    store.close();
  });

  it('refuses manifest paths that leave the package, and reports bad rows by number', () => {
    const dir = tmpDir('hark-manifest-');
    const outside = tmpDir('hark-outside-');
    writeWav(path.join(outside, 'x.wav'), [tone(1)]);
    fs.symlinkSync(path.join(outside, 'x.wav'), path.join(dir, 'link.wav'));
    writeWav(path.join(dir, 'ok.wav'), [tone(1)]);
    fs.writeFileSync(
      path.join(dir, 'm.csv'),
      `path,machine_type,role\n../${path.basename(outside)}/x.wav,fan,test\n${path.join(outside, 'x.wav')},fan,test\nlink.wav,fan,test\nok.wav,fan,sometimes\nok.wav,fan,test\nok.wav,fan,test\n`,
    );
    const l = listManifest(path.join(dir, 'm.csv'));
    expect(l.entries).toHaveLength(1);
    const msgs = l.problems.map((p) => `${p.path}: ${p.message}`);
    expect(msgs.filter((m) => m.includes('leaves the manifest'))).toHaveLength(3);
    expect(msgs.some((m) => m.includes('row 5') && m.includes('role'))).toBe(true);
    expect(msgs.some((m) => m.includes('duplicate row'))).toBe(true);
  });

  it('gives clear errors for empty, header-only, non-UTF-8 and column-less manifests', () => {
    const dir = tmpDir('hark-manifest-');
    const f = path.join(dir, 'm.csv');
    fs.writeFileSync(f, '');
    expect(() => listManifest(f)).toThrow(/no rows/);
    fs.writeFileSync(f, 'path,machine_type,role\n');
    expect(() => listManifest(f)).toThrow(/no rows/);
    fs.writeFileSync(f, Buffer.from([0x70, 0x61, 0x74, 0x68, 0x0a, 0xff, 0xfe, 0x41]));
    expect(() => listManifest(f)).toThrow(/UTF-8/);
    fs.writeFileSync(f, 'file,kind\na.wav,fan\n');
    expect(() => listManifest(f)).toThrow(/missing column\(s\) path, machine_type, role/);
  });

  it('a cancelled import keeps every finished batch', async () => {
    const root = dcaseTree(10);
    const store = Store.create(tmpDir());
    const abort = new AbortController();
    const s = await importListing(store, listDcase(root), {
      batchSize: 2,
      signal: abort.signal,
      onProgress: ({ done }) => {
        if (done === 5) abort.abort();
      },
    });
    expect(s.cancelled).toBe(true);
    expect(store.clips.count()).toBe(5);
    const rest = await importListing(store, listDcase(root));
    expect(rest).toMatchObject({ unchanged: 5, imported: 5 });
    store.close();
  });

  it('a killed import leaves a consistent store and resumes to the full result', async () => {
    const root = dcaseTree(120, 2);
    const project = tmpDir('hark-kill-');
    const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'hark.mjs'), 'import', '--project', project, '--dcase', root], { stdio: 'ignore' });
    // wait until at least one batch has landed, then kill without warning
    const dbFile = path.join(project, 'project.sqlite');
    const deadline = Date.now() + 60_000;
    let n = 0;
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      if (!fs.existsSync(dbFile)) continue;
      try {
        const db = new Database(dbFile, { readonly: true });
        n = (db.prepare('SELECT COUNT(*) AS n FROM clips').get() as { n: number }).n;
        db.close();
      } catch {
        continue;
      }
      if (n > 0) break;
    }
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect(n).toBeGreaterThan(0);
    const store = Store.open(project);
    expect(store.db.pragma('integrity_check', { simple: true })).toBe('ok');
    const kept = store.clips.count();
    expect(kept % 32 === 0 || kept === 120).toBe(true); // whole batches only
    const orphans = store.db.prepare('SELECT COUNT(*) AS n FROM files f WHERE NOT EXISTS (SELECT 1 FROM clips c WHERE c.file_id = f.id)').get() as { n: number };
    expect(orphans.n).toBe(0);
    const rest = await importListing(store, listDcase(root));
    expect(rest.failed).toBe(0);
    expect(store.clips.count()).toBe(120);
    store.close();
  }, 120_000);
});

describe.skipIf(!hasSharedData)('import of the real recordings in ../shared/data', () => {
  it('imports every DCASE sample machine type with attributes', async () => {
    const store = Store.create(tmpDir());
    const s = await importListing(store, listDcase(path.join(SHARED_DATA, 'dcase2023-samples')));
    expect(s).toMatchObject({ files: 28, imported: 28, failed: 0 });
    expect(store.info().machineTypes).toEqual(['ToyCar', 'ToyTrain', 'bearing', 'fan', 'gearbox', 'slider', 'valve']);
    const fan = store.clips.list({ machineType: 'fan', split: 'test' }, 'name', false, 0, 10).rows;
    expect(fan.map((r) => r.attributes['m-n']).sort()).toEqual(['W', 'Y']);
    store.close();
  });

  it('imports the valve test split: 200 clips, 50 per domain x label', async () => {
    const store = Store.create(tmpDir());
    const s = await importListing(store, listDcase(path.join(SHARED_DATA, 'dcase2023-valve-test')));
    expect(s).toMatchObject({ files: 200, failed: 0 });
    for (const domain of ['source', 'target'] as const) for (const label of ['normal', 'anomaly'] as const) expect(store.clips.list({ domain, label }, 'name', false, 0, 1).total).toBe(50);
    store.close();
  });

  it('imports MIMII formats (8-channel extensible, float64, short noise-only) through a manifest', async () => {
    const dir = tmpDir('hark-mimii-');
    const src = path.join(SHARED_DATA, 'mimii-valve-formats');
    const noise = fs.readdirSync(path.join(src, 'noise-only')).slice(0, 5);
    for (const f of fs.readdirSync(src).filter((f) => f.endsWith('.wav'))) fs.copyFileSync(path.join(src, f), path.join(dir, f));
    fs.mkdirSync(path.join(dir, 'noise'));
    for (const f of noise) fs.copyFileSync(path.join(src, 'noise-only', f), path.join(dir, 'noise', f));
    const rows = [
      'path,machine_type,section,role,label,mic_position_id',
      'valve_id06_n_00000048.wav,valve,6,target_normal,,ch-mix',
      'valve_id06_abn_00000008.wav,valve,6,verification,anomaly,ch-mix',
      'id06_n_00000048_Beamformer_Output_May2025_F011.wav,valve,6,verification,normal,beam',
      ...noise.map((f) => `noise/${f},valve,6,noise_only,,ch-mix`),
    ];
    fs.writeFileSync(path.join(dir, 'm.csv'), rows.join('\n'));
    const store = Store.create(tmpDir());
    const s = await importListing(store, listManifest(path.join(dir, 'm.csv')));
    expect(s).toMatchObject({ failed: 0, imported: 3 + noise.length });
    const multi = store.clips.list({ role: 'target_normal' }, 'name', false, 0, 5).rows[0];
    expect(multi).toMatchObject({ channels: 8, sampleRate: 16000 });
    const rep = formReport(store).sections[0];
    expect(rep.items.find((i) => i.id === 'noise_only')!.durationS).toBeGreaterThan(1);
    expect(rep.conversions.downmixed).toBeGreaterThanOrEqual(2);
    store.close();
  });
});
