// Benchmark of approach B: fit + score time at DCASE scale (990 source + 10 target normals,
// 200 test clips) for several embedding sizes, and a quality check on real DCASE 2023 valve
// clips comparing B's variants (standardisation, MemMixup, normalisation) per encoder.
// Run: npx tsx bench/approach-b.ts [--quick] [--full] [--no-real]
//   --quick: fewer repetitions and splits; --full: adds the paper's 6144-dim BEATs size.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { approachB, type BConfig } from '../src/main/approaches/b';
import { createRng } from '../src/main/approaches/common/rng';
import { opsBackendInfo, releaseOpsSessions } from '../src/main/approaches/common';
import type { ClipFeatures, FitSet, Progress } from '../src/main/approaches/types';
import { decodeFile, toMono } from '../src/main/audio/decode';
import { logmelStats } from '../src/main/audio/logmel';
import { loadEncoder } from '../src/main/encoders';
import type { Encoder } from '../src/main/encoders';
import { domainAucs, officialScore } from '../src/shared/metrics';
import type { Domain } from '../src/shared/domain';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..');
const args = new Set(process.argv.slice(2));
const QUICK = args.has('--quick');
const FULL = args.has('--full');

function randn(n: number, rng: ReturnType<typeof createRng>, mu = 0, sd = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = mu + sd * rng.normal();
  return a;
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

// ------------------------------------------------------------------------------ timing (synthetic)

interface TimingRow {
  dim: number;
  standardise: boolean;
  normals: { source: number; target: number };
  targetBankRows: number;
  testClips: number;
  fitS: number;
  fitStagesS: Record<string, number>;
  scoreS: number;
  scorePerClipMs: number;
  serialisedMB: number;
  deserialiseS: number;
}

function syntheticSet(dim: number, seed: number): { set: FitSet; test: ClipFeatures[] } {
  const rng = createRng(seed);
  const mk = (id: number, role: ClipFeatures['role'], e: Float32Array): ClipFeatures => ({
    clipId: id, name: `c${id}.wav`, section: '00', domain: null, role, attributes: {}, embedding: e,
  });
  const normals: ClipFeatures[] = [];
  for (let i = 0; i < 990; i++) normals.push(mk(i, 'source_normal', randn(dim, rng)));
  for (let j = 0; j < 10; j++) normals.push(mk(1000 + j, 'target_normal', randn(dim, rng, 0.5, 1.2)));
  const test = Array.from({ length: 200 }, (_, i) => mk(5000 + i, 'test', randn(dim, rng, i % 2 ? 0.5 : 0, 1.1)));
  return { set: { machineType: 'bench', section: '00', normals, noise: [] }, test };
}

async function timeOne(dim: number, standardise: boolean, reps: number): Promise<TimingRow> {
  const { set, test } = syntheticSet(dim, dim);
  const config = approachB.parseConfig({ standardise });
  const fits: number[] = [];
  const scores: number[] = [];
  const stageRuns: Record<string, number>[] = [];
  let bytes = 0;
  const deser: number[] = [];
  let rows = 0;
  for (let r = 0; r < reps + 1; r++) {
    const stages: Record<string, number> = {};
    let last = performance.now();
    let lastStage = 'collect';
    const progress: Progress = (p) => {
      const now = performance.now();
      stages[lastStage] = (stages[lastStage] ?? 0) + (now - last) / 1000;
      last = now;
      lastStage = p.stage;
    };
    const t0 = performance.now();
    const st = await approachB.fit(set, config, progress);
    const t1 = performance.now();
    stages[lastStage] = (stages[lastStage] ?? 0) + (t1 - last) / 1000;
    await approachB.score(st, test);
    const t2 = performance.now();
    const ser = approachB.serialise(st);
    const t3 = performance.now();
    approachB.deserialise(ser);
    const t4 = performance.now();
    if (r === 0) continue; // warm-up: ONNX Runtime session creation
    fits.push((t1 - t0) / 1000);
    scores.push((t2 - t1) / 1000);
    deser.push((t4 - t3) / 1000);
    stageRuns.push(stages);
    bytes = JSON.stringify(ser.json).length + Object.values(ser.blobs).reduce((a, b) => a + b.byteLength, 0);
    rows = st.target.rows.length / dim;
  }
  const fitStagesS: Record<string, number> = {};
  for (const k of Object.keys(stageRuns[0])) fitStagesS[k] = +median(stageRuns.map((s) => s[k] ?? 0)).toFixed(4);
  const scoreS = median(scores);
  return {
    dim, standardise, normals: { source: 990, target: 10 }, targetBankRows: rows, testClips: test.length,
    fitS: +median(fits).toFixed(4), fitStagesS, scoreS: +scoreS.toFixed(4), scorePerClipMs: +((scoreS / test.length) * 1000).toFixed(3),
    serialisedMB: +(bytes / 1e6).toFixed(2), deserialiseS: +median(deser).toFixed(4),
  };
}

// ------------------------------------------------------------------------------ real clips (valve)

interface RealClip { name: string; domain: Domain; label: 0 | 1 }

function listValve(dir: string): RealClip[] {
  return fs.readdirSync(dir).filter((f) => f.endsWith('.wav')).sort().map((name) => {
    const m = /^section_\d+_(source|target)_test_(normal|anomaly)_/.exec(name);
    if (!m) throw new Error(`unexpected DCASE test file name: ${name}`);
    return { name, domain: m[1] as Domain, label: m[2] === 'anomaly' ? 1 : 0 };
  });
}

async function embedAll(dir: string, clips: RealClip[], encoder: string, layers: (number | undefined)[]): Promise<{ byLayer: Map<number | undefined, Float32Array[]>; seconds: number }> {
  let enc: Encoder | null = null;
  try {
    enc = await loadEncoder(encoder);
  } catch (e) {
    if (encoder !== 'logmel_stats') throw e;
  }
  const byLayer = new Map<number | undefined, Float32Array[]>(layers.map((l) => [l, []]));
  const t0 = performance.now();
  for (const c of clips) {
    const wave = toMono(await decodeFile(path.join(dir, c.name)));
    for (const l of layers) byLayer.get(l)!.push(enc ? await enc.embed(wave, l) : logmelStats(wave));
  }
  const seconds = (performance.now() - t0) / 1000;
  await enc?.dispose();
  return { byLayer, seconds };
}

interface Variant { name: string; config: Partial<BConfig> }
const VARIANTS: Variant[] = [
  { name: 'default (loo-train, MemMixup, raw dims)', config: {} },
  { name: 'standardise', config: { standardise: true } },
  { name: 'no MemMixup', config: { memMixup: false } },
  { name: 'no normalisation: min(d_s, d_t)', config: { normalisation: 'none' } },
  { name: 'transductive-test (paper)', config: { normalisation: 'transductive-test' } },
  { name: 'standardise + transductive-test', config: { standardise: true, normalisation: 'transductive-test' } },
];

interface Figures { aucSource: number; aucTarget: number; pauc: number; official: number; perSplitOfficial: number[] }

/**
 * Few-shot protocol on the 200-clip valve test split (no train split is shipped): per split, a
 * random nSource source normals + nTarget target normals become the training normals and the
 * remaining 200 - nSource - nTarget clips are scored; figures are means over splits.
 */
async function evaluate(emb: Float32Array[], clips: RealClip[], variant: Variant, nSource: number, nTarget: number, splits: number): Promise<Figures> {
  const acc = { aucSource: 0, aucTarget: 0, pauc: 0, official: 0 };
  const per: number[] = [];
  for (let s = 0; s < splits; s++) {
    const rng = createRng(1000 + s);
    const pick = (dom: Domain, n: number) => {
      const idx = clips.map((c, i) => i).filter((i) => clips[i].domain === dom && clips[i].label === 0);
      for (let i = idx.length - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        [idx[i], idx[j]] = [idx[j], idx[i]];
      }
      return idx.slice(0, n);
    };
    const train = new Set([...pick('source', nSource), ...pick('target', nTarget)]);
    const mk = (i: number, role: ClipFeatures['role']): ClipFeatures => ({
      clipId: i, name: clips[i].name, section: '00', domain: null, role, attributes: {}, embedding: emb[i],
    });
    const normals = [...train].map((i) => mk(i, clips[i].domain === 'source' ? 'source_normal' : 'target_normal'));
    const testIdx = clips.map((_, i) => i).filter((i) => !train.has(i));
    const st = await approachB.fit({ machineType: 'valve', section: '00', normals, noise: [] }, approachB.parseConfig(variant.config), () => {});
    const res = await approachB.score(st, testIdx.map((i) => mk(i, 'test')));
    const m = domainAucs(testIdx.map((i, n) => ({ domain: clips[i].domain, label: clips[i].label, score: res[n].score })));
    const f = [m.aucSource!, m.aucTarget!, m.pauc!];
    acc.aucSource += f[0];
    acc.aucTarget += f[1];
    acc.pauc += f[2];
    acc.official += officialScore(f);
    per.push(officialScore(f));
  }
  const r = (v: number) => +(v / splits).toFixed(4);
  return { aucSource: r(acc.aucSource), aucTarget: r(acc.aucTarget), pauc: r(acc.pauc), official: r(acc.official), perSplitOfficial: per };
}

/** Mean and standard error of the per-split differences a - b. */
function pairedDiff(a: number[], b: number[]): { mean: number; se: number } {
  const d = a.map((v, i) => v - b[i]);
  const m = d.reduce((x, y) => x + y, 0) / d.length;
  const sd = d.length > 1 ? Math.sqrt(d.reduce((x, y) => x + (y - m) ** 2, 0) / (d.length - 1)) : 0;
  return { mean: +m.toFixed(4), se: +(sd / Math.sqrt(d.length)).toFixed(4) };
}

async function realData(): Promise<unknown> {
  const dir = path.resolve(repoRoot, '..', 'shared', 'data', 'dcase2023-valve-test', 'valve', 'test');
  if (!fs.existsSync(dir)) {
    console.log(`real-data check skipped: ${dir} is absent`);
    return { skipped: `${dir} is absent` };
  }
  const clips = listValve(dir);
  const splits = QUICK ? 3 : 20;
  const setups = [
    { nSource: 40, nTarget: 10 },
    { nSource: 40, nTarget: 3 },
  ];
  const encoders: { encoder: string; layers: (number | undefined)[] }[] = [
    { encoder: 'logmel_stats', layers: [undefined] },
    { encoder: 'oww_speech', layers: [19, 15, 11] },
  ];
  const out: Record<string, unknown>[] = [];
  for (const e of encoders) {
    let embedded;
    try {
      embedded = await embedAll(dir, clips, e.encoder, e.layers);
    } catch (err) {
      console.log(`encoder ${e.encoder} unavailable: ${(err as Error).message}`);
      out.push({ encoder: e.encoder, skipped: (err as Error).message });
      continue;
    }
    console.log(`encoded ${clips.length} clips with ${e.encoder} in ${embedded.seconds.toFixed(1)} s`);
    for (const layer of e.layers) {
      const emb = embedded.byLayer.get(layer)!;
      for (const setup of setups) {
        const rows: Record<string, unknown>[] = [];
        let base: number[] | null = null;
        for (const v of VARIANTS) {
          const { perSplitOfficial, ...f } = await evaluate(emb, clips, v, setup.nSource, setup.nTarget, splits);
          base ??= perSplitOfficial;
          // paired over the same splits: the split-to-split spread cancels
          const d = pairedDiff(perSplitOfficial, base);
          rows.push({ variant: v.name, ...f, officialVsDefault: d });
          console.log(`${e.encoder}${layer === undefined ? '' : ` L${layer}`} ${setup.nSource}s+${setup.nTarget}t  ${v.name.padEnd(40)} AUC s ${f.aucSource.toFixed(3)} t ${f.aucTarget.toFixed(3)} pAUC ${f.pauc.toFixed(3)} official ${f.official.toFixed(3)}  vs default ${d.mean >= 0 ? '+' : ''}${d.mean.toFixed(3)} +- ${d.se.toFixed(3)}`);
        }
        out.push({ encoder: e.encoder, layer: layer ?? null, dim: emb[0].length, ...setup, splits, variants: rows });
      }
    }
  }
  return {
    data: 'DCASE 2023 Task 2 dev, valve, test split (200 clips); no train split shipped, so each split draws its training normals from the test normals and scores the remaining clips',
    protocol: `${splits} random splits per setup; figures are means over splits; official = hmean(AUC source, AUC target, pAUC) per split`,
    results: out,
  };
}

async function main(): Promise<void> {
  const reps = QUICK ? 1 : 3;
  const dims = FULL ? [96, 256, 768, 6144] : [96, 256, 768];
  const timing: TimingRow[] = [];
  for (const dim of dims) {
    for (const standardise of dim === 256 ? [false, true] : [false]) {
      const row = await timeOne(dim, standardise, dim > 1000 ? 1 : reps);
      timing.push(row);
      console.log(`dim ${dim}${standardise ? ' (standardised)' : ''}: fit ${row.fitS.toFixed(3)} s ${JSON.stringify(row.fitStagesS)}, score ${row.testClips} clips ${row.scoreS.toFixed(3)} s, state ${row.serialisedMB} MB`);
    }
  }
  const real = args.has('--no-real') ? { skipped: '--no-real' } : await realData();
  const result = {
    benchmark: 'approach-b',
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version },
    knnBackend: opsBackendInfo(),
    config: approachB.defaults,
    timing,
    real,
  };
  const outDir = path.join(here, 'results');
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, 'approach-b.json'), JSON.stringify(result, null, 2) + '\n');
  console.log(`wrote ${path.join(outDir, 'approach-b.json')}`);
  await releaseOpsSessions();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
