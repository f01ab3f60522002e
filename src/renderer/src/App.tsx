import { useState } from 'react';
import type { ProjectInfo } from '../../shared/api';
import { hostKind } from './client';
import { JobsPanel } from './components/JobsPanel';
import { useCall, useEvent } from './hooks';
import { ClipsView } from './views/ClipsView';
import { FormView } from './views/FormView';
import { InspectorView } from './views/InspectorView';
import { ModelsView } from './views/ModelsView';
import { ResultsView } from './views/ResultsView';
import { ProjectView } from './views/ProjectView';

export const VIEWS = [
  { id: 'project', title: 'Project', hint: 'create, open, import' },
  { id: 'form', title: 'Form', hint: 'coverage against the data Form' },
  { id: 'clips', title: 'Clips', hint: 'grid, metadata, verification labels' },
  { id: 'inspector', title: 'Inspector', hint: 'waveform, spectrogram, anomaly map' },
  { id: 'results', title: 'Results', hint: 'ROC, pAUC, KPI gate' },
  { id: 'models', title: 'Models', hint: 'encoders and fitted detectors' },
] as const;
export type ViewId = (typeof VIEWS)[number]['id'];

export function App() {
  const [view, setView] = useState<ViewId>('project');
  const [inspectClip, setInspectClip] = useState<number | null>(null);
  const inspect = (clipId: number) => {
    setInspectClip(clipId);
    setView('inspector');
  };
  const info = useCall('app.info', {});
  const [project, setProject] = useState<ProjectInfo | null | undefined>(undefined);
  useEvent('project.changed', (e) => setProject(e.project));
  const current = project === undefined ? (info.data?.project ?? null) : project;

  return (
    <div className="shell">
      <header className="topbar">
        <div className="brand">
          <span className="logo" aria-hidden>
            ◉
          </span>
          Hark
        </div>
        <div className="project-name" data-testid="project-name">
          {current ? current.name : 'no project open'}
        </div>
        <div className="host" title="where the backend runs">
          {info.data ? `v${info.data.version} · ${hostKind === 'electron' ? 'desktop' : 'browser host'}` : info.error ? 'backend unreachable' : '…'}
        </div>
      </header>
      <nav className="sidenav" aria-label="views">
        {VIEWS.map((v) => (
          <button key={v.id} className={v.id === view ? 'nav active' : 'nav'} onClick={() => setView(v.id)} title={v.hint} data-testid={`nav-${v.id}`}>
            <span className="nav-title">{v.title}</span>
            <span className="nav-hint">{v.hint}</span>
          </button>
        ))}
      </nav>
      <main className="content">
        {info.error && <div className="banner error">Cannot reach the Hark backend: {info.error}</div>}
        {view === 'project' && <ProjectView project={current} />}
        {view === 'form' && <FormView project={current} />}
        {view === 'clips' && <ClipsView project={current} onInspect={inspect} />}
        {view === 'inspector' && <InspectorView project={current} clipId={inspectClip} />}
        {view === 'results' && <ResultsView project={current} onInspect={inspect} />}
        {view === 'models' && <ModelsView project={current} />}
      </main>
      <JobsPanel />
    </div>
  );
}
