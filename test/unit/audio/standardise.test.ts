import { describe, expect, it } from 'vitest';
import type { DecodedAudio } from '../../../src/main/audio/decode';
import { clipStats, resample, sliceClips, standardise } from '../../../src/main/audio/standardise';

function tone(n: number, rate: number, freq: number, amp = 0.5, phase = 0): Float32Array {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = amp * Math.sin((2 * Math.PI * freq * i) / rate + phase);
  return x;
}

function rms(x: Float32Array, from = 0, to = x.length): number {
  let s = 0;
  for (let i = from; i < to; i++) s += x[i] * x[i];
  return Math.sqrt(s / (to - from));
}

/** max |y[k] - amp sin(2 pi f k / rate)| away from the edges */
function maxDevFromTone(y: Float32Array, rate: number, freq: number, amp: number, edge: number): number {
  let m = 0;
  for (let k = edge; k < y.length - edge; k++) m = Math.max(m, Math.abs(y[k] - amp * Math.sin((2 * Math.PI * freq * k) / rate)));
  return m;
}

describe('resample (libsamplerate, SRC_SINC_BEST_QUALITY)', () => {
  it('keeps a passband tone: amplitude, phase and time alignment (44.1 kHz -> 16 kHz)', () => {
    const y = resample(tone(44100 * 3, 44100, 1000), 44100, 16000);
    expect(y.length).toBe(48000);
    expect(maxDevFromTone(y, 16000, 1000, 0.5, 400)).toBeLessThan(1e-5);
    expect(rms(y, 400, y.length - 400)).toBeCloseTo(0.5 / Math.SQRT2, 5);
  });

  it('keeps a tone near the new Nyquist (7 kHz of 8 kHz) at full amplitude', () => {
    const y = resample(tone(48000 * 2, 48000, 7000), 48000, 16000);
    expect(maxDevFromTone(y, 16000, 7000, 0.5, 400)).toBeLessThan(1e-4);
  });

  it('band-limits: tones above the new Nyquist are removed, not aliased', () => {
    for (const f of [9000, 12000, 20000]) {
      const y = resample(tone(44100 * 2, 44100, f), 44100, 16000);
      // a 9 kHz tone would alias to 7 kHz at full amplitude without the low-pass
      expect(rms(y, 400, y.length - 400) / (0.5 / Math.SQRT2), `${f} Hz`).toBeLessThan(1e-4);
    }
  });

  it('takes ultrasound-microphone rates (384 kHz -> 16 kHz)', () => {
    const x = tone(384000, 384000, 2000, 0.4);
    for (let i = 0; i < x.length; i++) x[i] += 0.4 * Math.sin((2 * Math.PI * 60000 * i) / 384000); // far above 8 kHz
    const y = resample(x, 384000, 16000);
    expect(y.length).toBe(16000);
    expect(maxDevFromTone(y, 16000, 2000, 0.4, 400)).toBeLessThan(1e-4);
  });

  it('upsamples (8 kHz -> 16 kHz) without images', () => {
    const y = resample(tone(8000 * 2, 8000, 1500, 0.7), 8000, 16000);
    expect(y.length).toBe(32000);
    expect(maxDevFromTone(y, 16000, 1500, 0.7, 400)).toBeLessThan(1e-5);
  });

  it('streams long input through the wasm buffer without seams (30 s at 48 kHz)', () => {
    const n = 48000 * 30; // 1.44 M samples: more than the 1.008 M-float wasm buffer, so two chunks
    const y = resample(tone(n, 48000, 440, 0.3), 48000, 16000);
    expect(y.length).toBe(16000 * 30);
    expect(maxDevFromTone(y, 16000, 440, 0.3, 400)).toBeLessThan(1e-5);
  });

  it('is stateless between calls and exact in length', () => {
    const x = tone(12345, 22050, 300);
    const a = resample(x, 22050, 16000);
    resample(tone(5000, 44100, 5000), 44100, 16000);
    const b = resample(x, 22050, 16000);
    expect(b).toEqual(a);
    expect(a.length).toBe(Math.ceil((12345 * 16000) / 22050));
    expect(resample(new Float32Array(0), 44100, 16000).length).toBe(0);
  });

  it('returns a copy at equal rates', () => {
    const x = tone(100, 16000, 440);
    const y = resample(x, 16000, 16000);
    expect(y).toEqual(x);
    expect(y).not.toBe(x);
  });

  it.each([
    [0, 16000],
    [44100.5, 16000],
    [16000, -1],
    [1000000, 1000],
  ])('rejects rates %s -> %s', (a, b) => {
    expect(() => resample(new Float32Array(10), a, b)).toThrow(RangeError);
  });
});

