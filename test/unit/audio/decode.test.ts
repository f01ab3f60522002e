import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import wavefile from 'wavefile';
import { AudioDecodeError, decodeBuffer, decodeFile, toMono, type DecodedAudio } from '../../../src/main/audio/decode';
import { DATA, FIXTURES, HAS_DATA, MANIFEST, NO_DATA } from './paths';
import { concat, wavBytes } from './wav-bytes';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hark-audio-decode-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

async function decodeError(buf: Uint8Array, name = 'bad.wav'): Promise<AudioDecodeError> {
  try {
    await decodeBuffer(buf, name);
  } catch (e) {
    expect(e).toBeInstanceOf(AudioDecodeError);
    const err = e as AudioDecodeError;
    expect(err.file).toBe(name);
    expect(err.message).toBe(`${name}: ${err.reason}`);
    return err;
  }
  throw new Error(`decoding ${name} should have failed`);
}

function only(a: DecodedAudio, c = 0): number[] {
  return Array.from(a.channelData[c]);
}

describe('WAV decoding, byte-exact synthetic files', () => {
  it('PCM 16-bit: int / 32768', async () => {
    const a = await decodeBuffer(wavBytes({ kind: 'i16', values: [0, 1, -1, 16384, -32768, 32767] }), 'x.wav');
    expect(a).toMatchObject({ sampleRate: 16000, channels: 1, frames: 6, format: { container: 'wav', codec: 'pcm', bitsPerSample: 16, extensible: false } });
    expect(only(a)).toEqual([0, 1 / 32768, -1 / 32768, 0.5, -1, 32767 / 32768]);
  });

  it('PCM 8-bit is unsigned: (u - 128) / 128', async () => {
    const a = await decodeBuffer(wavBytes({ kind: 'u8', values: [128, 0, 255, 192, 64] }), 'x.wav');
    expect(a.format.bitsPerSample).toBe(8);
    expect(only(a)).toEqual([0, -1, 127 / 128, 0.5, -0.5]);
  });

  it('PCM 24-bit with sign extension: int / 2^23', async () => {
    const v = [0, 1, -1, 4194304, -8388608, 8388607, -4194304];
    const a = await decodeBuffer(wavBytes({ kind: 'i24', values: v }), 'x.wav');
    expect(a.format.bitsPerSample).toBe(24);
    expect(only(a)).toEqual(v.map((x) => Math.fround(x / 8388608)));
  });

  it('PCM 32-bit: int / 2^31', async () => {
    const v = [0, 1073741824, -2147483648, 2147483647, -65536];
    const a = await decodeBuffer(wavBytes({ kind: 'i32', values: v }), 'x.wav');
    expect(only(a)).toEqual(v.map((x) => Math.fround(x / 2147483648)));
  });

  it('IEEE float 32 and 64 pass through (float64 rounded to float32)', async () => {
    const v = [0, 0.25, -0.75, 1.5, 1e-9, 0.1];
    const a = await decodeBuffer(wavBytes({ kind: 'f32', values: v }), 'x.wav');
    expect(a.format).toEqual({ container: 'wav', codec: 'float', bitsPerSample: 32, extensible: false });
    expect(only(a)).toEqual(v.map(Math.fround));
    const b = await decodeBuffer(wavBytes({ kind: 'f64', values: v }), 'x.wav');
    expect(b.format.bitsPerSample).toBe(64);
    expect(only(b)).toEqual(v.map(Math.fround));
  });

  it('de-interleaves stereo and multichannel files', async () => {
    const a = await decodeBuffer(wavBytes({ kind: 'i16', channels: 2, values: [100, -100, 200, -200, 300, -300] }), 'x.wav');
    expect(a.channels).toBe(2);
    expect(a.frames).toBe(3);
    expect(only(a, 0)).toEqual([100, 200, 300].map((x) => x / 32768));
    expect(only(a, 1)).toEqual([-100, -200, -300].map((x) => x / 32768));
    const values = Array.from({ length: 6 * 5 }, (_, i) => (i % 6) * 1000 + Math.floor(i / 6));
    const m = await decodeBuffer(wavBytes({ kind: 'i24', channels: 6, values }), 'x.wav');
    expect(m.channels).toBe(6);
    for (let c = 0; c < 6; c++) expect(only(m, c)).toEqual([0, 1, 2, 3, 4].map((f) => Math.fround((c * 1000 + f) / 8388608)));
  });

  it('reads WAVE_FORMAT_EXTENSIBLE PCM and float', async () => {
    const a = await decodeBuffer(wavBytes({ kind: 'i16', channels: 2, extensible: true, values: [1, 2, 3, 4] }), 'x.wav');
    expect(a.format).toEqual({ container: 'wav', codec: 'pcm', bitsPerSample: 16, extensible: true });
    expect(only(a, 1)).toEqual([2 / 32768, 4 / 32768]);
    const f = await decodeBuffer(wavBytes({ kind: 'f32', extensible: true, values: [0.5, -0.25] }), 'x.wav');
    expect(f.format).toEqual({ container: 'wav', codec: 'float', bitsPerSample: 32, extensible: true });
    expect(only(f)).toEqual([0.5, -0.25]);
  });

  it('reads big-endian RIFX and walks past other chunks', async () => {
    const a = await decodeBuffer(wavBytes({ kind: 'i24', container: 'RIFX', values: [1, -1, 8388607] }), 'x.wav');
    expect(only(a)).toEqual([1, -1, 8388607].map((x) => Math.fround(x / 8388608)));
    const b = await decodeBuffer(wavBytes({ kind: 'i16', extraChunk: true, values: [7, 8] }), 'x.wav');
    expect(only(b)).toEqual([7 / 32768, 8 / 32768]);
  });

  it('reads RF64 (size in the ds64 chunk)', async () => {
    const le = (n: number, bytes: number) => {
      const b = new Uint8Array(bytes);
      const v = new DataView(b.buffer);
      if (bytes === 2) v.setUint16(0, n, true);
      else v.setUint32(0, n, true);
      return b;
    };
    const ascii = (s: string) => new TextEncoder().encode(s);
    const pcm = new Uint8Array(new Int16Array([1000, -1000, 5]).buffer);
    const ds64 = concat(ascii('ds64'), le(28, 4), le(0, 4), le(0, 4), le(pcm.length, 4), le(0, 4), le(3, 4), le(0, 4), le(0, 4));
    const fmt = concat(ascii('fmt '), le(16, 4), le(1, 2), le(1, 2), le(16000, 4), le(32000, 4), le(2, 2), le(16, 2));
    const file = concat(ascii('RF64'), le(0xffffffff, 4), ascii('WAVE'), ds64, fmt, ascii('data'), le(0xffffffff, 4), pcm);
    const a = await decodeBuffer(file, 'big.wav');
    expect(only(a)).toEqual([1000 / 32768, -1000 / 32768, 5 / 32768]);
  });

  it('agrees with an independent writer (wavefile) for every supported depth', async () => {
    const n = 257;
    const x = Array.from({ length: n }, (_, i) => Math.sin(i * 0.37) * 0.8);
    for (const [depth, scale] of [['8', 128], ['16', 32768], ['24', 8388608], ['32', 2147483648], ['32f', 1], ['64', 1]] as const) {
      const w = new wavefile.WaveFile();
      const raw = x.map((v) => (scale === 1 ? v : depth === '8' ? Math.round(v * 127) + 128 : Math.round(v * (scale - 1))));
      w.fromScratch(1, 22050, depth, raw);
      const a = await decodeBuffer(w.toBuffer(), `wavefile-${depth}.wav`);
      expect(a.sampleRate).toBe(22050);
      const expected = raw.map((v) => Math.fround(scale === 1 ? v : depth === '8' ? (v - 128) / 128 : v / scale));
      expect(only(a)).toEqual(expected);
    }
  });
});

