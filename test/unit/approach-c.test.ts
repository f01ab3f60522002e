// Approach C end to end on synthetic features whose clusters follow the metadata: the loss falls
// (and does not on shuffled metadata), adaptation helps the target domain, runs are bit-identical,
// a resumed run equals an uninterrupted one, and the state round-trips.
import { describe, expect, it } from 'vitest';
import { adaptC, approachC, checkpointFromState, parseCConfig, type CConfig, type CState } from '../../src/main/approaches/c';
import { makeSyntheticMachine, type SynthClip } from '../../src/main/approaches/c/synthetic';
import type { FitSet, SerialisedState } from '../../src/main/approaches/types';
import { createRng, shuffled as shuffle } from '../../src/main/approaches/common';
import { auc } from '../../src/shared/metrics';

// training settings suited to the 32-dim synthetic features, kept short so the suite stays quick
const FAST = { episodes: 200, innerLr: 0.1, temperature: 4, reportEvery: 10 };

const machine = makeSyntheticMachine({ seed: 1, sourceNormals: 400 });
const fitSet = (normals: SynthClip[] = machine.normals): FitSet => ({ machineType: 'synthetic', section: '00', normals, noise: [] });
const cfg = (over: Partial<CConfig> = {}): CConfig => parseCConfig({ ...FAST, ...over });
const quiet = () => undefined;

/** AUC of one domain as DCASE defines it: that domain's normals against all anomalies. */
function domainAuc(scores: number[], test: SynthClip[], domain: 'source' | 'target'): number {
  const idx = test.map((_, i) => i).filter((i) => test[i].truth.domain === domain || test[i].truth.label === 'anomaly');
  return auc(idx.map((i) => (test[i].truth.label === 'anomaly' ? 1 : 0)), idx.map((i) => scores[i]));
}

function sameWeights(a: CState, b: CState): boolean {
  return a.weights.w.every((w, l) => Buffer.from(w.buffer).equals(Buffer.from(b.weights.w[l].buffer))) && a.weights.b.every((w, l) => Buffer.from(w.buffer).equals(Buffer.from(b.weights.b[l].buffer)));
}

// mean loss over the last / first n curve points (one point per 10 episodes)
const tail = (s: CState, n = 10) => s.training.curve.slice(-n).reduce((a, p) => a + p.loss, 0) / n;
const head = (s: CState, n = 5) => s.training.curve.slice(0, n).reduce((a, p) => a + p.loss, 0) / n;

