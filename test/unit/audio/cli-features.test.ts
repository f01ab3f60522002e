import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError, type CliIO } from '../../../src/main/cli/command';
import { featuresCommand } from '../../../src/main/cli/features';
import { AudioDecodeError, decodeFile, toMono } from '../../../src/main/audio/decode';
import { fbank, normaliseFbank } from '../../../src/main/audio/fbank';
import { logmel } from '../../../src/main/audio/logmel';
import { readNpy } from '../../../src/main/audio/npy';
import { resample } from '../../../src/main/audio/standardise';
import { FIXTURES } from './paths';
import { wavBytes } from './wav-bytes';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hark-cli-features-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function io(): CliIO & { lines: string[] } {
  const lines: string[] = [];
  return { lines, out: (l) => lines.push(l), err: (l) => lines.push(`ERR ${l}`), tty: false };
}

const SYNTH = path.join(FIXTURES, 'synth_b.wav');

describe('hark features', () => {
  it('fbank --preset ast|beats writes frames x 128 float32 .npy equal to fbank()', async () => {
    const wave = toMono(await decodeFile(SYNTH));
    for (const preset of ['ast', 'beats'] as const) {
      const out = path.join(tmp, `${preset}.npy`);
      const o = io();
      expect(await featuresCommand.run(['fbank', '--preset', preset, SYNTH, '--out', out], o)).toBe(0);
      const r = readNpy(out);
      const f = fbank(wave, preset);
      expect(r.shape).toEqual([628, 128]);
      expect(r.data).toEqual(f.data);
      expect(o.lines[0]).toMatch(new RegExp(`628 x 128 float32 \\(fbank ${preset}, 6.30 s\\)`));
    }
    const out = path.join(tmp, 'norm.npy');
    await featuresCommand.run(['fbank', '--preset', 'beats', '--normalise', SYNTH, '-o', out], io());
    expect(readNpy(out).data).toEqual(normaliseFbank(fbank(wave, 'beats'), 'beats').data);
  });

  it('logmel writes 1 + floor(n / 512) frames', async () => {
    const out = path.join(tmp, 'lm.npy');
    expect(await featuresCommand.run(['logmel', SYNTH, '--out', out], io())).toBe(0);
    const r = readNpy(out);
    expect(r.shape).toEqual([197, 128]);
    expect(r.data).toEqual(logmel(toMono(await decodeFile(SYNTH))).data);
  });

  it('converts other rates and channel layouts to 16 kHz mono first', async () => {
    const n = 22050;
    const values: number[] = [];
    for (let i = 0; i < n; i++) values.push(Math.round(8000 * Math.sin(i * 0.1)), Math.round(3000 * Math.sin(i * 0.37)));
    const file = path.join(tmp, 'stereo22k.wav');
    fs.writeFileSync(file, wavBytes({ kind: 'i16', rate: 22050, channels: 2, values }));
    const out = path.join(tmp, 's.npy');
    const o = io();
    expect(await featuresCommand.run(['fbank', '--preset', 'ast', '--channel', '1', file, '--out', out], o)).toBe(0);
    expect(o.lines[0]).toMatch(/resampled from 22050 Hz, channel 1 of 2/);
    const expected = fbank(resample(toMono(await decodeFile(file), 1), 22050, 16000), 'ast');
    expect(readNpy(out).data).toEqual(expected.data);
  });

  it.each([
    [[], /expected 'fbank' or 'logmel'/],
    [['mfcc', SYNTH, '--out', 'x.npy'], /expected 'fbank' or 'logmel', got 'mfcc'/],
    [['fbank', SYNTH, '--out', 'x.npy'], /--preset must be ast or beats/],
    [['fbank', '--preset', 'vggish', SYNTH, '--out', 'x.npy'], /--preset must be ast or beats, got vggish/],
    [['logmel', SYNTH], /missing --out/],
    [['logmel', '--out', 'x.npy'], /missing the input audio file/],
    [['logmel', '--normalise', SYNTH, '--out', 'x.npy'], /apply to fbank only/],
    [['logmel', SYNTH, SYNTH, '--out', 'x.npy'], /unexpected argument/],
    [['logmel', '--channel', 'two', SYNTH, '--out', 'x.npy'], /--channel must be/],
    [['logmel', '--channel', '1', SYNTH, '--out', 'x.npy'], /has 1 channel/],
  ])('usage error for %j', async (argv, why) => {
    const p = featuresCommand.run(argv as string[], io());
    await expect(p).rejects.toThrow(why);
    await expect(p).rejects.toBeInstanceOf(UsageError);
  });

  it('an unreadable input is a failure naming the file, not a usage error', async () => {
    const bad = path.join(tmp, 'bad.wav');
    fs.writeFileSync(bad, wavBytes({ kind: 'i16', values: [1, 2, 3], cut: 2 }));
    const p = featuresCommand.run(['logmel', bad, '--out', path.join(tmp, 'o.npy')], io());
    await expect(p).rejects.toBeInstanceOf(AudioDecodeError);
    await expect(p).rejects.toThrow(bad);
    expect(fs.existsSync(path.join(tmp, 'o.npy'))).toBe(false);
  });
});
