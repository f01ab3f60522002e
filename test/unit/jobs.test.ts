// JobManager (progress events with stage and ETA, throttling, failure, cancel) and runInWorker
// (a real import task in a worker thread: cancel keeps finished batches, errors become failed jobs).
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { JobInfo } from '../../src/shared/api';
import { HarkError } from '../../src/shared/rpc';
import { listDcase } from '../../src/main/data/import/dcase';
import { importListing, type ImportSummary } from '../../src/main/data/import/importer';
import { EventBus } from '../../src/main/events';
import { JobManager, throwIfCancelled, type JobContext } from '../../src/main/jobs/manager';
import { runInWorker } from '../../src/main/jobs/run-in-worker';
import { Store } from '../../src/main/store/store';
import { tmpDir, tone, writeWav } from '../helpers/tmp';

function setup() {
  const events = new EventBus();
  const jobs = new JobManager(events);
  const seen: JobInfo[] = [];
  events.subscribe((name, payload) => {
    if (name === 'job.updated') seen.push(payload as JobInfo);
  });
  return { jobs, seen };
}

/** A promise the test resolves by hand, to step a job through its stages. */
function gate<T = void>() {
  let open!: (v: T) => void;
  const p = new Promise<T>((r) => (open = r));
  return { p, open };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('JobManager', () => {
  it('emits progress with stage, done, total and an ETA from the current stage, throttled to ten a second', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-01-01T00:00:00Z'));
    const { jobs, seen } = setup();
    let ctx!: JobContext;
    const finish = gate<string>();
    const { info, done } = jobs.start('test', 'Stepped job', async (c) => {
      ctx = c;
      return finish.p;
    });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ id: info.id, kind: 'test', title: 'Stepped job', state: 'running', stage: 'starting', done: 0, total: 0, etaS: null, finishedAt: null, error: null });

    ctx.progress({ stage: 'reading', done: 0, total: 40 });
    expect(seen.at(-1)).toMatchObject({ stage: 'reading', done: 0, total: 40, etaS: null }); // stage change: always emitted

    vi.advanceTimersByTime(50);
    ctx.progress({ done: 1, total: 40 });
    expect(seen).toHaveLength(2); // within 100 ms of the last event: held back
    expect(jobs.get(info.id)).toMatchObject({ done: 1 }); // but the job's state is current

    vi.advanceTimersByTime(1950); // 2 s into the stage, 10 of 40 done: 6 s to go
    ctx.progress({ done: 10, total: 40 });
    expect(seen).toHaveLength(3);
    expect(seen[2].etaS).toBeCloseTo(6, 6);

    for (let i = 11; i < 30; i++) ctx.progress({ done: i, total: 40 }); // a burst in the same millisecond
    expect(seen).toHaveLength(3);

    ctx.progress({ stage: 'writing', done: 0, total: 5 }); // new stage: its own clock
    expect(seen.at(-1)).toMatchObject({ stage: 'writing', done: 0, total: 5, etaS: null });
    vi.advanceTimersByTime(300);
    ctx.progress({ done: 1, total: 5 });
    expect(seen.at(-1)!.etaS).toBeNull(); // under half a second of evidence: no guess
    vi.advanceTimersByTime(700);
    ctx.progress({ done: 4, total: 5 });
    expect(seen.at(-1)!.etaS).toBeCloseTo(0.25, 6); // 1 s for 4: a quarter second left
    ctx.progress({ done: 5, total: 5 }); // the last unit is always emitted, even inside 100 ms
    expect(seen.at(-1)).toMatchObject({ done: 5, total: 5, etaS: 0 });

    ctx.series('loss', 0.5);
    vi.advanceTimersByTime(200);
    ctx.series('loss', 0.25);
    finish.open('the result');
    await expect(done).resolves.toBe('the result');
    const last = seen.at(-1)!;
    expect(last).toMatchObject({ state: 'done', result: 'the result', etaS: null, error: null, series: { loss: [0.5, 0.25] } });
    expect(last.finishedAt).toBe('2026-01-01T00:00:03.200Z');
    // events are snapshots: the first one still says what was true then
    expect(seen[0]).toMatchObject({ state: 'running', stage: 'starting', done: 0 });
    expect(jobs.list().map((j) => j.id)).toEqual([info.id]);
  });

  it('lists jobs newest first and refuses unknown ids', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { jobs } = setup();
    vi.setSystemTime(new Date('2026-01-01T00:00:00Z'));
    const a = jobs.start('x', 'first', () => new Promise(() => undefined));
    vi.setSystemTime(new Date('2026-01-01T00:00:01Z'));
    const b = jobs.start('x', 'second', () => new Promise(() => undefined));
    expect(jobs.list().map((j) => j.title)).toEqual(['second', 'first']);
    expect(jobs.get(a.info.id).title).toBe('first');
    expect(() => jobs.get('nope')).toThrow(/no job nope/);
    expect(() => jobs.cancel('nope')).toThrow(HarkError);
    expect(b.info.state).toBe('running');
  });

  it('a task that throws becomes a failed job carrying the message', async () => {
    const { jobs, seen } = setup();
    const { info, done } = jobs.start('test', 'Broken', async (c) => {
      c.progress({ stage: 'reading', done: 3, total: 10 });
      throw new Error('clip 7: /data/x.wav is not a WAV file');
    });
    await expect(done).rejects.toThrow('clip 7: /data/x.wav is not a WAV file');
    expect(info).toMatchObject({ state: 'failed', error: 'clip 7: /data/x.wav is not a WAV file', stage: 'reading', done: 3, etaS: null });
    expect(seen.at(-1)).toMatchObject({ state: 'failed', error: 'clip 7: /data/x.wav is not a WAV file' });
    expect(seen.at(-1)!.finishedAt).not.toBeNull();
  });

  it('cancel aborts the signal; a task that throws on it is cancelled, one that returns early keeps its result', async () => {
    const { jobs, seen } = setup();
    const tick = () => new Promise((r) => setTimeout(r, 1));
    const step = gate();
    const thrower = jobs.start('test', 'Loop', async (c) => {
      for (let i = 0; ; i++) {
        throwIfCancelled(c.signal);
        c.progress({ stage: 'loop', done: i, total: 1000 });
        if (i === 3) step.open();
        await tick();
      }
    });
    await step.p;
    expect(jobs.cancel(thrower.info.id).state).toBe('running');
    await expect(thrower.done).rejects.toMatchObject({ code: 'cancelled' });
    expect(thrower.info).toMatchObject({ state: 'cancelled', error: 'cancelled' });
    expect(seen.filter((e) => e.id === thrower.info.id).at(-1)).toMatchObject({ state: 'cancelled' });

    const partial = jobs.start('test', 'Batches', async (c) => {
      let kept = 0;
      while (!c.signal.aborted) {
        kept++;
        if (kept === 2) jobs.cancel(partial.info.id);
        await tick();
      }
      return { kept };
    });
    await expect(partial.done).resolves.toEqual({ kept: 2 });
    expect(partial.info).toMatchObject({ state: 'cancelled', result: { kept: 2 } });
    // cancelling a finished job changes nothing
    expect(jobs.cancel(partial.info.id).state).toBe('cancelled');
  });
});

