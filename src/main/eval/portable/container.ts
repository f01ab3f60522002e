// The .hark-detector container: one file holding a fitted detector and everything needed to score
// with it (approach state, encoder manifest entry and model file, threshold), zip-free.
//
// Layout (all integers little-endian):
//   0   8 bytes  magic "HARK-DET"
//   8   u32      container version (CONTAINER_VERSION)
//   12  u32      header length H in bytes
//   16  32 bytes sha256 of the header bytes
//   48  H bytes  header: UTF-8 JSON (DetectorHeader), zero-padded to a multiple of 8
//   P            payload: the entries at header.entries[i].offset (relative to P, 8-aligned), each
//                zero-padded to 8 bytes; the file ends exactly at P + header.payloadBytes.
// State blobs are float32 little-endian; model entries are the encoder's files byte for byte.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';

export const MAGIC = 'HARK-DET';
export const CONTAINER_VERSION = 1;
export const DETECTOR_FORMAT = 'hark-detector/1';
export const DETECTOR_EXT = '.hark-detector';
const PREFIX_BYTES = 48;
const ALIGN = 8;
/** a header larger than this is not ours (a real one is a few hundred kB at most: A's state lists clip names) */
const MAX_HEADER_BYTES = 64 << 20;
const CHUNK = 4 << 20;

const pad8 = (n: number) => (n + ALIGN - 1) & ~(ALIGN - 1);
const Sha = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits');
const Int = z.number().int();

const EntrySchema = z.strictObject({
  /** 'state/<blob name>' for approach state blobs, 'model/<file name>' for encoder files */
  name: z.string().regex(/^(state|model)\/.+$/, "must start with 'state/' or 'model/'"),
  kind: z.enum(['state', 'model']),
  offset: Int.min(0),
  bytes: Int.min(0),
  sha256: Sha,
});

const EncoderSchema = z.strictObject({
  id: z.string().min(1),
  version: z.string().min(1),
  /** Encoder.fingerprint at export: the embedding cache key the detector was fitted under */
  fingerprint: z.string().min(1),
  runtime: z.enum(['onnx', 'dsp']),
  /** the models/manifest.json entry, its files' paths rewritten to the embedded 'model/' entry names */
  entry: z.record(z.string(), z.unknown()),
  featureRequest: z.union([
    z.strictObject({ kind: z.literal('patches'), encoder: z.string(), layers: z.array(Int.min(0)) }),
    z.strictObject({ kind: z.literal('embedding'), encoder: z.string(), layer: Int.min(0).optional() }),
  ]),
  licenceRestricted: z.boolean(),
});

const HeaderSchema = z
  .strictObject({
    format: z.literal(DETECTOR_FORMAT),
    createdAt: z.string(),
    /** Hark version that wrote the file */
    hark: z.string(),
    source: z.strictObject({
      project: z.string(),
      projectName: z.string(),
      detectorId: Int,
      runId: Int,
      fittedAt: z.string(),
    }),
    /** one approach, or 'ensemble': the rank-averaged ensemble whose members are in 'state.members' */
    approach: z.enum(['A', 'B', 'C', 'ensemble']),
    machineType: z.string().min(1),
    section: z.string(),
    config: z.record(z.string(), z.unknown()),
    /** the approach's SerialisedState.json; its blobs are the 'state/' entries */
    state: z.record(z.string(), z.unknown()),
    threshold: z.strictObject({ value: z.number(), method: z.string() }),
    /** the encoder of a single approach; its files are the entries 'model/<file>' */
    encoder: EncoderSchema.optional(),
    /** an ensemble's encoders, one per member in member order; member i's files are the entries 'model/m<i>/<file>' */
    encoders: z.array(EncoderSchema).min(2).optional(),
    /** how a recording becomes clips, as on import (audio/standardise sliceClips) */
    slicing: z.strictObject({
      sampleRate: Int.min(1),
      clipS: z.number().positive(),
      hopS: z.number().positive(),
      minTailS: z.number().min(0),
      maxSingleClipS: z.number().positive(),
    }),
    entries: z.array(EntrySchema),
    payloadBytes: Int.min(0),
  })
  .superRefine((h, ctx) => {
    // a single approach names one encoder, an ensemble one per member: never both, never neither
    if (h.approach === 'ensemble') {
      if (!h.encoders) ctx.addIssue({ code: 'custom', path: ['encoders'], message: "an ensemble needs field 'encoders' (one per member)" });
      if (h.encoder) ctx.addIssue({ code: 'custom', path: ['encoder'], message: "an ensemble names its members' encoders in field 'encoders', not 'encoder'" });
    } else {
      if (!h.encoder) ctx.addIssue({ code: 'custom', path: ['encoder'], message: `approach ${h.approach} needs field 'encoder'` });
      if (h.encoders) ctx.addIssue({ code: 'custom', path: ['encoders'], message: `approach ${h.approach} is not an ensemble: field 'encoders' is not allowed` });
    }
  });

