// The data Form (FORM.md) as data, and the pure check of a package against it. Pure: no Node, no DOM.
import type { Role } from './domain';

export type FormItemId = 'target_normal' | 'noise_only' | 'source_normal' | 'metadata' | 'verification';

export interface FormItem {
  id: FormItemId;
  title: string;
  meaning: string;
  unit: 'clips' | 'seconds' | 'fields' | 'labels';
  minimum: number;
  recommended: number;
  minimumText: string;
  recommendedText: string;
  neededBy: string;
}

/** FORM.md's table. Numbers are per machine type and section. */
export const FORM_ITEMS: readonly FormItem[] = [
  {
    id: 'target_normal',
    title: 'Target normal',
    meaning: 'normal sound at the real site, microphone position and operating condition',
    unit: 'clips',
    minimum: 3,
    recommended: 10,
    minimumText: '3 clips (30 s)',
    recommendedText: '10 clips (100 s)',
    neededBy: 'A (enough alone), B, C',
  },
  {
    id: 'noise_only',
    title: 'Site noise-only',
    meaning: 'background with the machine off or as quiet as possible',
    unit: 'seconds',
    minimum: 30,
    recommended: 120,
    minimumText: '30-60 s',
    recommendedText: '2-5 min per microphone position',
    neededBy: 'all: calibration, noise-robust banks',
  },
  {
    id: 'source_normal',
    title: 'Source normal',
    meaning: 'normal sound from other lines, sites, lab, earlier campaigns',
    unit: 'clips',
    minimum: 50,
    recommended: 990,
    minimumText: 'tens to hundreds of clips',
    recommendedText: 'about 1000 clips (2.8 h)',
    neededBy: 'B, C',
  },
  {
    id: 'metadata',
    title: 'Metadata',
    meaning: 'section / asset id, microphone position, operating condition as structured values',
    unit: 'fields',
    minimum: 2,
    recommended: 5,
    minimumText: 'section_id, mic_position_id',
    recommendedText: '+ speed_level, load_level, noise_id',
    neededBy: 'C needs the recommended set',
  },
  {
    id: 'verification',
    title: 'Verification labels',
    meaning: 'clips confirmed normal / suspected anomalous, to prove the KPI',
    unit: 'labels',
    minimum: 25,
    recommended: 60,
    minimumText: '20 normal + 5 anomaly-suspect',
    recommendedText: 'more, per section and domain',
    neededBy: 'the KPI gate',
  },
];

export const MIN_VERIFICATION = { normal: 20, anomaly: 5 } as const;

/** Source normals approach C needs for meta-learning (its eligibility rule and the routing rule share it). */
export const C_MIN_SOURCE_NORMALS = 50;

export const METADATA_MINIMUM = ['section_id', 'mic_position_id'] as const;
export const METADATA_RECOMMENDED = ['section_id', 'mic_position_id', 'speed_level', 'load_level', 'noise_id'] as const;
export type MetadataKey = (typeof METADATA_RECOMMENDED)[number];

/** Names customers and DCASE use for the Form's metadata fields. */
export const METADATA_ALIASES: Record<MetadataKey, readonly string[]> = {
  section_id: ['section_id', 'section'],
  mic_position_id: ['mic_position_id', 'mic', 'mic_position', 'microphone'],
  speed_level: ['speed_level', 'spd', 'speed', 'vel', 'velocity'],
  load_level: ['load_level', 'load', 'wt', 'weight'],
  noise_id: ['noise_id', 'noise', 'n', 'm-n'],
};

/** The value of a Form metadata field in a clip's attributes, by any of its aliases. */
export function metadataValue(key: MetadataKey, attributes: Record<string, string>, section?: string): string | undefined {
  if (key === 'section_id' && section !== undefined) return section;
  for (const a of METADATA_ALIASES[key]) {
    const v = attributes[a];
    if (v !== undefined && v !== '') return v;
  }
  return undefined;
}

export type ItemStatus = 'missing' | 'below_minimum' | 'minimum' | 'recommended';

