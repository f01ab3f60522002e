// `hark eval`: import -> fit -> score -> metrics on a DCASE-layout root, with submission files and reports.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { listDcase } from '../data/import/dcase';
import { importListing } from '../data/import/importer';
import { runEvaluation } from '../eval/run';
import type { ApproachChoice, SectionResult } from '../eval/evaluate';
import type { MemberId } from '../eval/ensemble';
import type { ScoreSummary } from '../../shared/metrics';
import { UsageError, type CliIO, type Command } from './command';
import { openOrCreate } from './import';
import { cliProgress } from './progress';

const pct = (v: number | null | undefined) => (v === null || v === undefined ? '   —  ' : (100 * v).toFixed(2).padStart(6));

export function printResults(io: CliIO, results: SectionResult[], summary: ScoreSummary | null): void {
  io.out('machine      sec  appr  AUC-src  AUC-tgt   pAUC   support/test  threshold');
  for (const r of results) {
    const m = r.metrics;
    io.out(`${r.machineType.padEnd(12)} ${r.section.padEnd(4)} ${(r.members?.join('+') ?? r.approach).padEnd(5)} ${pct(m?.aucSource)}   ${pct(m?.aucTarget)}  ${pct(m?.pauc)}   ${`${r.counts.support}/${r.counts.test}`.padStart(10)}   ${r.threshold.value.toPrecision(4)}`);
  }
  if (summary) io.out(`official score ${pct(summary.official)}  (hmean AUC source ${pct(summary.hmeanAucSource)}, AUC target ${pct(summary.hmeanAucTarget)}, pAUC ${pct(summary.hmeanPauc)})`);
  else io.out('no ground-truth labels: metrics not computed (submission files still written)');
}

export const evalCommand: Command = {
  name: 'eval',
  summary: 'evaluate an approach on a DCASE-layout root: submission files, report.json, report.html',
  usage: 'hark eval --data ROOT --approach A|B|C|auto|ensemble --out DIR [--members A,B] [--protocol standard|fewshot-from-test] [--encoder ID] [--machines a,b] [--project DIR]',
  async run(argv, io) {
    const { values } = parseArgs({
      args: argv,
      options: {
        data: { type: 'string' },
        approach: { type: 'string', default: 'auto' },
        out: { type: 'string' },
        protocol: { type: 'string', default: 'standard' },
        encoder: { type: 'string' },
        machines: { type: 'string' },
        members: { type: 'string' },
        project: { type: 'string' },
        json: { type: 'boolean', default: false },
      },
      strict: true,
    });
    if (!values.data) throw new UsageError('--data ROOT is required');
    if (!values.out) throw new UsageError('--out DIR is required');
    const lower = values.approach!.toLowerCase();
    const approach = lower === 'auto' || lower === 'ensemble' ? lower : values.approach!.toUpperCase();
    if (!['A', 'B', 'C', 'auto', 'ensemble'].includes(approach)) throw new UsageError(`--approach is A, B, C, auto or ensemble, got ${values.approach}`);
    const members = values.members ? values.members.split(',').map((m) => m.trim().toUpperCase()) : undefined;
    if (members && approach !== 'ensemble') throw new UsageError('--members is for --approach ensemble');
    if (members && (members.length < 2 || members.some((m) => !['A', 'B', 'C'].includes(m)))) throw new UsageError(`--members is two or more of A, B, C separated by commas, got ${values.members}`);
    if (values.protocol !== 'standard' && values.protocol !== 'fewshot-from-test') throw new UsageError(`--protocol is standard or fewshot-from-test, got ${values.protocol}`);
    const out = path.resolve(values.out);
    const store = openOrCreate(path.resolve(values.project ?? path.join(out, 'project')));
    const abort = new AbortController();
    const onSig = () => abort.abort();
    process.once('SIGINT', onSig);
    try {
      const bar = cliProgress(io, 'import');
      const imp = await importListing(store, listDcase(values.data), { signal: abort.signal, onProgress: bar.update });
      bar.end();
      if (imp.failed) io.err(`import: ${imp.failed} file(s) failed; see the project's import log`);
      const bar2 = cliProgress(io, 'eval');
      const { results, report, skipped } = await runEvaluation(store, {
        approach: approach as ApproachChoice,
        ensembleMembers: members as MemberId[] | undefined,
        protocol: values.protocol,
        encoder: values.encoder,
        machineTypes: values.machines ? values.machines.split(',').map((s) => s.trim()) : undefined,
        outDir: out,
        signal: abort.signal,
        progress: bar2.update,
      });
      bar2.end();
      if (values.json) io.out(JSON.stringify(report, null, 1));
      else {
        printResults(io, results, report?.summary ?? null);
        for (const k of skipped) io.err(`skipped ${k.machineType} section ${k.section}: ${k.reason}`);
        io.out(`report: ${path.join(out, 'report.html')}`);
      }
      return 0;
    } finally {
      process.off('SIGINT', onSig);
      store.close();
    }
  },
};
