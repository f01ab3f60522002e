// Quality benchmark: official score per approach and auto on generator data (scale 0.3 and 1.0)
// and on the real DCASE 2023 valve test split with the fewshot-from-test protocol.
// Run: npx tsx bench/quality.ts [--quick] [--machines fan,bearing] [--scales 0.3,1.0|none] [--variants [--only A] [--variant TEXT] | --validation [--members A,B]]
// Writes bench/results/quality.json (quality-variants.json, quality-validation.json).
// --validation: every other test clip of a section (by name) becomes a labeled verification clip;
// A, B, C, their rank-averaged ensemble and auto (which now validates on those clips) are scored
// on the other half only, so the choice never sees the clips it is measured on.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { generateDataset } from '../src/main/data/generator';
import { listDcase } from '../src/main/data/import/dcase';
import { importListing } from '../src/main/data/import/importer';
import type { EvalOptions, SectionResult } from '../src/main/eval/evaluate';
import { summarise } from '../src/main/eval/report';
import { sectionMetrics } from '../src/main/eval/section-metrics';
import { runEvaluation } from '../src/main/eval/run';
import { Store } from '../src/main/store/store';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    machines: { type: 'string' },
    variants: { type: 'boolean', default: false },
    validation: { type: 'boolean', default: false },
    only: { type: 'string' },
    scales: { type: 'string' },
    variant: { type: 'string' },
    members: { type: 'string' },
  },
});

const ROOT = path.resolve(import.meta.dirname, '..');
const SHARED = path.resolve(ROOT, '..', 'shared', 'data');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'hark-quality-'));
const ALL_MACHINES = ['fan', 'bearing', 'valve', 'pump', 'motor', 'compressor', 'gearbox'];
const machines = values.machines ? values.machines.split(',') : values.quick ? ['fan', 'bearing', 'valve'] : ALL_MACHINES;

interface Row {
  dataset: string;
  approach: string;
  variant: string;
  official: number | null;
  hmeanAucSource: number | null;
  hmeanAucTarget: number | null;
  hmeanPauc: number | null;
  sections: { machineType: string; section: string; approach: string; members?: string[]; aucSource: number | null; aucTarget: number | null; pauc: number | null }[];
  seconds: number;
  error?: string;
}

const rows: Row[] = [];

/** Clips whose scores the figures leave out (the verification half in --validation). */
let heldIn = new Set<number>();

async function evalOn(dataset: string, store: Store, approach: EvalOptions['approach'], variant: string, extra: Partial<EvalOptions> = {}): Promise<void> {
  const t0 = performance.now();
  let results: SectionResult[];
  try {
    ({ results } = await runEvaluation(store, { approach, ...extra }));
    if (heldIn.size) results = results.map((r) => ({ ...r, metrics: sectionMetrics(r.scores.filter((c) => !heldIn.has(c.clipId))) }));
  } catch (e) {
    console.log(`${dataset.padEnd(22)} ${approach.padEnd(5)} ${variant.padEnd(28)} not run: ${(e as Error).message.split('\n')[0]}`);
    rows.push({ dataset, approach, variant, official: null, hmeanAucSource: null, hmeanAucTarget: null, hmeanPauc: null, sections: [], seconds: 0, error: (e as Error).message });
    return;
  }
  const s = summarise(results);
  const row: Row = {
    dataset,
    approach,
    variant,
    official: s?.official ?? null,
    hmeanAucSource: s?.hmeanAucSource ?? null,
    hmeanAucTarget: s?.hmeanAucTarget ?? null,
    hmeanPauc: s?.hmeanPauc ?? null,
    sections: results.map((r: SectionResult) => ({ machineType: r.machineType, section: r.section, approach: r.approach, ...(r.members ? { members: r.members } : {}), aucSource: r.metrics?.aucSource ?? null, aucTarget: r.metrics?.aucTarget ?? null, pauc: r.metrics?.pauc ?? null })),
    seconds: (performance.now() - t0) / 1000,
  };
  rows.push(row);
  const pct = (v: number | null) => (v === null ? '  —  ' : (100 * v).toFixed(2));
  console.log(`${dataset.padEnd(22)} ${approach.padEnd(5)} ${variant.padEnd(28)} official ${pct(row.official)}  src ${pct(row.hmeanAucSource)}  tgt ${pct(row.hmeanAucTarget)}  pAUC ${pct(row.hmeanPauc)}  (${row.seconds.toFixed(1)} s)`);
}

