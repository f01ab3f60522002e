// Benchmark of approach C: meta-training time per 100 episodes (256-dim input), adaptation +
// scoring time for 200 clips, and quality of C's scoring variants next to the untrained network
// and approach B on (1) metadata-structured synthetic features, (2) real DCASE 2023 valve clips
// (task 'pat'), (3) opt-in: the project's generator (all machine types, logmel_stats features).
// Run: npx tsx bench/approach-c.ts [--quick] [--no-real] [--generator[=scale]]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { adaptC, approachC, C_DEFAULTS, parseCConfig, type AdaptOptions, type CConfig, type CState } from '../src/main/approaches/c';
import { makeSyntheticMachine, type SynthClip } from '../src/main/approaches/c/synthetic';
import { approachB } from '../src/main/approaches/b';
import { createRng } from '../src/main/approaches/common';
import type { ClipFeatures, FitSet } from '../src/main/approaches/types';
import { decodeFile, toMono } from '../src/main/audio/decode';
import { logmelStats } from '../src/main/audio/logmel';
import { parseDcaseName } from '../src/main/data/import/dcase-names';
import { MACHINE_TYPES, planDataset, synthesizeClip } from '../src/main/data/generator';
import { domainAucs, scoreSummary, type ScoredClip, type SectionMetrics } from '../src/shared/metrics';
import type { Domain } from '../src/shared/domain';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..');
const argv = process.argv.slice(2);
const QUICK = argv.includes('--quick');
const NO_REAL = argv.includes('--no-real');
const genArg = argv.find((a) => a.startsWith('--generator'));
const GEN_SCALE = genArg ? Number(genArg.split('=')[1] ?? 0.5) : null;

const quiet = () => undefined;
const round = (x: number, d = 4) => Math.round(x * 10 ** d) / 10 ** d;
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

/** Scoring variants compared on every data set: [name, adaptation options]. */
const VARIANTS: [string, AdaptOptions][] = [
  ['clips+classes/min-z', { targetPrototypes: 'clips', sourcePrototypes: 'classes', score: 'min-z' }],
  ['clips+clips/min-z', { targetPrototypes: 'clips', sourcePrototypes: 'clips', score: 'min-z' }],
  ['classes+classes/min-z', { targetPrototypes: 'classes', sourcePrototypes: 'classes', score: 'min-z' }],
  ['clips+classes/nearest', { targetPrototypes: 'clips', sourcePrototypes: 'classes', score: 'nearest' }],
  ['clips+classes/lse', { targetPrototypes: 'clips', sourcePrototypes: 'classes', score: 'lse' }],
  ['clips+none/nearest', { targetPrototypes: 'clips', sourcePrototypes: 'none', score: 'nearest' }],
];

interface Truth {
  domain: Domain;
  label: 0 | 1;
}

function metrics(scores: number[], truth: Truth[]): SectionMetrics {
  return domainAucs(truth.map((t, i): ScoredClip => ({ domain: t.domain, label: t.label, score: scores[i] })));
}

type Figures = Pick<SectionMetrics, 'aucSource' | 'aucTarget' | 'pauc'>;

function summary(sections: Figures[]) {
  const s = scoreSummary(sections);
  return { official: round(s.official), aucSource: round(s.hmeanAucSource!), aucTarget: round(s.hmeanAucTarget!), pauc: round(s.hmeanPauc!), sections: sections.length };
}

/**
 * Fits C (and the untrained network, and B) on one section and scores its test clips with every
 * variant; returns per-variant section figures.
 */
async function compare(set: FitSet, test: ClipFeatures[], truth: Truth[], config: CConfig): Promise<{ figures: Record<string, Figures>; state: CState; fitS: number }> {
  const t0 = performance.now();
  const state = await approachC.fit(set, config, quiet);
  const fitS = (performance.now() - t0) / 1000;
  const support = set.normals.filter((c) => c.role === 'target_normal');
  const source = set.normals.filter((c) => c.role === 'source_normal');
  const figures: Record<string, Figures> = {};
  for (const [name, opts] of VARIANTS) {
    const r = await approachC.score(adaptC(state, support, { ...opts, source }), test);
    figures[name] = metrics(r.map((x) => x.score), truth);
  }
  // the same pipeline with the network left at its initialisation: what meta-training adds
  const untrained = await approachC.fit(set, { ...config, episodes: 1, innerLr: 1e-12 }, quiet);
  const u = await approachC.score(adaptC(untrained, support, { source }), test);
  figures['untrained network (default scoring)'] = metrics(u.map((x) => x.score), truth);
  const b = await approachB.fit(set, approachB.parseConfig({}), quiet);
  figures['approach B (defaults)'] = metrics((await approachB.score(b, test)).map((x) => x.score), truth);
  return { figures, state, fitS };
}

