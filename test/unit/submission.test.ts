// DCASE submission files: exact text, sorting, round-trip numbers, decisions, errors, and the
// names of the real DCASE 2023 valve test split when /work/shared/data is present.
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { formatSubmission, writeSubmission } from '../../src/main/eval/submission';

const rows = [
  { name: 'section_00_0002.wav', score: 0.5 },
  { name: 'section_00_0000.wav', score: 1.25 },
  { name: 'section_00_0010.wav', score: 0.1 + 0.2 },
  { name: 'section_00_0001.wav', score: -3e-7 },
];

describe('formatSubmission', () => {
  it('writes the exact DCASE text: no header, sorted by name, name,score / name,0|1', () => {
    const f = formatSubmission('valve', '00', rows, 0.5);
    expect(f.scoreFile).toBe('anomaly_score_valve_section_00_test.csv');
    expect(f.decisionFile).toBe('decision_result_valve_section_00_test.csv');
    expect(f.scoreText).toBe(
      'section_00_0000.wav,1.25\n' + 'section_00_0001.wav,-3e-7\n' + 'section_00_0002.wav,0.5\n' + 'section_00_0010.wav,0.30000000000000004\n',
    );
    // strictly above the threshold is anomalous: 0.5 itself is not
    expect(f.decisionText).toBe('section_00_0000.wav,1\n' + 'section_00_0001.wav,0\n' + 'section_00_0002.wav,0\n' + 'section_00_0010.wav,0\n');
    expect(f.anomalous).toBe(1);
  });
  it('scores round-trip to the same double', () => {
    const tricky = [Math.PI, 1 / 3, 5e-324, 1.7976931348623157e308, -0, 123456789.12345679, 0.1 + 0.7];
    const f = formatSubmission('fan', 0, tricky.map((score, i) => ({ name: `c${i}.wav`, score })), 0);
    const back = f.scoreText.trimEnd().split('\n').map((l) => Number(l.split(',')[1]));
    expect(back).toEqual(tricky.map((v) => (Object.is(v, -0) ? 0 : v)));
    expect(f.scoreFile).toBe('anomaly_score_fan_section_00_test.csv');
  });
  it('sorts by code unit like Python, not by locale', () => {
    const f = formatSubmission('ToyCar', '01', [{ name: 'b.wav', score: 1 }, { name: 'B.wav', score: 2 }, { name: 'a.wav', score: 3 }], 10);
    expect(f.scoreText.split('\n').map((l) => l.split(',')[0])).toEqual(['B.wav', 'a.wav', 'b.wav', '']);
    expect(f.scoreFile).toBe('anomaly_score_ToyCar_section_01_test.csv');
  });
  it('does not reorder the caller rows', () => {
    const copy = rows.map((r) => ({ ...r }));
    formatSubmission('valve', '00', copy, 0);
    expect(copy).toEqual(rows);
  });
  it('errors clearly', () => {
    expect(() => formatSubmission('valve', '00', [], 0.5)).toThrow(/no scored clips for valve section 00/);
    expect(() => formatSubmission('valve', '0', rows, 0.5)).toThrow(/section must be two digits/);
    expect(() => formatSubmission('../valve', '00', rows, 0.5)).toThrow(/machine type "..\/valve" must be/);
    expect(() => formatSubmission('valve', '00', rows, NaN)).toThrow(/threshold must be a finite number/);
    expect(() => formatSubmission('valve', '00', [{ name: 'a.wav', score: NaN }], 0)).toThrow(/row 0 \(a.wav\) has score NaN/);
    expect(() => formatSubmission('valve', '00', [{ name: 'a,b.wav', score: 1 }], 0)).toThrow(/bare file name/);
    expect(() => formatSubmission('valve', '00', [{ name: 'x/a.wav', score: 1 }], 0)).toThrow(/bare file name/);
    expect(() => formatSubmission('valve', '00', [{ name: 'a.wav', score: 1 }, { name: 'a.wav', score: 2 }], 0)).toThrow(/a.wav appears twice/);
  });
});

describe('writeSubmission', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });
  it('writes both files (creating the folder) with the formatted text and no temp files left', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'hark-submission-'));
    dirs.push(root);
    const dir = path.join(root, 'task2', 'teamA_1');
    const [scorePath, decisionPath] = writeSubmission(dir, 'valve', '00', rows, 0.4);
    const f = formatSubmission('valve', '00', rows, 0.4);
    expect(scorePath).toBe(path.join(dir, f.scoreFile));
    expect(decisionPath).toBe(path.join(dir, f.decisionFile));
    expect(await readFile(scorePath, 'utf8')).toBe(f.scoreText);
    expect(await readFile(decisionPath, 'utf8')).toBe(f.decisionText);
    expect(f.decisionText.match(/,1\n/g)).toHaveLength(2);
    expect((await readdir(dir)).sort()).toEqual([f.scoreFile, f.decisionFile]);
  });
  it('writes nothing on bad input', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'hark-submission-'));
    dirs.push(root);
    expect(() => writeSubmission(path.join(root, 'out'), 'valve', '00', [], 0)).toThrow(/no scored clips/);
    expect(existsSync(path.join(root, 'out'))).toBe(false);
  });
});

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const valveTest = path.join(path.resolve(repoRoot, '..', 'shared', 'data'), 'dcase2023-valve-test', 'valve', 'test');
const haveData = existsSync(valveTest);

describe.skipIf(!haveData)('real DCASE 2023 valve test names (../shared/data)', () => {
  it('one row per test file, sorted as the DCASE baseline lists them', async () => {
    const names = (await readdir(valveTest)).filter((n) => n.endsWith('.wav'));
    expect(names.length).toBe(200);
    const shuffled = names.map((name, i) => ({ name, score: ((i * 7919) % 200) / 200 })).reverse();
    const f = formatSubmission('valve', '00', shuffled, 0.5);
    const lines = f.scoreText.trimEnd().split('\n');
    expect(lines.length).toBe(200);
    expect(lines.map((l) => l.split(',')[0])).toEqual([...names].sort());
    expect(f.decisionText.trimEnd().split('\n').every((l) => /^section_00_(source|target)_test_(normal|anomaly)_\d{4}_.+\.wav,[01]$/.test(l))).toBe(true);
  });
});
if (!haveData) console.warn(`submission.test: real-data check skipped, ${valveTest} not found`);