describe('approach C training', () => {
  it('lowers the episode loss on metadata-structured features, and not on shuffled metadata', async () => {
    const st = await approachC.fit(fitSet(), cfg({ episodes: 800 }), quiet);
    expect(st.usedTasks).toEqual(['speed_level', 'noise_id', 'mic_position_id']);
    // measured (seeds 1-3): head 1.21-1.34 -> tail 0.26-0.35; chance for these 2- and 3-way tasks is 0.69-1.10
    expect(tail(st)).toBeLessThan(0.4 * head(st));
    expect(tail(st)).toBeLessThan(0.45);
    // control: the same features with each task's labels shuffled across clips carry no learnable structure
    const rng = createRng(5);
    const relabelled = machine.normals.map((c) => ({ ...c, attributes: { ...c.attributes } }));
    for (const key of ['speed_level', 'noise_id', 'mic_position_id']) {
      const vals = shuffle(
        relabelled.map((c) => c.attributes[key]),
        rng,
      );
      relabelled.forEach((c, i) => (c.attributes[key] = vals[i]));
    }
    const ctl = await approachC.fit(fitSet(relabelled), cfg({ episodes: 800 }), quiet);
    // measured: tail 0.76-0.81, about chance
    expect(tail(ctl)).toBeGreaterThan(0.65);
    expect(tail(ctl)).toBeGreaterThan(1.8 * tail(st));
  });

  it('reports {episode, loss} every reportEvery episodes, then adapts', async () => {
    const seen: { stage: string; done: number; total: number; info?: Record<string, number> }[] = [];
    const st = await approachC.fit(fitSet(), cfg({ episodes: 30 }), (p) => seen.push(p));
    const train = seen.filter((p) => p.stage === 'meta-train');
    expect(train.map((p) => p.info!.episode)).toEqual([10, 20, 30]);
    expect(train.map((p) => p.done)).toEqual([10, 20, 30]);
    expect(train.every((p) => p.total === 30 && Number.isFinite(p.info!.loss))).toBe(true);
    expect(st.training.curve).toEqual(train.map((p) => ({ episode: p.info!.episode, loss: p.info!.loss })));
    expect(seen.at(-1)).toEqual({ stage: 'adapt', done: 1, total: 1 });
  });

  it('is deterministic under a seed: two runs give bit-identical weights, prototypes and scores', async () => {
    const a = await approachC.fit(fitSet(), cfg({ episodes: 60 }), quiet);
    const b = await approachC.fit(fitSet([...machine.normals].reverse()), cfg({ episodes: 60 }), quiet);
    expect(sameWeights(a, b)).toBe(true);
    expect(Buffer.from(a.prototypes.data.buffer).equals(Buffer.from(b.prototypes.data.buffer))).toBe(true);
    const sa = await approachC.score(a, machine.test);
    const sb = await approachC.score(b, machine.test);
    expect(sb).toEqual(sa);
    const c = await approachC.fit(fitSet(), cfg({ episodes: 60, seed: 1 }), quiet);
    expect(sameWeights(a, c)).toBe(false);
  });

  it('resumes from a checkpoint to the same result as an uninterrupted run (50 + 50 = 100, bit-identical)', async () => {
    const config = cfg({ episodes: 100, checkpointEvery: 50 });
    const full = await approachC.fit(fitSet(), config, quiet);

    const abort = new AbortController();
    const checkpoints: SerialisedState[] = [];
    const killed = approachC.fit(fitSet(), config, quiet, abort.signal, {
      onCheckpoint: (cp) => {
        checkpoints.push(structuredClone(cp));
        abort.abort(new Error('killed after the first checkpoint'));
      },
    });
    await expect(killed).rejects.toThrow('killed after the first checkpoint');
    // one periodic checkpoint at 50, one more written on cancellation at the same point
    expect(checkpoints.map((c) => checkpointFromState(c).episodesDone)).toEqual([50, 50]);

    const progress: number[] = [];
    const resumed = await approachC.fit(fitSet(), config, (p) => p.stage === 'meta-train' && progress.push(p.done), undefined, { resumeFrom: checkpoints[0] });
    expect(progress[0]).toBe(60);
    expect(resumed.training.resumedFrom).toBe(50);
    expect(sameWeights(resumed, full)).toBe(true);
    expect(resumed.training.curve).toEqual(full.training.curve);
    expect(await approachC.score(resumed, machine.test)).toEqual(await approachC.score(full, machine.test));
  });

  it('resumes between two loss-curve points (checkpoint at 25, points every 10) to the same curve', async () => {
    const config = cfg({ episodes: 60, checkpointEvery: 25 });
    const full = await approachC.fit(fitSet(), config, quiet);
    const cps: SerialisedState[] = [];
    await approachC.fit(fitSet(), config, quiet, undefined, { onCheckpoint: (cp) => void cps.push(structuredClone(cp)) });
    expect(cps.map((c) => checkpointFromState(c).episodesDone)).toEqual([25, 50]);
    const resumed = await approachC.fit(fitSet(), config, quiet, undefined, { resumeFrom: cps[0] });
    expect(resumed.training.curve).toEqual(full.training.curve);
    expect(sameWeights(resumed, full)).toBe(true);
  });

  it('refuses to resume a checkpoint made with other settings or clips', async () => {
    const cps: SerialisedState[] = [];
    await approachC.fit(fitSet(), cfg({ episodes: 20, checkpointEvery: 10 }), quiet, undefined, { onCheckpoint: (cp) => void cps.push(cp) });
    expect(cps).toHaveLength(1);
    await expect(approachC.fit(fitSet(), cfg({ episodes: 20, checkpointEvery: 10, innerLr: 0.05 }), quiet, undefined, { resumeFrom: cps[0] })).rejects.toThrow(/resumeFrom: the checkpoint was made from different/);
    await expect(approachC.fit(fitSet(machine.normals.slice(1)), cfg({ episodes: 20 }), quiet, undefined, { resumeFrom: cps[0] })).rejects.toThrow(/different training clips/);
    await expect(approachC.fit(fitSet(), cfg({ episodes: 20 }), quiet, undefined, { resumeFrom: { json: { kind: 'other' }, blobs: {} } })).rejects.toThrow(/not an approach C checkpoint/);
  });

  it('stops promptly when cancelled, with the signal reason', async () => {
    const abort = new AbortController();
    const t0 = performance.now();
    const run = approachC.fit(fitSet(), cfg({ episodes: 100_000 }), (p) => {
      if (p.done >= 20) abort.abort(new Error('cancelled by the user'));
    }, abort.signal);
    await expect(run).rejects.toThrow('cancelled by the user');
    expect(performance.now() - t0).toBeLessThan(10_000);
  });
});

