// Read-side of evaluation for the workbench: runs, their clips, anomaly maps, models, the KPI gate.
import type { ClipAnomaly, GateReport, ModelsInfo, RunDetail, RunFigures, RunSummary } from '../../shared/api';
import { HarkError } from '../../shared/rpc';
import { loadModelRegistry, summarise } from '../encoders';
import type { RunRow } from '../store/results-repo';
import type { Store } from '../store/store';
import type { SectionResult } from './evaluate';
import { gateForSections } from './gate-report';

type StoredReport = Omit<SectionResult, 'scores'>;

function summary(run: RunRow): RunSummary | null {
  const rep = run.report as StoredReport | null;
  const params = run.params as { machineType?: string; section?: string; protocol?: string };
  if (!params.machineType) return null;
  const m = rep?.metrics ?? null;
  const figures: RunFigures | null = m
    ? { aucSource: m.aucSource, aucTarget: m.aucTarget, pauc: m.pauc, ci: { aucSource: m.ci.aucSource, aucTarget: m.ci.aucTarget, pauc: m.ci.pauc } }
    : null;
  return {
    runId: run.id,
    approach: run.approach,
    ...(rep?.members?.length ? { members: rep.members } : {}),
    machineType: params.machineType,
    section: params.section ?? '00',
    state: run.state,
    startedAt: run.startedAt,
    figures,
    threshold: rep?.threshold?.value ?? null,
    protocol: params.protocol ?? 'standard',
  };
}

export function listRuns(store: Store): RunSummary[] {
  return store.results
    .runs('eval')
    .map(summary)
    .filter((r): r is RunSummary => r !== null);
}

export function runDetail(store: Store, runId: number): RunDetail {
  const run = store.results.run(runId);
  const sum = run && summary(run);
  if (!run || !sum) throw new HarkError('not_found', `no evaluation run ${runId}`, 'runId');
  const rep = run.report as StoredReport | null;
  const byId = new Map(store.clips.scoredInRun(runId).map((c) => [c.id, c]));
  const clips = store.results.scores(runId).map((s) => {
    const c = byId.get(s.clipId);
    return { clipId: s.clipId, name: c?.name ?? `#${s.clipId}`, score: s.score, domain: c?.domain ?? null, label: c?.label ?? null, verdict: c?.verdict ?? null };
  });
  return { ...sum, why: rep?.why ?? [], config: rep?.config ?? {}, thresholdMethod: rep?.threshold?.method ?? '', clips };
}

export function clipAnomaly(store: Store, clipId: number, runId?: number): ClipAnomaly | null {
  const clip = store.clips.get(clipId);
  if (!clip) throw new HarkError('not_found', `no clip ${clipId}`, 'clipId');
  const rid = runId ?? store.results.latestMapRun(clipId);
  if (rid === null) return null;
  const map = store.results.map(rid, clipId);
  if (!map) return null;
  const run = store.results.run(rid)!;
  const scores = store.results.scores(rid);
  const own = scores.find((s) => s.clipId === clipId);
  const normals: number[] = [];
  const anomalies: number[] = [];
  const byId = new Map(store.clips.scoredInRun(rid).map((c) => [c.id, c]));
  for (const s of scores) {
    const c = byId.get(s.clipId);
    const verdict = c?.verdict ?? c?.label;
    if (verdict === 'normal') normals.push(s.score);
    else if (verdict === 'anomaly') anomalies.push(s.score);
  }
  return {
    runId: rid,
    approach: run.approach ?? '',
    clipId,
    score: own?.score ?? null,
    geometry: map.geometry as unknown as ClipAnomaly['geometry'],
    values: map.values,
    perLayer: map.perLayer,
    threshold: (run.report as StoredReport | null)?.threshold?.value ?? null,
    sectionNormalScores: Float64Array.from(normals),
    sectionAnomalyScores: Float64Array.from(anomalies),
    parts: own?.parts ?? null,
  };
}

export function gateReport(store: Store, req: { runIds?: number[]; aucMin?: number; paucMin?: number }): GateReport {
  const saved = store.project.getJson<{ auc: number; pauc: number }>('gate_thresholds', { auc: 0.95, pauc: 0.9 });
  const thresholds = { auc: req.aucMin ?? saved.auc, pauc: req.paucMin ?? saved.pauc };
  // newest run per section unless runs are named
  const runs = listRuns(store).filter((r) => r.state === 'done');
  const chosen = new Map<string, RunSummary>();
  for (const r of runs) {
    if (req.runIds && !req.runIds.includes(r.runId)) continue;
    const key = `${r.machineType}\u0000${r.section}`;
    if (!chosen.has(key)) chosen.set(key, r);
  }
  const report = gateForSections(store, [...chosen.values()], thresholds);
  // saved only once the gate accepted them: a bad threshold must not break every later report
  if (req.aucMin !== undefined || req.paucMin !== undefined) store.project.setJson('gate_thresholds', thresholds);
  return report;
}

export async function modelsInfo(store: Store): Promise<ModelsInfo> {
  // read the store before the first await: the project may be switched (and this store closed) meanwhile
  const detectors = store.results.detectors().map((d) => {
    const members = (d.config as { members?: unknown } | null)?.members;
    return { id: d.id, approach: d.approach, ...(Array.isArray(members) ? { members: members.map(String) } : {}), machineType: d.machineType, section: d.section, createdAt: d.createdAt };
  });
  const cache = store.embeddings.stats().map((c) => ({ encoderId: c.encoderId, entries: c.entries, bytes: c.bytes }));
  let encoders: ModelsInfo['encoders'] = [];
  try {
    const reg = await loadModelRegistry();
    encoders = reg.list().map((r) => {
      const e = summarise(r);
      return {
        id: e.id,
        version: e.version,
        title: e.title,
        kind: e.kind,
        installed: e.installed,
        licence: e.licence,
        licenceRestricted: e.licenceRestricted,
        provenance: r.entry.provenance as Record<string, unknown>,
        layers: e.layers,
        dim: r.entry.patches?.dim ?? null,
        grid: e.grid ?? null,
      };
    });
  } catch (e) {
    throw new HarkError('internal', `cannot read models/manifest.json: ${(e as Error).message}`);
  }
  return { encoders, detectors, cache };
}
