// Portable detector export: a fitted detector from the project store as one .hark-detector file
// (approach state + the encoder's manifest entry and ONNX file + threshold + slicing), so a fleet can
// score with `hark score` and no project store. Format: eval/portable/container.ts.
//
// Why not one ONNX graph (features in -> score): Python is not shipped, so a graph cannot be built at
// export time; logmel_stats (B's and C's default encoder) is TypeScript DSP, not ONNX; and A's
// leave-one-out z-scoring and B's two-bank normalisation would have to be re-expressed per approach.
// The container runs the same encoder and approach code as the workbench, so scores are equal.
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { HarkError } from '../../shared/rpc';
import { getApproach } from '../approaches/registry';
import type { FeatureRequest } from '../approaches/types';
import { SLICE_DEFAULTS } from '../audio/standardise';
import { loadEncoder, loadModelRegistry } from '../encoders';
import { sha256File } from '../data/import/importer';
import { appVersion } from '../paths';
import type { RunRow } from '../store/results-repo';
import type { Store } from '../store/store';
import { ANALYSIS_RATE } from '../../shared/domain';
import { allowRestrictedModels } from './evaluate';
import { f32Bytes, writeContainer, type ContainerPart, type DetectorHeader, type EncoderHeader, type HeaderDraft } from './portable/container';
import { ENSEMBLE, loadDetectorState, type EnsembleState } from './ensemble';
import { PortableDetector } from './portable/scorer';

export { DETECTOR_EXT, DETECTOR_FORMAT, DetectorFileError, openContainer } from './portable/container';
export type { DetectorHeader } from './portable/container';
export { isScoreError, PortableDetector, scoreFiles, sliceName } from './portable/scorer';
export type { FileScore, FileScoreError, SliceScore } from './portable/scorer';

export interface ExportSelection {
  detectorId?: number;
  /** the run whose detector and decision threshold are exported */
  runId?: number;
}

export interface ExportOptions {
  modelsDir?: string;
  userManifests?: string[];
  /** re-open the written file and score one of the run's test clips with it (default true) */
  verify?: boolean;
}

export interface ExportSummary {
  out: string;
  bytes: number;
  detectorId: number;
  runId: number;
  approach: DetectorHeader['approach'];
  /** the ensemble's members, in order (ensembles only) */
  members?: string[];
  machineType: string;
  section: string;
  /** the encoder of each pipeline: one for an approach, one per member for an ensemble */
  encoders: { id: string; version: string; fingerprint: string; embeddedBytes: number; licenceRestricted: boolean; licence: string }[];
  threshold: { value: number; method: string };
  /** the run's stored score of one test clip against the score from the written file */
  verified: { clip: string; stored: number; portable: number } | null;
  notes: string[];
}

/** Scores from the file must equal the stored ones to float32 rounding of the features' sums. */
export const VERIFY_TOLERANCE = 1e-6;

const ThresholdSchema = z.object({ value: z.number().refine(Number.isFinite, 'must be finite'), method: z.string() });

/** Settings under which a detector's scores depend on more than the clip scored, so it cannot score files one by one. */
function portabilityProblem(approach: string, config: Record<string, unknown>): string | null {
  if (approach === 'B' && config.normalisation === 'transductive-test') {
    return "approach B with normalisation 'transductive-test' takes its statistics from the whole test batch, so a clip's score depends on the others scored with it; refit with normalisation 'loo-train' to export";
  }
  return null;
}

/** Every config a detector's scores read: the approach's, the copy in its state, and each ensemble member's. */
function configsToCheck(approach: string, config: unknown, stateJson: Record<string, unknown>): { approach: string; config: Record<string, unknown> }[] {
  const obj = (v: unknown) => (v && typeof v === 'object' ? (v as Record<string, unknown>) : null);
  if (approach !== ENSEMBLE) return [obj(config), obj(stateJson.config)].filter((c) => c !== null).map((c) => ({ approach, config: c! }));
  const members = Array.isArray(stateJson.members) ? (stateJson.members as { approach?: unknown; config?: unknown; state?: unknown }[]) : [];
  return members.flatMap((m) => [obj(m.config), obj(obj(m.state)?.config)].filter((c) => c !== null).map((c) => ({ approach: String(m.approach), config: c! })));
}

