// DCASE figures of one scored section, with bootstrap intervals, where ground truth is known.
import type { Domain } from '../../shared/domain';
import { bootstrapCi, domainAucs, type BootstrapInterval, type SectionMetrics as DomainMetrics } from '../../shared/metrics';

export interface SectionMetrics extends DomainMetrics {
  ci: { aucSource: BootstrapInterval | null; aucTarget: BootstrapInterval | null; pauc: BootstrapInterval | null };
}

interface Scored {
  score: number;
  domain: Domain | null;
  label: 'normal' | 'anomaly' | null;
}

/** Null when no clip has a known label of both classes (evaluation sets, plant data). */
export function sectionMetrics(scores: readonly Scored[], seed = 0): SectionMetrics | null {
  const known = scores.filter((s) => s.label !== null);
  const y = known.map((s) => (s.label === 'anomaly' ? 1 : 0) as 0 | 1);
  if (!y.includes(0) || !y.includes(1)) return null;
  const m = domainAucs(known.map((s, i) => ({ domain: s.domain, label: y[i], score: s.score })));
  const ci = (d: Domain | null, metric: 'auc' | 'pauc'): BootstrapInterval | null => {
    const sub = known.filter((s) => d === null || s.domain === d || s.label === 'anomaly');
    const yy = sub.map((s) => (s.label === 'anomaly' ? 1 : 0));
    if (!yy.includes(0) || !yy.includes(1)) return null;
    return bootstrapCi(yy, sub.map((s) => s.score), metric, { n: 1000, seed });
  };
  return {
    ...m,
    ci: {
      aucSource: m.aucSource === null ? null : ci('source', 'auc'),
      aucTarget: m.aucTarget === null ? null : ci('target', 'auc'),
      pauc: m.pauc === null ? null : ci(null, 'pauc'),
    },
  };
}
