// Issue 11, point 2: the bad-input corpus (test/fixtures/bad, made by make.ts). Every broken file
// or manifest gives one clear message naming the file and the reason, the rest of the import goes
// on, and nothing stored before is lost.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listDcase } from '../../src/main/data/import/dcase';
import { importListing, type ImportSummary } from '../../src/main/data/import/importer';
import { listManifest } from '../../src/main/data/import/manifest';
import { checkConsistency } from '../../src/main/store/consistency';
import { Store } from '../../src/main/store/store';
import { HarkError } from '../../src/shared/rpc';
import { addRuntimeCases, AUDIO_CASES, CORPUS_DIR, GOOD_AUDIO, goodWav, MANIFEST_CASES, TWO_HOURS_S, writeCorpus } from '../fixtures/bad/make';
import { copyProject } from '../reliability/crash';
import { recordSuiteFigures } from '../reliability/figures';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'hark-rel-bad-'));
const before = path.join(work, 'before-project');
const isRoot = process.getuid?.() === 0;

afterAll(() => {
  // the unreadable file has mode 000: give it back so the folder can be removed
  for (const f of fs.readdirSync(work, { recursive: true, withFileTypes: true })) if (f.isFile()) fs.chmodSync(path.join(f.parentPath, f.name), 0o644);
  fs.rmSync(work, { recursive: true, force: true });
});

/** Everything a project holds that an import must not touch: files, clips, verdicts with history. */
function dump(dir: string): string {
  const s = Store.open(dir, { readonly: true });
  try {
    const files = s.db.prepare('SELECT id, path, sha256, size_bytes, sample_rate, channels, duration_s, format, source_package, imported_at FROM files ORDER BY id').raw().all();
    const clips = s.db.prepare('SELECT * FROM clips ORDER BY id').raw().all();
    const labels = s.db.prepare('SELECT * FROM verification_labels ORDER BY clip_id').raw().all();
    const history = s.db.prepare('SELECT * FROM verification_history ORDER BY id').raw().all();
    return JSON.stringify({ files, clips, labels, history });
  } finally {
    s.close();
  }
}

let beforeDump: string;
let beforeFiles = 0;

beforeAll(async () => {
  // a project with earlier work in it: an imported package and verdicts with their history
  const pkg = path.join(work, 'earlier');
  const rows = ['path,machine_type,section,role,label'];
  for (let i = 0; i < 4; i++) {
    fs.mkdirSync(pkg, { recursive: true });
    fs.writeFileSync(path.join(pkg, `e${i}.wav`), goodWav(0.5, 100 + i, 200 + 30 * i));
    rows.push(`e${i}.wav,fan,0,${i < 2 ? 'target_normal' : 'verification'},${i === 3 ? 'anomaly' : ''}`);
  }
  fs.writeFileSync(path.join(pkg, 'm.csv'), rows.join('\n'));
  const s = Store.create(before, 'earlier work');
  await importListing(s, listManifest(path.join(pkg, 'm.csv')));
  const ids = s.clips.list({}, 'id', false, 0, 10).rows.map((r) => r.id);
  s.labels.set([ids[2]], 'normal', 'ana', '2026-01-01T00:00:00Z');
  s.labels.set([ids[3]], 'anomaly', 'ana', '2026-01-02T00:00:00Z');
  beforeFiles = s.clips.count();
  s.close();
  beforeDump = dump(before);
});

/** A copy of the corpus in which runtime cases can be made (and permissions changed). */
function corpusCopy(name: string): string {
  const dir = path.join(work, name, 'bad');
  fs.cpSync(CORPUS_DIR, dir, { recursive: true });
  return dir;
}

function project(name: string): string {
  const dir = path.join(work, `${name}-project`);
  copyProject(before, dir);
  return dir;
}

/** The store holds all it held before, unchanged, and passes every check. */
function expectEarlierWorkKept(dir: string): void {
  const now = JSON.parse(dump(dir)) as { files: unknown[][]; clips: unknown[][]; labels: unknown[][]; history: unknown[][] };
  const was = JSON.parse(beforeDump) as typeof now;
  expect(now.files.slice(0, was.files.length)).toEqual(was.files);
  expect(now.clips.slice(0, was.clips.length)).toEqual(was.clips);
  expect(now.labels).toEqual(was.labels);
  expect(now.history).toEqual(was.history);
  const s = Store.open(dir);
  try {
    const rep = checkConsistency(s.db, { integrity: true });
    expect(rep.problems).toEqual([]);
  } finally {
    s.close();
  }
}

describe('the bad-input corpus', () => {
  it('is exactly what make.ts writes (no hand edits, nothing missing)', () => {
    const fresh = path.join(work, 'regenerated');
    const written = writeCorpus(fresh);
    const committed = fs
      .readdirSync(CORPUS_DIR, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => path.relative(CORPUS_DIR, path.join(e.parentPath, e.name)))
      .filter((f) => f !== 'make.ts')
      .sort();
    expect(committed).toEqual(written);
    for (const f of written) expect(fs.readFileSync(path.join(CORPUS_DIR, f)).equals(fs.readFileSync(path.join(fresh, f))), f).toBe(true);
  });
});