function collect(runs: Record<string, Figures>[]): Record<string, ReturnType<typeof summary>> {
  const out: Record<string, ReturnType<typeof summary>> = {};
  for (const k of Object.keys(runs[0])) out[k] = summary(runs.map((r) => r[k]));
  return out;
}

// ------------------------------------------------------------------------------ timing

async function timing() {
  const m = makeSyntheticMachine({ dim: 256, seed: 3, signalDim: 12, nuisanceDim: 48, sourceNormals: 990, targetNormals: 10, testPerGroup: 50 });
  const set: FitSet = { machineType: 'synthetic', section: '00', normals: m.normals, noise: [] };
  const reps = QUICK ? 1 : 3;
  const per100: number[] = [];
  let state: CState | null = null;
  for (let r = 0; r < reps; r++) {
    state = await approachC.fit(set, parseCConfig({ episodes: 100, seed: r }), quiet);
    per100.push(state.training.seconds);
  }
  const support = m.normals.filter((c) => c.role === 'target_normal');
  const source = m.normals.filter((c) => c.role === 'source_normal');
  const adapt: number[] = [];
  const score: number[] = [];
  for (let r = 0; r < (QUICK ? 3 : 10); r++) {
    const t0 = performance.now();
    const s = adaptC(state!, support);
    const t1 = performance.now();
    await approachC.score(s, m.test);
    score.push(performance.now() - t1);
    adapt.push(t1 - t0);
  }
  const t0 = performance.now();
  adaptC(state!, support, { source });
  const adaptWithSource = performance.now() - t0;
  const ser = approachC.serialise(state!);
  const bytes = Object.values(ser.blobs).reduce((a, b) => a + b.byteLength, 0) + JSON.stringify(ser.json).length;
  return {
    input: { dim: 256, sourceNormals: 990, targetNormals: 10, testClips: m.test.length },
    network: { sizes: state!.weights.sizes, params: state!.weights.w.reduce((a, w) => a + w.length, 0) + state!.weights.b.reduce((a, b) => a + b.length, 0) },
    episode: { nWay: C_DEFAULTS.nWay, kShot: C_DEFAULTS.kShot, qQuery: C_DEFAULTS.qQuery, innerSteps: C_DEFAULTS.innerSteps },
    trainSecondsPer100Episodes: { median: round(median(per100), 3), runs: per100.map((x) => round(x, 3)) },
    defaultEpisodes: C_DEFAULTS.episodes,
    adaptMs: { targetOnly: round(median(adapt), 2), withSourceRebuild: round(adaptWithSource, 2) },
    scoreMsFor200Clips: round(median(score), 2),
    adaptPlusScoreMsFor200Clips: round(median(adapt) + median(score), 2),
    stateMB: round(bytes / 2 ** 20, 3),
  };
}

// ------------------------------------------------------------------------------ synthetic quality

async function syntheticQuality() {
  const seeds = QUICK ? [1] : [1, 2, 3];
  const runs: Record<string, Figures>[] = [];
  let fitS = 0;
  for (const seed of seeds) {
    const m = makeSyntheticMachine({ seed });
    const truth = m.test.map((c: SynthClip) => ({ domain: c.truth.domain, label: (c.truth.label === 'anomaly' ? 1 : 0) as 0 | 1 }));
    // 32-dim features: a smaller temperature suits their smaller distances
    const r = await compare({ machineType: 'synthetic', section: '00', normals: m.normals, noise: [] }, m.test, truth, parseCConfig({ temperature: 4, innerLr: 0.1 }));
    runs.push(r.figures);
    fitS += r.fitS;
  }
  return { data: 'makeSyntheticMachine (32 dims: 6 metadata-driven, 12 nuisance), seeds ' + seeds.join(', '), config: { temperature: 4, innerLr: 0.1 }, fitSeconds: round(fitS / seeds.length, 2), results: collect(runs) };
}

// ------------------------------------------------------------------------------ real valve clips