describe('bad WAV input throws AudioDecodeError naming the file and the reason', () => {
  const cases: [string, Uint8Array, RegExp][] = [
    ['empty file', new Uint8Array(0), /empty \(0 bytes\)/],
    ['random bytes', new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]), /unrecognised file type/],
    ['Ogg file', new TextEncoder().encode('OggS\0\0\0\0\0\0\0\0\0\0\0\0'), /Ogg/],
    ['header only (empty data chunk)', wavBytes({ kind: 'i16', values: [] }), /no audio samples/],
    ['no data chunk', wavBytes({ kind: 'i16', values: [1, 2] }).subarray(0, 36), /not a readable WAV file.*data/],
    ['truncated data', wavBytes({ kind: 'i16', values: [1, 2, 3, 4, 5, 6], cut: 4 }), /truncated: the data chunk declares 12 bytes but only 8/],
    ['partial frame', wavBytes({ kind: 'i16', channels: 2, values: [1, 2, 3], dataSize: 6 }), /not a whole number of 4-byte frames/],
    ['NaN sample', wavBytes({ kind: 'f32', values: [0, 0.5, NaN, 0] }), /sample 2 .* channel 0 is NaN/],
    ['Inf sample', wavBytes({ kind: 'f64', channels: 2, values: [0, 0, 0, Infinity] }), /sample 1 .* channel 1 is Infinity/],
    ['float64 beyond float32 range', wavBytes({ kind: 'f64', values: [1e300] }), /is Infinity/],
    ['0 Hz', wavBytes({ kind: 'i16', rate: 0, values: [1, 2] }), /sample rate 0 Hz is outside/],
    ['absurd rate', wavBytes({ kind: 'i16', rate: 10_000_000, values: [1, 2] }), /sample rate 10000000 Hz is outside/],
    ['mu-law', wavBytes({ kind: 'u8', formatCode: 7, values: [1, 2] }), /format code 0x7 \(mu-law\)/],
    ['12-bit PCM', wavBytes({ kind: 'i16', bitsPerSample: 12, values: [1, 2] }), /bit depth 12/],
    ['16-bit float', wavBytes({ kind: 'i16', formatCode: 3, values: [1, 2] }), /float bit depth 16/],
    ['extensible ADPCM', wavBytes({ kind: 'i16', extensible: true, formatCode: 2, values: [1, 2] }), /0x2 \(Microsoft ADPCM\)/],
    ['block align mismatch', wavBytes({ kind: 'i16', channels: 2, blockAlign: 3, values: [1, 2] }), /block align 3/],
  ];
  it.each(cases)('%s', async (_name, buf, why) => {
    const err = await decodeError(buf);
    expect(err.reason).toMatch(why);
  });

  it('an extensible file with a foreign sub-format GUID', async () => {
    const buf = wavBytes({ kind: 'i16', extensible: true, values: [1, 2] });
    buf[36 + 20] ^= 0xff; // fmt chunk starts at 12; GUID tail at +8+28
    expect((await decodeError(buf)).reason).toMatch(/sub-format GUID/);
  });

  it('missing files and folders', async () => {
    const missing = path.join(tmp, 'nope.wav');
    await expect(decodeFile(missing)).rejects.toThrow(new AudioDecodeError(missing, 'file not found'));
    await expect(decodeFile(tmp)).rejects.toThrow(/is a directory/);
  });

  it('decodeFile names the path', async () => {
    const p = path.join(tmp, 'trunc.wav');
    fs.writeFileSync(p, wavBytes({ kind: 'i24', values: [1, 2, 3, 4], cut: 5 }));
    await expect(decodeFile(p)).rejects.toMatchObject({ file: p, message: expect.stringContaining(p) });
  });
});

