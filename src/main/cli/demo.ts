// `hark demo`: the main job on embedded defaults (see eval/demo.ts).
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DEMO_DEFAULTS, runDemo } from '../eval/demo';
import { UsageError, type Command } from './command';
import { printResults } from './eval';
import { formatFormReport } from './form';
import { cliProgress } from './progress';

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
        approaches: { type: 'string', default: DEMO_DEFAULTS.approaches.join(',') },
        fresh: { type: 'boolean', default: false },
      },
      strict: true,
    });
    const scale = values.scale ? Number(values.scale) : undefined;
    const seed = values.seed ? Number(values.seed) : undefined;
    if (scale !== undefined && !(scale > 0 && scale <= 1)) throw new UsageError(`--scale must be in (0, 1], got ${values.scale}`);
    if (seed !== undefined && (!Number.isInteger(seed) || seed < 0)) throw new UsageError(`--seed must be a whole number >= 0, got ${values.seed}`);
    const approaches = values.approaches!.split(',').map((s) => s.trim().toUpperCase());
    for (const a of approaches) if (!['A', 'B', 'C'].includes(a)) throw new UsageError(`--approaches takes A, B and C, got ${a}`);
    const abort = new AbortController();
    const onSig = () => abort.abort();
    process.once('SIGINT', onSig);
    const bar = cliProgress(io, 'demo');
    try {
      const r = await runDemo({
        out: values.out ? path.resolve(values.out) : undefined,
        scale,
        seed,
        machines: values.machines?.split(',').map((s) => s.trim()),
        approaches: approaches as ('A' | 'B' | 'C')[],
        fresh: values.fresh,
        signal: abort.signal,
        progress: bar.update,
        log: (l) => {
          bar.end();
          io.out(l);
        },
      });
      bar.end();
      io.out(formatFormReport(r.form).replace(/^/gm, '    '));
      for (const e of r.evaluations) {
        io.out(`\napproach ${e.approach}`);
        printResults(io, e.results, e.report?.summary ?? null);
        io.out(`report: ${e.reportPath}`);
      }
      io.out(`\nproject: ${r.projectDir}\nopen it with: npm start   (or: hark serve --project ${r.projectDir})`);
      return 0;
    } finally {
      process.off('SIGINT', onSig);
    }
  },
};
