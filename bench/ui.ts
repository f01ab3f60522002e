// Benchmark of the workbench UI in Chromium through the browser host (`hark serve`):
//  - Inspector latency: Enter on a clip in the Clips grid -> waveform, spectrogram and anomaly
//    overlay drawn (wavesurfer 'ready', then the next frame), on a demo project with approach A
//    maps; cold (first visit) and warm (second visit), with the backend calls timed one by one;
//  - Clips grid scrolling with 20,000 clips: frame times from requestAnimationFrame while the
//    grid is scrolled programmatically (steady, fling, jumps), dropped frames, rows still '…'.
// Run: npx tsx bench/ui.ts [--quick] [--demo DIR] [--keep]
// Builds the renderer first when out/renderer is missing or older than src/renderer or src/shared.
// Writes bench/results/ui.json.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import WebSocket from 'ws';
import { decodeMessage, encodeMessage } from '../src/shared/codec';
import { decodeFile } from '../src/main/audio/decode';
import { roleFor } from '../src/main/data/import/entries';
import { sha256File } from '../src/main/data/import/importer';
import type { NewClip, NewFile } from '../src/main/store/clips-repo';
import { Store } from '../src/main/store/store';
import type { Domain, Label, Split } from '../src/shared/domain';

const here = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(here, '..');
const QUICK = process.argv.includes('--quick');
const KEEP = process.argv.includes('--keep');
const argStr = (name: string): string | null => {
  const i = process.argv.indexOf(name);
  return i < 0 ? null : (process.argv[i + 1] ?? null);
};
const CHROMIUM = process.env.HARK_CHROMIUM ?? '/usr/bin/chromium';
// the flags of playwright.config.ts
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const VIEWPORT = { width: 1440, height: 900 };
const BIG_CLIPS = 20_000;
const ROW_H = 28; // ClipsView's row height
const INSPECT_CLIPS = QUICK ? 6 : 20;
const GOAL_MS = 200;
const VALVE = path.resolve(ROOT, '..', 'shared', 'data', 'dcase2023-valve-test', 'valve', 'test');

// ---------- helpers ----------

const quantile = (v: number[], q: number): number => {
  if (!v.length) return NaN;
  const s = [...v].sort((a, b) => a - b);
  const x = (s.length - 1) * q;
  const lo = Math.floor(x);
  return s[lo] + (s[Math.min(s.length - 1, lo + 1)] - s[lo]) * (x - lo);
};
const summary = (v: number[]) => ({ n: v.length, p50: quantile(v, 0.5), p95: quantile(v, 0.95), max: v.length ? Math.max(...v) : NaN, min: v.length ? Math.min(...v) : NaN });
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
function rounded<T>(v: T): T {
  return JSON.parse(JSON.stringify(v, (_k, x: unknown) => (typeof x === 'number' && !Number.isInteger(x) ? round(x) : x))) as T;
}

function newestMtime(dir: string): number {
  let t = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newestMtime(p) : fs.statSync(p).mtimeMs);
  }
  return t;
}

/** Builds the renderer when its output is missing or older than its sources. */
function ensureBuilt(): { rebuilt: boolean } {
  const index = path.join(ROOT, 'out', 'renderer', 'index.html');
  const stale = !fs.existsSync(index) || Math.max(newestMtime(path.join(ROOT, 'src', 'renderer')), newestMtime(path.join(ROOT, 'src', 'shared'))) > fs.statSync(index).mtimeMs;
  if (!stale) return { rebuilt: false };
  console.log('building the renderer (electron-vite build)…');
  const r = spawnSync(path.join(ROOT, 'node_modules', '.bin', 'electron-vite'), ['build'], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`electron-vite build failed (exit ${r.status})`);
  return { rebuilt: true };
}

function hark(args: string[], env: Record<string, string>): void {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'hark.mjs'), ...args], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, ...env }, timeout: 900_000 });
  if (r.status !== 0) throw new Error(`hark ${args.join(' ')} failed (exit ${r.status})`);
}

interface Served {
  url: string;
  wsUrl: string;
  proc: ChildProcess;
}

