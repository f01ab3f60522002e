// ONNX Runtime sessions for the small graphs in models/ops (tools/make_ops_onnx.py), created once and reused.
import fs from 'node:fs';
import path from 'node:path';
import type * as OrtTypes from 'onnxruntime-node';
import { appRoot } from '../../paths';

export type OpsGraph = 'cosine_top1' | 'sqdist_topk' | 'matmul' | 'gemm_nt';
export type OpsBackend = 'auto' | 'ort' | 'ts';
export type Ort = typeof OrtTypes;

interface OpsSettings {
  /** 'auto' uses ONNX Runtime when it loads and falls back to TypeScript otherwise */
  backend: OpsBackend;
  /** ONNX Runtime intra-op threads; 0 lets ORT choose (one per physical core) */
  intraOpThreads: number;
  /** folder holding the *.onnx graphs; default <app root>/models/ops or $HARK_OPS_DIR */
  modelDir: string | null;
}

const settings: OpsSettings = { backend: 'auto', intraOpThreads: 0, modelDir: null };
let ortPromise: Promise<Ort | null> | null = null;
let ortError: string | null = null;
const sessions = new Map<OpsGraph, Promise<OrtTypes.InferenceSession>>();

/** Changes backend, threads or model folder; drops cached sessions so the next call uses them. */
export function configureOps(patch: Partial<OpsSettings>): void {
  if (patch.intraOpThreads !== undefined && (!Number.isInteger(patch.intraOpThreads) || patch.intraOpThreads < 0)) {
    throw new Error(`configureOps: intraOpThreads must be a non-negative integer, got ${patch.intraOpThreads}`);
  }
  if (patch.backend !== undefined && !['auto', 'ort', 'ts'].includes(patch.backend)) {
    throw new Error(`configureOps: backend must be 'auto', 'ort' or 'ts', got ${String(patch.backend)}`);
  }
  Object.assign(settings, patch);
  void releaseOpsSessions();
}

export function opsSettings(): Readonly<OpsSettings> {
  return { ...settings };
}

export function opsModelDir(): string {
  return settings.modelDir ?? process.env.HARK_OPS_DIR ?? path.join(appRoot(), 'models', 'ops');
}

/** Releases every cached session (e.g. before exit or after changing settings). */
export async function releaseOpsSessions(): Promise<void> {
  const all = [...sessions.values()];
  sessions.clear();
  await Promise.all(all.map((p) => p.then((s) => s.release()).catch(() => undefined)));
}

/** The onnxruntime-node module, or null when it cannot load (the reason is in opsBackendInfo). */
export function loadOrt(): Promise<Ort | null> {
  ortPromise ??= import('onnxruntime-node')
    .then((m) => ((m as unknown as { default?: Ort }).default ?? (m as unknown as Ort)))
    .catch((e: unknown) => {
      ortError = e instanceof Error ? e.message : String(e);
      return null;
    });
  return ortPromise;
}

export function opsBackendInfo(): { settings: OpsSettings; ortError: string | null } {
  return { settings: { ...settings }, ortError };
}

/** The session for a graph, or null when the TypeScript path should be used. Throws if 'ort' is forced and unavailable. */
export async function opsSession(graph: OpsGraph, backend: OpsBackend = settings.backend): Promise<{ ort: Ort; session: OrtTypes.InferenceSession } | null> {
  if (backend === 'ts') return null;
  const ort = await loadOrt();
  if (!ort) {
    if (backend === 'ort') throw new Error(`onnxruntime-node is not available: ${ortError}`);
    return null;
  }
  let p = sessions.get(graph);
  if (!p) {
    const file = path.join(opsModelDir(), `${graph}.onnx`);
    p = (async () => {
      let bytes: Buffer;
      try {
        bytes = await fs.promises.readFile(file);
      } catch (e) {
        throw new Error(`ops graph ${file} cannot be read (run /usr/bin/python3 tools/make_ops_onnx.py): ${(e as Error).message}`);
      }
      const opts: OrtTypes.InferenceSession.SessionOptions = {
        graphOptimizationLevel: 'all',
        executionMode: 'sequential',
        enableCpuMemArena: true,
      };
      if (settings.intraOpThreads > 0) opts.intraOpNumThreads = settings.intraOpThreads;
      return ort.InferenceSession.create(bytes, opts);
    })();
    sessions.set(graph, p);
    p.catch(() => sessions.delete(graph));
  }
  try {
    return { ort, session: await p };
  } catch (e) {
    if (backend === 'ort') throw e;
    ortError = (e as Error).message;
    return null;
  }
}
