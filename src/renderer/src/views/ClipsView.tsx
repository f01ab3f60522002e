import type { ProjectInfo } from '../../../shared/api';
import { useCall, useEvent } from '../hooks';

export function ClipsView({ project }: { project: ProjectInfo | null }) {
  const page = useCall('clips.list', project ? { limit: 200 } : null);
  useEvent('clips.changed', () => page.reload());
  if (!project) {
    return (
      <section className="view">
        <h1>Clips</h1>
        <p className="muted">Open or create a project first (Project view).</p>
      </section>
    );
  }
  return (
    <section className="view">
      <h1>Clips</h1>
      {page.error && <div className="banner error">{page.error}</div>}
      <p className="muted">{page.data ? `${page.data.total.toLocaleString()} clips` : 'loading…'}</p>
      <table className="grid">
        <thead>
          <tr>
            <th>Name</th>
            <th>Machine</th>
            <th>Section</th>
            <th>Domain</th>
            <th>Split</th>
            <th>Label</th>
            <th>Role</th>
            <th>Verdict</th>
          </tr>
        </thead>
        <tbody>
          {page.data?.rows.map((c) => (
            <tr key={c.id}>
              <td className="mono">{c.name}</td>
              <td>{c.machineType}</td>
              <td>{c.section}</td>
              <td>{c.domain ?? '—'}</td>
              <td>{c.split}</td>
              <td>{c.label ?? '—'}</td>
              <td>{c.role}</td>
              <td>{c.verdict ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
