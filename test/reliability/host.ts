// The browser host as a user runs it (`hark serve` in its own process), and clients that attack it:
// raw HTTP, WebSocket upgrades without the token, and requests fuzzed from the contract's schemas.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { z } from 'zod';
import { contract, METHOD_NAMES, type MethodName } from '../../src/shared/api';
import { decodeMessage, encodeMessage } from '../../src/shared/codec';
import { validationError, type ErrorCode } from '../../src/shared/rpc';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface ServeChild {
  proc: ChildProcess;
  pid: number;
  port: number;
  token: string;
  /** resident and peak resident memory of the host process, MB (from /proc) */
  memory(): { rssMb: number; peakMb: number };
  alive(): boolean;
  stop(): Promise<void>;
}

/** Starts `hark serve` (the real CLI) with its own HARK_HOME and waits for the URL it prints. */
export async function startServe(opts: { home: string; project?: string; args?: string[]; env?: Record<string, string> }): Promise<ServeChild> {
  const args = [path.join(ROOT, 'bin', 'hark.mjs'), 'serve', ...(opts.project ? ['--project', opts.project] : []), ...(opts.args ?? [])];
  const proc = spawn(process.execPath, args, { env: { ...process.env, HARK_HOME: opts.home, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`hark serve printed no URL in 60 s: ${out} ${err}`)), 60_000);
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /serving at (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`hark serve exited (${code}): ${out} ${err}`));
    });
  });
  const u = new URL(url);
  const status = () => fs.readFileSync(`/proc/${proc.pid}/status`, 'utf8');
  const kb = (text: string, key: string) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(text)?.[1] ?? NaN);
  return {
    proc,
    pid: proc.pid!,
    port: Number(u.port),
    token: u.searchParams.get('token')!,
    memory: () => {
      const s = status();
      return { rssMb: kb(s, 'VmRSS') / 1024, peakMb: kb(s, 'VmHWM') / 1024 };
    },
    alive: () => proc.exitCode === null && proc.signalCode === null,
    stop: async () => {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const done = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await done;
    },
  };
}

// ---------- clients ----------

export type Envelope = { ok: true; value: unknown } | { ok: false; error: { code: ErrorCode; message: string; field?: string } };

