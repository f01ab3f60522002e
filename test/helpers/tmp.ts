// Test helpers: temporary folders cleaned after each test, and small WAV writers.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';
import wavefile from 'wavefile';

const made: string[] = [];
afterEach(() => {
  for (const d of made.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

export function tmpDir(prefix = 'hark-test-'): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(d);
  return d;
}

export const SHARED_DATA = path.resolve(import.meta.dirname, '..', '..', '..', 'shared', 'data');
export const hasSharedData = fs.existsSync(SHARED_DATA);
export const NO_SHARED_DATA = `skipped: ../shared/data (real recordings) is absent at ${SHARED_DATA}`;

/** A tone plus a little deterministic noise, so every file has distinct content. */
export function tone(seconds: number, rate = 16_000, freq = 440, seed = 1): Float32Array {
  const n = Math.round(seconds * rate);
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = 0.3 * Math.sin((2 * Math.PI * freq * i) / rate) + 0.01 * (s / 2 ** 32 - 0.5);
  }
  return out;
}

export function writeWav(file: string, channels: Float32Array[], rate = 16_000, bitDepth: '16' | '24' | '32' | '32f' = '16'): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const w = new wavefile.WaveFile();
  const scale = bitDepth === '32f' ? 1 : 2 ** (Number(bitDepth) - 1) - 1;
  const data = channels.map((c) => (bitDepth === '32f' ? Float64Array.from(c) : Float64Array.from(c, (x) => Math.round(x * scale))));
  w.fromScratch(channels.length, rate, bitDepth, channels.length === 1 ? data[0] : data);
  fs.writeFileSync(file, w.toBuffer());
}