describe('FLAC decoding', () => {
  it.each(MANIFEST.flac)('$flac equals the WAV it was encoded from, sample for sample', async (f) => {
    const flac = await decodeFile(path.join(FIXTURES, f.flac));
    const wav = await decodeFile(path.join(FIXTURES, f.wav));
    expect(flac.format).toEqual({ container: 'flac', codec: 'pcm', bitsPerSample: f.bits, extensible: false });
    expect(flac.channels).toBe(f.channels);
    expect(flac.sampleRate).toBe(16000);
    expect(flac.frames).toBe(wav.frames);
    for (let c = 0; c < f.channels; c++) expect(flac.channelData[c]).toEqual(wav.channelData[c]);
    expect(Math.max(...flac.channelData[0].map(Math.abs))).toBeGreaterThan(0.3); // not a silent clip
  });

  const flacBytes = () => new Uint8Array(fs.readFileSync(path.join(FIXTURES, 'flac_stereo16.flac')));

  it('rejects a truncated FLAC', async () => {
    const b = flacBytes();
    expect((await decodeError(b.subarray(0, Math.floor(b.length * 0.6)), 'cut.flac')).reason).toMatch(/corrupt or truncated FLAC/);
    expect((await decodeError(b.subarray(0, 20), 'cut.flac')).reason).toMatch(/ends inside its STREAMINFO/);
  });

  it('rejects corrupted FLAC frames', async () => {
    const b = flacBytes().slice();
    for (let i = Math.floor(b.length / 2); i < Math.floor(b.length / 2) + 64; i++) b[i] ^= 0x5a;
    expect((await decodeError(b, 'flipped.flac')).reason).toMatch(/corrupt/);
  });

  it('rejects a header-only FLAC and a bad STREAMINFO', async () => {
    const b = flacBytes();
    const head = b.slice(0, 42);
    head[4] |= 0x80; // mark STREAMINFO as the last metadata block
    head.fill(0, 8 + 13, 8 + 18); // total samples = 0 (unknown)
    head[8 + 13] = b[8 + 13] & 0xf0; // keep bits per sample
    expect((await decodeError(head, 'head.flac')).reason).toMatch(/no audio samples/);
    const zeroRate = b.slice();
    zeroRate[8 + 10] = 0;
    zeroRate[8 + 11] = 0;
    zeroRate[8 + 12] &= 0x0f;
    expect((await decodeError(zeroRate, 'rate.flac')).reason).toMatch(/sample rate 0 Hz/);
    const notInfo = b.slice();
    notInfo[4] = 1;
    expect((await decodeError(notInfo, 'meta.flac')).reason).toMatch(/STREAMINFO/);
  });
});