describe('sliceClips', () => {
  const rate = 100; // small rate: lengths in samples are easy to read
  const ramp = (seconds: number) => Float32Array.from({ length: Math.round(seconds * rate) }, (_, i) => i);
  const offsets = (s: { offsetS: number }[]) => s.map((c) => c.offsetS);

  it.each([
    [0.5, [0], 'shorter than a clip: one short clip, not padded'],
    [10, [0], 'exactly one clip'],
    [12, [0], 'a DCASE 12 s clip stays whole'],
    [12.5, [0], 'up to maxSingleClipS stays whole'],
    [12.6, [0, 2.6], 'tail of 2.6 s >= minTailS: one more clip aligned to the end'],
    [22, [0, 10], 'tail of 2 s < minTailS is dropped'],
    [23, [0, 10, 13], 'tail of 3 s: end-aligned clip'],
    [30, [0, 10, 20], 'whole clips only'],
  ])('%s s -> %j (%s)', (secs, expected) => {
    const s = sliceClips(ramp(secs), rate);
    expect(offsets(s)).toEqual(expected);
    for (const c of s) {
      const start = Math.round(c.offsetS * rate);
      expect(c.samples[0]).toBe(start);
      expect(c.samples.length).toBe(secs <= 12.5 ? Math.round(secs * rate) : 10 * rate);
    }
  });

  it('honours hopS, minTailS and maxSingleClipS', () => {
    expect(offsets(sliceClips(ramp(20), rate, { hopS: 5 }))).toEqual([0, 5, 10]);
    expect(offsets(sliceClips(ramp(21), rate, { hopS: 5, minTailS: 0 }))).toEqual([0, 5, 10, 11]);
    expect(offsets(sliceClips(ramp(12), rate, { maxSingleClipS: 10, minTailS: 1 }))).toEqual([0, 2]);
    expect(offsets(sliceClips(ramp(12), rate, { maxSingleClipS: 10, minTailS: 2.5 }))).toEqual([0]);
    expect(offsets(sliceClips(ramp(9), rate, { clipS: 4, maxSingleClipS: 4 }))).toEqual([0, 4]); // tail 1 s < 2.5 s
    expect(sliceClips(new Float32Array(0), rate)).toEqual([]);
  });

  it('copies the samples', () => {
    const x = ramp(3);
    const [c] = sliceClips(x, rate);
    c.samples[0] = -1;
    expect(x[0]).toBe(0);
  });

  it.each([{ clipS: 0 }, { hopS: -1 }, { minTailS: 11 }, { clipS: NaN }, { maxSingleClipS: Infinity }])('rejects %j', (o) => {
    expect(() => sliceClips(ramp(30), rate, o)).toThrow(RangeError);
  });
});