export type DetectorHeader = z.infer<typeof HeaderSchema>;
export type ContainerEntry = z.infer<typeof EntrySchema>;
export type EncoderHeader = z.infer<typeof EncoderSchema>;
/** The header as a writer supplies it: the layout fields are filled in by writeContainer. */
export type HeaderDraft = Omit<DetectorHeader, 'entries' | 'payloadBytes'>;

/** One payload part to write: bytes in memory, or a file copied as it is. */
export type ContainerPart = { name: string; kind: 'state' | 'model' } & ({ data: Uint8Array } | { file: string });

/** An error about a detector file; the message starts with the file's path. */
export class DetectorFileError extends Error {
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(`detector file ${file}: ${reason}`);
    this.name = 'DetectorFileError';
  }
}

function checkEndianness(): void {
  // float32 blobs are stored and read in host order; every platform Hark ships on is little-endian
  if (os.endianness() !== 'LE') throw new Error('detector files are little-endian; this host is big-endian');
}

export function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

async function sha256OfFile(file: string): Promise<{ sha256: string; bytes: number }> {
  const h = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: CHUNK })) {
    h.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: h.digest('hex'), bytes };
}

export function f32Bytes(a: Float32Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/**
 * Writes header + parts to `out` atomically (a temporary file renamed into place). Files are hashed
 * before the header is written and again while copied, so a model replaced mid-export is caught.
 */
export async function writeContainer(out: string, draft: HeaderDraft, parts: ContainerPart[]): Promise<DetectorHeader> {
  checkEndianness();
  const names = new Set<string>();
  const entries: ContainerEntry[] = [];
  let offset = 0;
  for (const p of parts) {
    if (names.has(p.name)) throw new Error(`detector export: entry '${p.name}' appears twice`);
    names.add(p.name);
    const { sha256, bytes } = 'data' in p ? { sha256: sha256Hex(p.data), bytes: p.data.byteLength } : await sha256OfFile(p.file);
    entries.push({ name: p.name, kind: p.kind, offset, bytes, sha256 });
    offset += pad8(bytes);
  }
  const header: DetectorHeader = { ...draft, entries, payloadBytes: offset };
  const parsed = HeaderSchema.safeParse(header);
  if (!parsed.success) throw new Error(`detector export: header ${describeIssues(parsed.error.issues)}`);
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  const prefix = Buffer.alloc(PREFIX_BYTES);
  prefix.write(MAGIC, 0, 'latin1');
  prefix.writeUInt32LE(CONTAINER_VERSION, 8);
  prefix.writeUInt32LE(headerBytes.length, 12);
  createHash('sha256').update(headerBytes).digest().copy(prefix, 16);

  await fs.mkdir(path.dirname(path.resolve(out)), { recursive: true });
  const tmp = `${out}.partial-${process.pid}`;
  const fh = await fs.open(tmp, 'w');
  try {
    const zeros = Buffer.alloc(ALIGN);
    const headerEnd = PREFIX_BYTES + headerBytes.length;
    await fh.write(prefix);
    await fh.write(headerBytes);
    await fh.write(zeros, 0, pad8(headerEnd) - headerEnd);
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i];
      const e = entries[i];
      if ('data' in p) await fh.write(p.data);
      else {
        const h = createHash('sha256');
        let n = 0;
        for await (const chunk of createReadStream(p.file, { highWaterMark: CHUNK })) {
          h.update(chunk as Buffer);
          n += (chunk as Buffer).length;
          await fh.write(chunk as Buffer);
        }
        if (n !== e.bytes || h.digest('hex') !== e.sha256) throw new Error(`detector export: ${p.file} changed while it was being copied; export again`);
      }
      await fh.write(zeros, 0, pad8(e.bytes) - e.bytes);
    }
    await fh.sync();
    await fh.close();
    await fs.rename(tmp, out);
  } catch (err) {
    await fh.close().catch(() => undefined);
    await fs.rm(tmp, { force: true });
    throw err;
  }
  return header;
}