function pickRun(store: Store, sel: ExportSelection): { run: RunRow; detectorId: number } {
  const where = store.dir;
  if (sel.runId !== undefined) {
    const run = store.results.run(sel.runId);
    if (!run) throw new HarkError('not_found', `run ${sel.runId} not found in the project at ${where}`);
    if (run.detectorId === null) throw new HarkError('bad_input', `run ${sel.runId} (${run.kind}) has no detector to export`);
    if (sel.detectorId !== undefined && sel.detectorId !== run.detectorId) {
      throw new HarkError('bad_input', `run ${sel.runId} used detector ${run.detectorId}, not detector ${sel.detectorId}`);
    }
    if (run.state !== 'done') throw new HarkError('bad_input', `run ${sel.runId} is ${run.state}, not done: it has no decision threshold`);
    return { run, detectorId: run.detectorId };
  }
  if (sel.detectorId === undefined) throw new HarkError('bad_input', 'name a detector or a run to export');
  if (!store.results.detector(sel.detectorId)) throw new HarkError('not_found', `detector ${sel.detectorId} not found in the project at ${where}`);
  // the decision threshold lives with the run that fitted the detector; the newest finished one wins
  const run = store.results.runs().find((r) => r.detectorId === sel.detectorId && r.state === 'done');
  if (!run) throw new HarkError('bad_input', `detector ${sel.detectorId} has no finished run to take its decision threshold from`);
  return { run, detectorId: sel.detectorId };
}

/** Writes detector (or run) `sel` of the project as one self-contained .hark-detector file. */
export async function exportDetector(store: Store, sel: ExportSelection, out: string, opts: ExportOptions = {}): Promise<ExportSummary> {
  const { run, detectorId } = pickRun(store, sel);
  const det = store.results.detector(detectorId);
  if (!det) throw new HarkError('not_found', `detector ${detectorId} of run ${run.id} not found in the project at ${store.dir}`);
  const th = ThresholdSchema.safeParse((run.report as { threshold?: unknown } | null)?.threshold);
  if (!th.success) throw new HarkError('bad_input', `run ${run.id}'s report has no usable field 'threshold' (${th.error.issues[0].message})`);

  // settings that tie a score to the batch are refused first: the approach's own config and the one inside its state
  for (const c of configsToCheck(det.approach, det.config, det.stateJson)) {
    const problem = portabilityProblem(c.approach, c.config);
    if (problem) throw new HarkError('bad_input', `detector ${detectorId}${det.approach === ENSEMBLE ? ` (member ${c.approach})` : ''}: ${problem}`);
  }
  // the stored state must load with this Hark before it is handed to a fleet
  const loaded = loadDetectorState(det.approach, { json: det.stateJson, blobs: det.blobs });
  const ensemble = det.approach === ENSEMBLE ? (loaded as EnsembleState) : null;
  // the pipelines: the approach itself, or each member of the ensemble
  const pipelines = ensemble
    ? ensemble.members.map((m, i) => ({ approach: m.impl, config: m.impl.parseConfig(m.config) as Record<string, unknown>, modelPrefix: `model/m${i}/` }))
    : [{ approach: getApproach(det.approach), config: getApproach(det.approach).parseConfig(det.config) as Record<string, unknown>, modelPrefix: 'model/' }];

  const registry = await loadModelRegistry({ modelsDir: opts.modelsDir, userManifests: opts.userManifests });
  const notes: string[] = [];
  const parts: ContainerPart[] = Object.keys(det.blobs)
    .sort()
    .map((name) => ({ name: `state/${name}`, kind: 'state' as const, data: f32Bytes(det.blobs[name]) }));
  const encoders: EncoderHeader[] = [];
  const summaries: ExportSummary['encoders'] = [];
  for (const p of pipelines) {
    const request: FeatureRequest = p.approach.featureRequest(p.config);
    const resolved = registry.resolve(request.encoder);
    if (!resolved.installed) throw new HarkError('bad_input', `encoder '${request.encoder}' is not installed (${resolved.entry.install?.command ?? 'see models/README.md'})`);
    // a project that switched off licence-restricted models must not hand one out either
    const enc = await loadEncoder(request.encoder, { registry, allowLicenceRestricted: allowRestrictedModels(store) });
    const fingerprint = enc.fingerprint;
    await enc.dispose();
    // the project's features name the encoder they came from: a model replaced since the fit would pair the bank with other features
    const cached = store.embeddings.stats().filter((x) => x.encoderId === request.encoder).map((x) => x.encoderVersion);
    if (cached.length && !cached.includes(fingerprint)) {
      throw new HarkError('conflict', `detector ${detectorId} was fitted on features of encoder ${[...new Set(cached)].join(', ')}; the installed model is ${fingerprint}, so the exported encoder would not match the detector`);
    }
    const e = resolved.entry;
    if (e.licence.licence_restricted && !summaries.some((x) => x.id === e.id)) notes.push(`encoder '${e.id}' has a restricted licence (${e.licence.name}); the detector file embeds it, mind its terms when distributing`);
    const files = resolved.files.map((f) => ({ ...f, name: path.basename(f.path) }));
    if (new Set(files.map((f) => f.name)).size !== files.length) throw new HarkError('bad_input', `encoder '${e.id}' has two model files of the same name; cannot embed them`);
    for (const f of files) parts.push({ name: `${p.modelPrefix}${f.name}`, kind: 'model', file: f.path });
    const entry = { ...e, files: e.files.map((f, i) => ({ ...f, path: files[i].name })) };
    encoders.push({ id: e.id, version: e.version, fingerprint, runtime: e.runtime, entry, featureRequest: request, licenceRestricted: e.licence.licence_restricted });
    summaries.push({ id: e.id, version: e.version, fingerprint, embeddedBytes: files.reduce((acc, f) => acc + f.bytes, 0), licenceRestricted: e.licence.licence_restricted, licence: e.licence.name });
  }

  const draft: HeaderDraft = {
    format: 'hark-detector/1',
    createdAt: new Date().toISOString(),
    hark: appVersion(),
    source: { project: store.dir, projectName: store.info().name, detectorId, runId: run.id, fittedAt: det.createdAt },
    approach: det.approach as DetectorHeader['approach'],
    machineType: det.machineType,
    section: det.section,
    config: ensemble ? det.config : pipelines[0].config,
    state: det.stateJson,
    threshold: th.data,
    ...(ensemble ? { encoders } : { encoder: encoders[0] }),
    slicing: { sampleRate: ANALYSIS_RATE, clipS: SLICE_DEFAULTS.clipS, hopS: SLICE_DEFAULTS.clipS, minTailS: SLICE_DEFAULTS.minTailS, maxSingleClipS: SLICE_DEFAULTS.maxSingleClipS },
  };
  const target = path.resolve(out);
  await writeContainer(target, draft, parts);

  let verified: ExportSummary['verified'] = null;
  if (opts.verify !== false) {
    try {
      verified = await verifyExport(store, run.id, target);
      if (!verified) notes.push(`not verified: none of run ${run.id}'s test clips is readable unchanged at its path`);
    } catch (err) {
      fs.rmSync(target, { force: true });
      throw err;
    }
  }
  return {
    out: target,
    bytes: fs.statSync(target).size,
    detectorId,
    runId: run.id,
    approach: det.approach as DetectorHeader['approach'],
    ...(ensemble ? { members: ensemble.members.map((m) => m.approach) } : {}),
    machineType: det.machineType,
    section: det.section,
    encoders: summaries,
    threshold: th.data,
    verified,
    notes,
  };
}