export class Client {
  private waiting = new Map<number | string | null, ((r: Envelope) => void)[]>();
  private anonWaiters: ((r: Envelope) => void)[] = [];
  /** responses whose id was null (frames the host could not read), in arrival order */
  readonly anonymous: Envelope[] = [];
  readonly closed: Promise<number>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      const msg = decodeMessage(new Uint8Array(data)) as { id?: number | string | null; result?: Envelope; event?: string };
      if (msg.event) return;
      const id = msg.id ?? null;
      const q = this.waiting.get(id);
      if (q && q.length) q.shift()!(msg.result!);
      else {
        // no id, or one nobody asked with (a frame whose bytes were flipped): an answer to an unreadable frame
        this.anonymous.push(msg.result!);
        this.anonWaiters.shift()?.(msg.result!);
      }
    });
    this.closed = new Promise((r) => ws.once('close', (code) => r(code)));
  }

  static connect(port: number, token: string | null, headers: Record<string, string> = {}): Promise<Client> {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws${token === null ? '' : `?token=${encodeURIComponent(token)}`}`, { headers, maxPayload: 256 << 20 });
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new Client(ws)));
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      ws.once('error', reject);
    });
  }

  /** Sends a frame and resolves with the response carrying `id` (null: the host's answer to an unreadable frame). */
  send(frame: Uint8Array | string, id: number | string | null): Promise<Envelope> {
    return new Promise((resolve) => {
      if (id === null) {
        this.anonWaiters.push(resolve); // answers to unreadable frames carry no id: matched in arrival order
        this.ws.send(frame);
        return;
      }
      const q = this.waiting.get(id) ?? [];
      q.push(resolve);
      this.waiting.set(id, q);
      this.ws.send(frame);
    });
  }

  call(method: string, params: unknown, id: number = Math.floor(Math.random() * 2 ** 40)): Promise<Envelope> {
    return this.send(encodeMessage({ id, method, params }), id);
  }

  close(): void {
    this.ws.close();
  }
}

/** One raw HTTP exchange: returns the status line, or 'closed' / 'timeout'. */
export function rawHttp(port: number, request: string | Uint8Array, timeoutMs = 3000): Promise<string> {
  return new Promise((resolve) => {
    let got = '';
    let settled = false;
    const done = (v: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(v);
    };
    const sock = net.connect(port, '127.0.0.1', () => sock.write(request));
    sock.on('data', (d) => {
      got += d.toString('latin1');
      const line = got.indexOf('\r\n');
      if (line >= 0) done(got.slice(0, line));
    });
    sock.on('error', () => done(got ? got.split('\r\n')[0] : 'closed'));
    sock.on('close', () => done(got ? got.split('\r\n')[0] : 'closed'));
    const timer = setTimeout(() => done('timeout'), timeoutMs);
  });
}

// ---------- fuzzing from the contract ----------

type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  pattern?: string;
  default?: unknown;
};

export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    s ^= s + Math.imul(s ^ (s >>> 7), 61);
    return ((s ^ (s >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** Methods whose valid requests would start heavy jobs (the demo build, an evaluation): only malformed variants are sent. */
export const NO_VALID_CALLS: MethodName[] = ['project.demo', 'eval.start'];

export interface FuzzContext {
  /** every path a fuzzed request names lies under this folder (project.create writes there) */
  sandbox: string;
  /** clip ids that exist in the open project */
  clipIds: number[];
}

const SCHEMAS = new Map<MethodName, JsonSchema>(METHOD_NAMES.map((m) => [m, z.toJSONSchema(contract[m].request, { io: 'input', unrepresentable: 'any' }) as JsonSchema]));

const JUNK_CHARS = ['a', 'Z', '0', '_', '-', ' ', '\u0000', '\u00e9', '\u6c34', '\ud83d\ude00', '\ud800', '%', "'", '"', ';', '\\', '\n'];

function junk(r: () => number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += JUNK_CHARS[Math.floor(r() * JUNK_CHARS.length)];
  return s;
}

function gen(s: JsonSchema, key: string, r: () => number, ctx: FuzzContext): unknown {
  if (s.anyOf) return gen(s.anyOf[Math.floor(r() * s.anyOf.length)], key, r, ctx);
  if (s.enum) return s.enum[Math.floor(r() * s.enum.length)];
  const t = Array.isArray(s.type) ? s.type[0] : s.type;
  switch (t) {
    case 'object': {
      const o: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(s.properties ?? {})) if (s.required?.includes(k) || r() < 0.5) o[k] = gen(v, k, r, ctx);
      return o;
    }
    case 'array': {
      const lo = s.minItems ?? 0;
      const n = lo + Math.floor(r() * Math.min(4, (s.maxItems ?? lo + 4) - lo + 1));
      return Array.from({ length: n }, () => gen(s.items ?? {}, key, r, ctx));
    }
    case 'string':
      if (key === 'path') return path.join(ctx.sandbox, `p${Math.floor(r() * 1e6)}${[...junk(r, 3)].filter((ch) => !'\\/.\u0000'.includes(ch)).join('')}`);
      if (s.pattern) return `k_${Math.floor(r() * 1000)}`;
      return r() < 0.5 ? ['fan', 'pump', '00', 'engineer', 'normal'][Math.floor(r() * 5)] : junk(r, Math.max(s.minLength ?? 0, 1 + Math.floor(r() * 8)));
    case 'integer': {
      if (key === 'clipId' || key === 'clipIds') return r() < 0.7 ? ctx.clipIds[Math.floor(r() * ctx.clipIds.length)] : Math.floor(r() * 1e6);
      const lo = s.minimum ?? 0;
      const hi = Math.min(s.maximum ?? lo + 1000, lo + 1000);
      return lo + Math.floor(r() * (hi - lo + 1));
    }
    case 'number': {
      const lo = s.exclusiveMinimum ?? s.minimum ?? -10;
      const hi = s.maximum ?? lo + 10;
      return lo + (hi - lo) * (0.01 + 0.98 * r());
    }
    case 'boolean':
      return r() < 0.5;
    case 'null':
      return null;
    default:
      return null;
  }
}

function deep(depth: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

const WEIRD_VALUES: unknown[] = [null, true, false, 0, -1, -0.5, 1e308, -1e308, 2 ** 53 + 2, '', ' ', '\u0000', 'x'.repeat(100_000), [], {}, [1, 'a', null], { a: { b: { c: 1 } } }, { $hark_ta: 7, type: 'Float32Array' }, { $hark_ta: 0, type: 'constructor' }];

/** Mutates a valid request into (usually) an invalid one; paths stay inside the sandbox. */
function mutate(v: unknown, r: () => number, ctx: FuzzContext): unknown {
  const op = Math.floor(r() * 8);
  if (op === 0 || v === null || typeof v !== 'object') return WEIRD_VALUES[Math.floor(r() * WEIRD_VALUES.length)];
  const o = Array.isArray(v) ? [...(v as unknown[])] : { ...(v as Record<string, unknown>) };
  const keys = Object.keys(o);
  const k = keys.length ? keys[Math.floor(r() * keys.length)] : 'x';
  const rec = o as Record<string, unknown>;
  switch (op) {
    case 1: // wrong type or value at one field
      if (k !== 'path') rec[k] = WEIRD_VALUES[Math.floor(r() * WEIRD_VALUES.length)];
      else rec[k] = r() < 0.5 ? 12345 : path.join(ctx.sandbox, 'x'.repeat(5000));
      break;
    case 2: // an unknown key, sometimes one that reaches for the prototype
      Object.defineProperty(o, ['__proto__', 'constructor', 'prototype', 'toString', 'extra'][Math.floor(r() * 5)], { value: { polluted: true }, enumerable: true });
      break;
    case 3: // a required key missing
      delete rec[k];
      break;
    case 4: // deep nesting
      rec[k] = deep(1 + Math.floor(r() * 1000));
      break;
    case 5: // recurse into a nested object or array
      if (rec[k] && typeof rec[k] === 'object') rec[k] = mutate(rec[k], r, ctx);
      else rec[k] = -Math.abs(Number(rec[k]) || 1);
      break;
    case 6: // a long array of ids; now and then one past the contract's 100,000 limit
      rec[k] = Array.from({ length: r() < 0.1 ? 100_001 : 1 + Math.floor(r() * 2000) }, (_, i) => i);
      break;
    default: // out of range numbers
      rec[k] = [-1, 1.5, 1e9, -1e9, 2 ** 31, Number.MAX_SAFE_INTEGER + 2][Math.floor(r() * 6)];
  }
  return o;
}

export type FuzzKind = 'valid' | 'mutated' | 'method' | 'frame';

export interface FuzzCase {
  kind: FuzzKind;
  method: unknown;
  /** null for frames the host cannot read */
  id: number | null;
  frame: Uint8Array | string;
  /** for readable requests: what validation at the host must say */
  expect?: { valid: boolean; field?: string };
}

const BAD_METHODS: unknown[] = ['', 'clips', 'clips.list ', 'CLIPS.LIST', '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'app.info\u0000', 'x'.repeat(10_000), 5, null, ['app.info'], { name: 'app.info' }];

function badFrame(r: () => number): Uint8Array | string {
  const good = encodeMessage({ id: 1, method: 'app.info', params: {} });
  switch (Math.floor(r() * 8)) {
    case 0:
      return Uint8Array.from({ length: Math.floor(r() * 64) }, () => Math.floor(r() * 256));
    case 1:
      return good.subarray(0, Math.floor(r() * good.length));
    case 2: {
      const b = good.slice();
      new DataView(b.buffer).setUint32(0, 0xffffff00, true); // json length beyond the frame
      return b;
    }
    case 3: {
      const b = good.slice();
      new DataView(b.buffer).setUint32(b.length - 4, 1 + Math.floor(r() * 1e7), true); // buffer table count
      return b;
    }
    case 4:
      return junk(r, 1 + Math.floor(r() * 40)); // a text frame
    case 5: {
      const b = good.slice();
      for (let i = 0; i < 4; i++) b[4 + Math.floor(r() * (b.length - 8))] ^= 1 << Math.floor(r() * 8); // flipped bits in the JSON
      return b;
    }
    case 6:
      return jsonFrame(`{"id":7,"method":"app.info","params":${'['.repeat(100_000)}${']'.repeat(100_000)}}`); // deeper than any stringify could write
    default:
      return encodeMessage([1, 2, 3]); // readable, but not a request object
  }
}

/** A frame in the codec's layout around hand-written JSON text (no typed arrays). */
function jsonFrame(json: string): Uint8Array {
  const head = new TextEncoder().encode(json);
  const body = (4 + head.length + 7) & ~7;
  const out = new Uint8Array(body + 4);
  new DataView(out.buffer).setUint32(0, head.length, true);
  out.set(head, 4);
  return out; // the trailing u32 is the buffer table's count: 0
}

/** The n-th fuzz case (deterministic in seed and n). */
export function fuzzCase(n: number, seed: number, ctx: FuzzContext): FuzzCase {
  const r = rng(seed * 1_000_003 + n);
  const roll = r();
  const id = 1_000_000_000 + n; // far from the ids a bit-flipped frame can carry
  if (roll < 0.08) return { kind: 'frame', method: null, id: null, frame: badFrame(r) };
  if (roll < 0.15) {
    const method = BAD_METHODS[Math.floor(r() * BAD_METHODS.length)];
    return { kind: 'method', method, id, frame: encodeMessage({ id, method, params: {} }), expect: { valid: false } };
  }
  const method = METHOD_NAMES[Math.floor(r() * METHOD_NAMES.length)];
  const valid = gen(SCHEMAS.get(method)!, '', r, ctx);
  let params = roll < 0.4 && !NO_VALID_CALLS.includes(method) ? valid : mutate(valid, r, ctx);
  // what crosses the wire is JSON: judge validity on the round-tripped value, as the host sees it
  params = JSON.parse(JSON.stringify(params) ?? 'null');
  const parsed = contract[method].request.safeParse(params ?? {});
  if (parsed.success && NO_VALID_CALLS.includes(method)) params = { ...(params as object), __fuzz_invalid: true };
  const recheck = contract[method].request.safeParse(params ?? {});
  const expect = recheck.success ? { valid: true } : { valid: false, field: validationError(recheck.error).field };
  const frame = encodeMessage({ id, method, params });
  try {
    decodeMessage(frame);
  } catch {
    return { kind: 'frame', method, id: null, frame }; // e.g. a forged typed-array reference: the host cannot read it, nor its id
  }
  return { kind: recheck.success ? 'valid' : 'mutated', method, id, frame, expect };
}

export interface FuzzFigures {
  requests: number;
  byKind: Record<FuzzKind, number>;
  answered: number;
  /** readable requests the host judged differently from the contract's own schema */
  validationMismatches: string[];
  /** 'internal' errors: an exception the backend did not turn into a clear error */
  internalErrors: string[];
  unknownMethodAnswers: number;
  /** frames that got no answer in answerTimeoutMs */
  unanswered: string[];
  seconds: number;
}

/**
 * Sends `count` fuzz cases over one connection, `window` in flight at a time, and checks every answer:
 * one envelope per frame, invalid requests refused with the field the schema names, no 'internal' errors.
 * Between windows the project under test is opened again (fuzzed calls close and create projects).
 */
export async function runFuzz(client: Client, opts: { count: number; seed: number; ctx: FuzzContext; project: string; window?: number; answerTimeoutMs?: number }): Promise<FuzzFigures> {
  const t0 = performance.now();
  const fig: FuzzFigures = { requests: 0, byKind: { valid: 0, mutated: 0, method: 0, frame: 0 }, answered: 0, validationMismatches: [], internalErrors: [], unknownMethodAnswers: 0, unanswered: [], seconds: 0 };
  const window = opts.window ?? 50;
  for (let start = 0; start < opts.count; start += window) {
    const reopen = await client.call('project.open', { path: opts.project });
    if (!reopen.ok) throw new Error(`cannot reopen ${opts.project}: ${reopen.error.message}`);
    const batch: Promise<void>[] = [];
    for (let n = start; n < Math.min(opts.count, start + window); n++) {
      const c = fuzzCase(n, opts.seed, opts.ctx);
      fig.requests++;
      fig.byKind[c.kind]++;
      let timer: NodeJS.Timeout | undefined;
      const noAnswer = new Promise<null>((r) => (timer = setTimeout(() => r(null), opts.answerTimeoutMs ?? 30_000)));
      batch.push(
        Promise.race([client.send(c.frame, c.id), noAnswer]).then((res) => {
          clearTimeout(timer);
          if (res === null) {
            fig.unanswered.push(`#${n} ${c.kind} ${JSON.stringify(c.method)?.slice(0, 40)}`);
            return;
          }
          fig.answered++;
          if (!res || typeof res.ok !== 'boolean') {
            fig.validationMismatches.push(`#${n} ${String(c.method)}: answer is not an envelope`);
            return;
          }
          if (!res.ok && res.error.code === 'internal') fig.internalErrors.push(`#${n} ${String(c.method)}: ${res.error.message.slice(0, 200)}`);
          if (c.kind === 'method') {
            if (res.ok || res.error.code !== 'unknown_method') fig.validationMismatches.push(`#${n} method ${JSON.stringify(c.method)?.slice(0, 40)} was not refused as unknown`);
            else fig.unknownMethodAnswers++;
          } else if (c.expect && !c.expect.valid) {
            if (res.ok || res.error.code !== 'invalid_request' || res.error.field !== c.expect.field) {
              fig.validationMismatches.push(`#${n} ${String(c.method)}: expected invalid_request on ${c.expect.field ?? '(request)'}, got ${JSON.stringify(res).slice(0, 200)}`);
            }
          } else if (c.expect?.valid && !res.ok && res.error.code === 'invalid_request') {
            fig.validationMismatches.push(`#${n} ${String(c.method)}: a valid request was refused: ${res.error.message}`);
          }
        }),
      );
    }
    await Promise.all(batch);
  }
  fig.seconds = (performance.now() - t0) / 1000;
  return fig;
}

