// Evaluation: per machine type and section, fit the chosen approach on the training normals,
// score the test clips, store detector, run, scores and maps, and compute the DCASE metrics
// where ground truth is known. No approach ever sees a test clip's domain or label.
import type { ClipRecord, Domain } from '../../shared/domain';
import { checkSection, type RoutingAdvice } from '../../shared/form';
import type { ClipFeatures, FeatureRequest, FitSet, ScoreResult } from '../approaches/types';
import { augmentedAttributes, estimateSiteSnr, planNoiseAugmentation } from '../approaches/b/noise';
import { getApproach, type AnyApproach } from '../approaches/registry';
import type { FeatureService } from '../encoders/features';
import { formClips } from '../store/clips-repo';
import type { Store } from '../store/store';
import { throwIfCancelled } from '../jobs/manager';
import { sectionMetrics, type SectionMetrics } from './section-metrics';
import { gammaThreshold, noiseCalibratedThreshold, noiseFloor, quantileThreshold } from './threshold';
import { chooseAmong } from './validate';
import { combineResults, ENSEMBLE, ensembleName, ensembleState, serialiseEnsemble, type DetectorKind, type MemberId } from './ensemble';
import type { SerialisedState } from '../approaches/types';

/** 'ensemble': the rank-averaged ensemble of the section's Form-eligible approaches (needs verification clips) */
export type ApproachChoice = 'A' | 'B' | 'C' | 'auto' | typeof ENSEMBLE;
export type Protocol = 'standard' | 'fewshot-from-test';

export interface EvalOptions {
  approach: ApproachChoice;
  protocol?: Protocol;
  /** encoder override for the chosen approach(es) */
  encoder?: string;
  /** per-approach config overrides */
  configs?: Partial<Record<'A' | 'B' | 'C', Record<string, unknown>>>;
  machineTypes?: string[];
  signal?: AbortSignal;
  progress?: (p: { stage?: string; done: number; total: number }) => void;
  /** called with each point of a training curve (C's loss) */
  series?: (name: string, value: number) => void;
  /** approach 'ensemble': its members (default: the section's Form-eligible approaches) */
  ensembleMembers?: MemberId[];
  /** fewshot-from-test: support clips per domain (default 3) */
  fewshotSupport?: number;
}

export interface ScoredClip {
  clipId: number;
  name: string;
  score: number;
  domain: Domain | null;
  label: 'normal' | 'anomaly' | null;
  decision: 0 | 1;
}

export interface SectionResult {
  machineType: string;
  section: string;
  approach: DetectorKind;
  /** the ensemble's members, in order */
  members?: MemberId[];
  why: string[];
  detectorId: number;
  runId: number;
  config: Record<string, unknown>;
  threshold: { value: number; method: string };
  /** the alternative calibrated with site noise-only clips: noise alone never crosses it (reported, not used for decisions) */
  noiseThreshold: { value: number; method: string; binding: 'normal' | 'noise' } | null;
  counts: { trainNormals: number; support: number; test: number };
  metrics: SectionMetrics | null;
  scores: ScoredClip[];
  timings: { featuresMs: number; fitMs: number; scoreMs: number };
}

const NORMAL_ROLES = new Set(['target_normal', 'source_normal', 'clean_machine']);

function meta(c: ClipRecord, hideTruth: boolean): ClipFeatures {
  return {
    clipId: c.id,
    name: c.name,
    section: c.section,
    // test clips travel without domain or label: approaches must not depend on them
    domain: hideTruth ? null : c.domain,
    role: hideTruth ? 'test' : c.role,
    attributes: c.attributes,
  };
}

/**
 * B's noise augmentation (GenRep with site noise): each training normal mixed with site noise-only
 * audio at the site's SNR, encoded, and added to the banks as a copy of its origin (B leaves the
 * copies out of their origin's leave-one-out statistics). Off unless the config asks for it.
 */
