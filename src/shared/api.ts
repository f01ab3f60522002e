// THE contract: every backend method, its request schema and response type, and every event.
// Hosts (Electron IPC, browser host over WebSocket, CLI) are loops over `contract`; never add a
// method anywhere else. Pure: no Node, no DOM.
import { z } from 'zod';
import { DOMAINS, LABELS, ROLES, SPLITS, VERDICTS } from './domain';
import type { ClipRecord, GridGeometry, Verdict } from './domain';
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
  /** unchanged files whose role, domain, split or label the package corrected */
  metadataUpdated: number;
  failed: number;
  clipsAdded: number;
  cancelled: boolean;
  problems: { path: string; level: 'error' | 'warning'; message: string }[];
}

export interface Spectrogram {
  clipId: number;
  /** frames x bins, row-major, natural-log power */
  data: Float32Array;
  frames: number;
  bins: number;
  frameShiftS: number;
  frameLengthS: number;
  min: number;
  max: number;
  durationS: number;
}

export interface MapGeometry extends GridGeometry {
  /** layers whose own maps are stored, in order */
  layers?: number[];
}

export interface ClipAnomaly {
  runId: number;
  approach: string;
  clipId: number;
  score: number | null;
  geometry: MapGeometry;
  /** frequency-major, freq x time */
  values: Float32Array;
  perLayer: Record<number, Float32Array>;
  threshold: number | null;
  /** scores of the section's normal test clips in the same run, for the distribution */
  sectionNormalScores: Float64Array;
  sectionAnomalyScores: Float64Array;
  /** parts of this clip's score (an ensemble's: each member's score and its rank, keys 'A' and 'rank A') */
  parts: Record<string, number> | null;
}

export interface RunFigures {
  aucSource: number | null;
  aucTarget: number | null;
  pauc: number | null;
  ci?: Record<string, { lower: number; upper: number } | null>;
}

export interface RunSummary {
  runId: number;
  /** 'A', 'B', 'C' or 'ensemble' */
  approach: string | null;
  /** the ensemble's members, in order ('ensemble' runs only) */
  members?: string[];
  machineType: string;
  section: string;
  state: string;
  startedAt: string;
  figures: RunFigures | null;
  threshold: number | null;
  protocol: string;
}

export interface RunDetail extends RunSummary {
  why: string[];
  config: Record<string, unknown>;
  thresholdMethod: string;
  clips: { clipId: number; name: string; score: number; domain: 'source' | 'target' | null; label: 'normal' | 'anomaly' | null; verdict: Verdict | null }[];
}

/** How a run's detector is named to people: 'A', or 'ensemble A+B+C'. */
export function approachLabel(r: { approach: string | null; members?: readonly string[] }): string {
  return r.members?.length ? `${r.approach ?? '?'} ${r.members.join('+')}` : (r.approach ?? '?');
}

export interface GateCell {
  machineType: string;
  section: string;
  domain: 'source' | 'target';
  runId: number;
  approach: string | null;
  status: 'pass' | 'fail' | 'unproven';
  /** passes on the point estimates, but a lower interval bound is below its threshold */
  fragile: boolean;
  auc: number | null;
  pauc: number | null;
  aucCi: { lower: number; upper: number } | null;
  paucCi: { lower: number; upper: number } | null;
  labeled: { normal: number; anomaly: number };
  reasons: string[];
  advice: string[];
}

export interface GateReport {
  thresholds: { auc: number; pauc: number };
  cells: GateCell[];
}

export interface EncoderInfo {
  id: string;
  version: string;
  title: string;
  kind: string;
  installed: boolean;
  licence: string;
  licenceRestricted: boolean;
  provenance: Record<string, unknown>;
  layers: number[];
  dim: number | null;
  grid: { freq: number; time: number } | null;
}

export interface ProjectSettings {
  /** may models whose licence is restricted (e.g. non-commercial weights) be used */
  allowRestrictedModels: boolean;
  gate: { auc: number; pauc: number };
}

