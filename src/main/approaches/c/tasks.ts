// Auxiliary tasks from metadata: read each clip's label per task, count values and blanks,
// and say in words which tasks C can learn from (exported for routing, which explains it).
import type { Attributes, Role } from '../../../shared/domain';
import { METADATA_ALIASES, type MetadataKey } from '../../../shared/form';
import { C_TASKS } from './config';

/** What the analysis needs of a clip; ClipFeatures and ClipRecord both fit. */
export interface TaskClip {
  section: string;
  role: Role;
  attributes: Attributes;
}

export interface TaskAnalysisOptions {
  /** tasks to consider: Form names (read through their aliases) or attribute keys (read verbatim) */
  tasks: string[];
  /** a value is a class only with at least this many clips */
  minClipsPerClass: number;
  /** a task with a larger blank share is skipped */
  maxBlankShare: number;
  /** C needs at least this many source normal clips */
  minSourceNormals: number;
}

export const DEFAULT_TASK_OPTIONS: TaskAnalysisOptions = {
  tasks: [...C_TASKS],
  minClipsPerClass: 5,
  maxBlankShare: 0.2,
  minSourceNormals: 50,
};

export interface TaskValue {
  value: string;
  clips: number;
}

export interface TaskReport {
  task: string;
  /** every value seen, in natural order */
  values: TaskValue[];
  /** values with at least minClipsPerClass clips: the classes episodes are drawn from */
  classes: string[];
  blank: number;
  blankShare: number;
  eligible: boolean;
  /** e.g. "speed_level: 3 values (1: 410 clips, 2: 380, 3: 200), 0% blank — eligible" */
  explanation: string;
}

export interface TaskAnalysis {
  clips: number;
  sourceNormals: number;
  tasks: TaskReport[];
  eligibleTasks: string[];
  eligible: boolean;
  /** the rule in words, with the thresholds used */
  rule: string;
  /** one sentence: why C is or is not eligible */
  verdict: string;
  /** clips whose attributes.operating_condition is not a JSON object (read as blank there) */
  unreadableConditions: number;
}

const FORM_KEYS = new Set<string>(Object.keys(METADATA_ALIASES));
const naturalOrder = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

/** Parsed attributes.operating_condition, or null when absent; 'bad' when it is not a JSON object. */
function operatingCondition(attributes: Attributes): Record<string, unknown> | null | 'bad' {
  const raw = attributes.operating_condition;
  if (raw === undefined || raw.trim() === '') return null;
  try {
    const v = JSON.parse(raw) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : 'bad';
  } catch {
    return 'bad';
  }
}

function clean(v: unknown): string | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') return undefined;
  const s = String(v).trim();
  return s === '' ? undefined : s;
}

/** The names a task is read under: the Form aliases for Form tasks, the key itself otherwise. */
export function taskKeys(task: string): readonly string[] {
  return FORM_KEYS.has(task) ? METADATA_ALIASES[task as MetadataKey] : [task];
}

/**
 * A clip's label for a task, or undefined when blank. section_id is the clip's section; the
 * others come from the attributes (any alias), then from an operating_condition JSON attribute.
 */
export function readTaskLabel(task: string, clip: TaskClip, condition?: Record<string, unknown> | null | 'bad'): string | undefined {
  if (task === 'section_id') {
    const s = clean(clip.section);
    if (s !== undefined) return s;
  }
  const keys = taskKeys(task);
  for (const k of keys) {
    const v = clean(clip.attributes?.[k]);
    if (v !== undefined) return v;
  }
  const oc = condition === undefined ? operatingCondition(clip.attributes ?? {}) : condition;
  if (oc && oc !== 'bad') {
    for (const k of keys) {
      const v = clean(oc[k]);
      if (v !== undefined) return v;
    }
  }
  return undefined;
}

/** Labels of every clip for every task: labels[t][i] is clip i's value for tasks[t] (undefined = blank). */
export function readTaskLabels(tasks: string[], clips: TaskClip[]): { labels: (string | undefined)[][]; unreadableConditions: number } {
  let unreadable = 0;
  const conds = clips.map((c) => {
    const oc = operatingCondition(c.attributes ?? {});
    if (oc === 'bad') unreadable++;
    return oc;
  });
  const labels = tasks.map((t) => clips.map((c, i) => readTaskLabel(t, c, conds[i])));
  return { labels, unreadableConditions: unreadable };
}

function pct(x: number): string {
  const p = x * 100;
  return `${p > 0 && p < 1 ? p.toFixed(1) : Math.round(p)}%`;
}

function listValues(values: TaskValue[], max = 8): string {
  const shown = values.slice(0, max).map((v, i) => `${v.value}: ${v.clips}${i === 0 ? (v.clips === 1 ? ' clip' : ' clips') : ''}`);
  if (values.length > max) shown.push(`… ${values.length - max} more`);
  return shown.join(', ');
}

