// Scoring with a .hark-detector file alone: no project store. The encoder is the model file embedded
// (an ensemble has one per member, and combines the members' scores by their stored rank tables)
// in the detector, loaded through the same encoder classes Hark fits with (via a temporary manifest),
// audio is decoded, standardised and sliced as on import, features are made as FeatureService makes them.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ANALYSIS_RATE } from '../../../shared/domain';
import type { ClipFeatures, FeatureRequest, GridGeometry, ScoreResult } from '../../approaches/types';
import { getApproach, type AnyApproach } from '../../approaches/registry';
import { decodeFile, toMono } from '../../audio/decode';
import { resample, sliceClips } from '../../audio/standardise';
import { MIN_CLIP_S } from '../../data/import/importer';
import { loadEncoder, loadModelRegistry } from '../../encoders';
import { MANIFEST_FORMAT } from '../../encoders/manifest';
import type { Encoder } from '../../encoders/types';
import { DetectorFileError, extractEntry, openContainer, readFloat32Entry, type DetectorHeader, type EncoderHeader, type OpenedContainer } from './container';
import { combineResults, ENSEMBLE, loadDetectorState, type EnsembleState } from '../ensemble';

export interface SliceScore {
  /** the file's name, with '@<offset>s' when the recording was cut into several clips (as on import) */
  name: string;
  offsetS: number;
  durationS: number;
  score: number;
  decision: 0 | 1;
  parts?: Record<string, number>;
}

export interface FileScore {
  file: string;
  name: string;
  /** max over the slices */
  score: number;
  decision: 0 | 1;
  slices: SliceScore[];
}

export interface FileScoreError {
  file: string;
  name: string;
  error: string;
}

export interface OpenOptions {
  /** ONNX Runtime intra-op threads for the encoder (default 1, as Hark fits with) */
  intraOpThreads?: number;
  /** folder of the installed models/manifest.json, to check DSP encoders' versions (default: Hark's) */
  modelsDir?: string;
}

/** clips of one recording encoded and scored together; their anomaly maps are dropped after each batch */
const SCORE_BATCH = 8;

/** The clip name import gives a slice: 'file.wav@10s', 'file.wav@12.50s'. */
export function sliceName(name: string, offsetS: number, many: boolean): string {
  return many ? `${name}@${offsetS.toFixed(offsetS % 1 === 0 ? 0 : 2)}s` : name;
}

function sameRequest(a: FeatureRequest, b: FeatureRequest): boolean {
  if (a.kind !== b.kind || a.encoder !== b.encoder) return false;
  if (a.kind === 'patches' && b.kind === 'patches') return a.layers.join(',') === b.layers.join(',');
  return a.kind === 'embedding' && b.kind === 'embedding' && a.layer === b.layer;
}

const describeRequest = (r: FeatureRequest) => JSON.stringify(r);

/** The encoder's grid geometry with its mel axis, as FeatureService hands it to approaches. */
function geometryOf(enc: Encoder): GridGeometry | undefined {
  if (!enc.geometry) return undefined;
  const m = enc.melAxis;
  return m ? { ...enc.geometry, melAxis: { fminHz: m.fminHz, fmaxHz: m.fmaxHz, scale: m.scale } } : enc.geometry;
}

/** A file name the detector may embed: a bare name, so extraction never leaves the temporary folder. */
function isBareName(p: string): boolean {
  return p.length > 0 && p !== '.' && p !== '..' && !/[\\/]/.test(p) && !p.includes('\0');
}

/** A member's encoder as the header gives it, and where its files are: 'model/' (single) or 'model/m<i>/' (ensemble member i). */
interface EncoderSlot {
  enc: EncoderHeader;
  modelPrefix: string;
}

