// Approach C metadata: labels read through aliases and operating_condition JSON, the eligibility
// analysis in words, and episodes built from it (classes, shots, disjoint support and query).
import { describe, expect, it } from 'vitest';
import { analyseTasks, explainTasks, readTaskLabel, type TaskClip } from '../../src/main/approaches/c/tasks';
import { buildTaskIndex, episodeRng, episodeSeed, sampleEpisode } from '../../src/main/approaches/c/episodes';
import { readTaskLabels } from '../../src/main/approaches/c/tasks';

const clip = (attributes: Record<string, string>, role: TaskClip['role'] = 'source_normal', section = '00'): TaskClip => ({ section, role, attributes });

function many(n: number, attributes: Record<string, string>, role: TaskClip['role'] = 'source_normal'): TaskClip[] {
  return Array.from({ length: n }, () => clip({ ...attributes }, role));
}

describe('readTaskLabel', () => {
  it('reads Form names, DCASE short names and operating_condition JSON', () => {
    expect(readTaskLabel('speed_level', clip({ speed_level: '2' }))).toBe('2');
    expect(readTaskLabel('speed_level', clip({ spd: '31V' }))).toBe('31V');
    expect(readTaskLabel('load_level', clip({ load: '3' }))).toBe('3');
    expect(readTaskLabel('noise_id', clip({ noise: 'B' }))).toBe('B');
    expect(readTaskLabel('mic_position_id', clip({ mic: '1' }))).toBe('1');
    const oc = clip({ operating_condition: JSON.stringify({ speed_level: 3, mic: 2, noise_id: null }) });
    expect(readTaskLabel('speed_level', oc)).toBe('3');
    expect(readTaskLabel('mic_position_id', oc)).toBe('2');
    expect(readTaskLabel('noise_id', oc)).toBeUndefined();
    // a direct attribute wins over the JSON
    expect(readTaskLabel('speed_level', clip({ spd: '1', operating_condition: '{"speed_level": 9}' }))).toBe('1');
  });

  it('takes section_id from the clip section, treats blanks as missing and reads extra keys verbatim', () => {
    expect(readTaskLabel('section_id', clip({}, 'source_normal', '03'))).toBe('03');
    expect(readTaskLabel('speed_level', clip({ speed_level: '  ' }))).toBeUndefined();
    expect(readTaskLabel('pat', clip({ pat: '01' }))).toBe('01');
    expect(readTaskLabel('pat', clip({ operating_condition: '{"pat": "02"}' }))).toBe('02');
  });

  it('counts unreadable operating_condition cells and reads them as blank', () => {
    const clips = [clip({ operating_condition: '{not json' }), clip({ operating_condition: '[1, 2]' }), clip({ operating_condition: '{"spd": 1}' })];
    const r = readTaskLabels(['speed_level'], clips);
    expect(r.unreadableConditions).toBe(2);
    expect(r.labels[0]).toEqual([undefined, undefined, '1']);
  });
});

