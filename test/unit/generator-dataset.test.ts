// A whole package at a tiny scale: counts, names, attributes CSVs, manifest, levels,
// determinism, resume, domain shift, and that Hark's own importers read it without a problem.
import { parse } from 'csv-parse/sync';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import wavefile from 'wavefile';
import { beforeAll, describe, expect, it } from 'vitest';
import { listDcase } from '../../src/main/data/import/dcase';
import { listManifest } from '../../src/main/data/import/manifest';
import { generateCommand } from '../../src/main/cli/generate';
import { DCASE2025_COUNTS, generateDataset, MACHINE_TYPES, planDataset, scaledCounts, type GeneratorSummary } from '../../src/main/data/generator';
import { tmpDir } from '../helpers/tmp';
import os from 'node:os';

const SCALE = 0.004; // 4 source + 3 target normal, 1 noise-only, 4 per test cell: 24 clips per section
const MACHINES = ['bearing', 'valve'];

/** files under root, relative, forward slashes, sorted */
function listFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(path.relative(root, p).split(path.sep).join('/'));
    }
  };
  walk(root);
  return out.sort();
}

function hashes(root: string): Map<string, string> {
  return new Map(listFiles(root).map((f) => [f, crypto.createHash('sha256').update(fs.readFileSync(path.join(root, f))).digest('hex')]));
}

// independent of the generator's code: the DCASE name grammar written out again
const TRAIN_TEST = /^section_(\d{2})_(source|target)_(train|test)_(normal|anomaly)_(\d{4})_spd_(\d)_load_(\d)_noise_([A-F])_mic_(\d)\.wav$/;
const NOISE = /^section_(\d{2})_noise_(\d{4})_noise_([A-F])_mic_(\d)\.wav$/;

type Row = Record<string, string>;
const readCsv = (file: string): Row[] => parse(fs.readFileSync(file, 'utf8'), { columns: true, skip_empty_lines: true }) as Row[];

// generated once for the read-only checks below (the temp helper cleans per test, so keep our own folder)
const shared = fs.mkdtempSync(path.join(os.tmpdir(), 'hark-gen-shared-'));
let summary: GeneratorSummary;
let progress: [number, number][] = [];