/** Makes the encoder from the detector's manifest entry and embedded model files, in a temporary folder. */
async function openEncoder(c: OpenedContainer, slot: EncoderSlot, opts: OpenOptions): Promise<{ encoder: Encoder; dir: string }> {
  const h = slot.enc;
  const entry = h.entry as { id?: unknown; version?: unknown; runtime?: unknown; files?: { path?: unknown; sha256?: unknown }[] };
  if (entry.id !== h.id || entry.version !== h.version || entry.runtime !== h.runtime) {
    throw new DetectorFileError(c.file, `field 'encoder.entry' describes ${String(entry.id)}@${String(entry.version)} (${String(entry.runtime)}), field 'encoder' says ${h.id}@${h.version} (${h.runtime})`);
  }
  const files = Array.isArray(entry.files) ? entry.files : [];
  const models = ownModels(c, slot.modelPrefix);
  for (const f of files) {
    if (typeof f.path !== 'string' || !isBareName(f.path)) throw new DetectorFileError(c.file, `field 'encoder.entry.files' names ${JSON.stringify(f.path)}, not a bare file name`);
    const e = models.find((m) => m.name === `${slot.modelPrefix}${f.path}`);
    if (!e) throw new DetectorFileError(c.file, `encoder file '${f.path}' is not embedded (no entry '${slot.modelPrefix}${f.path}')`);
    if (e.sha256 !== f.sha256) throw new DetectorFileError(c.file, `entry '${e.name}' has sha256 ${e.sha256}, the encoder's manifest entry says ${String(f.sha256)}`);
  }
  const stray = models.filter((m) => !files.some((f) => `${slot.modelPrefix}${String(f.path)}` === m.name));
  if (stray.length) throw new DetectorFileError(c.file, `entry '${stray[0].name}' is not a file of encoder '${h.id}'`);

  if (h.runtime === 'dsp') {
    // a DSP encoder is Hark's own code, not a file: this Hark must compute the same version
    const installed = (await loadModelRegistry({ modelsDir: opts.modelsDir })).list().find((r) => r.entry.id === h.id);
    if (!installed || installed.entry.runtime !== 'dsp') throw new DetectorFileError(c.file, `needs the DSP encoder '${h.id}', which this Hark does not have`);
    if (installed.entry.version !== h.version) {
      throw new DetectorFileError(c.file, `was fitted with DSP encoder ${h.id}@${h.version}; this Hark computes version ${installed.entry.version}`);
    }
  }

  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'hark-detector-'));
  try {
    for (const e of models) await extractEntry(c, e, path.join(dir, e.name.slice(slot.modelPrefix.length)));
    await fs.writeFile(path.join(dir, 'manifest.json'), JSON.stringify({ format: MANIFEST_FORMAT, encoders: [h.entry] }));
    let encoder: Encoder;
    try {
      // the temporary manifest stands in for models/: the registry holds only the detector's encoder
      encoder = await loadEncoder(h.id, { modelsDir: dir, intraOpThreads: opts.intraOpThreads ?? 1 });
    } catch (err) {
      throw new DetectorFileError(c.file, `its encoder does not load: ${(err as Error).message}`);
    }
    if (encoder.fingerprint !== h.fingerprint) {
      await encoder.dispose();
      throw new DetectorFileError(c.file, `its encoder has fingerprint ${encoder.fingerprint}, the header says ${h.fingerprint}`);
    }
    return { encoder, dir };
  } catch (err) {
    await fs.rm(dir, { recursive: true, force: true });
    throw err;
  }
}

