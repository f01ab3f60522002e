import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateDataset } from '../../../src/main/data/generator';
import { listDcase } from '../../../src/main/data/import/dcase';
import { importListing } from '../../../src/main/data/import/importer';
import { runEvaluation } from '../../../src/main/eval/run';
import { splitSection } from '../../../src/main/eval/evaluate';
import { validationFigure } from '../../../src/main/eval/validate';
import { Store } from '../../../src/main/store/store';
import fs from 'node:fs';
import os from 'node:os';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hark-routing-'));
let store: Store;

beforeAll(async () => {
  await generateDataset({ out: path.join(dir, 'data'), scale: 0.06, seed: 3, machines: ['fan'] });
  store = Store.create(path.join(dir, 'project'));
  await importListing(store, listDcase(path.join(dir, 'data')));
  return () => {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  };
}, 120_000);

describe('evaluation protocols and routing', () => {
  it('fewshot-from-test takes the first 3 normal test clips per domain by name as support and never scores them', () => {
    const clips = store.clips.forSection('fan', '00');
    const { normals, test } = splitSection(clips, 'fewshot-from-test');
    const moved = normals.filter((c) => c.split === 'train' && c.name.includes('_test_'));
    expect(moved).toHaveLength(6);
    for (const d of ['source', 'target']) {
      const firstThree = clips
        .filter((c) => c.role === 'test' && c.domain === d && c.label === 'normal')
        .map((c) => c.name)
        .sort()
        .slice(0, 3);
      expect(moved.filter((c) => c.domain === d).map((c) => c.name).sort()).toEqual(firstThree);
    }
    const testIds = new Set(test.map((c) => c.id));
    for (const c of moved) expect(testIds.has(c.id)).toBe(false);
  });

  it('auto follows the Form rules without labels and says why', async () => {
    const { results } = await runEvaluation(store, { approach: 'auto' });
    expect(results[0].why.join(' ')).toMatch(/target normal/);
    expect(['A', 'B']).toContain(results[0].approach);
    // the package's labels on test clips are counted by the Form but never choose
    expect(results[0].why.join(' ')).toMatch(/those labels are the package's own on test clips, which never choose an approach, so the rules decide/);
    expect(results[0].why.join(' ')).not.toMatch(/validated on/);
  }, 120_000);

  it('auto chooses by validation on labeled verification clips, never on test labels', async () => {
    // half of the labeled test clips become verification clips handed over by the customer
    const test = store.clips.list({ machineType: 'fan', role: 'test' }, 'name', false, 0, 1000).rows;
    const ver = test.filter((_, i) => i % 2 === 0).map((c) => c.id);
    store.db.prepare(`UPDATE clips SET role = 'verification' WHERE id IN (${ver.join(',')})`).run();
    const { results } = await runEvaluation(store, { approach: 'auto' });
    const why = results[0].why.join(' | ');
    expect(why).toMatch(/validated on \d+ labeled verification clips/);
    expect(why).toMatch(/chosen: best validation figure/);
    // the chosen approach has the best figure among those reported
    // the chosen detector has the best figure among those reported: singles first, then the ensemble (a tie keeps the single)
    const line = results[0].why.find((w) => w.startsWith('validated on'))!;
    const figs = [...line.split(': ').slice(1).join(': ').matchAll(/\b([ABC]) (\d+\.\d)/g)].map((m) => ({ id: m[1], v: Number(m[2]) }));
    const ens = results[0].why.map((w) => /^rank-averaged ensemble of ([ABC+]+): (\d+\.\d)$/.exec(w)).find((m) => m);
    if (ens) figs.push({ id: `ensemble ${ens[1]}`, v: Number(ens[2]) });
    const best = figs.reduce((a, b) => (b.v > a.v ? b : a));
    expect(results[0].members ? `ensemble ${results[0].members.join('+')}` : results[0].approach).toBe(best.id);
    expect(why).toMatch(/bootstrap 95 % intervals/);
    store.db.prepare(`UPDATE clips SET role = 'test' WHERE id IN (${ver.join(',')})`).run();
  }, 240_000);
});

describe('verdicts given in Hark are verification labels', () => {
  it('an engineer\'s verdicts on test clips drive the validation (the package\'s test labels never do)', async () => {
    const test = store.clips.list({ machineType: 'fan', role: 'test' }, 'name', false, 0, 1000).rows;
    // the engineer listens to every third test clip and labels it as the package would
    const heard = test.filter((_, i) => i % 3 === 0);
    for (const c of heard) store.labels.set([c.id], c.label!, 'engineer', new Date().toISOString());
    try {
      const { results } = await runEvaluation(store, { approach: 'auto' });
      const why = results[0].why.join(' | ');
      expect(why).toMatch(new RegExp(`validated on ${heard.length} labeled verification clips`));
      expect(why).not.toMatch(/package's own on test clips/);
    } finally {
      store.labels.set(heard.map((c) => c.id), null, 'engineer', new Date().toISOString());
    }
  }, 240_000);
});

describe('routing under fewshot-from-test', () => {
  it('counts the support taken from the test split as the training normals it has become', async () => {
    // a package without a train split, as the DCASE evaluation sets are
    const s2 = Store.create(path.join(dir, 'project-testonly'));
    try {
      await importListing(s2, listDcase(path.join(dir, 'data')));
      s2.db.prepare("DELETE FROM clips WHERE role IN ('source_normal', 'target_normal', 'noise_only', 'clean_machine')").run();
      const { results } = await runEvaluation(s2, { approach: 'auto', protocol: 'fewshot-from-test' });
      const why = results[0].why.join(' | ');
      expect(why).toMatch(/3 target normal clip\(s\), fewer than 10: start with A/);
      expect(why).not.toMatch(/no normal training clips/);
      expect(results[0].approach).toBe('A');
    } finally {
      s2.close();
    }
  }, 120_000);
});

describe('B noise augmentation in the pipeline', () => {
  it('adds noise-mixed copies of the normals to the banks, which changes the scores deterministically', async () => {
    const plain = await runEvaluation(store, { approach: 'B' });
    const aug1 = await runEvaluation(store, { approach: 'B', configs: { B: { noiseAugment: true } } });
    const aug2 = await runEvaluation(store, { approach: 'B', configs: { B: { noiseAugment: true } } });
    const s = (r: typeof plain) => r.results[0].scores.map((x) => x.score);
    expect(s(aug1)).toEqual(s(aug2));
    expect(s(aug1)).not.toEqual(s(plain));
    const det = store.results.detector(aug1.results[0].detectorId)!;
    const base = store.results.detector(plain.results[0].detectorId)!;
    expect(det.config).toMatchObject({ noiseAugment: true });
    const floats = (d: typeof det) => Object.values(d.blobs).reduce((n, b) => n + b.length, 0);
    expect(floats(det)).toBeGreaterThan(floats(base)); // the banks hold the noisy copies
  }, 120_000);
});

describe('validation figure', () => {
  it('is the harmonic mean of the defined per-domain AUCs and pAUC', () => {
    const rows = [
      { domain: 'source' as const, y: 0 as const, score: 0.1 },
      { domain: 'source' as const, y: 1 as const, score: 0.9 },
      { domain: 'target' as const, y: 0 as const, score: 0.2 },
      { domain: 'target' as const, y: 1 as const, score: 0.8 },
    ];
    expect(validationFigure(rows)).toBeCloseTo(1, 12);
    expect(validationFigure(rows.map((r) => ({ ...r, y: 0 as const })))).toBeNull();
  });
});