async function serve(project: string, home: string): Promise<Served> {
  const proc = spawn(process.execPath, [path.join(ROOT, 'bin', 'hark.mjs'), 'serve', '--project', project, '--port', '0'], {
    cwd: ROOT,
    env: { ...process.env, HARK_HOME: home },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`hark serve did not start in 60 s\n${out}\n${err}`)), 60_000);
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /(http:\/\/\S+\?token=\w+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    proc.once('exit', (code) => reject(new Error(`hark serve exited with ${code}\n${out}\n${err}`)));
  });
  const u = new URL(url);
  return { url, wsUrl: `ws://${u.host}/ws?token=${u.searchParams.get('token')}`, proc };
}

async function stop(s: Served): Promise<void> {
  if (s.proc.exitCode !== null) return;
  const exited = new Promise((r) => s.proc.once('exit', r));
  s.proc.kill('SIGTERM');
  await exited;
}

/** A plain contract client over the host's WebSocket, to time backend calls without the renderer. */
class RpcClient {
  private next = 1;
  private pending = new Map<number, { resolve: (v: { value: unknown; bytes: number }) => void; reject: (e: Error) => void }>();
  private constructor(private ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      const msg = decodeMessage(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)) as { id?: number; result?: { ok: boolean; value?: unknown; error?: { message: string } } };
      if (typeof msg.id !== 'number') return;
      const p = this.pending.get(msg.id);
      this.pending.delete(msg.id);
      if (!p) return;
      if (msg.result?.ok) p.resolve({ value: msg.result.value, bytes: data.byteLength });
      else p.reject(new Error(msg.result?.error?.message ?? 'empty reply'));
    });
  }
  static open(url: string): Promise<RpcClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.once('open', () => resolve(new RpcClient(ws)));
      ws.once('error', reject);
    });
  }
  async call<T>(method: string, params: unknown): Promise<{ value: T; ms: number; bytes: number }> {
    const id = this.next++;
    const t0 = performance.now();
    const r = await new Promise<{ value: unknown; bytes: number }>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.ws.send(encodeMessage({ id, method, params }));
    });
    return { value: r.value as T, ms: performance.now() - t0, bytes: r.bytes };
  }
  close(): void {
    this.ws.close();
  }
}

// ---------- projects ----------

/**
 * A 20,000-clip project: one file row per clip (clips of one file need distinct offsets), each a
 * symlink to one of a few real WAV files, inserted through the store's repositories in one transaction.
 */
async function bigProject(dir: string, sources: string[]): Promise<{ files: number; clips: number; buildS: number }> {
  const t0 = performance.now();
  const store = Store.create(dir, 'UI bench: 20,000 clips');
  const links = path.join(dir, 'audio');
  fs.mkdirSync(links);
  const machines = ['fan', 'pump', 'valve', 'bearing', 'gearbox', 'slider', 'ToyCar'];
  const at = new Date().toISOString();
  const meta = await Promise.all(
    sources.map(async (src) => {
      const d = await decodeFile(src);
      return { src, sha256: await sha256File(src), sizeBytes: fs.statSync(src).size, sampleRate: d.sampleRate, channels: d.channels, durationS: d.frames / d.sampleRate, format: `${d.format.container}/${d.format.codec}${d.format.bitsPerSample}` };
    }),
  );
  store.tx(() => {
    for (let k = 0; k < BIG_CLIPS; k++) {
      const m = meta[k % meta.length];
      const machineType = machines[k % machines.length];
      const section = String(Math.floor(k / machines.length) % 6).padStart(2, '0');
      const domain: Domain = k % 5 === 0 ? 'target' : 'source';
      const split: Split = k % 10 < 7 ? 'train' : 'test';
      const label: Label = split === 'test' && k % 2 === 1 ? 'anomaly' : 'normal';
      const name = `section_${section}_${domain}_${split}_${label}_${String(k).padStart(5, '0')}.wav`;
      const link = path.join(links, name);
      fs.symlinkSync(m.src, link);
      const file: NewFile = { path: link, sha256: m.sha256, sizeBytes: m.sizeBytes, sampleRate: m.sampleRate, channels: m.channels, durationS: m.durationS, format: m.format, sourcePackage: 'ui-bench' };
      const clip: NewClip = {
        name,
        machineType,
        section,
        domain,
        split,
        label,
        role: roleFor(split, domain, label),
        offsetS: 0,
        durationS: m.durationS,
        attributes: { speed_level: String(k % 4), mic_position_id: String.fromCharCode(65 + (k % 3)) },
        stats: { rms: 0.1 },
        conversions: {},
      };
      store.clips.upsertFile(file, [clip], at);
    }
  });
  const n = store.clips.count();
  store.close();
  if (n !== BIG_CLIPS) throw new Error(`big project has ${n} clips, expected ${BIG_CLIPS}`);
  return { files: sources.length, clips: n, buildS: (performance.now() - t0) / 1000 };
}

