// The heavy reliability runs behind issue 11, writing bench/results/reliability.json:
//   crash     20 SIGKILLs per job kind (import, encode, fit C, score A), each followed by open + checks + resume
//   bad       the bad-input corpus, and the 2 h recording's import time and peak memory in its own process
//   host      10,000 fuzzed requests x 3 seeds and 2,000 raw HTTP requests against `hark serve`
//   scale     a 20,000-clip project (2,000 real files): import throughput, size per clip, grid times, host memory
//   longrun   one DCASE-size machine type (1,300 clips) fitted and scored by A, B and C three times in one process
// Run: npx tsx test/reliability/run.ts [--quick] [--only crash,bad,host,scale,longrun] [--work DIR]
// --quick uses the unit suite's sizes (3 kills per kind, 150 real files, scale 0.1 long run).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { listDcase } from '../../src/main/data/import/dcase';
import { importListing } from '../../src/main/data/import/importer';
import { Store } from '../../src/main/store/store';
import { goodWav, TWO_HOURS_S, writeLongWav } from '../fixtures/bad/make';
import { crashCampaign } from './crash';
import { BENCH_FILE, machine, ROOT } from './figures';
import { Client, fuzzHttp, runFuzz, startServe } from './host';
import { longRun, longRunProject } from './longrun';
import { buildScaleProject, hostAtScale, timeGrid } from './scale';

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, only: { type: 'string' }, work: { type: 'string' } }, strict: true });
const quick = values.quick!;
const only = new Set((values.only ?? 'crash,bad,host,scale,longrun').split(','));
const work = values.work ? path.resolve(values.work) : fs.mkdtempSync(path.join(os.tmpdir(), 'hark-reliability-'));
fs.mkdirSync(work, { recursive: true });
const log = (s: string) => process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${s}\n`);

// keep the other sections' figures when only some are run again
const results: Record<string, unknown> = fs.existsSync(BENCH_FILE) ? (JSON.parse(fs.readFileSync(BENCH_FILE, 'utf8')) as Record<string, unknown>) : {};
const save = () => {
  results.bench = 'reliability';
  results.date = new Date().toISOString();
  results.quick = quick;
  results.machine = machine();
  results.notes = [
    'crash: SIGKILL from the parent at a uniform random moment of the stage (import: after the first commit; encode: after the first clip; fit: fit start to end; score: score start to exit), and for scoring every other kill by the child itself at a random row of the save transaction',
    'crash resumption: import skips committed files and encoding reads cached clips (real resume, counted); C fits resume from their stored checkpoint (episodes counted); A scoring re-runs (nothing half-saved) to bit-identical scores, maps and detector',
    'bad: the committed corpus (test/fixtures/bad) plus runtime cases; twoHours = a 7200 s 16 kHz mono PCM16 file imported in its own process (peak RSS from /proc VmHWM)',
    'host: `hark serve` in its own process; fuzz cases are generated from the contract schemas (z.toJSONSchema) and mutated; memory from /proc',
    'scale: real files imported with importListing, the rest of the 20,000 rows through ClipsRepo.upsertFile with the generator plan\'s names, roles and attributes; grid = clips.list through the backend (every sort both ways, 8 filters, first/middle/last pages)',
    'longrun: rounds of runEvaluation A, B, C on one machine type in one process with --expose-gc; RSS after a full GC; ONNX sessions counted by wrapping InferenceSession.create/release',
  ];
  fs.mkdirSync(path.dirname(BENCH_FILE), { recursive: true });
  fs.writeFileSync(BENCH_FILE, JSON.stringify(results, null, 1) + '\n');
};

async function crash(): Promise<void> {
  const kills = quick ? 3 : 20;
  log(`crash: ${kills} kills per job kind`);
  const t0 = performance.now();
  const figs = await crashCampaign({ workDir: path.join(work, 'crash'), kills, scale: 0.05, seed: 3, fitApproach: 'C', scoreApproach: 'A', configs: quick ? { C: { episodes: 150 } } : undefined, log });
  results.crash = {
    killsPerKind: kills,
    seconds: (performance.now() - t0) / 1000,
    allPassed: figs.every((f) => f.allPassed),
    kinds: figs.map((f) => ({
      kind: f.kind,
      approach: f.approach,
      kills: f.kills,
      missed: f.missed,
      resumption: f.resumption,
      stageMs: f.stageMs,
      killsInsideSaveTransaction: f.records.filter((r) => r.how === 'write').length,
      keptAtKill: { min: Math.min(...f.records.map((r) => r.kept)), max: Math.max(...f.records.map((r) => r.kept)) },
      resumedWork: f.records.reduce((n, r) => n + r.resumed, 0),
      failures: f.failures,
    })),
  };
  save();
}

async function bad(): Promise<void> {
  log('bad: corpus import and the 2 h recording');
  const dir = path.join(work, 'bad');
  fs.mkdirSync(dir, { recursive: true });
  const wav = path.join(dir, 'two_hours.wav');
  writeLongWav(wav, TWO_HOURS_S);
  fs.writeFileSync(path.join(dir, 'tiny.wav'), goodWav(1, 1));
  const script = `
    const { Store } = await import(${JSON.stringify(path.join(ROOT, 'src/main/store/store.ts'))});
    const { importListing } = await import(${JSON.stringify(path.join(ROOT, 'src/main/data/import/importer.ts'))});
    const fs = await import('node:fs');
    const s = Store.create(${JSON.stringify(path.join(dir, 'project'))});
    const t0 = performance.now();
    const r = await importListing(s, { problems: [], entries: [{ path: ${JSON.stringify(wav)}, machineType: 'fan', section: '00', domain: 'source', split: 'train', label: 'normal', role: 'source_normal', attributes: {}, sourcePackage: 'bad' }] });
    const seconds = (performance.now() - t0) / 1000;
    const hwm = Number(/VmHWM:\\s+(\\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1]) / 1024;
    console.log(JSON.stringify({ imported: r.imported, clips: r.clipsAdded, seconds, peakRssMb: hwm }));`;
  fs.rmSync(path.join(dir, 'project'), { recursive: true, force: true });
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', cwd: ROOT });
  if (r.status !== 0) throw new Error(`2 h import failed: ${r.stderr}`);
  const two = JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, number>;
  const fileMb = fs.statSync(wav).size / 2 ** 20;
  fs.rmSync(wav);
  // the corpus through the unit test (it is the specification); its figures land in test-results/reliability
  const v = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'vitest', 'vitest.mjs'), 'run', 'test/unit/reliability-bad-input.test.ts'], { encoding: 'utf8', cwd: ROOT, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } });
  const passed = /Tests\s+(\d+) passed/.exec(v.stdout)?.[1];
  results.badInput = { corpusTests: Number(passed ?? 0), corpusPassed: v.status === 0, twoHours: { ...two, fileMb, peakOverFile: two.peakRssMb / fileMb } };
  save();
}

async function host(): Promise<void> {
  const seeds = quick ? [2026] : [2026, 7, 99];
  log(`host: ${seeds.length} x 10,000 fuzzed requests and raw HTTP`);
  const dir = path.join(work, 'host');
  fs.rmSync(dir, { recursive: true, force: true });
  const pkg = path.join(dir, 'pkg');
  for (let i = 0; i < 6; i++) {
    const split = i < 3 ? 'train' : 'test';
    const f = path.join(pkg, 'fan', split, `section_00_source_${split}_${i % 2 ? 'anomaly' : 'normal'}_000${i}_a_${i % 3}.wav`);
    fs.mkdirSync(path.dirname(f), { recursive: true });
    fs.writeFileSync(f, goodWav(1, i + 1, 300 + 50 * i));
  }
  const project = path.join(dir, 'project');
  const store = Store.create(project, 'fuzz');
  await importListing(store, listDcase(pkg));
  const clipIds = store.clips.list({}, 'id', false, 0, 100).rows.map((r) => r.id);
  store.close();
  fs.mkdirSync(path.join(dir, 'sandbox'));
  const srv = await startServe({ home: path.join(dir, 'home'), project });
  try {
    const memory: { afterRequests: number; rssMb: number; peakMb: number }[] = [{ afterRequests: 0, ...srv.memory() }];
    const runs = [];
    let sent = 0;
    for (const seed of seeds) {
      const c = await Client.connect(srv.port, srv.token);
      const f = await runFuzz(c, { count: 10_000, seed, ctx: { sandbox: path.join(dir, 'sandbox'), clipIds }, project });
      c.close();
      sent += f.requests;
      memory.push({ afterRequests: sent, ...srv.memory() });
      runs.push({ seed, seconds: f.seconds, byKind: f.byKind, answered: f.answered, validationMismatches: f.validationMismatches, internalErrors: f.internalErrors, unanswered: f.unanswered });
      log(`  seed ${seed}: ${f.answered}/${f.requests} answered, ${f.internalErrors.length} internal errors, ${f.validationMismatches.length} mismatches, host RSS ${srv.memory().rssMb.toFixed(0)} MB`);
    }
    const http = await fuzzHttp(srv.port, quick ? 500 : 2000, 11);
    results.host = { fuzz: runs, http, hostMemoryMb: memory, aliveAtEnd: srv.alive() };
  } finally {
    await srv.stop();
  }
  save();
}

async function scale(): Promise<void> {
  const realFiles = quick ? 150 : 2000;
  log(`scale: 20,000 clips, ${realFiles} real files`);
  const build = await buildScaleProject(path.join(work, 'scale'), { clips: 20_000, realFiles, log });
  const grid = await timeGrid(build.dir, build.runId, quick ? 1 : 3);
  const hostFig = await hostAtScale(build, path.join(work, 'scale', 'home'));
  results.scale = { build: { ...build, dir: undefined }, gridMs: grid, host: hostFig };
  save();
}

async function longrun(): Promise<void> {
  const s = quick ? 0.1 : 1;
  log(`longrun: one machine type at scale ${s}, A, B, C, 3 rounds`);
  const p = await longRunProject(path.join(work, 'longrun'), s);
  const t0 = performance.now();
  const rounds = await longRun(p.dir, 3, ['A', 'B', 'C'], quick ? { C: { episodes: 200 } } : undefined);
  const first = rounds[1];
  results.longrun = {
    clips: p.clips,
    seconds: (performance.now() - t0) / 1000,
    rounds,
    rssGrowthAfterFirstRoundMb: rounds.slice(2).map((r) => r.rssMb - first.rssMb),
    heapGrowthAfterFirstRoundMb: rounds.slice(2).map((r) => r.heapMb - first.heapMb),
    sessionsAliveAfterRelease: rounds.map((r) => r.liveSessions),
  };
  save();
}

const steps: [string, () => Promise<void>][] = [
  ['crash', crash],
  ['bad', bad],
  ['host', host],
  ['scale', scale],
  ['longrun', longrun],
];
for (const [name, fn] of steps) {
  if (!only.has(name)) continue;
  const t0 = performance.now();
  await fn();
  log(`${name} done in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
}
log(`wrote ${path.relative(ROOT, BENCH_FILE)}; work folder ${work}`);
if (!values.work) fs.rmSync(work, { recursive: true, force: true });
process.exit(0); // worker threads of ONNX Runtime and libsamplerate must not keep the script alive