/**
 * Raw HTTP requests with malformed request lines, methods, versions, origins, cookies and bodies,
 * none carrying the token: the host must refuse every one (or drop it) and never answer 1xx-3xx.
 */
export async function fuzzHttp(port: number, count: number, seed: number): Promise<{ requests: number; leaks: string[]; statuses: Record<string, number> }> {
  const r = rng(seed);
  const pick = <T>(a: T[]) => a[Math.floor(r() * a.length)];
  const leaks: string[] = [];
  const statuses: Record<string, number> = {};
  for (let i = 0; i < count; i++) {
    const method = pick(['GET', 'HEAD', 'POST', 'G\u0000T', 'GETT', '', 'CONNECT', 'TRACE']);
    const target = pick(['/', '/index.html', 'http://[', 'http://x/', '*', '//', '/%zz', '/%E0%A4%A', '/..%2f..%2fetc/passwd', '/a\u0000b', `/${'x'.repeat(3000)}`, '/?token=', '/?token[]=x']);
    const version = pick(['HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/9.9', '']);
    const headers = [
      pick(['Host: 127.0.0.1', 'Host:', '', 'Host: [::1']),
      pick(['', 'Origin: null', 'Origin: garbage', 'Origin: http://evil.example']),
      pick(['', 'Cookie: hark_token=', 'Cookie: hark_token=x; hark_token=y', `Cookie: =${'a'.repeat(100)}`]),
      pick(['', 'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: x\r\nSec-WebSocket-Version: 13', 'Transfer-Encoding: chunked', 'Content-Length: -1', 'Content-Length: 99999999']),
    ].filter(Boolean);
    const req = `${method} ${target} ${version}\r\n${headers.join('\r\n')}\r\n\r\n${pick(['', 'body', '0\r\n\r\n'])}`;
    const status = await rawHttp(port, req, 2000);
    const code = /^HTTP\/\d\.\d (\d{3})/.exec(status)?.[1] ?? status;
    statuses[code] = (statuses[code] ?? 0) + 1;
    // without the token nothing may succeed: only refusals, a closed connection, or a timeout on a half request
    if (/^[123]\d\d$/.test(code)) leaks.push(`${JSON.stringify(req.slice(0, 120))} -> ${status}`);
  }
  return { requests: count, leaks, statuses };
}
