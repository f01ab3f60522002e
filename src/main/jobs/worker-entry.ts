// Worker thread entry: runs one task and reports progress, series and the result to the parent.
import { parentPort, workerData } from 'node:worker_threads';
import { toRpcError } from '../../shared/rpc';
import { configureOps } from '../approaches/common';
import { TASKS, type TaskName } from './tasks';

export type WorkerMessage =
  | { type: 'progress'; stage?: string; done: number; total: number }
  | { type: 'series'; name: string; value: number }
  | { type: 'done'; result: unknown }
  | { type: 'error'; error: { code: string; message: string } };

const port = parentPort!;
const abort = new AbortController();
port.on('message', (m: { type: string }) => {
  if (m.type === 'cancel') abort.abort();
});

const { task, params } = workerData as { task: TaskName; params: never };
// jobs parallelise across workers: each worker's ONNX Runtime kernels run on one thread
configureOps({ intraOpThreads: 1 });
const post = (m: WorkerMessage) => port.postMessage(m);

(async () => {
  try {
    const fn = await TASKS[task]();
    const result = await fn(params, {
      signal: abort.signal,
      progress: (p) => post({ type: 'progress', ...p }),
      series: (name, value) => post({ type: 'series', name, value }),
    });
    post({ type: 'done', result });
  } catch (e) {
    post({ type: 'error', error: toRpcError(e) });
  }
})();
