// NumPy .npy files (format 1.0 written; 1.0-3.0 read) for float32 / float64 C-order arrays.
import { readFileSync, writeFileSync } from 'node:fs';

export type NpyData = Float32Array | Float64Array;

export interface NpyArray<T extends NpyData = NpyData> {
  data: T;
  shape: number[];
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

function checkShape(len: number, shape: number[], what: string): void {
  if (!shape.every((d) => Number.isInteger(d) && d >= 0)) throw new RangeError(`${what}: shape [${shape.join(', ')}] must hold non-negative integers`);
  const n = shape.reduce((a, b) => a * b, 1);
  if (n !== len) throw new RangeError(`${what}: shape [${shape.join(', ')}] holds ${n} values but the data has ${len}`);
}

/** The bytes of a .npy file: little-endian, C order, header padded to a multiple of 64 bytes. */
export function encodeNpy(data: NpyData, shape: number[]): Uint8Array {
  checkShape(data.length, shape, 'encodeNpy');
  const descr = data instanceof Float32Array ? '<f4' : '<f8';
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${dims}), }`;
  const pre = MAGIC.length + 2 + 2;
  header += ' '.repeat(63 - ((pre + header.length) % 64)) + '\n';
  if (header.length > 0xffff) throw new RangeError('encodeNpy: header too long for format 1.0');
  const out = new Uint8Array(pre + header.length + data.byteLength);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[pre + i] = header.charCodeAt(i);
  const body = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) throw new Error('encodeNpy: big-endian hosts are not supported');
  out.set(body, pre + header.length);
  return out;
}

export function decodeNpy(buf: Uint8Array, name = 'npy'): NpyArray {
  const fail = (why: string): never => {
    throw new Error(`${name}: not a supported .npy file (${why})`);
  };
  if (buf.length < 10 || MAGIC.some((b, i) => buf[i] !== b)) fail('missing \\x93NUMPY magic');
  const major = buf[6];
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let headerLen: number;
  let start: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    start = 10;
  } else if (major === 2 || major === 3) {
    if (buf.length < 12) fail('truncated header');
    headerLen = view.getUint32(8, true);
    start = 12;
  } else return fail(`format version ${major}.${buf[7]}`);
  if (buf.length < start + headerLen) fail('truncated header');
  const header = new TextDecoder().decode(buf.subarray(start, start + headerLen));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) return fail('malformed header');
  if (fortran === 'True') fail('Fortran order');
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map(Number);
  if (!shape.every((d) => Number.isInteger(d) && d >= 0)) fail(`bad shape (${shapeText})`);
  const count = shape.reduce((a, b) => a * b, 1);
  const bytesPer = descr === '<f4' ? 4 : descr === '<f8' ? 8 : fail(`dtype ${descr}; only little-endian float32/float64 are read`);
  const off = start + headerLen;
  if (buf.length - off !== count * bytesPer) fail(`expected ${count * bytesPer} data bytes for shape (${shapeText}), found ${buf.length - off}`);
  const bytes = new Uint8Array(count * bytesPer); // a copy: aligned and owned (Buffer.slice would be a view)
  bytes.set(buf.subarray(off, off + count * bytesPer));
  const data = bytesPer === 4 ? new Float32Array(bytes.buffer, 0, count) : new Float64Array(bytes.buffer, 0, count);
  return { data, shape };
}

export function writeNpy(path: string, data: NpyData, shape: number[]): void {
  writeFileSync(path, encodeNpy(data, shape));
}

export function readNpy(path: string): NpyArray {
  return decodeNpy(readFileSync(path), path);
}
