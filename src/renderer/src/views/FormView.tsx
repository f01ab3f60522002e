import { useState } from 'react';
import type { ProjectInfo } from '../../../shared/api';
import { FORM_ITEMS, formatValue, type SectionFormReport } from '../../../shared/form';
import { hark } from '../client';
import { useCall, useEvent } from '../hooks';

const LIGHT: Record<string, { cls: string; text: string }> = {
  missing: { cls: 'bad', text: 'missing' },
  below_minimum: { cls: 'bad', text: 'below minimum' },
  minimum: { cls: 'warn', text: 'minimum met' },
  recommended: { cls: 'good', text: 'recommended met' },
};

function download(name: string, text: string, type: string) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function FormView({ project }: { project: ProjectInfo | null }) {
  const report = useCall('form.report', project ? {} : null);
  useEvent('clips.changed', () => report.reload());
  const [selected, setSelected] = useState<string | null>(null);
  if (!project) return <Empty />;
  const sections = report.data?.sections ?? [];
  const pick = sections.find((s) => `${s.machineType}/${s.section}` === selected) ?? sections[0];
  const exportSheet = async (kind: 'html' | 'csv') => {
    const sheet = await hark.call('form.sheet', {});
    download(`hark-request-sheet.${kind}`, kind === 'html' ? sheet.html : sheet.csv, kind === 'html' ? 'text/html' : 'text/csv');
  };
  return (
    <section className="view">
      <div className="row spread">
        <h1>Form coverage</h1>
        <div className="row">
          <button className="secondary" onClick={() => void exportSheet('html')} disabled={!sections.length} data-testid="sheet-html">
            Request sheet (HTML)
          </button>
          <button className="secondary" onClick={() => void exportSheet('csv')} disabled={!sections.length}>
            CSV
          </button>
        </div>
      </div>
      {report.error && <div className="banner error">{report.error}</div>}
      {!sections.length && !report.loading && <p className="muted">No clips yet: import a package in the Project view.</p>}
      {sections.length > 0 && (
        <table className="matrix" data-testid="form-matrix">
          <thead>
            <tr>
              <th>Machine type / section</th>
              {FORM_ITEMS.map((f) => (
                <th key={f.id} title={`minimum ${f.minimumText}; recommended ${f.recommendedText}`}>
                  {f.title}
                  <div className="muted small-text">min {f.minimumText}</div>
                </th>
              ))}
              <th>Routing</th>
            </tr>
          </thead>
          <tbody>
            {sections.map((s) => {
              const key = `${s.machineType}/${s.section}`;
              return (
                <tr key={key} className={pick === s ? 'selected' : ''} onClick={() => setSelected(key)}>
                  <td>
                    <b>{s.machineType}</b> <span className="muted">section {s.section}</span>
                    <div className="muted small-text">{s.clips} clips</div>
                  </td>
                  {s.items.map((it) => (
                    <td key={it.id}>
                      <span className={`light ${LIGHT[it.status].cls}`} title={LIGHT[it.status].text} />
                      {formatValue(it)}
                      <div className="muted small-text">{LIGHT[it.status].text}</div>
                    </td>
                  ))}
                  <td>
                    {s.routing.approaches.map((a) => (
                      <span key={a} className={`tag approach ${a === s.routing.primary ? 'primary' : ''}`}>
                        {a}
                      </span>
                    ))}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {pick && <SectionDetail s={pick} />}
    </section>
  );
}

function SectionDetail({ s }: { s: SectionFormReport }) {
  return (
    <div className="detail-grid" data-testid="form-detail">
      <div className="card">
        <h2>
          Routing for {s.machineType} section {s.section}
        </h2>
        <ul className="reasons">
          {s.routing.reasons.map((r, i) => (
            <li key={i}>{r}</li>
          ))}
        </ul>
        {s.gaps.length > 0 && (
          <>
            <h2>What to ask the customer for</h2>
            <ul className="reasons gaps">
              {s.gaps.map((g, i) => (
                <li key={i}>{g}</li>
              ))}
            </ul>
          </>
        )}
      </div>
      <div className="card">
        <h2>Metadata completeness</h2>
        <table className="grid compact">
          <thead>
            <tr>
              <th>Field</th>
              <th>Filled</th>
              <th>Values</th>
              <th>Most common</th>
            </tr>
          </thead>
          <tbody>
            {s.attributes.map((a) => (
              <tr key={a.key}>
                <td className={a.formKey ? '' : 'muted'}>{a.key}</td>
                <td>
                  <span className="meter">
                    <span style={{ width: `${Math.round(100 * (1 - a.blankShare))}%` }} />
                  </span>{' '}
                  {Math.round(100 * (1 - a.blankShare))}%
                </td>
                <td>{a.cardinality}</td>
                <td className="mono small-text">{a.topValues.slice(0, 4).map((v) => `${v.value} (${v.n})`).join(', ')}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <h2 className="spaced">Conversions and quality</h2>
        <dl className="facts">
          <dt>Resampled</dt>
          <dd>{s.conversions.resampled ? `${s.conversions.resampled} clips from ${s.conversions.fromRates.join(', ')} Hz` : 'none'}</dd>
          <dt>Mixed to mono</dt>
          <dd>{s.conversions.downmixed ? `${s.conversions.downmixed} clips from ${s.conversions.fromChannels.join(', ')} channels` : 'none'}</dd>
          <dt>Sliced</dt>
          <dd>{s.conversions.sliced || 'none'}</dd>
          <dt>Clipped / silent</dt>
          <dd>
            {s.quality.clipped} / {s.quality.silent}
          </dd>
          <dt>Duplicate content</dt>
          <dd>{s.quality.duplicateGroups ? `${s.quality.duplicateGroups} group(s), ${s.quality.duplicateClips} clips` : 'none'}</dd>
          <dt>Labels</dt>
          <dd>
            {s.labels.normal} normal, {s.labels.anomaly} anomalous ({s.labels.source})
          </dd>
        </dl>
      </div>
    </div>
  );
}

function Empty() {
  return (
    <section className="view">
      <h1>Form coverage</h1>
      <p className="muted">Open or create a project first (Project view).</p>
    </section>
  );
}
