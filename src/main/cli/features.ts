// `hark features`: the engine's fbank / log-mel of one audio file, written as a NumPy .npy (frames x bins).
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ANALYSIS_RATE } from '../../shared/domain';
import { decodeFile, toMono } from '../audio/decode';
import { FBANK_PRESETS, fbank, normaliseFbank, type FbankPreset } from '../audio/fbank';
import { logmel } from '../audio/logmel';
import { writeNpy } from '../audio/npy';
import { resample } from '../audio/standardise';
import { UsageError, type Command } from './command';

const USAGE = [
  'hark features fbank --preset ast|beats [--normalise] [--channel N] IN --out OUT.npy',
  '       hark features logmel [--channel N] IN --out OUT.npy',
  '',
  'The whole recording is converted to 16 kHz mono (mean of channels unless --channel) and not cut into',
  'clips. fbank: Kaldi log mel filterbank as AST (--preset ast) or BEATs (--preset beats) compute it;',
  "--normalise applies the model's input normalisation. logmel: torchaudio MelSpectrogram(n_fft=1024,",
  'hop 512, 128 mels), log(x + 1e-8). Output: float32 .npy, frames x 128.',
].join('\n');

export const featuresCommand: Command = {
  name: 'features',
  summary: 'compute the fbank or log-mel features of an audio file and write them as .npy',
  usage: USAGE,
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv,
      options: {
        preset: { type: 'string' },
        normalise: { type: 'boolean', default: false },
        channel: { type: 'string' },
        out: { type: 'string', short: 'o' },
      },
      allowPositionals: true,
      strict: true,
    });
    const [kind, input, ...extra] = positionals;
    if (kind !== 'fbank' && kind !== 'logmel') throw new UsageError(`expected 'fbank' or 'logmel', got ${kind === undefined ? 'nothing' : `'${kind}'`}`);
    if (input === undefined) throw new UsageError('missing the input audio file');
    if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}' (one input file per call)`);
    if (!values.out) throw new UsageError('missing --out OUT.npy');
    let preset: FbankPreset | null = null;
    if (kind === 'fbank') {
      if (!FBANK_PRESETS.includes(values.preset as FbankPreset)) throw new UsageError(`--preset must be ${FBANK_PRESETS.join(' or ')}, got ${values.preset ?? 'nothing'}`);
      preset = values.preset as FbankPreset;
    } else if (values.preset !== undefined || values.normalise) {
      throw new UsageError('--preset and --normalise apply to fbank only');
    }
    let channel: number | undefined;
    if (values.channel !== undefined) {
      channel = Number(values.channel);
      if (!Number.isInteger(channel) || channel < 0) throw new UsageError(`--channel must be a channel index 0, 1, ..., got ${values.channel}`);
    }

    const audio = await decodeFile(path.resolve(input));
    if (channel !== undefined && channel >= audio.channels) throw new UsageError(`--channel ${channel}: ${input} has ${audio.channels} channel(s), numbered 0-${audio.channels - 1}`);
    const mono = toMono(audio, channel);
    const wave = audio.sampleRate === ANALYSIS_RATE ? mono : resample(mono, audio.sampleRate, ANALYSIS_RATE);
    let f = preset ? fbank(wave, preset) : logmel(wave);
    if (preset && values.normalise) f = normaliseFbank(f, preset);
    if (f.frames === 0) throw new Error(`${input}: too short for ${kind} (${wave.length} samples at 16 kHz, no whole frame)`);
    const out = path.resolve(values.out);
    writeNpy(out, f.data, [f.frames, f.bins]);

    const conv = [
      audio.sampleRate !== ANALYSIS_RATE ? `resampled from ${audio.sampleRate} Hz` : null,
      audio.channels > 1 ? (channel === undefined ? `mean of ${audio.channels} channels` : `channel ${channel} of ${audio.channels}`) : null,
    ].filter((s) => s !== null);
    const what = preset ? `fbank ${preset}${values.normalise ? ' normalised' : ''}` : 'logmel';
    io.out(`wrote ${values.out}: ${f.frames} x ${f.bins} float32 (${what}, ${(wave.length / ANALYSIS_RATE).toFixed(2)} s${conv.length ? `, ${conv.join(', ')}` : ''})`);
    return 0;
  },
};
