// The KPI gate (FORM.md, KPI gate): per machine type, section and domain, AUC >= 0.95 and
// pAUC >= 0.90 on labeled verification clips. Pure: no Node, no DOM.
//
// Decision rule: a cell passes on its POINT ESTIMATES, and only with at least the Form's
// minimum of labeled evidence (20 normal + 5 anomaly-suspect clips); with fewer it is
// 'unproven', never 'pass'. When a pass rests on an interval whose lower bound is below a
// threshold, the cell is marked `fragile` and the advice says how to firm it up: an engineer
// signs off on the estimate, but must see when the evidence could not yet rule out a miss.
import type { Domain } from './domain';
import { FORM_ITEMS, MIN_VERIFICATION, type FormItemId, type ItemReport } from './form';

/** A figure with its (bootstrap) interval; bounds are null when no interval was computed. */
export interface Estimate {
  value: number;
  lower: number | null;
  upper: number | null;
}

export interface GateCellInput {
  machineType: string;
  section: string;
  domain: Domain;
  /** null when the figure could not be computed (e.g. one class missing) */
  auc: Estimate | null;
  pauc: Estimate | null;
  /** labeled normal verification clips of this domain that entered the figures */
  normalCount: number;
  /** labeled anomalous (anomaly-suspect) clips that entered the figures */
  anomalyCount: number;
}

export interface GateThresholds {
  auc: number;
  pauc: number;
  /** least labeled normal clips for a verdict (Form minimum 20; never below 1) */
  minNormal: number;
  /** least labeled anomalous clips for a verdict (Form minimum 5; never below 1) */
  minAnomaly: number;
  /** level of the intervals, for the report text only (default 0.95) */
  ciLevel: number;
}

export const DEFAULT_GATE_THRESHOLDS: Readonly<GateThresholds> = Object.freeze({
  auc: 0.95,
  pauc: 0.9,
  minNormal: MIN_VERIFICATION.normal,
  minAnomaly: MIN_VERIFICATION.anomaly,
  ciLevel: 0.95,
});

/** What the customer supplied for one machine type and section: the Form check's item reports. */
export interface FormSupply {
  machineType: string;
  section: string;
  items: readonly Pick<ItemReport, 'id' | 'value' | 'minimum' | 'recommended' | 'status'>[];
}

export type GateStatus = 'pass' | 'fail' | 'unproven';

export interface GateFigure {
  name: 'AUC' | 'pAUC';
  value: number | null;
  lower: number | null;
  upper: number | null;
  threshold: number;
  /** point estimate at or above the threshold (null without a figure) */
  meets: boolean | null;
  /** lower bound at or above the threshold (null without a figure or interval) */
  lowerMeets: boolean | null;
}

export interface GateCellResult {
  machineType: string;
  section: string;
  domain: Domain;
  status: GateStatus;
  auc: GateFigure;
  pauc: GateFigure;
  normalCount: number;
  anomalyCount: number;
  /** passes on the point estimates, but a lower interval bound is below its threshold */
  fragile: boolean;
  /** why this status, one sentence each */
  reasons: string[];
  /** the Form items most likely to close the gap, most useful first */
  advice: string[];
}

export interface GateReport {
  /** 'pass' only when every cell passes; 'fail' when any cell fails; else 'unproven' */
  status: GateStatus;
  thresholds: GateThresholds;
  cells: GateCellResult[];
  counts: Record<GateStatus, number>;
}

// ---------------------------------------------------------------- checks

function resolveThresholds(t: Partial<GateThresholds> = {}): GateThresholds {
  const r: GateThresholds = { ...DEFAULT_GATE_THRESHOLDS, ...t };
  for (const k of ['auc', 'pauc', 'ciLevel'] as const) {
    if (!(r[k] > 0 && r[k] <= 1)) throw new Error(`gate: threshold ${k} must be in (0, 1], got ${r[k]}`);
  }
  for (const k of ['minNormal', 'minAnomaly'] as const) {
    // a minimum of 0 would let a cell pass without labeled evidence
    if (!Number.isInteger(r[k]) || r[k] < 1) throw new Error(`gate: ${k} must be an integer >= 1 (the gate never passes without labels), got ${r[k]}`);
  }
  return r;
}

