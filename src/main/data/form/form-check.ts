// The Form check of a project: one SectionFormReport per machine type and section.
import { checkSection, type FormClip, type FormReport } from '../../../shared/form';
import { formClips } from '../../store/clips-repo';
import type { Store } from '../../store/store';

export function formReport(store: Store): FormReport {
  const groups = new Map<string, { machineType: string; section: string; clips: FormClip[] }>();
  for (const r of formClips(store.db)) {
    const key = `${r.machineType}\u0000${r.section}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { machineType: r.machineType, section: r.section, clips: [] }));
    g.clips.push(r.clip);
  }
  return {
    generatedAt: new Date().toISOString(),
    sections: [...groups.values()].map((g) => checkSection(g.machineType, g.section, g.clips)),
  };
}