describe('approach C adaptation and scoring', () => {
  let trained: CState;
  const support = machine.normals.filter((c) => c.role === 'target_normal');
  const source = machine.normals.filter((c) => c.role === 'source_normal');
  const targetNormal = machine.test.map((c, i) => (c.truth.domain === 'target' && c.truth.label === 'normal' ? i : -1)).filter((i) => i >= 0);

  it('adaptation to the target support moves target normals down the ranking and lifts the target AUC', async () => {
    trained = await approachC.fit(fitSet(), cfg({ episodes: 600, score: 'nearest' }), quiet);
    const before = (await approachC.score(adaptC(trained, []), machine.test)).map((r) => r.score);
    const after = (await approachC.score(trained, machine.test)).map((r) => r.score);
    // mean rank percentile of the target normals among all test clips (0 = least anomalous)
    const percentile = (sc: number[]) => {
      const rank = new Float64Array(sc.length);
      sc.map((v, i) => [v, i]).sort((a, b) => a[0] - b[0]).forEach(([, i], k) => (rank[i] = k / (sc.length - 1)));
      return targetNormal.reduce((a, i) => a + rank[i], 0) / targetNormal.length;
    };
    // measured (seeds 1, 2): 0.69 -> 0.49 and 0.69 -> 0.56; target AUC 0.37 -> 0.61 and 0.37 -> 0.56
    expect(percentile(before)).toBeGreaterThan(0.6);
    expect(percentile(after)).toBeLessThan(percentile(before) - 0.1);
    expect(domainAuc(after, machine.test, 'target')).toBeGreaterThan(domainAuc(before, machine.test, 'target') + 0.15);
  });

  it('meta-training makes the embedding see past the nuisance: target AUC far above the untrained network', async () => {
    const untrained = await approachC.fit(fitSet(), cfg({ episodes: 1, innerLr: 1e-9, sourcePrototypes: 'none' }), quiet);
    const learned = adaptC(trained, support, { sourcePrototypes: 'none', source });
    const u = domainAuc((await approachC.score(untrained, machine.test)).map((r) => r.score), machine.test, 'target');
    const l = domainAuc((await approachC.score(learned, machine.test)).map((r) => r.score), machine.test, 'target');
    // measured (seeds 1, 2): untrained 0.64 / 0.67, meta-trained 0.92 / 0.82
    expect(l).toBeGreaterThan(u + 0.1);
    expect(l).toBeGreaterThan(0.8);
  });

  it("'min-z' normalises each domain's distances with leave-one-out statistics of its own normals", async () => {
    const z = adaptC(trained, support, { score: 'min-z', targetPrototypes: 'clips', sourcePrototypes: 'classes', source });
    expect(z.stats.target!.n).toBe(support.length);
    // source statistics from the 20% of source normals held out of meta-training
    expect(trained.calibrationClipIds).toHaveLength(80);
    expect(z.stats.source!.n).toBe(80);
    expect(trained.calibrationClipIds.every((id) => source.some((c) => c.clipId === id))).toBe(true);
    const r = await approachC.score(z, machine.test);
    for (const x of r) {
      const zt = (x.parts!.d_target - z.stats.target!.mean) / z.stats.target!.std;
      const zs = (x.parts!.d_source - z.stats.source!.mean) / z.stats.source!.std;
      expect(x.score).toBeCloseTo(Math.min(zt, zs), 9);
    }
    // held-out normals of each domain sit near z = 0 in their own domain when neither kind's statistics
    // come from clips the network trained on (target normals left out of training, source calibration hold-out)
    const honest = adaptC(await approachC.fit(fitSet(), cfg({ episodes: 600, trainOnTarget: false }), quiet), support, { score: 'min-z', source });
    const rh = await approachC.score(honest, machine.test);
    const meanZ = (d: 'source' | 'target') => {
      const st = d === 'target' ? honest.stats.target! : honest.stats.source!;
      const key = d === 'target' ? 'd_target' : 'd_source';
      const v = rh.filter((_, i) => machine.test[i].truth.domain === d && machine.test[i].truth.label === 'normal').map((x) => (x.parts![key] - st.mean) / st.std);
      return v.reduce((a, b) => a + b) / v.length;
    };
    // measured: 0.62 (target), 0.38 (source); with the target normals in training the target mean is 1.02
    expect(Math.abs(meanZ('target'))).toBeLessThan(0.8);
    expect(Math.abs(meanZ('source'))).toBeLessThan(0.8);
  });

  it('gives honest training scores from the clips the network did not train on, comparable to held-out normals', async () => {
    // a larger test set than the shared machine's, so the held-out mean is tight (se ~0.07 z)
    const m2 = makeSyntheticMachine({ seed: 2, sourceNormals: 400, testPerGroup: 200 });
    const src2 = m2.normals.filter((c) => c.role === 'source_normal');
    const st = await approachC.fit(fitSet(m2.normals), cfg({ episodes: 600 }), quiet);
    const ts = approachC.trainingScores!(st)!;
    expect(ts).toHaveLength(80); // the calibration hold-out; the target support was trained on
    const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
    const heldOut = (await approachC.score(st, m2.test)).filter((_, i) => m2.test[i].truth.label === 'normal' && m2.test[i].truth.domain === 'source').map((r) => r.score);
    const calib = new Set(st.calibrationClipIds);
    const inSample = (await approachC.score(st, src2.filter((c) => !calib.has(c.clipId)))).map((r) => r.score);
    // measured (machine seeds 2, 3): honest 0.00, held-out 0.04 / -0.02, in-sample training clips -0.48 / -0.46
    // (machine seed 1's test source normals sit at 0.46, and further out in raw feature space too: a sampling outlier)
    expect(Math.abs(mean(ts) - mean(heldOut))).toBeLessThan(0.2);
    expect(mean(inSample)).toBeLessThan(mean(heldOut) - 0.3);
    const noTargetTraining = await approachC.fit(fitSet(), cfg({ episodes: 20, trainOnTarget: false }), quiet);
    expect(approachC.trainingScores!(noTargetTraining)).toHaveLength(80 + support.length);
    const noCalibration = await approachC.fit(fitSet(), cfg({ episodes: 20, calibrationShare: 0 }), quiet);
    expect(approachC.trainingScores!(noCalibration)).toBeNull();
  });

  it('never reads a test clip domain, label or attributes', async () => {
    const a = await approachC.score(trained, machine.test);
    const disguised = machine.test.map((c) => ({ ...c, domain: 'source' as const, attributes: { speed_level: '1', noise_id: 'A' }, truth: { domain: 'source' as const, label: 'normal' as const } }));
    expect(await approachC.score(trained, disguised)).toEqual(a);
  });

  it('round-trips through serialise / deserialise (JSON + Float32Array blobs) with identical scores', async () => {
    const s = approachC.serialise(trained);
    for (const [k, b] of Object.entries(s.blobs)) expect(b, k).toBeInstanceOf(Float32Array);
    const back = approachC.deserialise({ json: JSON.parse(JSON.stringify(s.json)), blobs: s.blobs });
    expect(await approachC.score(back, machine.test)).toEqual(await approachC.score(trained, machine.test));
    expect(back.analysis.verdict).toBe(trained.analysis.verdict);
    expect(approachC.trainingScores!(back)).toEqual(approachC.trainingScores!(trained));
    expect(() => approachC.deserialise({ json: s.json, blobs: { ...s.blobs, w1: undefined as unknown as Float32Array } })).toThrow(/blob 'w1' is missing/);
    expect(() => approachC.deserialise({ json: { ...s.json, version: 99 }, blobs: s.blobs })).toThrow(/version 99/);
    expect(() => approachC.deserialise({ json: s.json, blobs: { ...s.blobs, prototypes: new Float32Array(3) } })).toThrow(/blob 'prototypes'/);
  });
});

