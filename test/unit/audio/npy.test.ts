import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeNpy, encodeNpy, readNpy, writeNpy } from '../../../src/main/audio/npy';
import { FIXTURES } from './paths';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hark-npy-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('npy', () => {
  it('writes the NumPy 1.0 header byte for byte', () => {
    const b = encodeNpy(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3]);
    expect(Array.from(b.subarray(0, 8))).toEqual([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
    const hlen = b[8] | (b[9] << 8);
    expect((10 + hlen) % 64).toBe(0); // data aligned as numpy writes it
    const header = new TextDecoder().decode(b.subarray(10, 10 + hlen));
    const dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
    expect(header).toBe(dict + ' '.repeat(hlen - dict.length - 1) + '\n');
    expect(new Float32Array(b.slice(10 + hlen).buffer)).toEqual(new Float32Array([1, 2, 3, 4, 5, 6]));
    const h1 = new TextDecoder().decode(encodeNpy(new Float64Array(5), [5]).subarray(10, 70));
    expect(h1).toMatch(/^\{'descr': '<f8', 'fortran_order': False, 'shape': \(5,\), \}/);
  });

  it('round-trips float32 and float64 through files', () => {
    const p = path.join(tmp, 'a.npy');
    const x = Float32Array.from({ length: 998 * 128 }, (_, i) => Math.sin(i) * 1e3);
    writeNpy(p, x, [998, 128]);
    const r = readNpy(p);
    expect(r.shape).toEqual([998, 128]);
    expect(r.data).toBeInstanceOf(Float32Array);
    expect(r.data).toEqual(x);
    const y = new Float64Array([Math.PI, -Math.E, 1e-300]);
    writeNpy(p, y, [3]);
    expect(readNpy(p)).toEqual({ data: y, shape: [3] });
    writeNpy(p, new Float32Array(0), [0, 128]);
    expect(readNpy(p).shape).toEqual([0, 128]);
  });

  it('reads files written by NumPy (the fixtures)', () => {
    const r = readNpy(path.join(FIXTURES, 'ref', 'synth_a.logmel_stats.npy'));
    expect(r.shape).toEqual([256]);
    expect(r.data).toBeInstanceOf(Float32Array);
    expect(r.data.every(Number.isFinite)).toBe(true);
  });

  it('rejects what it cannot read, naming the file', () => {
    const good = encodeNpy(new Float32Array(4), [4]);
    const edit = (f: (h: string) => string) => {
      const hlen = good[8] | (good[9] << 8);
      const h = f(new TextDecoder().decode(good.subarray(10, 10 + hlen))).padEnd(hlen - 1) + '\n';
      const out = good.slice();
      out.set(new TextEncoder().encode(h), 10);
      return out;
    };
    expect(() => decodeNpy(new Uint8Array(20), 'z.npy')).toThrow(/z\.npy: .*magic/);
    expect(() => decodeNpy(edit((h) => h.replace('<f4', '<i4')), 'i.npy')).toThrow(/dtype <i4/);
    expect(() => decodeNpy(edit((h) => h.replace('False', 'True')), 'f.npy')).toThrow(/Fortran/);
    expect(() => decodeNpy(edit((h) => h.replace('(4,)', '(5,)')), 's.npy')).toThrow(/expected 20 data bytes/);
    expect(() => decodeNpy(good.subarray(0, good.length - 1), 't.npy')).toThrow(/expected 16 data bytes .* found 15/);
    expect(() => encodeNpy(new Float32Array(6), [4, 2])).toThrow(/holds 8 values but the data has 6/);
  });
});
