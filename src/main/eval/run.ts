// One evaluation run as the CLI, the backend and the demo start it: encoders loaded once,
// features through the cache, results stored and written.
import { loadEncoder } from '../encoders';
import { FeatureService } from '../encoders/features';
import type { Encoder } from '../encoders/types';
import type { Store } from '../store/store';
import { appVersion } from '../paths';
import { allowRestrictedModels, evaluate, type EvalOptions, type SectionResult, type SkippedSection } from './evaluate';
import { writeEvalOutputs, type EvalReport } from './report';

export interface RunOptions extends EvalOptions {
  outDir?: string;
  intraOpThreads?: number;
}

export async function withEncoders<T>(fn: (get: (id: string) => Promise<Encoder>) => Promise<T>, intraOpThreads = 1, allowLicenceRestricted = true): Promise<T> {
  const cache = new Map<string, Promise<Encoder>>();
  const get = (id: string) => {
    let p = cache.get(id);
    if (!p) cache.set(id, (p = loadEncoder(id, { intraOpThreads, allowLicenceRestricted })));
    return p;
  };
  try {
    return await fn(get);
  } finally {
    for (const p of cache.values()) await p.then((e) => e.dispose()).catch(() => undefined);
  }
}

export async function runEvaluation(
  store: Store,
  opts: RunOptions,
): Promise<{ results: SectionResult[]; skipped: SkippedSection[]; report: EvalReport | null; features: FeatureService['stats'] }> {
  return withEncoders(async (get) => {
    const features = new FeatureService(store, get);
    const skipped: SkippedSection[] = [];
    const results = await evaluate(store, features, opts, skipped);
    const report = opts.outDir
      ? writeEvalOutputs(opts.outDir, results, { approach: opts.approach, protocol: opts.protocol ?? 'standard', encoder: opts.encoder ?? null, hark: appVersion(), skipped })
      : null;
    return { results, skipped, report, features: features.stats };
  }, opts.intraOpThreads, allowRestrictedModels(store));
}
