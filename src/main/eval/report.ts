// Evaluation outputs: DCASE submission files, report.json and a self-contained report.html.
import fs from 'node:fs';
import path from 'node:path';
import { rocCurve, scoreSummary, type ScoreSummary } from '../../shared/metrics';
import type { SectionResult } from './evaluate';
import { writeSubmission } from './submission';
import { approachLabel } from '../../shared/api';

export interface EvalReport {
  generatedAt: string;
  hark: string;
  approach: string;
  protocol: string;
  encoder: string | null;
  summary: ScoreSummary | null;
  sections: Omit<SectionResult, 'scores'>[];
  files: string[];
  skipped: { machineType: string; section: string; reason: string }[];
}

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
const pct = (v: number | null | undefined) => (v === null || v === undefined ? '—' : (100 * v).toFixed(2));

export function summarise(results: SectionResult[]): ScoreSummary | null {
  const withM = results.filter((r) => r.metrics && r.metrics.aucSource !== null && r.metrics.aucTarget !== null && r.metrics.pauc !== null);
  if (withM.length === 0) return null;
  return scoreSummary(withM.map((r) => ({ aucSource: r.metrics!.aucSource, aucTarget: r.metrics!.aucTarget, pauc: r.metrics!.pauc })));
}

function rocSvg(r: SectionResult): string {
  const known = r.scores.filter((s) => s.label !== null);
  if (!known.some((s) => s.label === 'anomaly') || !known.some((s) => s.label === 'normal')) return '';
  const W = 240;
  const H = 240;
  const curve = (domain: 'source' | 'target' | null) => {
    const sub = known.filter((s) => domain === null || s.domain === domain || s.label === 'anomaly');
    if (!sub.some((s) => s.label === 'normal')) return '';
    const roc = rocCurve(
      sub.map((s) => (s.label === 'anomaly' ? 1 : 0)),
      sub.map((s) => s.score),
    );
    return Array.from(roc.fpr, (f, i) => `${(f * W).toFixed(1)},${(H - roc.tpr[i] * H).toFixed(1)}`).join(' ');
  };
  const src = curve('source');
  const tgt = curve('target');
  return `<svg viewBox="-30 -10 ${W + 40} ${H + 40}" width="${W + 40}" height="${H + 40}" role="img" aria-label="ROC curves">
<rect x="0" y="0" width="${0.1 * W}" height="${H}" fill="#4fb3ff22"/>
<rect x="0" y="0" width="${W}" height="${H}" fill="none" stroke="#999"/>
<line x1="0" y1="${H}" x2="${W}" y2="0" stroke="#bbb" stroke-dasharray="4 3"/>
${src ? `<polyline points="${src}" fill="none" stroke="#1f77b4" stroke-width="2"/>` : ''}
${tgt ? `<polyline points="${tgt}" fill="none" stroke="#d62728" stroke-width="2"/>` : ''}
<text x="${W / 2}" y="${H + 26}" font-size="11" text-anchor="middle">false positive rate (shaded: FPR ≤ 0.1)</text>
<text x="-20" y="${H / 2}" font-size="11" text-anchor="middle" transform="rotate(-90 -20 ${H / 2})">true positive rate</text>
<text x="${W - 4}" y="${H - 22}" font-size="11" text-anchor="end" fill="#1f77b4">source</text>
<text x="${W - 4}" y="${H - 8}" font-size="11" text-anchor="end" fill="#d62728">target</text>
</svg>`;
}

