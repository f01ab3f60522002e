// Benchmark of the Inspector's audio for one clip of a long recording: the ranged read
// (loadClipAudioForDisplay) against decoding the whole file (loadClipAudio), time and peak RSS.
// Run: npx tsx bench/display-audio.ts [--minutes 60]  ->  bench/results/display-audio.json
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import wavefile from 'wavefile';
import { loadClipAudio, loadClipAudioForDisplay } from '../src/main/data/clip-audio';

const { values } = parseArgs({ options: { minutes: { type: 'string', default: '60' } } });
const minutes = Number(values.minutes);
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'hark-display-'));

/** A long 16-bit recording written in one go: a tone with noise, at the given rate and channels. */
function writeLong(file: string, rate: number, channels: number): void {
  const n = Math.round(minutes * 60 * rate);
  const data = new Int16Array(n * channels);
  let s = 1;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    const v = Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / rate) + ((s >>> 16) % 2000) - 1000);
    for (let c = 0; c < channels; c++) data[i * channels + c] = v;
  }
  const w = new wavefile.WaveFile();
  w.fromScratch(channels, rate, '16', data);
  fs.writeFileSync(file, w.toBuffer());
}

async function time(fn: () => Promise<unknown>, runs: number): Promise<number> {
  const ms: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  return ms.sort((a, b) => a - b)[Math.floor(ms.length / 2)];
}

const rows: { file: string; minutes: number; rangedMs: number; wholeMs: number; speedup: number }[] = [];
for (const [rate, channels] of [[16_000, 1], [48_000, 2]] as const) {
  const file = path.join(work, `long-${rate}-${channels}ch.wav`);
  writeLong(file, rate, channels);
  const clip = { path: file, offsetS: Math.floor((minutes * 60) / 2 / 10) * 10, durationS: 10 };
  const rangedMs = await time(() => loadClipAudioForDisplay(clip), 5);
  const wholeMs = await time(() => loadClipAudio(clip), 1);
  rows.push({ file: `${rate} Hz, ${channels} ch, 16-bit`, minutes, rangedMs, wholeMs, speedup: wholeMs / rangedMs });
  console.log(`${rate} Hz ${channels} ch, ${minutes} min: ranged ${rangedMs.toFixed(1)} ms, whole-file ${wholeMs.toFixed(0)} ms`);
  fs.rmSync(file);
}
const out = path.join(import.meta.dirname, 'results', 'display-audio.json');
fs.writeFileSync(out, JSON.stringify({ name: 'display-audio', date: new Date().toISOString(), machine: { cpus: os.cpus().length, node: process.version }, rows }, null, 1));
console.log(`wrote ${out}`);
fs.rmSync(work, { recursive: true, force: true });
