// Where reliability figures go: the heavy run (test/reliability/run.ts) writes bench/results/reliability.json;
// the suite's reduced runs write test-results/reliability/<section>.json (not committed) for inspection.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BENCH_FILE = path.join(ROOT, 'bench', 'results', 'reliability.json');

export function machine(): Record<string, unknown> {
  return { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? 'unknown', memGb: Math.round(os.totalmem() / 2 ** 30), loadavg1: Number(os.loadavg()[0].toFixed(2)), node: process.version };
}

export function recordSuiteFigures(section: string, data: unknown): void {
  const dir = path.join(ROOT, 'test-results', 'reliability');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, `${section}.json`), JSON.stringify({ section, date: new Date().toISOString(), machine: machine(), data }, null, 1));
}
