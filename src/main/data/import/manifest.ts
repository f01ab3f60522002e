// Folder + CSV manifest: one row per file, paths relative to the manifest's folder.
import { parse } from 'csv-parse/sync';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { DOMAINS, LABELS, ROLES, type Attributes, type Domain, type Label, type Role, type Split } from '../../../shared/domain';
import { HarkError } from '../../../shared/rpc';
import { AUDIO_EXT, type ImportEntry, type ImportListing, type ImportProblem } from './entries';

const CORE = ['path', 'machine_type', 'section', 'domain', 'split', 'label', 'role', 'operating_condition'] as const;
const REQUIRED = ['path', 'machine_type', 'role'] as const;

const blankToUndef = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : typeof v === 'string' ? v.trim() : v);

const RowSchema = z.object({
  path: z.string().min(1, 'is empty'),
  machine_type: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'must be letters, digits, _ . - (at most 64)'),
  section: z.preprocess(blankToUndef, z.string().regex(/^\d{1,2}$/, 'must be a number 0..99').optional()),
  domain: z.preprocess(blankToUndef, z.enum(DOMAINS).optional()),
  split: z.preprocess(blankToUndef, z.enum(['train', 'test', 'supplemental']).optional()),
  label: z.preprocess(blankToUndef, z.enum(LABELS).optional()),
  role: z.preprocess(blankToUndef, z.enum(ROLES)),
  operating_condition: z.preprocess(blankToUndef, z.string().optional()),
});

/** What a role implies when the row leaves split / domain / label blank. */
function implied(role: Role): { split: Split; domain?: Domain; label?: Label } {
  switch (role) {
    case 'target_normal':
      return { split: 'train', domain: 'target', label: 'normal' };
    case 'source_normal':
      return { split: 'train', domain: 'source', label: 'normal' };
    case 'noise_only':
    case 'clean_machine':
      return { split: 'supplemental' };
    case 'verification':
    case 'test':
      return { split: 'test' };
  }
}

function decodeUtf8(buf: Buffer, file: string): string {
  if (buf.length >= 2 && ((buf[0] === 0xff && buf[1] === 0xfe) || (buf[0] === 0xfe && buf[1] === 0xff))) {
    throw new HarkError('bad_input', `${file}: saved as UTF-16 ("Unicode text"); save the manifest as UTF-8 CSV`, 'manifest');
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(buf);
  } catch {
    throw new HarkError('bad_input', `${file}: not valid UTF-8 text; save the manifest as UTF-8 CSV`, 'manifest');
  }
}

function inside(dir: string, p: string): boolean {
  const rel = path.relative(dir, p);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

export function listManifest(manifestFile: string): ImportListing {
  const file = path.resolve(manifestFile);
  if (!fs.existsSync(file) || !fs.statSync(file).isFile()) throw new HarkError('bad_input', `no manifest file at ${file}`, 'manifest');
  const base = fs.realpathSync(path.dirname(file));
  const text = decodeUtf8(fs.readFileSync(file), file);
  let rows: Record<string, string>[];
  try {
    rows = parse(text, { columns: (h: string[]) => h.map((c) => c.trim().toLowerCase()), skip_empty_lines: true, bom: true, trim: false }) as Record<string, string>[];
  } catch (e) {
    throw new HarkError('bad_input', `${file}: not a readable CSV: ${(e as Error).message}`, 'manifest');
  }
  if (rows.length === 0) throw new HarkError('bad_input', `${file}: the manifest has no rows (a header line and one row per audio file are needed)`, 'manifest');
  const columns = Object.keys(rows[0]);
  const missing = REQUIRED.filter((c) => !columns.includes(c));
  if (missing.length) {
    const sep = columns.length === 1 ? [';', '\t'].find((d) => columns[0].includes(d)) : undefined;
    const hint = sep ? `; the header looks separated by '${sep === '\t' ? 'tab' : sep}': save it with commas` : '';
    throw new HarkError('bad_input', `${file}: missing column(s) ${missing.join(', ')}; required: ${REQUIRED.join(', ')}${hint}`, 'manifest');
  }
  const attrColumns = columns.filter((c) => !(CORE as readonly string[]).includes(c));

  const entries: ImportEntry[] = [];
  const problems: ImportProblem[] = [];
  const seen = new Set<string>();
  const sourcePackage = path.basename(base);
  rows.forEach((row, i) => {
    const where = `${file} row ${i + 2}`; // 1-based, after the header
    const r = RowSchema.safeParse(row);
    if (!r.success) {
      const issue = r.error.issues[0];
      problems.push({ path: where, level: 'error', message: `${issue.path.join('.')}: ${issue.message}` });
      return;
    }
    const v = r.data;
    const target = path.resolve(base, v.path);
    // refuse paths that leave the package, also through symlinks
    let real = target;
    try {
      real = fs.realpathSync(target);
    } catch {
      /* missing files are reported below, after the escape check on the lexical path */
    }
    if (!inside(base, target) || !inside(base, real)) {
      problems.push({ path: where, level: 'error', message: `path ${v.path} leaves the manifest's folder; refused` });
      return;
    }
    if (!AUDIO_EXT.test(target)) {
      problems.push({ path: where, level: 'error', message: `path ${v.path} is not a .wav or .flac file` });
      return;
    }
    if (seen.has(real)) {
      problems.push({ path: where, level: 'warning', message: `duplicate row for ${v.path}; the first row is kept` });
      return;
    }
    seen.add(real);
    const imp = implied(v.role);
    const attributes: Attributes = {};
    for (const c of attrColumns) {
      const val = row[c]?.trim();
      if (val) attributes[c] = val;
    }
    if (v.operating_condition) {
      try {
        const oc = JSON.parse(v.operating_condition) as unknown;
        if (!oc || typeof oc !== 'object' || Array.isArray(oc)) throw new Error('not an object');
        for (const [k, val] of Object.entries(oc as Record<string, unknown>)) {
          if (val !== null && val !== undefined && attributes[k] === undefined) attributes[k] = String(val);
        }
      } catch (e) {
        problems.push({ path: where, level: 'warning', message: `operating_condition is not a JSON object (${(e as Error).message}); ignored` });
      }
    }
    const split = v.split ?? imp.split;
    entries.push({
      path: real,
      machineType: v.machine_type,
      section: (v.section ?? '0').padStart(2, '0'),
      domain: v.domain ?? imp.domain ?? null,
      split,
      label: v.label ?? imp.label ?? null,
      role: v.role,
      attributes,
      sourcePackage,
    });
  });
  return { entries, problems };
}
