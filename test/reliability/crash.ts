// Crash harness: runs import, encoding, fitting and scoring jobs in a child process, SIGKILLs it at
// random moments inside the stage under test, then checks that the store opens, passes SQLite's
// integrity check and the project's consistency check, and that the job run again ends with exactly
// the result of an uninterrupted run.
//
// Resumption: import skips the files whose batch committed (real resume, counted); encoding reads
// every clip encoded before the kill from the embedding cache (real resume, counted); fitting and
// scoring are re-run from the start (evaluation writes detector, run, scores and maps in one
// transaction, so a killed evaluation leaves nothing behind and the re-run gives identical numbers).
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadDetectorState } from '../../src/main/eval/ensemble';
import type { FeatureRequest } from '../../src/main/approaches/types';
import { generateDataset } from '../../src/main/data/generator';
import { checkConsistency, type ConsistencyProblem } from '../../src/main/store/consistency';
import type { Db } from '../../src/main/store/db';
import { Store } from '../../src/main/store/store';

export const ENCODE_REQUEST: FeatureRequest = { kind: 'patches', encoder: 'fbank_patch', layers: [1, 2] };
/** files per import transaction in the child: small, so kills land between and inside commits */
export const IMPORT_BATCH = 4;

const HERE = path.dirname(fileURLToPath(import.meta.url));
const CHILD = path.join(HERE, 'crash-child.ts');

export type CrashKind = 'import' | 'encode' | 'fit' | 'score';

// ---------- child processes ----------

interface Mark {
  name: string;
  /** ms since the child started its job (child clock) */
  childMs: number;
  /** performance.now() in this process when the line arrived */
  at: number;
}

interface ChildHandle {
  proc: ChildProcess;
  marks: Mark[];
  /** the child's "= {json}" result line */
  result: () => unknown;
  waitMark: (name: string) => Promise<Mark | null>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

function startChild(args: string[], env: Record<string, string> = {}): ChildHandle {
  const proc = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const marks: Mark[] = [];
  let result: unknown = undefined;
  let stderr = '';
  let buf = '';
  const waiters: { name: string; resolve: (m: Mark | null) => void }[] = [];
  proc.stdout!.setEncoding('utf8');
  proc.stdout!.on('data', (chunk: string) => {
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line.startsWith('@ ')) {
        const [, name, ms] = line.split(' ');
        const m = { name, childMs: Number(ms), at: performance.now() };
        marks.push(m);
        for (const w of waiters.filter((w) => w.name === name)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(m);
        }
      } else if (line.startsWith('= ')) result = JSON.parse(line.slice(2));
    }
  });
  proc.stderr!.setEncoding('utf8');
  proc.stderr!.on('data', (c: string) => (stderr += c));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) =>
    proc.once('exit', (code, signal) => {
      for (const w of waiters.splice(0)) w.resolve(null);
      resolve({ code, signal, stderr });
    }),
  );
  return {
    proc,
    marks,
    result: () => result,
    exit,
    waitMark: (name) => {
      const seen = marks.find((m) => m.name === name);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve) => waiters.push({ name, resolve }));
    },
  };
}

async function runToEnd(args: string[], env: Record<string, string> = {}): Promise<{ marks: Mark[]; result: unknown }> {
  const c = startChild(args, env);
  const e = await c.exit;
  if (e.code !== 0) throw new Error(`crash-child ${args.join(' ')} failed (exit ${e.code ?? e.signal}): ${e.stderr.slice(-2000)}`);
  return { marks: c.marks, result: c.result() };
}

// ---------- projects ----------

export function copyProject(from: string, to: string): void {
  fs.rmSync(to, { recursive: true, force: true });
  fs.mkdirSync(to, { recursive: true });
  for (const f of fs.readdirSync(from)) if (f.startsWith('project.sqlite')) fs.copyFileSync(path.join(from, f), path.join(to, f));
}

const sha = (x: string | Buffer) => createHash('sha256').update(x).digest('hex');

