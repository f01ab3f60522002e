// Heavy tasks that run in a worker thread: each opens the project store by path itself
// (SQLite WAL lets the UI read while a worker writes) and reports progress as messages.
import type { ImportSummary } from '../data/import/importer';
import type { EvalOptions } from '../eval/evaluate';

export interface TaskContext {
  signal: AbortSignal;
  progress(p: { stage?: string; done: number; total: number }): void;
  series(name: string, value: number): void;
}

export interface TaskMap {
  import: {
    params: { projectDir: string; kind: 'dcase' | 'manifest'; path: string; supplementalKind?: 'noise' | 'clean'; clipS?: number; hopS?: number };
    result: ImportSummary;
  };
  demo: {
    params: { out?: string; scale?: number };
    result: { projectDir: string; official: Record<string, number | null> };
  };
  eval: {
    params: { projectDir: string } & Pick<EvalOptions, 'approach' | 'protocol' | 'encoder' | 'machineTypes' | 'ensembleMembers'>;
    result: { runIds: number[]; sections: number; official: number | null };
  };
}
export type TaskName = keyof TaskMap;

type TaskFn<K extends TaskName> = (params: TaskMap[K]['params'], ctx: TaskContext) => Promise<TaskMap[K]['result']>;

/** Lazily loaded so a worker only pays for what its task uses. */
export const TASKS: { [K in TaskName]: () => Promise<TaskFn<K>> } = {
  import: async () => {
    const [{ Store }, { listDcase }, { listManifest }, { importListing }] = await Promise.all([
      import('../store/store'),
      import('../data/import/dcase'),
      import('../data/import/manifest'),
      import('../data/import/importer'),
    ]);
    return async (p, ctx) => {
      const store = Store.open(p.projectDir);
      try {
        const listing = p.kind === 'dcase' ? listDcase(p.path, { supplementalKind: p.supplementalKind }) : listManifest(p.path);
        return await importListing(store, listing, { signal: ctx.signal, onProgress: ctx.progress, clipS: p.clipS, hopS: p.hopS });
      } finally {
        store.close();
      }
    };
  },
  demo: async () => {
    const { runDemo } = await import('../eval/demo');
    return async (p, ctx) => {
      const r = await runDemo({ out: p.out, scale: p.scale, signal: ctx.signal, progress: ctx.progress, series: ctx.series });
      return { projectDir: r.projectDir, official: Object.fromEntries(r.evaluations.map((e) => [e.approach, e.report?.summary?.official ?? null])) };
    };
  },
  eval: async () => {
    const [{ Store }, { runEvaluation }, { summarise }] = await Promise.all([import('../store/store'), import('../eval/run'), import('../eval/report')]);
    return async (p, ctx) => {
      const store = Store.open(p.projectDir);
      try {
        const { results } = await runEvaluation(store, { ...p, signal: ctx.signal, progress: ctx.progress, series: ctx.series });
        return { runIds: results.map((r) => r.runId), sections: results.length, official: summarise(results)?.official ?? null };
      } finally {
        store.close();
      }
    };
  },
};
