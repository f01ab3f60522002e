import { useState } from 'react';
import { approachLabel, type JobInfo, type ProjectInfo } from '../../../shared/api';
import { hark } from '../client';
import { formatEta } from '../components/JobsPanel';
import { Plot } from '../components/Plot';
import { useCall, useEvent } from '../hooks';

export function ModelsView({ project }: { project: ProjectInfo | null }) {
  const models = useCall('models.list', project ? {} : null);
  const jobsInit = useCall('jobs.list', {});
  const [jobs, setJobs] = useState<Map<string, JobInfo>>(new Map());
  useEvent('job.updated', (j) => setJobs((m) => new Map(m).set(j.id, j)));
  useEvent('runs.changed', () => models.reload());
  const all = new Map<string, JobInfo>();
  for (const j of jobsInit.data ?? []) all.set(j.id, j);
  for (const [k, j] of jobs) all.set(k, j);
  const list = [...all.values()].sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  return (
    <section className="view">
      <h1>Models and jobs</h1>
      <div className="card wide" data-testid="jobs-list">
        <h2>Jobs</h2>
        {list.length === 0 && <p className="muted">No jobs in this session.</p>}
        {list.map((j) => (
          <div key={j.id} className={`job-row ${j.state}`}>
            <div className="row">
              <b>{j.title}</b>
              <span className="muted">{j.state}</span>
              <span className="bar wide">
                <span style={{ width: `${j.total ? (100 * j.done) / j.total : j.state === 'done' ? 100 : 0}%` }} />
              </span>
              <span className="muted small-text">
                {j.stage} {j.total ? `${j.done}/${j.total}` : ''} {j.state === 'running' ? formatEta(j.etaS) : ''}
              </span>
              {j.state === 'running' && (
                <button className="small" onClick={() => void hark.call('jobs.cancel', { jobId: j.id })}>
                  Cancel
                </button>
              )}
            </div>
            {j.error && <div className="banner error small-text">{j.error}</div>}
            {j.series?.loss && j.series.loss.length > 1 && (
              <Plot
                testId="loss-curve"
                height={200}
                data={[{ y: j.series.loss, type: 'scatter', mode: 'lines', line: { color: '#4fb3ff' }, name: 'episode loss' }]}
                layout={{ title: { text: 'C: meta-training loss', font: { size: 12 } }, xaxis: { title: { text: 'report (every few episodes)' } }, yaxis: { title: { text: 'loss' } } }}
              />
            )}
          </div>
        ))}
      </div>
      {project && <SettingsCard />}
      {project && (
        <div className="card wide" data-testid="encoders">
          <h2>Encoders</h2>
          {models.error && <div className="banner error">{models.error}</div>}
          <table className="grid compact encoders">
            <thead>
              <tr>
                <th>Encoder</th>
                <th>Kind</th>
                <th>Output</th>
                <th>Licence</th>
                <th>Provenance</th>
              </tr>
            </thead>
            <tbody>
              {models.data?.encoders.map((e) => (
                <tr key={e.id}>
                  <td>
                    <b>{e.id}</b> <span className="muted">v{e.version}</span>
                    <div className="muted small-text">{e.title}</div>
                    {!e.installed && <span className="tag warn">not installed</span>}
                  </td>
                  <td>{e.kind}</td>
                  <td className="small-text wrap">
                    {e.grid ? `${e.grid.freq}×${e.grid.time} tokens × ${e.dim}, layers ${e.layers.join(', ')}` : e.dim ? `${e.dim}-dim` : ''}
                  </td>
                  <td className="small-text wrap">
                    {e.licence} {e.licenceRestricted && <span className="tag warn">restricted</span>}
                  </td>
                  <td className="small-text mono wrap">{Object.entries(e.provenance).map(([k, v]) => `${k}: ${provenanceValue(v)}`).join('; ')}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <h2 className="spaced">Fitted detectors</h2>
          {models.data && models.data.detectors.length === 0 && <p className="muted">None yet.</p>}
          <ul className="recent">
            {models.data?.detectors.slice(0, 30).map((d) => (
              <li key={d.id}>
                <b>#{d.id}</b> {d.members ? approachLabel(d) : `approach ${d.approach}`} · {d.machineType} section {d.section} <span className="muted">{d.createdAt}</span>
              </li>
            ))}
          </ul>
          {models.data && models.data.cache.length > 0 && (
            <div className="row small-text" data-testid="cache">
              <span className="muted">Embedding cache:</span>
              {models.data.cache.map((c) => (
                <span key={c.encoderId} className="row">
                  {c.encoderId} {c.entries} entries ({(c.bytes / 1e6).toFixed(1)} MB)
                  <button className="small secondary" onClick={() => void hark.call('models.clearCache', { encoderId: c.encoderId }).then(models.reload)}>
                    Clear
                  </button>
                </span>
              ))}
            </div>
          )}
        </div>
      )}
    </section>
  );
}

function SettingsCard() {
  const settings = useCall('settings.get', {});
  const [err, setErr] = useState<string | null>(null);
  const save = (req: { allowRestrictedModels?: boolean; gate?: { auc: number; pauc: number } }) => {
    setErr(null);
    hark.call('settings.set', req).then(settings.reload, (e: unknown) => setErr(e instanceof Error ? e.message : String(e)));
  };
  const s = settings.data;
  if (!s) return null;
  return (
    <div className="card wide" data-testid="settings">
      <h2>Project settings</h2>
      <label className="row">
        <input type="checkbox" checked={s.allowRestrictedModels} onChange={(e) => save({ allowRestrictedModels: e.target.checked })} data-testid="allow-restricted" />
        Use licence-restricted models (oww_speech: upstream weights are non-commercial). Off: approach A falls back to fbank_patch.
      </label>
      <div className="row spaced">
        KPI gate: AUC ≥
        <input type="number" min={0.5} max={1} step={0.01} defaultValue={s.gate.auc} onBlur={(e) => save({ gate: { ...s.gate, auc: Number(e.target.value) } })} style={{ width: 80 }} aria-label="gate AUC" />
        pAUC ≥
        <input type="number" min={0.5} max={1} step={0.01} defaultValue={s.gate.pauc} onBlur={(e) => save({ gate: { ...s.gate, pauc: Number(e.target.value) } })} style={{ width: 80 }} aria-label="gate pAUC" />
      </div>
      {err && <div className="banner error">{err}</div>}
    </div>
  );
}

/** A provenance value as text: nested records as 'key value' pairs, sha256 digests shortened. */
function provenanceValue(v: unknown): string {
  if (Array.isArray(v)) return v.map(provenanceValue).join(', ');
  if (v && typeof v === 'object') return Object.entries(v).map(([k, x]) => `${k} ${provenanceValue(x)}`).join(', ');
  const s = String(v);
  return /^[0-9a-f]{64}$/.test(s) ? `${s.slice(0, 12)}…` : s;
}
