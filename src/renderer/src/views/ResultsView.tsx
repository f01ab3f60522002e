import { useMemo, useState } from 'react';
import { approachLabel, type JobInfo, type ProjectInfo, type RunDetail, type RunSummary } from '../../../shared/api';
import { officialScore, rocCurve } from '../../../shared/metrics';
import { hark } from '../client';
import { Plot } from '../components/Plot';
import { useCall, useEvent } from '../hooks';

const pct = (v: number | null | undefined) => (v === null || v === undefined ? '—' : (100 * v).toFixed(1));
const ci = (c: { lower: number; upper: number } | null | undefined) => (c ? ` [${pct(c.lower)}–${pct(c.upper)}]` : '');

/** The newest run per (approach, machine type, section). */
function latest(runs: RunSummary[]): RunSummary[] {
  const seen = new Set<string>();
  const out: RunSummary[] = [];
  for (const r of runs) {
    const k = `${approachLabel(r)}|${r.machineType}|${r.section}`;
    if (r.state !== 'done' || seen.has(k)) continue;
    seen.add(k);
    out.push(r);
  }
  return out;
}

export function ResultsView({ project, onInspect }: { project: ProjectInfo | null; onInspect: (clipId: number) => void }) {
  const runs = useCall('runs.list', project ? {} : null);
  const gate = useCall('gate.report', project ? {} : null);
  useEvent('runs.changed', () => {
    runs.reload();
    gate.reload();
  });
  useEvent('clips.changed', () => gate.reload());
  const [sel, setSel] = useState<number | null>(null);
  const current = useMemo(() => latest(runs.data ?? []), [runs.data]);
  const selected = sel ?? current[0]?.runId ?? null;
  const detail = useCall('runs.get', selected !== null ? { runId: selected } : null);

  if (!project) {
    return (
      <section className="view">
        <h1>Results</h1>
        <p className="muted">Open or create a project first (Project view).</p>
      </section>
    );
  }
  const approaches = [...new Set(current.map((r) => approachLabel(r)))].sort();
  const sections = [...new Set(current.map((r) => `${r.machineType}|${r.section}`))].sort();
  return (
    <section className="view results">
      <div className="row spread">
        <h1>Results</h1>
        <EvalLauncher />
      </div>
      {runs.error && <div className="banner error">{runs.error}</div>}
      {current.length === 0 ? (
        <p className="muted">No evaluation yet. Start one above: each section is fitted on its training normals and its test clips are scored.</p>
      ) : (
        <>
          <div className="card wide">
            <h2>Official score by approach</h2>
            <table className="grid compact" data-testid="score-table">
              <thead>
                <tr>
                  <th>Section</th>
                  {approaches.map((a) => (
                    <th key={a} colSpan={3}>
                      {a.startsWith('ensemble') ? `Ensemble ${a.slice('ensemble '.length)}` : `Approach ${a}`}
                    </th>
                  ))}
                </tr>
                <tr>
                  <th />
                  {approaches.map((a) => (
                    <FragmentHeads key={a} />
                  ))}
                </tr>
              </thead>
              <tbody>
                {sections.map((s) => {
                  const [mt, sec] = s.split('|');
                  return (
                    <tr key={s}>
                      <td>
                        {mt} <span className="muted">{sec}</span>
                      </td>
                      {approaches.map((a) => {
                        const r = current.find((x) => approachLabel(x) === a && x.machineType === mt && x.section === sec);
                        const f = r?.figures;
                        return (
                          <FragmentCells key={a} r={r} f={f} selected={r?.runId === selected} onPick={() => r && setSel(r.runId)} />
                        );
                      })}
                    </tr>
                  );
                })}
                <tr className="total">
                  <td>
                    <b>official (hmean)</b>
                  </td>
                  {approaches.map((a) => {
                    const figs = current.filter((r) => approachLabel(r) === a && r.figures).flatMap((r) => [r.figures!.aucSource, r.figures!.aucTarget, r.figures!.pauc]);
                    const ok = figs.length > 0 && figs.every((v) => v !== null);
                    return (
                      <td key={a} colSpan={3} data-testid={`official-${a}`}>
                        <b>{ok ? pct(officialScore(figs as number[])) : '—'}</b>
                      </td>
                    );
                  })}
                </tr>
              </tbody>
            </table>
          </div>
          {detail.data && <RunPlots d={detail.data} onInspect={onInspect} />}
        </>
      )}
      <GateCard gate={gate.data} error={gate.error} />
    </section>
  );
}

function FragmentHeads() {
  return (
    <>
      <th>AUC src</th>
      <th>AUC tgt</th>
      <th>pAUC</th>
    </>
  );
}