/** A DCASE tree of n short, distinct WAV files. */
function dcaseTree(n: number): string {
  const root = tmpDir('hark-jobs-pkg-');
  for (let i = 0; i < n; i++) {
    const id = String(i).padStart(4, '0');
    writeWav(path.join(root, 'pump', 'train', `section_00_source_train_normal_${id}_spd_${i % 3}.wav`), [tone(1, 16_000, 200 + 3 * i, i + 1)]);
  }
  return root;
}

describe('runInWorker', () => {
  it('runs the import task in a worker with progress; a cancelled job keeps every finished batch', async () => {
    const FILES = 160;
    const root = dcaseTree(FILES);
    const dir = tmpDir('hark-jobs-proj-');
    Store.create(dir).close();
    const { jobs, seen } = setup();
    const progress: number[] = [];
    let id = '';
    const { info, done } = jobs.start('import', 'Import in a worker', (ctx) =>
      runInWorker('import', { projectDir: dir, kind: 'dcase', path: root }, {
        ...ctx,
        progress: (p) => {
          progress.push(p.done);
          ctx.progress(p);
          if (p.done === 40) jobs.cancel(id); // one batch of 32 has landed by now
        },
      }),
    );
    id = info.id;
    const summary = (await done) as ImportSummary;
    expect(summary.cancelled).toBe(true);
    expect(info.state).toBe('cancelled');
    expect(info.result).toEqual(summary);
    expect(seen.at(-1)).toMatchObject({ state: 'cancelled', stage: 'importing', total: FILES });
    expect(progress.slice(0, 41)).toEqual(Array.from({ length: 41 }, (_, i) => i));
    expect(summary.imported).toBeGreaterThanOrEqual(40);
    expect(summary.imported).toBeLessThan(FILES);

    const store = Store.open(dir);
    expect(store.clips.count()).toBe(summary.imported); // every file the worker finished, nothing half-written
    expect(store.db.pragma('integrity_check', { simple: true })).toBe('ok');
    const rest = await importListing(store, listDcase(root));
    expect(rest).toMatchObject({ unchanged: summary.imported, imported: FILES - summary.imported, failed: 0 });
    store.close();
  });

  it('a worker task that throws becomes a failed job with the message and code', async () => {
    const root = dcaseTree(2);
    const missing = path.join(tmpDir('hark-jobs-'), 'no-project-here');
    const { jobs, seen } = setup();
    const { info, done } = jobs.start('import', 'Import into nothing', (ctx) => runInWorker('import', { projectDir: missing, kind: 'dcase', path: root }, ctx));
    const err = await done.then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(HarkError);
    expect(err).toMatchObject({ code: 'not_found' });
    expect((err as Error).message).toContain(`no Hark project at ${missing}`);
    expect(info.state).toBe('failed');
    expect(info.error).toContain(`no Hark project at ${missing}`);
    expect(seen.at(-1)).toMatchObject({ state: 'failed' });

    const dir = tmpDir('hark-jobs-proj-');
    Store.create(dir).close();
    const bad = jobs.start('import', 'Import of a file', (ctx) => runInWorker('import', { projectDir: dir, kind: 'dcase', path: path.join(root, 'nothing') }, ctx));
    await expect(bad.done).rejects.toThrow(/not a folder: .*nothing/);
    expect(bad.info).toMatchObject({ state: 'failed' });
    expect(bad.info.error).toMatch(/not a folder/);
  });
});
