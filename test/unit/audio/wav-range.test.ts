// The Inspector's ranged read: a clip of a long WAV recording is read from its range of the file
// only, and equals the whole-file path (exactly at 16 kHz, within resampler rounding otherwise).
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readWavRange } from '../../../src/main/audio/wav-range';
import { loadClipAudio, loadClipAudioForDisplay } from '../../../src/main/data/clip-audio';
import { tmpDir, tone, writeWav } from '../../helpers/tmp';

const dir = tmpDir('hark-wavrange-');

function maxDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('ranged WAV read for display', () => {
  it('16 kHz stereo int16: every clip, the tail included, equals the whole-file path exactly', async () => {
    const file = path.join(dir, 'long16k.wav');
    writeWav(file, [tone(34, 16_000, 220, 1), tone(34, 16_000, 330, 2)]);
    for (const [offsetS, durationS] of [[0, 10], [10, 10], [20, 10], [30, 4]]) {
      const clip = { path: file, offsetS, durationS };
      const whole = await loadClipAudio(clip);
      const shown = await loadClipAudioForDisplay(clip);
      expect(shown.length).toBe(whole.length);
      expect(maxDiff(shown, whole)).toBe(0);
    }
    // only the range (with its context) is read
    const r = (await readWavRange(file, 9.5, 11))!;
    expect(r).toMatchObject({ sampleRate: 16_000, channels: 2, startFrame: 152_000, totalFrames: 34 * 16_000 });
    expect(r.audio.frames).toBe(11 * 16_000);
  });

  it('44.1 kHz float and 48 kHz int24: same length, samples within resampler rounding', async () => {
    for (const [rate, depth] of [[44_100, '32f'], [48_000, '24']] as const) {
      const file = path.join(dir, `long${rate}.wav`);
      writeWav(file, [tone(25, rate, 440, 3)], rate, depth);
      for (const [offsetS, durationS] of [[0, 10], [10, 10], [20, 5]]) {
        const clip = { path: file, offsetS, durationS };
        const whole = await loadClipAudio(clip);
        const shown = await loadClipAudioForDisplay(clip);
        expect(shown.length).toBe(whole.length);
        expect(maxDiff(shown, whole)).toBeLessThan(1e-3);
      }
    }
  });

  it('falls back to the whole-file decode for what it does not read (FLAC, RIFX, bad headers), which names the fault', async () => {
    const flac = path.join(import.meta.dirname, '..', '..', 'fixtures', 'audio');
    const anyFlac = fs.readdirSync(flac).find((f) => f.endsWith('.flac'));
    if (anyFlac) {
      const clip = { path: path.join(flac, anyFlac), offsetS: 0, durationS: 10 };
      expect(await readWavRange(clip.path, 0, 10)).toBeNull();
      expect(maxDiff(await loadClipAudioForDisplay(clip), await loadClipAudio(clip))).toBe(0);
    }
    const bad = path.join(dir, 'bad.wav');
    fs.writeFileSync(bad, Buffer.from('RIFF\x24\x00\x00\x00WAVEfmt garbage'));
    expect(await readWavRange(bad, 0, 10)).toBeNull();
    await expect(loadClipAudioForDisplay({ path: bad, offsetS: 0, durationS: 10 })).rejects.toThrow(/bad\.wav: /);
    const rifx = path.join(dir, 'x.wav');
    writeWav(path.join(dir, 'short.wav'), [tone(2)]);
    const b = fs.readFileSync(path.join(dir, 'short.wav'));
    b.write('RIFX', 0, 'latin1');
    fs.writeFileSync(rifx, b);
    expect(await readWavRange(rifx, 0, 10)).toBeNull();
  });
});