function FragmentCells({ r, f, selected, onPick }: { r?: RunSummary; f?: RunSummary['figures']; selected: boolean; onPick: () => void }) {
  const cls = `pick${selected ? ' selected' : ''}`;
  if (!r) return <td colSpan={3} className="muted">not run</td>;
  return (
    <>
      <td className={cls} onClick={onPick} title={`run ${r.runId}${ci(f?.ci?.aucSource)}`}>
        {pct(f?.aucSource)}
      </td>
      <td className={cls} onClick={onPick} title={`run ${r.runId}${ci(f?.ci?.aucTarget)}`}>
        {pct(f?.aucTarget)}
      </td>
      <td className={cls} onClick={onPick} title={`run ${r.runId}${ci(f?.ci?.pauc)}`}>
        {pct(f?.pauc)}
      </td>
    </>
  );
}

function RunPlots({ d, onInspect }: { d: RunDetail; onInspect: (clipId: number) => void }) {
  const known = d.clips.filter((c) => c.label !== null);
  const roc = useMemo(() => {
    const traces: unknown[] = [];
    for (const dom of ['source', 'target'] as const) {
      const sub = known.filter((c) => c.domain === dom || c.label === 'anomaly');
      if (!sub.some((c) => c.label === 'normal') || !sub.some((c) => c.label === 'anomaly')) continue;
      const r = rocCurve(
        sub.map((c) => (c.label === 'anomaly' ? 1 : 0)),
        sub.map((c) => c.score),
      );
      // each ROC point is a threshold at some clip's score: clicking opens that clip
      const byScore = new Map(sub.map((c) => [c.score, c.clipId]));
      traces.push({
        x: Array.from(r.fpr),
        y: Array.from(r.tpr),
        customdata: Array.from(r.thresholds, (t) => byScore.get(t) ?? null),
        type: 'scatter',
        mode: 'lines+markers',
        marker: { size: 5 },
        line: { shape: 'linear', width: 2, color: dom === 'source' ? '#4fb3ff' : '#ff8c69' },
        name: `${dom} (AUC ${pct(dom === 'source' ? d.figures?.aucSource : d.figures?.aucTarget)})`,
        hovertemplate: 'FPR %{x:.3f}<br>TPR %{y:.3f}<extra>' + dom + '</extra>',
      });
    }
    return traces;
  }, [d]);
  const hist = useMemo(() => {
    const n = known.filter((c) => c.label === 'normal');
    const a = known.filter((c) => c.label === 'anomaly');
    const unk = d.clips.filter((c) => c.label === null);
    const strip = (cs: typeof d.clips, y: number, name: string, color: string) => ({
      x: cs.map((c) => c.score),
      y: cs.map((c, i) => y + ((((c.clipId * 2654435761) >>> 0) % 1000) / 1000 - 0.5) * 0.5 + 0 * i),
      customdata: cs.map((c) => c.clipId),
      text: cs.map((c) => c.name),
      type: 'scatter',
      mode: 'markers',
      marker: { size: 6, color, opacity: 0.8 },
      name,
      yaxis: 'y2',
      hovertemplate: '%{text}<br>score %{x:.4g}<extra></extra>',
    });
    return [
      { x: n.map((c) => c.score), type: 'histogram', name: 'normal', marker: { color: '#4fb3ff' }, opacity: 0.6, nbinsx: 30 },
      { x: a.map((c) => c.score), type: 'histogram', name: 'anomalous', marker: { color: '#ff6b6b' }, opacity: 0.6, nbinsx: 30 },
      strip(n, 0, 'normal clips', '#4fb3ff'),
      strip(a, 1, 'anomalous clips', '#ff6b6b'),
      ...(unk.length ? [strip(unk, 0.5, 'unlabelled', '#aaaaaa')] : []),
    ];
  }, [d]);
  return (
    <div className="card wide" data-testid="run-plots">
      <h2>
        {d.machineType} section {d.section} — {approachLabel(d)} (run {d.runId})
      </h2>
      <ul className="why muted small-text" data-testid="run-why">
        {d.why.map((w, i) => (
          <li key={i}>{w}</li>
        ))}
      </ul>
      <div className="plots">
        <Plot
          testId="roc-plot"
          data={roc}
          onClick={(id) => typeof id === 'number' && onInspect(id)}
          layout={{
            title: { text: 'ROC (shaded: pAUC region, FPR ≤ 0.1)', font: { size: 12 } },
            xaxis: { title: { text: 'false positive rate' }, range: [0, 1] },
            yaxis: { title: { text: 'true positive rate' }, range: [0, 1.02] },
            shapes: [
              { type: 'rect', x0: 0, x1: 0.1, y0: 0, y1: 1, fillcolor: 'rgba(242,193,78,0.18)', line: { width: 0 }, layer: 'below' },
              { type: 'line', x0: 0, y0: 0, x1: 1, y1: 1, line: { dash: 'dot', color: '#666', width: 1 } },
            ],
          }}
        />
        <Plot
          testId="hist-plot"
          data={hist}
          onClick={(id) => typeof id === 'number' && onInspect(id)}
          layout={{
            title: { text: `Scores (pAUC ${pct(d.figures?.pauc)}); dashed: threshold`, font: { size: 12 } },
            barmode: 'overlay',
            xaxis: { title: { text: 'anomaly score' } },
            yaxis: { title: { text: 'clips' }, domain: [0, 0.62] },
            yaxis2: { domain: [0.7, 1], showticklabels: false, gridcolor: '#2b3340', range: [-0.5, 1.5] },
            shapes:
              d.threshold !== null
                ? [{ type: 'line', x0: d.threshold, x1: d.threshold, y0: 0, y1: 1, yref: 'paper', line: { dash: 'dash', color: '#f2c14e', width: 2 } }]
                : [],
          }}
        />
      </div>
      <p className="muted small-text">
        Threshold {d.threshold?.toPrecision(4) ?? '—'}: {d.thresholdMethod}. Click a point to open the clip in the Inspector.
      </p>
    </div>
  );
}

