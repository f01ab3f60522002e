// Writes a synthetic data package in the DCASE layout plus a folder + CSV manifest:
// audio, attributes_SS.csv per section, manifest.csv, ground_truth.csv and generator.json.
import { parse } from 'csv-parse/sync';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { ANALYSIS_RATE, CLIP_SAMPLES, CLIP_SECONDS } from '../../../shared/domain';
import { PEAK_CEILING, REFERENCE_RMS, speedFactor, synthesizeClip } from './clip';
import { FAMILIES, MACHINE_TYPES } from './machines';
import { MAX_SCALE, planSection, scaledCounts, sectionId, sectionKnobs, type PlannedClip, type SectionCounts, type SectionKnobs } from './plan';
import { MIC_POSITIONS, NOISE_TYPES } from './site';
import { encodeWavPcm16 } from './wav';

/** bump when the same seed and settings would give different audio */
export const GENERATOR_VERSION = 1;
export const DEFAULT_SEED = 2025;
export const DEFAULT_SEVERITY = 0.5;
export const MAX_SECTIONS = 100;
/** files being written at once: synthesis runs on this thread, the writes overlap it */
const WRITE_CONCURRENCY = 8;
const WAV_BYTES = 44 + 2 * CLIP_SAMPLES;

export interface GenerateOptions {
  out: string;
  scale?: number;
  seed?: number;
  machines?: string[];
  sections?: number;
  severity?: number;
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

export interface GeneratorSummary {
  out: string;
  manifest: string;
  seed: number;
  scale: number;
  severity: number;
  machines: string[];
  sections: number;
  counts: SectionCounts;
  /** clips in the package */
  clips: number;
  /** clips synthesised and written by this run */
  written: number;
  /** clips already present from an earlier run with the same seed and severity, kept as they were */
  kept: number;
  /** stale files of an earlier run removed because this run's plan no longer has them */
  removed: number;
  bytes: number;
  seconds: number;
  /** synthesised and written clips per second of wall time */
  clipsPerSecond: number;
}

interface Settings {
  seed: number;
  scale: number;
  severity: number;
  machines: string[];
  sections: number;
}

function settingsOf(opts: GenerateOptions): Settings {
  const seed = opts.seed ?? DEFAULT_SEED;
  const scale = opts.scale ?? 1;
  const severity = opts.severity ?? DEFAULT_SEVERITY;
  const sections = opts.sections ?? 1;
  const machines = opts.machines ?? [...MACHINE_TYPES];
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new Error(`generator: seed must be an integer 0..4294967295, got ${seed}`);
  if (!(scale > 0 && scale <= MAX_SCALE)) throw new Error(`generator: scale must be in (0, ${MAX_SCALE}], got ${scale}`);
  if (!(severity >= 0 && severity <= 1)) throw new Error(`generator: severity must be in [0, 1], got ${severity}`);
  if (!Number.isInteger(sections) || sections < 1 || sections > MAX_SECTIONS) throw new Error(`generator: sections must be an integer 1..${MAX_SECTIONS}, got ${sections}`);
  if (machines.length === 0) throw new Error('generator: machines is empty; give at least one of ' + MACHINE_TYPES.join(', '));
  for (const m of machines) if (!MACHINE_TYPES.includes(m)) throw new Error(`generator: unknown machine type '${m}'; known: ${MACHINE_TYPES.join(', ')}`);
  if (new Set(machines).size !== machines.length) throw new Error(`generator: machines lists a type twice: ${machines.join(', ')}`);
  return { seed, scale, severity, machines, sections };
}

/** every planned clip of a package, machine by machine, section by section */
export function planDataset(opts: Omit<GenerateOptions, 'out' | 'onProgress' | 'signal'>): { settings: Settings; counts: SectionCounts; clips: PlannedClip[] } {
  const settings = settingsOf({ ...opts, out: '' });
  const counts = scaledCounts(settings.scale);
  const clips: PlannedClip[] = [];
  for (const machine of settings.machines) {
    for (let s = 0; s < settings.sections; s++) clips.push(...planSection({ seed: settings.seed, machine, section: s, counts, severity: settings.severity }));
  }
  return { settings, counts, clips };
}

function csvField(v: string | number | null): string {
  const s = v === null ? '' : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function csv(header: string[], rows: (string | number | null)[][]): string {
  return [header, ...rows].map((r) => r.map(csvField).join(',')).join('\n') + '\n';
}

const attr = (c: PlannedClip, key: string): string | null => c.attributes.find(([k]) => k === key)?.[1] ?? null;

function manifestCsv(clips: PlannedClip[]): string {
  return csv(
    ['path', 'machine_type', 'section', 'domain', 'split', 'label', 'role', 'speed_level', 'load_level', 'noise_id', 'mic_position_id'],
    clips.map((c) => [c.relPath, c.machine, c.section, c.domain, c.split, c.label, c.role, attr(c, 'spd'), attr(c, 'load'), attr(c, 'noise'), attr(c, 'mic')]),
  );
}

function attributesCsv(clips: PlannedClip[]): string {
  const width = Math.max(...clips.map((c) => c.attributes.length));
  const header = ['file_name'];
  for (let j = 1; j <= width; j++) header.push(`d${j}p`, `d${j}v`);
  return csv(
    header,
    clips.map((c) => {
      const row: string[] = [c.relPath];
      for (let j = 0; j < width; j++) row.push(c.attributes[j]?.[0] ?? '', c.attributes[j]?.[1] ?? '');
      return row;
    }),
  );
}

function groundTruthCsv(clips: PlannedClip[]): string {
  return csv(
    ['path', 'label', 'anomaly_kind', 'intensity', 'snr_db'],
    clips.map((c) => [c.relPath, c.label, c.spec.anomaly?.kind ?? null, c.spec.anomaly ? c.spec.anomaly.intensity : null, c.spec.snrDb]),
  );
}

function describe(settings: Settings, counts: SectionCounts, knobs: Record<string, Record<string, SectionKnobs>>): unknown {
  return {
    generator: 'hark synthetic machine sound',
    version: GENERATOR_VERSION,
    seed: settings.seed,
    scale: settings.scale,
    severity: settings.severity,
    machines: settings.machines,
    sections: settings.sections,
    audio: { sampleRate: ANALYSIS_RATE, channels: 1, bitsPerSample: 16, clipSeconds: CLIP_SECONDS },
    level: {
      referenceRmsDbfs: Math.round(200 * Math.log10(REFERENCE_RMS)) / 10,
      peakCeilingDbfs: Math.round(200 * Math.log10(PEAK_CEILING)) / 10,
      note: 'absolute levels: a unit at nominal speed and load is at the reference RMS on the near-field mic; a clip is only turned down if its peak would pass the ceiling, so loudness differences between conditions, mics and anomalies are kept',
    },
    snr: 'background RMS relative to the unit at nominal speed and load as the same microphone hears it; noise-only clips use the same level law',
    countsPerSection: counts,
    attributes: {
      spd: `speed level 1..6: shaft speed ${speedFactor(1).toFixed(3)}..${speedFactor(6).toFixed(3)} x the unit's nominal`,
      load: 'load level 1..4: load 0..1 (pressure, torque or flow, by machine)',
      noise: Object.fromEntries(NOISE_TYPES.map((t) => [t.id, `${t.name}: ${t.description}`])),
      mic: Object.fromEntries(MIC_POSITIONS.map((m) => [String(m.id), m.description])),
    },
    anomalies: Object.fromEntries(FAMILIES.filter((f) => settings.machines.includes(f.type)).map((f) => [f.type, f.anomalies])),
    knobs,
  };
}

async function removeIfPresent(file: string): Promise<boolean> {
  try {
    await fsp.unlink(file);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}

interface Previous {
  version: number;
  seed: number;
  severity: number;
  machines: string[];
  sections: number;
  /** audio files its manifest lists (none if it was interrupted before writing one) */
  paths: string[];
}

/** an earlier run in `out`, or null for an empty or new folder; refuses a folder that holds anything else */
function previousRun(out: string): Previous | null {
  if (!fs.existsSync(out)) return null;
  if (!fs.statSync(out).isDirectory()) throw new Error(`generator: ${out} exists and is not a folder`);
  const entries = fs.readdirSync(out);
  if (entries.length === 0) return null;
  const info = path.join(out, 'generator.json');
  if (!fs.existsSync(info)) throw new Error(`generator: ${out} is not empty and holds no generator.json, so it is not an earlier generator output; choose an empty or new folder`);
  let j: { version?: unknown; seed?: unknown; severity?: unknown; machines?: unknown; sections?: unknown };
  try {
    j = JSON.parse(fs.readFileSync(info, 'utf8'));
  } catch (e) {
    throw new Error(`generator: ${info} is not readable JSON (${(e as Error).message}); remove the folder or choose another`);
  }
  const manifest = path.join(out, 'manifest.csv');
  let paths: string[] = [];
  if (fs.existsSync(manifest)) {
    try {
      const rows = parse(fs.readFileSync(manifest, 'utf8'), { columns: true, skip_empty_lines: true }) as { path?: string }[];
      paths = rows.map((r) => r.path ?? '').filter((p) => p.endsWith('.wav') && !p.split('/').includes('..') && !path.isAbsolute(p));
    } catch (e) {
      throw new Error(`generator: ${manifest} is not a readable CSV (${(e as Error).message}); remove the folder or choose another`);
    }
  }
  const machines = Array.isArray(j.machines) ? j.machines.filter((m): m is string => typeof m === 'string' && /^[a-z]+$/.test(m)) : [];
  return { version: Number(j.version), seed: Number(j.seed), severity: Number(j.severity), machines, sections: Number(j.sections) || 0, paths };
}

/**
 * Generates the package into `opts.out`. Same seed and options give identical bytes. Rerunning
 * into a folder this generator wrote with the same seed and severity keeps finished clips
 * (an interrupted run resumes; a larger scale adds clips); anything else there is refused.
 */
export async function generateDataset(opts: GenerateOptions): Promise<GeneratorSummary> {
  const started = performance.now();
  if (!opts.out) throw new Error('generator: out (the folder to write) is required');
  const out = path.resolve(opts.out);
  const { settings, counts, clips } = planDataset(opts);
  const prev = previousRun(out);
  const reuse = prev !== null && prev.version === GENERATOR_VERSION && prev.seed === settings.seed && prev.severity === settings.severity;

  const knobs: Record<string, Record<string, SectionKnobs>> = {};
  for (const m of settings.machines) {
    knobs[m] = {};
    for (let s = 0; s < settings.sections; s++) knobs[m][sectionId(s)] = sectionKnobs(settings.seed, m, s);
  }
  fs.mkdirSync(out, { recursive: true });
  // written first: it marks the folder as generator output, so an interrupted run can resume
  fs.writeFileSync(path.join(out, 'generator.json'), JSON.stringify(describe(settings, counts, knobs), null, 2) + '\n');
  for (const m of settings.machines) for (const split of ['train', 'test', 'supplemental']) fs.mkdirSync(path.join(out, m, split), { recursive: true });

  let removed = 0;
  if (prev) {
    const planned = new Set(clips.map((c) => c.relPath));
    for (const p of prev.paths) if (!planned.has(p) && (await removeIfPresent(path.join(out, p)))) removed++;
    // other seed, severity or version: nothing under a planned name may survive into a later resume
    if (!reuse) for (const c of clips) await removeIfPresent(path.join(out, c.relPath));
    for (const m of prev.machines) {
      for (let s = 0; s < prev.sections; s++) {
        if (!(settings.machines.includes(m) && s < settings.sections)) await removeIfPresent(path.join(out, m, `attributes_${sectionId(s)}.csv`));
      }
    }
    // half-written files of an interrupted run
    for (const m of settings.machines) {
      for (const split of ['train', 'test', 'supplemental']) {
        const dir = path.join(out, m, split);
        for (const f of fs.readdirSync(dir)) if (f.endsWith('.wav.part')) await removeIfPresent(path.join(dir, f));
      }
    }
  }

  const total = clips.length;
  let done = 0;
  let written = 0;
  let kept = 0;
  const pending = new Set<Promise<void>>();
  let failure: unknown = null;
  const progress = () => opts.onProgress?.(done, total);
  progress();
  let step = 0;
  try {
    for (const clip of clips) {
      if (++step % 16 === 0) await new Promise<void>((r) => setImmediate(r)); // let progress, writes and abort through
      opts.signal?.throwIfAborted();
      if (failure) throw failure;
      const file = path.join(out, clip.relPath);
      if (reuse && fs.statSync(file, { throwIfNoEntry: false })?.size === WAV_BYTES) {
        kept++;
        done++;
        progress();
        continue;
      }
      const bytes = encodeWavPcm16(synthesizeClip(clip.spec), ANALYSIS_RATE);
      // write then rename: a file under its final name is always complete
      const tmp = `${file}.part`;
      const job: Promise<void> = fsp
        .writeFile(tmp, bytes)
        .then(() => fsp.rename(tmp, file))
        .then(() => {
          written++;
          done++;
          progress();
        })
        .catch((e: unknown) => {
          failure ??= new Error(`generator: cannot write ${file}: ${(e as Error).message}`);
        })
        .finally(() => pending.delete(job));
      pending.add(job);
      if (pending.size >= WRITE_CONCURRENCY) await Promise.race(pending);
    }
  } finally {
    await Promise.all(pending);
  }
  if (failure) throw failure;

  for (const m of settings.machines) {
    for (let s = 0; s < settings.sections; s++) {
      const sec = sectionId(s);
      fs.writeFileSync(path.join(out, m, `attributes_${sec}.csv`), attributesCsv(clips.filter((c) => c.machine === m && c.section === sec)));
    }
  }
  const manifest = path.join(out, 'manifest.csv');
  fs.writeFileSync(manifest, manifestCsv(clips));
  fs.writeFileSync(path.join(out, 'ground_truth.csv'), groundTruthCsv(clips));

  const seconds = (performance.now() - started) / 1000;
  return {
    out,
    manifest,
    seed: settings.seed,
    scale: settings.scale,
    severity: settings.severity,
    machines: settings.machines,
    sections: settings.sections,
    counts,
    clips: total,
    written,
    kept,
    removed,
    bytes: total * WAV_BYTES,
    seconds,
    clipsPerSecond: written / seconds,
  };
}