export function itemStatus(value: number, item: Pick<FormItem, 'minimum' | 'recommended'>): ItemStatus {
  if (value <= 0) return 'missing';
  if (value < item.minimum) return 'below_minimum';
  if (value < item.recommended) return 'minimum';
  return 'recommended';
}

// ---------- inputs and report ----------

/** One clip as the Form check needs it (the store aggregates these). */
export interface FormClip {
  role: Role;
  domain: 'source' | 'target' | null;
  label: 'normal' | 'anomaly' | null;
  verdict: 'normal' | 'anomaly' | 'unsure' | null;
  durationS: number;
  attributes: Record<string, string>;
  sha256: string;
  sourceRate: number;
  sourceChannels: number;
  sliced: boolean;
  clippedFraction: number;
  silentFraction: number;
}

export interface ItemReport {
  id: FormItemId;
  title: string;
  count: number;
  durationS: number;
  /** the number compared with minimum / recommended, in the item's unit */
  value: number;
  minimum: number;
  recommended: number;
  status: ItemStatus;
  note?: string;
}

export interface AttributeReport {
  key: string;
  formKey: MetadataKey | null;
  present: number;
  blankShare: number;
  cardinality: number;
  topValues: { value: string; n: number }[];
}

export interface RoutingAdvice {
  approaches: ('A' | 'B' | 'C')[];
  primary: 'A' | 'B' | 'C' | null;
  reasons: string[];
  validateWithLabels: boolean;
}

export interface SectionFormReport {
  machineType: string;
  section: string;
  clips: number;
  items: ItemReport[];
  attributes: AttributeReport[];
  conversions: { resampled: number; fromRates: number[]; downmixed: number; fromChannels: number[]; sliced: number };
  quality: { clipped: number; silent: number; duplicateGroups: number; duplicateClips: number };
  labels: { normal: number; anomaly: number; unsure: number; source: string };
  routing: RoutingAdvice;
  gaps: string[];
}

export interface FormReport {
  generatedAt: string;
  sections: SectionFormReport[];
}

const CLIPPED = 0.001; // a clip with more than 0.1 % samples at full scale counts as clipped
const SILENT = 0.9; // a clip that is 90 % silence counts as silent

