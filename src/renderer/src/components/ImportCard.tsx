import { useState } from 'react';
import type { ImportResult, JobInfo } from '../../../shared/api';
import { hark } from '../client';
import { useEvent } from '../hooks';
import { formatEta } from './JobsPanel';

export function ImportCard({ disabled }: { disabled: boolean }) {
  const [kind, setKind] = useState<'dcase' | 'manifest'>('dcase');
  const [path, setPath] = useState('');
  const [job, setJob] = useState<JobInfo | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEvent('job.updated', (j) => {
    if (job && j.id === job.id) setJob(j);
  });
  const start = async () => {
    setError(null);
    try {
      setJob(await hark.call('import.start', { kind, path }));
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  const running = job?.state === 'running';
  const result = job?.state === 'done' || job?.state === 'cancelled' ? (job.result as ImportResult | undefined) : undefined;
  const pct = job && job.total ? Math.round((100 * job.done) / job.total) : 0;
  return (
    <div className="card" data-testid="import-card">
      <h2>Import a data package</h2>
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault();
          void start();
        }}
      >
        <select value={kind} onChange={(e) => setKind(e.target.value as 'dcase' | 'manifest')} aria-label="package layout" data-testid="import-kind">
          <option value="dcase">DCASE folder</option>
          <option value="manifest">CSV manifest</option>
        </select>
        <input className="grow mono" value={path} onChange={(e) => setPath(e.target.value)} placeholder={kind === 'dcase' ? '/data/package (holding <machine>/train, test, supplemental)' : '/data/package/manifest.csv'} aria-label="package path" data-testid="import-path" />
        <button type="submit" disabled={disabled || running || !path.trim()} data-testid="import-start">
          Import
        </button>
      </form>
      <p className="muted small-text">
        Audio stays where it is; Hark stores each file's path and content hash. Other rates and channel counts are converted to 16 kHz mono; long recordings are sliced into 10 s clips.
      </p>
      {error && (
        <div className="banner error" role="alert" data-testid="import-error">
          {error}
        </div>
      )}
      {job && (
        <div className="import-progress" data-testid="import-progress">
          <div className="row">
            <span className="bar wide">
              <span style={{ width: `${job.state === 'done' ? 100 : pct}%` }} />
            </span>
            <span className="muted">
              {job.state === 'running' ? `${job.done} / ${job.total} files ${formatEta(job.etaS)}` : job.state === 'failed' ? `failed: ${job.error}` : job.state}
            </span>
            {running && (
              <button type="button" className="small" onClick={() => void hark.call('jobs.cancel', { jobId: job.id })}>
                Cancel
              </button>
            )}
          </div>
          {result && (
            <div data-testid="import-result">
              <p>
                {result.imported} file(s) imported ({result.clipsAdded} clips), {result.unchanged} unchanged{result.metadataUpdated ? ` (${result.metadataUpdated} with corrected role/domain/split/label)` : ''}, {result.failed} failed
                {result.cancelled ? ' — cancelled; every finished batch is kept' : ''}.
              </p>
              {result.problems.length > 0 && (
                <ul className="problems">
                  {result.problems.slice(0, 20).map((p, i) => (
                    <li key={i} className={p.level}>
                      <span className="tag">{p.level}</span> {p.message.includes(p.path) ? p.message : `${p.path}: ${p.message}`}
                    </li>
                  ))}
                  {result.problems.length > 20 && <li className="muted">… {result.problems.length - 20} more in the import log</li>}
                </ul>
              )}
            </div>
          )}
        </div>
      )}
    </div>
  );
}