function describeIssues(issues: z.ZodError['issues']): string {
  return issues
    .slice(0, 5)
    .map((i) => `field '${i.path.map(String).join('.') || '(header)'}': ${i.message}`)
    .join('; ');
}

/** An opened container: its validated header and where the payload starts. Entries are read on demand. */
export interface OpenedContainer {
  file: string;
  header: DetectorHeader;
  payloadStart: number;
  bytes: number;
}

async function readAt(fh: fs.FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  let got = 0;
  while (got < length) {
    const { bytesRead } = await fh.read(buf, got, length - got, position + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return got === length ? buf : buf.subarray(0, got);
}

const kb = (n: number) => n.toLocaleString('en-US');

/**
 * Opens a detector file and checks everything but the entries' contents: magic, version, the
 * header's sha256 and schema, the entry layout and the file length (truncation, trailing bytes).
 */
export async function openContainer(file: string): Promise<OpenedContainer> {
  checkEndianness();
  let fh: fs.FileHandle;
  try {
    fh = await fs.open(file, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new DetectorFileError(file, code === 'ENOENT' ? 'file not found' : `cannot open it (${code ?? String(err)})`);
  }
  try {
    const size = (await fh.stat()).size;
    const prefix = await readAt(fh, 0, PREFIX_BYTES);
    if (prefix.length < 8 || prefix.toString('latin1', 0, 8) !== MAGIC) {
      throw new DetectorFileError(file, `not a Hark detector file (it does not start with '${MAGIC}'); export one with 'hark export'`);
    }
    if (prefix.length < PREFIX_BYTES) throw new DetectorFileError(file, `truncated: ${size} bytes, shorter than the ${PREFIX_BYTES}-byte prefix`);
    const version = prefix.readUInt32LE(8);
    if (version !== CONTAINER_VERSION) {
      throw new DetectorFileError(
        file,
        version > CONTAINER_VERSION
          ? `container version ${version} is newer than this Hark reads (version ${CONTAINER_VERSION}); update Hark`
          : `container version ${version} is not one this Hark reads (version ${CONTAINER_VERSION}); export the detector again`,
      );
    }
    const headerLen = prefix.readUInt32LE(12);
    if (headerLen === 0 || headerLen > MAX_HEADER_BYTES) throw new DetectorFileError(file, `header length ${headerLen} is not plausible: the file is corrupt`);
    if (PREFIX_BYTES + headerLen > size) {
      throw new DetectorFileError(file, `truncated: the header needs ${kb(PREFIX_BYTES + headerLen)} bytes, the file has ${kb(size)}`);
    }
    const headerBytes = await readAt(fh, PREFIX_BYTES, headerLen);
    const want = prefix.subarray(16, 48).toString('hex');
    const got = sha256Hex(headerBytes);
    if (got !== want) throw new DetectorFileError(file, `header sha256 is ${got}, the file says ${want}: the header is corrupt`);
    let json: unknown;
    try {
      json = JSON.parse(headerBytes.toString('utf8'));
    } catch (err) {
      throw new DetectorFileError(file, `header is not valid JSON (${(err as Error).message})`);
    }
    const fmt = (json as { format?: unknown } | null)?.format;
    if (fmt !== DETECTOR_FORMAT) throw new DetectorFileError(file, `header format is ${JSON.stringify(fmt)}, this Hark reads '${DETECTOR_FORMAT}'`);
    const r = HeaderSchema.safeParse(json);
    if (!r.success) throw new DetectorFileError(file, `header ${describeIssues(r.error.issues)}`);
    const header = r.data;
    const payloadStart = pad8(PREFIX_BYTES + headerLen);
    checkLayout(file, header);
    const expected = payloadStart + header.payloadBytes;
    if (size < expected) throw new DetectorFileError(file, `truncated: ${kb(size)} bytes, the header describes ${kb(expected)}`);
    if (size > expected) throw new DetectorFileError(file, `${kb(size - expected)} unexpected bytes after the payload (the header describes ${kb(expected)} bytes)`);
    return { file, header, payloadStart, bytes: size };
  } finally {
    await fh.close();
  }
}

/** Entries must be 8-aligned, in order, non-overlapping, uniquely named and inside the payload. */
function checkLayout(file: string, h: DetectorHeader): void {
  const seen = new Set<string>();
  let end = 0;
  for (const e of h.entries) {
    const at = `header entry '${e.name}'`;
    if (seen.has(e.name)) throw new DetectorFileError(file, `${at} appears twice`);
    seen.add(e.name);
    if (e.kind !== e.name.slice(0, e.name.indexOf('/'))) throw new DetectorFileError(file, `${at} has kind '${e.kind}', its name says otherwise`);
    if (e.offset % ALIGN !== 0) throw new DetectorFileError(file, `${at} starts at offset ${e.offset}, not a multiple of ${ALIGN}`);
    if (e.offset < end) throw new DetectorFileError(file, `${at} overlaps the entry before it`);
    end = e.offset + pad8(e.bytes);
    if (end > h.payloadBytes) throw new DetectorFileError(file, `${at} ends at ${end}, past the payload's ${h.payloadBytes} bytes`);
  }
}

export function findEntry(c: OpenedContainer, name: string): ContainerEntry {
  const e = c.header.entries.find((x) => x.name === name);
  if (!e) throw new DetectorFileError(c.file, `has no entry '${name}'`);
  return e;
}

/** Reads one entry into memory and checks its sha256. */
export async function readEntry(c: OpenedContainer, e: ContainerEntry): Promise<Uint8Array> {
  const fh = await fs.open(c.file, 'r');
  try {
    const buf = await readAt(fh, c.payloadStart + e.offset, e.bytes);
    if (buf.length !== e.bytes) throw new DetectorFileError(c.file, `entry '${e.name}' is truncated`);
    const got = sha256Hex(buf);
    if (got !== e.sha256) throw new DetectorFileError(c.file, `entry '${e.name}' has sha256 ${got}, the header says ${e.sha256}: the file is corrupt`);
    return buf;
  } finally {
    await fh.close();
  }
}

/** A state entry as float32 values (a fresh, aligned buffer). */
export async function readFloat32Entry(c: OpenedContainer, e: ContainerEntry): Promise<Float32Array> {
  if (e.bytes % 4 !== 0) throw new DetectorFileError(c.file, `entry '${e.name}' has ${e.bytes} bytes, not a whole number of float32 values`);
  const buf = await readEntry(c, e);
  const out = new Float32Array(e.bytes / 4);
  new Uint8Array(out.buffer).set(buf);
  return out;
}

/** Streams one entry into `dest` while hashing it; `dest` is removed when the sha256 does not match. */
export async function extractEntry(c: OpenedContainer, e: ContainerEntry, dest: string): Promise<void> {
  const h = createHash('sha256');
  const fh = await fs.open(c.file, 'r');
  const out = await fs.open(dest, 'w');
  try {
    const buf = Buffer.alloc(Math.min(CHUNK, Math.max(1, e.bytes)));
    for (let done = 0; done < e.bytes; ) {
      const n = Math.min(buf.length, e.bytes - done);
      const { bytesRead } = await fh.read(buf, 0, n, c.payloadStart + e.offset + done);
      if (bytesRead === 0) throw new DetectorFileError(c.file, `entry '${e.name}' is truncated`);
      h.update(buf.subarray(0, bytesRead));
      await out.write(buf, 0, bytesRead);
      done += bytesRead;
    }
    const got = h.digest('hex');
    if (got !== e.sha256) throw new DetectorFileError(c.file, `entry '${e.name}' has sha256 ${got}, the header says ${e.sha256}: the file is corrupt`);
  } catch (err) {
    await out.close().catch(() => undefined);
    await fs.rm(dest, { force: true });
    throw err;
  } finally {
    await fh.close();
    await out.close().catch(() => undefined);
  }
}
