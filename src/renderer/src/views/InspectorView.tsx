import { useEffect, useRef, useState } from 'react';
import WaveSurfer from 'wavesurfer.js';
import type { ClipAnomaly, ClipRow, ProjectInfo, Spectrogram } from '../../../shared/api';
import { hark } from '../client';
import type { ColormapName } from '../components/colormaps';
import { ScoreStrip } from '../components/ScoreStrip';
import { SpectroMapPlugin } from '../components/spectro-map-plugin';
import { wavBlob } from '../wav';

interface Loaded {
  clip: ClipRow;
  samples: Float32Array;
  sampleRate: number;
  spectrogram: Spectrogram;
  anomaly: ClipAnomaly | null;
  url: string;
}

export function InspectorView({ project, clipId }: { project: ProjectInfo | null; clipId: number | null }) {
  const [data, setData] = useState<Loaded | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [zoom, setZoom] = useState(0);
  const [opacity, setOpacity] = useState(0.6);
  const [colormap, setColormap] = useState<ColormapName>('viridis');
  const [layer, setLayer] = useState<'mean' | number>('mean');
  const [showMap, setShowMap] = useState(true);
  const [playing, setPlaying] = useState(false);
  const [time, setTime] = useState(0);
  const holder = useRef<HTMLDivElement>(null);
  const ws = useRef<WaveSurfer | null>(null);
  const plugin = useRef<SpectroMapPlugin | null>(null);

  useEffect(() => {
    if (!project || clipId === null) return;
    let live = true;
    setError(null);
    const t0 = performance.now();
    (async () => {
      const [clip, wave, spectrogram, anomaly] = await Promise.all([
        hark.call('clips.get', { clipId }),
        hark.call('clips.waveform', { clipId }),
        hark.call('clips.spectrogram', { clipId }),
        hark.call('clips.anomalyMap', { clipId }),
      ]);
      if (!live) return;
      const url = URL.createObjectURL(wavBlob(wave.samples, wave.sampleRate));
      setData({ clip, spectrogram, anomaly, url, samples: wave.samples, sampleRate: wave.sampleRate });
      (window as unknown as { __harkInspectorFetchMs?: number }).__harkInspectorFetchMs = performance.now() - t0;
    })().catch((e: unknown) => live && setError(e instanceof Error ? e.message : String(e)));
    return () => {
      live = false;
    };
  }, [project, clipId]);

  useEffect(() => {
    if (!data || !holder.current) return;
    holder.current.removeAttribute('data-ready');
    const p = SpectroMapPlugin.create({ spectrogram: data.spectrogram, anomaly: data.anomaly, opacity, colormap, layer, showMap, height: 256 });
    const w = WaveSurfer.create({
      container: holder.current,
      // peaks and duration given: wavesurfer draws without fetching or decoding; the blob URL only feeds the media element
      url: data.url,
      peaks: [data.samples],
      duration: data.samples.length / data.sampleRate,
      height: 90,
      waveColor: '#4fb3ff',
      progressColor: '#2f7fc1',
      cursorColor: '#ffffff',
      cursorWidth: 1,
      minPxPerSec: zoom,
      normalize: true,
      plugins: [p],
    });
    ws.current = w;
    plugin.current = p;
    w.on('play', () => setPlaying(true));
    w.on('pause', () => setPlaying(false));
    w.on('timeupdate', (t) => setTime(t));
    w.on('ready', () => {
      (window as unknown as { __harkInspectorReady?: number }).__harkInspectorReady = performance.now();
      holder.current?.setAttribute('data-ready', '1');
    });
    return () => {
      w.destroy();
      URL.revokeObjectURL(data.url);
      ws.current = null;
      plugin.current = null;
    };
    // options are pushed by the effects below; re-creating on each change would reload the audio
  }, [data]);

  useEffect(() => plugin.current?.update({ opacity, colormap, layer, showMap }), [opacity, colormap, layer, showMap]);
  useEffect(() => {
    try {
      ws.current?.zoom(zoom);
    } catch {
      // zoom before the audio is decoded is ignored by wavesurfer; the next ready applies minPxPerSec
    }
  }, [zoom]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === ' ' && (e.target as HTMLElement)?.tagName !== 'INPUT') {
        e.preventDefault();
        void ws.current?.playPause();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  if (!project) return <Empty text="Open or create a project first (Project view)." />;
  if (clipId === null) return <Empty text="Select a clip in Clips (double-click or Enter) or click a point in Results to inspect it here." />;
  const a = data?.anomaly;
  const layers = a ? Object.keys(a.perLayer).map(Number) : [];
  return (
    <section className="view inspector">
      <div className="row spread">
        <h1 className="mono clip-title" data-testid="inspector-title">
          {data?.clip.name ?? '…'}
        </h1>
        {data && (
          <div className="row chips">
            <span className="tag">{data.clip.machineType}</span>
            <span className="tag">section {data.clip.section}</span>
            <span className="tag">{data.clip.domain ?? 'domain ?'}</span>
            <span className={`tag ${data.clip.label === 'anomaly' ? 'bad' : ''}`}>{data.clip.label ?? 'label ?'}</span>
            {data.clip.verdict && <span className="tag">verdict: {data.clip.verdict}</span>}
          </div>
        )}
      </div>
      {error && <div className="banner error">{error}</div>}
      <div className="row toolbar">
        <button onClick={() => void ws.current?.playPause()} data-testid="play">
          {playing ? 'Pause' : 'Play'}
        </button>
        <span className="mono small-text">{time.toFixed(2)} s</span>
        <label className="ctl">
          zoom
          <input type="range" min={0} max={400} step={10} value={zoom} onChange={(e) => setZoom(Number(e.target.value))} data-testid="zoom" />
        </label>
        <label className="ctl">
          <input type="checkbox" checked={showMap} onChange={(e) => setShowMap(e.target.checked)} /> anomaly map
        </label>
        <label className="ctl">
          opacity
          <input type="range" min={0} max={1} step={0.05} value={opacity} onChange={(e) => setOpacity(Number(e.target.value))} data-testid="opacity" />
        </label>
        <label className="ctl">
          colours
          <select value={colormap} onChange={(e) => setColormap(e.target.value as ColormapName)}>
            <option value="viridis">viridis</option>
            <option value="magma">magma</option>
            <option value="gray">gray</option>
          </select>
        </label>
        <label className="ctl">
          layer
          <select value={String(layer)} onChange={(e) => setLayer(e.target.value === 'mean' ? 'mean' : Number(e.target.value))} disabled={!layers.length}>
            <option value="mean">mean of layers</option>
            {layers.map((l) => (
              <option key={l} value={l}>
                layer {l}
              </option>
            ))}
          </select>
        </label>
      </div>
      <div className="wave-holder" ref={holder} data-testid="waveform" />
      <div className="axis-note muted small-text">
        Spectrogram: AST fbank (128 mel bins, 20 Hz–8 kHz, 10 ms frames), low frequencies at the bottom.{' '}
        {a ? `Anomaly map from run ${a.runId} (approach ${a.approach}): ${a.geometry.freq} × ${a.geometry.time} patches, brighter = further from the normal memory.` : 'No anomaly map for this clip yet: evaluate approach A to see where it hears something wrong.'}
      </div>
      {a && (
        <div className="card score-card">
          <h2>
            Score {a.score !== null ? a.score.toPrecision(4) : '—'} {a.threshold !== null && a.score !== null ? (a.score > a.threshold ? '— above the threshold (anomalous)' : '— below the threshold (normal)') : ''}
          </h2>
          {a.parts && Object.keys(a.parts).some((k) => k.startsWith('rank ')) && (
            <p className="small-text" data-testid="member-scores">
              Ensemble of{' '}
              {Object.keys(a.parts)
                .filter((k) => k.startsWith('rank '))
                .map((k) => k.slice('rank '.length))
                .map((m) => `${m} ${a.parts![m].toPrecision(4)} (rank ${a.parts![`rank ${m}`].toFixed(2)})`)
                .join(' · ')}
              : the score is the mean of the members' ranks among their scores on the verification clips. The map is A's.
            </p>
          )}
          <ScoreStrip score={a.score} normals={a.sectionNormalScores} anomalies={a.sectionAnomalyScores} threshold={a.threshold} />
          <div className="muted small-text">blue: normal clips of the section · red: anomalous · dashed: decision threshold</div>
        </div>
      )}
    </section>
  );
}

function Empty({ text }: { text: string }) {
  return (
    <section className="view">
      <h1>Inspector</h1>
      <p className="muted">{text}</p>
    </section>
  );
}