/** The model entries under a prefix: for a single detector 'model/' minus any member folder, for member i 'model/m<i>/'. */
function ownModels(c: OpenedContainer, prefix: string) {
  return c.header.entries.filter((e) => e.kind === 'model' && e.name.startsWith(prefix) && (prefix !== 'model/' || !/^model\/m\d+\//.test(e.name)));
}

/** One scoring pipeline: an approach's state with its encoder and feature request. */
interface Member {
  approach: AnyApproach;
  state: unknown;
  request: FeatureRequest;
  encoder: Encoder;
  tmp: string;
}

/** Features of one 16 kHz mono clip, exactly as FeatureService computes them for a stored clip. */
async function memberFeatures(m: Member, wave: Float32Array): Promise<Pick<ClipFeatures, 'patches' | 'embedding'>> {
  const { encoder: enc, request: req } = m;
  if (req.kind === 'embedding') return { embedding: await enc.embed(wave, req.layer ?? enc.defaultEmbeddingLayer) };
  const p = await enc.encodePatches(wave, req.layers.length ? req.layers : enc.defaultLayers);
  return { patches: { ...p, geometry: p.geometry ?? geometryOf(enc) } };
}

/** A detector loaded from its file, ready to score audio; close() releases the encoders. */
export class PortableDetector {
  private closed = false;

  private constructor(
    readonly file: string,
    readonly header: DetectorHeader,
    private readonly members: Member[],
    /** set for an ensemble: combines the members' results */
    private readonly ensemble: EnsembleState | null,
  ) {}

  /** Opens and fully verifies a detector file: layout, every entry's sha256, state, encoders. */
  static async open(file: string, opts: OpenOptions = {}): Promise<PortableDetector> {
    const c = await openContainer(file);
    const h = c.header;
    // encoders take 16 kHz clips; a detector cut at another rate was not made by Hark
    if (h.slicing.sampleRate !== ANALYSIS_RATE) throw new DetectorFileError(file, `field 'slicing.sampleRate' is ${h.slicing.sampleRate}, Hark analyses at ${ANALYSIS_RATE} Hz`);
    const fail = (what: string, err: unknown) => new DetectorFileError(file, `${what}: ${err instanceof Error ? err.message : String(err)}`);
    const blobs: Record<string, Float32Array> = {};
    for (const e of h.entries) if (e.kind === 'state') blobs[e.name.slice('state/'.length)] = await readFloat32Entry(c, e);
    let state: unknown;
    try {
      state = loadDetectorState(h.approach, { json: h.state, blobs });
    } catch (err) {
      throw fail(`approach ${h.approach} state`, err);
    }
    // the pipelines to build: the approach itself, or each member of the ensemble
    const ensemble = h.approach === ENSEMBLE ? (state as EnsembleState) : null;
    const plan: { approach: AnyApproach; state: unknown; config: unknown; slot: EncoderSlot; what: string }[] = [];
    if (ensemble) {
      const encs = h.encoders!;
      if (encs.length !== ensemble.members.length) throw new DetectorFileError(file, `field 'encoders' has ${encs.length} entries for ${ensemble.members.length} ensemble members`);
      ensemble.members.forEach((m, i) => plan.push({ approach: m.impl, state: m.state, config: m.config, slot: { enc: encs[i], modelPrefix: `model/m${i}/` }, what: `member ${i} (${m.approach})` }));
    } else {
      let approach: AnyApproach;
      try {
        approach = getApproach(h.approach);
      } catch (err) {
        throw fail("field 'approach'", err);
      }
      plan.push({ approach, state, config: h.config, slot: { enc: h.encoder!, modelPrefix: 'model/' }, what: `approach ${h.approach}` });
    }
    const claimed = new Set(plan.flatMap((p) => ownModels(c, p.slot.modelPrefix).map((e) => e.name)));
    const orphan = h.entries.find((e) => e.kind === 'model' && !claimed.has(e.name));
    if (orphan) throw new DetectorFileError(file, `entry '${orphan.name}' belongs to no encoder of the detector`);
    const members: Member[] = [];
    try {
      for (const p of plan) {
        let request: FeatureRequest;
        try {
          request = p.approach.featureRequest(p.approach.parseConfig(p.config));
        } catch (err) {
          throw fail(ensemble ? `${p.what} config` : "field 'config'", err);
        }
        const enc = p.slot.enc;
        if (!sameRequest(request, enc.featureRequest) || request.encoder !== enc.id) {
          throw new DetectorFileError(file, `${p.what} asks for features ${describeRequest(request)}, the header says ${describeRequest(enc.featureRequest)} (encoder '${enc.id}')`);
        }
        const { encoder, dir } = await openEncoder(c, p.slot, opts);
        members.push({ approach: p.approach, state: p.state, request, encoder, tmp: dir });
      }
    } catch (err) {
      await closeMembers(members);
      throw err;
    }
    return new PortableDetector(file, h, members, ensemble);
  }

  get threshold(): { value: number; method: string } {
    return { ...this.header.threshold };
  }

  /** Scores 16 kHz mono clips (each at most one slice long) as one batch. */
  async scoreClips(clips: { name: string; wave: Float32Array }[]): Promise<ScoreResult[]> {
    if (this.closed) throw new Error(`detector ${this.file} was closed`);
    const perMember: ScoreResult[][] = [];
    // members asking for the same features of the same encoder (B and C on logmel_stats) share them
    const made = new Map<string, ClipFeatures[]>();
    for (const m of this.members) {
      const key = `${m.encoder.fingerprint}|${describeRequest(m.request)}`;
      let feats = made.get(key);
      if (!feats) {
        feats = [];
        for (let i = 0; i < clips.length; i++) {
          // a scored clip carries no domain, role or label: the approach must not depend on them
          feats.push({ clipId: i, name: clips[i].name, section: this.header.section, domain: null, role: 'test', attributes: {}, ...(await memberFeatures(m, clips[i].wave)) });
        }
        made.set(key, feats);
      }
      perMember.push(await m.approach.score(m.state, feats));
    }
    return this.ensemble ? combineResults(this.ensemble, perMember) : perMember[0];
  }

  /** Decodes a recording, cuts it into clips as import does, and scores each clip; the file's score is their max. */
  async scoreFile(file: string, name: string = file): Promise<FileScore> {
    const s = this.header.slicing;
    const decoded = await decodeFile(file);
    const mono = toMono(decoded);
    const wave = decoded.sampleRate === s.sampleRate ? mono : resample(mono, decoded.sampleRate, s.sampleRate);
    const slices = sliceClips(wave, s.sampleRate, { clipS: s.clipS, hopS: s.hopS, minTailS: s.minTailS, maxSingleClipS: s.maxSingleClipS });
    if (slices.length === 0) throw new Error(`${file}: no audio after standardisation (empty recording)`);
    const shortest = Math.min(...slices.map((sl) => sl.samples.length)) / s.sampleRate;
    // the same floor import applies: shorter audio gives no whole feature frame
    if (shortest < MIN_CLIP_S) throw new Error(`${file}: too short: ${shortest.toFixed(3)} s of audio; a clip needs at least ${MIN_CLIP_S} s`);
    const many = slices.length > 1;
    const named = slices.map((sl) => ({ name: sliceName(name, sl.offsetS, many), wave: sl.samples, offsetS: sl.offsetS }));
    // batches bound the features held at once (an hour of audio is 360 clips); exported approaches score clips independently
    const results: ScoreResult[] = [];
    for (let i = 0; i < named.length; i += SCORE_BATCH) {
      for (const r of await this.scoreClips(named.slice(i, i + SCORE_BATCH))) results.push({ score: r.score, ...(r.parts ? { parts: r.parts } : {}) });
    }
    const t = this.header.threshold.value;
    const out: SliceScore[] = named.map((sl, i) => ({
      name: sl.name,
      offsetS: sl.offsetS,
      durationS: sl.wave.length / s.sampleRate,
      score: results[i].score,
      decision: results[i].score > t ? 1 : 0,
      ...(results[i].parts ? { parts: results[i].parts } : {}),
    }));
    const max = out.reduce((m, x) => (x.score > m ? x.score : m), -Infinity);
    return { file, name, score: max, decision: max > t ? 1 : 0, slices: out };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await closeMembers(this.members);
  }
}

async function closeMembers(members: Member[]): Promise<void> {
  for (const m of members) {
    try {
      await m.encoder.dispose();
    } finally {
      await fs.rm(m.tmp, { recursive: true, force: true });
    }
  }
}

/**
 * Scores each file with the detector; a file that cannot be read or decoded gets an error entry and
 * the others are still scored (a fleet's folder may hold a bad recording).
 */
export async function scoreFiles(
  detectorFile: string,
  files: string[],
  opts: OpenOptions & { onFile?: (r: FileScore | FileScoreError, index: number) => void } = {},
): Promise<{ header: DetectorHeader; results: (FileScore | FileScoreError)[] }> {
  const det = await PortableDetector.open(detectorFile, opts);
  try {
    const results: (FileScore | FileScoreError)[] = [];
    for (let i = 0; i < files.length; i++) {
      let r: FileScore | FileScoreError;
      try {
        r = await det.scoreFile(files[i]);
      } catch (err) {
        r = { file: files[i], name: files[i], error: err instanceof Error ? err.message : String(err) };
      }
      results.push(r);
      opts.onFile?.(r, i);
    }
    return { header: det.header, results };
  } finally {
    await det.close();
  }
}

export const isScoreError = (r: FileScore | FileScoreError): r is FileScoreError => 'error' in r;