export function reportHtml(rep: EvalReport, results: SectionResult[]): string {
  const s = rep.summary;
  const rows = results
    .map((r) => {
      const m = r.metrics;
      const ci = (x: { lower: number; upper: number } | null | undefined) => (x ? `<small>[${pct(x.lower)}, ${pct(x.upper)}]</small>` : '');
      return `<tr><td>${esc(r.machineType)}</td><td>${esc(r.section)}</td><td>${esc(approachLabel(r))}</td>
<td>${pct(m?.aucSource)} ${ci(m?.ci.aucSource)}</td><td>${pct(m?.aucTarget)} ${ci(m?.ci.aucTarget)}</td><td>${pct(m?.pauc)} ${ci(m?.ci.pauc)}</td>
<td>${r.counts.support} / ${r.counts.test}</td><td>${r.threshold.value.toPrecision(4)}<br><small>${esc(r.threshold.method)}</small>${
        r.noiseThreshold ? `<br>noise-calibrated ${r.noiseThreshold.value.toPrecision(4)}<br><small>${esc(r.noiseThreshold.method)}; ${r.noiseThreshold.binding === 'noise' ? 'noise binds: the detector separates site noise poorly' : 'normals bind'}</small>` : ''
      }</td></tr>`;
    })
    .join('\n');
  const plots = results
    .map((r) => `<figure><figcaption>${esc(r.machineType)} section ${esc(r.section)} — ${esc(r.members ? approachLabel(r) : `approach ${r.approach}`)}</figcaption>${rocSvg(r) || '<p>no ground truth</p>'}<ul>${r.why.map((w) => `<li>${esc(w)}</li>`).join('')}</ul></figure>`)
    .join('\n');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Hark evaluation</title>
<style>body{font:14px/1.45 'DejaVu Sans',Arial,sans-serif;margin:24px;color:#111}table{border-collapse:collapse}th,td{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f0f0f0}small{color:#666}figure{display:inline-block;vertical-align:top;margin:8px 16px 8px 0;max-width:320px}figcaption{font-weight:600}.big{font-size:20px}</style></head><body>
<h1>Hark evaluation</h1>
<p>Approach: <b>${esc(rep.approach)}</b> · protocol: ${esc(rep.protocol)} · encoder: ${esc(rep.encoder ?? 'default')} · ${esc(rep.generatedAt)}</p>
${
  s
    ? `<p class="big">Official score (harmonic mean of AUC source, AUC target, pAUC): <b>${pct(s.official)}</b></p>
<p>Harmonic means: AUC source ${pct(s.hmeanAucSource)}, AUC target ${pct(s.hmeanAucTarget)}, pAUC ${pct(s.hmeanPauc)}; arithmetic mean of AUCs ${pct(s.ameanAuc)}.</p>`
    : '<p>No ground truth labels: scores and decisions are written, metrics are not computed.</p>'
}
<table><thead><tr><th>Machine</th><th>Section</th><th>Approach</th><th>AUC source</th><th>AUC target</th><th>pAUC</th><th>support / test</th><th>Threshold</th></tr></thead><tbody>
${rows}</tbody></table>
${rep.skipped.length ? `<h2>Skipped sections</h2><ul>${rep.skipped.map((k) => `<li>${esc(k.machineType)} section ${esc(k.section)}: ${esc(k.reason)}</li>`).join('')}</ul>` : ''}
<h2>ROC curves</h2>${plots}
<p><small>Files: ${rep.files.map(esc).join(', ')}</small></p></body></html>`;
}

export function writeEvalOutputs(outDir: string, results: SectionResult[], meta: Pick<EvalReport, 'approach' | 'protocol' | 'encoder' | 'hark' | 'skipped'>): EvalReport {
  fs.mkdirSync(outDir, { recursive: true });
  const files: string[] = [];
  for (const r of results) {
    const written = writeSubmission(
      outDir,
      r.machineType,
      r.section,
      r.scores.map((s) => ({ name: s.name, score: s.score })),
      r.threshold.value,
    );
    files.push(...written.map((f) => path.basename(f)));
  }
  const rep: EvalReport = {
    generatedAt: new Date().toISOString(),
    ...meta,
    summary: summarise(results),
    sections: results.map((r) => ({ ...r, scores: undefined as never })),
    files: [...files, 'report.json', 'report.html'],
  };
  fs.writeFileSync(path.join(outDir, 'report.json'), JSON.stringify({ ...rep, scores: results.map((r) => ({ machineType: r.machineType, section: r.section, clips: r.scores })) }, null, 1));
  fs.writeFileSync(path.join(outDir, 'report.html'), reportHtml(rep, results));
  return rep;
}