function wavsOf(projectDir: string, limit: number): string[] {
  const store = Store.open(projectDir, { readonly: true });
  try {
    return [...new Set(store.clips.list({ split: 'train' }, 'name', false, 0, 1000).rows.map((r) => r.path))].slice(0, limit);
  } finally {
    store.close();
  }
}

// ---------- in-page scripts (plain strings: the page must not see tsx's helpers) ----------

/** Arms a one-shot timer on the next Enter; resolves in the page once the Inspector drew and a frame passed. */
const ARM_INSPECT = `(() => {
  window.__benchDone = null;
  window.__harkInspectorReady = 0;
  window.__harkInspectorFetchMs = undefined;
  // wavesurfer draws inside a shadow root: look through them
  const deep = (sel, root) => {
    const hit = root.querySelector(sel);
    if (hit) return hit;
    for (const el of root.querySelectorAll('*')) {
      const h = el.shadowRoot && deep(sel, el.shadowRoot);
      if (h) return h;
    }
    return null;
  };
  addEventListener('keydown', (e) => {
    if (e.key !== 'Enter') return;
    const t0 = performance.now();
    const loop = () => {
      const el = document.querySelector('[data-testid="waveform"]');
      if (el && el.getAttribute('data-ready') === '1' && window.__harkInspectorReady > t0) {
        const ready = window.__harkInspectorReady;
        const spec = deep('[data-testid="spectrogram"]', el);
        const map = deep('[data-testid="anomaly-map"]', el);
        requestAnimationFrame(() => {
          window.__benchDone = {
            readyMs: ready - t0,
            paintedMs: performance.now() - t0,
            fetchMs: window.__harkInspectorFetchMs ?? null,
            spectrogram: !!spec && spec.width > 1 && spec.height > 1,
            overlay: !!map && map.style.display !== 'none' && map.width > 1,
          };
        });
        return;
      }
      requestAnimationFrame(loop);
    };
    requestAnimationFrame(loop);
  }, { capture: true, once: true });
})()`;

/** Scroll phases on the clip grid: frame intervals from rAF, placeholder rows on screen, long tasks. */
const SCROLL = (frames: { idle: number; steady: number; fling: number; jump: number }, totalRows: number, rowH: number) => `(async () => {
  const grid = document.querySelector('[data-testid="clip-grid"]');
  const long = [];
  let po = null;
  try {
    po = new PerformanceObserver((l) => { for (const e of l.getEntries()) long.push(e.duration); });
    po.observe({ entryTypes: ['longtask'] });
  } catch (e) {}
  const visibleBlank = () => {
    const top = grid.getBoundingClientRect().top, bottom = grid.getBoundingClientRect().bottom;
    let rows = 0, blank = 0;
    for (const r of grid.querySelectorAll('.vrow[data-index]')) {
      const b = r.getBoundingClientRect();
      if (b.bottom <= top || b.top >= bottom) continue;
      rows++;
      if (r.textContent === '…') blank++;
    }
    return [rows, blank];
  };
  const phase = (n, step) => new Promise((res) => {
    const dt = [];
    let last = null, k = 0, rows = 0, blank = 0;
    const f = (ts) => {
      if (last !== null) dt.push(ts - last);
      last = ts;
      const [r, b] = visibleBlank();
      rows += r; blank += b;
      if (k++ >= n) { res({ dt, rows, blank }); return; }
      step(k);
      requestAnimationFrame(f);
    };
    requestAnimationFrame(f);
  });
  const max = ${totalRows} * ${rowH};
  const idle = await phase(${frames.idle}, () => {});
  grid.scrollTop = 0;
  const steady = await phase(${frames.steady}, () => { grid.scrollTop += 40; });
  const fling = await phase(${frames.fling}, () => { grid.scrollTop += 400; });
  const jump = await phase(${frames.jump}, (k) => { grid.scrollTop = ((k * 7919) % ${totalRows}) * ${rowH}; });
  // after a jump to the far end: time until every row on screen has its data
  grid.scrollTop = max - 10 * ${rowH};
  const t0 = performance.now();
  let settleMs = null;
  for (let i = 0; i < 600; i++) {
    await new Promise((r) => requestAnimationFrame(r));
    const [r, b] = visibleBlank();
    if (r > 0 && b === 0) { settleMs = performance.now() - t0; break; }
  }
  if (po) po.disconnect();
  return { idle, steady, fling, jump, settleMs, longTasks: long, scrollHeight: grid.scrollHeight };
})()`;

