// Issue 11, points 4 and 5 (reduced; test/reliability/run.ts runs the DCASE-size long run):
// a 20,000-clip project answers the clips grid correctly and the host stays within its memory;
// fitting and scoring again and again in one process leaks neither memory nor ONNX sessions.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../../src/main/store/store';
import { CLIP_SORT_KEYS, type ClipFilter, type ClipRow } from '../../src/shared/api';
import { recordSuiteFigures } from '../reliability/figures';
import { longRun, longRunProject } from '../reliability/longrun';
import { rng } from '../reliability/host';
import { buildScaleProject, hostAtScale, timeGrid, type GridQuery, type ScaleBuild } from '../reliability/scale';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'hark-rel-scale-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** The bound this suite holds the host to with 20,000 clips open and the grid paged end to end (measured about 280 MB). */
const HOST_RSS_BOUND_MB = 600;
/** Each fit-and-score round after the first may add at most this much resident memory. */
const ROUND_GROWTH_BOUND_MB = 64;

/** The grid's semantics, written independently of SQL: filters, sort with NULLs first, ties by id. */
function reference(all: ClipRow[], scores: Map<number, number>, q: GridQuery): number[] {
  const f = q.filter;
  const rows = all.filter(
    (r) =>
      (f.machineType === undefined || r.machineType === f.machineType) &&
      (f.section === undefined || r.section === f.section) &&
      (f.domain === undefined || r.domain === f.domain) &&
      (f.split === undefined || r.split === f.split) &&
      (f.role === undefined || r.role === f.role) &&
      (f.label === undefined || r.label === f.label) &&
      (f.verdict === undefined || (f.verdict === 'none' ? r.verdict === null : r.verdict === f.verdict)) &&
      (f.text === undefined || r.name.toLowerCase().includes(f.text.toLowerCase())) &&
      (f.scoreMin === undefined || (scores.get(r.id) ?? -Infinity) >= f.scoreMin) &&
      (f.scoreMax === undefined || (scores.get(r.id) ?? Infinity) <= f.scoreMax),
  );
  const key = (r: ClipRow): string | number | null => (q.sort === 'score' ? (scores.get(r.id) ?? null) : (r[q.sort] as string | number | null));
  rows.sort((a, b) => {
    const x = key(a);
    const y = key(b);
    let c = x === y ? 0 : x === null ? -1 : y === null ? 1 : x < y ? -1 : 1;
    if (q.desc) c = -c;
    return c || a.id - b.id;
  });
  return rows.slice(q.offset, q.offset + q.limit).map((r) => r.id);
}

describe('a project of 20,000 clips', () => {
  let build: ScaleBuild;
  beforeAll(async () => {
    build = await buildScaleProject(work, { clips: 20_000, realFiles: 150 });
  }, 240_000);

  it('pages, filters and sorts the clips grid exactly as specified', () => {
    const s = Store.open(build.dir, { readonly: true });
    try {
      const all = s.clips.list({}, 'id', false, 0, 1_000_000).rows;
      expect(all).toHaveLength(20_000);
      const scores = new Map(s.results.scores(build.runId).map((x) => [x.clipId, x.score]));
      const r = rng(77);
      const pick = <T>(a: readonly T[]) => a[Math.floor(r() * a.length)];
      const filters: ClipFilter[] = [{}, { machineType: 'fan' }, { machineType: 'valve', section: '00', split: 'test' }, { role: 'target_normal' }, { verdict: 'none' }, { verdict: 'unsure' }, { text: 'ANOMALY' }, { text: '_0001' }, { domain: 'target', label: 'normal' }, { scoreRun: build.runId, scoreMin: 0.2, scoreMax: 0.4 }];
      for (let i = 0; i < 60; i++) {
        const filter = pick(filters);
        const sort = pick(CLIP_SORT_KEYS);
        const q: GridQuery = { filter: sort === 'score' ? { ...filter, scoreRun: build.runId } : filter, sort, desc: r() < 0.5, offset: pick([0, 150, 5_000, 19_900]), limit: pick([1, 50, 200]) };
        const got = s.clips.list({ ...q.filter, scoreRun: q.filter.scoreRun }, q.sort, q.desc, q.offset, q.limit);
        expect(got.rows.map((x) => x.id), JSON.stringify(q)).toEqual(reference(all, q.filter.scoreRun !== undefined ? scores : new Map(), q));
      }
    } finally {
      s.close();
    }
  }, 120_000);

  it('measures import throughput, store size per clip, grid query times and the host process memory', async () => {
    const grid = await timeGrid(build.dir, build.runId);
    const host = await hostAtScale(build, path.join(work, 'home'));
    recordSuiteFigures('scale', { build, grid, host });
    expect(build.clips).toBe(20_000);
    expect(build.importClipsPerS).toBeGreaterThan(0);
    expect(build.storeBytesPerClip).toBeLessThan(4096); // metadata, verdicts and one score per clip: about 1 kB
    expect(grid.all.n).toBeGreaterThan(100);
    expect(host.pageMs.n).toBe(100); // every page of 200 answered
    expect(host.rssMb.peak).toBeLessThan(HOST_RSS_BOUND_MB);
  }, 180_000);
});

describe('long runs', () => {
  it(`fits and scores A, B and C three times in one process: every ONNX session released, each round after the first adds < ${ROUND_GROWTH_BOUND_MB} MB`, async () => {
    const p = await longRunProject(work, 0.1);
    const rounds = await longRun(p.dir, 3, ['A', 'B', 'C'], { C: { episodes: 200 } });
    recordSuiteFigures('longrun', { clips: p.clips, rounds });
    expect(rounds).toHaveLength(4);
    const [, first, ...later] = rounds;
    for (const r of [first, ...later]) {
      expect(r.liveSessions, `round ${r.round}: sessions alive after release`).toBe(0);
      expect(r.liveAfterRun!, `round ${r.round}: encoder sessions disposed, only the cached ops graphs alive`).toBeLessThanOrEqual(4);
      for (const a of ['A', 'B', 'C']) expect(r.scores![a], `round ${r.round}: clips scored by ${a}`).toBe(first.scores![a]);
    }
    for (const r of later) {
      expect(r.rssMb - first.rssMb, `round ${r.round} RSS growth`).toBeLessThan(ROUND_GROWTH_BOUND_MB * (r.round - 1));
      expect(r.heapMb - first.heapMb, `round ${r.round} heap growth`).toBeLessThan(16);
      expect(r.scores!['B:encoded'], 'the embedding cache serves later rounds').toBe(0);
    }
  }, 300_000);
});
