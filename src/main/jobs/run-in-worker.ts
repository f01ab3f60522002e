// Runs a task in a worker thread, bridging progress and cancellation to a JobContext.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { HarkError } from '../../shared/rpc';
import type { JobContext } from './manager';
import type { TaskMap, TaskName } from './tasks';
import type { WorkerMessage } from './worker-entry';

function workerFile(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  // built (electron-vite): out/main/worker.js next to index.js; source (tsx): the bootstrap
  const built = path.join(here, 'worker.js');
  if (fs.existsSync(built)) return built;
  return path.join(here, 'worker-bootstrap.mjs');
}

export function runInWorker<K extends TaskName>(task: K, params: TaskMap[K]['params'], ctx: JobContext): Promise<TaskMap[K]['result']> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(workerFile(), { workerData: { task, params } });
    let settled = false;
    const onAbort = () => worker.postMessage({ type: 'cancel' });
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      ctx.signal.removeEventListener('abort', onAbort);
      fn();
      void worker.terminate();
    };
    worker.on('message', (m: WorkerMessage) => {
      if (m.type === 'progress') ctx.progress(m);
      else if (m.type === 'series') ctx.series(m.name, m.value);
      else if (m.type === 'done') finish(() => resolve(m.result as TaskMap[K]['result']));
      else if (m.type === 'error') finish(() => reject(new HarkError(m.error.code as never, m.error.message)));
    });
    worker.on('error', (e) => finish(() => reject(e)));
    worker.on('exit', (code) => finish(() => reject(new HarkError('internal', `worker for ${task} stopped unexpectedly (exit ${code})`))));
  });
}
