// Shared end-to-end fixtures: a real `hark serve` process per worker, with its own HARK_HOME.
import { test as base } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface Served {
  url: string;
  origin: string;
  token: string;
  home: string;
  proc: ChildProcess;
}

export const ROOT = path.resolve(import.meta.dirname, '..', '..');
export const SCREENS = path.join(ROOT, 'test-results', 'screens');

export async function serve(args: string[] = [], env: Record<string, string> = {}): Promise<Served> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'hark-e2e-'));
  const proc = spawn(process.execPath, [path.join(ROOT, 'bin', 'hark.mjs'), 'serve', '--port', '0', ...args], {
    env: { ...process.env, HARK_HOME: home, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`hark serve did not start in time\n${out}\n${err}`)), 30_000);
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /(http:\/\/\S+\?token=\w+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    proc.once('exit', (code) => reject(new Error(`hark serve exited with ${code}\n${out}\n${err}`)));
  });
  const u = new URL(url);
  return { url, origin: u.origin, token: u.searchParams.get('token')!, home, proc };
}

export async function stop(s: Served): Promise<void> {
  if (s.proc.exitCode === null) {
    const exited = new Promise((r) => s.proc.once('exit', r));
    s.proc.kill('SIGTERM');
    await exited;
  }
  fs.rmSync(s.home, { recursive: true, force: true });
}

export const test = base.extend<object, { served: Served }>({
  served: [
    // eslint-disable-next-line no-empty-pattern
    async ({}, use) => {
      const s = await serve();
      await use(s);
      await stop(s);
    },
    { scope: 'worker' },
  ],
});

export async function screenshot(page: import('@playwright/test').Page, name: string): Promise<void> {
  fs.mkdirSync(SCREENS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENS, `${name}.png`), fullPage: false });
}

export { expect } from '@playwright/test';
