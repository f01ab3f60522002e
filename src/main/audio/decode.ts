// Audio files to float channels: WAV (PCM 8/16/24/32, float 32/64, WAVE_FORMAT_EXTENSIBLE, RIFX, RF64)
// and FLAC. Anything that is not clean audio throws AudioDecodeError naming the file and the reason.
import { readFile } from 'node:fs/promises';
import { AudioDecodeError } from './errors';
import { decodeFlac, flacMarkerOffset } from './flac';
import { decodeWav } from './wav';

export { AudioDecodeError } from './errors';

export interface AudioFormat {
  container: 'wav' | 'flac';
  codec: 'pcm' | 'float';
  bitsPerSample: number;
  extensible: boolean;
}

export interface DecodedAudio {
  sampleRate: number;
  channels: number;
  frames: number;
  /** one array per channel, samples in [-1, 1) for integer codecs (int / 2^(bits-1)) */
  channelData: Float32Array[];
  format: AudioFormat;
  /** header faults the decoder read past (e.g. a wrong RIFF size); the samples are sound */
  warnings?: string[];
}

export async function decodeFile(path: string): Promise<DecodedAudio> {
  let buf: Uint8Array;
  try {
    buf = await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'file not found' : code === 'EISDIR' ? 'is a directory, not an audio file' : `cannot read the file (${code ?? String(e)})`;
    throw new AudioDecodeError(path, why);
  }
  return decodeBuffer(buf, path);
}

/** `name` is only used in error messages (a path or a display name). */
export async function decodeBuffer(buf: Uint8Array, name: string): Promise<DecodedAudio> {
  if (buf.length === 0) throw new AudioDecodeError(name, 'file is empty (0 bytes)');
  const magic = ascii(buf, 0, 4);
  if ((magic === 'RIFF' || magic === 'RIFX' || magic === 'RF64') && ascii(buf, 8, 4) === 'WAVE') return decodeWav(buf, name);
  if (flacMarkerOffset(buf) >= 0) return decodeFlac(buf, name);
  throw new AudioDecodeError(name, `unrecognised file type${sniffOther(buf)}; supported are WAV (RIFF/WAVE) and FLAC`);
}

function ascii(buf: Uint8Array, at: number, n: number): string {
  return buf.length < at + n ? '' : String.fromCharCode(...buf.subarray(at, at + n));
}

function sniffOther(buf: Uint8Array): string {
  const m = ascii(buf, 0, 4);
  if (m === 'OggS') return ' (Ogg container)';
  if (m === 'RIFF') return ' (RIFF but not WAVE)';
  if (ascii(buf, 0, 3) === 'ID3' || (buf[0] === 0xff && (buf[1] & 0xe0) === 0xe0)) return ' (looks like MP3)';
  if (ascii(buf, 4, 4) === 'ftyp') return ' (MP4/M4A container)';
  if (m === 'FORM') return ' (AIFF)';
  return '';
}

/**
 * Mono signal: the mean of all channels, or one channel when `channel` is given.
 * Always a new array (callers may modify it).
 */
export function toMono(a: DecodedAudio, channel?: number): Float32Array {
  if (channel !== undefined) {
    if (!Number.isInteger(channel) || channel < 0 || channel >= a.channels) {
      throw new RangeError(`channel ${channel} is out of range: the audio has ${a.channels} channel(s), numbered 0-${a.channels - 1}`);
    }
    return a.channelData[channel].slice(0, a.frames);
  }
  if (a.channels === 1) return a.channelData[0].slice(0, a.frames);
  const acc = new Float64Array(a.frames);
  for (const ch of a.channelData) for (let i = 0; i < a.frames; i++) acc[i] += ch[i];
  const out = new Float32Array(a.frames);
  const inv = 1 / a.channels;
  for (let i = 0; i < a.frames; i++) out[i] = acc[i] * inv;
  return out;
}
