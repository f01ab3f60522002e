// `hark form`: the Form check of a project, and the customer request sheet.
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { formatValue, type FormReport } from '../../shared/form';
import { formReport } from '../data/form/form-check';
import { sheetCsv, sheetHtml } from '../data/form/sheet';
import { Store } from '../store/store';
import { UsageError, type Command } from './command';

const MARK: Record<string, string> = { missing: '✗', below_minimum: '✗', minimum: '~', recommended: '✓' };

export function formatFormReport(r: FormReport): string {
  const out: string[] = [];
  for (const s of r.sections) {
    out.push(`${s.machineType} section ${s.section} (${s.clips} clips)`);
    for (const it of s.items) out.push(`  ${MARK[it.status]} ${it.title.padEnd(20)} ${formatValue(it).padEnd(14)} min ${it.minimum}, rec ${it.recommended}  ${it.status.replace('_', ' ')}${it.note ? `  (${it.note})` : ''}`);
    const c = s.conversions;
    if (c.resampled || c.downmixed || c.sliced) out.push(`  conversions: ${c.resampled} resampled (from ${c.fromRates.join(', ')} Hz), ${c.downmixed} mixed to mono (from ${c.fromChannels.join(', ')} ch), ${c.sliced} sliced`);
    if (s.quality.clipped || s.quality.silent || s.quality.duplicateGroups) out.push(`  quality: ${s.quality.clipped} clipped, ${s.quality.silent} silent, ${s.quality.duplicateGroups} duplicate group(s)`);
    out.push(`  routing: ${s.routing.approaches.join(', ') || 'none'}${s.routing.primary ? ` (start with ${s.routing.primary})` : ''}`);
    for (const why of s.routing.reasons) out.push(`    - ${why}`);
    for (const g of s.gaps) out.push(`  gap: ${g}`);
  }
  return out.join('\n');
}

export const formCommand: Command = {
  name: 'form',
  summary: 'check a project against the data Form; export the customer request sheet',
  usage: 'hark form --project DIR [--json] [--sheet OUT_PREFIX]',
  async run(argv, io) {
    const { values } = parseArgs({ args: argv, options: { project: { type: 'string' }, json: { type: 'boolean', default: false }, sheet: { type: 'string' } }, strict: true });
    if (!values.project) throw new UsageError('--project DIR is required');
    const store = Store.open(path.resolve(values.project));
    try {
      const report = formReport(store);
      if (values.sheet) {
        const prefix = path.resolve(values.sheet.replace(/\.(html|csv)$/i, ''));
        fs.mkdirSync(path.dirname(prefix), { recursive: true });
        fs.writeFileSync(`${prefix}.html`, sheetHtml(report, [], store.info().name));
        fs.writeFileSync(`${prefix}.csv`, sheetCsv(report, []));
        io.out(`request sheet: ${prefix}.html and ${prefix}.csv`);
      }
      if (values.json) io.out(JSON.stringify(report, null, 2));
      else if (!values.sheet) io.out(report.sections.length ? formatFormReport(report) : 'the project has no clips yet: import a package first');
      return 0;
    } finally {
      store.close();
    }
  },
};
