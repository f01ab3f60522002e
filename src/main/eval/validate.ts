// Routing by validation (FORM.md rule 4): where labeled verification clips exist, every eligible
// approach is fitted on the training normals (by evaluation, once) and this chooses among them and their
// rank-averaged ensemble by the official-style figure of their scores on those clips. A package's own
// labels on test clips are never read here.
import type { ClipRecord } from '../../shared/domain';
import { auc, domainAucs, harmonicMean, quantileSorted } from '../../shared/metrics';
import { createRandom } from '../../shared/random';
import { MIN_VERIFICATION } from '../../shared/form';
import { ENSEMBLE, RankMap, rankAverage, type DetectorKind, type MemberId } from './ensemble';

export interface ValidationOutcome {
  approach: DetectorKind;
  /** the ensemble's members, when the ensemble was chosen */
  members?: MemberId[];
  why: string[];
}

/** The clip's verification truth: the engineer's verdict first, else the package label. */
function truth(c: Pick<ClipRecord, 'label'> & { verdict?: string | null }): 0 | 1 | null {
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

/** Paired, class-stratified bootstrap of several candidates' figures on the same resampled clips. */
export function pairedBootstrap(
  rows: { domain: 'source' | 'target' | null; y: 0 | 1 }[],
  candidates: number[][],
  n = 200,
  seed = 0,
): { lower: number; upper: number; wins: number }[] {
  const rng = createRandom(seed);
  const pos = rows.map((r, i) => (r.y === 1 ? i : -1)).filter((i) => i >= 0);
  const neg = rows.map((r, i) => (r.y === 0 ? i : -1)).filter((i) => i >= 0);
  const reps = candidates.map(() => [] as number[]);
  const wins = candidates.map(() => 0);
  for (let r = 0; r < n; r++) {
    const pick = [...neg.map(() => neg[rng.int(neg.length)]), ...pos.map(() => pos[rng.int(pos.length)])];
    const figs = candidates.map((sc) => validationFigure(pick.map((i) => ({ domain: rows[i].domain, y: rows[i].y, score: sc[i] }))) ?? NaN);
    figs.forEach((f, k) => reps[k].push(f));
    const best = Math.max(...figs.filter((f) => !Number.isNaN(f)));
    figs.forEach((f, k) => (wins[k] += f === best ? 1 : 0));
  }
  return reps.map((r, k) => {
    const s = Float64Array.from(r.filter((v) => !Number.isNaN(v))).sort();
    return s.length ? { lower: quantileSorted(s, 0.025), upper: quantileSorted(s, 0.975), wins: wins[k] / n } : { lower: NaN, upper: NaN, wins: 0 };
  });
}

/** One candidate's scores of every verification clip (null when it could not be fitted or scored). */
export interface CandidateScores {
  id: MemberId;
  scores: number[] | null;
  error?: string;
}

/**
 * The choice among single approaches and their rank-averaged ensemble from their scores of the
 * verification clips, by the figure on the labeled ones. Null when the labels cannot decide.
 */
export function chooseAmong(verification: (Pick<ClipRecord, 'domain' | 'label'> & { verdict?: string | null })[], candidates: CandidateScores[]): ValidationOutcome | null {
  const labeledIdx = verification.map((c, i) => (truth(c) !== null ? i : -1)).filter((i) => i >= 0);
  const ys = labeledIdx.map((i) => truth(verification[i])!);
  if (!ys.includes(0) || !ys.includes(1)) return null;
  const rows = labeledIdx.map((i, k) => ({ domain: verification[i].domain, y: ys[k] }));
  const figureOf = (all: number[]) => validationFigure(rows.map((r, k) => ({ ...r, score: all[labeledIdx[k]] })));
  const figures: { id: DetectorKind; label: string; figure: number | null; scores: number[] | null; error?: string }[] = candidates.map((c) => ({
    id: c.id,
    label: c.id,
    scores: c.scores,
    figure: c.scores ? figureOf(c.scores) : null,
    error: c.error,
  }));
  const singles = figures.filter((f) => f.figure !== null);
  if (singles.length === 0) return null;
  const pct = (v: number) => (100 * v).toFixed(1);
  const why = [
    `validated on ${ys.length} labeled verification clips (${ys.filter((y) => y === 0).length} normal, ${ys.filter((y) => y === 1).length} anomalous): ` +
      figures.map((f) => `${f.id} ${f.figure !== null ? pct(f.figure) : `n/a (${f.error ?? 'no figure'})`}`).join(', '),
  ];
  const nNormal = ys.filter((y) => y === 0).length;
  const nAnomaly = ys.length - nNormal;
  if (nNormal < MIN_VERIFICATION.normal || nAnomaly < MIN_VERIFICATION.anomaly) {
    why.push(`fewer labeled clips than the Form's minimum (${MIN_VERIFICATION.normal} normal + ${MIN_VERIFICATION.anomaly} anomalous): the choice below rests on thin evidence, see the intervals`);
  }
  // the rank-averaged ensemble of every member that scored, ranked as the shipped detector ranks
  const members = singles.filter((f) => new Set(f.scores).size >= 2);
  let ensemble: (typeof figures)[number] | null = null;
  if (members.length >= 2) {
    const scores = rankAverage(
      members.map((f) => new RankMap(f.scores!)),
      members.map((f) => f.scores!),
    );
    const fe = figureOf(scores);
    if (fe !== null) {
      ensemble = { id: ENSEMBLE, label: members.map((f) => f.id).join('+'), figure: fe, scores };
      why.push(`rank-averaged ensemble of ${ensemble.label}: ${pct(fe)}`);
    }
  }
  const pool = ensemble ? [...singles, ensemble] : singles;
  // stable sort: singles stay ahead of the ensemble on a tie
  const ranked = [...pool].sort((a, b) => b.figure! - a.figure!);
  const best = ranked[0];
  if (pool.length >= 2) {
    // candidates' scores in row order (the labeled clips)
    const ci = pairedBootstrap(rows, pool.map((f) => labeledIdx.map((i) => f.scores![i])));
    why.push(
      'bootstrap 95 % intervals over the labeled clips (200 paired resamples; share of resamples each comes first): ' +
        pool.map((f, k) => `${f.label} ${pct(ci[k].lower)}-${pct(ci[k].upper)} (${Math.round(100 * ci[k].wins)} %)`).join(', '),
    );
  }
  if (best.id === ENSEMBLE) {
    why.push(`ensemble ${best.label} chosen: its validation figure beats every single approach (best single ${ranked.find((f) => f.id !== ENSEMBLE)!.label} ${pct(ranked.find((f) => f.id !== ENSEMBLE)!.figure!)})`);
    return { approach: ENSEMBLE, members: members.map((f) => f.id as MemberId), why };
  }
  why.push(`${best.id} chosen: best validation figure`);
  return { approach: best.id, why };
}
