import { useState } from 'react';
import type { JobInfo } from '../../../shared/api';
import { hark } from '../client';
import { useEvent } from '../hooks';

export function formatEta(s: number | null): string {
  if (s === null) return '';
  if (s < 1) return '<1 s left';
  if (s < 90) return `${Math.round(s)} s left`;
  return `${Math.round(s / 60)} min left`;
}

export function JobsPanel() {
  const [jobs, setJobs] = useState<Map<string, JobInfo>>(new Map());
  useEvent('job.updated', (j) => setJobs((m) => new Map(m).set(j.id, j)));
  const list = [...jobs.values()].sort((a, b) => b.startedAt.localeCompare(a.startedAt)).slice(0, 6);
  return (
    <footer className="jobs" aria-label="jobs" data-testid="jobs">
      <span className="jobs-title">Jobs</span>
      {list.length === 0 && <span className="muted">no jobs yet</span>}
      {list.map((j) => {
        const pct = j.total > 0 ? Math.min(100, (100 * j.done) / j.total) : j.state === 'done' ? 100 : 0;
        return (
          <div key={j.id} className={`job ${j.state}`} title={j.error ?? j.stage}>
            <span className="job-title">{j.title}</span>
            <span className="bar">
              <span style={{ width: `${pct}%` }} />
            </span>
            <span className="job-stage">{j.state === 'running' ? `${j.stage} ${j.done}/${j.total} ${formatEta(j.etaS)}` : j.state === 'failed' ? `failed: ${j.error}` : j.state}</span>
            {j.state === 'running' && (
              <button className="small" onClick={() => void hark.call('jobs.cancel', { jobId: j.id })}>
                Cancel
              </button>
            )}
          </div>
        );
      })}
    </footer>
  );
}
