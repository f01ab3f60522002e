// THE contract: every backend method, its request schema and response type, and every event.
// Hosts (Electron IPC, browser host over WebSocket, CLI) are loops over `contract`; never add a
// method anywhere else. Pure: no Node, no DOM.
import { z } from 'zod';
import { DOMAINS, LABELS, ROLES, SPLITS, VERDICTS } from './domain';
import type { ClipRecord, Verdict } from './domain';
import type { FormReport } from './form';
import { method } from './rpc';

// ---------- shared schema pieces ----------

const nonEmpty = z.string().trim().min(1, 'must not be empty');
const id = z.number().int().nonnegative();
const pathString = nonEmpty.max(4096, 'path is too long');

export const ClipFilterSchema = z
  .object({
    machineType: z.string().optional(),
    section: z.string().optional(),
    domain: z.enum(DOMAINS).optional(),
    split: z.enum(SPLITS).optional(),
    label: z.enum(LABELS).optional(),
    role: z.enum(ROLES).optional(),
    verdict: z.enum([...VERDICTS, 'none'] as const).optional(),
    text: z.string().max(200).optional(),
    scoreRun: id.optional(),
    scoreMin: z.number().optional(),
    scoreMax: z.number().optional(),
  })
  .strict();
export type ClipFilter = z.infer<typeof ClipFilterSchema>;

export const CLIP_SORT_KEYS = ['id', 'name', 'machineType', 'section', 'domain', 'split', 'label', 'role', 'score'] as const;

// ---------- response types ----------

export interface ProjectInfo {
  path: string;
  name: string;
  schemaVersion: number;
  createdAt: string;
  clipCount: number;
  machineTypes: string[];
}

export interface AppInfo {
  name: 'Hark';
  version: string;
  host: 'electron' | 'browser' | 'cli';
  schemaVersion: number;
  project: ProjectInfo | null;
}

export interface RecentProject {
  path: string;
  name: string;
  openedAt: string;
  exists: boolean;
}

export interface ClipRow extends ClipRecord {
  verdict: Verdict | null;
  verdictBy: string | null;
  verdictAt: string | null;
  score: number | null;
}

export interface ClipPage {
  total: number;
  offset: number;
  rows: ClipRow[];
}

export interface ClipFacets {
  machineTypes: string[];
  sections: string[];
  counts: { role: string; n: number }[];
}

export interface Waveform {
  clipId: number;
  sampleRate: number;
  /** standardised analysis audio: 16 kHz mono, typed array (binary on the wire) */
  samples: Float32Array;
}

export interface LabelChange {
  clipIds: number[];
  /** verdicts before the change, for undo */
  previous: { clipId: number; verdict: Verdict | null }[];
}

export type JobState = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

export interface JobInfo {
  id: string;
  kind: string;
  title: string;
  state: JobState;
  stage: string;
  done: number;
  total: number;
  etaS: number | null;
  startedAt: string;
  finishedAt: string | null;
  error: string | null;
  /** kind-specific numbers to plot while running, e.g. C's loss curve */
  series?: Record<string, number[]>;
  result?: unknown;
}

export interface ImportLogLine {
  at: string;
  package: string;
  path: string;
  level: 'error' | 'warning' | 'info';
  message: string;
}

export interface ImportResult {
  files: number;
  imported: number;
  unchanged: number;
  failed: number;
  clipsAdded: number;
  cancelled: boolean;
  problems: { path: string; level: 'error' | 'warning'; message: string }[];
}

// ---------- events (main -> renderer) ----------

export interface EventMap {
  'job.updated': JobInfo;
  'project.changed': { project: ProjectInfo | null };
  'clips.changed': { clipIds: number[] | 'all' };
}
export type EventName = keyof EventMap;
export const EVENT_NAMES: readonly EventName[] = ['job.updated', 'project.changed', 'clips.changed'];

// ---------- methods ----------

