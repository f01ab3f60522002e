// Bank distance = mean of the k nearest Euclidean distances (as in GenRep), optionally skipping
// a whole group of entries per query (a clip, its noisy copies and the MemMixup rows made from it).
import { euclideanKnn } from '../common';

export interface BankHits {
  /** mean of the k nearest distances per query; NaN where fewer than k entries remained */
  d: Float64Array;
  /** index of the nearest (kept) bank entry per query, -1 where none */
  nn: Int32Array;
}

/** Mean k-NN distance of each query row to the bank. */
export async function bankDistance(
  queries: Float32Array, nq: number, bank: Float32Array, nb: number, dim: number, k: number,
): Promise<BankHits> {
  return bankDistanceExcluding(queries, nq, bank, nb, dim, k, 0, null);
}

/**
 * Like bankDistance, but entries with excluded(query, entry) true are skipped. Exact: the
 * search fetches k + maxExcluded candidates, so after dropping at most maxExcluded of them the k
 * nearest kept entries are among the candidates. maxExcluded must bound the excluded count of
 * every query.
 */
export async function bankDistanceExcluding(
  queries: Float32Array, nq: number, bank: Float32Array, nb: number, dim: number, k: number,
  maxExcluded: number, excluded: ((q: number, entry: number) => boolean) | null,
): Promise<BankHits> {
  const d = new Float64Array(nq).fill(NaN);
  const nn = new Int32Array(nq).fill(-1);
  if (nq === 0 || nb === 0) return { d, nn };
  const kk = Math.min(nb, k + maxExcluded);
  const r = await euclideanKnn(queries, nq, bank, nb, dim, kk);
  for (let q = 0; q < nq; q++) {
    let got = 0;
    let sum = 0;
    for (let c = 0; c < kk && got < k; c++) {
      const e = r.index[q * kk + c];
      if (excluded && excluded(q, e)) continue;
      if (got === 0) nn[q] = e;
      sum += r.dist[q * kk + c];
      got++;
    }
    if (got === k) d[q] = sum / k;
    else nn[q] = -1;
  }
  return { d, nn };
}
