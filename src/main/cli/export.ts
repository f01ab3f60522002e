// `hark export`: a fitted detector of a project as one portable .hark-detector file for `hark score`.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { exportDetector } from '../eval/detector-export';
import { Store } from '../store/store';
import { UsageError, type Command } from './command';
import { approachLabel } from '../../shared/api';

function positiveInt(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new UsageError(`${flag} takes a positive integer id, got '${v}'`);
  return Number(v);
}

const mb = (n: number) => `${(n / 1e6).toFixed(n < 1e7 ? 2 : 1)} MB`;

export const exportCommand: Command = {
  name: 'export',
  summary: 'export a fitted detector as one portable .hark-detector file (state, encoder model, threshold)',
  usage: 'hark export --project DIR (--detector ID | --run RUNID) --out FILE.hark-detector [--no-verify] [--json]',
  async run(argv, io) {
    const { values } = parseArgs({
      args: argv,
      options: {
        project: { type: 'string' },
        detector: { type: 'string' },
        run: { type: 'string' },
        out: { type: 'string' },
        'no-verify': { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
      },
      strict: true,
    });
    if (!values.project) throw new UsageError('--project DIR is required');
    if (!values.out) throw new UsageError('--out FILE is required');
    const detectorId = positiveInt(values.detector, '--detector');
    const runId = positiveInt(values.run, '--run');
    if (detectorId === undefined && runId === undefined) throw new UsageError('give --detector ID or --run RUNID');
    const store = Store.open(path.resolve(values.project));
    try {
      const s = await exportDetector(store, { detectorId, runId }, values.out, { verify: !values['no-verify'] });
      if (values.json) {
        io.out(JSON.stringify(s, null, 2));
        return 0;
      }
      io.out(`wrote ${s.out} (${mb(s.bytes)})`);
      io.out(`  detector ${s.detectorId} from run ${s.runId}: ${s.members ? approachLabel(s) : `approach ${s.approach}`}, ${s.machineType} section ${s.section}`);
      s.encoders.forEach((e, i) => {
        const who = s.members ? ` (${s.members[i]})` : '';
        io.out(`  encoder${who} ${e.id}@${e.version}${e.embeddedBytes ? `, model embedded (${mb(e.embeddedBytes)})` : ' (DSP, no model file)'}`);
      });
      io.out(`  threshold ${s.threshold.value.toPrecision(6)} (${s.threshold.method})`);
      if (s.verified) io.out(`  checked: clip '${s.verified.clip}' scores ${s.verified.portable.toPrecision(9)} from the file, ${s.verified.stored.toPrecision(9)} in the project`);
      for (const n of s.notes) io.err(`note: ${n}`);
      return 0;
    } finally {
      store.close();
    }
  },
};