/** Everything an import stores, independent of row ids and import times. */
export function importDigest(db: Db): string {
  const files = db.prepare('SELECT path, sha256, size_bytes, sample_rate, channels, duration_s, format, source_package FROM files ORDER BY path').raw().all();
  const clips = db
    .prepare(
      `SELECT f.path, c.name, c.machine_type, c.section, c.domain, c.split, c.label, c.role, c.offset_s, c.duration_s, c.attributes, c.stats, c.conversions
       FROM clips c JOIN files f ON f.id = c.file_id ORDER BY f.path, c.offset_s`,
    )
    .raw()
    .all();
  return sha(JSON.stringify({ files, clips }));
}

/** Every cached embedding, bytes included. */
export function embeddingsDigest(db: Db): { entries: number; digest: string } {
  const h = createHash('sha256');
  let entries = 0;
  for (const r of db.prepare('SELECT sha256, offset_s, encoder_id, encoder_version, layer, kind, shape, data FROM embeddings ORDER BY sha256, offset_s, encoder_id, layer, kind').raw().iterate() as Iterable<unknown[]>) {
    h.update(JSON.stringify(r.slice(0, 7)));
    h.update(r[7] as Buffer);
    entries++;
  }
  return { entries, digest: h.digest('hex') };
}

/** Scores, maps and the detector of each finished evaluation run, keyed by clip name, bytes included. */
export function evalDigests(db: Db): { runId: number; section: string; scores: number; digest: string }[] {
  const runs = db.prepare("SELECT r.id, r.detector_id, r.params FROM runs r WHERE r.kind = 'eval' AND r.state = 'done' ORDER BY r.id").all() as { id: number; detector_id: number; params: string }[];
  return runs.map((r) => {
    const h = createHash('sha256');
    const scores = db.prepare('SELECT c.name, s.score, s.parts FROM scores s JOIN clips c ON c.id = s.clip_id WHERE s.run_id = ? ORDER BY c.name').raw().all(r.id);
    h.update(JSON.stringify(scores));
    for (const m of db.prepare('SELECT c.name, m.geometry, m.data, m.layers FROM anomaly_maps m JOIN clips c ON c.id = m.clip_id WHERE m.run_id = ? ORDER BY c.name').raw().iterate(r.id) as Iterable<[string, string, Buffer, Buffer | null]>) {
      h.update(m[0] + m[1]);
      h.update(m[2]);
      if (m[3]) h.update(m[3]);
    }
    const d = db.prepare('SELECT approach, machine_type, section, config, state_json FROM detectors WHERE id = ?').raw().get(r.detector_id) as string[];
    // wall-clock durations (C's training.seconds) and where a resumed fit started are the parts of a state that may differ
    h.update(JSON.stringify([...d.slice(0, 4), JSON.parse(d[4], (k, v: unknown) => (k === 'seconds' || k === 'resumedFrom' || /Ms$/.test(k) ? undefined : v))]));
    for (const b of db.prepare('SELECT name, data FROM detector_blobs WHERE detector_id = ? ORDER BY name').raw().iterate(r.detector_id) as Iterable<[string, Buffer]>) {
      h.update(b[0]);
      h.update(b[1]);
    }
    const p = JSON.parse(r.params) as { machineType: string; section: string };
    return { runId: r.id, section: `${p.machineType}/${p.section}`, scores: scores.length, digest: h.digest('hex') };
  });
}

/** Opens the store as the app would and runs every check; returns the problems (none expected). */
export function checkAfterCrash(dir: string): { problems: ConsistencyProblem[]; integrity: string } {
  const store = Store.open(dir); // quick_check and migrations: throws when the store cannot be opened
  try {
    const integrity = String(store.db.pragma('integrity_check', { simple: true }));
    const rep = checkConsistency(store.db, { loadDetector: (d) => void loadDetectorState(d.approach, { json: d.json as Record<string, unknown>, blobs: d.blobs }) });
    return { problems: rep.problems, integrity };
  } finally {
    store.close();
  }
}