async function addNoiseAugmented(set: FitSet, config: unknown, req: FeatureRequest, normals: ClipRecord[], noise: ClipRecord[], features: FeatureService, opts: EvalOptions): Promise<void> {
  const c = config as { noiseAugment?: boolean; noiseSnrDb?: number | null; noiseCopies?: number; seed?: number };
  if (!c.noiseAugment) return;
  if (noise.length === 0) throw new Error(`${set.machineType} section ${set.section}: noiseAugment needs site noise-only clips (role noise_only)`);
  const noiseWaves = await Promise.all(noise.map((n) => features.waveform(n)));
  const normalWaves: { clipId: number; samples: Float32Array }[] = [];
  for (const n of normals) normalWaves.push({ clipId: n.id, samples: await features.waveform(n) });
  const snrDb = c.noiseSnrDb ?? estimateSiteSnr(normalWaves.map((w) => w.samples), noiseWaves).snrDb;
  const items = planNoiseAugmentation(normalWaves, noiseWaves, { snrDb, copies: c.noiseCopies ?? 1, seed: c.seed ?? 0 });
  const byId = new Map(set.normals.map((f) => [f.clipId, f]));
  let k = 0;
  for (const it of items) {
    throwIfCancelled(opts.signal);
    const origin = byId.get(it.originClipId)!;
    const f = await features.encodeWave(it.samples, req);
    // negative ids: augmented copies are not stored clips
    set.normals.push({ ...origin, ...f, clipId: -1 - k++, name: `${origin.name}+noise${it.copy}`, attributes: augmentedAttributes(origin.attributes, origin.clipId) });
    opts.progress?.({ stage: 'noise augmentation', done: k, total: items.length });
  }
}

/** Project setting: may licence-restricted models (e.g. non-commercial weights) be used? Default yes. */
export function allowRestrictedModels(store: Store): boolean {
  return store.project.getJson<boolean>('allow_restricted_models', true);
}

/** Splits a section's clips into training normals, noise and test clips under a protocol. */
export function splitSection(clips: ClipRecord[], protocol: Protocol, support = 3): { normals: ClipRecord[]; noise: ClipRecord[]; test: ClipRecord[] } {
  const noise = clips.filter((c) => c.role === 'noise_only');
  if (protocol === 'standard') {
    return { normals: clips.filter((c) => NORMAL_ROLES.has(c.role)), noise, test: clips.filter((c) => c.role === 'test' || c.role === 'verification') };
  }
  // few-shot from test: per domain the first `support` normal test clips by name become the support
  const testClips = clips.filter((c) => c.role === 'test' || c.role === 'verification').sort((a, b) => a.name.localeCompare(b.name));
  const taken = new Set<number>();
  const normals: ClipRecord[] = clips.filter((c) => NORMAL_ROLES.has(c.role));
  for (const d of ['source', 'target'] as const) {
    const pick = testClips.filter((c) => c.domain === d && c.label === 'normal').slice(0, support);
    for (const c of pick) {
      taken.add(c.id);
      normals.push({ ...c, role: d === 'target' ? 'target_normal' : 'source_normal', split: 'train' });
    }
  }
  return { normals, noise, test: testClips.filter((c) => !taken.has(c.id)) };
}

/**
 * The clips validation chooses on and the ensemble ranks against: clips handed over as verification,
 * and test clips an engineer gave a verdict in Hark. A package's own labels on test clips never count
 * (they are the ground truth the evaluation reports against); support clips the protocol took are left out.
 */
export function validationClips<C extends ClipRecord & { verdict?: string | null }>(all: C[], normals: ClipRecord[]): C[] {
  const support = new Set(normals.map((c) => c.id));
  return all.filter((c) => !support.has(c.id) && (c.role === 'verification' || (c.role === 'test' && (c.verdict === 'normal' || c.verdict === 'anomaly'))));
}

/**
 * The Form's routing advice for one section (FORM.md rules 1-3), on the clips as the protocol splits
 * them: under fewshot-from-test the support clips taken from the test split count as the training
 * normals they have become.
 */
