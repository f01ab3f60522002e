// `hark generate`: a synthetic data package (DCASE layout + manifest) for trying Hark end to end.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_SEED, DEFAULT_SEVERITY, generateDataset, MACHINE_TYPES, MAX_SCALE, MAX_SECTIONS } from '../data/generator';
import { UsageError, type Command } from './command';
import { cliProgress } from './progress';

function number(name: string, raw: string | undefined, fallback: number, ok: (v: number) => boolean, what: string): number {
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (raw.trim() === '' || !ok(v)) throw new UsageError(`--${name} must be ${what}, got '${raw}'`);
  return v;
}

export const generateCommand: Command = {
  name: 'generate',
  summary: 'write a synthetic machine-sound package (DCASE layout, attributes, manifest) with anomalies and domain shift',
  usage: `hark generate --out DIR [--scale S] [--seed N] [--machines ${MACHINE_TYPES.slice(0, 3).join(',')},...] [--sections N] [--severity X]

  --out DIR        folder to write (new, empty, or an earlier output of this command)
  --scale S        multiplies the DCASE 2025 counts per section (990 source + 10 target normal,
                   100 noise-only, 4 x 50 test); rounded up, at least 3 target normals and
                   4 test clips per domain x label; 0 < S <= ${MAX_SCALE}, default 1
  --seed N         0..4294967295, default ${DEFAULT_SEED}; same seed and options, same bytes
  --machines LIST  comma-separated, default all: ${MACHINE_TYPES.join(', ')}
  --sections N     units per machine type (section 00, 01, ...), default 1
  --severity X     anomaly strength 0..1, default ${DEFAULT_SEVERITY} (moderate: most but not all detectable)`,
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv,
      options: {
        out: { type: 'string' },
        scale: { type: 'string' },
        seed: { type: 'string' },
        machines: { type: 'string' },
        sections: { type: 'string' },
        severity: { type: 'string' },
      },
      strict: true,
      allowPositionals: true,
    });
    if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    if (!values.out) throw new UsageError('--out DIR is required');
    const scale = number('scale', values.scale, 1, (v) => v > 0 && v <= MAX_SCALE, `a number in (0, ${MAX_SCALE}]`);
    const seed = number('seed', values.seed, DEFAULT_SEED, (v) => Number.isInteger(v) && v >= 0 && v <= 0xffffffff, 'a whole number 0..4294967295');
    const sections = number('sections', values.sections, 1, (v) => Number.isInteger(v) && v >= 1 && v <= MAX_SECTIONS, `a whole number 1..${MAX_SECTIONS}`);
    const severity = number('severity', values.severity, DEFAULT_SEVERITY, (v) => v >= 0 && v <= 1, 'a number in [0, 1]');
    let machines: string[] | undefined;
    if (values.machines !== undefined) {
      machines = values.machines
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      if (machines.length === 0) throw new UsageError(`--machines needs at least one of ${MACHINE_TYPES.join(', ')}`);
      const unknown = machines.filter((m) => !MACHINE_TYPES.includes(m));
      if (unknown.length) throw new UsageError(`--machines: unknown type ${unknown.map((m) => `'${m}'`).join(', ')}; known: ${MACHINE_TYPES.join(', ')}`);
      machines = [...new Set(machines)];
    }
    const out = path.resolve(values.out);

    const abort = new AbortController();
    const onSig = () => abort.abort(new Error('interrupted; run the same command again to resume'));
    process.once('SIGINT', onSig);
    const bar = cliProgress(io, 'generate');
    let barOpen = true;
    try {
      const s = await generateDataset({ out, scale, seed, machines, sections, severity, signal: abort.signal, onProgress: (done, total) => bar.update({ stage: 'clips', done, total }) });
      bar.end();
      barOpen = false;
      const c = s.counts;
      io.out(
        `${s.clips} clips (${s.machines.join(', ')}; ${s.sections} section${s.sections > 1 ? 's' : ''} each: ${c.sourceTrain} source + ${c.targetTrain} target normal, ${c.supplemental} noise-only, ${4 * c.testPerCell} test) in ${out}`,
      );
      io.out(`${s.written} written${s.kept ? `, ${s.kept} kept from the earlier run` : ''}${s.removed ? `, ${s.removed} stale removed` : ''} in ${s.seconds.toFixed(1)} s${s.written ? ` (${s.clipsPerSecond.toFixed(1)} clips/s)` : ''}; ${(s.bytes / 1e6).toFixed(0)} MB of audio`);
      io.out(`import it with: hark import --project PROJECT --dcase ${out}   (or --manifest ${s.manifest})`);
      return 0;
    } finally {
      if (barOpen) bar.end();
      process.off('SIGINT', onSig);
    }
  },
};