// ---------- measurements ----------

/** Polls a page expression (page.evaluate of a string is not subject to the app's CSP; waitForFunction is). */
async function waitFor(page: Page, expr: string, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await page.evaluate(expr))) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${expr}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

interface InspectSample {
  clip: string;
  readyMs: number;
  paintedMs: number;
  fetchMs: number | null;
  spectrogram: boolean;
  overlay: boolean;
}

/** Enter on row i of the Clips grid (split filter applied) and the time until the Inspector drew it. */
async function inspectRow(page: Page, i: number, split: string | null): Promise<InspectSample> {
  await page.getByTestId('nav-clips').click();
  if (split) await page.getByTestId('filter-split').selectOption(split);
  const row = page.locator(`[data-testid="clip-grid"] .vrow[data-index="${i}"]`);
  await row.locator('.c-name').waitFor({ timeout: 30_000 });
  if (split) await waitFor(page, `!!document.querySelector('[data-testid="clip-grid"] .vrow[data-index="${i}"]')?.textContent.includes('${split}')`);
  const name = (await row.locator('.c-name').textContent()) ?? '';
  await row.click();
  await page.evaluate(ARM_INSPECT);
  await page.keyboard.press('Enter');
  await waitFor(page, 'window.__benchDone !== null', 60_000);
  const r = (await page.evaluate('window.__benchDone')) as Omit<InspectSample, 'clip'>;
  const title = (await page.getByTestId('inspector-title').textContent()) ?? '';
  if (title.trim() !== name.trim()) throw new Error(`Inspector shows '${title}' after Enter on '${name}'`);
  return { clip: name, ...r };
}

function inspectSummary(s: InspectSample[]) {
  return {
    readyMs: summary(s.map((x) => x.readyMs)),
    paintedMs: summary(s.map((x) => x.paintedMs)),
    fetchMs: summary(s.map((x) => x.fetchMs ?? NaN).filter(Number.isFinite)),
    drawMs: summary(s.filter((x) => x.fetchMs !== null).map((x) => x.paintedMs - x.fetchMs!)),
    withOverlay: s.filter((x) => x.overlay).length,
    withinGoal: s.filter((x) => x.paintedMs <= GOAL_MS).length,
  };
}

/** Each Inspector backend call alone, over the host's socket, for the given clips (server time + transport). */
async function backendCalls(wsUrl: string, clipIds: number[]) {
  const rpc = await RpcClient.open(wsUrl);
  try {
    const methods = ['clips.get', 'clips.waveform', 'clips.spectrogram', 'clips.anomalyMap'] as const;
    const times: Record<string, number[]> = {};
    const bytes: Record<string, number> = {};
    for (const id of clipIds) {
      for (const m of methods) {
        const r = await rpc.call(m, { clipId: id });
        (times[m] ??= []).push(r.ms);
        bytes[m] = r.bytes;
      }
      const t0 = performance.now();
      await Promise.all(methods.map((m) => rpc.call(m, { clipId: id })));
      (times['all four in parallel (as the Inspector asks)'] ??= []).push(performance.now() - t0);
    }
    const list: number[] = [];
    for (const offset of [0, 5_000, 10_000, 19_800]) list.push((await rpc.call('clips.list', { filter: {}, sort: 'name', desc: false, offset, limit: 200 })).ms);
    return { perMethodMs: Object.fromEntries(Object.entries(times).map(([k, v]) => [k, summary(v)])), replyBytes: bytes, clipsListPage200Ms: summary(list) };
  } finally {
    rpc.close();
  }
}

