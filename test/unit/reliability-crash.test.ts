// Issue 11, point 1 (reduced: 3 kills per job kind; test/reliability/run.ts does 20): import,
// encoding, fitting and scoring jobs run in a child process that is SIGKILLed at random moments.
// After each kill the store opens, passes PRAGMA integrity_check and the project's consistency
// check, and the job run again ends with exactly the result of an uninterrupted run.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crashKind, prepareCrash, type CrashConfig, type CrashKind, type KindFigures, type Prepared } from '../reliability/crash';
import { recordSuiteFigures } from '../reliability/figures';

const cfg: CrashConfig = {
  workDir: fs.mkdtempSync(path.join(os.tmpdir(), 'hark-rel-crash-')),
  kills: 3,
  scale: 0.05,
  seed: 3,
  fitApproach: 'C',
  scoreApproach: 'A',
  configs: { C: { episodes: 150 } },
};
let prep: Prepared;
const figures: KindFigures[] = [];

beforeAll(async () => {
  prep = await prepareCrash(cfg);
}, 120_000);
afterAll(() => {
  recordSuiteFigures('crash', figures);
  fs.rmSync(cfg.workDir, { recursive: true, force: true });
});

describe('crash safety: SIGKILL at random moments, then open, check, resume', () => {
  const expectations: Record<CrashKind, { resumption: 'resume' | 're-run'; what: string }> = {
    import: { resumption: 'resume', what: 'the import skips every file whose batch committed' },
    encode: { resumption: 'resume', what: 'encoding reads every clip encoded before the kill from the cache' },
    fit: { resumption: 'resume', what: "C's fit continues from its last checkpoint to the same weights" },
    score: { resumption: 're-run', what: 'scoring runs again (nothing half-saved) to identical scores and maps' },
  };
  for (const kind of ['import', 'encode', 'fit', 'score'] as CrashKind[]) {
    it(`${kind}: ${expectations[kind].what}`, async () => {
      const f = await crashKind(kind, cfg, prep);
      figures.push(f);
      expect(f.failures).toEqual([]);
      expect(f.kills).toBe(cfg.kills);
      expect(f.resumption).toBe(expectations[kind].resumption);
      if (kind === 'import' || kind === 'encode') expect(f.records.some((r) => r.kept > 0)).toBe(true); // at least one kill after work had landed
      if (kind === 'score') expect(f.records.some((r) => r.how === 'write')).toBe(true); // and one inside the save transaction
    }, 240_000);
  }
});