describe('clipStats', () => {
  it('matches hand-computed values', () => {
    // 1 s at 16 kHz: 0.5 s of digital silence, then 0.5 s of +0.5 with 80 samples at full scale
    const x = new Float32Array(16000);
    x.fill(0.5, 8000);
    x.fill(1, 8000, 8040);
    x.fill(-1, 8040, 8080);
    const s = clipStats(x);
    expect(s.peak).toBe(1);
    expect(s.clippedFraction).toBeCloseTo(80 / 16000, 12);
    expect(s.silentFraction).toBeCloseTo(20 / 40, 12); // 40 frames of 400 samples, 20 silent
    const meanSq = (7920 * 0.25 + 80) / 16000;
    expect(s.rmsDbfs).toBeCloseTo(10 * Math.log10(meanSq), 9);
    expect(s.dcOffset).toBeCloseTo((7920 * 0.5 + 40 - 40) / 16000, 12);
  });

  it('separates quiet from silent at -60 dBFS and counts a short last frame', () => {
    const x = new Float32Array(1000); // frames of 400, 400, 200
    x.fill(0.0011, 0, 400); // -59.2 dBFS: not silent
    x.fill(0.0009, 400, 800); // -60.9 dBFS: silent
    x.fill(0, 800);
    expect(clipStats(x).silentFraction).toBeCloseTo(2 / 3, 12);
  });

  it('floors digital silence at -200 dBFS and a full-scale square reads 0 dBFS', () => {
    expect(clipStats(new Float32Array(500)).rmsDbfs).toBe(-200);
    expect(clipStats(Float32Array.from({ length: 800 }, (_, i) => (i % 2 ? 1 : -1))).rmsDbfs).toBeCloseTo(0, 12);
    expect(() => clipStats(new Float32Array(0))).toThrow(/empty/);
  });
});

describe('standardise', () => {
  const audio = (rate: number, channels: Float32Array[]): DecodedAudio => ({
    sampleRate: rate,
    channels: channels.length,
    frames: channels[0].length,
    channelData: channels,
    format: { container: 'wav', codec: 'pcm', bitsPerSample: 16, extensible: false },
  });

  it('44.1 kHz stereo 25 s -> three 16 kHz mono clips (0, 10, 15 s) with stats', () => {
    const n = 44100 * 25;
    const a = audio(44100, [tone(n, 44100, 1000, 0.4), tone(n, 44100, 1000, 0.2)]);
    const s = standardise(a);
    expect(s.conversions).toEqual({ resampledFrom: 44100, mixedFromChannels: 2, pickedChannel: null, sliced: true });
    expect(s.clips.map((c) => c.offsetS)).toEqual([0, 10, 15]);
    for (const c of s.clips) {
      expect(c.samples.length).toBe(160000);
      expect(c.stats.peak).toBeCloseTo(0.3, 2); // mean of the channels (plus the onset ringing of clip 0)
      expect(c.stats.silentFraction).toBe(0);
    }
    // the clip at 15 s continues the tone's phase: sample alignment through resampling and slicing
    const c = s.clips[2];
    expect(maxDevFromTone(c.samples.subarray(0, 16000), 16000, 1000, 0.3, 0)).toBeLessThan(1e-4);
  });

  it('a 16 kHz mono 12 s DCASE clip is one clip, untouched', () => {
    const x = tone(192000, 16000, 300, 0.25);
    const s = standardise(audio(16000, [x]));
    expect(s.conversions).toEqual({ resampledFrom: null, mixedFromChannels: null, pickedChannel: null, sliced: false });
    expect(s.clips).toHaveLength(1);
    expect(s.clips[0].samples).toEqual(x);
    expect(s.clips[0].stats.rmsDbfs).toBeCloseTo(20 * Math.log10(0.25 / Math.SQRT2), 3);
  });

  it('picks a channel, and passes slicing options through (undefined means default)', () => {
    const a = audio(16000, [new Float32Array(16000 * 30), tone(16000 * 30, 16000, 200, 0.5)]);
    const s = standardise(a, { channel: 1, clipS: undefined, hopS: 15 });
    expect(s.conversions).toEqual({ resampledFrom: null, mixedFromChannels: null, pickedChannel: 1, sliced: true });
    expect(s.clips.map((c) => c.offsetS)).toEqual([0, 15, 20]);
    expect(s.clips[0].stats.peak).toBeCloseTo(0.5, 4);
    expect(() => standardise(a, { channel: 2 })).toThrow(/out of range/);
  });
});
