import type { ProjectInfo } from '../../../shared/api';

const NEEDS: Record<string, string> = {
  form: 'The Form coverage appears here once a package is imported: each machine type and section against the minimum and recommended amounts.',
  inspector: 'Select a clip in Clips to inspect its waveform, spectrogram and anomaly map.',
  results: 'Results appear here after an evaluation run: ROC and pAUC per section and domain, and the KPI gate.',
  models: 'Encoders with their licence and provenance, and the detectors fitted in this project.',
};

export function PendingView({ view, project, clipId }: { view: string; project: ProjectInfo | null; clipId?: number | null }) {
  return (
    <section className="view">
      <h1>{view[0].toUpperCase() + view.slice(1)}</h1>
      <p className="muted">{project ? NEEDS[view] : 'Open or create a project first (Project view).'}</p>
      {clipId != null && <p className="muted">Selected clip: {clipId}</p>}
    </section>
  );
}
