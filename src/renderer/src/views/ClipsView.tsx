import { useVirtualizer } from '@tanstack/react-virtual';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { ClipFilter, ClipRow, LabelChange, ProjectInfo } from '../../../shared/api';
import { DOMAINS, LABELS, ROLES, SPLITS, type Verdict } from '../../../shared/domain';
import { metadataValue, METADATA_RECOMMENDED, type MetadataKey } from '../../../shared/form';
import { play, playingClip, stopPlayback } from '../audio';
import { hark } from '../client';
import { useCall, useEvent } from '../hooks';

const PAGE = 200;
const ROW_H = 28;
const META_COLS: MetadataKey[] = METADATA_RECOMMENDED.filter((k) => k !== 'section_id');
const VERDICT_KEYS: Record<string, Verdict | null> = { n: 'normal', a: 'anomaly', u: 'unsure', '0': null };

type SortKey = 'name' | 'machineType' | 'section' | 'domain' | 'split' | 'label' | 'role' | 'score';

export function ClipsView({ project, onInspect }: { project: ProjectInfo | null; onInspect: (clipId: number) => void }) {
  const [filter, setFilter] = useState<ClipFilter>({});
  const [sort, setSort] = useState<{ key: SortKey; desc: boolean }>({ key: 'name', desc: false });
  const [pages, setPages] = useState<Map<number, ClipRow[]>>(new Map());
  const [total, setTotal] = useState(0);
  const [cursor, setCursor] = useState(0);
  const [selected, setSelected] = useState<Set<number>>(new Set());
  const [undo, setUndo] = useState<LabelChange[]>([]);
  const [message, setMessage] = useState<string | null>(null);
  const [editing, setEditing] = useState<{ clipId: number; key: MetadataKey; value: string } | null>(null);
  const loading = useRef(new Set<number>());
  const generation = useRef(0);
  const facets = useCall('clips.facets', project ? {} : null);
  const runs = useCall('runs.list', project ? {} : null);
  const scrollRef = useRef<HTMLDivElement>(null);

  const fetchPage = useCallback(
    async (p: number, gen: number) => {
      if (loading.current.has(p)) return;
      loading.current.add(p);
      try {
        const r = await hark.call('clips.list', { filter, sort: sort.key, desc: sort.desc, offset: p * PAGE, limit: PAGE });
        if (gen !== generation.current) return;
        setTotal(r.total);
        setPages((m) => new Map(m).set(p, r.rows));
      } catch (e) {
        setMessage(e instanceof Error ? e.message : String(e));
      } finally {
        loading.current.delete(p);
      }
    },
    [filter, sort],
  );

  const reset = useCallback(() => {
    generation.current++;
    loading.current.clear();
    setPages(new Map());
    void fetchPage(0, generation.current);
  }, [fetchPage]);

  useEffect(() => {
    if (project) reset();
  }, [project, reset]);

  const rowAt = (i: number): ClipRow | undefined => pages.get(Math.floor(i / PAGE))?.[i % PAGE];

  const virtual = useVirtualizer({ count: total, getScrollElement: () => scrollRef.current, estimateSize: () => ROW_H, overscan: 20 });
  const items = virtual.getVirtualItems();
  useEffect(() => {
    const need = new Set(items.map((it) => Math.floor(it.index / PAGE)));
    for (const p of need) if (!pages.has(p)) void fetchPage(p, generation.current);
  }, [items, pages, fetchPage]);

  useEvent('clips.changed', () => {
    // refresh the pages on screen in place, keeping scroll and selection
    const gen = generation.current;
    const visible = new Set(items.map((it) => Math.floor(it.index / PAGE)));
    for (const p of visible) {
      loading.current.delete(p);
      void fetchPage(p, gen);
    }
  });

  const targets = (): number[] => {
    if (selected.size > 0) return [...selected];
    const r = rowAt(cursor);
    return r ? [r.id] : [];
  };

  const mark = async (verdict: Verdict | null) => {
    const ids = targets();
    if (!ids.length) return;
    try {
      const change = await hark.call('clips.setVerdict', { clipIds: ids, verdict });
      setUndo((u) => [...u.slice(-49), change]);
      setMessage(`${ids.length} clip(s) marked ${verdict ?? 'unlabelled'}`);
      if (selected.size === 0) move(1);
    } catch (e) {
      setMessage(e instanceof Error ? e.message : String(e));
    }
  };

  const doUndo = async () => {
    const last = undo[undo.length - 1];
    if (!last) return;
    await hark.call('clips.restoreVerdicts', { changes: last.previous });
    setUndo((u) => u.slice(0, -1));
    setMessage(`undone (${last.previous.length} clip(s))`);
  };

  const move = (d: number) => {
    setCursor((c) => {
      const n = Math.max(0, Math.min(total - 1, c + d));
      virtual.scrollToIndex(n, { align: 'auto' });
      return n;
    });
  };

  const togglePlay = async () => {
    const r = rowAt(cursor);
    if (!r) return;
    if (playingClip() === r.id) {
      stopPlayback();
      return;
    }
    try {
      const w = await hark.call('clips.waveform', { clipId: r.id });
      play(r.id, w.samples, w.sampleRate);
    } catch (e) {
      setMessage(e instanceof Error ? e.message : String(e));
    }
  };

  const saveEdit = async () => {
    if (!editing) return;
    const ids = selected.size > 1 && selected.has(editing.clipId) ? [...selected] : [editing.clipId];
    try {
      await hark.call('clips.setAttribute', { clipIds: ids, key: editing.key, value: editing.value.trim() === '' ? null : editing.value.trim() });
      setEditing(null);
      setMessage(`${editing.key} set on ${ids.length} clip(s)`);
    } catch (e) {
      setMessage(e instanceof Error ? e.message : String(e));
    }
  };

  const onKey = (e: React.KeyboardEvent) => {
    if (editing) return;
    const k = e.key.toLowerCase();
    if (k === 'arrowdown' || k === 'j') move(1);
    else if (k === 'arrowup' || k === 'k') move(-1);
    else if (k === 'pagedown') move(20);
    else if (k === 'pageup') move(-20);
    else if (k === ' ') void togglePlay();
    else if (k === 'enter') {
      const r = rowAt(cursor);
      if (r) onInspect(r.id);
    } else if ((e.ctrlKey || e.metaKey) && k === 'z') void doUndo();
    else if ((e.ctrlKey || e.metaKey) && k === 'a') {
      const all = new Set<number>();
      for (const rows of pages.values()) for (const r of rows) all.add(r.id);
      setSelected(all);
    } else if (k === 'escape') setSelected(new Set());
    else if (k in VERDICT_KEYS && !e.ctrlKey && !e.metaKey) void mark(VERDICT_KEYS[k]);
    else return;
    e.preventDefault();
  };

  const clickRow = (i: number, r: ClipRow, e: React.MouseEvent) => {
    setCursor(i);
    if (e.shiftKey) {
      const lo = Math.min(cursor, i);
      const hi = Math.max(cursor, i);
      const s = new Set(selected);
      for (let j = lo; j <= hi; j++) {
        const rr = rowAt(j);
        if (rr) s.add(rr.id);
      }
      setSelected(s);
    } else if (e.ctrlKey || e.metaKey) {
      const s = new Set(selected);
      if (s.has(r.id)) s.delete(r.id);
      else s.add(r.id);
      setSelected(s);
    } else setSelected(new Set());
  };

  const headers = useMemo(
    () =>
      [
        ['name', 'Name', 'c-name'],
        ['machineType', 'Machine', 'c-s'],
        ['section', 'Sec', 'c-xs'],
        ['domain', 'Domain', 'c-s'],
        ['split', 'Split', 'c-s'],
        ['label', 'Label', 'c-s'],
        ['role', 'Role', 'c-m'],
      ] as [SortKey, string, string][],
    [],
  );

  if (!project) {
    return (
      <section className="view">
        <h1>Clips</h1>
        <p className="muted">Open or create a project first (Project view).</p>
      </section>
    );
  }

  const set = (k: keyof ClipFilter, v: string) => setFilter((f) => ({ ...f, [k]: v === '' ? undefined : v }));
  return (
    <section className="view clips-view">
      <div className="row spread">
        <h1>Clips</h1>
        <span className="muted" data-testid="clips-count">
          {total.toLocaleString()} clips{selected.size ? ` · ${selected.size} selected` : ''}
        </span>
      </div>
      <div className="filters row" data-testid="clip-filters">
        <select value={filter.machineType ?? ''} onChange={(e) => set('machineType', e.target.value)} aria-label="machine type">
          <option value="">all machines</option>
          {facets.data?.machineTypes.map((m) => (
            <option key={m}>{m}</option>
          ))}
        </select>
        <select value={filter.section ?? ''} onChange={(e) => set('section', e.target.value)} aria-label="section">
          <option value="">all sections</option>
          {facets.data?.sections.map((m) => (
            <option key={m}>{m}</option>
          ))}
        </select>
        {(
          [
            ['domain', DOMAINS],
            ['split', SPLITS],
            ['label', LABELS],
            ['role', ROLES],
            ['verdict', ['normal', 'anomaly', 'unsure', 'none']],
          ] as [keyof ClipFilter, readonly string[]][]
        ).map(([k, vals]) => (
          <select key={k} value={(filter[k] as string) ?? ''} onChange={(e) => set(k, e.target.value)} aria-label={k} data-testid={`filter-${k}`}>
            <option value="">any {k}</option>
            {vals.map((v) => (
              <option key={v}>{v}</option>
            ))}
          </select>
        ))}
        <input placeholder="name contains…" value={filter.text ?? ''} onChange={(e) => set('text', e.target.value)} aria-label="name filter" />
        <select
          value={filter.scoreRun ?? ''}
          onChange={(e) => setFilter((f) => ({ ...f, scoreRun: e.target.value === '' ? undefined : Number(e.target.value) }))}
          aria-label="scores of run"
          data-testid="filter-run"
        >
          <option value="">no scores</option>
          {runs.data?.map((r) => (
            <option key={r.runId} value={r.runId}>
              scores: run {r.runId} ({r.approach} {r.machineType} {r.section})
            </option>
          ))}
        </select>
        <input type="number" step="any" placeholder="score ≥" disabled={filter.scoreRun === undefined} value={filter.scoreMin ?? ''} onChange={(e) => setFilter((f) => ({ ...f, scoreMin: e.target.value === '' ? undefined : Number(e.target.value) }))} aria-label="minimum score" style={{ width: 90 }} data-testid="filter-score-min" />
        <input type="number" step="any" placeholder="score ≤" disabled={filter.scoreRun === undefined} value={filter.scoreMax ?? ''} onChange={(e) => setFilter((f) => ({ ...f, scoreMax: e.target.value === '' ? undefined : Number(e.target.value) }))} aria-label="maximum score" style={{ width: 90 }} />
      </div>
      <div className="row toolbar">
        <span className="muted small-text">
          ↑↓ move · space play/stop · <kbd>n</kbd> normal · <kbd>a</kbd> anomalous · <kbd>u</kbd> unsure · <kbd>0</kbd> clear · enter inspect · shift/ctrl-click select · ctrl+z undo
        </span>
        <span className="grow" />
        <button className="small secondary" onClick={() => void mark('normal')}>
          Mark normal
        </button>
        <button className="small secondary" onClick={() => void mark('anomaly')}>
          Mark anomalous
        </button>
        <button className="small secondary" onClick={() => void doUndo()} disabled={!undo.length} data-testid="undo">
          Undo
        </button>
      </div>
      {message && (
        <div className="status-line" data-testid="clips-message">
          {message}
        </div>
      )}
      <div className="vgrid" tabIndex={0} onKeyDown={onKey} ref={scrollRef} data-testid="clip-grid" role="grid" aria-rowcount={total}>
        <div className="vrow vhead" role="row">
          {headers.map(([k, title, cls]) => (
            <span
              key={k}
              className={`cell ${cls} sortable`}
              role="columnheader"
              onClick={() => setSort((s) => ({ key: k, desc: s.key === k ? !s.desc : false }))}
            >
              {title}
              {sort.key === k ? (sort.desc ? ' ▾' : ' ▴') : ''}
            </span>
          ))}
          {META_COLS.map((k) => (
            <span key={k} className="cell c-s" role="columnheader" title="double-click a cell to edit">
              {k.replace('_level', '').replace('_id', '').replace('_position', '')}
            </span>
          ))}
          <span className="cell c-s sortable" role="columnheader" onClick={() => setSort((s) => ({ key: 'score', desc: s.key === 'score' ? !s.desc : true }))}>
            Score{sort.key === 'score' ? (sort.desc ? ' ▾' : ' ▴') : ''}
          </span>
          <span className="cell c-s" role="columnheader">
            Verdict
          </span>
        </div>
        {total === 0 && pages.has(0) && <div className="grid-empty muted">No clips match. {Object.keys(filter).length ? 'Clear the filters above.' : 'Import a package in the Project view.'}</div>}
        <div style={{ height: virtual.getTotalSize(), position: 'relative' }}>
          {items.map((it) => {
            const r = rowAt(it.index);
            const cls = `vrow${it.index === cursor ? ' cursor' : ''}${r && selected.has(r.id) ? ' selected' : ''}`;
            return (
              <div key={it.key} className={cls} role="row" data-index={it.index} style={{ position: 'absolute', top: 0, transform: `translateY(${it.start}px)`, height: ROW_H, width: '100%' }} onClick={(e) => r && clickRow(it.index, r, e)} onDoubleClick={() => r && onInspect(r.id)}>
                {!r ? (
                  <span className="cell muted">…</span>
                ) : (
                  <>
                    <span className="cell c-name mono" title={r.path}>
                      {r.name}
                    </span>
                    <span className="cell c-s">{r.machineType}</span>
                    <span className="cell c-xs">{r.section}</span>
                    <span className="cell c-s">{r.domain ?? '—'}</span>
                    <span className="cell c-s">{r.split}</span>
                    <span className={`cell c-s ${r.label === 'anomaly' ? 'bad-text' : ''}`}>{r.label ?? '—'}</span>
                    <span className="cell c-m">{r.role}</span>
                    {META_COLS.map((k) =>
                      editing && editing.clipId === r.id && editing.key === k ? (
                        <input
                          key={k}
                          className="cell c-s cell-edit"
                          autoFocus
                          value={editing.value}
                          onChange={(e) => setEditing({ ...editing, value: e.target.value })}
                          onKeyDown={(e) => {
                            if (e.key === 'Enter') void saveEdit();
                            if (e.key === 'Escape') setEditing(null);
                            e.stopPropagation();
                          }}
                          onBlur={() => setEditing(null)}
                        />
                      ) : (
                        <span
                          key={k}
                          className="cell c-s editable"
                          onDoubleClick={(e) => {
                            e.stopPropagation();
                            setEditing({ clipId: r.id, key: k, value: metadataValue(k, r.attributes) ?? '' });
                          }}
                        >
                          {metadataValue(k, r.attributes) ?? ''}
                        </span>
                      ),
                    )}
                    <span className="cell c-s mono">{r.score === null ? '' : r.score.toPrecision(4)}</span>
                    <span className={`cell c-s verdict ${r.verdict ?? ''}`}>{r.verdict ?? ''}</span>
                  </>
                )}
              </div>
            );
          })}
        </div>
      </div>
    </section>
  );
}
