// Playback of a clip's standardised audio through Web Audio (no files, no URLs).
let ctx: AudioContext | null = null;
let current: { source: AudioBufferSourceNode; clipId: number } | null = null;

export function stopPlayback(): void {
  current?.source.stop();
  current = null;
}

export function playingClip(): number | null {
  return current?.clipId ?? null;
}

export function play(clipId: number, samples: Float32Array, sampleRate: number, onEnd?: () => void): void {
  stopPlayback();
  ctx ??= new AudioContext();
  const buf = ctx.createBuffer(1, samples.length, sampleRate);
  buf.copyToChannel(new Float32Array(samples), 0);
  const source = ctx.createBufferSource();
  source.buffer = buf;
  source.connect(ctx.destination);
  source.onended = () => {
    if (current?.source === source) current = null;
    onEnd?.();
  };
  source.start();
  current = { source, clipId };
}
