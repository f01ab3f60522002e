// WAV (RIFF, RIFX, RF64) to float channels. wavefile finds the chunks; the header is checked here
// and samples are converted with a DataView, so truncation, odd layouts and NaN never pass silently.
import wavefile from 'wavefile';
import { AudioDecodeError, checkSampleRate } from './errors';
import type { DecodedAudio } from './decode';

const WAVE_FORMAT_PCM = 1;
const WAVE_FORMAT_IEEE_FLOAT = 3;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;
/** Tail of the KSDATAFORMAT_SUBTYPE GUIDs {xxxxxxxx-0000-0010-8000-00aa00389b71}, as wavefile's 4 uint32s. */
const KS_GUID_TAIL = [0x00100000, 0xaa000080, 0x719b3800];

const FORMAT_NAMES: Record<number, string> = {
  2: 'Microsoft ADPCM',
  6: 'A-law',
  7: 'mu-law',
  0x11: 'IMA ADPCM',
  0x31: 'GSM 6.10',
  0x50: 'MPEG',
  0x55: 'MPEG layer 3',
};

interface FmtChunk {
  audioFormat: number;
  numChannels: number;
  sampleRate: number;
  blockAlign: number;
  bitsPerSample: number;
  validBitsPerSample: number;
  subformat: number[];
}

export function decodeWav(buf: Uint8Array, file: string): DecodedAudio {
  const wav = new wavefile.WaveFile();
  try {
    wav.fromBuffer(buf, true);
  } catch (e) {
    throw new AudioDecodeError(file, `not a readable WAV file (${e instanceof Error ? e.message : String(e)})`);
  }
  const fmt = wav.fmt as FmtChunk & { chunkSize: number };
  const data = wav.data as { chunkSize: number; samples: Uint8Array };
  const bigEndian = wav.container === 'RIFX';
  if (fmt.chunkSize < 16) throw new AudioDecodeError(file, `fmt chunk is ${fmt.chunkSize} bytes; a WAV fmt chunk has at least 16`);

  const channels = fmt.numChannels;
  if (!Number.isInteger(channels) || channels < 1) throw new AudioDecodeError(file, `fmt chunk declares ${channels} channels`);
  checkSampleRate(file, fmt.sampleRate);

  let code = fmt.audioFormat;
  const extensible = code === WAVE_FORMAT_EXTENSIBLE;
  if (extensible) {
    const sub = fmt.subformat;
    if (!Array.isArray(sub) || sub.length !== 4 || KS_GUID_TAIL.some((v, i) => sub[i + 1] !== v)) {
      throw new AudioDecodeError(file, 'unsupported WAVE_FORMAT_EXTENSIBLE sub-format GUID (only PCM and IEEE float are supported)');
    }
    code = sub[0];
  }
  let codec: 'pcm' | 'float';
  if (code === WAVE_FORMAT_PCM) codec = 'pcm';
  else if (code === WAVE_FORMAT_IEEE_FLOAT) codec = 'float';
  else {
    const name = FORMAT_NAMES[code] ?? 'unknown';
    throw new AudioDecodeError(file, `unsupported WAV format code 0x${code.toString(16)} (${name}); only PCM and IEEE float are supported`);
  }

  const bits = fmt.bitsPerSample;
  const okBits = codec === 'pcm' ? [8, 16, 24, 32] : [32, 64];
  if (!okBits.includes(bits)) {
    throw new AudioDecodeError(file, `unsupported ${codec === 'pcm' ? 'PCM' : 'float'} bit depth ${bits} (supported: ${okBits.join(', ')})`);
  }
  const bytes = bits / 8;
  if (fmt.blockAlign !== channels * bytes) {
    throw new AudioDecodeError(file, `fmt chunk block align ${fmt.blockAlign} does not match ${channels} channels x ${bytes} bytes`);
  }

  // RF64 keeps the real data size in the ds64 chunk, which EBU Tech 3306 puts first; read it here
  // because wavefile 11 swaps its low and high words.
  let declared = data.chunkSize;
  if (wav.container === 'RF64') {
    const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    if (buf.length < 36 || String.fromCharCode(...buf.subarray(12, 16)) !== 'ds64') throw new AudioDecodeError(file, 'RF64 file without a ds64 chunk after the header');
    declared = v.getUint32(28, true) + v.getUint32(32, true) * 2 ** 32;
  }
  const present = data.samples.length;
  if (declared === 0) throw new AudioDecodeError(file, 'no audio samples (the data chunk is empty)');
  if (present === 0) throw new AudioDecodeError(file, `truncated: the data chunk declares ${declared} bytes but none are present`);
  if (declared > present) {
    throw new AudioDecodeError(file, `truncated: the data chunk declares ${declared} bytes but only ${present} are present`);
  }
  const usable = Math.min(declared, present);
  if (usable % fmt.blockAlign !== 0) {
    throw new AudioDecodeError(file, `truncated: the data chunk holds ${usable} bytes, not a whole number of ${fmt.blockAlign}-byte frames`);
  }
  const frames = usable / fmt.blockAlign;

  const channelData = convertSamples(data.samples, frames, channels, bits, codec, !bigEndian);
  if (codec === 'float') assertFinite(file, channelData, fmt.sampleRate);
  const warnings: string[] = [];
  // a data chunk that checks out is trusted over a wrong RIFF size (writers that never patched it)
  if (wav.container !== 'RF64' && wav.chunkSize !== buf.length - 8) {
    warnings.push(`RIFF header says ${wav.chunkSize} bytes follow but the file holds ${buf.length - 8}; the data chunk is complete and was read as declared`);
  }
  return {
    sampleRate: fmt.sampleRate,
    channels,
    frames,
    channelData,
    format: { container: 'wav', codec, bitsPerSample: bits, extensible },
    ...(warnings.length ? { warnings } : {}),
  };
}

/** Interleaved integer or float samples to one Float32Array per channel, ints scaled by 2^(bits-1). */
export function convertSamples(bytes: Uint8Array, frames: number, channels: number, bits: number, codec: 'pcm' | 'float', le: boolean): Float32Array[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = Array.from({ length: channels }, () => new Float32Array(frames));
  const step = bits / 8;
  let p = 0;
  for (let f = 0; f < frames; f++) {
    for (let c = 0; c < channels; c++, p += step) {
      let v: number;
      if (codec === 'float') v = bits === 32 ? view.getFloat32(p, le) : view.getFloat64(p, le);
      else if (bits === 16) v = view.getInt16(p, le) / 32768;
      else if (bits === 24) {
        const b0 = bytes[p];
        const b2 = bytes[p + 2];
        const u = le ? b0 | (bytes[p + 1] << 8) | (b2 << 16) : b2 | (bytes[p + 1] << 8) | (b0 << 16);
        v = ((u << 8) >> 8) / 8388608; // sign-extend 24 -> 32 bits
      } else if (bits === 32) v = view.getInt32(p, le) / 2147483648;
      else v = (bytes[p] - 128) / 128; // 8-bit WAV is unsigned
      out[c][f] = v;
    }
  }
  return out;
}

function assertFinite(file: string, channelData: Float32Array[], rate: number): void {
  for (let c = 0; c < channelData.length; c++) {
    const x = channelData[c];
    for (let i = 0; i < x.length; i++) {
      if (!Number.isFinite(x[i])) {
        throw new AudioDecodeError(file, `sample ${i} (t = ${(i / rate).toFixed(4)} s) of channel ${c} is ${x[i]}; float audio must be finite`);
      }
    }
  }
}
