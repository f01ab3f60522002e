import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage } from '../../../src/shared/codec';

describe('binary codec', () => {
  it('round-trips nested typed arrays as binary, not JSON numbers', () => {
    const samples = new Float32Array(160_000).map((_, i) => Math.sin(i / 7));
    const msg = { id: 3, result: { ok: true, value: { clipId: 9, samples, idx: new Int32Array([1, -2, 3]), odd: new Uint8Array([1, 2, 3]) } } };
    const bytes = encodeMessage(msg);
    // binary: 4 bytes per sample plus a small header, nowhere near a JSON list of numbers
    expect(bytes.byteLength).toBeLessThan(samples.byteLength + 1024);
    const back = decodeMessage(bytes) as typeof msg;
    expect(back.result.value.samples).toBeInstanceOf(Float32Array);
    expect(back.result.value.samples).toEqual(samples);
    expect(Array.from(back.result.value.idx)).toEqual([1, -2, 3]);
    expect(Array.from(back.result.value.odd)).toEqual([1, 2, 3]);
    expect(back.id).toBe(3);
  });

  it('round-trips plain JSON and subarray views', () => {
    const big = new Float64Array([1, 2, 3, 4, 5]);
    const back = decodeMessage(encodeMessage({ a: [1, 'x', null], v: big.subarray(1, 3) })) as { a: unknown[]; v: Float64Array };
    expect(back.a).toEqual([1, 'x', null]);
    expect(Array.from(back.v)).toEqual([2, 3]);
  });

  it('rejects garbage with an error instead of crashing', () => {
    expect(() => decodeMessage(new Uint8Array([1, 2, 3]))).toThrow();
    expect(() => decodeMessage(new Uint8Array(64).fill(255))).toThrow();
    const ok = encodeMessage({ x: new Float32Array(4) });
    const cut = ok.slice(0, ok.length - 9);
    expect(() => decodeMessage(cut)).toThrow();
  });
});