function GateCard({ gate, error }: { gate: import('../../../shared/api').GateReport | null; error: string | null }) {
  return (
    <div className="card wide" data-testid="gate-card">
      <h2>KPI gate {gate ? `(AUC ≥ ${gate.thresholds.auc}, pAUC ≥ ${gate.thresholds.pauc})` : ''}</h2>
      {error && <div className="banner error">{error}</div>}
      {gate && gate.cells.length === 0 && <p className="muted">No evaluated sections yet: the gate is unproven until labeled clips are scored.</p>}
      {gate && gate.cells.length > 0 && (
        <table className="grid compact">
          <thead>
            <tr>
              <th>Section</th>
              <th>Domain</th>
              <th>Status</th>
              <th>AUC</th>
              <th>pAUC</th>
              <th>Labels</th>
              <th>What to do</th>
            </tr>
          </thead>
          <tbody>
            {gate.cells.map((c) => (
              <tr key={`${c.machineType}${c.section}${c.domain}`}>
                <td>
                  {c.machineType} <span className="muted">{c.section}</span>
                </td>
                <td>{c.domain}</td>
                <td>
                  <span className={`gate ${c.status}`}>{c.status}</span>
                  {c.fragile && <span className="tag warn" title="a lower interval bound is below its threshold">fragile</span>}
                </td>
                <td>
                  {pct(c.auc)}
                  <span className="muted small-text">{ci(c.aucCi)}</span>
                </td>
                <td>
                  {pct(c.pauc)}
                  <span className="muted small-text">{ci(c.paucCi)}</span>
                </td>
                <td>
                  {c.labeled.normal} / {c.labeled.anomaly}
                </td>
                <td className="small-text wrap">{[...c.reasons, ...c.advice].join(' · ')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

function EvalLauncher() {
  const [approach, setApproach] = useState<'A' | 'B' | 'C' | 'auto' | 'ensemble'>('auto');
  const [protocol, setProtocol] = useState<'standard' | 'fewshot-from-test'>('standard');
  const [job, setJob] = useState<JobInfo | null>(null);
  const [err, setErr] = useState<string | null>(null);
  useEvent('job.updated', (j) => job && j.id === job.id && setJob(j));
  return (
    <div className="row launcher">
      <select value={approach} onChange={(e) => setApproach(e.target.value as typeof approach)} aria-label="approach" data-testid="eval-approach">
        <option value="auto">auto (routing)</option>
        <option value="A">A: patch memory</option>
        <option value="B">B: GenRep banks</option>
        <option value="C">C: meta-learning</option>
        <option value="ensemble">ensemble: rank average (needs verification clips)</option>
      </select>
      <select value={protocol} onChange={(e) => setProtocol(e.target.value as typeof protocol)} aria-label="protocol">
        <option value="standard">train split as training</option>
        <option value="fewshot-from-test">few-shot from test</option>
      </select>
      <button
        data-testid="eval-start"
        disabled={job?.state === 'running'}
        onClick={() => {
          setErr(null);
          hark.call('eval.start', { approach, protocol }).then(setJob, (e: unknown) => setErr(e instanceof Error ? e.message : String(e)));
        }}
      >
        Evaluate
      </button>
      {job && (
        <span className="muted small-text job-status" data-testid="eval-job">
          {job.state === 'running' ? `${job.stage} ${job.done}/${job.total}` : job.state === 'failed' ? `failed: ${job.error}` : job.state}
        </span>
      )}
      {err && <span className="bad-text small-text">{err}</span>}
    </div>
  );
}
