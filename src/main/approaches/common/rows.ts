// Row-wise helpers and the pure-TypeScript blocked product kernels (fallback and test oracle).

/** Checks a row-major matrix argument and names it in the error. */
export function checkMatrix(fn: string, name: string, a: Float32Array, rows: number, dim: number): void {
  if (!(a instanceof Float32Array)) throw new Error(`${fn}: ${name} must be a Float32Array`);
  if (!Number.isInteger(rows) || rows < 0) throw new Error(`${fn}: ${name} row count must be a non-negative integer, got ${rows}`);
  if (!Number.isInteger(dim) || dim < 1) throw new Error(`${fn}: dim must be a positive integer, got ${dim}`);
  if (a.length !== rows * dim) {
    throw new Error(`${fn}: ${name} has length ${a.length}, expected ${rows} x ${dim} = ${rows * dim}`);
  }
}

/** Copy with every row scaled to unit L2 norm; all-zero rows stay zero (cosine 0 to everything). */
export function normaliseRows(a: Float32Array, rows: number, dim: number): Float32Array {
  const out = new Float32Array(rows * dim);
  for (let i = 0; i < rows; i++) {
    const o = i * dim;
    let s = 0;
    for (let j = 0; j < dim; j++) s += a[o + j] * a[o + j];
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let j = 0; j < dim; j++) out[o + j] = a[o + j] * inv;
  }
  return out;
}

/** Squared L2 norm of every row. */
export function rowSqNorms(a: Float32Array, rows: number, dim: number): Float32Array {
  const out = new Float32Array(rows);
  for (let i = 0; i < rows; i++) {
    const o = i * dim;
    let s = 0;
    for (let j = 0; j < dim; j++) s += a[o + j] * a[o + j];
    out[i] = s;
  }
  return out;
}

/**
 * tile[(i - q0) * (k1 - k0) + (j - k0)] = q_i . k_j over a block of query rows and key rows.
 * Four keys per pass so each query element loaded serves four products (float64 accumulation).
 */
export function dotTile(
  q: Float32Array, q0: number, q1: number,
  k: Float32Array, k0: number, k1: number,
  dim: number, tile: Float64Array,
): void {
  const kn = k1 - k0;
  for (let i = q0; i < q1; i++) {
    const qo = i * dim;
    const to = (i - q0) * kn;
    let j = k0;
    for (; j + 3 < k1; j += 4) {
      const a = j * dim, b = a + dim, c = b + dim, d = c + dim;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let x = 0; x < dim; x++) {
        const v = q[qo + x];
        s0 += v * k[a + x];
        s1 += v * k[b + x];
        s2 += v * k[c + x];
        s3 += v * k[d + x];
      }
      tile[to + j - k0] = s0;
      tile[to + j - k0 + 1] = s1;
      tile[to + j - k0 + 2] = s2;
      tile[to + j - k0 + 3] = s3;
    }
    for (; j < k1; j++) {
      const a = j * dim;
      let s = 0;
      for (let x = 0; x < dim; x++) s += q[qo + x] * k[a + x];
      tile[to + j - k0] = s;
    }
  }
}

/** Like dotTile but the squared Euclidean distance, summed directly (no expansion, so no cancellation). */
export function sqDistTile(
  q: Float32Array, q0: number, q1: number,
  k: Float32Array, k0: number, k1: number,
  dim: number, tile: Float64Array,
): void {
  const kn = k1 - k0;
  for (let i = q0; i < q1; i++) {
    const qo = i * dim;
    const to = (i - q0) * kn;
    let j = k0;
    for (; j + 3 < k1; j += 4) {
      const a = j * dim, b = a + dim, c = b + dim, d = c + dim;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let x = 0; x < dim; x++) {
        const v = q[qo + x];
        const e0 = v - k[a + x], e1 = v - k[b + x], e2 = v - k[c + x], e3 = v - k[d + x];
        s0 += e0 * e0;
        s1 += e1 * e1;
        s2 += e2 * e2;
        s3 += e3 * e3;
      }
      tile[to + j - k0] = s0;
      tile[to + j - k0 + 1] = s1;
      tile[to + j - k0 + 2] = s2;
      tile[to + j - k0 + 3] = s3;
    }
    for (; j < k1; j++) {
      const a = j * dim;
      let s = 0;
      for (let x = 0; x < dim; x++) {
        const e = q[qo + x] - k[a + x];
        s += e * e;
      }
      tile[to + j - k0] = s;
    }
  }
}
