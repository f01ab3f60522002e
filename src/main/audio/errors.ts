// The one error type for audio that cannot be read: callers report `file` and `reason` as they are.

export class AudioDecodeError extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`${file}: ${reason}`);
    this.name = 'AudioDecodeError';
  }
}

/** Sample rates outside this range are treated as a corrupt header, not as audio. */
export const MIN_SAMPLE_RATE = 1000;
export const MAX_SAMPLE_RATE = 768_000;

export function checkSampleRate(file: string, rate: number): void {
  if (!Number.isInteger(rate) || rate < MIN_SAMPLE_RATE || rate > MAX_SAMPLE_RATE) {
    throw new AudioDecodeError(file, `sample rate ${rate} Hz is outside the supported range ${MIN_SAMPLE_RATE}-${MAX_SAMPLE_RATE} Hz`);
  }
}
