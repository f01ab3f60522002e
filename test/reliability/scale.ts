// A project at scale: real generated files imported through the real pipeline (for throughput),
// then synthetic rows up to the target count through the same repository (ClipsRepo.upsertFile),
// with the generator's plan for realistic names, roles and attributes, verdicts on a tenth of the
// clips and one evaluation run scoring every clip. Then the clips grid's queries are timed.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createBackend } from '../../src/main/backend';
import { generateDataset, planDataset } from '../../src/main/data/generator';
import { listDcase } from '../../src/main/data/import/dcase';
import { importListing } from '../../src/main/data/import/importer';
import { Store } from '../../src/main/store/store';
import { CLIP_SORT_KEYS, type ClipFilter } from '../../src/shared/api';
import { MACHINE_TYPES } from '../../src/main/data/generator';
import type { Attributes } from '../../src/shared/domain';

export interface ScaleBuild {
  dir: string;
  clips: number;
  realFiles: number;
  /** import of the real files through importListing: files = clips here (10 s files) */
  importClipsPerS: number;
  importSeconds: number;
  syntheticRowsPerS: number;
  storeBytes: number;
  storeBytesPerClip: number;
  runId: number;
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

export function stats(ms: number[]): { n: number; p50: number; p95: number; max: number } {
  const s = [...ms].sort((a, b) => a - b);
  return { n: s.length, p50: quantile(s, 0.5), p95: quantile(s, 0.95), max: s[s.length - 1] };
}

function storeBytes(dir: string): number {
  return fs
    .readdirSync(dir)
    .filter((f) => f.startsWith('project.sqlite'))
    .reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0);
}