export function checkSection(machineType: string, section: string, clips: FormClip[]): SectionFormReport {
  const byRole = (r: Role) => clips.filter((c) => c.role === r);
  const target = byRole('target_normal');
  const source = byRole('source_normal');
  const noise = byRole('noise_only');
  const dur = (cs: FormClip[]) => cs.reduce((s, c) => s + c.durationS, 0);

  // verification evidence: the engineer's verdicts first, else labels shipped with the package
  let normal = 0;
  let anomaly = 0;
  let unsure = 0;
  let fromVerdicts = 0;
  for (const c of clips) {
    if (c.role === 'target_normal' || c.role === 'source_normal' || c.role === 'noise_only' || c.role === 'clean_machine') continue;
    const v = c.verdict ?? c.label;
    if (c.verdict) fromVerdicts++;
    if (v === 'normal') normal++;
    else if (v === 'anomaly') anomaly++;
    else if (v === 'unsure') unsure++;
  }

  // metadata: completeness and cardinality over the training material (what C learns from)
  const metaPool = clips.filter((c) => c.role !== 'noise_only');
  const keys = new Set<string>();
  for (const c of metaPool) for (const k of Object.keys(c.attributes)) keys.add(k);
  const attributes: AttributeReport[] = [];
  const formFieldsPresent: MetadataKey[] = [];
  const formFieldReport = new Map<MetadataKey, AttributeReport>();
  for (const fk of METADATA_RECOMMENDED) {
    const counts = new Map<string, number>();
    let present = 0;
    for (const c of metaPool) {
      const v = metadataValue(fk, c.attributes, fk === 'section_id' ? section : undefined);
      if (v !== undefined) {
        present++;
        counts.set(v, (counts.get(v) ?? 0) + 1);
      }
    }
    const rep: AttributeReport = {
      key: fk,
      formKey: fk,
      present,
      blankShare: metaPool.length ? 1 - present / metaPool.length : 1,
      cardinality: counts.size,
      topValues: [...counts.entries()].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([value, n]) => ({ value, n })),
    };
    formFieldReport.set(fk, rep);
    attributes.push(rep);
    if (present > 0 && rep.blankShare <= 0.2) formFieldsPresent.push(fk);
  }
  const aliasSet = new Set(Object.values(METADATA_ALIASES).flat());
  for (const k of [...keys].sort()) {
    if (aliasSet.has(k)) continue;
    const counts = new Map<string, number>();
    let present = 0;
    for (const c of metaPool) {
      const v = c.attributes[k];
      if (v !== undefined && v !== '') {
        present++;
        counts.set(v, (counts.get(v) ?? 0) + 1);
      }
    }
    attributes.push({
      key: k,
      formKey: null,
      present,
      blankShare: metaPool.length ? 1 - present / metaPool.length : 1,
      cardinality: counts.size,
      topValues: [...counts.entries()].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([value, n]) => ({ value, n })),
    });
  }

  const item = (id: FormItemId, count: number, durationS: number, value: number, note?: string): ItemReport => {
    const def = FORM_ITEMS.find((f) => f.id === id)!;
    let status = itemStatus(value, def);
    if (id === 'verification' && (normal < MIN_VERIFICATION.normal || anomaly < MIN_VERIFICATION.anomaly) && value > 0) status = 'below_minimum';
    return { id, title: def.title, count, durationS, value, minimum: def.minimum, recommended: def.recommended, status, ...(note ? { note } : {}) };
  };
  const items: ItemReport[] = [
    item('target_normal', target.length, dur(target), target.length),
    item('noise_only', noise.length, dur(noise), dur(noise)),
    item('source_normal', source.length, dur(source), source.length),
    item(
      'metadata',
      formFieldsPresent.length,
      0,
      METADATA_MINIMUM.every((k) => formFieldsPresent.includes(k)) ? formFieldsPresent.length : Math.min(formFieldsPresent.length, 1),
      `present: ${formFieldsPresent.join(', ') || 'none'}`,
    ),
    item('verification', normal + anomaly, 0, normal + anomaly, `${normal} normal, ${anomaly} anomalous, ${unsure} unsure`),
  ];

  // conversions and quality
  const rates = new Set<number>();
  const chans = new Set<number>();
  let resampled = 0;
  let downmixed = 0;
  let sliced = 0;
  let clipped = 0;
  let silent = 0;
  const bySha = new Map<string, number>();
  for (const c of clips) {
    if (c.sourceRate !== 16_000) {
      resampled++;
      rates.add(c.sourceRate);
    }
    if (c.sourceChannels !== 1) {
      downmixed++;
      chans.add(c.sourceChannels);
    }
    if (c.sliced) sliced++;
    if (c.clippedFraction > CLIPPED) clipped++;
    if (c.silentFraction > SILENT) silent++;
    bySha.set(c.sha256, (bySha.get(c.sha256) ?? 0) + 1);
  }
  // sliced files share a hash across their clips: count files whose content appears under two paths
  const dupGroups = [...bySha.values()].filter((n) => n > 1);

  const routing = route(target.length, source.length, formFieldReport, normal, anomaly);
  const gaps: string[] = [];
  for (const it of items) {
    if (it.status === 'missing' || it.status === 'below_minimum') {
      const def = FORM_ITEMS.find((f) => f.id === it.id)!;
      gaps.push(`${def.title}: ${formatValue(it)} of at least ${def.minimumText} (recommended ${def.recommendedText})`);
    }
  }
  if (clipped) gaps.push(`${clipped} clip(s) are clipped (more than 0.1 % of samples at full scale): lower the recording gain`);
  if (silent) gaps.push(`${silent} clip(s) are mostly silence: check the microphone and the recording`);

  return {
    machineType,
    section,
    clips: clips.length,
    items,
    attributes,
    conversions: { resampled, fromRates: [...rates].sort((a, b) => a - b), downmixed, fromChannels: [...chans].sort((a, b) => a - b), sliced },
    quality: { clipped, silent, duplicateGroups: dupGroups.length, duplicateClips: dupGroups.reduce((s, n) => s + n, 0) },
    labels: { normal, anomaly, unsure, source: fromVerdicts > 0 ? 'engineer verdicts and package labels' : normal + anomaly > 0 ? 'package labels' : 'none' },
    routing,
    gaps,
  };
}

