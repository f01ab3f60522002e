// KPI gate: hand-built cells for every branch, above all "never pass without labels".
import { describe, expect, it } from 'vitest';
import { DEFAULT_GATE_THRESHOLDS, evaluateGate, gateCell, type FormSupply, type GateCellInput } from '../../src/shared/gate';

const cell = (over: Partial<GateCellInput> = {}): GateCellInput => ({
  machineType: 'valve',
  section: '00',
  domain: 'target',
  auc: { value: 0.97, lower: 0.955, upper: 0.99 },
  pauc: { value: 0.93, lower: 0.91, upper: 0.96 },
  normalCount: 40,
  anomalyCount: 10,
  ...over,
});

const supply = (over: Partial<Record<'target_normal' | 'noise_only' | 'source_normal' | 'metadata', number>> = {}): FormSupply => {
  const v = { target_normal: 3, noise_only: 40, source_normal: 100, metadata: 2, ...over };
  const rec = { target_normal: 10, noise_only: 120, source_normal: 990, metadata: 5 };
  return {
    machineType: 'valve',
    section: '00',
    items: (Object.keys(v) as (keyof typeof v)[]).map((id) => ({
      id,
      value: v[id],
      minimum: 1,
      recommended: rec[id],
      status: v[id] >= rec[id] ? ('recommended' as const) : ('minimum' as const),
    })),
  };
};

describe('defaults', () => {
  it('are the Form KPI: AUC 0.95, pAUC 0.90, 20 normal + 5 anomaly-suspect labels', () => {
    expect(DEFAULT_GATE_THRESHOLDS).toMatchObject({ auc: 0.95, pauc: 0.9, minNormal: 20, minAnomaly: 5 });
  });
});

