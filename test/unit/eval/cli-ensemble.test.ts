// `hark eval --approach ensemble [--members ...]`: usage errors exit 2; a package without
// verification clips exits 1 and says why (the pipeline with them: ensemble-pipeline.test.ts).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../src/main/cli';
import { generateDataset } from '../../../src/main/data/generator';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'hark-cli-ens-'));
const data = path.join(work, 'data');

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l), tty: false }, out, err };
}

describe('hark eval --approach ensemble', () => {
  beforeAll(async () => {
    await generateDataset({ out: data, scale: 0.004, seed: 11, machines: ['fan'], sections: 1 });
  }, 120_000);
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  it('refuses --members without the ensemble, or with fewer than two known approaches (exit 2)', async () => {
    for (const [args, why] of [
      [['--approach', 'A', '--members', 'A,B'], /--members is for --approach ensemble/],
      [['--approach', 'ensemble', '--members', 'A'], /--members is two or more of A, B, C/],
      [['--approach', 'ensemble', '--members', 'A,Z'], /--members is two or more of A, B, C/],
      [['--approach', 'mean'], /--approach is A, B, C, auto or ensemble, got mean/],
    ] as const) {
      const t = io();
      expect(await main(['eval', '--data', data, '--out', path.join(work, 'o'), ...args], t.io)).toBe(2);
      expect(t.err.join('\n')).toMatch(why);
    }
  });

  it('fails with the reason where the package has no verification clips (exit 1)', async () => {
    const project = path.join(work, 'project');
    const t = io();
    expect(await main(['eval', '--data', data, '--project', project, '--out', path.join(work, 'o1'), '--approach', 'ensemble', '--members', 'A,B'], t.io)).toBe(1);
    expect(t.err.join('\n')).toMatch(/fan section 00: the ensemble ranks each member's scores against its scores on the section's verification clips, and there are none/);
  }, 240_000);
});
