// AST and BEATs code paths, through tiny random-weight stand-ins with the real models' ONNX signatures.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEncoder } from '../../src/main/encoders';
import type { OnnxEncoder } from '../../src/main/encoders/onnx-encoder';
import { tone } from '../helpers/tmp';

const REPO = path.resolve(import.meta.dirname, '..', '..');
const MODELS = path.join(REPO, 'models');
const FIXTURES = path.join(REPO, 'test', 'fixtures', 'encoders');
const USER = [path.join(FIXTURES, 'manifest.json')];

interface Reference {
  tokens: { layer: number; f: number; t: number; values: number[] }[];
  embedding: { layer: number; values: number[] };
}

/** tools/tiny_transformers.py test_input: 0.5 sin(0.013 t (b+1)) + 0.25 cos(0.07 b), frames x 128. */
function testInput(frames: number): Float32Array {
  const x = new Float32Array(frames * 128);
  for (let t = 0; t < frames; t++) for (let b = 0; b < 128; b++) x[t * 128 + b] = 0.5 * Math.sin(0.013 * t * (b + 1)) + 0.25 * Math.cos(0.07 * b);
  return x;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Tokens whose values differ between two runs, as grid indices. */
function changed(a: Float32Array, b: Float32Array, dim: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < a.length / dim; i++) {
    for (let c = 0; c < dim; c++) {
      if (a[i * dim + c] !== b[i * dim + c]) {
        out.push(i);
        break;
      }
    }
  }
  return out;
}

const cases = [
  // AST: 16x16 patches, stride 10, on (freq, time); 2 leading tokens (CLS, distillation) dropped
  { id: 'tiny_ast', frames: 1024, grid: { freq: 12, time: 101 }, dim: 32, layers: [0, 1, 2, 3], stride: 10, ref: 'tiny_ast.reference.json' },
  // BEATs: 16x16 patches, stride 16, tokens time-major in the graph, reordered by Hark
  { id: 'tiny_beats', frames: 998, grid: { freq: 8, time: 62 }, dim: 24, layers: [0, 1, 2], stride: 16, ref: 'tiny_beats.reference.json' },
] as const;

for (const c of cases) {
  describe(`${c.id} (stand-in with the real model's signature)`, () => {
    let enc: OnnxEncoder;
    beforeAll(async () => {
      enc = (await loadEncoder(c.id, { modelsDir: MODELS, userManifests: USER })) as OnnxEncoder;
    });
    afterAll(async () => enc.dispose());

    it(`returns PatchTokens with ${c.grid.freq * c.grid.time} tokens per layer on a 10 s clip`, async () => {
      expect(enc.grid).toEqual(c.grid);
      expect(enc.inputDims).toEqual([1, c.frames, 128]);
      const p = await enc.encodePatches(tone(10, 16_000, 440, 2), [...c.layers]);
      expect(p.grid).toEqual(c.grid);
      expect(p.dim).toBe(c.dim);
      expect(p.layers).toEqual([...c.layers]);
      for (const d of p.data) expect(d.length).toBe(c.grid.freq * c.grid.time * c.dim);
      expect(enc.geometry!.freq * enc.geometry!.melStep).toBeLessThanOrEqual(128);
    });

    it('token (f, t) is the patch at mel row f, time column t (frequency-major f * time + t)', async () => {
      const base = new Float32Array(c.frames * 128);
      for (const [f, t] of [[0, 0], [c.grid.freq - 1, c.grid.time - 1], [3, 17], [5, 2]]) {
        const bumped = base.slice();
        // a 2x2 bump inside patch (f, t) and outside every neighbouring patch (patches overlap by 16 - stride)
        const f0 = c.stride * f + Math.min(16 - c.stride, 15) + (c.stride === 16 ? 0 : 1);
        const t0 = c.stride * t + Math.min(16 - c.stride, 15) + (c.stride === 16 ? 0 : 1);
        for (const [dt, df] of [[0, 0], [0, 1], [1, 0], [1, 1]]) bumped[(t0 + dt) * 128 + f0 + df] = 1;
        const [a, b] = await Promise.all([enc.encodeFeatures(base, [0]), enc.encodeFeatures(bumped, [0])]);
        expect(changed(a.data[0], b.data[0], c.dim)).toEqual([f * c.grid.time + t]);
      }
    });

    it('equals the torch model on a fixed input (layers, cells and pooled embedding)', async () => {
      const ref = JSON.parse(fs.readFileSync(path.join(FIXTURES, c.ref), 'utf8')) as Reference;
      const input = testInput(c.frames);
      const layers = [...new Set(ref.tokens.map((t) => t.layer))];
      const p = await enc.encodeFeatures(input, layers);
      let worst = 0;
      for (const tok of ref.tokens) {
        const at = (tok.f * c.grid.time + tok.t) * c.dim;
        worst = Math.max(worst, maxAbsDiff(p.data[p.layers.indexOf(tok.layer)].subarray(at, at + c.dim), tok.values));
      }
      const e = await enc.embedFeatures(input, ref.embedding.layer);
      expect(e.length).toBe(enc.embeddingDim(ref.embedding.layer));
      expect(e.length).toBe(c.grid.freq * c.dim);
      worst = Math.max(worst, maxAbsDiff(e, ref.embedding.values));
      expect(worst).toBeLessThan(1e-4);
    });

    it('is deterministic', async () => {
      const w = tone(10, 16_000, 250, 4);
      const [a, b] = [await enc.embed(w), await enc.embed(w)];
      expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true);
    });
  });
}