export const contract = {
  'app.info': method<AppInfo>()(z.object({}).strict(), 'Version, host and the open project.'),

  'project.create': method<ProjectInfo>()(
    z.object({ path: pathString, name: z.string().trim().max(200).optional() }).strict(),
    'Create a project folder with an empty store and open it.',
  ),
  'project.open': method<ProjectInfo>()(z.object({ path: pathString }).strict(), 'Open an existing project folder.'),
  'project.close': method<null>()(z.object({}).strict(), 'Close the open project.'),
  'project.recent': method<RecentProject[]>()(z.object({}).strict(), 'Recently opened projects, newest first.'),

  'clips.list': method<ClipPage>()(
    z
      .object({
        filter: ClipFilterSchema.default({}),
        sort: z.enum(CLIP_SORT_KEYS).default('name'),
        desc: z.boolean().default(false),
        offset: z.number().int().nonnegative().default(0),
        limit: z.number().int().min(1).max(5000).default(200),
      })
      .strict(),
    'One page of clips matching a filter, with verdicts and scores.',
  ),
  'clips.facets': method<ClipFacets>()(z.object({}).strict(), 'Distinct machine types, sections and role counts.'),
  'clips.waveform': method<Waveform>()(z.object({ clipId: id }).strict(), 'The standardised 16 kHz mono audio of a clip.'),
  'clips.setVerdict': method<LabelChange>()(
    z
      .object({
        clipIds: z.array(id).min(1, 'select at least one clip').max(100_000),
        verdict: z.enum(VERDICTS).nullable(),
        who: z.string().trim().min(1).max(100).default('engineer'),
      })
      .strict(),
    'Set (or clear, with null) the verification verdict of clips; returns what to undo.',
  ),
  'clips.restoreVerdicts': method<LabelChange>()(
    z
      .object({
        changes: z.array(z.object({ clipId: id, verdict: z.enum(VERDICTS).nullable() }).strict()).min(1).max(100_000),
        who: z.string().trim().min(1).max(100).default('engineer'),
      })
      .strict(),
    'Undo: put each clip back to the verdict it had (as returned by clips.setVerdict).',
  ),
  'clips.setAttribute': method<{ clipIds: number[] }>()(
    z
      .object({
        clipIds: z.array(id).min(1).max(100_000),
        key: z
          .string()
          .trim()
          .regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'attribute names are letters, digits and _'),
        value: z.string().max(200).nullable(),
      })
      .strict(),
    'Set or clear one metadata attribute on clips.',
  ),

  'import.start': method<JobInfo>()(
    z
      .object({
        kind: z.enum(['dcase', 'manifest']),
        path: pathString,
        supplementalKind: z.enum(['noise', 'clean']).optional(),
        clipS: z.number().min(1).max(60).optional(),
        hopS: z.number().min(0.5).max(60).optional(),
      })
      .strict(),
    'Import a data package (DCASE folder or CSV manifest) as a background job; progress arrives as job.updated.',
  ),
  'import.log': method<ImportLogLine[]>()(z.object({ limit: z.number().int().min(1).max(10_000).default(500) }).strict(), 'What imports reported about files, newest first.'),

  'form.report': method<FormReport>()(z.object({}).strict(), 'The Form check per machine type and section, with routing advice.'),
  'form.sheet': method<{ html: string; csv: string }>()(
    z.object({ machineTypes: z.array(z.string()).default([]) }).strict(),
    'The customer request sheet as printable HTML and as CSV.',
  ),

  'jobs.list': method<JobInfo[]>()(z.object({}).strict(), 'Jobs of this session, newest first.'),
  'jobs.cancel': method<JobInfo>()(z.object({ jobId: nonEmpty }).strict(), 'Ask a running job to stop.'),
} as const;

export type Contract = typeof contract;
export type MethodName = keyof Contract;
export const METHOD_NAMES = Object.keys(contract) as MethodName[];

/** What a caller may send (defaults optional). */
export type Req<K extends MethodName> = z.input<Contract[K]['request']>;
/** What the backend receives after validation (defaults filled). */
export type ParsedReq<K extends MethodName> = z.output<Contract[K]['request']>;
export type Res<K extends MethodName> = Exclude<Contract[K]['response'], undefined>;

export interface CallContext {
  host: AppInfo['host'];
  signal?: AbortSignal;
}

/** The object every host binds: one async function per contract method. */
export type Backend = {
  [K in MethodName]: (req: ParsedReq<K>, ctx: CallContext) => Promise<Res<K>>;
};

/** The typed client the renderer uses (window.hark or the WebSocket client). */
export interface HarkClient {
  call<K extends MethodName>(name: K, req: Req<K>): Promise<Res<K>>;
  on<E extends EventName>(event: E, listener: (payload: EventMap[E]) => void): () => void;
}