describe('bad audio files', () => {
  let summary: ImportSummary;
  let dir: string;
  let runtime: ReturnType<typeof addRuntimeCases>;
  let proj: string;

  beforeAll(async () => {
    dir = corpusCopy('audio');
    runtime = addRuntimeCases(dir, path.join(work, 'audio', 'outside'), { large: true, unreadable: !isRoot });
    proj = project('audio');
    const s = Store.open(proj);
    const t0 = performance.now();
    summary = await importListing(s, listManifest(runtime.manifest), { batchSize: 4 });
    recordSuiteFigures('bad-input', { seconds: (performance.now() - t0) / 1000, files: summary.files, imported: summary.imported, failed: summary.failed, problems: summary.problems.length });
    s.close();
  }, 180_000);

  it('gives each broken file one clear message naming it and the reason', () => {
    const wrong: string[] = [];
    for (const c of [...AUDIO_CASES, ...runtime.cases.filter((r) => r.reason !== null)]) {
      const file = path.join(dir, c.file);
      const mine = summary.problems.filter((p) => p.path === file);
      const level = 'level' in c ? c.level : 'error';
      if (mine.length !== 1) {
        wrong.push(`${c.file}: ${mine.length} messages (${mine.map((p) => p.message).join(' | ')})`);
        continue;
      }
      const p = mine[0];
      if (p.level !== level || !p.message.startsWith(`${file}: `) || !new RegExp(c.reason!).test(p.message)) wrong.push(`${c.file}: ${p.level} "${p.message}" does not say /${c.reason}/`);
    }
    expect(wrong).toEqual([]);
  });

  it('refuses the symlink that leaves the package while listing, and says nothing about good files', () => {
    const link = summary.problems.filter((p) => p.message.includes('link_out.wav'));
    expect(link).toHaveLength(1);
    expect(link[0]).toMatchObject({ level: 'error', message: expect.stringMatching(/leaves the manifest's folder; refused/) });
    for (const g of GOOD_AUDIO) expect(summary.problems.filter((p) => p.path.includes(g.file))).toEqual([]);
  });

  it('imports the good files, the warned ones and the 2 h recording around the broken ones', () => {
    const warned = AUDIO_CASES.filter((c) => c.level === 'warning').length;
    const errors = AUDIO_CASES.filter((c) => c.level === 'error').length + runtime.cases.filter((c) => c.reason !== null).length;
    expect(summary.imported).toBe(GOOD_AUDIO.length + warned + 1);
    expect(summary.failed).toBe(errors);
    const s = Store.open(proj, { readonly: true });
    try {
      for (const g of GOOD_AUDIO) expect(s.clips.fileByPath(path.join(dir, g.file)), g.file).not.toBeNull();
      const long = s.clips.list({ text: 'two_hours.wav' }, 'name', false, 0, 1000);
      expect(long.total).toBe(TWO_HOURS_S / 10);
      expect(s.clips.count()).toBe(beforeFiles + GOOD_AUDIO.length + warned + TWO_HOURS_S / 10);
      // every message also went to the project's import log
      const log = s.importLog.recent(1000);
      expect(log.filter((l) => l.level === 'error')).toHaveLength(errors + 1);
    } finally {
      s.close();
    }
  });

  it('keeps everything stored before, and a second import changes nothing and says the same', async () => {
    expectEarlierWorkKept(proj);
    const s = Store.open(proj);
    const again = await importListing(s, listManifest(runtime.manifest));
    s.close();
    expect(again.imported).toBe(0);
    expect(again.failed).toBe(summary.failed);
    const msgs = (x: ImportSummary) => x.problems.filter((p) => p.level === 'error').map((p) => p.message).sort();
    expect(msgs(again)).toEqual(msgs(summary));
    expectEarlierWorkKept(proj);
  }, 60_000);
});

describe('bad manifests', () => {
  const dir = corpusCopy('manifests');
  for (const m of MANIFEST_CASES.filter((c) => c.file !== 'audio.csv')) {
    it(`${m.file}: ${m.what}`, async () => {
      const proj = project(`manifest-${m.file}`);
      const file = path.join(dir, m.file);
      const e = m.expect;
      if ('refused' in e) {
        let err: unknown;
        try {
          listManifest(file);
        } catch (x) {
          err = x;
        }
        expect(err).toBeInstanceOf(HarkError);
        expect((err as HarkError).message).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: .*${e.refused}`));
        expect((err as HarkError).field).toBe('manifest');
      } else {
        const s = Store.open(proj);
        const sum = await importListing(s, listManifest(file));
        s.close();
        expect(sum.imported + sum.unchanged).toBe(e.imported);
        expect(sum.failed).toBe(e.problems.filter((p) => !/row \d/.test(p.at)).length);
        expect(sum.problems).toHaveLength(e.problems.length);
        for (const want of e.problems) {
          const hits = sum.problems.filter((p) => new RegExp(want.at).test(p.path) && new RegExp(want.reason).test(p.message) && p.level === want.level);
          expect(hits, `${want.at}: ${want.reason} in ${JSON.stringify(sum.problems)}`).toHaveLength(1);
          expect(hits[0].path.startsWith(file) || hits[0].path.startsWith(dir)).toBe(true);
        }
        if (e.attributes) {
          const r = Store.open(proj, { readonly: true });
          for (const [name, attrs] of Object.entries(e.attributes)) expect(r.clips.list({ text: name }, 'name', false, 0, 5).rows.find((x) => x.sourcePackage === 'bad')?.attributes).toEqual(attrs);
          r.close();
        }
      }
      expectEarlierWorkKept(proj);
    });
  }
});

describe('a DCASE folder with a folder and a named pipe called like audio', () => {
  it('lists them as problems, imports the rest, and never blocks on the pipe', async () => {
    const root = path.join(work, 'dcase');
    const train = path.join(root, 'fan', 'train');
    fs.mkdirSync(path.join(train, 'section_00_source_train_normal_0002_a_1.wav'), { recursive: true });
    spawnSync('mkfifo', [path.join(train, 'section_00_source_train_normal_0003_a_1.wav')]);
    fs.writeFileSync(path.join(train, 'section_00_source_train_normal_0001_a_1.wav'), goodWav(1, 5));
    fs.writeFileSync(path.join(train, 'not_a_dcase_name.wav'), goodWav(1, 6));
    const listing = listDcase(root);
    expect(listing.entries.map((e) => path.basename(e.path))).toEqual(['section_00_source_train_normal_0001_a_1.wav']);
    expect(listing.problems.map((p) => `${path.basename(p.path)}: ${p.message}`).sort()).toEqual([
      expect.stringMatching(/^not_a_dcase_name\.wav: file name does not follow the DCASE pattern/),
      expect.stringMatching(/^section_00_source_train_normal_0002_a_1\.wav: not a regular file/),
      expect.stringMatching(/^section_00_source_train_normal_0003_a_1\.wav: not a regular file/),
    ]);
    const proj = project('dcase');
    const s = Store.open(proj);
    const sum = await importListing(s, listing);
    s.close();
    expect(sum).toMatchObject({ imported: 1, failed: 0 });
    expectEarlierWorkKept(proj);
  });
});

describe.skipIf(process.getuid === undefined)('a file without read permission', () => {
  it('is refused with "permission denied" and the rest imports (as an unprivileged user when run as root)', () => {
    const dir = corpusCopy('unreadable');
    fs.writeFileSync(path.join(dir, 'audio', 'unreadable.wav'), goodWav(0.5, 21));
    fs.chmodSync(path.join(dir, 'audio', 'unreadable.wav'), 0o000);
    fs.writeFileSync(path.join(dir, 'perm.csv'), 'path,machine_type,role\naudio/unreadable.wav,fan,test\naudio/good_1.wav,fan,test\n');
    const proj = project('unreadable');
    // root reads any file: the import runs as 'nobody' then, which needs the folders opened up
    if (isRoot) for (const d of [work, path.dirname(dir), dir, path.join(dir, 'audio'), proj]) fs.chmodSync(d, 0o777);
    if (isRoot) for (const f of fs.readdirSync(proj)) fs.chmodSync(path.join(proj, f), 0o666);
    const script = `
      const { Store } = await import(${JSON.stringify(path.resolve(import.meta.dirname, '../../src/main/store/store.ts'))});
      const { importListing } = await import(${JSON.stringify(path.resolve(import.meta.dirname, '../../src/main/data/import/importer.ts'))});
      const { listManifest } = await import(${JSON.stringify(path.resolve(import.meta.dirname, '../../src/main/data/import/manifest.ts'))});
      const s = Store.open(${JSON.stringify(proj)});
      const r = await importListing(s, listManifest(${JSON.stringify(path.join(dir, 'perm.csv'))}));
      s.close();
      console.log(JSON.stringify(r));`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      cwd: path.resolve(import.meta.dirname, '..', '..'),
      ...(isRoot ? { uid: 65534, gid: 65534, env: { ...process.env, HOME: work } } : {}),
    });
    expect(r.status, r.stderr).toBe(0);
    const sum = JSON.parse(r.stdout.trim().split('\n').pop()!) as ImportSummary;
    expect(sum).toMatchObject({ imported: 1, failed: 1 });
    expect(sum.problems).toEqual([{ path: path.join(dir, 'audio', 'unreadable.wav'), level: 'error', message: `${path.join(dir, 'audio', 'unreadable.wav')}: cannot read the file (permission denied)` }]);
    expectEarlierWorkKept(proj);
  }, 60_000);
});