describe('approach C input checks', () => {
  it('says why C is not eligible, task by task', async () => {
    const noMeta = machine.normals.map((c) => ({ ...c, attributes: {} }));
    await expect(approachC.fit(fitSet(noMeta), cfg(), quiet)).rejects.toThrow(/C not eligible: no metadata task.*speed_level: no values \(100% blank\) — skipped/);
    await expect(approachC.fit(fitSet(machine.normals.slice(360)), cfg(), quiet)).rejects.toThrow(/40 source normal clips, at least 50 needed/);
  });

  it('names the clip and field of a bad embedding, and needs target normals', async () => {
    const bad = machine.normals.map((c, i) => (i === 3 ? { ...c, embedding: new Float32Array(5) } : c));
    await expect(approachC.fit(fitSet(bad), cfg(), quiet)).rejects.toThrow(/clip 'section_00_source_train_normal_0003.wav' \(id 4\): field 'embedding' has 5 dims, expected 32/);
    const nan = machine.normals.map((c, i) => (i === 0 ? { ...c, embedding: Float32Array.from(c.embedding!, (v, j) => (j === 2 ? NaN : v)) } : c));
    await expect(approachC.fit(fitSet(nan), cfg(), quiet)).rejects.toThrow(/value 2 is not finite/);
    const noTarget = machine.normals.filter((c) => c.role === 'source_normal');
    await expect(approachC.fit(fitSet(noTarget), cfg(), quiet)).rejects.toThrow(/no target normal clips/);
    const oneTarget = [...noTarget, machine.normals.find((c) => c.role === 'target_normal')!];
    await expect(approachC.fit(fitSet(oneTarget), cfg({ episodes: 5 }), quiet)).rejects.toThrow(/'min-z' needs leave-one-out statistics of the target normals/);
    const st = await approachC.fit(fitSet(oneTarget), cfg({ episodes: 5, score: 'nearest' }), quiet);
    expect(st.warnings).toContain('1 target normal clip; C is designed for a support of 3 to 10');
  });

  it('parses its config, naming a bad field, and asks for embeddings', () => {
    expect(approachC.parseConfig({})).toEqual(approachC.defaults);
    expect(() => approachC.parseConfig({ nWay: 1 })).toThrow(/field 'nWay'/);
    expect(() => approachC.parseConfig({ score: 'max' })).toThrow(/field 'score'/);
    expect(() => approachC.parseConfig({ metaStepStart: 0.2, metaStepEnd: 0.5 })).toThrow(/field 'metaStepEnd': must not exceed/);
    expect(() => approachC.parseConfig({ tasks: [], extraTasks: [] })).toThrow(/field 'tasks'/);
    expect(() => approachC.parseConfig({ extraTasks: ['pat', 'pat'] })).toThrow(/'pat' is listed twice/);
    expect(approachC.featureRequest(approachC.defaults)).toEqual({ kind: 'embedding', encoder: 'logmel_stats' });
  });
});
