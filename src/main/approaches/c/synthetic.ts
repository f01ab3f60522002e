// Synthetic frozen features whose structure follows the metadata, for C's tests and benchmark:
// x = A (machine state: sum of per-metadata-value offsets + anomaly) + B (nuisance) + noise.
// The nuisance dominates raw Euclidean distances; only a metadata-aware embedding sees past it.
import type { Domain, Label } from '../../../shared/domain';
import { createRng, type Rng } from '../common';
import type { ClipFeatures } from '../types';

export interface SynthOptions {
  dim: number;
  seed: number;
  /** dimension of the machine-state subspace (what metadata and anomalies change) */
  signalDim: number;
  /** dimension of the nuisance subspace and its standard deviation */
  nuisanceDim: number;
  nuisanceStd: number;
  /** spread of a clip around its metadata class mean, in the state subspace */
  withinStd: number;
  /** scale of the per-value offsets of each metadata factor */
  factorScale: number;
  /** length of an anomaly's offset in the state subspace */
  anomalyShift: number;
  sourceNormals: number;
  targetNormals: number;
  /** test clips per domain and label */
  testPerGroup: number;
}

export const SYNTH_DEFAULTS: SynthOptions = {
  dim: 32,
  seed: 1,
  signalDim: 6,
  nuisanceDim: 12,
  nuisanceStd: 2.5,
  withinStd: 0.35,
  factorScale: 1.5,
  anomalyShift: 1.6,
  sourceNormals: 240,
  targetNormals: 10,
  testPerGroup: 40,
};

/** Metadata values per domain: the target runs at a speed and mic position the source never had. */
export const SYNTH_FACTORS = {
  speed_level: { source: ['1', '2', '3'], target: ['4'] },
  mic_position_id: { source: ['1', '2'], target: ['3'] },
  noise_id: { source: ['A', 'B'], target: ['B'] },
} as const;

type Factor = keyof typeof SYNTH_FACTORS;
const FACTORS = Object.keys(SYNTH_FACTORS) as Factor[];

export interface SynthClip extends ClipFeatures {
  /** ground truth for evaluation only; approaches never read these */
  truth: { domain: Domain; label: Label };
}

export interface SynthMachine {
  /** source and target normal training clips (roles source_normal / target_normal) */
  normals: SynthClip[];
  /** test clips: domain null and role 'test' as an approach sees them; truth holds the answer */
  test: SynthClip[];
}

function gaussianMatrix(rows: number, cols: number, scale: number, rng: Rng): Float64Array {
  const m = new Float64Array(rows * cols);
  for (let i = 0; i < m.length; i++) m[i] = rng.normal() * scale;
  return m;
}

function randomVector(n: number, len: number, rng: Rng): Float64Array {
  const v = new Float64Array(n);
  let s = 0;
  for (let i = 0; i < n; i++) {
    v[i] = rng.normal();
    s += v[i] * v[i];
  }
  const k = len / Math.sqrt(s);
  for (let i = 0; i < n; i++) v[i] *= k;
  return v;
}

/** A machine type with source and target domains, normal and anomalous clips. Deterministic in opts.seed. */
export function makeSyntheticMachine(options: Partial<SynthOptions> = {}): SynthMachine {
  const o: SynthOptions = { ...SYNTH_DEFAULTS, ...options };
  const rng = createRng(o.seed);
  const A = gaussianMatrix(o.dim, o.signalDim, 1 / Math.sqrt(o.signalDim), rng);
  const B = gaussianMatrix(o.dim, o.nuisanceDim, 1 / Math.sqrt(o.nuisanceDim), rng);
  const offsets = new Map<string, Float64Array>();
  for (const f of FACTORS) {
    for (const v of new Set<string>([...SYNTH_FACTORS[f].source, ...SYNTH_FACTORS[f].target])) offsets.set(`${f}=${v}`, randomVector(o.signalDim, o.factorScale, rng));
  }
  let id = 1;
  const make = (domain: Domain, label: Label, role: ClipFeatures['role'], name: string): SynthClip => {
    const attributes: Record<string, string> = {};
    const s = new Float64Array(o.signalDim);
    for (const f of FACTORS) {
      const vals = SYNTH_FACTORS[f][domain];
      const v = vals[rng.int(vals.length)];
      attributes[f] = v;
      const off = offsets.get(`${f}=${v}`)!;
      for (let i = 0; i < o.signalDim; i++) s[i] += off[i];
    }
    for (let i = 0; i < o.signalDim; i++) s[i] += rng.normal() * o.withinStd;
    if (label === 'anomaly') {
      const a = randomVector(o.signalDim, o.anomalyShift, rng);
      for (let i = 0; i < o.signalDim; i++) s[i] += a[i];
    }
    const n = new Float64Array(o.nuisanceDim);
    for (let i = 0; i < o.nuisanceDim; i++) n[i] = rng.normal() * o.nuisanceStd;
    const x = new Float32Array(o.dim);
    for (let d = 0; d < o.dim; d++) {
      let v = rng.normal() * 0.05;
      for (let i = 0; i < o.signalDim; i++) v += A[d * o.signalDim + i] * s[i];
      for (let i = 0; i < o.nuisanceDim; i++) v += B[d * o.nuisanceDim + i] * n[i];
      x[d] = v;
    }
    const test = role === 'test';
    return {
      clipId: id++,
      name,
      section: '00',
      domain: test ? null : domain,
      role,
      attributes: test ? {} : attributes,
      embedding: x,
      truth: { domain, label },
    };
  };
  const pad = (i: number) => String(i).padStart(4, '0');
  const normals: SynthClip[] = [];
  for (let i = 0; i < o.sourceNormals; i++) normals.push(make('source', 'normal', 'source_normal', `section_00_source_train_normal_${pad(i)}.wav`));
  for (let i = 0; i < o.targetNormals; i++) normals.push(make('target', 'normal', 'target_normal', `section_00_target_train_normal_${pad(i)}.wav`));
  const test: SynthClip[] = [];
  let t = 0;
  for (const domain of ['source', 'target'] as const) {
    for (const label of ['normal', 'anomaly'] as const) {
      for (let i = 0; i < o.testPerGroup; i++) test.push(make(domain, label, 'test', `section_00_${pad(t++)}.wav`));
    }
  }
  return { normals, test };
}
