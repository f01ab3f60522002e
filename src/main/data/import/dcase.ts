// DCASE layout: <root>/<machine>/{train,test,supplemental}/*.wav plus attributes_*.csv.
import { parse } from 'csv-parse/sync';
import fs from 'node:fs';
import path from 'node:path';
import { HarkError } from '../../../shared/rpc';
import type { Split } from '../../../shared/domain';
import { attributesFromCsvRow, parseDcaseName } from './dcase-names';
import { AUDIO_EXT, roleFor, type ImportEntry, type ImportListing, type ImportProblem } from './entries';

const SPLIT_DIRS: Record<string, Split> = { train: 'train', test: 'test', supplemental: 'supplemental' };

function isMachineDir(dir: string): boolean {
  return Object.keys(SPLIT_DIRS).some((s) => fs.existsSync(path.join(dir, s)) && fs.statSync(path.join(dir, s)).isDirectory());
}

/** attributes_*.csv of one machine folder: key is the file name (DCASE writes `machine/split/name`). */
function readAttributeCsvs(machineDir: string, problems: ImportProblem[]): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>();
  for (const f of fs.readdirSync(machineDir)) {
    if (!/^attributes_\d+\.csv$/i.test(f)) continue;
    const file = path.join(machineDir, f);
    try {
      const rows = parse(fs.readFileSync(file), { columns: true, skip_empty_lines: true, bom: true, relax_column_count: true, trim: true }) as Record<string, string>[];
      for (const row of rows) {
        const name = row.file_name;
        if (!name) continue;
        out.set(path.basename(name), attributesFromCsvRow(row));
      }
    } catch (e) {
      problems.push({ path: file, level: 'warning', message: `cannot read attributes: ${(e as Error).message}` });
    }
  }
  return out;
}

export function listDcase(root: string, opts: { supplementalKind?: 'noise' | 'clean' } = {}): ImportListing {
  const abs = path.resolve(root);
  if (!fs.existsSync(abs) || !fs.statSync(abs).isDirectory()) throw new HarkError('bad_input', `not a folder: ${abs}`, 'path');
  const machineDirs = isMachineDir(abs)
    ? [abs]
    : fs
        .readdirSync(abs, { withFileTypes: true })
        .filter((d) => d.isDirectory() && isMachineDir(path.join(abs, d.name)))
        .map((d) => path.join(abs, d.name))
        .sort();
  if (machineDirs.length === 0) {
    throw new HarkError('bad_input', `${abs} is not a DCASE layout: expected <machine>/train, <machine>/test or <machine>/supplemental folders`, 'path');
  }
  const entries: ImportEntry[] = [];
  const problems: ImportProblem[] = [];
  const sourcePackage = path.basename(abs);
  for (const mdir of machineDirs) {
    const machineType = path.basename(mdir);
    const attrs = readAttributeCsvs(mdir, problems);
    for (const [dirName, split] of Object.entries(SPLIT_DIRS)) {
      const sdir = path.join(mdir, dirName);
      if (!fs.existsSync(sdir)) continue;
      for (const d of fs.readdirSync(sdir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
        const file = path.join(sdir, d.name);
        if (!AUDIO_EXT.test(d.name)) continue;
        if (!d.isFile()) {
          problems.push({ path: file, level: 'error', message: 'not a regular file (a folder or special file named like audio)' });
          continue;
        }
        const n = parseDcaseName(d.name);
        if (!n) {
          problems.push({ path: file, level: 'error', message: 'file name does not follow the DCASE pattern section_SS_<domain>_<split>_<label>_NNNN[_attrs].wav' });
          continue;
        }
        const effSplit: Split = split;
        if (n.split && n.split !== split && split !== 'supplemental') {
          problems.push({ path: file, level: 'warning', message: `name says ${n.split} but the file is in ${dirName}/; the folder wins` });
        }
        const attributes = { ...n.attributes, ...(attrs.get(d.name) ?? {}) };
        const supp = n.supplemental ?? opts.supplementalKind ?? 'noise';
        const role = effSplit === 'supplemental' ? (supp === 'clean' ? 'clean_machine' : 'noise_only') : roleFor(effSplit, n.domain, n.label);
        entries.push({
          path: file,
          machineType,
          section: n.section,
          domain: n.domain,
          split: effSplit,
          label: effSplit === 'train' ? 'normal' : effSplit === 'supplemental' ? null : n.label,
          role,
          attributes,
          sourcePackage,
        });
      }
    }
  }
  return { entries, problems };
}