describe('never pass without labeled evidence', () => {
  it('no labels: unproven even with perfect figures', () => {
    const r = gateCell(cell({ normalCount: 0, anomalyCount: 0, auc: { value: 1, lower: 1, upper: 1 }, pauc: { value: 1, lower: 1, upper: 1 } }));
    expect(r.status).toBe('unproven');
    expect(r.reasons[0]).toMatch(/no labeled verification clips for valve section 00 target domain/);
    expect(r.advice).toEqual([
      expect.stringMatching(/^Label 20 more normal verification clip\(s\) for valve section 00 target domain \(have 0, the Form's minimum is 20\)/),
      expect.stringMatching(/^Label 5 more anomaly-suspect clip\(s\)/),
    ]);
  });
  it('one short of either minimum: unproven, provisional figures reported, only the missing class advised', () => {
    const n = gateCell(cell({ normalCount: 19 }));
    expect(n.status).toBe('unproven');
    expect(n.reasons[1]).toMatch(/provisional figures, not a verdict: AUC 0.970 \[0.955, 0.990\], pAUC 0.930/);
    expect(n.advice).toHaveLength(1);
    expect(n.advice[0]).toMatch(/Label 1 more normal/);
    const a = gateCell(cell({ anomalyCount: 4 }));
    expect(a.status).toBe('unproven');
    expect(a.advice[0]).toMatch(/Label 1 more anomaly-suspect/);
  });
  it('editing the minimums down to 0 is refused', () => {
    expect(() => gateCell(cell(), { minNormal: 0 })).toThrow(/minNormal must be an integer >= 1 \(the gate never passes without labels\)/);
    expect(() => evaluateGate([cell()], { thresholds: { minAnomaly: 0 } })).toThrow(/minAnomaly/);
  });
  it('an empty gate is unproven, not passed', () => {
    expect(evaluateGate([]).status).toBe('unproven');
  });
  it('enough labels but no figures: unproven', () => {
    const r = gateCell(cell({ pauc: null }));
    expect(r.status).toBe('unproven');
    expect(r.advice[0]).toMatch(/Run scoring/);
  });
});

describe('verdicts on labeled evidence', () => {
  it('pass exactly at the thresholds, robust when the lower bounds clear too', () => {
    const r = gateCell(cell({ auc: { value: 0.95, lower: 0.95, upper: 0.97 }, pauc: { value: 0.9, lower: 0.9, upper: 0.95 } }));
    expect(r.status).toBe('pass');
    expect(r.fragile).toBe(false);
    expect(r.advice).toEqual([]);
    expect(r.auc).toMatchObject({ meets: true, lowerMeets: true, threshold: 0.95 });
  });
  it('pass on the estimate with a lower bound below: fragile, and the report says so', () => {
    const r = gateCell(cell({ auc: { value: 0.96, lower: 0.92, upper: 0.99 } }));
    expect(r.status).toBe('pass');
    expect(r.fragile).toBe(true);
    expect(r.reasons).toContain('passes on the estimate, but the lower 95 % bound does not (AUC 0.920 < 0.950)');
    expect(r.advice[0]).toMatch(/Label more verification clips .* to narrow the interval/);
  });
  it('pass without intervals is not fragile (nothing to show)', () => {
    const r = gateCell(cell({ auc: { value: 0.96, lower: null, upper: null }, pauc: { value: 0.95, lower: null, upper: null } }));
    expect(r.status).toBe('pass');
    expect(r.fragile).toBe(false);
    expect(r.auc.lowerMeets).toBeNull();
  });
  it('target AUC fails: target normal first, then noise-only, then metadata', () => {
    const r = gateCell(cell({ auc: { value: 0.8, lower: 0.7, upper: 0.88 } }), {}, supply());
    expect(r.status).toBe('fail');
    expect(r.reasons).toContain('AUC 0.800 [0.700, 0.880] is below 0.950');
    expect(r.advice[0]).toMatch(/^Add target normal clips for valve section 00 \(have 3\): the Form recommends 10 clips \(100 s\)/);
    expect(r.advice[1]).toMatch(/^Record site noise-only audio for valve section 00 \(have 40 s\)/);
    expect(r.advice[2]).toMatch(/^Supply operating-condition metadata/);
  });
  it('source AUC fails: source normal first', () => {
    const r = gateCell(cell({ domain: 'source', auc: { value: 0.8, lower: 0.7, upper: 0.88 } }), {}, supply());
    expect(r.status).toBe('fail');
    expect(r.advice[0]).toMatch(/^Add source normal clips for valve section 00 \(have 100\): the Form recommends about 1000 clips/);
    expect(r.advice.join('\n')).not.toMatch(/target normal/);
  });
  it('only pAUC fails: noise-only comes first (false alarms among the most normal-looking clips)', () => {
    const r = gateCell(cell({ pauc: { value: 0.7, lower: 0.6, upper: 0.8 } }), {}, supply());
    expect(r.status).toBe('fail');
    expect(r.advice[0]).toMatch(/^Record site noise-only/);
    expect(r.advice[1]).toMatch(/^Add target normal/);
  });
  it('items already at the recommended amount are not asked for again', () => {
    const r = gateCell(cell({ auc: { value: 0.8, lower: 0.7, upper: 0.88 } }), {}, supply({ target_normal: 12 }));
    expect(r.advice.join('\n')).not.toMatch(/target normal/);
    const all = gateCell(cell({ auc: { value: 0.8, lower: 0.7, upper: 0.88 } }), {}, supply({ target_normal: 12, noise_only: 300, metadata: 5 }));
    expect(all.advice).toHaveLength(1);
    expect(all.advice[0]).toMatch(/Every Form item for valve section 00 is at its recommended amount/);
  });
  it('without Form supply the advice names the items generically', () => {
    const r = gateCell(cell({ auc: { value: 0.8, lower: 0.7, upper: 0.88 } }));
    expect(r.advice[0]).toMatch(/^Add target normal clips for valve section 00: the Form recommends/);
  });
  it('a miss whose interval reaches the threshold asks for more labels first', () => {
    const r = gateCell(cell({ auc: { value: 0.94, lower: 0.9, upper: 0.97 } }));
    expect(r.status).toBe('fail');
    expect(r.reasons).toContain('the 95 % interval of AUC still reaches the threshold');
    expect(r.advice[0]).toMatch(/^Label more verification clips .* may settle it either way/);
    expect(r.advice[1]).toMatch(/^Add target normal/);
  });
  it('thresholds are editable', () => {
    const c = cell({ auc: { value: 0.9, lower: 0.85, upper: 0.95 }, pauc: { value: 0.8, lower: 0.75, upper: 0.85 } });
    expect(gateCell(c).status).toBe('fail');
    expect(gateCell(c, { auc: 0.85, pauc: 0.75 }).status).toBe('pass');
    expect(gateCell(cell({ normalCount: 25 }), { minNormal: 30 }).status).toBe('unproven');
    expect(gateCell(cell({ auc: { value: 0.96, lower: 0.9, upper: 0.99 } }), { ciLevel: 0.9 }).reasons).toContain(
      'passes on the estimate, but the lower 90 % bound does not (AUC 0.900 < 0.950)',
    );
  });
});

describe('evaluateGate', () => {
  it('overall: fail beats unproven beats pass; Form supply matched per machine type and section', () => {
    const pass = cell({ domain: 'source' });
    const fail = cell({ auc: { value: 0.5, lower: 0.4, upper: 0.6 } });
    const unproven = cell({ section: '01', normalCount: 0, anomalyCount: 0 });
    expect(evaluateGate([pass]).status).toBe('pass');
    expect(evaluateGate([pass, unproven]).status).toBe('unproven');
    const r = evaluateGate([pass, fail, unproven], { form: [supply()] });
    expect(r.status).toBe('fail');
    expect(r.counts).toEqual({ pass: 1, fail: 1, unproven: 1 });
    expect(r.cells[1].advice[0]).toMatch(/\(have 3\)/);
    expect(r.thresholds.auc).toBe(0.95);
  });
  it('rejects repeated cells and impossible figures with the cell named', () => {
    expect(() => evaluateGate([cell(), cell()])).toThrow(/cell 1 repeats valve section 00 target/);
    expect(() => evaluateGate([cell({ normalCount: -1 })])).toThrow(/cell 0 \(valve section 00 target\): normalCount must be a non-negative integer/);
    expect(() => evaluateGate([cell({ auc: { value: 1.2, lower: null, upper: null } })])).toThrow(/auc.value must be in \[0, 1\]/);
    expect(() => evaluateGate([cell({ auc: { value: 0.9, lower: 0.95, upper: 0.91 } })])).toThrow(/lower <= upper/);
    expect(() => evaluateGate([cell({ auc: { value: 0.9, lower: 0.8, upper: null } })])).toThrow(/both interval bounds or neither/);
    expect(() => evaluateGate([cell()], { thresholds: { auc: 1.5 } })).toThrow(/threshold auc must be in \(0, 1\]/);
  });
});
