// `hark import`: bring a data package into a project store.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { listDcase } from '../data/import/dcase';
import { importListing } from '../data/import/importer';
import { listManifest } from '../data/import/manifest';
import { Store } from '../store/store';
import { UsageError, type Command } from './command';
import { cliProgress } from './progress';

export function openOrCreate(dir: string): Store {
  try {
    return Store.open(dir);
  } catch (e) {
    if ((e as { code?: string }).code === 'not_found') return Store.create(dir);
    throw e;
  }
}

export const importCommand: Command = {
  name: 'import',
  summary: 'import a data package (DCASE folder or CSV manifest) into a project',
  usage: 'hark import --project DIR (--dcase ROOT | --manifest FILE.csv) [--supplemental noise|clean] [--json]',
  async run(argv, io) {
    const { values } = parseArgs({
      args: argv,
      options: {
        project: { type: 'string' },
        dcase: { type: 'string' },
        manifest: { type: 'string' },
        supplemental: { type: 'string' },
        json: { type: 'boolean', default: false },
      },
      strict: true,
    });
    if (!values.project) throw new UsageError('--project DIR is required');
    if (Boolean(values.dcase) === Boolean(values.manifest)) throw new UsageError('give exactly one of --dcase ROOT or --manifest FILE.csv');
    if (values.supplemental && values.supplemental !== 'noise' && values.supplemental !== 'clean') throw new UsageError('--supplemental is noise or clean');
    const listing = values.dcase ? listDcase(values.dcase, { supplementalKind: values.supplemental as 'noise' | 'clean' | undefined }) : listManifest(values.manifest!);
    const store = openOrCreate(path.resolve(values.project));
    const abort = new AbortController();
    const onSig = () => abort.abort();
    process.once('SIGINT', onSig);
    const bar = cliProgress(io, 'import');
    try {
      const s = await importListing(store, listing, { signal: abort.signal, onProgress: bar.update });
      bar.end();
      if (values.json) io.out(JSON.stringify(s, null, 2));
      else {
        io.out(`${s.files} files: ${s.imported} imported (${s.clipsAdded} clips), ${s.unchanged} unchanged${s.metadataUpdated ? ` (${s.metadataUpdated} with corrected role/domain/split/label)` : ''}, ${s.failed} failed${s.cancelled ? ' — cancelled, what finished is kept' : ''}`);
        for (const p of s.problems.slice(0, 50)) io.err(`${p.level}: ${p.message.includes(p.path) ? p.message : `${p.path}: ${p.message}`}`);
        if (s.problems.length > 50) io.err(`… and ${s.problems.length - 50} more (see the import log in the project)`);
      }
      return s.failed > 0 || s.cancelled ? 1 : 0;
    } finally {
      process.off('SIGINT', onSig);
      store.close();
    }
  },
};