async function realValve() {
  const dir = path.resolve(repoRoot, '..', 'shared', 'data', 'dcase2023-valve-test', 'valve', 'test');
  if (!fs.existsSync(dir)) return { skipped: `${dir} is absent` };
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.wav')).sort();
  const emb = new Map<string, Float32Array>();
  for (const f of files) emb.set(f, logmelStats(toMono(await decodeFile(path.join(dir, f)))));
  const runs: Record<string, Figures>[] = [];
  const splits = QUICK ? 1 : 4;
  for (let split = 0; split < splits; split++) {
    const rng = createRng(split);
    const shuffle = (a: string[]) => {
      const b = [...a];
      for (let i = b.length - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        [b[i], b[j]] = [b[j], b[i]];
      }
      return b;
    };
    const src = shuffle(files.filter((f) => f.includes('_source_test_normal_')));
    const tgt = shuffle(files.filter((f) => f.includes('_target_test_normal_')));
    const support = [...tgt.filter((f) => f.includes('pat_02')).slice(0, 5), ...tgt.filter((f) => f.includes('pat_03')).slice(0, 5)];
    let id = 1;
    const mk = (f: string, role: ClipFeatures['role']): ClipFeatures => ({
      clipId: id++, name: f, section: '00', domain: null, role, attributes: role === 'test' ? {} : parseDcaseName(f)!.attributes, embedding: emb.get(f),
    });
    const normals = [...src.slice(0, 40).map((f) => mk(f, 'source_normal')), ...support.map((f) => mk(f, 'target_normal'))];
    const testFiles = [...src.slice(40), ...tgt.filter((f) => !support.includes(f)), ...files.filter((f) => f.includes('_anomaly_'))];
    const truth = testFiles.map((f) => ({ domain: (f.includes('_source_') ? 'source' : 'target') as Domain, label: (f.includes('_anomaly_') ? 1 : 0) as 0 | 1 }));
    const r = await compare({ machineType: 'valve', section: '00', normals, noise: [] }, testFiles.map((f) => mk(f, 'test')), truth, parseCConfig({ extraTasks: ['pat'], minSourceNormals: 30 }));
    runs.push(r.figures);
  }
  return {
    data: `DCASE 2023 valve test split (real): per split 40 source normals + 10 target normals (5 of pat 02, 5 of pat 03) to fit, the other 150 clips to score; ${splits} random splits; task 'pat' (extraTasks)`,
    results: collect(runs),
  };
}

// ------------------------------------------------------------------------------ generator (opt-in)

async function generator(scale: number) {
  const runs: Record<string, Figures>[] = [];
  const perMachine: Record<string, { fitS: number; results: Record<string, Figures> }> = {};
  for (const machine of MACHINE_TYPES) {
    const { clips } = planDataset({ scale, machines: [machine], sections: 1 });
    const used = clips.filter((c) => c.role === 'source_normal' || c.role === 'target_normal' || c.split === 'test');
    let id = 1;
    const feats = used.map((c) => ({
      clipId: id++, name: c.fileName, section: c.section, domain: c.split === 'test' ? null : c.domain, role: c.role,
      attributes: c.split === 'test' ? {} : Object.fromEntries(c.attributes), embedding: logmelStats(synthesizeClip(c.spec)),
    } satisfies ClipFeatures));
    const normals = feats.filter((c) => c.role !== 'test');
    const testIdx = used.map((c, i) => (c.split === 'test' ? i : -1)).filter((i) => i >= 0);
    const truth = testIdx.map((i) => ({ domain: used[i].domain as Domain, label: (used[i].label === 'anomaly' ? 1 : 0) as 0 | 1 }));
    const r = await compare({ machineType: machine, section: '00', normals, noise: [] }, testIdx.map((i) => feats[i]), truth, C_DEFAULTS);
    runs.push(r.figures);
    perMachine[machine] = { fitS: round(r.fitS, 1), results: r.figures };
    console.log(`generator ${machine}: C ${JSON.stringify(r.figures['clips+classes/min-z'])}`);
  }
  return { data: `project generator, scale ${scale}, one section per machine type, logmel_stats features`, results: collect(runs), perMachine };
}

async function main() {
  const result: Record<string, unknown> = {
    benchmark: 'approach-c',
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model.split(' ').slice(0, 2).join(' '), node: process.version },
    config: C_DEFAULTS,
  };
  console.log('timing ...');
  result.timing = await timing();
  console.log(JSON.stringify(result.timing, null, 1));
  console.log('synthetic quality ...');
  result.synthetic = await syntheticQuality();
  if (!NO_REAL) {
    console.log('real valve clips ...');
    result.realValve = await realValve();
  }
  if (GEN_SCALE !== null) {
    console.log(`generator at scale ${GEN_SCALE} ...`);
    result.generator = await generator(GEN_SCALE);
  } else {
    const prev = path.join(here, 'results', 'approach-c.json');
    // keep the last generator measurement (slow, opt-in) when this run did not redo it
    if (fs.existsSync(prev)) {
      const old = JSON.parse(fs.readFileSync(prev, 'utf8'));
      if (old.generator) result.generator = { ...old.generator, from: old.generator.from ?? old.date };
    }
  }
  const out = path.join(here, 'results', 'approach-c.json');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
  for (const k of ['synthetic', 'realValve', 'generator'] as const) {
    const r = result[k] as { results?: Record<string, unknown> } | undefined;
    if (r?.results) {
      console.log(`\n${k}:`);
      for (const [name, s] of Object.entries(r.results)) console.log(`  ${name.padEnd(38)} ${JSON.stringify(s)}`);
    }
  }
  console.log(`\nwrote ${path.relative(repoRoot, out)}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