const VARIANTS: { approach: 'A' | 'B' | 'C'; name: string; configs: EvalOptions['configs']; encoder?: string }[] = [
  { approach: 'A', name: 'fbank_patch L1+2 target', configs: { A: { encoder: 'fbank_patch', supportDomain: 'target' } } },
  { approach: 'A', name: 'fbank_patch L1+2 both', configs: { A: { encoder: 'fbank_patch', supportDomain: 'both' } } },
  { approach: 'A', name: 'fbank_patch L0 both', configs: { A: { encoder: 'fbank_patch', supportDomain: 'both', layers: [0] } } },
  { approach: 'A', name: 'fbank_patch L0 both coreset 960', configs: { A: { encoder: 'fbank_patch', supportDomain: 'both', layers: [0], maxKeysPerLayer: 960 } } },
  { approach: 'A', name: 'fbank_patch L0 both all keys', configs: { A: { encoder: 'fbank_patch', supportDomain: 'both', layers: [0], maxKeysPerLayer: null } } },
  { approach: 'A', name: 'oww_speech L11-14 both', configs: { A: { supportDomain: 'both' } }, encoder: 'oww_speech' },
  { approach: 'A', name: 'fbank_patch L1+2 both q0.1', configs: { A: { encoder: 'fbank_patch', supportDomain: 'both', q: 0.1 } } },
  { approach: 'A', name: 'oww_speech both (default: coreset 960)', configs: {} },
  { approach: 'A', name: 'oww_speech both coreset 1/10', configs: { A: { maxKeysPerLayer: 960 } } },
  { approach: 'A', name: 'oww_speech both all keys', configs: { A: { maxKeysPerLayer: null } } },
  { approach: 'A', name: 'oww_speech target-only', configs: { A: { supportDomain: 'target' } } },
  { approach: 'B', name: 'logmel_stats', configs: {} },
  { approach: 'B', name: 'oww_speech L19', configs: {}, encoder: 'oww_speech' },
  { approach: 'B', name: 'logmel_stats k=3', configs: { B: { k: 3 } } },
  { approach: 'B', name: 'logmel_stats standardised', configs: { B: { standardise: true } } },
  { approach: 'B', name: 'logmel_stats noise-augmented', configs: { B: { noiseAugment: true } } },
  { approach: 'C', name: 'logmel_stats min-z (default)', configs: {} },
  { approach: 'C', name: 'logmel_stats lse', configs: { C: { score: 'lse' } } },
  { approach: 'C', name: 'logmel_stats nearest', configs: { C: { score: 'nearest' } } },
];

/** --only A keeps one approach's variants, --variant TEXT those whose name contains TEXT. */
const wanted = (v: (typeof VARIANTS)[number]) => (!values.only || v.approach === values.only) && (!values.variant || v.name.includes(values.variant));

async function generatorSet(scale: number): Promise<void> {
  const dir = path.join(work, `gen-${scale}`);
  console.log(`generating scale ${scale} (${machines.join(', ')}) ...`);
  await generateDataset({ out: dir, scale, seed: 11, machines });
  const store = Store.create(path.join(dir, 'project'));
  try {
    await importListing(store, listDcase(dir));
    const name = `generator@${scale}`;
    if (values.validation) await validationRuns(name, store);
    else if (values.variants) {
      for (const v of VARIANTS) if (wanted(v)) await evalOn(name, store, v.approach, v.name, { configs: v.configs, encoder: v.encoder });
    } else {
      for (const a of ['A', 'B', 'C', 'auto'] as const) if (!values.only || a === values.only) await evalOn(name, store, a, 'default');
    }
  } finally {
    store.close();
  }
}

