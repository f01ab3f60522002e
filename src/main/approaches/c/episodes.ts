// Few-shot episodes from metadata tasks: which clips belong to which class of which task,
// and an n-way k-shot sampler whose randomness comes only from (seed, episode number).
import { createRng, type Rng } from '../common';

/** One eligible task: its classes and, per class, the training rows (ascending) carrying that label. */
export interface TaskIndex {
  task: string;
  classes: string[];
  members: Int32Array[];
}

export interface EpisodeShape {
  nWay: number;
  kShot: number;
  qQuery: number;
}

export interface Episode {
  task: string;
  /** the class values drawn, in episode class order (class c of supportClass / queryClass) */
  classes: string[];
  /** training rows of the support set, grouped by class */
  support: Int32Array;
  supportClass: Int32Array;
  /** training rows of the query set, grouped by class; disjoint from support */
  query: Int32Array;
  queryClass: Int32Array;
}

/** Rows per class for each task, from per-task labels (undefined = blank) and the classes allowed. */
export function buildTaskIndex(task: string, labels: (string | undefined)[], classes: string[]): TaskIndex {
  const pos = new Map(classes.map((c, i) => [c, i]));
  const lists: number[][] = classes.map(() => []);
  labels.forEach((l, row) => {
    const c = l === undefined ? undefined : pos.get(l);
    if (c !== undefined) lists[c].push(row);
  });
  lists.forEach((l, i) => {
    if (l.length < 2) throw new Error(`buildTaskIndex: task '${task}' class '${classes[i]}' has ${l.length} clip(s); a class needs at least 2 (one support, one query)`);
  });
  if (classes.length < 2) throw new Error(`buildTaskIndex: task '${task}' needs at least 2 classes, got ${classes.length}`);
  return { task, classes: [...classes], members: lists.map((l) => Int32Array.from(l)) };
}

/** A 32-bit seed for episode e of a run seeded with `seed`: splitmix-style mixing, so neighbours differ. */
export function episodeSeed(seed: number, episode: number): number {
  let h = (seed >>> 0) ^ Math.imul((episode + 1) >>> 0, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** The sampler's generator for one episode: no state carries over, so a resumed run draws the same episodes. */
export function episodeRng(seed: number, episode: number): Rng {
  return createRng(episodeSeed(seed, episode));
}

/** First m entries of a partial Fisher-Yates shuffle of 0..n-1. */
function pick(n: number, m: number, rng: Rng): number[] {
  const a = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < m; i++) {
    const j = i + rng.int(n - i);
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
  return a.slice(0, m);
}

/**
 * Draws an episode: a task uniformly, min(nWay, classes) of its classes, and per class
 * s = min(kShot, m - 1) support and min(qQuery, m - s) query clips, without overlap.
 */
export function sampleEpisode(tasks: TaskIndex[], shape: EpisodeShape, rng: Rng): Episode {
  if (tasks.length === 0) throw new Error('sampleEpisode: no eligible task to draw from');
  const t = tasks[rng.int(tasks.length)];
  const n = Math.min(shape.nWay, t.classes.length);
  const chosen = pick(t.classes.length, n, rng);
  const support: number[] = [];
  const supportClass: number[] = [];
  const query: number[] = [];
  const queryClass: number[] = [];
  chosen.forEach((ci, c) => {
    const rows = t.members[ci];
    const s = Math.min(shape.kShot, rows.length - 1);
    const q = Math.min(shape.qQuery, rows.length - s);
    const order = pick(rows.length, s + q, rng);
    for (let i = 0; i < s; i++) {
      support.push(rows[order[i]]);
      supportClass.push(c);
    }
    for (let i = s; i < s + q; i++) {
      query.push(rows[order[i]]);
      queryClass.push(c);
    }
  });
  return {
    task: t.task,
    classes: chosen.map((ci) => t.classes[ci]),
    support: Int32Array.from(support),
    supportClass: Int32Array.from(supportClass),
    query: Int32Array.from(query),
    queryClass: Int32Array.from(queryClass),
  };
}
