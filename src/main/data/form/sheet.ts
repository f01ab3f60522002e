// The customer request sheet: what to hand over per machine type, as printable HTML and as CSV.
import { FORM_ITEMS, formatValue, type FormReport } from '../../../shared/form';

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const csvCell = (s: string) => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

export function sheetCsv(report: FormReport | null, machineTypes: string[]): string {
  const lines = [['machine_type', 'section', 'item', 'meaning', 'minimum', 'recommended', 'have', 'status', 'needed_by'].join(',')];
  const sections = report?.sections ?? [];
  const mts = machineTypes.length ? machineTypes : [...new Set(sections.map((s) => s.machineType))];
  for (const mt of mts) {
    const secs = sections.filter((s) => s.machineType === mt);
    for (const sec of secs.length ? secs : [null]) {
      for (const item of FORM_ITEMS) {
        const have = sec?.items.find((i) => i.id === item.id);
        lines.push(
          [mt, sec?.section ?? '', item.title, item.meaning, item.minimumText, item.recommendedText, have ? formatValue(have) : '', have?.status ?? 'missing', item.neededBy].map(csvCell).join(','),
        );
      }
    }
  }
  return lines.join('\n') + '\n';
}

export function sheetHtml(report: FormReport | null, machineTypes: string[], projectName: string): string {
  const sections = report?.sections ?? [];
  const mts = machineTypes.length ? machineTypes : [...new Set(sections.map((s) => s.machineType))];
  const statusText: Record<string, string> = { missing: 'missing', below_minimum: 'below minimum', minimum: 'minimum met', recommended: 'recommended met' };
  const blocks = mts.map((mt) => {
    const secs = sections.filter((s) => s.machineType === mt);
    const rows = FORM_ITEMS.map((item) => {
      const cells = secs.map((s) => {
        const it = s.items.find((i) => i.id === item.id)!;
        return `<td class="${it.status}">${esc(formatValue(it))}<br><small>${statusText[it.status]}</small></td>`;
      });
      return `<tr><th>${esc(item.title)}<br><small>${esc(item.meaning)}</small></th><td>${esc(item.minimumText)}</td><td>${esc(item.recommendedText)}</td>${cells.join('')}<td>${esc(item.neededBy)}</td></tr>`;
    });
    const gaps = secs.flatMap((s) => s.gaps.map((g) => `<li>section ${esc(s.section)}: ${esc(g)}</li>`));
    return `<section><h2>${esc(mt)}</h2>
<table><thead><tr><th>Item</th><th>Minimum</th><th>Recommended</th>${secs.map((s) => `<th>Have: section ${esc(s.section)}</th>`).join('')}<th>Needed by</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table>
${gaps.length ? `<h3>Please add</h3><ul>${gaps.join('')}</ul>` : '<p>This package meets the minimum for every item.</p>'}</section>`;
  });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Data request: ${esc(projectName)}</title>
<style>
body{font:11pt/1.4 'DejaVu Sans',Arial,sans-serif;color:#111;margin:18mm}
h1{font-size:18pt;margin:0 0 4pt}h2{font-size:14pt;margin:14pt 0 6pt;border-bottom:1px solid #999}
table{border-collapse:collapse;width:100%;font-size:9.5pt}th,td{border:1px solid #bbb;padding:4pt 6pt;vertical-align:top;text-align:left}
thead th{background:#eee}small{color:#555}
td.missing,td.below_minimum{background:#fde2e1}td.minimum{background:#fff4d6}td.recommended{background:#e3f6e8}
section{page-break-inside:avoid}@page{size:A4;margin:14mm}
.unit{margin:6pt 0 10pt;color:#333}
</style></head><body>
<h1>Hark data request — ${esc(projectName)}</h1>
<p class="unit">Per machine type and section. Audio: 10 s clips, mono, 16 kHz (other rates and channel counts are converted on import; longer recordings are sliced). 16-bit PCM at 16 kHz is 32,000 bytes per second: 10 s is about 0.3 MB, 1000 clips about 300 MB. Metadata as structured values per clip: section_id, mic_position_id, speed_level, load_level, noise_id.</p>
${blocks.join('\n')}
</body></html>
`;
}
