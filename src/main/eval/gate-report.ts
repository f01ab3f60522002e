// The KPI gate of a project: per machine type, section and domain, from each section's newest run
// and the labels as they are now (an engineer's verdict wins over the package's label; unsure is left out).
import type { GateReport as ApiGateReport, RunSummary } from '../../shared/api';
import type { Domain } from '../../shared/domain';
import { evaluateGate, type FormSupply, type GateCellInput } from '../../shared/gate';
import { bootstrapCi, domainAucs } from '../../shared/metrics';
import { formReport } from '../data/form/form-check';
import type { Store } from '../store/store';

export function gateForSections(store: Store, runs: RunSummary[], thresholds: { auc: number; pauc: number }): ApiGateReport {
  const inputs: GateCellInput[] = [];
  const runOf = new Map<string, RunSummary>();
  for (const run of runs) {
    const byId = new Map(store.clips.scoredInRun(run.runId).map((c) => [c.id, c]));
    const clips = store.results
      .scores(run.runId)
      .map((s) => {
        const c = byId.get(s.clipId);
        const truth = c?.verdict && c.verdict !== 'unsure' ? c.verdict : c?.verdict === 'unsure' ? null : (c?.label ?? null);
        return { score: s.score, domain: (c?.domain ?? null) as Domain | null, label: truth };
      })
      .filter((c) => c.label !== null);
    const y = clips.map((c) => (c.label === 'anomaly' ? 1 : 0) as 0 | 1);
    const hasBoth = y.includes(0) && y.includes(1);
    const m = hasBoth ? domainAucs(clips.map((c, i) => ({ domain: c.domain, label: y[i], score: c.score }))) : null;
    for (const domain of ['source', 'target'] as const) {
      const sub = clips.filter((c) => c.domain === domain || c.label === 'anomaly');
      const normalCount = sub.filter((c) => c.label === 'normal').length;
      const anomalyCount = sub.filter((c) => c.label === 'anomaly').length;
      const auc = domain === 'source' ? m?.aucSource : m?.aucTarget;
      const pauc = domain === 'source' ? m?.paucSource : m?.paucTarget;
      const yy = sub.map((c) => (c.label === 'anomaly' ? 1 : 0));
      const ss = sub.map((c) => c.score);
      const est = (v: number | null | undefined, metric: 'auc' | 'pauc') => {
        if (v === null || v === undefined) return null;
        const ci = bootstrapCi(yy, ss, metric, { n: 1000, seed: run.runId });
        return { value: v, lower: ci.lower, upper: ci.upper };
      };
      inputs.push({ machineType: run.machineType, section: run.section, domain, auc: est(auc, 'auc'), pauc: est(pauc, 'pauc'), normalCount, anomalyCount });
      runOf.set(`${run.machineType}\u0000${run.section}`, run);
    }
  }
  const form: FormSupply[] = formReport(store).sections.map((s) => ({ machineType: s.machineType, section: s.section, items: s.items }));
  const rep = evaluateGate(inputs, { thresholds, form });
  return {
    thresholds: { auc: rep.thresholds.auc, pauc: rep.thresholds.pauc },
    cells: rep.cells.map((c) => {
      const run = runOf.get(`${c.machineType}\u0000${c.section}`)!;
      return {
        machineType: c.machineType,
        section: c.section,
        domain: c.domain,
        runId: run.runId,
        approach: run.approach,
        status: c.status,
        fragile: c.fragile,
        auc: c.auc.value,
        pauc: c.pauc.value,
        aucCi: c.auc.lower !== null && c.auc.upper !== null ? { lower: c.auc.lower, upper: c.auc.upper } : null,
        paucCi: c.pauc.lower !== null && c.pauc.upper !== null ? { lower: c.pauc.lower, upper: c.pauc.upper } : null,
        labeled: { normal: c.normalCount, anomaly: c.anomalyCount },
        reasons: c.reasons,
        advice: c.advice,
      };
    }),
  };
}
