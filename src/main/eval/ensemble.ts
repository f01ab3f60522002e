// The rank-averaged ensemble of A, B and C (ALGORITHMS.md "Routing by validation", FORM.md rule 4).
//
// Members score on different scales (A: cosine distance tails, B: min of z-scores, C: prototype
// distances), so each member's score is first mapped to its rank among a reference set of that
// member's scores, then the ranks are averaged. The reference is the member's scores on the
// section's verification clips (labels are not read for it): on those clips the ensemble is exactly
// the rank average that validation measured, and every other clip is mapped through the same
// fixed table, so a clip's score never depends on the clips scored with it and the detector exports.
//
// The rank map is the empirical CDF interpolated linearly between the reference values (tied values
// take their mid-rank), and continued linearly beyond the smallest and largest reference value with
// the slope 1 / (max - min): a clip more anomalous than every reference clip still ranks above the
// others instead of saturating at 1. The map is strictly increasing, so each member's ordering is kept.
import type { ScoreResult, SerialisedState } from '../approaches/types';
import { getApproach, type AnyApproach } from '../approaches/registry';

export const ENSEMBLE = 'ensemble';
export type MemberId = 'A' | 'B' | 'C';
/** What a detector is: one approach, or the ensemble of several. */
export type DetectorKind = MemberId | typeof ENSEMBLE;

/** A member's score-to-rank table, fixed at fit time. */
export class RankMap {
  /** distinct reference values, ascending */
  readonly xs: Float64Array;
  /** rank position of each distinct value in [0, 1] (mid-rank for ties) */
  readonly ps: Float64Array;
  readonly span: number;

  constructor(reference: ArrayLike<number>) {
    const sorted = Float64Array.from(reference);
    for (const v of sorted) if (!Number.isFinite(v)) throw new Error(`rank reference: scores must be finite, got ${v}`);
    sorted.sort();
    const n = sorted.length;
    if (n < 2 || sorted[0] === sorted[n - 1]) {
      throw new Error(`rank reference: needs at least two different scores, got ${n === 0 ? 'none' : n === 1 ? 'one' : `${n} equal ones`}`);
    }
    const xs: number[] = [];
    const ps: number[] = [];
    for (let i = 0; i < n; ) {
      let j = i;
      while (j + 1 < n && sorted[j + 1] === sorted[i]) j++;
      xs.push(sorted[i]);
      ps.push((i + j) / 2 / (n - 1));
      i = j + 1;
    }
    this.xs = Float64Array.from(xs);
    this.ps = Float64Array.from(ps);
    this.span = sorted[n - 1] - sorted[0];
  }

  /** The rank of a score: in [0, 1] inside the reference's range, linear beyond it. */
  rank(score: number): number {
    const { xs, ps } = this;
    const last = xs.length - 1;
    if (score <= xs[0]) return ps[0] - (xs[0] - score) / this.span;
    if (score >= xs[last]) return ps[last] + (score - xs[last]) / this.span;
    // largest i with xs[i] <= score
    let lo = 0;
    let hi = last;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (xs[mid] <= score) lo = mid;
      else hi = mid;
    }
    return ps[lo] + ((score - xs[lo]) / (xs[lo + 1] - xs[lo])) * (ps[lo + 1] - ps[lo]);
  }
}

/** Mean rank over the members: memberScores[m][i] is member m's score of clip i. */
export function rankAverage(maps: readonly RankMap[], memberScores: readonly (readonly number[])[]): number[] {
  if (maps.length === 0 || maps.length !== memberScores.length) throw new Error(`rankAverage: ${maps.length} rank maps for ${memberScores.length} members`);
  const n = memberScores[0].length;
  if (memberScores.some((s) => s.length !== n)) throw new Error('rankAverage: members scored different numbers of clips');
  const out = new Array<number>(n).fill(0);
  maps.forEach((m, k) => memberScores[k].forEach((s, i) => (out[i] += m.rank(s))));
  return out.map((v) => v / maps.length);
}

/** A fitted member of an ensemble detector. */
export interface EnsembleMember {
  approach: MemberId;
  config: unknown;
  state: unknown;
  /** the member's scores on the reference clips (the section's verification clips) */
  reference: number[];
}

export interface EnsembleState {
  members: (EnsembleMember & { map: RankMap; impl: AnyApproach })[];
}

