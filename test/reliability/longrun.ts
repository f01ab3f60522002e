// Long runs: one DCASE-layout machine type fitted and scored several times in one process
// (longrun-child.ts), with RSS, heap and live ONNX Runtime sessions after every round.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateDataset } from '../../src/main/data/generator';
import { listDcase } from '../../src/main/data/import/dcase';
import { importListing } from '../../src/main/data/import/importer';
import { Store } from '../../src/main/store/store';

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'longrun-child.ts');

export interface Round {
  round: number;
  seconds?: number;
  scores?: Record<string, number>;
  /** sessions alive right after the round's evaluations (encoders are disposed by then; kNN ops graphs stay cached) */
  liveAfterRun?: number;
  /** sessions alive after releaseOpsSessions() */
  liveSessions: number;
  createdSessions?: number;
  rssMb: number;
  heapMb: number;
  externalMb: number;
  arrayBuffersMb: number;
}

/** Generates and imports one machine type at `scale` (1 = DCASE size: 1300 clips) into work/project. */
export async function longRunProject(work: string, scale: number, seed = 5): Promise<{ dir: string; clips: number }> {
  const dir = path.join(work, `longrun-${scale}`, 'project');
  if (!fs.existsSync(path.join(dir, 'project.sqlite'))) {
    const data = path.join(work, `longrun-${scale}`, 'data');
    await generateDataset({ out: data, scale, seed, machines: ['fan'] });
    const s = Store.create(dir, 'long run');
    const r = await importListing(s, listDcase(data));
    s.close();
    if (r.failed) throw new Error(`long run: ${r.failed} generated files failed to import`);
  }
  const s = Store.open(dir, { readonly: true });
  const clips = s.clips.count();
  s.close();
  return { dir, clips };
}

export async function longRun(dir: string, rounds: number, approaches: string[], configs?: Record<string, Record<string, unknown>>): Promise<Round[]> {
  const args = ['--expose-gc', '--import', 'tsx', CHILD, dir, String(rounds), approaches.join(','), ...(configs ? [JSON.stringify(configs)] : [])];
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((r) => proc.once('exit', r));
  if (code !== 0) throw new Error(`longrun-child failed (exit ${code}): ${err.slice(-2000)}`);
  return out
    .split('\n')
    .filter((l) => l.startsWith('= '))
    .map((l) => JSON.parse(l.slice(2)) as Round);
}