describe('toMono', () => {
  const a: DecodedAudio = {
    sampleRate: 16000,
    channels: 3,
    frames: 2,
    channelData: [new Float32Array([0.3, -1]), new Float32Array([0.6, 0.5]), new Float32Array([0, 0.2])],
    format: { container: 'wav', codec: 'float', bitsPerSample: 32, extensible: false },
  };
  it('averages channels by default', () => {
    expect(Array.from(toMono(a))).toEqual([Math.fround((0.3 + 0.6 + 0) / 3), Math.fround((-1 + 0.5 + 0.2) / 3)].map((v) => expect.closeTo(v, 7)));
  });
  it('takes one channel on request, as a copy', () => {
    const m = toMono(a, 1);
    expect(Array.from(m)).toEqual([Math.fround(0.6), 0.5]);
    m[0] = 9;
    expect(a.channelData[1][0]).toBe(Math.fround(0.6));
  });
  it.each([3, -1, 1.5, NaN])('rejects channel %s clearly', (c) => {
    expect(() => toMono(a, c)).toThrow(/channel .* out of range: the audio has 3 channel\(s\), numbered 0-2/);
  });
});

describe.skipIf(!HAS_DATA)('real recordings (../shared/data)', () => {
  it.each(MANIFEST.decode.map((d) => [d.file, d] as const))('%s matches scipy.io.wavfile', async (_f, ref) => {
    const a = await decodeFile(path.join(DATA, ref.file));
    expect(a.sampleRate).toBe(ref.sampleRate);
    expect(a.channels).toBe(ref.channels);
    expect(a.frames).toBe(ref.frames);
    for (let c = 0; c < a.channels; c++) {
      let s = 0;
      let s2 = 0;
      for (const v of a.channelData[c]) {
        s += v;
        s2 += v * v;
      }
      expect(s).toBeCloseTo(ref.sum[c], 6);
      expect(s2).toBeCloseTo(ref.sumSq[c], 6);
      expect(Array.from(a.channelData[c].subarray(0, 4))).toEqual(ref.head[c]);
    }
  });

  it('knows the formats: MIMII 8-channel extensible PCM16 and 64-bit float', async () => {
    const raw = await decodeFile(path.join(DATA, 'mimii-valve-formats', 'valve_id06_n_00000048.wav'));
    expect(raw.format).toEqual({ container: 'wav', codec: 'pcm', bitsPerSample: 16, extensible: true });
    expect(raw.channels).toBe(8);
    const bf = await decodeFile(path.join(DATA, 'mimii-valve-formats', 'id06_n_00000048_Beamformer_Output_May2025_F011.wav'));
    expect(bf.format).toEqual({ container: 'wav', codec: 'float', bitsPerSample: 64, extensible: false });
  });

  it('decodes every DCASE sample clip as 16 kHz mono PCM16 of 10-12 s', async () => {
    const root = path.join(DATA, 'dcase2023-samples');
    const files = fs.readdirSync(root, { recursive: true }).map(String).filter((f) => f.endsWith('.wav'));
    expect(files.length).toBeGreaterThanOrEqual(28);
    for (const f of files) {
      const a = await decodeFile(path.join(root, f));
      expect(a.format, f).toEqual({ container: 'wav', codec: 'pcm', bitsPerSample: 16, extensible: false });
      expect(a.channels).toBe(1);
      expect(a.frames / a.sampleRate).toBeGreaterThanOrEqual(10);
      expect(a.frames / a.sampleRate).toBeLessThanOrEqual(12);
    }
  });

  it('decodes the noise-only segments (0.3-1.9 s)', async () => {
    const root = path.join(DATA, 'mimii-valve-formats', 'noise-only');
    const files = fs.readdirSync(root).filter((f) => f.endsWith('.wav'));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files.slice(0, 10)) {
      const a = await decodeFile(path.join(root, f));
      expect(a.frames / a.sampleRate).toBeGreaterThan(0.2);
    }
  });
});

it.skipIf(HAS_DATA)('real recordings', () => {
  console.warn(NO_DATA);
});
