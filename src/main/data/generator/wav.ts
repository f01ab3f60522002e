// 16-bit PCM mono WAV bytes. Written by hand because the header is 44 fixed bytes and
// wavefile's generic packer costs about 20 ms per 10 s clip, as much as synthesising it;
// the tests read these files back with wavefile and with Hark's own decoder.

/** canonical RIFF/WAVE, PCM format 1, one channel, 16 bits; samples in [-1, 1] are rounded and clamped */
export function encodeWavPcm16(samples: Float32Array, sampleRate: number): Uint8Array {
  if (!Number.isInteger(sampleRate) || sampleRate <= 0) throw new Error(`encodeWavPcm16: sampleRate must be a positive integer, got ${sampleRate}`);
  const dataBytes = samples.length * 2;
  const buf = new ArrayBuffer(44 + dataBytes);
  const v = new DataView(buf);
  const ascii = (at: number, s: string) => {
    for (let i = 0; i < s.length; i++) v.setUint8(at + i, s.charCodeAt(i));
  };
  ascii(0, 'RIFF');
  v.setUint32(4, 36 + dataBytes, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  v.setUint32(16, 16, true); // fmt chunk size
  v.setUint16(20, 1, true); // PCM
  v.setUint16(22, 1, true); // mono
  v.setUint32(24, sampleRate, true);
  v.setUint32(28, sampleRate * 2, true); // byte rate
  v.setUint16(32, 2, true); // block align
  v.setUint16(34, 16, true);
  ascii(36, 'data');
  v.setUint32(40, dataBytes, true);
  const clamp = (x: number) => {
    const q = Math.round(x * 32767);
    return q > 32767 ? 32767 : q < -32768 ? -32768 : q;
  };
  if (LITTLE_ENDIAN) {
    const pcm = new Int16Array(buf, 44, samples.length); // the host order is the file order: no per-sample DataView call
    for (let i = 0; i < samples.length; i++) pcm[i] = clamp(samples[i]);
  } else {
    for (let i = 0, at = 44; i < samples.length; i++, at += 2) v.setInt16(at, clamp(samples[i]), true);
  }
  return new Uint8Array(buf);
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
