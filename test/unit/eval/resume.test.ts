import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDataset } from '../../../src/main/data/generator';
import { listDcase } from '../../../src/main/data/import/dcase';
import { importListing } from '../../../src/main/data/import/importer';
import { runEvaluation } from '../../../src/main/eval/run';
import { Store } from '../../../src/main/store/store';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hark-resume-'));
const projects: Store[] = [];

async function project(name: string): Promise<Store> {
  const s = Store.create(path.join(dir, name));
  projects.push(s);
  await importListing(s, listDcase(path.join(dir, 'data')));
  return s;
}

beforeAll(async () => {
  await generateDataset({ out: path.join(dir, 'data'), scale: 0.06, seed: 5, machines: ['pump'] });
}, 120_000);
afterAll(() => {
  for (const s of projects) s.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('C training resumes from its checkpoint in the store', () => {
  it('a cancelled fit leaves a checkpoint; the next run continues and ends where an uninterrupted run ends', async () => {
    const configs = { C: { episodes: 120, checkpointEvery: 40 } };
    const whole = await project('whole');
    const ref = await runEvaluation(whole, { approach: 'C', configs });
    expect(whole.db.prepare('SELECT COUNT(*) AS n FROM checkpoints').get()).toEqual({ n: 0 });

    const cut = await project('cut');
    const abort = new AbortController();
    await expect(
      runEvaluation(cut, {
        approach: 'C',
        configs,
        signal: abort.signal,
        progress: (p) => {
          if (typeof p.stage === 'string' && p.done >= 50 && p.stage.includes('train')) abort.abort();
        },
      }),
    ).rejects.toThrow();
    const saved = cut.db.prepare('SELECT COUNT(*) AS n FROM checkpoints').get() as { n: number };
    expect(saved.n).toBe(1);

    const resumed = await runEvaluation(cut, { approach: 'C', configs });
    expect(cut.db.prepare('SELECT COUNT(*) AS n FROM checkpoints').get()).toEqual({ n: 0 });
    const a = ref.results[0].scores.map((s) => s.score);
    const b = resumed.results[0].scores.map((s) => s.score);
    expect(b).toEqual(a);
  }, 300_000);
});