export interface ModelsInfo {
  encoders: EncoderInfo[];
  detectors: { id: number; approach: string; members?: string[]; machineType: string; section: string; createdAt: string }[];
  cache: { encoderId: string; entries: number; bytes: number }[];
}

// ---------- events (main -> renderer) ----------

export interface EventMap {
  'job.updated': JobInfo;
  'project.changed': { project: ProjectInfo | null };
  'clips.changed': { clipIds: number[] | 'all' };
  'runs.changed': { runIds: number[] };
}
export type EventName = keyof EventMap;
export const EVENT_NAMES: readonly EventName[] = ['job.updated', 'project.changed', 'clips.changed', 'runs.changed'];

// ---------- methods ----------

export const contract = {
  'app.info': method<AppInfo>()(z.object({}).strict(), 'Version, host and the open project.'),

  'project.create': method<ProjectInfo>()(
    z.object({ path: pathString, name: z.string().trim().max(200).optional() }).strict(),
    'Create a project folder with an empty store and open it.',
  ),
  'project.open': method<ProjectInfo>()(z.object({ path: pathString }).strict(), 'Open an existing project folder.'),
  'project.demo': method<JobInfo>()(
    z.object({ scale: z.number().gt(0).max(1).optional() }).strict(),
    'Build the demo project (synthetic package, import, fit and evaluate A, B, C) as a job, then open it.',
  ),
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
  'clips.get': method<ClipRow>()(z.object({ clipId: id }).strict(), 'One clip with its verdict.'),
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

  'clips.spectrogram': method<Spectrogram>()(
    z.object({ clipId: id }).strict(),
    "The clip's display spectrogram on the AST fbank's time-frequency grid (log power, 10 ms frames, 128 mel bins).",
  ),
  'clips.anomalyMap': method<ClipAnomaly | null>()(
    z.object({ clipId: id, runId: id.optional() }).strict(),
    "A clip's patch anomaly map, score and its section's normal-score distribution from a run (the newest with a map when runId is omitted).",
  ),

  'eval.start': method<JobInfo>()(
    z
      .object({
        approach: z.enum(['A', 'B', 'C', 'auto', 'ensemble']),
        protocol: z.enum(['standard', 'fewshot-from-test']).default('standard'),
        encoder: z.string().trim().min(1).max(100).optional(),
        machineTypes: z.array(z.string()).max(100).optional(),
        /** approach 'ensemble': its members (default: the section's Form-eligible approaches) */
        members: z.array(z.enum(['A', 'B', 'C'])).min(2).max(3).optional(),
      })
      .strict()
      .refine((r) => !r.members || r.approach === 'ensemble', { message: "members is for approach 'ensemble'", path: ['members'] }),
    'Fit and evaluate an approach, or the rank-averaged ensemble of several, on every section as a background job.',
  ),
  'runs.list': method<RunSummary[]>()(z.object({}).strict(), 'Evaluation runs, newest first, with their figures.'),
  'runs.get': method<RunDetail>()(z.object({ runId: id }).strict(), "One run's report and every scored clip."),
  'gate.report': method<GateReport>()(
    z.object({ runIds: z.array(id).max(1000).optional(), aucMin: z.number().gt(0).max(1).optional(), paucMin: z.number().gt(0).max(1).optional() }).strict(),
    'The KPI gate per machine type, section and domain over the newest run of each section (or the given runs).',
  ),
  'models.list': method<ModelsInfo>()(z.object({}).strict(), 'Encoders with licence and provenance, and the fitted detectors.'),

  'models.clearCache': method<{ removed: number }>()(
    z.object({ encoderId: z.string().trim().min(1).max(100).optional() }).strict(),
    "Clear the project's embedding cache, for one encoder or all.",
  ),
  'settings.get': method<ProjectSettings>()(z.object({}).strict(), "The open project's settings."),
  'settings.set': method<ProjectSettings>()(
    z
      .object({
        allowRestrictedModels: z.boolean().optional(),
        gate: z.object({ auc: z.number().min(0.5).max(1), pauc: z.number().min(0.5).max(1) }).strict().optional(),
      })
      .strict(),
    'Change project settings: licence-restricted models on/off, KPI gate thresholds.',
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
