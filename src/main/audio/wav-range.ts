// A time range of a RIFF WAV file, read without loading the rest: the Inspector shows one 10 s clip
// of a recording that may last hours, and decoding the whole file for it would cost seconds and
// gigabytes in the main process. Only plain RIFF with PCM or IEEE float (optionally extensible)
// is read this way; anything else (RIFX, RF64, FLAC, odd headers) returns null and the caller
// decodes the whole file, which also reports what is wrong with it.
import { open } from 'node:fs/promises';
import { convertSamples } from './wav';
import type { DecodedAudio } from './decode';

const KS_GUID_TAIL = [0x00100000, 0xaa000080, 0x719b3800];

export interface WavRange {
  sampleRate: number;
  channels: number;
  /** first frame of `audio` in the file */
  startFrame: number;
  /** frames in the file's data chunk */
  totalFrames: number;
  audio: DecodedAudio;
}

/** Frames [startS, startS + durationS) of a WAV file (clamped to the file), or null when the file is not a plain RIFF PCM/float WAV. */
export async function readWavRange(file: string, startS: number, durationS: number): Promise<WavRange | null> {
  const fh = await open(file, 'r');
  try {
    const size = (await fh.stat()).size;
    const head = Buffer.alloc(12);
    if ((await fh.read(head, 0, 12, 0)).bytesRead < 12) return null;
    if (head.toString('latin1', 0, 4) !== 'RIFF' || head.toString('latin1', 8, 12) !== 'WAVE') return null;
    let pos = 12;
    let fmt: { code: number; channels: number; rate: number; blockAlign: number; bits: number } | null = null;
    let data: { offset: number; bytes: number } | null = null;
    let extensible = false;
    const ch = Buffer.alloc(8);
    // walk the chunks: a few reads of 8 bytes, plus the fmt chunk's body
    for (let n = 0; n < 64 && pos + 8 <= size && !data; n++) {
      await fh.read(ch, 0, 8, pos);
      const id = ch.toString('latin1', 0, 4);
      const len = ch.readUInt32LE(4);
      if (id === 'fmt ') {
        if (len < 16 || len > 1024) return null;
        const b = Buffer.alloc(len);
        await fh.read(b, 0, len, pos + 8);
        let code = b.readUInt16LE(0);
        extensible = code === 0xfffe;
        if (extensible) {
          if (len < 40) return null;
          const sub = [0, 1, 2, 3].map((k) => b.readUInt32LE(24 + 4 * k));
          if (KS_GUID_TAIL.some((v, i) => sub[i + 1] !== v)) return null;
          code = sub[0];
        }
        fmt = { code, channels: b.readUInt16LE(2), rate: b.readUInt32LE(4), blockAlign: b.readUInt16LE(12), bits: b.readUInt16LE(14) };
      } else if (id === 'data') {
        data = { offset: pos + 8, bytes: Math.min(len, size - pos - 8) };
      }
      pos += 8 + len + (len % 2);
    }
    if (!fmt || !data) return null;
    const codec = fmt.code === 1 ? 'pcm' : fmt.code === 3 ? 'float' : null;
    const okBits = codec === 'pcm' ? [8, 16, 24, 32] : [32, 64];
    if (!codec || !okBits.includes(fmt.bits) || fmt.channels < 1 || fmt.blockAlign !== (fmt.channels * fmt.bits) / 8 || fmt.rate < 1000) return null;
    const totalFrames = Math.floor(data.bytes / fmt.blockAlign);
    const start = Math.max(0, Math.min(totalFrames, Math.round(startS * fmt.rate)));
    const end = Math.max(start, Math.min(totalFrames, start + Math.round(durationS * fmt.rate)));
    const frames = end - start;
    const bytes = Buffer.alloc(frames * fmt.blockAlign);
    if (frames > 0) await fh.read(bytes, 0, bytes.length, data.offset + start * fmt.blockAlign);
    const channelData = convertSamples(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length), frames, fmt.channels, fmt.bits, codec, true);
    if (codec === 'float' && channelData.some((c) => c.some((v) => !Number.isFinite(v)))) return null;
    return {
      sampleRate: fmt.rate,
      channels: fmt.channels,
      startFrame: start,
      totalFrames,
      audio: { sampleRate: fmt.rate, channels: fmt.channels, frames, channelData, format: { container: 'wav', codec, bitsPerSample: fmt.bits, extensible } },
    };
  } finally {
    await fh.close();
  }
}