export function formatValue(it: Pick<ItemReport, 'id' | 'value' | 'count'>): string {
  const def = FORM_ITEMS.find((f) => f.id === it.id)!;
  if (def.unit === 'seconds') return `${Math.round(it.value)} s`;
  if (def.unit === 'fields') return `${it.count} field(s)`;
  return `${it.value} ${def.unit}`;
}

/** FORM.md routing rules 1-3 (rule 4, validation on labels, is done by evaluation). */
export function route(targetNormals: number, sourceNormals: number, meta: Map<MetadataKey, AttributeReport>, labeledNormal: number, labeledAnomaly: number): RoutingAdvice {
  const approaches: ('A' | 'B' | 'C')[] = [];
  const reasons: string[] = [];
  const sourceMin = FORM_ITEMS.find((f) => f.id === 'source_normal')!.minimum;
  if (targetNormals === 0 && sourceNormals === 0) {
    reasons.push('no normal training clips: nothing to fit yet');
    return { approaches, primary: null, reasons, validateWithLabels: false };
  }
  if (targetNormals > 0 && targetNormals < 10) {
    approaches.push('A');
    reasons.push(`${targetNormals} target normal clip(s), fewer than 10: start with A (training-free, least overfitting)`);
  } else if (targetNormals >= 10) {
    approaches.push('A');
    reasons.push(`${targetNormals} target normal clips: A has a full support set`);
  } else {
    reasons.push('no target normal clips: A needs at least 3 from the site');
  }
  if (sourceNormals >= sourceMin) {
    approaches.push('B');
    reasons.push(`${sourceNormals} source normal clips (at least ${sourceMin}): enable B for domain shift`);
  } else if (sourceNormals > 0) {
    reasons.push(`only ${sourceNormals} source normal clip(s): B needs at least ${sourceMin}`);
  }
  const useful = (['speed_level', 'mic_position_id', 'noise_id', 'section_id'] as MetadataKey[]).filter((k) => {
    const r = meta.get(k);
    return r !== undefined && r.cardinality >= 2 && r.blankShare <= 0.2;
  });
  const metaOk = useful.length >= 2 && useful.some((k) => k !== 'section_id');
  if (metaOk && sourceNormals >= C_MIN_SOURCE_NORMALS) {
    approaches.push('C');
    reasons.push(`metadata with useful cardinality (${useful.join(', ')}) and ${sourceNormals} source normals: C as the advanced option`);
  } else if (!metaOk) {
    const weak = (['speed_level', 'mic_position_id', 'noise_id', 'section_id'] as MetadataKey[]).filter((k) => !useful.includes(k));
    reasons.push(`C not eligible: metadata lacks two or more values with few blanks for ${weak.join(', ')}`);
  } else {
    reasons.push(`C not eligible: ${sourceNormals} source normals, at least ${C_MIN_SOURCE_NORMALS} wanted for meta-learning`);
  }
  const validateWithLabels = labeledNormal > 0 && labeledAnomaly > 0;
  if (validateWithLabels) reasons.push(`${labeledNormal} normal and ${labeledAnomaly} anomalous labeled clips: choose among the eligible approaches by validation`);
  const primary = approaches.includes('B') && targetNormals >= 10 ? 'B' : (approaches[0] ?? null);
  return { approaches, primary, reasons, validateWithLabels };
}
