// `hark demo`: the main job on embedded defaults. Generates a small synthetic package, imports it,
// checks the Form, fits A, B and C, evaluates each, and prints the table and the report paths.
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { generateDataset } from '../data/generator';
import { formReport } from '../data/form/form-check';
import { listDcase } from '../data/import/dcase';
import { importListing } from '../data/import/importer';
import { runEvaluation } from '../eval/run';
import type { SectionResult } from '../eval/evaluate';
import { harkHome } from '../paths';
import { UsageError, type Command } from './command';
import { printResults } from './eval';
import { formatFormReport } from './form';
import { openOrCreate } from './import';
import { cliProgress } from './progress';

export const DEMO_DEFAULTS = { scale: 0.1, seed: 7, machines: ['fan', 'bearing', 'valve'] };

export function demoDir(): string {
  return path.join(harkHome(), 'demo');
}

export const demoCommand: Command = {
  name: 'demo',
  summary: 'the main job: synthetic package -> import -> Form check -> fit A, B, C -> evaluate',
  usage: 'hark demo [--out DIR] [--scale S] [--seed N] [--machines fan,bearing,valve] [--approaches A,B,C] [--fresh]',
  async run(argv, io) {
    const { values } = parseArgs({
      args: argv,
      options: {
        out: { type: 'string' },
        scale: { type: 'string' },
        seed: { type: 'string' },
        machines: { type: 'string' },
        approaches: { type: 'string', default: 'A,B,C' },
        fresh: { type: 'boolean', default: false },
      },
      strict: true,
    });
    const out = path.resolve(values.out ?? demoDir());
    const scale = values.scale ? Number(values.scale) : DEMO_DEFAULTS.scale;
    const seed = values.seed ? Number(values.seed) : DEMO_DEFAULTS.seed;
    if (!(scale > 0 && scale <= 1)) throw new UsageError(`--scale must be in (0, 1], got ${values.scale}`);
    if (!Number.isInteger(seed) || seed < 0) throw new UsageError(`--seed must be a whole number >= 0, got ${values.seed}`);
    const machines = values.machines ? values.machines.split(',').map((s) => s.trim()) : DEMO_DEFAULTS.machines;
    const approaches = values.approaches!.split(',').map((s) => s.trim().toUpperCase());
    for (const a of approaches) if (!['A', 'B', 'C'].includes(a)) throw new UsageError(`--approaches takes A, B and C, got ${a}`);
    if (values.fresh) fs.rmSync(out, { recursive: true, force: true });

    const dataDir = path.join(out, 'data');
    io.out(`1/4 generating a synthetic package (${machines.join(', ')}; scale ${scale}, seed ${seed}) in ${dataDir}`);
    const gen = cliProgress(io, 'generate');
    await generateDataset({ out: dataDir, scale, seed, machines, onProgress: (done, total) => gen.update({ done, total }) });
    gen.end();

    const store = openOrCreate(path.join(out, 'project'));
    try {
      io.out('2/4 importing');
      const imp = cliProgress(io, 'import');
      const s = await importListing(store, listDcase(dataDir), { onProgress: imp.update });
      imp.end();
      io.out(`    ${s.imported} imported, ${s.unchanged} unchanged, ${s.failed} failed`);
      io.out('3/4 Form check');
      io.out(formatFormReport(formReport(store)).replace(/^/gm, '    '));
      const all: Record<string, SectionResult[]> = {};
      io.out(`4/4 fitting and evaluating ${approaches.join(', ')}`);
      for (const a of approaches) {
        const bar = cliProgress(io, `approach ${a}`);
        const r = await runEvaluation(store, { approach: a as 'A' | 'B' | 'C', outDir: path.join(out, `eval-${a}`), progress: bar.update });
        bar.end();
        all[a] = r.results;
        io.out(`\napproach ${a}`);
        printResults(io, r.results, r.report?.summary ?? null);
        io.out(`report: ${path.join(out, `eval-${a}`, 'report.html')}`);
      }
      io.out(`\nproject: ${store.dir}  (open it with: npm start, or hark serve --project ${store.dir})`);
      return 0;
    } finally {
      store.close();
    }
  },
};
