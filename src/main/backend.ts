// createBackend: the object implementing the contract. Hosts call it; it reaches store and files.
import fs from 'node:fs';
import path from 'node:path';
import type { AppInfo, Backend, LabelChange, ProjectInfo, RecentProject } from '../shared/api';
import { HarkError } from '../shared/rpc';
import { EventBus } from './events';
import { JobManager } from './jobs/manager';
import { SCHEMA_VERSION } from './store/migrations';
import { Store } from './store/store';
import { repairInterrupted } from './store/consistency';
import { loadClipAudioForDisplay } from './data/clip-audio';
import { appVersion, harkHome } from './paths';
import { listDcase } from './data/import/dcase';
import { listManifest } from './data/import/manifest';
import { runInWorker } from './jobs/run-in-worker';
import { displaySpectrogram } from './audio/fbank';
import { clipAnomaly, gateReport, listRuns, modelsInfo, runDetail } from './eval/queries';
import { formReport } from './data/form/form-check';
import { sheetCsv, sheetHtml } from './data/form/sheet';

export interface BackendOptions {
  host: AppInfo['host'];
  /** where recent projects and settings live (default: $HARK_HOME or ~/.hark) */
  homeDir?: string;
  events?: EventBus;
}

export interface BackendHandle {
  backend: Backend;
  events: EventBus;
  jobs: JobManager;
  /** the open project's store; throws a clear error when none is open */
  store(): Store;
  openProject(dir: string): ProjectInfo;
  close(): void;
}

const MAX_RECENT = 12;

