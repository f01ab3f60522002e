// `hark score`: score recordings with a .hark-detector file alone (no project store).
// stdout: one tab-separated line per clip and per file (name, score, decision); details go to stderr.
import { parseArgs } from 'node:util';
import { isScoreError, scoreFiles, type FileScore, type FileScoreError } from '../eval/detector-export';
import { PortableDetector } from '../eval/portable/scorer';
import { UsageError, type CliIO, type Command } from './command';

const decisionWord = (d: 0 | 1) => (d ? 'anomaly' : 'normal');
// enough digits to tell scores apart that agree to float32 precision
const fmt = (v: number) => (Number.isFinite(v) ? v.toPrecision(9) : String(v));

function printFile(io: CliIO, r: FileScore | FileScoreError): void {
  if (isScoreError(r)) {
    io.err(`error: ${r.error}`);
    return;
  }
  if (r.slices.length === 1) {
    io.out(`${r.name}\t${fmt(r.score)}\t${decisionWord(r.decision)}`);
    return;
  }
  for (const s of r.slices) io.out(`${s.name}\t${fmt(s.score)}\t${decisionWord(s.decision)}`);
  io.out(`${r.name}\t${fmt(r.score)}\t${decisionWord(r.decision)}\tmax of ${r.slices.length} clips`);
}

export const scoreCommand: Command = {
  name: 'score',
  summary: 'score audio files with a .hark-detector file (no project needed): name, score, decision',
  usage: 'hark score --detector FILE.hark-detector IN.wav [IN2.wav ...] [--json] [--threads N] | hark score --detector FILE --info',
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv,
      options: {
        detector: { type: 'string' },
        json: { type: 'boolean', default: false },
        info: { type: 'boolean', default: false },
        threads: { type: 'string' },
      },
      allowPositionals: true,
      strict: true,
    });
    if (!values.detector) throw new UsageError('--detector FILE is required');
    let threads: number | undefined;
    if (values.threads !== undefined) {
      if (!/^\d+$/.test(values.threads) || Number(values.threads) < 1) throw new UsageError(`--threads takes a positive integer, got '${values.threads}'`);
      threads = Number(values.threads);
    }
    if (values.info) {
      // opening verifies every entry and loads the encoder: --info doubles as an integrity check
      const det = await PortableDetector.open(values.detector, { intraOpThreads: threads });
      try {
        const { entries, state, ...rest } = det.header;
        io.out(JSON.stringify({ ...rest, entries: entries.map((e) => ({ name: e.name, bytes: e.bytes, sha256: e.sha256 })), stateKeys: Object.keys(state) }, null, 2));
      } finally {
        await det.close();
      }
      return 0;
    }
    if (positionals.length === 0) throw new UsageError('give at least one audio file to score');
    const { header, results } = await scoreFiles(values.detector, positionals, {
      intraOpThreads: threads,
      // lines appear as files finish, so a long batch shows progress and a pipe sees results early
      onFile: values.json ? undefined : (r) => printFile(io, r),
    });
    const failed = results.filter(isScoreError).length;
    if (values.json) {
      io.out(
        JSON.stringify(
          {
            detector: { file: values.detector, approach: header.approach, machineType: header.machineType, section: header.section, encoder: (header.encoder ? [header.encoder] : header.encoders!).map((e) => `${e.id}@${e.version}`).join(' + '), threshold: header.threshold },
            files: results,
          },
          null,
          1,
        ),
      );
    } else {
      io.err(`${results.length - failed} of ${results.length} file(s) scored with approach ${header.approach} (${header.machineType} section ${header.section}), threshold ${fmt(header.threshold.value)}`);
    }
    return failed ? 1 : 0;
  },
};