/** Counts, blank share and the verdict for one task's labels. */
export function analyseTaskLabels(task: string, labels: (string | undefined)[], opts: Pick<TaskAnalysisOptions, 'minClipsPerClass' | 'maxBlankShare'>): TaskReport {
  const counts = new Map<string, number>();
  let blank = 0;
  for (const l of labels) {
    if (l === undefined) blank++;
    else counts.set(l, (counts.get(l) ?? 0) + 1);
  }
  const values = [...counts].map(([value, clips]) => ({ value, clips })).sort((a, b) => naturalOrder.compare(a.value, b.value) || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
  const classes = values.filter((v) => v.clips >= opts.minClipsPerClass).map((v) => v.value);
  const n = labels.length;
  const blankShare = n === 0 ? 1 : blank / n;
  const blankText = `${pct(blankShare)} blank`;
  let eligible = false;
  let explanation: string;
  if (values.length === 0) {
    explanation = `${task}: no values${n > 0 ? ` (${pct(blankShare)} blank)` : ' (no clips)'} — skipped`;
  } else if (values.length === 1) {
    explanation = `${task}: only one value (${listValues(values)}), ${blankText} — skipped`;
  } else {
    const head = `${task}: ${values.length} values (${listValues(values)}), ${blankText}`;
    if (blankShare > opts.maxBlankShare) {
      explanation = `${head} — skipped: more than ${pct(opts.maxBlankShare)} blank`;
    } else if (classes.length < 2) {
      explanation = `${head} — skipped: ${classes.length === 0 ? 'no value has' : 'only one value has'} at least ${opts.minClipsPerClass} clips`;
    } else {
      eligible = true;
      const rare = values.length - classes.length;
      explanation = `${head} — eligible${rare > 0 ? ` (${rare} value${rare === 1 ? '' : 's'} with fewer than ${opts.minClipsPerClass} clips left out)` : ''}`;
    }
  }
  return { task, values, classes: eligible ? classes : [], blank, blankShare, eligible, explanation };
}

/** The eligibility rule in words, with the thresholds in force. */
export function eligibilityRule(opts: TaskAnalysisOptions): string {
  return (
    `a metadata task is used when its label has at least 2 values with at least ${opts.minClipsPerClass} clips each ` +
    `and at most ${pct(opts.maxBlankShare)} of clips blank; C is eligible with at least one such task ` +
    `and at least ${opts.minSourceNormals} source normal clips`
  );
}

/**
 * Per task: values with counts, blank share, eligible or not and why; then whether C as a whole
 * is eligible. Pure; the clips are the normal training clips C would learn from.
 */
export function analyseTasks(clips: TaskClip[], options: Partial<TaskAnalysisOptions> = {}): TaskAnalysis {
  const opts: TaskAnalysisOptions = { ...DEFAULT_TASK_OPTIONS, ...options };
  if (!Array.isArray(opts.tasks) || opts.tasks.length === 0) throw new Error('analyseTasks: options.tasks must list at least one task');
  if (!Number.isInteger(opts.minClipsPerClass) || opts.minClipsPerClass < 2) {
    throw new Error(`analyseTasks: options.minClipsPerClass must be an integer >= 2, got ${opts.minClipsPerClass}`);
  }
  if (!(opts.maxBlankShare >= 0 && opts.maxBlankShare <= 1)) throw new Error(`analyseTasks: options.maxBlankShare must be in [0, 1], got ${opts.maxBlankShare}`);
  if (!(opts.minSourceNormals >= 0)) throw new Error(`analyseTasks: options.minSourceNormals must be >= 0, got ${opts.minSourceNormals}`);
  const { labels, unreadableConditions } = readTaskLabels(opts.tasks, clips);
  const tasks = opts.tasks.map((t, i) => analyseTaskLabels(t, labels[i], opts));
  const sourceNormals = clips.filter((c) => c.role === 'source_normal').length;
  const eligibleTasks = tasks.filter((t) => t.eligible).map((t) => t.task);
  const enoughSource = sourceNormals >= opts.minSourceNormals;
  const eligible = eligibleTasks.length > 0 && enoughSource;
  const why: string[] = [];
  if (eligibleTasks.length === 0) why.push(`no metadata task has at least 2 values with at least ${opts.minClipsPerClass} clips each and at most ${pct(opts.maxBlankShare)} blank`);
  if (!enoughSource) why.push(`${sourceNormals} source normal clip${sourceNormals === 1 ? '' : 's'}, at least ${opts.minSourceNormals} needed for meta-learning`);
  const verdict = eligible
    ? `C eligible: ${eligibleTasks.length} task${eligibleTasks.length === 1 ? '' : 's'} usable (${eligibleTasks.join(', ')}) and ${sourceNormals} source normal clips (at least ${opts.minSourceNormals})`
    : `C not eligible: ${why.join('; ')}`;
  return { clips: clips.length, sourceNormals, tasks, eligibleTasks, eligible, rule: eligibilityRule(opts), verdict, unreadableConditions };
}

/** All lines of an analysis as a user would read them: one per task, then the verdict. */
export function explainTasks(a: TaskAnalysis): string[] {
  const lines = a.tasks.map((t) => t.explanation);
  if (a.unreadableConditions > 0) lines.push(`${a.unreadableConditions} clip(s) have an operating_condition that is not a JSON object; read as blank there`);
  lines.push(a.verdict);
  return lines;
}