describe('generator dataset', () => {
  beforeAll(async () => {
    progress = [];
    summary = await generateDataset({ out: shared, scale: SCALE, seed: 99, machines: MACHINES, sections: 2, onProgress: (d, t) => progress.push([d, t]) });
    return () => fs.rmSync(shared, { recursive: true, force: true });
  }, 120_000);

  it('scales the DCASE 2025 counts, rounding up, with the target-normal and test floors', () => {
    expect(scaledCounts(1)).toEqual({ sourceTrain: 990, targetTrain: 10, supplemental: 100, testPerCell: 50 });
    expect(DCASE2025_COUNTS.sourceTrain).toBe(990);
    // 990 * 0.1 is 99.00000000000001 in floating point: still 99
    expect(scaledCounts(0.1)).toEqual({ sourceTrain: 99, targetTrain: 3, supplemental: 10, testPerCell: 5 });
    expect(scaledCounts(0.5)).toEqual({ sourceTrain: 495, targetTrain: 5, supplemental: 50, testPerCell: 25 });
    expect(scaledCounts(0.33)).toEqual({ sourceTrain: 327, targetTrain: 4, supplemental: 33, testPerCell: 17 });
    expect(scaledCounts(SCALE)).toEqual({ sourceTrain: 4, targetTrain: 3, supplemental: 1, testPerCell: 4 });
    expect(scaledCounts(2)).toEqual({ sourceTrain: 1980, targetTrain: 20, supplemental: 200, testPerCell: 100 });
    expect(() => scaledCounts(0)).toThrow(/scale/);
    expect(() => scaledCounts(11)).toThrow(/scale/);
  });

  it('writes exactly the planned files, per machine, section, split, domain and label', () => {
    const files = listFiles(shared).filter((f) => f.endsWith('.wav'));
    expect(files.length).toBe(summary.clips);
    expect(summary.clips).toBe(MACHINES.length * 2 * 24);
    expect(summary.written).toBe(summary.clips);
    for (const m of MACHINES) {
      for (const sec of ['00', '01']) {
        const count = (dir: string, re: RegExp) => files.filter((f) => f.startsWith(`${m}/${dir}/section_${sec}_`) && re.test(f)).length;
        expect(count('train', /_source_train_normal_/)).toBe(4);
        expect(count('train', /_target_train_normal_/)).toBe(3);
        expect(count('supplemental', /_noise_/)).toBe(1);
        for (const d of ['source', 'target']) for (const l of ['normal', 'anomaly']) expect(count('test', new RegExp(`_${d}_test_${l}_`))).toBe(4);
      }
    }
    expect(listFiles(shared).filter((f) => !f.endsWith('.wav'))).toEqual(['bearing/attributes_00.csv', 'bearing/attributes_01.csv', 'generator.json', 'ground_truth.csv', 'manifest.csv', 'valve/attributes_00.csv', 'valve/attributes_01.csv']);
    expect(progress[0]).toEqual([0, summary.clips]);
    expect(progress[progress.length - 1]).toEqual([summary.clips, summary.clips]);
  });

  it('names parse back to the manifest row and the attributes CSV row of the same file', () => {
    const manifest = readCsv(path.join(shared, 'manifest.csv'));
    expect(Object.keys(manifest[0])).toEqual(['path', 'machine_type', 'section', 'domain', 'split', 'label', 'role', 'speed_level', 'load_level', 'noise_id', 'mic_position_id']);
    const attrRows = new Map<string, Row>();
    for (const m of MACHINES) for (const sec of ['00', '01']) for (const r of readCsv(path.join(shared, m, `attributes_${sec}.csv`))) attrRows.set(r.file_name, r);
    for (const row of manifest) {
      const [machine, split, name] = row.path.split('/');
      expect(machine).toBe(row.machine_type);
      expect(split).toBe(row.split);
      const a = attrRows.get(row.path)!;
      expect(a, row.path).toBeDefined();
      const t = TRAIN_TEST.exec(name);
      if (t) {
        expect([t[1], t[2], t[3], t[4]]).toEqual([row.section, row.domain, row.split, row.label]);
        expect([t[6], t[7], t[8], t[9]]).toEqual([row.speed_level, row.load_level, row.noise_id, row.mic_position_id]);
        expect([a.d1p, a.d1v, a.d2p, a.d2v, a.d3p, a.d3v, a.d4p, a.d4v]).toEqual(['spd', t[6], 'load', t[7], 'noise', t[8], 'mic', t[9]]);
        expect(row.role).toBe(row.split === 'test' ? 'test' : row.domain === 'target' ? 'target_normal' : 'source_normal');
        continue;
      }
      const s = NOISE.exec(name);
      expect(s, `unparseable name ${name}`).not.toBeNull();
      expect([s![1], s![3], s![4]]).toEqual([row.section, row.noise_id, row.mic_position_id]);
      expect([row.split, row.role, row.domain, row.label, row.speed_level, row.load_level]).toEqual(['supplemental', 'noise_only', '', '', '', '']);
      expect([a.d1p, a.d1v, a.d2p, a.d2v, a.d3p, a.d4p]).toEqual(['noise', s![3], 'mic', s![4], '', '']);
    }
    // the manifest and the attributes CSVs cover every audio file exactly once
    const audio = listFiles(shared).filter((f) => f.endsWith('.wav'));
    expect(manifest.map((r) => r.path).sort()).toEqual(audio);
    expect([...attrRows.keys()].sort()).toEqual(audio);
  });

  it('every clip is 10 s of 16 kHz mono PCM16 with headroom and without clipping', () => {
    const manifest = readCsv(path.join(shared, 'manifest.csv'));
    let loudest = 0;
    for (const row of manifest) {
      const w = new wavefile.WaveFile(fs.readFileSync(path.join(shared, row.path)));
      const fmt = w.fmt as { numChannels: number; sampleRate: number; bitsPerSample: number };
      expect([fmt.numChannels, fmt.sampleRate, fmt.bitsPerSample]).toEqual([1, 16000, 16]);
      const s = w.getSamples(false, Int16Array) as unknown as Int16Array;
      expect(s.length).toBe(160000);
      let peak = 0,
        sum = 0;
      for (const v of s) {
        peak = Math.max(peak, Math.abs(v));
        sum += v * v;
      }
      expect(peak, row.path).toBeLessThanOrEqual(Math.round(32767 * 10 ** (-1 / 20)) + 1); // -1 dBFS ceiling
      expect(Math.sqrt(sum / s.length), `${row.path} is silent`).toBeGreaterThan(30); // above -60 dBFS
      loudest = Math.max(loudest, peak);
    }
    expect(loudest).toBeGreaterThan(3000); // levels are absolute, not all quiet
  });

  it('source and target differ in every knob, and the target still draws from its own sets', () => {
    const manifest = readCsv(path.join(shared, 'manifest.csv'));
    const info = JSON.parse(fs.readFileSync(path.join(shared, 'generator.json'), 'utf8'));
    for (const m of MACHINES) {
      for (const sec of ['00', '01']) {
        const rows = manifest.filter((r) => r.machine_type === m && r.section === sec && r.domain);
        const values = (d: string, col: string) => new Set(rows.filter((r) => r.domain === d).map((r) => r[col]));
        for (const col of ['speed_level', 'noise_id', 'mic_position_id']) {
          const src = values('source', col);
          for (const v of values('target', col)) expect(src.has(v), `${m} ${sec} ${col} ${v} in both domains`).toBe(false);
        }
        const k = info.knobs[m][sec];
        for (const r of rows) {
          const d = k[r.domain];
          expect(d.speedLevels).toContain(Number(r.speed_level));
          expect(d.loadLevels).toContain(Number(r.load_level));
          expect(d.noiseIds).toContain(r.noise_id);
          expect(d.micPositions).toContain(Number(r.mic_position_id));
        }
        expect(k.source.loadLevels).not.toEqual(k.target.loadLevels);
      }
      // sections are different units: their knob sets are drawn separately
      expect(info.knobs[m]['00']).not.toEqual(info.knobs[m]['01']);
    }
    expect(info).toMatchObject({ seed: 99, scale: SCALE, severity: 0.5, machines: MACHINES, sections: 2, version: 1 });
  });

  it('ground truth names an anomaly kind of the machine for every anomalous clip and none for normal ones', () => {
    const gt = readCsv(path.join(shared, 'ground_truth.csv'));
    const info = JSON.parse(fs.readFileSync(path.join(shared, 'generator.json'), 'utf8'));
    for (const r of gt) {
      const machine = r.path.split('/')[0];
      if (r.label === 'anomaly') {
        expect(info.anomalies[machine].map((a: { kind: string }) => a.kind)).toContain(r.anomaly_kind);
        expect(Number(r.intensity)).toBeGreaterThan(0);
      } else expect([r.anomaly_kind, r.intensity]).toEqual(['', '']);
    }
    // the 4 anomalous test clips of a cell cycle through the kinds
    const kinds = new Set(gt.filter((r) => r.path.startsWith('valve/test/section_00_source_test_anomaly')).map((r) => r.anomaly_kind));
    expect(kinds.size).toBe(3);
  });

  it("Hark's DCASE and manifest importers read the package without a problem", () => {
    const d = listDcase(shared);
    expect(d.problems).toEqual([]);
    expect(d.entries.length).toBe(summary.clips);
    const m = listManifest(path.join(shared, 'manifest.csv'));
    expect(m.problems).toEqual([]);
    expect(m.entries.length).toBe(summary.clips);
  });

  it('same seed and options give identical bytes; a subset of machines gives the same files; another seed does not', async () => {
    const again = tmpDir();
    await generateDataset({ out: again, scale: SCALE, seed: 99, machines: MACHINES, sections: 2 });
    expect(hashes(again)).toEqual(hashes(shared));

    const subset = tmpDir();
    await generateDataset({ out: subset, scale: SCALE, seed: 99, machines: ['valve'], sections: 1 });
    const h = hashes(shared);
    const sub = hashes(subset);
    const wavs = [...sub.keys()].filter((f) => f.endsWith('.wav'));
    expect(wavs.length).toBe(24);
    for (const f of wavs) expect(sub.get(f), f).toBe(h.get(f));
    expect(sub.get('valve/attributes_00.csv')).toBe(h.get('valve/attributes_00.csv'));

    const other = tmpDir();
    await generateDataset({ out: other, scale: SCALE, seed: 100, machines: ['valve'], sections: 1 });
    const o = hashes(other);
    const same = [...o.keys()].filter((f) => f.endsWith('.wav') && h.get(f) === o.get(f));
    expect(same).toEqual([]);
  }, 120_000);

  it('a larger scale keeps the smaller one as its prefix: a rerun into the folder resumes and only adds', async () => {
    const dir = tmpDir();
    const first = await generateDataset({ out: dir, scale: SCALE, seed: 5, machines: ['fan'] });
    const before = hashes(dir);
    const second = await generateDataset({ out: dir, scale: 0.01, seed: 5, machines: ['fan'] });
    expect(second.kept).toBe(first.clips);
    expect(second.written).toBe(second.clips - first.clips);
    const after = hashes(dir);
    for (const [f, h] of before) if (f.endsWith('.wav')) expect(after.get(f), f).toBe(h);
    // and a fresh run at that scale gives the same bytes as the resumed one
    const fresh = tmpDir();
    await generateDataset({ out: fresh, scale: 0.01, seed: 5, machines: ['fan'] });
    expect(hashes(fresh)).toEqual(after);
    // back down: files the smaller plan does not have are removed
    const third = await generateDataset({ out: dir, scale: SCALE, seed: 5, machines: ['fan'] });
    expect(third.removed).toBe(second.clips - first.clips);
    expect(hashes(dir)).toEqual(before);
  }, 120_000);

  it('a rerun with another seed or fewer machines leaves nothing of the earlier run behind', async () => {
    const dir = tmpDir();
    await generateDataset({ out: dir, scale: SCALE, seed: 5, machines: ['fan', 'gearbox'] });
    const reseeded = await generateDataset({ out: dir, scale: SCALE, seed: 6, machines: ['fan'] });
    expect(reseeded.kept).toBe(0);
    expect(reseeded.removed).toBeGreaterThanOrEqual(24); // the gearbox clips, and fan clips whose names (attributes) the new seed changed
    const fresh = tmpDir();
    await generateDataset({ out: fresh, scale: SCALE, seed: 6, machines: ['fan'] });
    const left = hashes(dir);
    expect(left).toEqual(hashes(fresh));
    expect(fs.readdirSync(path.join(dir, 'gearbox', 'train'))).toEqual([]);
  }, 120_000);

  it('refuses a folder it did not write, bad options, and stops when aborted', async () => {
    const foreign = tmpDir();
    fs.writeFileSync(path.join(foreign, 'notes.txt'), 'mine');
    await expect(generateDataset({ out: foreign, scale: SCALE, machines: ['fan'] })).rejects.toThrow(/not empty and holds no generator.json/);
    const out = path.join(tmpDir(), 'new');
    await expect(generateDataset({ out, machines: ['toaster'] })).rejects.toThrow(/unknown machine type 'toaster'; known: fan, bearing/);
    await expect(generateDataset({ out, scale: 0 })).rejects.toThrow(/scale must be in \(0, 10\]/);
    await expect(generateDataset({ out, severity: 1.5 })).rejects.toThrow(/severity must be in \[0, 1\]/);
    await expect(generateDataset({ out, sections: 0 })).rejects.toThrow(/sections must be an integer 1..100/);
    await expect(generateDataset({ out, seed: -1 })).rejects.toThrow(/seed must be an integer/);
    const ac = new AbortController();
    let seen = 0;
    const run = generateDataset({
      out,
      scale: SCALE,
      machines: ['fan'],
      signal: ac.signal,
      onProgress: (d) => {
        seen = d;
        if (d >= 3) ac.abort(new Error('stop here'));
      },
    });
    await expect(run).rejects.toThrow(/stop here/);
    expect(seen).toBeLessThan(24);
    expect(listFiles(out).filter((f) => f.endsWith('.part'))).toEqual([]);
  }, 60_000);

  it('plans every machine type with all seven families', () => {
    const { clips, counts } = planDataset({ scale: SCALE, seed: 1 });
    expect(MACHINE_TYPES).toEqual(['fan', 'bearing', 'valve', 'pump', 'motor', 'compressor', 'gearbox']);
    expect(clips.length).toBe(7 * (counts.sourceTrain + counts.targetTrain + counts.supplemental + 4 * counts.testPerCell));
    expect(new Set(clips.map((c) => c.relPath)).size).toBe(clips.length);
  });
});