export function ensembleState(members: EnsembleMember[]): EnsembleState {
  if (members.length < 2) throw new Error(`an ensemble needs at least two members, got ${members.length}`);
  const ids = members.map((m) => m.approach);
  if (new Set(ids).size !== ids.length) throw new Error(`ensemble members repeat: ${ids.join('+')}`);
  return { members: members.map((m) => ({ ...m, map: new RankMap(m.reference), impl: getApproach(m.approach) })) };
}

export const ensembleName = (members: readonly { approach: string }[]) => members.map((m) => m.approach).join('+');

/** Member blob names carry the member's index: 'm0/keys', 'm1/bank_s', ... */
const blobPrefix = (i: number) => `m${i}/`;

export function serialiseEnsemble(s: EnsembleState): SerialisedState {
  const blobs: Record<string, Float32Array> = {};
  const members = s.members.map((m, i) => {
    const ser = m.impl.serialise(m.state);
    for (const [k, v] of Object.entries(ser.blobs)) blobs[blobPrefix(i) + k] = v;
    return { approach: m.approach, config: m.config, state: ser.json, reference: m.reference };
  });
  return { json: { kind: ENSEMBLE, combine: 'rank-average', members }, blobs };
}

export function deserialiseEnsemble(s: SerialisedState): EnsembleState {
  const j = s.json as { kind?: unknown; combine?: unknown; members?: unknown };
  if (j.kind !== ENSEMBLE) throw new Error(`ensemble state: field 'kind' is ${JSON.stringify(j.kind)}, not '${ENSEMBLE}'`);
  if (j.combine !== 'rank-average') throw new Error(`ensemble state: field 'combine' is ${JSON.stringify(j.combine)}; this Hark knows 'rank-average'`);
  if (!Array.isArray(j.members)) throw new Error("ensemble state: field 'members' is not a list");
  const members = (j.members as { approach?: unknown; config?: unknown; state?: unknown; reference?: unknown }[]).map((m, i) => {
    if (m.approach !== 'A' && m.approach !== 'B' && m.approach !== 'C') throw new Error(`ensemble state: member ${i} has approach ${JSON.stringify(m.approach)}`);
    if (!Array.isArray(m.reference) || m.reference.some((v) => typeof v !== 'number')) throw new Error(`ensemble state: member ${i} (${m.approach}) has no numeric 'reference'`);
    if (!m.state || typeof m.state !== 'object') throw new Error(`ensemble state: member ${i} (${m.approach}) has no 'state'`);
    const prefix = blobPrefix(i);
    const blobs: Record<string, Float32Array> = {};
    for (const [k, v] of Object.entries(s.blobs)) if (k.startsWith(prefix)) blobs[k.slice(prefix.length)] = v;
    const impl = getApproach(m.approach);
    let state: unknown;
    try {
      state = impl.deserialise({ json: m.state as Record<string, unknown>, blobs });
    } catch (e) {
      throw new Error(`ensemble state: member ${i} (${m.approach}): ${(e as Error).message}`);
    }
    return { approach: m.approach as MemberId, config: m.config, state, reference: m.reference as number[] };
  });
  return ensembleState(members);
}

/**
 * Combines the members' results for the same clips: the score is the mean rank; parts hold each
 * member's own score and rank; the anomaly map is the first member's that has one (A's).
 */
export function combineResults(s: EnsembleState, perMember: readonly ScoreResult[][]): ScoreResult[] {
  const scores = rankAverage(
    s.members.map((m) => m.map),
    perMember.map((r) => r.map((x) => x.score)),
  );
  return scores.map((score, i) => {
    const parts: Record<string, number> = {};
    s.members.forEach((m, k) => {
      parts[m.approach] = perMember[k][i].score;
      parts[`rank ${m.approach}`] = m.map.rank(perMember[k][i].score);
    });
    const map = perMember.map((r) => r[i].map).find((x) => x !== undefined);
    return { score, parts, ...(map ? { map } : {}) };
  });
}

/** Loads a stored detector's state, single approach or ensemble; throws naming what is wrong. */
export function loadDetectorState(approach: string, s: SerialisedState): unknown {
  return approach === ENSEMBLE ? deserialiseEnsemble(s) : getApproach(approach).deserialise(s);
}
