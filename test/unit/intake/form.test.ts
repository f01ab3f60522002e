import { describe, expect, it } from 'vitest';
import { checkSection, FORM_ITEMS, itemStatus, type FormClip } from '../../../src/shared/form';

const clip = (over: Partial<FormClip>): FormClip => ({
  role: 'source_normal',
  domain: 'source',
  label: 'normal',
  verdict: null,
  durationS: 10,
  attributes: {},
  sha256: Math.random().toString(16).slice(2).padEnd(64, '0'),
  sourceRate: 16000,
  sourceChannels: 1,
  sliced: false,
  clippedFraction: 0,
  silentFraction: 0,
  ...over,
});

describe('the Form', () => {
  it('holds FORM.md numbers', () => {
    const t = FORM_ITEMS.find((i) => i.id === 'target_normal')!;
    expect([t.minimum, t.recommended]).toEqual([3, 10]);
    const n = FORM_ITEMS.find((i) => i.id === 'noise_only')!;
    expect(n.minimum).toBe(30);
    expect(itemStatus(0, t)).toBe('missing');
    expect(itemStatus(2, t)).toBe('below_minimum');
    expect(itemStatus(3, t)).toBe('minimum');
    expect(itemStatus(10, t)).toBe('recommended');
  });

  it('a few target normals and nothing else routes to A and names the gaps', () => {
    const r = checkSection('fan', '00', [clip({ role: 'target_normal', domain: 'target' }), clip({ role: 'target_normal', domain: 'target' }), clip({ role: 'target_normal', domain: 'target' })]);
    expect(r.items.find((i) => i.id === 'target_normal')?.status).toBe('minimum');
    expect(r.routing.approaches).toEqual(['A']);
    expect(r.routing.primary).toBe('A');
    expect(r.gaps.join('\n')).toMatch(/Site noise-only/);
    expect(r.gaps.join('\n')).toMatch(/Verification labels/);
    expect(r.labels.source).toBe('none');
  });

  it('plentiful source with rich metadata enables B and C', () => {
    const clips: FormClip[] = [];
    for (let i = 0; i < 300; i++) clips.push(clip({ attributes: { spd: String(i % 3), mic: String(i % 2), noise: 'ABC'[i % 3] } }));
    for (let i = 0; i < 10; i++) clips.push(clip({ role: 'target_normal', domain: 'target', attributes: { spd: '9', mic: '1', noise: 'D' } }));
    for (let i = 0; i < 6; i++) clips.push(clip({ role: 'noise_only', domain: null, label: null, durationS: 10 }));
    const r = checkSection('pump', '01', clips);
    expect(r.routing.approaches).toEqual(['A', 'B', 'C']);
    expect(r.items.find((i) => i.id === 'noise_only')).toMatchObject({ value: 60, status: 'minimum' });
    const speed = r.attributes.find((a) => a.key === 'speed_level')!;
    expect(speed.cardinality).toBe(4);
    expect(speed.blankShare).toBe(0);
    // four of the five Form fields (no load_level): minimum met, recommended not
    expect(r.items.find((i) => i.id === 'metadata')?.status).toBe('minimum');
    const withLoad = checkSection('pump', '01', clips.map((c) => ({ ...c, attributes: { ...c.attributes, load: '1' } })));
    expect(withLoad.items.find((i) => i.id === 'metadata')?.status).toBe('recommended');
  });

  it('counts verification evidence, verdicts over package labels, and flags quality problems', () => {
    const clips: FormClip[] = [];
    for (let i = 0; i < 20; i++) clips.push(clip({ role: 'test', label: 'normal' }));
    for (let i = 0; i < 4; i++) clips.push(clip({ role: 'test', label: null, verdict: 'anomaly' }));
    clips.push(clip({ role: 'verification', label: 'normal', verdict: 'anomaly', clippedFraction: 0.05 }));
    const r = checkSection('valve', '00', clips);
    expect(r.labels).toMatchObject({ normal: 20, anomaly: 5 });
    expect(r.items.find((i) => i.id === 'verification')?.status).toBe('minimum');
    expect(r.quality.clipped).toBe(1);
    const dup = checkSection('valve', '00', [clip({ sha256: 'a'.repeat(64) }), clip({ sha256: 'a'.repeat(64) })]);
    expect(dup.quality.duplicateGroups).toBe(1);
  });
});