describe('analyseTasks', () => {
  const clips = [
    ...many(410, { speed_level: '1', noise_id: 'A', mic: '1' }),
    ...many(380, { speed_level: '2', noise_id: 'A', mic: '2' }),
    ...many(200, { speed_level: '3', noise_id: 'A' }),
    ...many(10, { speed_level: '3', noise_id: 'A', mic: '1' }, 'target_normal'),
  ];

  it('explains each task in words: values with counts, blank share, verdict', () => {
    const a = analyseTasks(clips);
    const byTask = Object.fromEntries(a.tasks.map((t) => [t.task, t]));
    expect(byTask.speed_level.explanation).toBe('speed_level: 3 values (1: 410 clips, 2: 380, 3: 210), 0% blank — eligible');
    expect(byTask.speed_level.values).toEqual([{ value: '1', clips: 410 }, { value: '2', clips: 380 }, { value: '3', clips: 210 }]);
    expect(byTask.noise_id.eligible).toBe(false);
    expect(byTask.noise_id.explanation).toBe('noise_id: only one value (A: 1000 clips), 0% blank — skipped');
    expect(byTask.mic_position_id.blankShare).toBeCloseTo(0.2, 12);
    expect(byTask.mic_position_id.eligible).toBe(true); // 20% blank is the limit, not over it
    expect(byTask.section_id.explanation).toBe('section_id: only one value (00: 1000 clips), 0% blank — skipped');
    expect(byTask.load_level.explanation).toBe('load_level: no values (100% blank) — skipped');
    expect(a.eligibleTasks).toEqual(['speed_level', 'mic_position_id']);
    expect(a.sourceNormals).toBe(990);
    expect(a.eligible).toBe(true);
    expect(a.verdict).toBe('C eligible: 2 tasks usable (speed_level, mic_position_id) and 990 source normal clips (at least 50)');
    expect(a.rule).toMatch(/at least 2 values with at least 5 clips each and at most 20% of clips blank.*at least 50 source normal clips/);
    expect(explainTasks(a).at(-1)).toBe(a.verdict);
  });

  it('skips a task with too many blanks or too few clips per value, and leaves rare values out', () => {
    const blanky = [...many(30, { speed_level: '1' }), ...many(30, { speed_level: '2' }), ...many(40, {})];
    const t = analyseTasks(blanky, { tasks: ['speed_level'], minSourceNormals: 1 }).tasks[0];
    expect(t.eligible).toBe(false);
    expect(t.explanation).toBe('speed_level: 2 values (1: 30 clips, 2: 30), 40% blank — skipped: more than 20% blank');
    const rare = analyseTasks([...many(20, { mic: '1' }), ...many(4, { mic: '2' })], { tasks: ['mic_position_id'], minSourceNormals: 1 }).tasks[0];
    expect(rare.explanation).toBe('mic_position_id: 2 values (1: 20 clips, 2: 4), 0% blank — skipped: only one value has at least 5 clips');
    const some = analyseTasks([...many(20, { mic: '1' }), ...many(6, { mic: '2' }), ...many(2, { mic: '3' })], { tasks: ['mic_position_id'], minSourceNormals: 1 }).tasks[0];
    expect(some.eligible).toBe(true);
    expect(some.classes).toEqual(['1', '2']);
    expect(some.explanation).toMatch(/— eligible \(1 value with fewer than 5 clips left out\)$/);
  });

  it('sorts values in natural order and shortens long lists', () => {
    const vals = Array.from({ length: 12 }, (_, i) => many(5, { spd: String(i + 1) })).flat();
    const t = analyseTasks(vals, { tasks: ['speed_level'], minSourceNormals: 1 }).tasks[0];
    expect(t.values.map((v) => v.value)).toEqual(['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12']);
    expect(t.explanation).toBe('speed_level: 12 values (1: 5 clips, 2: 5, 3: 5, 4: 5, 5: 5, 6: 5, 7: 5, 8: 5, … 4 more), 0% blank — eligible');
  });

  it('is not eligible without enough source normals, and says both reasons', () => {
    const few = [...many(20, { spd: '1' }), ...many(20, { spd: '2' })];
    const a = analyseTasks(few);
    expect(a.eligible).toBe(false);
    expect(a.verdict).toBe('C not eligible: 40 source normal clips, at least 50 needed for meta-learning');
    const none = analyseTasks(many(60, { spd: '1' }));
    expect(none.verdict).toBe('C not eligible: no metadata task has at least 2 values with at least 5 clips each and at most 20% blank');
    expect(analyseTasks(few, { minSourceNormals: 40 }).eligible).toBe(true);
  });

  it('rejects bad options naming the field', () => {
    expect(() => analyseTasks([], { minClipsPerClass: 1 })).toThrow(/minClipsPerClass/);
    expect(() => analyseTasks([], { maxBlankShare: 2 })).toThrow(/maxBlankShare/);
    expect(() => analyseTasks([], { tasks: [] })).toThrow(/tasks/);
  });
});