async function scrollGrid(page: Page, url: string, totalRows: number) {
  await page.goto(url);
  await page.getByTestId('nav-clips').click();
  await waitFor(page, `!!document.querySelector('[data-testid="clips-count"]')?.textContent.includes('${totalRows.toLocaleString('en-US')}')`, 60_000);
  await page.locator('[data-testid="clip-grid"] .vrow[data-index="0"] .c-name').waitFor({ timeout: 30_000 });
  const frames = QUICK ? { idle: 60, steady: 120, fling: 60, jump: 60 } : { idle: 120, steady: 360, fling: 120, jump: 120 };
  const raw = (await page.evaluate(SCROLL(frames, totalRows, ROW_H))) as {
    idle: { dt: number[]; rows: number; blank: number };
    steady: { dt: number[]; rows: number; blank: number };
    fling: { dt: number[]; rows: number; blank: number };
    jump: { dt: number[]; rows: number; blank: number };
    settleMs: number | null;
    longTasks: number[];
    scrollHeight: number;
  };
  const nominal = quantile(raw.idle.dt, 0.5); // the display's frame interval as this Chromium paces it
  const phase = (p: { dt: number[]; rows: number; blank: number }, pxPerFrame: string) => ({
    scroll: pxPerFrame,
    frames: p.dt.length,
    frameMs: summary(p.dt),
    droppedFrames: p.dt.reduce((a, d) => a + Math.max(0, Math.round(d / nominal) - 1), 0),
    slowFrames: p.dt.filter((d) => d > 1.5 * nominal).length,
    placeholderRowShare: p.rows ? p.blank / p.rows : 0,
  });
  return {
    nominalFrameMs: nominal,
    scrollHeightPx: raw.scrollHeight,
    idle: phase(raw.idle, '0 px/frame'),
    steady: phase(raw.steady, `40 px/frame (~${Math.round((40 / nominal) * 1000)} px/s)`),
    fling: phase(raw.fling, '400 px/frame'),
    jump: phase(raw.jump, 'random row each frame (scrollbar drag)'),
    settleAfterJumpToEndMs: raw.settleMs,
    longTasksMs: summary(raw.longTasks),
    longTaskCount: raw.longTasks.length,
  };
}

// ---------- main ----------