describe('hark generate', () => {
  const io = () => {
    const out: string[] = [];
    const err: string[] = [];
    return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l), tty: false }, out, err };
  };

  it('rejects bad arguments as usage errors that name the option', async () => {
    const { io: cli } = io();
    await expect(generateCommand.run([], cli)).rejects.toThrow(/--out DIR is required/);
    await expect(generateCommand.run(['--out', 'x', '--scale', 'big'], cli)).rejects.toThrow(/--scale must be a number in \(0, 10\], got 'big'/);
    await expect(generateCommand.run(['--out', 'x', '--seed', '1.5'], cli)).rejects.toThrow(/--seed must be a whole number/);
    await expect(generateCommand.run(['--out', 'x', '--severity', '2'], cli)).rejects.toThrow(/--severity must be a number in \[0, 1\]/);
    await expect(generateCommand.run(['--out', 'x', '--sections', '0'], cli)).rejects.toThrow(/--sections must be a whole number 1..100/);
    await expect(generateCommand.run(['--out', 'x', '--machines', 'fan,toaster'], cli)).rejects.toThrow(/unknown type 'toaster'/);
    await expect(generateCommand.run(['--out', 'x', '--bogus'], cli)).rejects.toThrow();
    for (const e of [/--out/, /--scale/, /--machines/]) expect(generateCommand.usage).toMatch(e);
  });

  it('writes a package and says how to import it', async () => {
    const dir = path.join(tmpDir(), 'pkg');
    const { io: cli, out } = io();
    const code = await generateCommand.run(['--out', dir, '--scale', String(SCALE), '--machines', 'pump', '--seed', '3', '--severity', '0.7'], cli);
    expect(code).toBe(0);
    expect(out.join('\n')).toMatch(/24 clips \(pump; 1 section each: 4 source \+ 3 target normal, 1 noise-only, 16 test\)/);
    expect(out.join('\n')).toMatch(/hark import --project PROJECT --dcase/);
    const info = JSON.parse(fs.readFileSync(path.join(dir, 'generator.json'), 'utf8'));
    expect(info).toMatchObject({ seed: 3, severity: 0.7, machines: ['pump'] });
  });
});