function checkCell(c: GateCellInput, i: number): void {
  const where = `gate: cell ${i} (${c.machineType} section ${c.section} ${c.domain})`;
  if (c.domain !== 'source' && c.domain !== 'target') throw new Error(`${where}: domain must be 'source' or 'target'`);
  for (const k of ['normalCount', 'anomalyCount'] as const) {
    if (!Number.isInteger(c[k]) || c[k] < 0) throw new Error(`${where}: ${k} must be a non-negative integer, got ${c[k]}`);
  }
  for (const k of ['auc', 'pauc'] as const) {
    const e = c[k];
    if (e === null) continue;
    if (!(e.value >= 0 && e.value <= 1)) throw new Error(`${where}: ${k}.value must be in [0, 1], got ${e.value}`);
    if ((e.lower === null) !== (e.upper === null)) throw new Error(`${where}: ${k} needs both interval bounds or neither`);
    if (e.lower !== null && e.upper !== null && !(e.lower >= 0 && e.upper <= 1 && e.lower <= e.upper)) {
      throw new Error(`${where}: ${k} interval [${e.lower}, ${e.upper}] must satisfy 0 <= lower <= upper <= 1`);
    }
  }
}

// ---------------------------------------------------------------- one cell

const f3 = (v: number) => v.toFixed(3);
const formItem = (id: FormItemId) => FORM_ITEMS.find((f) => f.id === id)!;

function figure(name: 'AUC' | 'pAUC', e: Estimate | null, threshold: number): GateFigure {
  if (e === null) return { name, value: null, lower: null, upper: null, threshold, meets: null, lowerMeets: null };
  return {
    name,
    value: e.value,
    lower: e.lower,
    upper: e.upper,
    threshold,
    meets: e.value >= threshold,
    lowerMeets: e.lower === null ? null : e.lower >= threshold,
  };
}

const describeFigure = (g: GateFigure): string =>
  g.value === null ? `${g.name} not computed` : `${g.name} ${f3(g.value)}${g.lower !== null ? ` [${f3(g.lower)}, ${f3(g.upper!)}]` : ''}`;

/** Advice for a measured miss: which Form items most likely raise the failing figure. */
function missAdvice(cell: GateCellInput, failing: GateFigure[], supply: FormSupply | undefined): string[] {
  const where = `${cell.machineType} section ${cell.section}`;
  const item = (id: FormItemId) => supply?.items.find((i) => i.id === id);
  const short = (id: FormItemId) => {
    const it = item(id);
    return it === undefined || it.status !== 'recommended';
  };
  const have = (id: FormItemId) => {
    const it = item(id);
    return it === undefined ? '' : ` (have ${it.value}${id === 'noise_only' ? ' s' : ''})`;
  };
  const out: string[] = [];
  const paucOnly = failing.length === 1 && failing[0].name === 'pAUC';
  const domainItem: FormItemId = cell.domain === 'target' ? 'target_normal' : 'source_normal';
  const domainText =
    cell.domain === 'target'
      ? `Add target normal clips for ${where}${have('target_normal')}: the Form recommends ${formItem('target_normal').recommendedText} at the real site, microphone position and every operating condition, so the detector learns the site's normal sound`
      : `Add source normal clips for ${where}${have('source_normal')}: the Form recommends ${formItem('source_normal').recommendedText} from other lines, sites or earlier campaigns, so the memory covers normal variation`;
  const noiseText = `Record site noise-only audio for ${where}${have('noise_only')}: the Form recommends ${formItem('noise_only').recommendedText}; it calibrates the threshold and the noise-robust banks against background that is not an anomaly`;
  const metaText = `Supply operating-condition metadata for ${where}${have('metadata') ? ` (${item('metadata')!.value} field(s))` : ''}: ${formItem('metadata').recommendedText}, so that speed, load or noise changes are not scored as anomalies (approach C needs them)`;
  // pAUC alone failing means false alarms among the most normal-looking clips: background and conditions first
  const order: [FormItemId, string][] = paucOnly
    ? [['noise_only', noiseText], [domainItem, domainText], ['metadata', metaText]]
    : [[domainItem, domainText], ['noise_only', noiseText], ['metadata', metaText]];
  for (const [id, text] of order) if (short(id)) out.push(text);
  if (out.length === 0) {
    out.push(
      `Every Form item for ${where} is at its recommended amount: compare the other eligible approaches or an ensemble on these labels (FORM.md routing rule 4), and review the anomaly-suspect labels`,
    );
  }
  return out;
}

