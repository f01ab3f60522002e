// DCASE Task 2 submission files (ALGORITHMS.md, Metrics): per machine type and section,
// anomaly_score_<machine>_section_<ss>_test.csv (name,score) and
// decision_result_<machine>_section_<ss>_test.csv (name,0|1); no header, rows sorted by name.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface SubmissionRow {
  /** file name of the test clip as DCASE names it, e.g. section_00_0000.wav */
  name: string;
  score: number;
}

export interface SubmissionFiles {
  scoreFile: string;
  scoreText: string;
  decisionFile: string;
  decisionText: string;
  /** how many clips were called anomalous (score > threshold) */
  anomalous: number;
}

const MACHINE = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

function sectionId(section: string | number): string {
  const s = typeof section === 'number' ? String(section).padStart(2, '0') : section;
  if (!/^\d{2}$/.test(s)) throw new Error(`submission: section must be two digits such as "00", got ${JSON.stringify(section)}`);
  return s;
}

/** Byte-order comparison, as Python's sorted() on ASCII names (localeCompare would vary by locale). */
const byName = (a: SubmissionRow, b: SubmissionRow) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/**
 * The two submission files as text. A clip is anomalous (1) when its score is strictly above
 * the threshold, as in the DCASE baseline. Scores are written with JavaScript's shortest
 * round-trip form, so parsing the file gives back the exact double.
 */
export function formatSubmission(machine: string, section: string | number, rows: readonly SubmissionRow[], threshold: number): SubmissionFiles {
  if (!MACHINE.test(machine)) {
    throw new Error(`submission: machine type ${JSON.stringify(machine)} must be letters, digits, '_', '.' or '-' (it becomes part of a file name)`);
  }
  const ss = sectionId(section);
  if (!Number.isFinite(threshold)) throw new Error(`submission: threshold must be a finite number, got ${threshold}`);
  if (rows.length === 0) throw new Error(`submission: no scored clips for ${machine} section ${ss}; DCASE needs one row per test clip`);
  const seen = new Set<string>();
  rows.forEach((r, i) => {
    if (typeof r.name !== 'string' || r.name.length === 0) throw new Error(`submission: row ${i} has no file name`);
    if (/[,"\r\n/\\]/.test(r.name)) throw new Error(`submission: row ${i} name ${JSON.stringify(r.name)} must be a bare file name without commas, quotes, line breaks or path separators`);
    if (!Number.isFinite(r.score)) throw new Error(`submission: row ${i} (${r.name}) has score ${r.score}; every clip needs a finite score`);
    if (seen.has(r.name)) throw new Error(`submission: ${r.name} appears twice for ${machine} section ${ss}`);
    seen.add(r.name);
  });
  const sorted = [...rows].sort(byName);
  let scoreText = '';
  let decisionText = '';
  let anomalous = 0;
  for (const r of sorted) {
    // String() of a double is the shortest text that parses back to the same double
    scoreText += `${r.name},${String(r.score)}\n`;
    const d = r.score > threshold ? 1 : 0;
    anomalous += d;
    decisionText += `${r.name},${d}\n`;
  }
  return {
    scoreFile: `anomaly_score_${machine}_section_${ss}_test.csv`,
    scoreText,
    decisionFile: `decision_result_${machine}_section_${ss}_test.csv`,
    decisionText,
    anomalous,
  };
}

/**
 * Writes both files into `dir` (created if missing) and returns their paths [score, decision].
 * Synchronous: two small files, written from CLI or job code; each appears whole or not at all.
 */
export function writeSubmission(dir: string, machine: string, section: string | number, rows: readonly SubmissionRow[], threshold: number): string[] {
  const f = formatSubmission(machine, section, rows, threshold);
  mkdirSync(dir, { recursive: true });
  const out: string[] = [];
  for (const [name, text] of [
    [f.scoreFile, f.scoreText],
    [f.decisionFile, f.decisionText],
  ] as const) {
    const p = path.join(dir, name);
    // write then rename: a crash never leaves a half-written submission file behind
    const tmp = `${p}.${process.pid}.tmp`;
    writeFileSync(tmp, text, 'utf8');
    renameSync(tmp, p);
    out.push(p);
  }
  return out;
}