export function createBackend(opts: BackendOptions): BackendHandle {
  const events = opts.events ?? new EventBus();
  const jobs = new JobManager(events);
  const home = opts.homeDir ?? harkHome();
  const recentFile = path.join(home, 'recent.json');
  let current: Store | null = null;

  const readRecent = (): { path: string; name: string; openedAt: string }[] => {
    try {
      const v = JSON.parse(fs.readFileSync(recentFile, 'utf8')) as unknown;
      return Array.isArray(v) ? (v as { path: string; name: string; openedAt: string }[]).filter((r) => typeof r?.path === 'string') : [];
    } catch {
      return [];
    }
  };
  const remember = (info: ProjectInfo) => {
    const list = readRecent().filter((r) => r.path !== info.path);
    list.unshift({ path: info.path, name: info.name, openedAt: new Date().toISOString() });
    fs.mkdirSync(home, { recursive: true });
    const tmp = `${recentFile}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(list.slice(0, MAX_RECENT), null, 1));
    fs.renameSync(tmp, recentFile); // atomic: a crash never leaves a half-written list
  };

  const store = (): Store => {
    if (!current) throw new HarkError('no_project', 'no project is open: create or open one first');
    return current;
  };

  const switchTo = (s: Store): ProjectInfo => {
    current?.close();
    current = s;
    const info = s.info();
    remember(info);
    events.emit('project.changed', { project: info });
    return info;
  };

  const openProject = (dir: string) => {
    const s = Store.open(dir);
    // what a killed process left behind (runs marked running, half-written detectors) is cleared on open,
    // unless this process has jobs writing right now
    if (!jobs.list().some((j) => j.state === 'running')) repairInterrupted(s.db);
    return switchTo(s);
  };

  const backend: Backend = {
    async 'app.info'() {
      return { name: 'Hark', version: appVersion(), host: opts.host, schemaVersion: SCHEMA_VERSION, project: current ? current.info() : null };
    },
    async 'project.create'(req) {
      return switchTo(Store.create(req.path, req.name));
    },
    async 'project.open'(req) {
      return openProject(req.path);
    },
    async 'project.demo'(req) {
      const { info } = jobs.start('demo', 'Build the demo project', async (ctx) => {
        current?.close();
        current = null;
        events.emit('project.changed', { project: null });
        const r = await runInWorker('demo', { scale: req.scale, out: path.join(home, 'demo') }, ctx);
        openProject(r.projectDir);
        events.emit('runs.changed', { runIds: [] });
        return r;
      });
      return info;
    },
    async 'project.close'() {
      current?.close();
      current = null;
      events.emit('project.changed', { project: null });
      return null;
    },
    async 'project.recent'() {
      return readRecent().map(
        (r): RecentProject => ({ ...r, exists: fs.existsSync(path.join(r.path, 'project.sqlite')) }),
      );
    },
    async 'clips.list'(req) {
      const { total, rows } = store().clips.list(req.filter, req.sort, req.desc, req.offset, req.limit);
      return { total, offset: req.offset, rows };
    },
    async 'clips.get'(req) {
      const clip = store().clips.get(req.clipId);
      if (!clip) throw new HarkError('not_found', `no clip ${req.clipId}`, 'clipId');
      return clip;
    },
    async 'clips.facets'() {
      return store().clips.facets();
    },
    async 'clips.waveform'(req) {
      const clip = store().clips.get(req.clipId);
      if (!clip) throw new HarkError('not_found', `no clip ${req.clipId}`, 'clipId');
      const samples = await loadClipAudioForDisplay(clip);
      return { clipId: clip.id, sampleRate: 16_000, samples };
    },
    async 'clips.setVerdict'(req) {
      const s = store();
      const ids = s.clips.existingIds(req.clipIds);
      if (ids.length !== req.clipIds.length) {
        const missing = req.clipIds.find((i) => !ids.includes(i));
        throw new HarkError('not_found', `no clip ${missing}`, 'clipIds');
      }
      const previous = s.labels.set(ids, req.verdict, req.who, new Date().toISOString());
      events.emit('clips.changed', { clipIds: ids });
      return { clipIds: ids, previous };
    },
    async 'clips.restoreVerdicts'(req) {
      const s = store();
      const wanted = req.changes.map((c) => c.clipId);
      const known = new Set(s.clips.existingIds(wanted));
      const missing = wanted.find((i) => !known.has(i));
      if (missing !== undefined) throw new HarkError('not_found', `no clip ${missing}`, 'changes');
      const at = new Date().toISOString();
      const previous: LabelChange['previous'] = [];
      s.tx(() => {
        for (const c of req.changes) previous.push(...s.labels.set([c.clipId], c.verdict, req.who, at));
      });
      const clipIds = req.changes.map((c) => c.clipId);
      events.emit('clips.changed', { clipIds });
      return { clipIds, previous };
    },
    async 'clips.setAttribute'(req) {
      const s = store();
      const ids = s.clips.existingIds(req.clipIds);
      if (ids.length !== req.clipIds.length) throw new HarkError('not_found', 'some clips do not exist', 'clipIds');
      s.clips.setAttribute(ids, req.key, req.value);
      events.emit('clips.changed', { clipIds: ids });
      return { clipIds: ids };
    },
    async 'import.start'(req) {
      const s = store();
      // list first, so a wrong path is an immediate error rather than a failed job
      const listing = req.kind === 'dcase' ? listDcase(req.path, { supplementalKind: req.supplementalKind }) : listManifest(req.path);
      const params = { projectDir: s.dir, kind: req.kind, path: req.path, supplementalKind: req.supplementalKind, clipS: req.clipS, hopS: req.hopS };
      const { info } = jobs.start('import', `Import ${path.basename(req.path)} (${listing.entries.length} files)`, async (ctx) => {
        const summary = await runInWorker('import', params, ctx);
        events.emit('clips.changed', { clipIds: 'all' });
        events.emit('project.changed', { project: s.info() });
        return summary;
      });
      return info;
    },
    async 'import.log'(req) {
      return store().importLog.recent(req.limit);
    },
    async 'form.report'() {
      return formReport(store());
    },
    async 'form.sheet'(req) {
      const s = store();
      const report = formReport(s);
      return { html: sheetHtml(report, req.machineTypes, s.info().name), csv: sheetCsv(report, req.machineTypes) };
    },
    async 'clips.spectrogram'(req) {
      const clip = store().clips.get(req.clipId);
      if (!clip) throw new HarkError('not_found', `no clip ${req.clipId}`, 'clipId');
      const wave = await loadClipAudioForDisplay(clip);
      const spec = displaySpectrogram(wave);
      return { clipId: clip.id, ...spec, durationS: wave.length / 16_000 };
    },
    async 'clips.anomalyMap'(req) {
      return clipAnomaly(store(), req.clipId, req.runId);
    },
    async 'eval.start'(req) {
      const s = store();
      if (s.clips.count() === 0) throw new HarkError('bad_input', 'the project has no clips: import a package first');
      const { info } = jobs.start('eval', `Evaluate ${req.approach}${req.machineTypes?.length ? ` on ${req.machineTypes.join(', ')}` : ''}`, async (ctx) => {
        const r = await runInWorker('eval', { projectDir: s.dir, approach: req.approach, protocol: req.protocol, encoder: req.encoder, machineTypes: req.machineTypes, ensembleMembers: req.members }, ctx);
        events.emit('runs.changed', { runIds: r.runIds });
        return r;
      });
      return info;
    },
    async 'runs.list'() {
      return listRuns(store());
    },
    async 'runs.get'(req) {
      return runDetail(store(), req.runId);
    },
    async 'gate.report'(req) {
      return gateReport(store(), req);
    },
    async 'models.list'() {
      return modelsInfo(store());
    },
    async 'models.clearCache'(req) {
      return { removed: store().embeddings.clear(req.encoderId) };
    },
    async 'settings.get'() {
      const p = store().project;
      return { allowRestrictedModels: p.getJson('allow_restricted_models', true), gate: p.getJson('gate_thresholds', { auc: 0.95, pauc: 0.9 }) };
    },
    async 'settings.set'(req) {
      const p = store().project;
      if (req.allowRestrictedModels !== undefined) p.setJson('allow_restricted_models', req.allowRestrictedModels);
      if (req.gate) p.setJson('gate_thresholds', req.gate);
      return { allowRestrictedModels: p.getJson('allow_restricted_models', true), gate: p.getJson('gate_thresholds', { auc: 0.95, pauc: 0.9 }) };
    },
    async 'jobs.list'() {
      return jobs.list();
    },
    async 'jobs.cancel'(req) {
      return jobs.cancel(req.jobId);
    },
  };

  return {
    backend,
    events,
    jobs,
    store,
    openProject,
    close() {
      current?.close();
      current = null;
    },
  };
}
