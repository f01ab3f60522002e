#!/usr/bin/env node
// `hark`: runs the TypeScript CLI through tsx, so the command line needs no build step.
import { register } from 'tsx/esm/api';

register();
await import('../src/main/cli-entry.ts');