// ---------- the campaign ----------

export interface CrashConfig {
  workDir: string;
  /** kills per job kind */
  kills: number;
  /** generator scale of the one-machine package (0.05: 74 clips, C's 50 source normals) */
  scale: number;
  seed: number;
  /** approach whose fit is killed, and whose scoring is killed */
  fitApproach: 'A' | 'B' | 'C';
  scoreApproach: 'A' | 'B' | 'C';
  /** approach config overrides, e.g. fewer episodes of C for the quick suite */
  configs?: Record<string, Record<string, unknown>>;
  log?: (line: string) => void;
}

export interface KillRecord {
  /** 'time': SIGKILL from this process at a random moment of the stage; 'write': the child SIGKILLs itself at a random row of the save transaction */
  how: 'time' | 'write';
  /** ms into the stage (time) or the row number (write) */
  at: number;
  /** what the store held right after the kill */
  kept: number;
  /** what the run after the kill took from earlier work (files skipped / clips read from the cache) */
  resumed: number;
}

export interface KindFigures {
  kind: CrashKind;
  approach?: string;
  kills: number;
  /** attempts in which the job finished before the kill landed (not counted as kills) */
  missed: number;
  stageMs: number;
  resumption: 'resume' | 're-run';
  records: KillRecord[];
  /** every kill: store opened, integrity ok, consistency ok, resumed result identical */
  allPassed: boolean;
  failures: string[];
}

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    s ^= s + Math.imul(s ^ (s >>> 7), 61);
    return ((s ^ (s >>> 14)) >>> 0) / 2 ** 32;
  };
}

function countRows(dir: string, sql: string): number {
  const s = Store.open(dir, { readonly: true });
  try {
    return (s.db.prepare(sql).raw().get() as [number])[0];
  } finally {
    s.close();
  }
}

export interface Prepared {
  data: string;
  empty: string;
  imported: string;
  encoded: string;
  importRef: string;
  encodeRef: { digest: string; entries: number; stageMs: number };
  importStageMs: number;
}

/** The package, and the empty / imported / encoded projects every kind starts from. */
export async function prepareCrash(cfg: CrashConfig): Promise<Prepared> {
  fs.mkdirSync(cfg.workDir, { recursive: true });
  const log = cfg.log ?? (() => undefined);
  const data = path.join(cfg.workDir, 'data');
  await generateDataset({ out: data, scale: cfg.scale, seed: cfg.seed, machines: ['fan'] });
  const empty = path.join(cfg.workDir, 'empty');
  fs.rmSync(empty, { recursive: true, force: true });
  Store.create(empty, 'crash').close();
  const imported = path.join(cfg.workDir, 'imported');
  copyProject(empty, imported);
  const imp = await runToEnd(['import', imported, data]);
  const importStageMs = stageMs(imp.marks, 'tx:end', 'end');
  const encoded = path.join(cfg.workDir, 'encoded');
  copyProject(imported, encoded);
  const enc = await runToEnd(['encode', encoded]);
  const s = Store.open(encoded, { readonly: true });
  const importRef = importDigest(s.db);
  const e = embeddingsDigest(s.db);
  s.close();
  log(`prepared: ${countRows(imported, 'SELECT COUNT(*) FROM clips')} clips; import ${importStageMs.toFixed(0)} ms, encode ${stageMs(enc.marks, 'start', 'end').toFixed(0)} ms`);
  return { data, empty, imported, encoded, importRef, encodeRef: { ...e, stageMs: stageMs(enc.marks, 'clip:1', 'end') }, importStageMs };
}

function stageMs(marks: Mark[], from: string, to: string): number {
  const a = marks.find((m) => m.name === from);
  const b = marks.find((m) => m.name === to);
  if (!a || !b) throw new Error(`crash-child never marked ${!a ? from : to}`);
  return b.childMs - a.childMs;
}