/** Builds (or reuses, when its marker matches) a project of `clips` clips, `realFiles` of them real. */
export async function buildScaleProject(work: string, opts: { clips: number; realFiles: number; seed?: number; log?: (s: string) => void }): Promise<ScaleBuild> {
  const log = opts.log ?? (() => undefined);
  const seed = opts.seed ?? 20_000;
  const dir = path.join(work, `scale-${opts.clips}-${opts.realFiles}`);
  const marker = path.join(dir, 'build.json');
  if (fs.existsSync(marker)) return JSON.parse(fs.readFileSync(marker, 'utf8')) as ScaleBuild;
  fs.rmSync(dir, { recursive: true, force: true });

  // 1. real files: the generator at the scale that yields about realFiles clips over all machine types
  const perScale = planDataset({ scale: 1, machines: [...MACHINE_TYPES], seed }).clips.length;
  const scale = Math.min(10, Math.max(0.001, opts.realFiles / perScale));
  const data = path.join(work, `scale-data-${scale.toFixed(4)}`);
  if (!fs.existsSync(path.join(data, 'generator.json'))) await generateDataset({ out: data, scale, seed, machines: [...MACHINE_TYPES] });
  const store = Store.create(path.join(dir, 'project'), 'scale');
  const listing = listDcase(data);
  const t0 = performance.now();
  const imp = await importListing(store, listing);
  const importSeconds = (performance.now() - t0) / 1000;
  if (imp.failed) throw new Error(`scale: ${imp.failed} generated files failed to import: ${imp.problems[0]?.message}`);
  const realClips = store.clips.count();
  log(`scale: imported ${imp.imported} real files (${realClips} clips) in ${importSeconds.toFixed(1)} s`);

  // 2. synthetic rows up to the target, named and labelled by the generator's plan at a larger scale
  const need = opts.clips - realClips;
  const t1 = performance.now();
  if (need > 0) {
    const plan = planDataset({ scale: Math.min(10, (need / perScale) * 1.05 + 0.01), machines: [...MACHINE_TYPES], seed: seed + 1, sections: 1 }).clips;
    const stats = JSON.parse((store.db.prepare('SELECT stats FROM clips LIMIT 1').get() as { stats: string }).stats) as Record<string, number>;
    const at = new Date().toISOString();
    for (let start = 0; start < need; start += 1000) {
      store.tx(() => {
        for (let i = start; i < Math.min(need, start + 1000); i++) {
          const p = plan[i % plan.length];
          const name = `syn${Math.floor(i / plan.length)}_${p.fileName}`;
          const attributes: Attributes = Object.fromEntries(p.attributes);
          store.clips.upsertFile(
            { path: path.join(dir, 'synthetic', p.machine, name), sha256: createHash('sha256').update(name).digest('hex'), sizeBytes: 320_044, sampleRate: 16_000, channels: 1, durationS: 10, format: 'wav/pcm16', sourcePackage: 'synthetic' },
            [{ name, machineType: p.machine, section: p.section, domain: p.domain, split: p.split, label: p.label, role: p.role, offsetS: 0, durationS: 10, attributes, stats, conversions: {} }],
            at,
          );
        }
      });
    }
  }
  const syntheticRowsPerS = need > 0 ? need / ((performance.now() - t1) / 1000) : 0;

  // 3. verdicts on every tenth clip, and one evaluation run scoring every clip
  const ids = (store.db.prepare('SELECT id FROM clips ORDER BY id').raw().all() as [number][]).map((r) => r[0]);
  const verdicts = ['normal', 'anomaly', 'unsure'] as const;
  store.tx(() => {
    for (let i = 0; i < ids.length; i += 10) store.labels.set([ids[i]], verdicts[(i / 10) % 3], 'scale', new Date().toISOString());
  });
  const runId = store.tx(() => {
    const run = store.results.startRun('eval', 'A', null, { machineType: 'fan', section: '00', protocol: 'standard' });
    store.results.saveScores(
      run,
      ids.map((id, i) => ({ clipId: id, score: Math.sin(i * 12.9898) * 0.5 + 0.5 })),
    );
    store.results.finishRun(run, 'done', {});
    return run;
  });
  store.db.pragma('wal_checkpoint(TRUNCATE)');
  const clips = store.clips.count();
  store.close();
  const bytes = storeBytes(path.join(dir, 'project'));
  const build: ScaleBuild = { dir: path.join(dir, 'project'), clips, realFiles: imp.imported, importClipsPerS: realClips / importSeconds, importSeconds, syntheticRowsPerS, storeBytes: bytes, storeBytesPerClip: bytes / clips, runId };
  fs.writeFileSync(marker, JSON.stringify(build));
  return build;
}

export interface GridQuery {
  filter: ClipFilter;
  sort: (typeof CLIP_SORT_KEYS)[number];
  desc: boolean;
  offset: number;
  limit: number;
}

/** The grid's queries: every sort both ways, the common filters, first, middle and last pages. */
export function gridQueries(total: number, runId: number): { name: string; q: GridQuery }[] {
  const out: { name: string; q: GridQuery }[] = [];
  const filters: [string, ClipFilter][] = [
    ['all', {}],
    ['machine', { machineType: 'fan' }],
    ['machine+section+split', { machineType: 'pump', section: '00', split: 'test' }],
    ['role', { role: 'source_normal' }],
    ['no verdict', { verdict: 'none' }],
    ['verdict anomaly', { verdict: 'anomaly' }],
    ['text', { text: 'anomaly_00' }],
    ['score range', { scoreRun: runId, scoreMin: 0.9 }],
  ];
  for (const [fname, filter] of filters) {
    for (const sort of CLIP_SORT_KEYS) {
      for (const desc of [false, true]) {
        const scored = sort === 'score' ? { ...filter, scoreRun: runId } : filter;
        for (const [pname, offset] of [['first', 0], ['middle', Math.floor(total / 2)], ['last', Math.max(0, total - 200)]] as const) {
          if (fname !== 'all' && pname !== 'first') continue; // filtered sets are smaller: first pages only
          out.push({ name: `${fname} / ${sort} ${desc ? 'desc' : 'asc'} / ${pname}`, q: { filter: scored, sort, desc, offset, limit: 200 } });
        }
      }
    }
  }
  return out;
}