async function valveSet(): Promise<void> {
  const root = path.join(SHARED, 'dcase2023-valve-test');
  if (!fs.existsSync(root)) {
    console.log(`skipped: ${root} is absent`);
    return;
  }
  const store = Store.create(path.join(work, 'valve-project'));
  try {
    await importListing(store, listDcase(root));
    const name = 'dcase2023-valve fewshot';
    if (values.validation) await validationRuns(name, store, { protocol: 'fewshot-from-test' });
    else if (values.variants) {
      for (const v of VARIANTS) if (wanted(v)) await evalOn(name, store, v.approach, v.name, { configs: v.configs, encoder: v.encoder, protocol: 'fewshot-from-test' });
    } else {
      for (const a of ['A', 'B', 'C', 'auto'] as const) if (!values.only || a === values.only) await evalOn(name, store, a, 'default', { protocol: 'fewshot-from-test' });
    }
  } finally {
    store.close();
  }
}

/** Every other test clip per section (by name) becomes labeled verification; figures on the rest. */
async function validationRuns(name: string, store: Store, extra: Partial<EvalOptions> = {}): Promise<void> {
  const test = store.db.prepare("SELECT id, machine_type AS m, section AS s, name FROM clips WHERE role = 'test' ORDER BY machine_type, section, name").all() as { id: number; m: string; s: string; name: string }[];
  const bySection = new Map<string, number[]>();
  for (const c of test) bySection.set(`${c.m}|${c.s}`, [...(bySection.get(`${c.m}|${c.s}`) ?? []), c.id]);
  const ver = [...bySection.values()].flatMap((ids) => ids.filter((_, i) => i % 2 === 1));
  store.db.prepare(`UPDATE clips SET role = 'verification' WHERE id IN (${ver.join(',')})`).run();
  heldIn = new Set(ver);
  try {
    const members = values.members ? (values.members.split(',') as ('A' | 'B' | 'C')[]) : undefined;
    for (const a of ['A', 'B', 'C', 'ensemble', 'auto'] as const) {
      if (values.only && a !== values.only) continue;
      if (a === 'ensemble' && members) await evalOn(name, store, a, `validation half held out, members ${members.join('+')}`, { ...extra, ensembleMembers: members });
      else await evalOn(name, store, a, 'validation half held out', extra);
    }
  } finally {
    heldIn = new Set();
  }
}

/** Writes what is measured so far (after each data set, so a long run leaves its figures). */
function writeResults(): void {
  const kind = values.validation ? 'quality-validation' : values.variants ? 'quality-variants' : 'quality';
  const out = path.join(ROOT, 'bench', 'results', `${kind}.json`);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  // a partial run (--scales none, --only X) replaces its own rows and keeps the file's others
  const key = (r: Row) => `${r.dataset}|${r.approach}|${r.variant}`;
  const mine = new Set(rows.map(key));
  const kept = fs.existsSync(out) ? ((JSON.parse(fs.readFileSync(out, 'utf8')) as { rows?: Row[] }).rows ?? []).filter((r) => !mine.has(key(r))) : [];
  fs.writeFileSync(
    out,
    JSON.stringify({ name: kind, date: new Date().toISOString(), machine: { cpus: os.cpus().length, node: process.version }, machines, quick: values.quick, rows: [...kept, ...rows] }, null, 1),
  );
  console.log(`wrote ${out}`);
}

await valveSet();
writeResults();
const scales = values.scales === 'none' ? [] : values.scales ? values.scales.split(',').map(Number) : values.quick ? [0.1] : [0.3, 1.0];
for (const scale of scales) {
  await generatorSet(scale);
  writeResults();
}

fs.rmSync(work, { recursive: true, force: true });