function sectionRouting(machineType: string, section: string, store: Store, normals: ClipRecord[] = []): RoutingAdvice {
  const asSplit = new Map(normals.map((c) => [c.id, c.role]));
  const clips = formClips(store.db)
    .filter((r) => r.machineType === machineType && r.section === section)
    .map((r) => (asSplit.has(r.clipId) ? { ...r.clip, role: asSplit.get(r.clipId)! } : r.clip));
  return checkSection(machineType, section, clips).routing;
}

/** Routing for `auto` from the Form rules (FORM.md); never from test labels. */
export function chooseByRules(machineType: string, section: string, store: Store, normals: ClipRecord[], routing = sectionRouting(machineType, section, store, normals)): { approach: 'A' | 'B' | 'C'; why: string[] } {
  const target = normals.filter((c) => c.role === 'target_normal').length;
  const source = normals.filter((c) => c.role === 'source_normal').length;
  let primary = routing.primary;
  const why = [...routing.reasons];
  if (!primary) {
    primary = source >= 1 ? 'B' : 'A';
    why.push(`rules gave no approach; ${primary} chosen from what is there (${target} target, ${source} source normals)`);
  }
  return { approach: primary, why };
}

async function fitAndScore(
  store: Store,
  features: FeatureService,
  approach: AnyApproach,
  machineType: string,
  section: string,
  normals: ClipRecord[],
  noise: ClipRecord[],
  test: ClipRecord[],
  opts: EvalOptions,
): Promise<{ state: unknown; config: unknown; results: ScoreResult[]; trainScores: number[] | null; noiseScores: number[]; thresholdSource: string; timings: SectionResult['timings']; supportCount: number }> {
  const overrides: Record<string, unknown> = { ...(opts.configs?.[approach.id] ?? {}) };
  if (opts.encoder) overrides.encoder = opts.encoder;
  if (approach.id === 'A' && overrides.encoder === undefined && !allowRestrictedModels(store)) {
    // the project switched off licence-restricted models: A's measured fallback (see a/config.ts)
    overrides.encoder = 'fbank_patch';
    overrides.layers ??= [0];
  }
  const config = approach.parseConfig(overrides);
  const req = approach.featureRequest(config);
  const bareSet: FitSet = { machineType, section, normals: normals.map((c) => meta(c, false)), noise: noise.map((c) => meta(c, false)) };
  const wanted = approach.trainingSubset ? new Set(approach.trainingSubset(bareSet, config)) : null;
  const useNormals = wanted ? normals.filter((c) => wanted.has(c.id)) : normals;
  const useNoise = wanted ? noise.filter((c) => wanted.has(c.id)) : noise;
  const heldOut = wanted ? normals.filter((c) => !wanted.has(c.id)).slice(0, 200) : [];

  const t0 = performance.now();
  const trainF = await features.forClips([...useNormals, ...useNoise], req, opts.progress, opts.signal);
  const withF = (c: ClipRecord, i: number, arr: { patches?: ClipFeatures['patches']; embedding?: Float32Array }[], hide: boolean): ClipFeatures => ({ ...meta(c, hide), ...arr[i] });
  const set: FitSet = {
    machineType,
    section,
    normals: useNormals.map((c, i) => withF(c, i, trainF, false)),
    noise: useNoise.map((c, i) => withF(c, useNormals.length + i, trainF, false)),
  };
  await addNoiseAugmented(set, config, req, useNormals, useNoise, features, opts);
  const testF = await features.forClips(test, req, opts.progress, opts.signal);
  const featuresMs = performance.now() - t0;
  throwIfCancelled(opts.signal);

  const t1 = performance.now();
  // training that runs in steps checkpoints into the store; a killed or cancelled fit resumes from there
  const ckKey = `fit:${approach.id}:${machineType}:${section}:${JSON.stringify(config)}`;
  let resumeFrom = store.results.checkpoint(ckKey) ?? undefined;
  const fitOnce = (from: typeof resumeFrom) =>
    approach.fit(
      set,
      config,
      (p) => {
        opts.progress?.(p);
        if (p.info && typeof p.info.loss === 'number') opts.series?.('loss', p.info.loss);
      },
      opts.signal,
      { resumeFrom: from, onCheckpoint: (c) => store.results.saveCheckpoint(ckKey, c) },
    );
  let state: unknown;
  try {
    state = await fitOnce(resumeFrom);
  } catch (e) {
    // a checkpoint the approach refuses (other clips or settings since) is dropped, and the fit starts over
    if (!resumeFrom || opts.signal?.aborted) throw e;
    store.results.clearCheckpoint(ckKey);
    resumeFrom = undefined;
    state = await fitOnce(undefined);
  }
  store.results.clearCheckpoint(ckKey);
  const fitMs = performance.now() - t1;

  const t2 = performance.now();
  const results = await approach.score(state, test.map((c, i) => withF(c, i, testF, true)), opts.progress);
  const scoreMs = performance.now() - t2;

  // decision threshold: honest training scores from the approach, else held-out normals
  let trainScores = approach.trainingScores?.(state) ?? null;
  let thresholdSource = 'leave-one-out training normals';
  if ((!trainScores || trainScores.length < 3) && heldOut.length >= 3) {
    const hf = await features.forClips(heldOut, req, opts.progress, opts.signal);
    trainScores = (await approach.score(state, heldOut.map((c, i) => withF(c, i, hf, true)))).map((r) => r.score);
    thresholdSource = `${heldOut.length} held-out training normals`;
  }
  // site noise-only clips scored as if they were test clips: the noise-calibrated threshold's evidence
  let noiseScores: number[] = [];
  if (noise.length > 0) {
    try {
      const nf = await features.forClips(noise, req, opts.progress, opts.signal);
      noiseScores = (await approach.score(state, noise.map((c, i) => withF(c, i, nf, true)))).map((r) => r.score);
    } catch (e) {
      // the noise threshold is an extra report; a failure here must not fail the evaluation
      if (opts.signal?.aborted) throw e;
      noiseScores = [];
    }
  }
  return { state, config, results, trainScores, noiseScores, thresholdSource, timings: { featuresMs, fitMs, scoreMs }, supportCount: useNormals.length };
}

