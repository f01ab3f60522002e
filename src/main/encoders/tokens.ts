// Pure helpers on token arrays: input fitting, token reordering, pooling. Typed arrays in and out.

/** Throws unless `wave` is a non-empty Float32Array of finite samples; names the encoder and the sample. */
export function checkWave(wave: Float32Array, who: string): void {
  if (!(wave instanceof Float32Array)) throw new Error(`encoder '${who}': waveform must be a Float32Array`);
  if (wave.length === 0) throw new Error(`encoder '${who}': waveform is empty`);
  for (let i = 0; i < wave.length; i++) {
    if (!Number.isFinite(wave[i])) throw new Error(`encoder '${who}': waveform sample ${i} is ${wave[i]} (not finite)`);
  }
}

/** Pads with zeros or cuts to n values (the fixed input length of a graph). */
export function fitLength(x: Float32Array, n: number): Float32Array {
  if (x.length === n) return x;
  const out = new Float32Array(n);
  out.set(x.length > n ? x.subarray(0, n) : x);
  return out;
}

/** Pads with `fill` rows or cuts a frames x bins matrix to `frames` rows. */
export function fitFrames(data: Float32Array, bins: number, frames: number, fill = 0): Float32Array {
  if (data.length === frames * bins) return data;
  const out = new Float32Array(frames * bins);
  if (fill !== 0) out.fill(fill);
  out.set(data.subarray(0, Math.min(data.length, frames * bins)));
  return out;
}

/**
 * A model's token axis -> Hark's frequency-major grid (index f * time + t), dropping `skip`
 * leading non-patch tokens. Returns the input itself when nothing has to move.
 */
export function toFreqMajor(
  src: Float32Array,
  grid: { freq: number; time: number },
  dim: number,
  skip: number,
  order: 'freq-major' | 'time-major',
): Float32Array {
  const n = grid.freq * grid.time;
  if (src.length !== (n + skip) * dim) {
    throw new Error(`token array has ${src.length} values, expected (${n} + ${skip}) tokens x ${dim}`);
  }
  if (order === 'freq-major') return skip === 0 ? src : src.slice(skip * dim, (skip + n) * dim);
  const out = new Float32Array(n * dim);
  for (let t = 0; t < grid.time; t++) {
    for (let f = 0; f < grid.freq; f++) {
      const from = (skip + t * grid.freq + f) * dim; // time-major: t * freq + f
      out.set(src.subarray(from, from + dim), (f * grid.time + t) * dim);
    }
  }
  return out;
}

/** Mean over time of frequency-major tokens, keeping the frequency rows: freq x dim, row-major. */
export function timeMeanKeepFreq(tokens: Float32Array, grid: { freq: number; time: number }, dim: number): Float32Array {
  if (tokens.length !== grid.freq * grid.time * dim) {
    throw new Error(`token array has ${tokens.length} values, expected ${grid.freq} x ${grid.time} x ${dim}`);
  }
  const out = new Float32Array(grid.freq * dim);
  const acc = new Float64Array(dim); // float64 sums: 101+ terms stay exact enough for 1e-6 checks
  for (let f = 0; f < grid.freq; f++) {
    acc.fill(0);
    for (let t = 0; t < grid.time; t++) {
      const base = (f * grid.time + t) * dim;
      for (let c = 0; c < dim; c++) acc[c] += tokens[base + c];
    }
    for (let c = 0; c < dim; c++) out[f * dim + c] = acc[c] / grid.time;
  }
  return out;
}
