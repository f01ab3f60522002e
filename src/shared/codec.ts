// Binary message codec for the WebSocket host: JSON for structure, raw bytes for typed arrays,
// so a 160,000-sample waveform crosses as 640 kB of float32, never as a JSON number list.
// Frame: u32 LE json length | json utf-8 | pad to 8 | buffers, each padded to 8.
const TYPED = {
  Float32Array,
  Float64Array,
  Int32Array,
  Uint32Array,
  Int16Array,
  Uint16Array,
  Int8Array,
  Uint8Array,
} as const;
type TypedName = keyof typeof TYPED;
type AnyTyped = InstanceType<(typeof TYPED)[TypedName]>;

const MARK = '$hark_ta';

function typedName(v: unknown): TypedName | null {
  if (!ArrayBuffer.isView(v) || v instanceof DataView) return null;
  const n = v.constructor.name as TypedName;
  return n in TYPED ? n : null;
}

const pad8 = (n: number) => (n + 7) & ~7;

export function encodeMessage(value: unknown): Uint8Array {
  const buffers: AnyTyped[] = [];
  const json = JSON.stringify(value, function (this: unknown, _key, v: unknown) {
    // JSON.stringify hands typed arrays to the replacer before converting them
    const name = typedName(v);
    if (name) {
      buffers.push(v as AnyTyped);
      return { [MARK]: buffers.length - 1, type: name };
    }
    return v;
  });
  const head = new TextEncoder().encode(json ?? 'null');
  let size = pad8(4 + head.length);
  const offsets = buffers.map((b) => {
    const at = size;
    size += pad8(b.byteLength);
    return at;
  });
  const out = new Uint8Array(size);
  new DataView(out.buffer).setUint32(0, head.length, true);
  out.set(head, 4);
  buffers.forEach((b, i) => out.set(new Uint8Array(b.buffer, b.byteOffset, b.byteLength), offsets[i]));
  // lengths travel in the JSON placeholders' order; append a table so the decoder needs no parse pass
  return withTable(out, buffers.map((b, i) => [offsets[i], b.byteLength]));
}

function withTable(body: Uint8Array, table: [number, number][]): Uint8Array {
  const t = new Uint32Array(table.length * 2 + 1);
  table.forEach(([o, l], i) => {
    t[2 * i] = o;
    t[2 * i + 1] = l;
  });
  t[t.length - 1] = table.length;
  const out = new Uint8Array(body.length + t.byteLength);
  out.set(body, 0);
  out.set(new Uint8Array(t.buffer), body.length);
  return out;
}

export class CodecError extends Error {}

export function decodeMessage(bytes: Uint8Array): unknown {
  if (bytes.byteLength < 8) throw new CodecError('message too short');
  // copy once into an aligned buffer so typed views need no per-array copy
  const buf = bytes.byteOffset % 8 === 0 ? bytes : bytes.slice();
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const count = dv.getUint32(buf.byteLength - 4, true);
  const tableBytes = (count * 2 + 1) * 4;
  if (count > 1_000_000 || tableBytes > buf.byteLength) throw new CodecError('bad buffer table');
  const tableAt = buf.byteLength - tableBytes;
  const jsonLen = dv.getUint32(0, true);
  if (4 + jsonLen > tableAt) throw new CodecError('bad json length');
  const json = new TextDecoder().decode(buf.subarray(4, 4 + jsonLen));
  const table: [number, number][] = [];
  for (let i = 0; i < count; i++) {
    const o = dv.getUint32(tableAt + 8 * i, true);
    const l = dv.getUint32(tableAt + 8 * i + 4, true);
    if (o + l > tableAt || o < 4 + jsonLen) throw new CodecError('buffer out of range');
    table.push([o, l]);
  }
  return JSON.parse(json, (_key, v: unknown) => {
    if (v && typeof v === 'object' && MARK in (v as Record<string, unknown>)) {
      const { [MARK]: idx, type } = v as { [MARK]: number; type: TypedName };
      const ctor = TYPED[type];
      const entry = table[idx];
      if (!ctor || !entry) throw new CodecError('bad typed array reference');
      const [o, l] = entry;
      if (l % ctor.BYTES_PER_ELEMENT !== 0) throw new CodecError('typed array length mismatch');
      return new ctor(buf.buffer.slice(buf.byteOffset + o, buf.byteOffset + o + l) as ArrayBuffer);
    }
    return v;
  });
}