/** The gate's verdict for one (machine type, section, domain) cell. */
export function gateCell(cell: GateCellInput, thresholds: Partial<GateThresholds> = {}, supply?: FormSupply): GateCellResult {
  const t = resolveThresholds(thresholds);
  checkCell(cell, 0);
  const auc = figure('AUC', cell.auc, t.auc);
  const pauc = figure('pAUC', cell.pauc, t.pauc);
  const where = `${cell.machineType} section ${cell.section} ${cell.domain} domain`;
  const level = `${Math.round(t.ciLevel * 100)} %`;
  const reasons: string[] = [];
  const advice: string[] = [];
  const base = { machineType: cell.machineType, section: cell.section, domain: cell.domain, auc, pauc, normalCount: cell.normalCount, anomalyCount: cell.anomalyCount };

  // 1. evidence first: without enough labels nothing is proven, whatever the figures say
  const needN = Math.max(0, t.minNormal - cell.normalCount);
  const needA = Math.max(0, t.minAnomaly - cell.anomalyCount);
  if (needN > 0 || needA > 0) {
    if (cell.normalCount + cell.anomalyCount === 0) reasons.push(`no labeled verification clips for ${where}`);
    else reasons.push(`${cell.normalCount} normal and ${cell.anomalyCount} anomalous labeled clips, fewer than the Form's minimum of ${t.minNormal} + ${t.minAnomaly}`);
    if (auc.value !== null || pauc.value !== null) reasons.push(`provisional figures, not a verdict: ${describeFigure(auc)}, ${describeFigure(pauc)}`);
    if (needN > 0) advice.push(`Label ${needN} more normal verification clip(s) for ${where} (have ${cell.normalCount}, the Form's minimum is ${t.minNormal})`);
    if (needA > 0) advice.push(`Label ${needA} more anomaly-suspect clip(s) for ${where} (have ${cell.anomalyCount}, the Form's minimum is ${t.minAnomaly}); confirmed faults or seeded ones from a test rig both count`);
    return { ...base, status: 'unproven', fragile: false, reasons, advice };
  }
  if (auc.value === null || pauc.value === null) {
    reasons.push(`${describeFigure(auc)}, ${describeFigure(pauc)}: score the labeled verification clips to measure them`);
    advice.push(`Run scoring on the labeled verification clips of ${where}`);
    return { ...base, status: 'unproven', fragile: false, reasons, advice };
  }

  // 2. the verdict on the point estimates
  const failing = [auc, pauc].filter((g) => !g.meets);
  const status: GateStatus = failing.length === 0 ? 'pass' : 'fail';
  for (const g of [auc, pauc]) {
    reasons.push(`${describeFigure(g)} ${g.meets ? 'meets' : 'is below'} ${f3(g.threshold)}`);
  }
  const weakLower = [auc, pauc].filter((g) => g.lowerMeets === false);
  const fragile = status === 'pass' && weakLower.length > 0;
  if (fragile) {
    const which = weakLower.map((g) => `${g.name} ${f3(g.lower!)} < ${f3(g.threshold)}`).join(', ');
    reasons.push(`passes on the estimate, but the lower ${level} bound does not (${which})`);
    advice.push(`Label more verification clips for ${where} (have ${cell.normalCount} normal + ${cell.anomalyCount} anomalous) to narrow the interval; the Form asks for more labels per section and domain beyond the minimum`);
  }
  if (status === 'fail') {
    // a miss whose interval still reaches the threshold may be a measurement question first
    const undecided = failing.filter((g) => g.upper !== null && g.upper >= g.threshold);
    if (undecided.length > 0) {
      reasons.push(`the ${level} interval of ${undecided.map((g) => g.name).join(' and ')} still reaches the threshold`);
      advice.push(`Label more verification clips for ${where} (have ${cell.normalCount} normal + ${cell.anomalyCount} anomalous): the interval still reaches the threshold, so more evidence may settle it either way`);
    }
    advice.push(...missAdvice(cell, failing, supply));
  }
  return { ...base, status, fragile, reasons, advice };
}

/** The gate over every cell; `form` (the Form check's per-section items) makes the advice specific. */
export function evaluateGate(
  cells: readonly GateCellInput[],
  opts: { thresholds?: Partial<GateThresholds>; form?: readonly FormSupply[] } = {},
): GateReport {
  const thresholds = resolveThresholds(opts.thresholds);
  const seen = new Set<string>();
  cells.forEach((c, i) => {
    checkCell(c, i);
    const key = `${c.machineType}\u0000${c.section}\u0000${c.domain}`;
    if (seen.has(key)) throw new Error(`gate: cell ${i} repeats ${c.machineType} section ${c.section} ${c.domain}`);
    seen.add(key);
  });
  const results = cells.map((c) =>
    gateCell(c, thresholds, opts.form?.find((f) => f.machineType === c.machineType && f.section === c.section)),
  );
  const counts: Record<GateStatus, number> = { pass: 0, fail: 0, unproven: 0 };
  for (const r of results) counts[r.status]++;
  const status: GateStatus = counts.fail > 0 ? 'fail' : counts.unproven > 0 || results.length === 0 ? 'unproven' : 'pass';
  return { status, thresholds, cells: results, counts };
}