/** The decision threshold from honest training scores (gamma fit, DCASE baseline), else the median of the test scores. */
function decisionThreshold(trainScores: number[] | null, source: string, testScores: number[]): SectionResult['threshold'] {
  if (trainScores && trainScores.length >= 3) {
    try {
      return { value: gammaThreshold(trainScores, 0.9), method: `gamma fit, 0.9 quantile of ${source}` };
    } catch {
      return { value: quantileThreshold(trainScores, 0.9), method: `empirical 0.9 quantile of ${source}` };
    }
  }
  const s = [...testScores].sort((x, y) => x - y);
  return { value: s[Math.floor(0.5 * (s.length - 1))], method: 'median of test scores (no honest training scores available)' };
}

/** What a section's fit produced, one approach or an ensemble, ready to store. */
interface Fitted {
  kind: DetectorKind;
  members?: MemberId[];
  config: Record<string, unknown>;
  ser: SerialisedState;
  results: ScoreResult[];
  threshold: SectionResult['threshold'];
  noiseThreshold: SectionResult['noiseThreshold'];
  support: number;
  timings: SectionResult['timings'];
}

type FitOutcome = Awaited<ReturnType<typeof fitAndScore>>;

/** One approach's fit as the section's detector. */
function singleFrom(id: MemberId, fs: FitOutcome): Fitted {
  const threshold = decisionThreshold(fs.trainScores, fs.thresholdSource, fs.results.map((r) => r.score));
  let noiseThreshold: SectionResult['noiseThreshold'] = null;
  if (fs.noiseScores.length >= 3 && fs.trainScores && fs.trainScores.length >= 3) {
    try {
      const n = noiseCalibratedThreshold(fs.noiseScores, fs.trainScores);
      noiseThreshold = { value: n.threshold, binding: n.binding, method: `max(gamma 0.9 of normals, 0.99 quantile of ${fs.noiseScores.length} noise-only clips + 2 %)` };
    } catch {
      noiseThreshold = null;
    }
  }
  return { kind: id, config: fs.config as Record<string, unknown>, ser: getApproach(id).serialise(fs.state), results: fs.results, threshold, noiseThreshold, support: fs.supportCount, timings: fs.timings };
}