describe('episodes', () => {
  // 3 tasks over 60 clips: speed (3 classes of 20), mic (2 classes, one of only 6), noise (blank: never eligible)
  const labels = {
    speed_level: Array.from({ length: 60 }, (_, i) => String(1 + (i % 3))),
    mic_position_id: Array.from({ length: 60 }, (_, i) => (i < 6 ? '9' : '1')),
  };
  const tasks = [buildTaskIndex('speed_level', labels.speed_level, ['1', '2', '3']), buildTaskIndex('mic_position_id', labels.mic_position_id, ['1', '9'])];

  it('builds n-way k-shot episodes with disjoint support and query from eligible tasks only', () => {
    const shape = { nWay: 5, kShot: 5, qQuery: 4 };
    const seenTasks = new Set<string>();
    for (let e = 0; e < 200; e++) {
      const ep = sampleEpisode(tasks, shape, episodeRng(3, e));
      seenTasks.add(ep.task);
      const lab = labels[ep.task as keyof typeof labels];
      expect(ep.classes.length).toBe(ep.task === 'speed_level' ? 3 : 2);
      expect(new Set(ep.classes).size).toBe(ep.classes.length);
      const sup = Array.from(ep.support);
      const qry = Array.from(ep.query);
      expect(new Set([...sup, ...qry]).size).toBe(sup.length + qry.length);
      sup.forEach((r, i) => expect(lab[r]).toBe(ep.classes[ep.supportClass[i]]));
      qry.forEach((r, i) => expect(lab[r]).toBe(ep.classes[ep.queryClass[i]]));
      for (let c = 0; c < ep.classes.length; c++) {
        const s = ep.supportClass.filter((x) => x === c).length;
        const q = ep.queryClass.filter((x) => x === c).length;
        if (ep.classes[c] === '9') {
          expect([s, q]).toEqual([5, 1]); // 6 clips: min(5, 6 - 1) support, the rest query
        } else {
          expect([s, q]).toEqual([5, 4]);
        }
      }
    }
    expect(seenTasks).toEqual(new Set(['speed_level', 'mic_position_id']));
  });

  it('caps n at nWay and draws classes uniformly', () => {
    const counts = new Map<string, number>();
    for (let e = 0; e < 3000; e++) {
      const ep = sampleEpisode([tasks[0]], { nWay: 2, kShot: 1, qQuery: 1 }, episodeRng(9, e));
      expect(ep.classes.length).toBe(2);
      for (const c of ep.classes) counts.set(c, (counts.get(c) ?? 0) + 1);
    }
    for (const c of ['1', '2', '3']) expect(counts.get(c)! / 6000).toBeGreaterThan(0.3);
  });

  it('depends only on (seed, episode): the same episode twice, different neighbours', () => {
    const a = sampleEpisode(tasks, { nWay: 3, kShot: 2, qQuery: 2 }, episodeRng(1, 17));
    const b = sampleEpisode(tasks, { nWay: 3, kShot: 2, qQuery: 2 }, episodeRng(1, 17));
    expect(a).toEqual(b);
    expect(episodeSeed(1, 17)).not.toBe(episodeSeed(1, 18));
    expect(episodeSeed(1, 17)).not.toBe(episodeSeed(2, 17));
  });

  it('refuses a task index that cannot give an episode', () => {
    expect(() => buildTaskIndex('x', ['a', 'b', 'b'], ['a', 'b'])).toThrow(/class 'a' has 1 clip/);
    expect(() => buildTaskIndex('x', ['a', 'a'], ['a'])).toThrow(/at least 2 classes/);
    expect(() => sampleEpisode([], { nWay: 2, kShot: 1, qQuery: 1 }, episodeRng(0, 0))).toThrow(/no eligible task/);
  });
});
