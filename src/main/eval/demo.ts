// The main job on embedded defaults: synthetic package -> import -> Form check -> fit A, B, C -> evaluate.
// Shared by `hark demo`, `npm run demo` and the workbench's "demo project" button.
import fs from 'node:fs';
import path from 'node:path';
import type { FormReport } from '../../shared/form';
import { generateDataset } from '../data/generator';
import { formReport } from '../data/form/form-check';
import { listDcase } from '../data/import/dcase';
import { importListing, type ImportSummary } from '../data/import/importer';
import { harkHome } from '../paths';
import { Store } from '../store/store';
import type { SectionResult } from './evaluate';
import type { EvalReport } from './report';
import { runEvaluation } from './run';

export const DEMO_DEFAULTS = { scale: 0.1, seed: 7, machines: ['fan', 'bearing', 'valve'], approaches: ['A', 'B', 'C'] as ('A' | 'B' | 'C')[] };

export function demoDir(): string {
  return path.join(harkHome(), 'demo');
}

export function demoProjectDir(out = demoDir()): string {
  return path.join(out, 'project');
}

export interface DemoOptions {
  out?: string;
  scale?: number;
  seed?: number;
  machines?: string[];
  approaches?: ('A' | 'B' | 'C')[];
  fresh?: boolean;
  signal?: AbortSignal;
  progress?: (p: { stage?: string; done: number; total: number }) => void;
  series?: (name: string, value: number) => void;
  /** called between steps with a line for a log */
  log?: (line: string) => void;
}

export interface DemoResult {
  out: string;
  projectDir: string;
  imported: ImportSummary;
  form: FormReport;
  evaluations: { approach: 'A' | 'B' | 'C'; results: SectionResult[]; report: EvalReport | null; reportPath: string }[];
}

export async function runDemo(opts: DemoOptions = {}): Promise<DemoResult> {
  const out = path.resolve(opts.out ?? demoDir());
  const scale = opts.scale ?? DEMO_DEFAULTS.scale;
  const seed = opts.seed ?? DEMO_DEFAULTS.seed;
  const machines = opts.machines ?? DEMO_DEFAULTS.machines;
  const approaches = opts.approaches ?? DEMO_DEFAULTS.approaches;
  const log = opts.log ?? (() => undefined);
  if (opts.fresh) fs.rmSync(out, { recursive: true, force: true });
  const dataDir = path.join(out, 'data');
  log(`1/4 generating a synthetic package (${machines.join(', ')}; scale ${scale}, seed ${seed}) in ${dataDir}`);
  await generateDataset({ out: dataDir, scale, seed, machines, signal: opts.signal, onProgress: (done: number, total: number) => opts.progress?.({ stage: 'generate', done, total }) });
  const projectDir = demoProjectDir(out);
  let store: Store;
  try {
    store = Store.open(projectDir);
  } catch {
    store = Store.create(projectDir, 'Hark demo');
  }
  try {
    log('2/4 importing');
    const imported = await importListing(store, listDcase(dataDir), { signal: opts.signal, onProgress: (p) => opts.progress?.({ ...p, stage: 'import' }) });
    log(`    ${imported.imported} imported, ${imported.unchanged} unchanged, ${imported.failed} failed`);
    log('3/4 Form check');
    const form = formReport(store);
    const evaluations: DemoResult['evaluations'] = [];
    log(`4/4 fitting and evaluating ${approaches.join(', ')}`);
    for (const a of approaches) {
      const outDir = path.join(out, `eval-${a}`);
      const r = await runEvaluation(store, {
        approach: a,
        outDir,
        signal: opts.signal,
        series: opts.series,
        progress: (p) => opts.progress?.({ ...p, stage: `${a}: ${p.stage ?? ''}` }),
      });
      evaluations.push({ approach: a, results: r.results, report: r.report, reportPath: path.join(outDir, 'report.html') });
    }
    return { out, projectDir, imported, form, evaluations };
  } finally {
    store.close();
  }
}
