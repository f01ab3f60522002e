// Fits and scores the approaches on one project again and again in one process and reports, after
// each round and a full GC, the process memory and how many ONNX Runtime sessions are alive.
// Usage: node --expose-gc --import tsx test/reliability/longrun-child.ts <projectDir> <rounds> <approaches> [configsJson]
import ortModule from 'onnxruntime-node';
import { configureOps, releaseOpsSessions } from '../../src/main/approaches/common';
import { runEvaluation } from '../../src/main/eval/run';
import { Store } from '../../src/main/store/store';

// count sessions as ONNX Runtime creates and releases them (encoders and the kNN ops graphs alike)
const ort = ortModule as unknown as { InferenceSession: { create: (...a: unknown[]) => Promise<{ release: () => Promise<void> }> } };
let live = 0;
let created = 0;
const create = ort.InferenceSession.create.bind(ort.InferenceSession);
ort.InferenceSession.create = async (...args: unknown[]) => {
  const s = await create(...args);
  live++;
  created++;
  const release = s.release.bind(s);
  let released = false;
  s.release = async () => {
    if (!released) live--;
    released = true;
    return release();
  };
  return s;
};

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

function memory(): { rssMb: number; heapMb: number; externalMb: number; arrayBuffersMb: number } {
  gc!();
  gc!();
  const m = process.memoryUsage();
  const mb = (n: number) => n / 2 ** 20;
  return { rssMb: mb(m.rss), heapMb: mb(m.heapUsed), externalMb: mb(m.external), arrayBuffersMb: mb(m.arrayBuffers) };
}

async function main(): Promise<void> {
  const [projectDir, roundsArg, approachesArg, configsArg] = process.argv.slice(2);
  const rounds = Number(roundsArg);
  const approaches = approachesArg.split(',') as ('A' | 'B' | 'C')[];
  const configs = configsArg ? (JSON.parse(configsArg) as Record<string, Record<string, unknown>>) : undefined;
  configureOps({ intraOpThreads: 1 });
  const store = Store.open(projectDir);
  process.stdout.write(`= ${JSON.stringify({ round: 0, ...memory(), liveSessions: live })}\n`);
  for (let round = 1; round <= rounds; round++) {
    const t0 = performance.now();
    const scores: Record<string, number> = {};
    for (const a of approaches) {
      const { results, features } = await runEvaluation(store, { approach: a, configs, intraOpThreads: 1 });
      scores[a] = results.reduce((n, r) => n + r.scores.length, 0);
      scores[`${a}:encoded`] = features.encoded;
    }
    const afterRun = live;
    await releaseOpsSessions();
    const seconds = (performance.now() - t0) / 1000;
    process.stdout.write(`= ${JSON.stringify({ round, seconds, scores, liveAfterRun: afterRun, liveSessions: live, createdSessions: created, ...memory() })}\n`);
  }
  store.close();
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