/** Times every grid query through the backend's clips.list (the method the renderer calls). */
export async function timeGrid(dir: string, runId: number, reps = 1): Promise<{ all: ReturnType<typeof stats>; byFilter: Record<string, ReturnType<typeof stats>>; slowest: { name: string; ms: number }[]; facetsMs: number; formReportMs: number }> {
  const home = fs.mkdtempSync(path.join(path.dirname(dir), 'home-'));
  const h = createBackend({ host: 'cli', homeDir: home });
  try {
    h.openProject(dir);
    const total = h.store().clips.count();
    const qs = gridQueries(total, runId);
    const times: { name: string; ms: number }[] = [];
    for (let r = 0; r < reps; r++) {
      for (const { name, q } of qs) {
        const t0 = performance.now();
        const page = await h.backend['clips.list'](q, { host: 'cli' });
        times.push({ name, ms: performance.now() - t0 });
        if (page.rows.length === 0 && q.offset === 0 && !q.filter.text) throw new Error(`grid query '${name}' returned nothing`);
      }
    }
    const byFilter: Record<string, number[]> = {};
    for (const t of times) (byFilter[t.name.split(' / ')[0]] ??= []).push(t.ms);
    let t0 = performance.now();
    await h.backend['clips.facets']({}, { host: 'cli' });
    const facetsMs = performance.now() - t0;
    t0 = performance.now();
    await h.backend['form.report']({}, { host: 'cli' });
    const formReportMs = performance.now() - t0;
    return {
      all: stats(times.map((t) => t.ms)),
      byFilter: Object.fromEntries(Object.entries(byFilter).map(([k, v]) => [k, stats(v)])),
      slowest: [...times].sort((a, b) => b.ms - a.ms).slice(0, 5),
      facetsMs,
      formReportMs,
    };
  } finally {
    h.close();
    fs.rmSync(home, { recursive: true, force: true });
  }
}

/**
 * The main process at scale: `hark serve` with the project open, the grid paged end to end over the
 * WebSocket (sorted by score), plus facets, the Form check and the scored run. Returns its memory
 * (from /proc) and the per-call times the renderer would see.
 */
export async function hostAtScale(build: ScaleBuild, home: string): Promise<{ rssMb: { idle: number; after: number; peak: number }; pageMs: ReturnType<typeof stats>; calls: Record<string, number> }> {
  const { startServe, Client } = await import('./host');
  fs.mkdirSync(home, { recursive: true });
  const srv = await startServe({ home, project: build.dir });
  try {
    const c = await Client.connect(srv.port, srv.token);
    await c.call('app.info', {});
    const idle = srv.memory().rssMb;
    const pages: number[] = [];
    for (let offset = 0; offset < build.clips; offset += 200) {
      const t0 = performance.now();
      const r = await c.call('clips.list', { filter: { scoreRun: build.runId }, sort: 'score', desc: true, offset, limit: 200 });
      pages.push(performance.now() - t0);
      if (!r.ok) throw new Error(`clips.list failed at offset ${offset}: ${r.error.message}`);
    }
    const calls: Record<string, number> = {};
    for (const [m, p] of [['clips.facets', {}], ['form.report', {}], ['runs.get', { runId: build.runId }], ['clips.list', { limit: 5000 }], ['models.list', {}]] as const) {
      const t0 = performance.now();
      const r = await c.call(m, p);
      calls[m] = performance.now() - t0;
      if (!r.ok) throw new Error(`${m} failed: ${r.error.message}`);
    }
    c.close();
    const mem = srv.memory();
    return { rssMb: { idle, after: mem.rssMb, peak: mem.peakMb }, pageMs: stats(pages), calls };
  } finally {
    await srv.stop();
  }
}
