// Where Hark keeps per-user state, and facts about this build.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository / app root: the folder holding package.json (works from src/ under tsx and from out/ when built). */
export function appRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    dir = path.dirname(dir);
  }
  return process.cwd();
}

export function harkHome(): string {
  return process.env.HARK_HOME || path.join(os.homedir(), '.hark');
}

let version: string | null = null;
export function appVersion(): string {
  if (version === null) {
    try {
      version = (JSON.parse(fs.readFileSync(path.join(appRoot(), 'package.json'), 'utf8')) as { version: string }).version;
    } catch {
      version = '0.0.0';
    }
  }
  return version;
}
