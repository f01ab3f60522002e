#!/usr/bin/env node
// `npm start`: the desktop app where the Electron runtime is installed; otherwise say so in one
// sentence and serve the same workbench to a browser on 127.0.0.1.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

function electronBinary() {
  try {
    const p = require('electron');
    return typeof p === 'string' && fs.existsSync(p) ? p : null;
  } catch {
    return null;
  }
}

function newestMtime(dir) {
  let newest = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : fs.statSync(p).mtimeMs);
  }
  return newest;
}

function ensureBuilt() {
  const marker = path.join(root, 'out', 'renderer', 'index.html');
  const built = fs.existsSync(marker) ? fs.statSync(marker).mtimeMs : 0;
  if (built > newestMtime(path.join(root, 'src'))) return;
  console.log('Building the workbench (electron-vite build)…');
  const r = spawnSync(process.execPath, [path.join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

const passthrough = process.argv.slice(2);
ensureBuilt();
const bin = electronBinary();
let child;
if (bin) {
  child = spawn(bin, [path.join(root, 'out', 'main', 'index.js'), ...passthrough], { cwd: root, stdio: 'inherit' });
} else {
  console.log('The Electron runtime is not installed on this machine, so Hark opens in your browser instead (see README: "Desktop app").');
  child = spawn(process.execPath, [path.join(root, 'bin', 'hark.mjs'), 'serve', ...passthrough], { cwd: root, stdio: 'inherit' });
}
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code) => process.exit(code ?? 0));
