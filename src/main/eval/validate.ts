// Routing by validation (FORM.md rule 4): where labeled verification clips exist, fit every eligible
// approach on the training normals, score the verification clips, and choose by their official score.
// Test clips' labels are never read here; only clips the customer handed over as verification are.
import type { ClipRecord } from '../../shared/domain';
import { auc, domainAucs, harmonicMean } from '../../shared/metrics';
import { getApproach } from '../approaches/registry';
import type { ClipFeatures, FitSet } from '../approaches/types';
import type { FeatureService } from '../encoders/features';
import type { EvalOptions } from './evaluate';

export interface ValidationOutcome {
  approach: 'A' | 'B' | 'C';
  why: string[];
}

/** The clip's verification truth: the engineer's verdict first, else the package label. */
function truth(c: ClipRecord & { verdict?: string | null }): 0 | 1 | null {
  const v = c.verdict && c.verdict !== 'unsure' ? c.verdict : c.label;
  return v === 'anomaly' ? 1 : v === 'normal' ? 0 : null;
}

/** Official-style figure of scores against truth: hmean of the per-domain AUCs and pAUC where defined. */
export function validationFigure(rows: { domain: 'source' | 'target' | null; y: 0 | 1; score: number }[]): number | null {
  if (!rows.some((r) => r.y === 1) || !rows.some((r) => r.y === 0)) return null;
  const m = domainAucs(rows.map((r) => ({ domain: r.domain, label: r.y, score: r.score })));
  const figs = [m.aucSource, m.aucTarget, m.pauc].filter((v): v is number => v !== null);
  return figs.length ? harmonicMean(figs.map((v) => Math.max(v, 1e-9))) : auc(rows.map((r) => r.y), rows.map((r) => r.score));
}

function ranks(x: number[]): number[] {
  const idx = x.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const r = new Array<number>(x.length);
  idx.forEach(([, i], k) => (r[i] = k / Math.max(1, x.length - 1)));
  return r;
}

export async function chooseByValidation(
  features: FeatureService,
  machineType: string,
  section: string,
  normals: ClipRecord[],
  noise: ClipRecord[],
  verification: (ClipRecord & { verdict?: string | null })[],
  candidates: ('A' | 'B' | 'C')[],
  opts: EvalOptions,
): Promise<ValidationOutcome | null> {
  const labeled = verification.filter((c) => truth(c) !== null);
  const ys = labeled.map((c) => truth(c)!);
  if (!ys.includes(0) || !ys.includes(1) || candidates.length < 2) return null;
  const meta = (c: ClipRecord, hide: boolean): ClipFeatures => ({ clipId: c.id, name: c.name, section: c.section, domain: hide ? null : c.domain, role: hide ? 'test' : c.role, attributes: c.attributes });
  const figures: { id: 'A' | 'B' | 'C'; figure: number | null; scores: number[] | null; error?: string }[] = [];
  for (const id of candidates) {
    const approach = getApproach(id);
    try {
      const config = approach.parseConfig({ ...(opts.configs?.[id] ?? {}) });
      const req = approach.featureRequest(config);
      const bare: FitSet = { machineType, section, normals: normals.map((c) => meta(c, false)), noise: noise.map((c) => meta(c, false)) };
      const wanted = approach.trainingSubset ? new Set(approach.trainingSubset(bare, config)) : null;
      const useN = wanted ? normals.filter((c) => wanted.has(c.id)) : normals;
      const useZ = wanted ? noise.filter((c) => wanted.has(c.id)) : noise;
      const fN = await features.forClips([...useN, ...useZ], req, undefined, opts.signal);
      const set: FitSet = { machineType, section, normals: useN.map((c, i) => ({ ...meta(c, false), ...fN[i] })), noise: useZ.map((c, i) => ({ ...meta(c, false), ...fN[useN.length + i] })) };
      const state = await approach.fit(set, config, () => undefined, opts.signal);
      const fV = await features.forClips(labeled, req, undefined, opts.signal);
      const res = await approach.score(state, labeled.map((c, i) => ({ ...meta(c, true), ...fV[i] })));
      const scores = res.map((r) => r.score);
      figures.push({ id, scores, figure: validationFigure(labeled.map((c, i) => ({ domain: c.domain, y: ys[i], score: scores[i] }))) });
    } catch (e) {
      figures.push({ id, figure: null, scores: null, error: (e as Error).message.split('\n')[0] });
    }
  }
  const ok = figures.filter((f) => f.figure !== null);
  if (ok.length === 0) return null;
  ok.sort((a, b) => b.figure! - a.figure!);
  const pct = (v: number) => (100 * v).toFixed(1);
  const why = [
    `validated on ${labeled.length} labeled verification clips (${ys.filter((y) => y === 0).length} normal, ${ys.filter((y) => y === 1).length} anomalous): ` +
      figures.map((f) => `${f.id} ${f.figure !== null ? pct(f.figure) : `n/a (${f.error ?? 'no figure'})`}`).join(', '),
  ];
  if (ok.length >= 2) {
    // the rank-averaged ensemble, reported so the engineer sees whether combining would pay
    const rs = ok.map((f) => ranks(f.scores!));
    const ens = labeled.map((_, i) => rs.reduce((s, r) => s + r[i], 0) / rs.length);
    const fe = validationFigure(labeled.map((c, i) => ({ domain: c.domain, y: ys[i], score: ens[i] })));
    if (fe !== null) why.push(`rank-averaged ensemble of ${ok.map((f) => f.id).join('+')}: ${pct(fe)}${fe > ok[0].figure! ? ' (better than the best single approach; Hark keeps one exportable detector per section)' : ''}`);
  }
  why.push(`${ok[0].id} chosen: best validation figure`);
  return { approach: ok[0].id, why };
}