/** Fits each approach as on its own; its progress stages are prefixed with its place among them. */
async function fitEach(store: Store, features: FeatureService, ids: MemberId[], machineType: string, section: string, normals: ClipRecord[], noise: ClipRecord[], test: ClipRecord[], opts: EvalOptions, onError?: (id: MemberId, e: Error) => void): Promise<Map<MemberId, FitOutcome>> {
  const out = new Map<MemberId, FitOutcome>();
  for (const [k, id] of ids.entries()) {
    const progress = opts.progress && ids.length > 1 ? (p: { stage?: string; done: number; total: number }) => opts.progress!({ ...p, stage: `${id} (${k + 1}/${ids.length}): ${p.stage ?? ''}` }) : opts.progress;
    try {
      out.set(id, await fitAndScore(store, features, getApproach(id), machineType, section, normals, noise, test, { ...opts, progress }));
    } catch (e) {
      // a candidate that cannot serve the section is reported by validation; anything else, or a cancel, stops here
      if (!onError || opts.signal?.aborted) throw e;
      onError(id, e as Error);
    }
  }
  return out;
}

/**
 * The rank-averaged ensemble (see ensemble.ts): every member fitted and scored as on its own, its
 * ranks taken against its scores on the section's verification clips, the ranks averaged. The
 * decision threshold is the mean of the members' thresholds mapped through their ranks: a clip at
 * every member's own threshold sits exactly on the ensemble's.
 */
/** Where the ensemble's reference clips (validationClips) stand in `test`; at least two, else an error saying what to add. */
function referenceIndices(machineType: string, section: string, normals: ClipRecord[], test: ClipRecord[]): number[] {
  const ref = new Set(validationClips(test, normals).map((c) => c.id));
  const refIdx = test.map((c, i) => (ref.has(c.id) ? i : -1)).filter((i) => i >= 0);
  if (refIdx.length < 2) {
    throw new Error(
      `${machineType} section ${section}: the ensemble ranks each member's scores against its scores on the section's verification clips, and ${refIdx.length === 0 ? 'there are none' : 'there is only one'} (clips of role verification, and test clips an engineer gave a verdict); import verification clips, label some in the Clips grid, or choose one approach`,
    );
  }
  return refIdx;
}

function ensembleFrom(fits: { id: MemberId; fs: FitOutcome }[], machineType: string, section: string, normals: ClipRecord[], noise: ClipRecord[], test: ClipRecord[]): Fitted {
  const refIdx = referenceIndices(machineType, section, normals, test);
  const ids = fits.map((f) => f.id);
  const state = ensembleState(fits.map((f) => ({ approach: f.id, config: f.fs.config, state: f.fs.state, reference: refIdx.map((i) => f.fs.results[i].score) })));
  const results = combineResults(
    state,
    fits.map((f) => f.fs.results),
  );
  const memberThresholds = fits.map((f) => decisionThreshold(f.fs.trainScores, f.fs.thresholdSource, f.fs.results.map((r) => r.score)));
  const threshold = {
    value: state.members.reduce((acc, m, k) => acc + m.map.rank(memberThresholds[k].value), 0) / state.members.length,
    method: `mean rank of the members' thresholds (${fits.map((f, k) => `${f.id}: ${memberThresholds[k].method}`).join('; ')})`,
  };
  let noiseThreshold: SectionResult['noiseThreshold'] = null;
  if (noise.length >= 3 && fits.every((f) => f.fs.noiseScores.length === noise.length)) {
    const noiseScores = combineResults(
      state,
      fits.map((f) => f.fs.noiseScores.map((score) => ({ score }))),
    ).map((r) => r.score);
    const n = noiseFloor(noiseScores, threshold.value);
    noiseThreshold = { value: n.threshold, binding: n.binding, method: `max(the ensemble's threshold, 0.99 quantile of ${noiseScores.length} noise-only clips + 2 %)` };
  }
  const sum = (k: keyof SectionResult['timings']) => fits.reduce((acc, f) => acc + f.fs.timings[k], 0);
  return {
    kind: ENSEMBLE,
    members: ids,
    config: { members: ids, combine: 'rank-average', reference: `${refIdx.length} verification clips`, configs: Object.fromEntries(fits.map((f) => [f.id, f.fs.config])) },
    ser: serialiseEnsemble(state),
    results,
    threshold,
    noiseThreshold,
    support: Math.max(...fits.map((f) => f.fs.supportCount)),
    timings: { featuresMs: sum('featuresMs'), fitMs: sum('fitMs'), scoreMs: sum('scoreMs') },
  };
}

