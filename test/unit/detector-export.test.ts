// Portable detectors: fit A and B through the real pipeline on a tiny generated package, export them,
// and score the same recordings from the .hark-detector file alone (function and CLI): the scores must
// equal those stored in the project. Damaged files must fail with a message naming what is wrong.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import wavefile from 'wavefile';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDataset } from '../../src/main/data/generator';
import { listDcase } from '../../src/main/data/import/dcase';
import { importListing } from '../../src/main/data/import/importer';
import { exportDetector, isScoreError, PortableDetector, scoreFiles, type ExportSummary, type FileScore } from '../../src/main/eval/detector-export';
import { openContainer, sha256Hex, type DetectorHeader } from '../../src/main/eval/portable/container';
import { runEvaluation } from '../../src/main/eval/run';
import type { SectionResult } from '../../src/main/eval/evaluate';
import { readManifest } from '../../src/main/encoders';
import { Store } from '../../src/main/store/store';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const HARK = path.join(ROOT, 'bin', 'hark.mjs');
const run = promisify(execFile);
const TOL = 1e-6;

// one machine, one section, 24 clips (4 source + 3 target normals, 1 noise, 16 test): fits in seconds
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'hark-detexport-'));
const dataDir = path.join(work, 'data');
let store: Store;
let resA: SectionResult;
let resB: SectionResult;
let fileA: string;
let fileB: string;
let sumA: ExportSummary;
let sumB: ExportSummary;

/** The project's test clips of a run with their stored scores. */
function stored(runId: number): { path: string; name: string; offsetS: number; score: number }[] {
  return store.results.scores(runId).map((s) => {
    const c = store.clips.get(s.clipId)!;
    return { path: c.path, name: c.name, offsetS: c.offsetS, score: s.score };
  });
}

function expectSameScores(results: FileScore[], want: { path: string; score: number }[], threshold: number): void {
  expect(results.length).toBe(want.length);
  results.forEach((r, i) => {
    expect(r.file).toBe(want[i].path);
    expect(r.slices.length).toBe(1);
    expect(Math.abs(r.score - want[i].score)).toBeLessThanOrEqual(TOL);
    expect(r.decision).toBe(want[i].score > threshold ? 1 : 0);
  });
}

/** Rewrites a detector file's header (valid prefix, sha256 and padding), keeping its payload bytes. */
function rewriteHeader(src: string, dest: string, mutate: (h: DetectorHeader) => void): void {
  const buf = fs.readFileSync(src);
  const len = buf.readUInt32LE(12);
  const header = JSON.parse(buf.subarray(48, 48 + len).toString('utf8')) as DetectorHeader;
  const payload = buf.subarray((48 + len + 7) & ~7);
  mutate(header);
  const hb = Buffer.from(JSON.stringify(header), 'utf8');
  const prefix = Buffer.from(buf.subarray(0, 48));
  prefix.writeUInt32LE(hb.length, 12);
  Buffer.from(sha256Hex(hb), 'hex').copy(prefix, 16);
  const pad = Buffer.alloc(((48 + hb.length + 7) & ~7) - 48 - hb.length);
  fs.writeFileSync(dest, Buffer.concat([prefix, hb, pad, payload]));
}

function patched(src: string, name: string, edit: (b: Buffer) => Buffer): string {
  const dest = path.join(work, name);
  fs.writeFileSync(dest, edit(Buffer.from(fs.readFileSync(src))));
  return dest;
}

