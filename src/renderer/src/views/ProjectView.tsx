import { useState } from 'react';
import type { JobInfo, ProjectInfo } from '../../../shared/api';
import { hark } from '../client';
import { ImportCard } from '../components/ImportCard';
import { useCall, useEvent } from '../hooks';

function DemoCard() {
  const [job, setJob] = useState<JobInfo | null>(null);
  const [err, setErr] = useState<string | null>(null);
  useEvent('job.updated', (j) => job && j.id === job.id && setJob(j));
  return (
    <div className="card" data-testid="demo-card">
      <h2>Demo project</h2>
      <p className="muted">
        A small synthetic package (fan, bearing, valve; target and source domains, site noise, metadata, labeled test clips), imported, checked against the Form, and evaluated with A, B and C. Takes a minute or two.
      </p>
      <div className="row">
        <button
          data-testid="demo-build"
          disabled={job?.state === 'running'}
          onClick={() => {
            setErr(null);
            hark.call('project.demo', {}).then(setJob, (e: unknown) => setErr(e instanceof Error ? e.message : String(e)));
          }}
        >
          Build and open the demo project
        </button>
        {job && <span className="muted small-text">{job.state === 'running' ? `${job.stage} ${job.done}/${job.total}` : job.state === 'failed' ? `failed: ${job.error}` : job.state}</span>}
        {err && <span className="bad-text">{err}</span>}
      </div>
    </div>
  );
}

export function ProjectView({ project }: { project: ProjectInfo | null }) {
  const recent = useCall('project.recent', {});
  const [path, setPath] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const act = async (kind: 'create' | 'open', p: string) => {
    setBusy(true);
    setError(null);
    try {
      await hark.call(kind === 'create' ? 'project.create' : 'project.open', { path: p });
      recent.reload();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="view">
      <h1>Project</h1>
      {project ? (
        <div className="card" data-testid="project-card">
          <h2>{project.name}</h2>
          <dl className="facts">
            <dt>Folder</dt>
            <dd className="mono">{project.path}</dd>
            <dt>Clips</dt>
            <dd>{project.clipCount.toLocaleString()}</dd>
            <dt>Machine types</dt>
            <dd>{project.machineTypes.length ? project.machineTypes.join(', ') : '—'}</dd>
            <dt>Store schema</dt>
            <dd>v{project.schemaVersion}</dd>
          </dl>
        </div>
      ) : (
        <p className="muted">No project is open. A project is a folder holding project.sqlite; audio stays where it is and is referenced by path and content hash.</p>
      )}
      <ImportCard disabled={!project} />
      <DemoCard />
      <div className="card">
        <h2>Create or open</h2>
        <form
          className="row"
          onSubmit={(e) => {
            e.preventDefault();
            void act('open', path);
          }}
        >
          <input className="grow mono" placeholder="/path/to/project-folder" value={path} onChange={(e) => setPath(e.target.value)} aria-label="project folder" data-testid="project-path" />
          <button type="submit" disabled={busy} data-testid="project-open">
            Open
          </button>
          <button type="button" disabled={busy} onClick={() => void act('create', path)} data-testid="project-create">
            Create
          </button>
        </form>
        {error && (
          <div className="banner error" role="alert" data-testid="project-error">
            {error}
          </div>
        )}
      </div>
      <div className="card">
        <h2>Recent projects</h2>
        {recent.data && recent.data.length > 0 ? (
          <ul className="recent">
            {recent.data.map((r) => (
              <li key={r.path}>
                <button className="link" disabled={!r.exists || busy} onClick={() => void act('open', r.path)}>
                  {r.name}
                </button>
                <span className="mono muted">{r.path}</span>
                {!r.exists && <span className="tag warn">missing</span>}
              </li>
            ))}
          </ul>
        ) : (
          <p className="muted">None yet.</p>
        )}
      </div>
    </section>
  );
}