export async function evaluateSection(store: Store, features: FeatureService, machineType: string, section: string, opts: EvalOptions): Promise<SectionResult> {
  const all = store.clips.forSection(machineType, section);
  const { normals, noise, test } = splitSection(all, opts.protocol ?? 'standard', opts.fewshotSupport ?? 3);
  if (normals.length === 0) throw new Error(`${machineType} section ${section}: no normal training clips (target_normal or source_normal); import some or use --protocol fewshot-from-test`);
  if (test.length === 0) throw new Error(`${machineType} section ${section}: no test clips to score`);
  const routing = opts.approach === 'auto' || opts.approach === ENSEMBLE ? sectionRouting(machineType, section, store, normals) : null;
  let chosen: { approach: DetectorKind; members?: MemberId[]; why: string[] };
  let fit: Fitted;
  if (opts.approach === ENSEMBLE) {
    const given = opts.ensembleMembers?.length ? [...new Set(opts.ensembleMembers)] : null;
    const members = given ?? routing!.approaches;
    if (members.length < 2) {
      throw new Error(
        given
          ? `${machineType} section ${section}: an ensemble needs two or more members, got ${members.join('') || 'none'}`
          : `${machineType} section ${section}: the Form makes ${members.length ? `only ${members[0]}` : 'no approach'} eligible here (${routing!.reasons.join('; ')}); an ensemble needs two or more`,
      );
    }
    referenceIndices(machineType, section, normals, test); // before any fit: says what is missing
    const name = ensembleName(members.map((approach) => ({ approach })));
    chosen = { approach: ENSEMBLE, members, why: [given ? `ensemble ${name} chosen by the user` : `ensemble of the Form-eligible approaches ${name} chosen by the user`] };
    const fits = await fitEach(store, features, members, machineType, section, normals, noise, test, opts);
    fit = ensembleFrom(members.map((id) => ({ id, fs: fits.get(id)! })), machineType, section, normals, noise, test);
  } else if (routing) {
    chosen = chooseByRules(machineType, section, store, normals, routing);
    // rule 4: labeled verification clips (never a package's test labels) decide among the eligible
    // approaches and their ensemble; each candidate is fitted once, and the chosen fits are kept
    const verification = validationClips(test, normals);
    const at = new Map(test.map((c, i) => [c.id, i]));
    const verIdx = verification.map((c) => at.get(c.id)!);
    let v: ReturnType<typeof chooseAmong> = null;
    let fits = new Map<MemberId, FitOutcome>();
    if (verification.length && routing.approaches.length >= 2) {
      const errors = new Map<MemberId, string>();
      fits = await fitEach(store, features, routing.approaches, machineType, section, normals, noise, test, opts, (id, e) => errors.set(id, e.message.split('\n')[0]));
      v = chooseAmong(
        verification,
        routing.approaches.map((id) => {
          const f = fits.get(id);
          return { id, scores: f ? verIdx.map((i) => f.results[i].score) : null, error: errors.get(id) };
        }),
      );
    }
    if (v) chosen = { approach: v.approach, members: v.members, why: [...chosen.why, ...v.why] };
    else if (routing.validateWithLabels && verification.length === 0) {
      chosen.why.push("those labels are the package's own on test clips, which never choose an approach, so the rules decide: label clips in the Clips grid or hand over verification clips to choose by validation");
    }
    if (chosen.approach === ENSEMBLE) {
      fit = ensembleFrom(chosen.members!.map((id) => ({ id, fs: fits.get(id)! })), machineType, section, normals, noise, test);
    } else {
      const id = chosen.approach;
      fit = singleFrom(id, fits.get(id) ?? (await fitEach(store, features, [id], machineType, section, normals, noise, test, opts)).get(id)!);
    }
  } else {
    const id = opts.approach as MemberId;
    chosen = { approach: id, why: [`${id} chosen by the user`] };
    fit = singleFrom(id, (await fitEach(store, features, [id], machineType, section, normals, noise, test, opts)).get(id)!);
  }

  const { threshold, noiseThreshold } = fit;
  const scores: ScoredClip[] = test.map((c, i) => ({
    clipId: c.id,
    name: c.name,
    score: fit.results[i].score,
    domain: c.domain,
    label: c.label,
    decision: fit.results[i].score > threshold.value ? 1 : 0,
  }));
  const metrics = sectionMetrics(scores);
  // detector, run, scores, maps and the finished state land in one transaction: a process killed
  // at any moment leaves either the whole evaluation or none of it (never a run stuck 'running')
  return store.tx(() => {
    const detectorId = store.results.saveDetector({ approach: fit.kind, machineType, section, config: fit.config, stateJson: fit.ser.json, blobs: fit.ser.blobs });
    const runId = store.results.startRun('eval', fit.kind, detectorId, { machineType, section, protocol: opts.protocol ?? 'standard', encoder: opts.encoder ?? null });
    store.results.saveScores(
      runId,
      test.map((c, i) => ({ clipId: c.id, score: fit.results[i].score, parts: fit.results[i].parts })),
    );
    test.forEach((c, i) => {
      const m = fit.results[i].map;
      if (m) store.results.saveMap(runId, c.id, m.geometry, m.values, m.perLayer);
    });
    const result: SectionResult = {
      machineType,
      section,
      approach: fit.kind,
      ...(fit.members ? { members: fit.members } : {}),
      why: chosen.why,
      detectorId,
      runId,
      config: fit.config,
      threshold,
      noiseThreshold,
      counts: { trainNormals: normals.length, support: fit.support, test: test.length },
      metrics,
      scores,
      timings: fit.timings,
    };
    store.results.finishRun(runId, 'done', { ...result, scores: undefined });
    return result;
  });
}