async function main(): Promise<void> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hark-bench-ui-'));
  const home = path.join(tmp, 'home');
  const servers: Served[] = [];
  let browser: Browser | null = null;
  try {
    const build = ensureBuilt();
    const demoArg = argStr('--demo');
    const demoOut = demoArg ? path.resolve(demoArg) : path.join(tmp, 'demo');
    const demoProject = path.join(demoOut, 'project');
    let demoBuildS: number | null = null;
    if (!fs.existsSync(path.join(demoProject, 'project.sqlite'))) {
      console.log('building the demo project (fan, bearing, approach A)…');
      const t0 = performance.now();
      hark(['demo', '--out', demoOut, '--scale', '0.05', '--machines', 'fan,bearing', '--approaches', 'A'], { HARK_HOME: home });
      demoBuildS = (performance.now() - t0) / 1000;
    }
    const sources = fs.existsSync(VALVE)
      ? fs.readdirSync(VALVE).filter((f) => f.endsWith('.wav')).sort().slice(0, 8).map((f) => path.join(VALVE, f))
      : wavsOf(demoProject, 8);
    const bigDir = path.join(tmp, 'big');
    const big = await bigProject(bigDir, sources);
    console.log(`big project: ${big.clips} clips on ${big.files} ${fs.existsSync(VALVE) ? 'real DCASE valve' : 'demo'} files in ${big.buildS.toFixed(1)} s`);

    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
    const version = browser.version();

    // Inspector on the demo project: test clips carry approach A's anomaly map
    const demo = await serve(demoProject, home);
    servers.push(demo);
    const page = await (await browser.newContext({ viewport: VIEWPORT })).newPage();
    await page.goto(demo.url);
    const cold: InspectSample[] = [];
    const warm: InspectSample[] = [];
    for (let i = 0; i < INSPECT_CLIPS; i++) cold.push(await inspectRow(page, i, 'test'));
    for (let i = 0; i < INSPECT_CLIPS; i++) warm.push(await inspectRow(page, i, 'test'));
    const rpc = await RpcClient.open(demo.wsUrl);
    const testIds = (await rpc.call<{ rows: { id: number }[] }>('clips.list', { filter: { split: 'test' }, sort: 'name', desc: false, offset: 0, limit: INSPECT_CLIPS })).value.rows.map((r) => r.id);
    rpc.close();
    const demoCalls = await backendCalls(demo.wsUrl, testIds);
    await stop(demo);
    console.log(`inspector (demo, ${INSPECT_CLIPS} clips): cold p50 ${quantile(cold.map((x) => x.paintedMs), 0.5).toFixed(0)} ms p95 ${quantile(cold.map((x) => x.paintedMs), 0.95).toFixed(0)} ms; warm p50 ${quantile(warm.map((x) => x.paintedMs), 0.5).toFixed(0)} ms p95 ${quantile(warm.map((x) => x.paintedMs), 0.95).toFixed(0)} ms`);

    // the 20,000-clip project: grid scrolling, and the Inspector from a large grid
    const bigServed = await serve(bigDir, home);
    servers.push(bigServed);
    const page2 = await (await browser.newContext({ viewport: VIEWPORT })).newPage();
    const grid = await scrollGrid(page2, bigServed.url, BIG_CLIPS);
    console.log(
      `grid (20,000 clips): nominal frame ${grid.nominalFrameMs.toFixed(1)} ms; steady p50 ${grid.steady.frameMs.p50.toFixed(1)} p95 ${grid.steady.frameMs.p95.toFixed(1)} max ${grid.steady.frameMs.max.toFixed(1)} ms, dropped ${grid.steady.droppedFrames}/${grid.steady.frames}; fling dropped ${grid.fling.droppedFrames}/${grid.fling.frames}; jump dropped ${grid.jump.droppedFrames}/${grid.jump.frames}`,
    );
    await page2.goto(bigServed.url);
    const bigInspect: InspectSample[] = [];
    for (let i = 0; i < Math.min(INSPECT_CLIPS, 8); i++) bigInspect.push(await inspectRow(page2, i * 3, null));
    const bigRpc = await RpcClient.open(bigServed.wsUrl);
    const bigIds = (await bigRpc.call<{ rows: { id: number }[] }>('clips.list', { filter: {}, sort: 'name', desc: false, offset: 0, limit: 8 })).value.rows.map((r) => r.id);
    bigRpc.close();
    const bigCalls = await backendCalls(bigServed.wsUrl, bigIds);
    await stop(bigServed);

    const result = {
      name: 'ui',
      date: new Date().toISOString(),
      machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model.trim(), node: process.version, loadavg: os.loadavg(), chromium: version },
      setup: {
        quick: QUICK,
        viewport: VIEWPORT,
        rendererRebuilt: build.rebuilt,
        demo: { project: demoArg ? demoProject : 'built in a temporary folder', buildS: demoBuildS, command: 'hark demo --scale 0.05 --machines fan,bearing --approaches A' },
        big: { clips: big.clips, files: big.files, insertS: big.buildS },
        goalMs: GOAL_MS,
      },
      inspector: {
        what: 'Enter on a test clip in the Clips grid -> wavesurfer ready with spectrogram and overlay canvases drawn, then one more frame (paintedMs); fetchMs = the four backend calls as the Inspector makes them',
        demoCold: inspectSummary(cold),
        demoWarm: inspectSummary(warm),
        bigProject: inspectSummary(bigInspect),
        samples: { cold, warm, big: bigInspect },
      },
      backend: { demo: demoCalls, bigProject: bigCalls },
      grid,
    };
    const outDir = path.join(ROOT, 'bench', 'results');
    fs.mkdirSync(outDir, { recursive: true });
    fs.writeFileSync(path.join(outDir, 'ui.json'), JSON.stringify(rounded(result), null, 1) + '\n');
    console.log('wrote bench/results/ui.json');
  } finally {
    await browser?.close();
    for (const s of servers) await stop(s).catch(() => undefined);
    if (KEEP) console.log(`kept ${tmp}`);
    else fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
  process.exit(1);
});