describe('portable detector export and scoring', () => {
  beforeAll(async () => {
    await generateDataset({ out: dataDir, scale: 0.004, seed: 11, machines: ['fan'], sections: 1 });
    store = Store.create(path.join(work, 'project'));
    const imp = await importListing(store, listDcase(dataDir));
    expect(imp.failed).toBe(0);
    [resA] = (await runEvaluation(store, { approach: 'A' })).results;
    [resB] = (await runEvaluation(store, { approach: 'B' })).results;
    fileA = path.join(work, 'a.hark-detector');
    fileB = path.join(work, 'b.hark-detector');
    // A by detector id, B by run id; every later test reads these two files
    sumA = await exportDetector(store, { detectorId: resA.detectorId }, fileA);
    sumB = await exportDetector(store, { runId: resB.runId }, fileB);
  }, 120_000);

  afterAll(() => {
    store?.close();
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('A: the exported file scores the run\'s test clips exactly as the project stored them', async () => {
    const s = sumA;
    expect(s.runId).toBe(resA.runId);
    expect(s.approach).toBe('A');
    expect(s.threshold).toEqual(resA.threshold);
    expect(s.verified).not.toBeNull();
    expect(Math.abs(s.verified!.portable - s.verified!.stored)).toBeLessThanOrEqual(TOL);

    // self-contained: the header carries A's (ONNX) encoder entry and its model file, byte for byte
    const c = await openContainer(fileA);
    expect(c.header.encoder!.id).toBe(resA.config.encoder);
    const shipped = (await readManifest(path.join(ROOT, 'models', 'manifest.json'))).encoders.find((e) => e.id === c.header.encoder!.id)!;
    expect(c.header.encoder!.runtime).toBe('onnx');
    const model = c.header.entries.find((e) => e.name === `model/${shipped.files[0].path}`)!;
    expect(model.sha256).toBe(shipped.files[0].sha256);
    expect(model.bytes).toBe(shipped.files[0].bytes);
    expect(c.header.encoder!.licenceRestricted).toBe(shipped.licence.licence_restricted);
    if (shipped.licence.licence_restricted) expect(s.notes.join(' ')).toMatch(/restricted licence/);
    expect(c.header.machineType).toBe('fan');
    expect(c.header.source).toMatchObject({ detectorId: resA.detectorId, runId: resA.runId });

    const want = stored(resA.runId);
    expect(want.length).toBe(16);
    const { results } = await scoreFiles(fileA, want.map((w) => w.path));
    expectSameScores(results as FileScore[], want, resA.threshold.value);
    // the run's own decisions come out the same
    const byName = new Map(resA.scores.map((x) => [x.name, x.decision]));
    (results as FileScore[]).forEach((r, i) => expect(r.decision).toBe(byName.get(want[i].name)));
  });

  it('B (DSP encoder, nothing to embed): chosen by run, same scores as stored', async () => {
    const s = sumB;
    expect(s.detectorId).toBe(resB.detectorId);
    expect(s.encoders).toMatchObject([{ id: 'logmel_stats', embeddedBytes: 0 }]);
    const c = await openContainer(fileB);
    expect(c.header.entries.every((e) => e.kind === 'state')).toBe(true);
    const want = stored(resB.runId);
    const { results, header } = await scoreFiles(fileB, want.map((w) => w.path));
    expect(header.threshold).toEqual(resB.threshold);
    expectSameScores(results as FileScore[], want, resB.threshold.value);
  });

  it('cuts long recordings into clips as import does, scores each, and gives the file their max', async () => {
    const want = stored(resB.runId);
    const pcm = (p: string) => new wavefile.WaveFile(fs.readFileSync(p)).getSamples(false, Int16Array) as unknown as Int16Array;
    const [a, b, c] = [pcm(want[0].path), pcm(want[5].path), pcm(want[9].path)];
    // 10 s + 10 s + 5 s: clips at 0 s and 10 s equal the two stored clips, the 5 s tail becomes an end-aligned clip at 15 s
    const joined = new Int16Array(a.length + b.length + 80_000);
    joined.set(a, 0);
    joined.set(b, a.length);
    joined.set(c.subarray(0, 80_000), a.length + b.length);
    const w = new wavefile.WaveFile();
    w.fromScratch(1, 16_000, '16', joined);
    const long = path.join(work, 'long.wav');
    fs.writeFileSync(long, w.toBuffer());

    const det = await PortableDetector.open(fileB);
    try {
      const r = await det.scoreFile(long, 'long.wav');
      expect(r.slices.map((s) => [s.name, s.offsetS, s.durationS])).toEqual([
        ['long.wav@0s', 0, 10],
        ['long.wav@10s', 10, 10],
        ['long.wav@15s', 15, 10],
      ]);
      expect(Math.abs(r.slices[0].score - want[0].score)).toBeLessThanOrEqual(TOL);
      expect(Math.abs(r.slices[1].score - want[5].score)).toBeLessThanOrEqual(TOL);
      expect(r.score).toBe(Math.max(...r.slices.map((s) => s.score)));
      expect(r.decision).toBe(r.score > resB.threshold.value ? 1 : 0);
      r.slices.forEach((s) => expect(s.decision).toBe(s.score > resB.threshold.value ? 1 : 0));
    } finally {
      await det.close();
    }
  });

  it('hark export and hark score in child processes give the stored scores', async () => {
    const out = path.join(work, 'cli-a.hark-detector');
    const ex = await run(process.execPath, [HARK, 'export', '--project', store.dir, '--run', String(resA.runId), '--out', out], { cwd: ROOT });
    expect(ex.stdout).toContain(`wrote ${out}`);
    expect(ex.stdout).toMatch(/checked: clip '.+' scores/);
    const want = stored(resA.runId).slice(0, 4);
    const js = await run(process.execPath, [HARK, 'score', '--detector', out, ...want.map((w) => w.path), '--json'], { cwd: ROOT });
    const parsed = JSON.parse(js.stdout) as { detector: { approach: string; threshold: { value: number } }; files: FileScore[] };
    expect(parsed.detector.approach).toBe('A');
    expectSameScores(parsed.files, want, resA.threshold.value);
    // text: one tab-separated line per file, name score decision; a missing file is reported and sets exit code 1
    const missing = path.join(work, 'nope.wav');
    const txt = await run(process.execPath, [HARK, 'score', '--detector', out, want[0].path, missing], { cwd: ROOT }).then(
      () => {
        throw new Error('hark score should exit 1 when a file fails');
      },
      (e: { code: number; stdout: string; stderr: string }) => e,
    );
    expect(txt.code).toBe(1);
    const lines = txt.stdout.trim().split('\n');
    expect(lines.length).toBe(1);
    const [name, score, decision] = lines[0].split('\t');
    expect(name).toBe(want[0].path);
    expect(Math.abs(Number(score) - want[0].score)).toBeLessThanOrEqual(TOL);
    expect(decision).toBe(want[0].score > resA.threshold.value ? 'anomaly' : 'normal');
    expect(txt.stderr).toContain(`${missing}: file not found`);
  }, 60_000);

  it('damaged files fail with a clear reason', async () => {
    const size = fs.statSync(fileB).size;
    const c = await openContainer(fileB);
    const firstState = c.header.entries[0];
    const rejects = (file: string) => expect(PortableDetector.open(file)).rejects;

    await rejects(path.join(work, 'absent.hark-detector')).toThrow(/absent\.hark-detector: file not found/);
    await rejects(patched(fileB, 'trunc.hark-detector', (b) => b.subarray(0, size - 9))).toThrow(/truncated: .* bytes, the header describes/);
    await rejects(patched(fileB, 'trunc-head.hark-detector', (b) => b.subarray(0, 100))).toThrow(/truncated: the header needs/);
    await rejects(patched(fileB, 'tail.hark-detector', (b) => Buffer.concat([b, Buffer.from('junk')]))).toThrow(/4 unexpected bytes after the payload/);
    await rejects(patched(fileB, 'magic.hark-detector', (b) => (b.write('NOTHARK!', 0, 'latin1'), b))).toThrow(/not a Hark detector file/);
    await rejects(patched(fileB, 'v2.hark-detector', (b) => (b.writeUInt32LE(2, 8), b))).toThrow(/container version 2 is newer than this Hark reads \(version 1\)/);
    await rejects(patched(fileB, 'v0.hark-detector', (b) => (b.writeUInt32LE(0, 8), b))).toThrow(/container version 0 is not one this Hark reads/);
    await rejects(patched(fileB, 'head.hark-detector', (b) => (b[60] ^= 1, b))).toThrow(/header sha256 is [0-9a-f]{64}, the file says [0-9a-f]{64}: the header is corrupt/);
    const at = c.payloadStart + firstState.offset + 3;
    await rejects(patched(fileB, 'blob.hark-detector', (b) => (b[at] ^= 0x40, b))).toThrow(new RegExp(`entry '${firstState.name}' has sha256 [0-9a-f]{64}, the header says ${firstState.sha256}: the file is corrupt`));

    // the embedded ONNX model is checked as well
    const ca = await openContainer(fileA);
    const m = ca.header.entries.find((e) => e.kind === 'model')!;
    const mAt = ca.payloadStart + m.offset + Math.floor(m.bytes / 2);
    await rejects(patched(fileA, 'model.hark-detector', (b) => (b[mAt] ^= 1, b))).toThrow(new RegExp(`entry '${m.name}' has sha256 [0-9a-f]{64}, the header says ${m.sha256}: the file is corrupt`));
  });

  it('a consistent file with a wrong header is refused by field', async () => {
    const enc = (await openContainer(fileA)).header.encoder!;
    const modelFile = (enc.entry as { files: { path: string }[] }).files[0].path;
    const to = (name: string, mutate: (h: DetectorHeader) => void) => {
      const dest = path.join(work, name);
      rewriteHeader(fileA, dest, mutate);
      return dest;
    };
    // the rewrite itself keeps a valid file
    const same = await PortableDetector.open(to('same.hark-detector', () => undefined));
    await same.close();
    const rejects = (file: string) => expect(PortableDetector.open(file)).rejects;
    await rejects(to('fmt.hark-detector', (h) => ((h as { format: string }).format = 'hark-detector/2'))).toThrow(/header format is "hark-detector\/2", this Hark reads 'hark-detector\/1'/);
    await rejects(to('noth.hark-detector', (h) => delete (h as Partial<DetectorHeader>).threshold)).toThrow(/field 'threshold'/);
    await rejects(to('state.hark-detector', (h) => (h.state.version = 99))).toThrow(/approach A state: .*field 'version'/);
    await rejects(
      to('escape.hark-detector', (h) => ((h.encoder!.entry as { files: { path: string }[] }).files[0].path = `../${modelFile}`)),
    ).toThrow(new RegExp(`field 'encoder.entry.files' names "\\.\\./${modelFile}", not a bare file name`));
    await rejects(to('fp.hark-detector', (h) => (h.encoder!.fingerprint = `${enc.id}@${enc.version}#0000`))).toThrow(
      new RegExp(`fingerprint ${enc.fingerprint}, the header says ${enc.id}@${enc.version}#0000`),
    );
    await rejects(to('req.hark-detector', (h) => (h.encoder!.featureRequest = { kind: 'embedding', encoder: enc.id }))).toThrow(/asks for features .*"patches".*the header says .*"embedding"/);
    await rejects(
      to('sha.hark-detector', (h) => ((h.encoder!.entry as { files: { sha256: string }[] }).files[0].sha256 = '0'.repeat(64))),
    ).toThrow(new RegExp(`entry 'model/${modelFile}' has sha256 [0-9a-f]{64}, the encoder's manifest entry says 0{64}`));
  });

  it('refuses what cannot be exported, naming the reason', async () => {
    // B fitted with batch statistics: its scores depend on what else is scored, so it cannot go to a fleet
    const d = store.results.detector(resB.detectorId)!;
    const trans = store.results.saveDetector({ approach: 'B', machineType: d.machineType, section: d.section, config: { ...d.config, normalisation: 'transductive-test' }, stateJson: d.stateJson, blobs: d.blobs });
    const transRun = store.results.startRun('eval', 'B', trans, {});
    store.results.finishRun(transRun, 'done', { threshold: resB.threshold });
    await expect(exportDetector(store, { runId: transRun }, path.join(work, 't.hark-detector'))).rejects.toThrow(/normalisation 'transductive-test' .* refit with normalisation 'loo-train'/);
    expect(fs.existsSync(path.join(work, 't.hark-detector'))).toBe(false);
    // the config inside the state is what score() reads: it is checked too
    const stateCfg = { ...(d.stateJson.config as Record<string, unknown>), normalisation: 'transductive-test' };
    const trans2 = store.results.saveDetector({ approach: 'B', machineType: d.machineType, section: d.section, config: d.config, stateJson: { ...d.stateJson, config: stateCfg }, blobs: d.blobs });
    const transRun2 = store.results.startRun('eval', 'B', trans2, {});
    store.results.finishRun(transRun2, 'done', { threshold: resB.threshold });
    await expect(exportDetector(store, { runId: transRun2 }, path.join(work, 't.hark-detector'))).rejects.toThrow(/whole test batch.*refit with normalisation 'loo-train'/);
    await expect(exportDetector(store, { detectorId: 999 }, path.join(work, 'x.hark-detector'))).rejects.toThrow(/detector 999 not found/);
    await expect(exportDetector(store, { runId: 999 }, path.join(work, 'x.hark-detector'))).rejects.toThrow(/run 999 not found/);
    await expect(exportDetector(store, { runId: resA.runId, detectorId: resB.detectorId }, path.join(work, 'x.hark-detector'))).rejects.toThrow(
      new RegExp(`run ${resA.runId} used detector ${resA.detectorId}, not detector ${resB.detectorId}`),
    );
    // a project that switched off licence-restricted models does not hand one out
    const restricted = (await openContainer(fileA)).header.encoder!.licenceRestricted;
    if (restricted) {
      store.project.setJson('allow_restricted_models', false);
      try {
        await expect(exportDetector(store, { runId: resA.runId }, path.join(work, 'r.hark-detector'))).rejects.toThrow(/restricted licence/);
      } finally {
        store.project.setJson('allow_restricted_models', true);
      }
    }
    // a detector without a run has no decision threshold
    const orphan = store.results.saveDetector({ approach: 'B', machineType: d.machineType, section: d.section, config: d.config, stateJson: d.stateJson, blobs: d.blobs });
    await expect(exportDetector(store, { detectorId: orphan }, path.join(work, 'x.hark-detector'))).rejects.toThrow(new RegExp(`detector ${orphan} has no finished run`));
  });

  it('the export check catches a file that does not reproduce the stored scores, and writes nothing', async () => {
    const rows = store.results.scores(resB.runId);
    const out = path.join(work, 'bad.hark-detector');
    store.results.saveScores(resB.runId, [{ clipId: rows[0].clipId, score: rows[0].score + 0.01 }]);
    try {
      await expect(exportDetector(store, { runId: resB.runId }, out)).rejects.toThrow(/export check failed: clip '.+' scores .* from the detector file, .* in run/);
      expect(fs.existsSync(out)).toBe(false);
      // without the check the file is written
      const s = await exportDetector(store, { runId: resB.runId }, out, { verify: false });
      expect(s.verified).toBeNull();
      expect(fs.existsSync(out)).toBe(true);
    } finally {
      store.results.saveScores(resB.runId, [{ clipId: rows[0].clipId, score: rows[0].score, parts: rows[0].parts ?? undefined }]);
    }
  });

  it('reports an unreadable recording without stopping the others', async () => {
    const want = stored(resB.runId).slice(0, 2);
    const bad = path.join(work, 'bad.wav');
    fs.writeFileSync(bad, 'not audio');
    const { results } = await scoreFiles(fileB, [want[0].path, bad, want[1].path]);
    expect(isScoreError(results[1])).toBe(true);
    expect((results[1] as { error: string }).error).toContain(bad);
    expect(Math.abs((results[2] as FileScore).score - want[1].score)).toBeLessThanOrEqual(TOL);
  });
});
