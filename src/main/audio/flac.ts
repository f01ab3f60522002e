// FLAC to float channels with @wasm-audio-decoders/flac. The decoder drops bad frames without
// reporting them, so the result is checked against STREAMINFO (rate, channels, length, MD5).
import { createHash } from 'node:crypto';
import { FLACDecoder } from '@wasm-audio-decoders/flac';
import { AudioDecodeError, checkSampleRate } from './errors';
import type { DecodedAudio } from './decode';

interface StreamInfo {
  sampleRate: number;
  channels: number;
  bitsPerSample: number;
  /** 0 when the encoder did not know the length */
  totalSamples: number;
  /** hex; all zeros when the encoder did not compute it */
  md5: string;
}

/** Offset of the 'fLaC' marker, skipping an ID3v2 tag if one precedes it; -1 if absent. */
export function flacMarkerOffset(buf: Uint8Array): number {
  let p = 0;
  if (buf.length >= 10 && buf[0] === 0x49 && buf[1] === 0x44 && buf[2] === 0x33) {
    // ID3v2 size is 4 x 7-bit "syncsafe" bytes; a footer adds 10 more bytes
    const size = ((buf[6] & 0x7f) << 21) | ((buf[7] & 0x7f) << 14) | ((buf[8] & 0x7f) << 7) | (buf[9] & 0x7f);
    p = 10 + size + (buf[5] & 0x10 ? 10 : 0);
  }
  const isMarker = buf.length >= p + 4 && buf[p] === 0x66 && buf[p + 1] === 0x4c && buf[p + 2] === 0x61 && buf[p + 3] === 0x43;
  return isMarker ? p : -1;
}

function readStreamInfo(buf: Uint8Array, file: string, marker: number): StreamInfo {
  const h = marker + 4;
  if (buf.length < h + 4 + 34) throw new AudioDecodeError(file, 'truncated: FLAC file ends inside its STREAMINFO block');
  const type = buf[h] & 0x7f;
  const len = (buf[h + 1] << 16) | (buf[h + 2] << 8) | buf[h + 3];
  if (type !== 0 || len !== 34) throw new AudioDecodeError(file, 'corrupt FLAC header: the first metadata block is not a 34-byte STREAMINFO');
  const s = h + 4;
  const b = (i: number) => buf[s + i];
  const sampleRate = (b(10) << 12) | (b(11) << 4) | (b(12) >> 4);
  const channels = ((b(12) >> 1) & 0x07) + 1;
  const bitsPerSample = (((b(12) & 0x01) << 4) | (b(13) >> 4)) + 1;
  const totalSamples = (b(13) & 0x0f) * 2 ** 32 + (((b(14) << 24) | (b(15) << 16) | (b(16) << 8) | b(17)) >>> 0);
  const md5 = Buffer.from(buf.subarray(s + 18, s + 34)).toString('hex');
  return { sampleRate, channels, bitsPerSample, totalSamples, md5 };
}

export async function decodeFlac(buf: Uint8Array, file: string): Promise<DecodedAudio> {
  const marker = flacMarkerOffset(buf);
  if (marker < 0) throw new AudioDecodeError(file, 'not a FLAC file (no fLaC marker)');
  const info = readStreamInfo(buf, file, marker);
  checkSampleRate(file, info.sampleRate);
  if (info.bitsPerSample < 4) throw new AudioDecodeError(file, `corrupt FLAC header: ${info.bitsPerSample} bits per sample`);

  // One decoder per call: creation is cheap and concurrent decodes must not share state.
  const decoder = new FLACDecoder();
  let decoded;
  try {
    await decoder.ready;
    decoded = await decoder.decodeFile(buf.subarray(marker));
  } catch (e) {
    throw new AudioDecodeError(file, `FLAC decoder failed (${e instanceof Error ? e.message : String(e)})`);
  } finally {
    decoder.free();
  }
  if (decoded.errors.length > 0) {
    const first = decoded.errors[0];
    throw new AudioDecodeError(file, `corrupt FLAC data: ${decoded.errors.length} frame error(s), first: ${first.message ?? String(first)}`);
  }
  const frames = decoded.samplesDecoded;
  if (frames === 0) {
    throw new AudioDecodeError(file, info.totalSamples === 0 ? 'no audio samples (header only)' : `corrupt or truncated FLAC: no frame decoded of ${info.totalSamples} samples`);
  }
  if (info.totalSamples !== 0 && frames !== info.totalSamples) {
    throw new AudioDecodeError(file, `corrupt or truncated FLAC: decoded ${frames} of the ${info.totalSamples} samples STREAMINFO declares`);
  }
  if (decoded.channelData.length !== info.channels || decoded.sampleRate !== info.sampleRate) {
    throw new AudioDecodeError(file, `corrupt FLAC: frames disagree with STREAMINFO (${decoded.channelData.length} ch at ${decoded.sampleRate} Hz vs ${info.channels} ch at ${info.sampleRate} Hz)`);
  }
  const channelData = decoded.channelData.map((c) => (c.length === frames ? c : c.subarray(0, frames)));
  // The decoder scales by 1/(2^(bits-1) - 1); WAV and torchaudio use 1/2^(bits-1): recover the ints and rescale.
  const ints = rescaleToPcmConvention(channelData, info.bitsPerSample);
  if (ints && !/^0+$/.test(info.md5)) {
    if (pcmMd5(ints, channelData.length, frames, info.bitsPerSample) !== info.md5) {
      throw new AudioDecodeError(file, 'corrupt FLAC data: decoded audio does not match the MD5 signature in STREAMINFO');
    }
  }
  return {
    sampleRate: info.sampleRate,
    channels: info.channels,
    frames,
    channelData,
    format: { container: 'flac', codec: 'pcm', bitsPerSample: info.bitsPerSample, extensible: false },
  };
}

/**
 * Rescales in place from x / (2^(b-1) - 1) to x / 2^(b-1). Returns the interleaved integers when they are
 * exactly recoverable from float32 (bits <= 24), for the MD5 check; null otherwise.
 */
function rescaleToPcmConvention(channelData: Float32Array[], bits: number): Int32Array | null {
  const full = 2 ** (bits - 1);
  const decoderScale = full - 1;
  const channels = channelData.length;
  if (bits > 24) {
    const k = decoderScale / full;
    for (const c of channelData) for (let i = 0; i < c.length; i++) c[i] *= k;
    return null;
  }
  const frames = channelData[0].length;
  const ints = new Int32Array(frames * channels);
  for (let c = 0; c < channels; c++) {
    const x = channelData[c];
    for (let i = 0; i < frames; i++) {
      const v = Math.round(x[i] * decoderScale);
      ints[i * channels + c] = v;
      x[i] = v / full;
    }
  }
  return ints;
}

/** MD5 of the samples as FLAC defines it: interleaved little-endian signed ints, ceil(bits/8) bytes each. */
function pcmMd5(ints: Int32Array, channels: number, frames: number, bits: number): string {
  const bytes = Math.ceil(bits / 8);
  const hash = createHash('md5');
  const chunk = 65536 * channels;
  const out = new Uint8Array(chunk * bytes);
  for (let s0 = 0; s0 < frames * channels; s0 += chunk) {
    const n = Math.min(chunk, frames * channels - s0);
    let p = 0;
    for (let s = s0; s < s0 + n; s++) {
      const v = ints[s];
      for (let k = 0; k < bytes; k++) out[p++] = (v >> (8 * k)) & 0xff;
    }
    hash.update(out.subarray(0, p));
  }
  return hash.digest('hex');
}
