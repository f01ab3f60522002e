// Every `hark` subcommand, in the order `hark --help` lists them. Loaded lazily so that
// `hark --help` and light commands never pay for ONNX Runtime or SQLite start-up.
import type { Command } from './command';

export interface CommandEntry {
  name: string;
  summary: string;
  load: () => Promise<Command>;
}

export const COMMANDS: CommandEntry[] = [
  { name: 'demo', summary: 'the main job: synthetic package -> import -> Form check -> fit A, B, C -> evaluate', load: async () => (await import('./demo')).demoCommand },
  { name: 'generate', summary: 'write a synthetic machine-sound package (DCASE layout, attributes, manifest) with anomalies and domain shift', load: async () => (await import('./generate')).generateCommand },
  { name: 'import', summary: 'import a data package (DCASE folder or CSV manifest) into a project', load: async () => (await import('./import')).importCommand },
  { name: 'form', summary: 'check a project against the data Form; export the customer request sheet', load: async () => (await import('./form')).formCommand },
  { name: 'eval', summary: 'evaluate an approach on a DCASE-layout root: submission files and reports', load: async () => (await import('./eval')).evalCommand },
  { name: 'export', summary: 'export a fitted detector as one portable .hark-detector file', load: async () => (await import('./export')).exportCommand },
  { name: 'score', summary: 'score audio files with a .hark-detector file, no project needed', load: async () => (await import('./score')).scoreCommand },
  { name: 'features', summary: 'compute the fbank or log-mel features of an audio file and write them as .npy', load: async () => (await import('./features')).featuresCommand },
  { name: 'serve', summary: 'serve the workbench to a browser on 127.0.0.1 with a per-start token', load: async () => (await import('./serve')).serveCommand },
];
