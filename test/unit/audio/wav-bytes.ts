// A byte-level WAV writer for tests, independent of wavefile and of the decoder under test.

export type SampleKind = 'u8' | 'i16' | 'i24' | 'i32' | 'f32' | 'f64';

const BITS: Record<SampleKind, number> = { u8: 8, i16: 16, i24: 24, i32: 32, f32: 32, f64: 64 };

export interface WavSpec {
  kind: SampleKind;
  rate?: number;
  /** interleaved raw sample values: ints as stored (u8 0..255), floats as floats */
  values: number[];
  channels?: number;
  container?: 'RIFF' | 'RIFX';
  extensible?: boolean;
  /** override header fields to make broken files */
  formatCode?: number;
  blockAlign?: number;
  bitsPerSample?: number;
  dataSize?: number;
  /** bytes removed from the end of the file */
  cut?: number;
  /** an extra chunk before 'data' (e.g. LIST), to check chunk walking */
  extraChunk?: boolean;
}

export function wavBytes(s: WavSpec): Uint8Array {
  const be = s.container === 'RIFX';
  const channels = s.channels ?? 1;
  const rate = s.rate ?? 16000;
  const bits = BITS[s.kind];
  const bytes = bits / 8;
  const data = new Uint8Array(s.values.length * bytes);
  const dv = new DataView(data.buffer);
  s.values.forEach((v, i) => {
    const p = i * bytes;
    switch (s.kind) {
      case 'u8':
        dv.setUint8(p, v);
        break;
      case 'i16':
        dv.setInt16(p, v, !be);
        break;
      case 'i24': {
        const u = v & 0xffffff;
        const b = [u & 0xff, (u >> 8) & 0xff, (u >> 16) & 0xff];
        if (be) b.reverse();
        data.set(b, p);
        break;
      }
      case 'i32':
        dv.setInt32(p, v, !be);
        break;
      case 'f32':
        dv.setFloat32(p, v, !be);
        break;
      case 'f64':
        dv.setFloat64(p, v, !be);
        break;
    }
  });
  const code = s.formatCode ?? (s.kind === 'f32' || s.kind === 'f64' ? 3 : 1);
  const fmtLen = s.extensible ? 40 : 16;
  const fmt = new Uint8Array(8 + fmtLen);
  const fv = new DataView(fmt.buffer);
  fmt.set([...'fmt '].map((c) => c.charCodeAt(0)), 0);
  fv.setUint32(4, fmtLen, !be);
  fv.setUint16(8, s.extensible ? 0xfffe : code, !be);
  fv.setUint16(10, channels, !be);
  fv.setUint32(12, rate, !be);
  fv.setUint32(16, rate * channels * bytes, !be);
  fv.setUint16(20, s.blockAlign ?? channels * bytes, !be);
  fv.setUint16(22, s.bitsPerSample ?? bits, !be);
  if (s.extensible) {
    fv.setUint16(24, 22, !be);
    fv.setUint16(26, bits, !be); // valid bits
    fv.setUint32(28, channels === 2 ? 3 : 4, !be); // channel mask
    // sub-format GUID {code-0000-0010-8000-00aa00389b71}
    fv.setUint32(32, code, true);
    fmt.set([0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71], 36);
  }
  const extra = s.extraChunk ? chunk('LIST', new TextEncoder().encode('INFOISFT\u0005\0\0\0hark\0\0'), be) : new Uint8Array(0);
  const dataHead = new Uint8Array(8);
  dataHead.set([...'data'].map((c) => c.charCodeAt(0)), 0);
  new DataView(dataHead.buffer).setUint32(4, s.dataSize ?? data.length, !be);
  const pad = data.length % 2 ? new Uint8Array(1) : new Uint8Array(0);
  const body = concat(new TextEncoder().encode('WAVE'), fmt, extra, dataHead, data, pad);
  const head = new Uint8Array(8);
  head.set([...(s.container ?? 'RIFF')].map((c) => c.charCodeAt(0)), 0);
  new DataView(head.buffer).setUint32(4, body.length, !be);
  const all = concat(head, body);
  return s.cut ? all.subarray(0, all.length - s.cut) : all;
}

function chunk(id: string, payload: Uint8Array, be: boolean): Uint8Array {
  const h = new Uint8Array(8);
  h.set([...id].map((c) => c.charCodeAt(0)), 0);
  new DataView(h.buffer).setUint32(4, payload.length, !be);
  return concat(h, payload, payload.length % 2 ? new Uint8Array(1) : new Uint8Array(0));
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
