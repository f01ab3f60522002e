// A job run in a child process for the crash harness: import, encode, or evaluate (fit + score).
// It prints "@ <mark> <ms since start>" lines at stage boundaries so the parent can SIGKILL it at
// random moments inside a chosen stage, and it can SIGKILL itself inside a store transaction
// (HARK_CRASH_AT_WRITE=n: at the n-th row written in the evaluation's save transaction).
// Usage: node --import tsx test/reliability/crash-child.ts <import|encode|eval> <projectDir> [<dataDir>|<approach>]
import { configureOps } from '../../src/main/approaches/common';
import { APPROACHES } from '../../src/main/approaches/registry';
import type { ApproachId } from '../../src/main/approaches/types';
import { listDcase } from '../../src/main/data/import/dcase';
import { importListing } from '../../src/main/data/import/importer';
import { FeatureService } from '../../src/main/encoders/features';
import { runEvaluation, withEncoders } from '../../src/main/eval/run';
import { Store } from '../../src/main/store/store';
import { ENCODE_REQUEST, IMPORT_BATCH } from './crash';

const t0 = performance.now();
// pipes to the parent are synchronous on Linux: a mark is out before the next line runs
const mark = (name: string) => process.stdout.write(`@ ${name} ${(performance.now() - t0).toFixed(1)}\n`);

async function main(): Promise<void> {
  const [kind, projectDir, arg] = process.argv.slice(2);
  configureOps({ intraOpThreads: 1 }); // as in the job workers; also keeps numbers independent of core count
  const store = Store.open(projectDir);
  const tx = store.tx.bind(store);
  let writeBudget = Number(process.env.HARK_CRASH_AT_WRITE ?? 0);
  const countWrite = () => {
    if (writeBudget > 0 && --writeBudget === 0) process.kill(process.pid, 'SIGKILL');
  };
  store.tx = <T>(fn: () => T): T => {
    mark('tx:start');
    const r = tx(fn);
    mark('tx:end');
    return r;
  };
  mark('start');
  if (kind === 'import') {
    const s = await importListing(store, listDcase(arg), { batchSize: IMPORT_BATCH });
    process.stdout.write(`= ${JSON.stringify({ imported: s.imported, unchanged: s.unchanged, failed: s.failed })}\n`);
  } else if (kind === 'encode') {
    const clips = store.clips.list({}, 'id', false, 0, 1_000_000).rows;
    await withEncoders(async (get) => {
      const f = new FeatureService(store, get);
      await f.forClips(clips, ENCODE_REQUEST, ({ done }) => mark(`clip:${done}`));
      process.stdout.write(`= ${JSON.stringify(f.stats)}\n`);
    });
  } else if (kind === 'eval') {
    const id = arg as ApproachId;
    const a = APPROACHES[id];
    const { fit, score } = a;
    a.fit = async (...args) => {
      mark('fit:start');
      const r = await fit.apply(a, args);
      mark('fit:end');
      return r;
    };
    a.score = async (...args) => {
      mark('score:start');
      const r = await score.apply(a, args);
      mark('score:end');
      return r;
    };
    for (const name of ['saveDetector', 'startRun', 'saveScores', 'saveMap', 'finishRun'] as const) {
      const orig = store.results[name] as (...x: unknown[]) => unknown;
      (store.results as unknown as Record<string, unknown>)[name] = (...x: unknown[]) => {
        countWrite();
        return orig.apply(store.results, x);
      };
    }
    const configs = process.env.HARK_CRASH_CONFIG ? (JSON.parse(process.env.HARK_CRASH_CONFIG) as Record<string, Record<string, unknown>>) : undefined;
    const { results } = await runEvaluation(store, { approach: id, intraOpThreads: 1, configs });
    process.stdout.write(`= ${JSON.stringify(results.map((r) => ({ runId: r.runId, detectorId: r.detectorId })))}\n`);
  } else {
    throw new Error(`crash-child: unknown job kind '${kind}' (import, encode or eval)`);
  }
  store.close();
  mark('end');
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