/**
 * Opens the written file as a fleet would and scores one of the run's test clips from its audio file;
 * throws when the score differs from the stored one. Null when no clip's audio is at hand unchanged.
 */
async function verifyExport(store: Store, runId: number, file: string): Promise<ExportSummary['verified']> {
  const stored = store.results.scores(runId);
  for (const s of stored.slice(0, 20)) {
    const clip = store.clips.get(s.clipId);
    if (!clip || !fs.existsSync(clip.path)) continue;
    if ((await sha256File(clip.path)) !== clip.sha256) continue;
    const det = await PortableDetector.open(file, {});
    try {
      const r = await det.scoreFile(clip.path, clip.name);
      const at = Math.round(clip.offsetS * ANALYSIS_RATE);
      const slice = r.slices.find((x) => Math.round(x.offsetS * ANALYSIS_RATE) === at);
      if (!slice) throw new Error(`export check: ${clip.path} gives no clip at ${clip.offsetS} s, the project has one there (was it imported with other slicing?)`);
      if (!(Math.abs(slice.score - s.score) <= VERIFY_TOLERANCE * Math.max(1, Math.abs(s.score)))) {
        throw new Error(`export check failed: clip '${clip.name}' scores ${slice.score} from the detector file, ${s.score} in run ${runId}; the installed encoder or approach code differs from the one that fitted the detector`);
      }
      return { clip: clip.name, stored: s.score, portable: slice.score };
    } finally {
      await det.close();
    }
  }
  return null;
}