/** One kill: start the job, SIGKILL it `delay` ms after `from` is marked; false when it finished first. */
async function killAfter(args: string[], from: string, delay: number, env: Record<string, string> = {}): Promise<boolean> {
  const c = startChild(args, env);
  const m = await c.waitMark(from);
  if (m) {
    const wait = Math.max(0, m.at + delay - performance.now());
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([new Promise((r) => (timer = setTimeout(r, wait))), c.exit]);
    clearTimeout(timer);
    if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
  }
  const e = await c.exit;
  if (e.signal === 'SIGKILL') return true;
  if (e.code !== 0) throw new Error(`crash-child ${args.join(' ')} failed before the kill (exit ${e.code}): ${e.stderr.slice(-2000)}`);
  return false;
}

export async function crashKind(kind: CrashKind, cfg: CrashConfig, prep: Prepared): Promise<KindFigures> {
  const log = cfg.log ?? (() => undefined);
  const rand = rng(cfg.seed * 31 + ['import', 'encode', 'fit', 'score'].indexOf(kind));
  const approach = kind === 'fit' ? cfg.fitApproach : kind === 'score' ? cfg.scoreApproach : undefined;
  const env: Record<string, string> = cfg.configs ? { HARK_CRASH_CONFIG: JSON.stringify(cfg.configs) } : {};
  const trial = path.join(cfg.workDir, `trial-${kind}`);
  // C trains in episodes and checkpoints into the store: its fit resumes; A and B fit in one step and re-run
  const resumes = kind === 'import' || kind === 'encode' || (kind === 'fit' && approach === 'C');
  const fig: KindFigures = { kind, approach, kills: 0, missed: 0, stageMs: 0, resumption: resumes ? 'resume' : 're-run', records: [], allPassed: true, failures: [] };
  const fail = (msg: string) => {
    fig.allPassed = false;
    fig.failures.push(msg);
    log(`  FAIL ${msg}`);
  };

  // the reference: an uninterrupted run of the same job on the same starting store
  let base: string, args: string[], from: string, to: string;
  let refEval: { section: string; digest: string }[] = [];
  let writes = 0;
  if (kind === 'import') {
    base = prep.empty;
    args = ['import', trial, prep.data];
    [from, to] = ['tx:end', 'end']; // from the first committed batch on, so every kill has work to keep
    fig.stageMs = prep.importStageMs;
  } else if (kind === 'encode') {
    base = prep.imported;
    args = ['encode', trial];
    [from, to] = ['clip:1', 'end'];
    fig.stageMs = prep.encodeRef.stageMs;
  } else {
    base = prep.encoded;
    args = ['eval', trial, approach!];
    copyProject(base, trial);
    const ref = await runToEnd(args, env);
    const s = Store.open(trial, { readonly: true });
    refEval = evalDigests(s.db);
    writes = 3 + (s.db.prepare('SELECT COUNT(*) FROM anomaly_maps').raw().get() as [number])[0] + 1;
    s.close();
    [from, to] = kind === 'fit' ? ['fit:start', 'fit:end'] : ['score:start', 'end'];
    fig.stageMs = stageMs(ref.marks, from, to);
  }

  for (let attempt = 0; fig.kills < cfg.kills && attempt < cfg.kills * 4; attempt++) {
    copyProject(base, trial);
    // scoring: every other kill lands inside the save transaction, at a random row
    const how: KillRecord['how'] = kind === 'score' && fig.kills % 2 === 1 ? 'write' : 'time';
    const at = how === 'write' ? 1 + Math.floor(rand() * writes) : rand() * fig.stageMs;
    const killed = how === 'write' ? await killAfter(args, 'start', 1e9, { ...env, HARK_CRASH_AT_WRITE: String(at) }) : await killAfter(args, from, at, env);
    if (!killed) {
      fig.missed++;
      continue;
    }
    fig.kills++;
    const label = `${kind}${approach ? ` ${approach}` : ''} kill ${fig.kills} (${how} ${how === 'time' ? `${at.toFixed(0)} ms` : `row ${at}`})`;
    let kept = 0;
    try {
      const chk = checkAfterCrash(trial);
      if (chk.integrity !== 'ok') fail(`${label}: integrity_check says ${chk.integrity}`);
      if (chk.problems.length) fail(`${label}: consistency: ${chk.problems.map((p) => p.message).join('; ')}`);
      kept =
        kind === 'import'
          ? countRows(trial, 'SELECT COUNT(*) FROM files')
          : kind === 'encode'
            ? countRows(trial, "SELECT COUNT(DISTINCT sha256 || offset_s) FROM embeddings WHERE encoder_id = 'fbank_patch'")
            : kind === 'fit' && approach === 'C'
              ? countRows(trial, "SELECT COALESCE(MAX(json_extract(state_json, '$.episodesDone')), 0) FROM checkpoints")
              : countRows(trial, "SELECT COUNT(*) FROM runs WHERE state = 'done'");
    } catch (e) {
      fail(`${label}: the store does not open: ${(e as Error).message}`);
      fig.records.push({ how, at, kept: -1, resumed: -1 });
      continue;
    }
    // run the job again to the end and compare with the reference
    const again = await runToEnd(args, env);
    let resumed = 0;
    const s = Store.open(trial, { readonly: true });
    try {
      if (kind === 'import') {
        resumed = (again.result as { unchanged: number }).unchanged;
        if (importDigest(s.db) !== prep.importRef) fail(`${label}: the resumed import differs from an uninterrupted one`);
        if (resumed !== kept) fail(`${label}: the resumed import skipped ${resumed} files, ${kept} were stored before the kill`);
      } else if (kind === 'encode') {
        resumed = (again.result as { cached: number }).cached;
        const e = embeddingsDigest(s.db);
        if (e.digest !== prep.encodeRef.digest) fail(`${label}: the resumed encoding differs from an uninterrupted one (${e.entries} vs ${prep.encodeRef.entries} entries)`);
        if (resumed !== kept) fail(`${label}: the resumed encoding read ${resumed} clips from the cache, ${kept} were cached before the kill`);
      } else {
        const got = evalDigests(s.db);
        const done = fig.resumption === 'resume' ? 0 : kept; // runs that had committed before the kill
        if (fig.resumption === 'resume') {
          resumed = (s.db.prepare("SELECT json_extract(state_json, '$.training.resumedFrom') FROM detectors ORDER BY id DESC LIMIT 1").raw().get() as [number])[0];
          if (resumed !== kept) fail(`${label}: the fit resumed from episode ${resumed}, the checkpoint held ${kept}`);
          if (countRows(trial, 'SELECT COUNT(*) FROM checkpoints') !== 0) fail(`${label}: a checkpoint is left after the fit finished`);
        }
        if (got.length < done + 1) fail(`${label}: expected ${done + 1} finished run(s) after the re-run, found ${got.length}`);
        for (const g of got) {
          const r = refEval.find((x) => x.section === g.section);
          if (!r || r.digest !== g.digest) fail(`${label}: run ${g.runId} (${g.section}) differs from the uninterrupted run`);
        }
      }
      const left = checkConsistency(s.db);
      if (left.problems.length) fail(`${label}: after the re-run: ${left.problems.map((p) => p.message).join('; ')}`);
    } finally {
      s.close();
    }
    fig.records.push({ how, at, kept, resumed });
    log(`  ${label}: kept ${kept}, resumed ${resumed}`);
  }
  if (fig.kills < cfg.kills) fail(`only ${fig.kills} of ${cfg.kills} kills landed in ${cfg.kills * 4} attempts`);
  fs.rmSync(trial, { recursive: true, force: true });
  return fig;
}

export async function crashCampaign(cfg: CrashConfig, kinds: CrashKind[] = ['import', 'encode', 'fit', 'score']): Promise<KindFigures[]> {
  const prep = await prepareCrash(cfg);
  const out: KindFigures[] = [];
  for (const k of kinds) out.push(await crashKind(k, cfg, prep));
  return out;
}