export interface SkippedSection {
  machineType: string;
  section: string;
  reason: string;
}

/** Evaluates every section; a section the approach cannot serve (e.g. C without metadata) is skipped with its reason. */
export async function evaluate(store: Store, features: FeatureService, opts: EvalOptions, skipped: SkippedSection[] = []): Promise<SectionResult[]> {
  const sections = store.db
    .prepare('SELECT machine_type AS machineType, section FROM sections ORDER BY machine_type, section')
    .all() as { machineType: string; section: string }[];
  const chosen = opts.machineTypes?.length ? sections.filter((s) => opts.machineTypes!.includes(s.machineType)) : sections;
  if (chosen.length === 0) throw new Error(opts.machineTypes?.length ? `no sections for machine type(s) ${opts.machineTypes.join(', ')}` : 'the project has no clips: import a package first');
  const out: SectionResult[] = [];
  for (const s of chosen) {
    throwIfCancelled(opts.signal);
    try {
      out.push(await evaluateSection(store, features, s.machineType, s.section, opts));
    } catch (e) {
      if (opts.signal?.aborted) throw e;
      // the reason is shown after the section's name: a message that names it already is not prefixed twice
      const msg = e instanceof Error ? e.message : String(e);
      const own = `${s.machineType} section ${s.section}: `;
      skipped.push({ machineType: s.machineType, section: s.section, reason: msg.startsWith(own) ? msg.slice(own.length) : msg });
    }
  }
  if (out.length === 0) {
    throw new Error(`no section could be evaluated:\n${skipped.map((k) => `  ${k.machineType} section ${k.section}: ${k.reason}`).join('\n')}`);
  }
  return out;
}
