// Benchmark of the audio engine: fbank / log-mel time per 10 s clip against torchaudio (one thread,
// same run, same signal) and decode + resample + slice throughput in clips per second.
// Run: npx tsx bench/audio.ts [--quick]
// Times are medians; "cpu" is the process's user CPU time, which on a shared machine says more
// than wall time (other jobs steal the core, not the work).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeFile } from '../src/main/audio/decode';
import { fbank } from '../src/main/audio/fbank';
import { logmel } from '../src/main/audio/logmel';
import { encodeNpy } from '../src/main/audio/npy';
import { standardise, type ResampleQuality } from '../src/main/audio/standardise';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..');
const QUICK = process.argv.includes('--quick');
const RUNS = QUICK ? 30 : 200;
const PYTHON = '/usr/bin/python3';

interface Timing {
  wallMs: number;
  cpuMs: number;
  runs: number;
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function time(fn: () => void, runs: number, warmup = 10): Timing {
  for (let i = 0; i < warmup; i++) fn();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    fn();
    wall.push(performance.now() - t0);
    cpu.push(process.cpuUsage(c0).user / 1000);
  }
  return { wallMs: median(wall), cpuMs: median(cpu), runs };
}

async function timeAsync(fn: () => Promise<number>, runs: number): Promise<{ wallS: number; cpuS: number; clips: number }> {
  await fn(); // warm-up: wasm compilation, JIT
  let clips = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < runs; i++) clips += await fn();
  return { wallS: (performance.now() - t0) / 1000, cpuS: process.cpuUsage(c0).user / 1e6, clips };
}

/** 10 s test signal: tones, a chirp and noise, deterministic. */
function testClip(n = 160000, rate = 16000): Float32Array {
  let s = 12345;
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const t = i / rate;
    x[i] = 0.2 * Math.sin(2 * Math.PI * 440 * t) + 0.1 * Math.sin(2 * Math.PI * (100 * t + 300 * t * t)) + 0.02 * (s / 2 ** 32 - 0.5);
  }
  return x;
}

function writePcm16(file: string, channels: Float32Array[], rate: number): void {
  const n = channels[0].length;
  const c = channels.length;
  const buf = Buffer.alloc(44 + n * c * 2);
  buf.write('RIFF', 0, 'ascii');
  buf.writeUInt32LE(36 + n * c * 2, 4);
  buf.write('WAVEfmt ', 8, 'ascii');
  buf.writeUInt32LE(16, 16);
  buf.writeUInt16LE(1, 20);
  buf.writeUInt16LE(c, 22);
  buf.writeUInt32LE(rate, 24);
  buf.writeUInt32LE(rate * c * 2, 28);
  buf.writeUInt16LE(c * 2, 32);
  buf.writeUInt16LE(16, 34);
  buf.write('data', 36, 'ascii');
  buf.writeUInt32LE(n * c * 2, 40);
  for (let i = 0, p = 44; i < n; i++) for (let k = 0; k < c; k++, p += 2) buf.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(channels[k][i] * 32768))), p);
  fs.writeFileSync(file, buf);
}

const TORCH_SCRIPT = `
import json, sys, time, numpy as np, torch, torchaudio
torch.set_num_threads(1)
w = torch.from_numpy(np.load(sys.argv[1])).float()
runs = int(sys.argv[2])
mel = torchaudio.transforms.MelSpectrogram(sample_rate=16000, n_fft=1024, hop_length=512, n_mels=128)
fns = {
  'fbank_ast': lambda: torchaudio.compliance.kaldi.fbank(w.unsqueeze(0), htk_compat=True, sample_frequency=16000, use_energy=False, window_type='hanning', num_mel_bins=128, dither=0.0, frame_shift=10),
  'fbank_beats': lambda: torchaudio.compliance.kaldi.fbank(w.unsqueeze(0) * 2 ** 15, num_mel_bins=128, sample_frequency=16000, frame_length=25, frame_shift=10),
  'logmel': lambda: torch.log(mel(w) + 1e-8),
}
out = {'torch': torch.__version__, 'torchaudio': torchaudio.__version__}
for k, f in fns.items():
    for _ in range(10): f()
    wall, cpu = [], []
    for _ in range(runs):
        c0, t0 = time.process_time(), time.perf_counter()
        f()
        wall.append((time.perf_counter() - t0) * 1000); cpu.append((time.process_time() - c0) * 1000)
    out[k] = {'wallMs': float(np.median(wall)), 'cpuMs': float(np.median(cpu)), 'runs': runs}
print(json.dumps(out))
`;

