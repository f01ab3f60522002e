// Jobs of this session: progress (done, total, stage, ETA), cancellation, results, one event path.
import { randomUUID } from 'node:crypto';
import type { JobInfo } from '../../shared/api';
import { HarkError } from '../../shared/rpc';
import type { EventBus } from '../events';

export interface JobContext {
  signal: AbortSignal;
  progress(p: { stage?: string; done: number; total: number }): void;
  /** append to a plotted series, e.g. a loss curve */
  series(name: string, value: number): void;
}

const MIN_EMIT_MS = 100; // progress events at most ten a second per job, plus every stage change

export class JobManager {
  private jobs = new Map<string, { info: JobInfo; abort: AbortController; stageStart: number; lastEmit: number }>();

  constructor(private events: EventBus) {}

  list(): JobInfo[] {
    return [...this.jobs.values()].map((j) => j.info).sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  }

  get(id: string): JobInfo {
    const j = this.jobs.get(id);
    if (!j) throw new HarkError('not_found', `no job ${id}`);
    return j.info;
  }

  cancel(id: string): JobInfo {
    const j = this.jobs.get(id);
    if (!j) throw new HarkError('not_found', `no job ${id}`);
    if (j.info.state === 'running' || j.info.state === 'queued') j.abort.abort(new HarkError('cancelled', 'cancelled by the user'));
    return j.info;
  }

  /** Starts fn now and returns its info at once; the promise settles with the job. */
  start<T>(kind: string, title: string, fn: (ctx: JobContext) => Promise<T>): { info: JobInfo; done: Promise<T> } {
    const abort = new AbortController();
    const info: JobInfo = {
      id: randomUUID(),
      kind,
      title,
      state: 'running',
      stage: 'starting',
      done: 0,
      total: 0,
      etaS: null,
      startedAt: new Date().toISOString(),
      finishedAt: null,
      error: null,
    };
    const entry = { info, abort, stageStart: Date.now(), lastEmit: 0 };
    this.jobs.set(info.id, entry);
    const emit = (force = false) => {
      const now = Date.now();
      if (!force && now - entry.lastEmit < MIN_EMIT_MS) return;
      entry.lastEmit = now;
      this.events.emit('job.updated', { ...info, series: info.series ? { ...info.series } : undefined });
    };
    const ctx: JobContext = {
      signal: abort.signal,
      progress: ({ stage, done, total }) => {
        const stageChanged = stage !== undefined && stage !== info.stage;
        if (stageChanged) {
          info.stage = stage;
          entry.stageStart = Date.now();
        }
        info.done = done;
        info.total = total;
        const elapsed = (Date.now() - entry.stageStart) / 1000;
        info.etaS = done > 0 && total > done && elapsed > 0.5 ? (elapsed / done) * (total - done) : done >= total ? 0 : null;
        emit(stageChanged || done === total);
      },
      series: (name, value) => {
        info.series ??= {};
        (info.series[name] ??= []).push(value);
        emit();
      },
    };
    emit(true);
    const done = (async () => {
      try {
        const result = await fn(ctx);
        // a task that stops early on cancel returns what it finished (an import's batches): keep it, say cancelled
        info.state = abort.signal.aborted ? 'cancelled' : 'done';
        if (abort.signal.aborted) info.error = 'cancelled';
        info.result = result;
        return result;
      } catch (e) {
        const cancelled = abort.signal.aborted || (e instanceof HarkError && e.code === 'cancelled');
        info.state = cancelled ? 'cancelled' : 'failed';
        info.error = cancelled ? 'cancelled' : e instanceof Error ? e.message : String(e);
        throw e;
      } finally {
        info.finishedAt = new Date().toISOString();
        info.etaS = null;
        emit(true);
      }
    })();
    done.catch(() => undefined); // observed through job.updated; callers that await still see the error
    return { info, done };
  }
}

/** Throws the cancellation error when the job was cancelled; call between units of work. */
export function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new HarkError('cancelled', 'cancelled');
}