async function main(): Promise<void> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hark-bench-audio-'));
  try {
    const clip = testClip();
    console.log(`audio bench: ${RUNS} runs per feature, 10 s clip at 16 kHz`);
    const node = {
      fbank_ast: time(() => fbank(clip, 'ast'), RUNS),
      fbank_beats: time(() => fbank(clip, 'beats'), RUNS),
      logmel: time(() => logmel(clip), RUNS),
    };

    let torch: Record<string, unknown> | null = null;
    let torchNote: string | null = null;
    const npy = path.join(tmp, 'clip.npy');
    fs.writeFileSync(npy, encodeNpy(clip, [clip.length]));
    const py = fs.existsSync(PYTHON) ? spawnSync(PYTHON, ['-c', TORCH_SCRIPT, npy, String(RUNS)], { encoding: 'utf8' }) : null;
    if (py && py.status === 0) torch = JSON.parse(py.stdout.trim().split('\n').pop() ?? '{}') as Record<string, unknown>;
    else torchNote = py ? `torchaudio unavailable: ${(py.stderr || '').trim().split('\n').pop()}` : `${PYTHON} not found`;

    const features = Object.fromEntries(
      (Object.keys(node) as (keyof typeof node)[]).map((k) => {
        const t = torch?.[k] as Timing | undefined;
        return [k, { node: node[k], torchaudio: t ?? null, ratioWall: t ? node[k].wallMs / t.wallMs : null, ratioCpu: t ? node[k].cpuMs / t.cpuMs : null }];
      }),
    );

    // decode + standardise throughput
    const secs = 60;
    const stereo = path.join(tmp, 'stereo-44k1.wav');
    writePcm16(stereo, [testClip(44100 * secs, 44100), testClip(44100 * secs, 44100).map((v) => -0.5 * v)], 44100);
    const mono = path.join(tmp, 'mono-16k.wav');
    writePcm16(mono, [testClip()], 16000);
    const pipeline = (file: string, quality: ResampleQuality) => async () => standardise(await decodeFile(file), { quality }).clips.length;
    const reps = QUICK ? 1 : 3;
    const throughput: Record<string, unknown> = {};
    for (const quality of ['best', 'medium'] as const) {
      const r = await timeAsync(pipeline(stereo, quality), reps);
      throughput[`wav_44k1_stereo_60s_${quality}`] = { ...r, clipsPerS: r.clips / r.wallS, clipsPerCpuS: r.clips / r.cpuS, realtimeFactor: (reps * secs) / r.wallS };
    }
    const r16 = await timeAsync(pipeline(mono, 'best'), QUICK ? 20 : 100);
    throughput.wav_16k_mono_10s = { ...r16, clipsPerS: r16.clips / r16.wallS, clipsPerCpuS: r16.clips / r16.cpuS };
    const end2end = await timeAsync(async () => {
      const c = standardise(await decodeFile(mono)).clips;
      for (const k of c) fbank(k.samples, 'ast');
      return c.length;
    }, QUICK ? 20 : 100);
    throughput.wav_16k_mono_10s_plus_fbank = { ...end2end, clipsPerS: end2end.clips / end2end.wallS, clipsPerCpuS: end2end.clips / end2end.cpuS };

    const result = {
      name: 'audio',
      date: new Date().toISOString(),
      machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? 'unknown', node: process.version, loadavg: os.loadavg().map((v) => Math.round(v * 100) / 100) },
      results: { features, torchaudio: torch ? { torch: torch.torch, torchaudio: torch.torchaudio } : torchNote, throughput },
    };
    const outDir = path.join(repoRoot, 'bench', 'results');
    fs.mkdirSync(outDir, { recursive: true });
    fs.writeFileSync(path.join(outDir, 'audio.json'), JSON.stringify(result, null, 1) + '\n');

    const f = (v: number | null | undefined, d = 2) => (v === null || v === undefined ? '-' : v.toFixed(d));
    console.log('feature        node wall/cpu ms   torchaudio wall/cpu ms   ratio wall/cpu');
    for (const [k, v] of Object.entries(features)) {
      console.log(`${k.padEnd(13)}  ${f(v.node.wallMs).padStart(6)} / ${f(v.node.cpuMs).padEnd(6)}    ${f(v.torchaudio?.wallMs).padStart(6)} / ${f(v.torchaudio?.cpuMs).padEnd(6)}           ${f(v.ratioWall)} / ${f(v.ratioCpu)}`);
    }
    if (torchNote) console.log(torchNote);
    for (const [k, v] of Object.entries(throughput) as [string, { clipsPerS: number; clipsPerCpuS: number }][]) {
      console.log(`${k.padEnd(30)} ${f(v.clipsPerS, 1).padStart(7)} clips/s (${f(v.clipsPerCpuS, 1)} per CPU-second)`);
    }
    console.log(`load average ${os.loadavg().map((v) => v.toFixed(1)).join(' ')} on ${os.cpus().length} cores; wrote bench/results/audio.json`);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
